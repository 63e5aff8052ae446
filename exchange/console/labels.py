"""The console's words for the log's codes: every action, outcome and refusal reason has a Dutch
label in the shared catalogue; the code itself stays secondary (in the CSV export and beside the
label). A code without a label (a newer log read by an older console) shows as itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from exchange.audit.events import Action, Outcome


def N_(message: str) -> str:
    """Mark a catalogue id for extraction; the page translates it."""
    return message


ACTIONS: Mapping[str, str] = {
    Action.DECISION: N_("Covenant decision"),
    Action.HIT_QUERY: N_("Hit/no-hit answer"),
    Action.DISCLOSURE: N_("Dossier item provided"),
    Action.DOSSIER_READ: N_("Dossier item read"),
    Action.CASE_TRANSITION: N_("Case moved to another phase"),
    Action.CASE_CREATED: N_("Case opened"),
    Action.SELECTION: N_("Selection decision"),
    Action.FINDING: N_("Findings registered"),
    Action.FOLLOW_UP: N_("Action point"),
    Action.FEEDBACK: N_("Feedback"),
    Action.KEY_REGISTRATION: N_("Party key registered"),
    Action.POLICY_CHANGE: N_("Covenant version changed"),
    Action.SHRED: N_("Data destroyed after the retention period"),
    Action.LOG_VIEW: N_("Log viewed or exported"),
    Action.CASE_VIEW: N_("Case viewed in the console"),
    Action.INDEX_UPDATE: N_("Index updated"),
    Action.REFUSAL: N_("Request refused"),
    Action.ACCESS_REQUEST: N_("Access request"),
    Action.JOIN_REQUEST: N_("Request to join a covenant"),
    Action.JOIN_APPROVAL: N_("Joining approved"),
    Action.JOIN_REJECTION: N_("Joining rejected"),
    Action.PSEUDONYM_KEY_VERSION: N_("New pseudonym key version"),
    Action.PSEUDONYM_KEY_COPY: N_("Pseudonym key copy stored"),
    Action.PSEUDONYM_KEY_FETCH: N_("Pseudonym key copies fetched"),
    Action.PSEUDONYM_KEY_PENDING: N_("Missing pseudonym key copies asked"),
    Action.FORWARD: N_("Signal forwarded"),
}

OUTCOMES: Mapping[str, str] = {
    Outcome.ALLOWED: N_("allowed"),
    Outcome.DENIED: N_("denied"),
    Outcome.HIT: N_("hit"),
    Outcome.NO_HIT: N_("no hit"),
    Outcome.NO_INDEX: N_("unknown: no index"),
    Outcome.DONE: N_("carried out"),
    Outcome.FAILED: N_("failed"),
}

PHASES: Mapping[str, str] = {
    "signal": N_("signal"),
    "selection": N_("selection"),
    "preparation": N_("preparation"),
    "action": N_("action"),
    "follow-up": N_("follow-up"),
    "feedback": N_("feedback"),
    "closed": N_("closed"),
}

#: The team report's columns and rows that are not names from the covenant files.
TEAM: Mapping[str, str] = {
    "on-time": N_("done on time"),
    "late": N_("done late"),
    "open": N_("open"),
    "overdue": N_("overdue"),
    "acted": N_("cases acted on"),
    "with-outcome": N_("with an outcome recorded"),
    "without-outcome": N_("without an outcome yet"),
}

ANOMALIES: Mapping[str, str] = {
    "outside-case": N_("requests outside a case"),
    "phase-not-covered": N_("requests in a phase the covenant does not cover"),
    "burst": N_("a burst of requests"),
    "repeated-denials": N_("repeated refusals"),
}

#: The roles the covenants declare (a party's user acts in one of them).
ROLES: Mapping[str, str] = {
    "coordinator": N_("coordinator"),
    "employee": N_("employee"),
    "privacy-officer": N_("privacy officer"),
    "jurist": N_("jurist"),
    "team-lead": N_("team lead"),
    "stuurgroep": N_("steering group"),
}

#: How a party takes part in a covenant, what kind of organisation it is, and what a flow gives.
PARTY_ROLES: Mapping[str, str] = {"signatory": N_("signatory"), "case-by-case": N_("case by case")}
KINDS: Mapping[str, str] = {
    "municipality": N_("municipality"),
    "police": N_("police"),
    "fire-brigade": N_("fire brigade"),
    "care": N_("care provider"),
    "environment": N_("environmental service"),
    "grid-operator": N_("grid operator"),
    "health-service": N_("public health service"),
    "immigration": N_("immigration service"),
    "inspectorate": N_("inspectorate"),
    "labour-inspectorate": N_("labour inspectorate"),
    "riec": N_("RIEC"),
    "social-security": N_("social security"),
    "social-services": N_("social services"),
    "tax-office": N_("tax office"),
    "prosecution": N_("public prosecution"),
}
SENSITIVITIES: Mapping[str, str] = {
    "ordinary": N_("ordinary"),
    "special": N_("special category (GDPR art. 9)"),
    "criminal": N_("criminal data (GDPR art. 10)"),
    "bsn": N_("citizen service number (UAVG art. 46)"),
}
FORMS: Mapping[str, str] = {"hit": N_("hit/no-hit only"), "content": N_("the data itself")}

#: Action points: their kinds and states; a case's outcome; a jurist's verdict on a selection.
ACTION_KINDS: Mapping[str, str] = {
    "reinspection": N_("Reinspection"),
    "fine": N_("Fine"),
    "registration-correction": N_("Correction of the registration"),
    "benefit-review": N_("Review of the benefit"),
    "referral": N_("Referral"),
    "enforcement-order": N_("Enforcement order"),
    "other": N_("Other"),
}
ACTION_STATUSES: Mapping[str, str] = {"open": N_("open"), "done": N_("done"), "cancelled": N_("cancelled")}
CASE_OUTCOMES: Mapping[str, str] = {
    "violation-found": N_("Violation found"),
    "no-violation": N_("No violation"),
    "referred-to-police": N_("Referred to the police"),
    "benefit-adjusted": N_("Benefit adjusted"),
    "registration-corrected": N_("Registration corrected"),
    "enforcement-started": N_("Enforcement started"),
    "no-action": N_("No action"),
}
VERDICTS: Mapping[str, str] = {"approved": N_("Approved"), "concerns": N_("Concerns")}

#: What each line of an item in the covenant diff is (exchange.reports.covenant_compare).
LINES: Mapping[str, str] = {
    "from": N_("From (provider)"),
    "to": N_("To (recipient)"),
    "data": N_("Data"),
    "purpose": N_("Purpose"),
    "phases": N_("Phases"),
    "form": N_("Form"),
    "article": N_("Article"),
    "ground": N_("Legal ground"),
    "exception": N_("Exception"),
    "roles": N_("Roles"),
    "conditions": N_("Conditions"),
    "note": N_("Note"),
}

REASONS: Mapping[str, str] = {
    "allowed": N_("allowed"),
    "no-flow": N_("the covenant has no flow for this"),
    "purpose-not-covered": N_("the purpose is not covered by the covenant"),
    "phase-not-covered": N_("not allowed in the case's current phase"),
    "role-not-allowed": N_("the role may not do this"),
    "attribute-missing": N_("a required fact is missing"),
    "over-limit": N_("over the covenant's limit"),
    "query-limit": N_("over the covenant's limit of questions"),
    "case-closed": N_("the case is closed"),
    "phase-order": N_("not the next phase of the case"),
    "not-a-party": N_("not a party to the case or covenant"),
    "not-coordinator": N_("only the case's coordinator may do this"),
    "not-provider": N_("not the party that was asked"),
    "not-selected": N_("the case was not selected"),
    "not-privacy-officer": N_("only a privacy officer may do this"),
    "not-in-force": N_("the covenant is not in force"),
    "role-not-held": N_("the party may not hold this role"),
    "unknown-role": N_("unknown role"),
    "not-found": N_("not found"),
}


def labeller(table: Mapping[str, str], gettext: Callable[[str], str]) -> Callable[[str | None], str]:
    """A Jinja filter: the Dutch label of a code, or the code itself when it has none."""

    def label(code: str | None) -> str:
        if not code:
            return ""
        message = table.get(code)
        return gettext(message) if message else code

    return label
