"""The receipt key file and the published checkpoint key: what the service accepts and refuses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from exchange.api.receipts import checkpoint_verifier, load_receipt_signer
from exchange.config import Settings
from exchange.errors import ConfigurationError


def _key(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "receipt-key"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_good_key_file_gives_the_same_key_each_time(tmp_path: Path) -> None:
    path = _key(tmp_path, bytes(range(32)).hex() + "\n")
    s = Settings(mode="production", receipt_key_file=path)
    assert load_receipt_signer(s).public == load_receipt_signer(s).public


def test_dev_mode_without_a_file_signs_with_a_key_of_the_process(tmp_path: Path) -> None:
    s = Settings(mode="dev", receipt_key_file=tmp_path / "absent")
    assert load_receipt_signer(s).public != load_receipt_signer(s).public


@pytest.mark.parametrize(
    ("text", "want"),
    [("zz", "does not hold a hex key"), ("00" * 16, "32-byte random key"), ("00" * 32, "32-byte random key")],
)
def test_bad_key_files_are_refused(tmp_path: Path, text: str, want: str) -> None:
    s = Settings(mode="production", receipt_key_file=_key(tmp_path, text))
    with pytest.raises(ConfigurationError, match=want):
        load_receipt_signer(s)


def test_an_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    s = Settings(mode="production", receipt_key_file=tmp_path)  # a directory
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_receipt_signer(s)


def test_the_published_checkpoint_key() -> None:
    """Unset: nothing is published. The key alone or the verifier line: the same key. Anything
    else stops the start."""
    assert checkpoint_verifier(Settings(mode="dev")) is None
    key = base64.b64encode(bytes(range(32))).decode()
    plain = checkpoint_verifier(Settings(mode="dev", log_origin="o.example/log", log_public_key=key))
    line = checkpoint_verifier(
        Settings(mode="dev", log_origin="o.example/log", log_public_key=f"verifier: o.example/log {key}")
    )
    assert plain == line and plain is not None and plain.name == "o.example/log"
    for bad in ("", "not base64!", base64.b64encode(bytes(16)).decode()):
        with pytest.raises(ConfigurationError, match="EXCHANGE_LOG_PUBLIC_KEY"):
            checkpoint_verifier(Settings(mode="dev", log_public_key=bad))
