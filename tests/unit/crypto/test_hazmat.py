"""HKDF-SHA256 through the one module that imports cryptography.hazmat."""

from __future__ import annotations

import pytest

from exchange.crypto.hazmat import hkdf_sha256
from exchange.errors import InvalidInputError

#: RFC 5869 appendix A.2 (test case 2: longer inputs and outputs).
OKM = (
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
    "cc30c58179ec3e87c14c01d5c1f3434f1d87"
)


def test_hkdf_matches_rfc_5869_test_case_2() -> None:
    """The RFC's own vector."""
    okm = hkdf_sha256(bytes(range(0x00, 0x50)), bytes(range(0x60, 0xB0)), bytes(range(0xB0, 0x100)), 82)
    assert okm.hex() == OKM


def test_hkdf_refuses_short_input_key_material() -> None:
    """Keys are derived only from secrets of at least 256 bits."""
    with pytest.raises(InvalidInputError, match="at least 32 bytes"):
        hkdf_sha256(b"\x00" * 31, b"salt", b"info")
