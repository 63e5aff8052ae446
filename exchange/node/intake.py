"""Checking what a coordinator types into the meldpunt and the case form. Pure: text in, values or
field errors out.

Messages are catalogue ids (marked with :func:`N_` so extraction finds them) with their parameters;
the page translates them. Each error names its field, so the page links the error summary to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from exchange.crypto.subjects import Subject, SubjectError, normalise
from exchange.policies.model import Covenant
from exchange.vocabulary import Purpose

#: The kinds of subject a coordinator may type, as :func:`exchange.crypto.subjects.normalise` names them.
KINDS = ("address", "person", "company")
MIN_TEXT = 10
MAX_TEXT = 2000
MAX_SHORT = 200
MAX_LINES = 1000


def N_(message: str) -> str:
    """Mark a catalogue id for extraction; the page translates it."""
    return message


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignalForm:
    kind: str
    subject: str
    source: str
    theme: str
    description: str

    def as_json(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "source": self.source,
            "theme": self.theme,
            "description": self.description,
        }


_NOT_A = {
    "address": N_("Line %(line)s is not an address: write a postcode and house number, e.g. 5701 AB 12a."),
    "person": N_("Line %(line)s is not a valid BSN: a BSN has 9 digits and passes the eleven test."),
    "company": N_("Line %(line)s is not a KvK number: a KvK number has exactly 8 digits."),
}
#: What is wrong with a subject that is not of its kind, per kind (the signal's and other forms).
SUBJECT_WRONG = {
    "address": N_("This is not an address: write a postcode and house number, e.g. 5701 AB 12a."),
    "person": N_("This is not a valid BSN: a BSN has 9 digits and passes the eleven test."),
    "company": N_("This is not a KvK number: a KvK number has exactly 8 digits."),
}
_SUBJECT_EMPTY = {
    "address": N_("Enter the address the signal is about."),
    "person": N_("Enter the BSN the signal is about."),
    "company": N_("Enter the KvK number the signal is about."),
}


def _text(name: str, value: str, errors: list[FieldError], empty: str, minimum: int = 0) -> str:
    folded = " ".join(value.split())
    if not folded:
        errors.append(FieldError(name, empty))
    elif len(folded) < minimum:
        errors.append(FieldError(name, N_("Write at least %(count)s characters."), {"count": minimum}))
    return folded


def check_signal(
    kind: str, subject: str, source: str, theme: str, description: str
) -> tuple[SignalForm | None, list[FieldError]]:
    """The signal, or the errors of its fields in the form's order (then nothing is stored)."""
    errors: list[FieldError] = []
    if kind not in KINDS:
        errors.append(
            FieldError("kind", N_("Choose what the signal is about: an address, a BSN or a KvK number."))
        )
    subject = subject.strip()
    if kind in KINDS:
        if not subject:
            errors.append(FieldError("subject", _SUBJECT_EMPTY[kind]))
        else:
            try:
                normalise(kind, subject)
            except SubjectError:
                errors.append(FieldError("subject", SUBJECT_WRONG[kind]))
    source = _text(
        "source", source, errors, N_("Enter where the signal comes from, e.g. a neighbour or a partner.")
    )
    theme = _text("theme", theme, errors, N_("Enter the theme of the signal, e.g. housing or benefits."))
    description = _text(
        "description", description, errors, N_("Describe the signal: what was seen or reported."), MIN_TEXT
    )
    for name, value, limit in (
        ("source", source, MAX_SHORT),
        ("theme", theme, MAX_SHORT),
        ("description", description, MAX_TEXT),
    ):
        if len(value) > limit:
            errors.append(FieldError(name, N_("Write at most %(count)s characters."), {"count": limit}))
    if errors:
        return None, errors
    return SignalForm(kind, subject, source, theme, description), []


@dataclass(frozen=True, slots=True)
class Choice:
    """A covenant and one of its purposes, as the case form offers them."""

    value: str  # "<covenant id>:<purpose id>"
    covenant: Covenant
    purpose: str

    @property
    def purpose_name(self) -> str:
        return self.covenant.purposes[Purpose(self.purpose)].name


def choices(covenants: Iterable[Covenant]) -> list[Choice]:
    """Every purpose of every covenant given, ordered by covenant label then purpose name."""
    out = [Choice(f"{c.ref.id}:{p}", c, str(p)) for c in covenants for p in c.purposes]
    return sorted(out, key=lambda ch: (ch.covenant.label, ch.purpose_name))


@dataclass(frozen=True, slots=True)
class CaseForm:
    choice: Choice
    kind: str
    subjects: tuple[tuple[str, Subject], ...]  # (as typed, normalised)
    reason: str


def check_case(
    offered: list[Choice], choice: str, kind: str, lines: str, reason: str
) -> tuple[CaseForm | None, list[FieldError]]:
    """The case to open, or the errors of its fields; subject lines are checked one by one and each
    wrong line gets its own message with its number. Empty lines are skipped; repeats count once."""
    errors: list[FieldError] = []
    picked = next((c for c in offered if c.value == choice), None)
    if picked is None:
        errors.append(FieldError("purpose", N_("Choose one of the purposes of your covenants.")))
    if kind not in KINDS:
        errors.append(FieldError("kind", N_("Choose what the subjects are: addresses, BSNs or KvK numbers.")))
    subjects: dict[str, tuple[str, Subject]] = {}
    numbered = [(n, line.strip()) for n, line in enumerate(lines.splitlines()[: MAX_LINES + 1], start=1)]
    typed = [(n, line) for n, line in numbered if line]
    if not typed:
        errors.append(FieldError("subjects", N_("Enter at least one subject, one per line.")))
    elif kind in KINDS:
        for n, line in typed:
            try:
                subject = normalise(kind, line)
            except SubjectError:
                errors.append(FieldError("subjects", _NOT_A[kind], {"line": n}))
                continue
            subjects.setdefault(subject.canonical, (line, subject))
        limit = picked.covenant.query_limit if picked else None
        if limit is not None and len(subjects) > limit:
            errors.append(
                FieldError(
                    "subjects",
                    N_("%(covenant)s allows at most %(limit)s subjects per case; you entered %(count)s."),
                    {
                        "covenant": picked.covenant.label if picked else "",
                        "limit": limit,
                        "count": len(subjects),
                    },
                )
            )
    reason_folded = _text(
        "reason", reason, errors, N_("Write why this signal is taken up (the selection reason)."), MIN_TEXT
    )
    if len(reason_folded) > MAX_TEXT:
        errors.append(FieldError("reason", N_("Write at most %(count)s characters."), {"count": MAX_TEXT}))
    if errors or picked is None:
        return None, errors
    return CaseForm(picked, kind, tuple(subjects.values()), reason_folded), []
