"""pseudonymise_all makes exactly the pseudonyms pseudonymise makes, for every kind and version."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from exchange.crypto.pseudonym import PseudonymKey, pseudonymise, pseudonymise_all
from exchange.crypto.subjects import Subject, SubjectKind


@given(
    kind=st.sampled_from(list(SubjectKind)),
    canonicals=st.lists(st.from_regex(r"[0-9A-Z|]{1,20}", fullmatch=True), max_size=5),
    version=st.integers(1, 1000),
    key=st.binary(min_size=32, max_size=32),
)
def test_the_batch_form_equals_the_one_at_a_time_form(
    kind: SubjectKind, canonicals: list[str], version: int, key: bytes
) -> None:
    """The same subjects under the same key give the same pseudonyms, in the same order."""
    k = PseudonymKey("pit", version, key)
    assert list(pseudonymise_all(kind, canonicals, k)) == [
        str(pseudonymise(Subject(kind, c), k)) for c in canonicals
    ]
