"""Find personal data and key material in application log text.

The suite's own gate (tests/conftest.py) runs this over every log record the test process wrote;
an operator can run it over a service's log file: ``python -m tests.logscan < app.log``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

# A Dutch postcode followed by a house number: "5701 AB 12", "5701ab12a".
POSTCODE_HOUSE = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{3} ?[A-Za-z]{2} ?[0-9]{1,5}(?![0-9])")
NINE_DIGITS = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")
HEX_KEY = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
# 32 bytes in base64 or base64url (keys, seeds, pseudonym values, MACs): 43 characters, optional '='.
B64_32 = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{43}=?(?![A-Za-z0-9+/_=-])")
PEM = re.compile(r"-----BEGIN [A-Z ]*(PRIVATE|SECRET) KEY")
# The service's own random ids ('case-<16 hex>', 'tr-<32 hex>', 'act-<12 hex>') are not personal
# data, but their hex digits can look like a postcode or a BSN; they are masked before the checks.
OWN_ID = re.compile(r"(?<![A-Za-z0-9])[a-z]{2,12}-[0-9a-f]{12,32}(?![0-9A-Za-z])")


def is_bsn(digits: str) -> bool:
    """The 11-proof a BSN passes (weights 9..2 and -1)."""
    total = sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True))
    return total % 11 == 0 and digits != "000000000"


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str

    def __str__(self) -> str:  # the kind and where, never the value
        return f"line {self.line}: {self.kind}"


def scan(text: str) -> list[Finding]:
    found: list[Finding] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = OWN_ID.sub("<id>", raw)
        if POSTCODE_HOUSE.search(line):
            found.append(Finding(n, "postcode and house number"))
        if any(is_bsn(m.group()) for m in NINE_DIGITS.finditer(line)):
            found.append(Finding(n, "a BSN-like number (passes the 11-proof)"))
        if HEX_KEY.search(line) or PEM.search(line):
            found.append(Finding(n, "key material (hex or PEM)"))
        elif any(_looks_random(m.group()) for m in B64_32.finditer(line)):
            found.append(Finding(n, "32 bytes in base64 (a key, MAC or pseudonym)"))
    return found


def _looks_random(token: str) -> bool:
    """Words joined by dashes or underscores are not keys: require digits and both letter cases."""
    return (
        any(c.isdigit() for c in token)
        and any(c.islower() for c in token)
        and any(c.isupper() for c in token)
    )


if __name__ == "__main__":
    findings = scan(sys.stdin.read())
    for f in findings:
        print(f)
    sys.exit(1 if findings else 0)
