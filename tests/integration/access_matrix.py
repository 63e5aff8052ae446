"""The access columns of the security matrix: for every route, who is the wrong party and who the
wrong role, and what they get. Every route of :data:`ROUTES` has a row here; a route that is open to
every party or role by design says why instead of naming a caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.integration.api_support import CASE, FLAG, JOIN, JOIN_PATH, TILE, VERSION

POLICE = "politie-oost-brabant"


@dataclass(frozen=True)
class Refused:
    """``party`` acting as ``role`` gets ``status`` with this ``code`` (problem or decision code)."""

    party: str
    role: str
    status: int
    code: str
    #: A body of its own, where the row's body would not show the refusal.
    body: dict[str, Any] | None = None


#: (method, path as in ROUTES) -> (wrong party, wrong role). A text is the reason the route is open.
#: The real case of the test replaces the placeholder case and action ids. Besides these columns,
#: every route is tried by a party in no covenant and by a party asserting a role it may not hold.
ACCESS: dict[tuple[str, str], tuple[Refused | str, Refused | str]] = {
    ("GET", "/v1/whoami"): (
        "identity only: it answers who signed, and nothing about any case or party",
        "identity only: it echoes the asserted role and grants nothing",
    ),
    ("POST", "/v1/decisions"): (
        Refused("wijkteam-zonder-rol", "employee", 200, "no-flow"),
        Refused(
            "helmond",
            "team-lead",
            200,
            "role-not-allowed",
            {
                "provider": POLICE,
                "category": "politie-incidenten",
                "purpose": "onrechtmatige-bewoning",
                "phase": "preparation",
                "covenant": "pit",
            },
        ),
    ),
    ("POST", "/v1/cases"): (
        "opens a case of the caller's own; who may is the role column",
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("GET", CASE): (
        Refused("someren", "coordinator", 404, "not-found"),
        "every role a participating party may hold reads the case's metadata",
    ),
    ("POST", f"{CASE}/parties"): (
        Refused("someren", "coordinator", 404, "not-found"),
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("POST", f"{CASE}/transitions"): (
        Refused("someren", "coordinator", 404, "not-found"),
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("POST", f"{CASE}/review"): (
        Refused("someren", "jurist", 404, "not-found"),
        Refused("helmond", "coordinator", 403, "not-jurist"),
    ),
    ("POST", "/v1/index/bijstand-status"): (
        Refused("enexis", "employee", 403, "not-provider"),
        "the party's own index, kept in any role the party may hold",
    ),
    ("POST", f"{CASE}/hits"): (
        Refused("someren", "coordinator", 404, "not-found"),
        "the covenant's flows say which roles may ask; the answer lists only the pairs for the role",
    ),
    ("POST", f"{CASE}/enrichment-requests"): (
        Refused("someren", "coordinator", 404, "not-found"),
        "asked by a participant the covenant lets receive the category; decided per flow and role",
    ),
    ("GET", f"{CASE}/enrichment-requests"): (
        Refused("someren", "coordinator", 404, "not-found"),
        "metadata of the requests the caller's own party made or was asked, in any role it may hold",
    ),
    ("GET", "/v1/enrichment-requests"): (
        "lists only the requests addressed to the caller's own party",
        "lists only the requests addressed to the caller's own party",
    ),
    ("GET", f"{CASE}/recipients?category=bijstand-status"): (
        Refused("someren", "employee", 404, "not-found"),
        "the covenant's flows decide, per role, who receives; the answer follows them",
    ),
    ("POST", f"{CASE}/items"): (
        Refused("someren", "employee", 404, "not-found"),
        "the provider's own items, checked against the flows for its role",
    ),
    ("GET", f"{CASE}/items"): (
        Refused("someren", "employee", 404, "not-found"),
        "only items sealed to the caller's party, whatever its role",
    ),
    ("GET", f"{CASE}/text-recipients"): (
        Refused("someren", "employee", 404, "not-found"),
        "public keys of the case's readers, for any participant sealing a text",
    ),
    ("GET", f"{CASE}/texts"): (
        Refused("someren", "employee", 404, "not-found"),
        "only texts sealed to the caller's party, whatever its role",
    ),
    ("POST", f"{CASE}/actions"): (
        Refused("someren", "coordinator", 404, "not-found"),
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("POST", f"{CASE}/actions/act-000000000000"): (
        Refused("someren", "coordinator", 404, "not-found"),
        Refused("helmond", "employee", 403, "not-owner-or-coordinator"),
    ),
    ("GET", f"{CASE}/actions"): (
        Refused("someren", "employee", 404, "not-found"),
        "every participant sees the case's action points, whatever its role",
    ),
    ("POST", f"{CASE}/feedback"): (
        Refused("someren", "coordinator", 404, "not-found"),
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("GET", f"{CASE}/feedback"): (
        Refused("someren", "employee", 404, "not-found"),
        "every participant reads the abstracted outcome, whatever its role",
    ),
    ("POST", "/v1/console/tickets"): (
        "a sign-in link for the caller's own party",
        "every role has console pages; a role the party may not hold is refused (role-not-held)",
    ),
    ("GET", "/v1/anomalies"): (
        "only the flags about the caller's own party's users",
        Refused(POLICE, "employee", 403, "not-privacy-officer"),
    ),
    ("POST", f"/v1/anomalies/{FLAG}/acknowledgement"): (
        "another party's flag answers 404 like an unknown one (test_oversight_api.py)",
        Refused(POLICE, "employee", 403, "not-privacy-officer"),
    ),
    ("GET", "/v1/log/keys"): (
        "the log's public keys, the same for every registered party",
        "the log's public keys, the same for every role",
    ),
    ("GET", "/v1/log/checkpoint"): (
        "the signed checkpoint holds only the tree's size and root; every party may check it",
        "the signed checkpoint holds only the tree's size and root; every role may check it",
    ),
    ("GET", "/v1/log/proofs/inclusion?index=0"): (
        Refused("someren", "employee", 404, "not-found"),
        "any role of a party that took part in the event, or in its case",
    ),
    ("GET", "/v1/log/proofs/consistency?from=0&to=0"): (
        "hashes of the tree only, no event: every party may check the log is append-only",
        "hashes of the tree only, no event: every role may check the log is append-only",
    ),
    ("GET", TILE): (
        "hashes of the tree only, no event: every party may mirror the tree and check it",
        "hashes of the tree only, no event: every role may mirror the tree and check it",
    ),
    ("POST", "/v1/log/witness"): (
        "a witness name belongs to the party that first cosigned under it; another party's name is "
        "refused with 403 (test_log_http.py::test_the_hub_refuses_a_bad_or_foreign_cosignature)",
        "witnessing is done by a party's software in any role it holds",
    ),
    ("POST", "/v1/access-requests"): (
        "covenant-wide by design (AVG art. 15): any party to the covenant answers its data subjects; "
        "a party outside every covenant is refused by the column below",
        Refused("helmond", "employee", 403, "not-privacy-officer"),
    ),
    ("POST", f"{CASE}/findings"): (
        Refused("someren", "employee", 404, "not-found"),
        Refused(POLICE, "jurist", 403, "not-employee-or-coordinator"),
    ),
    ("GET", f"{CASE}/findings"): (
        Refused("someren", "employee", 404, "not-found"),
        "every participant reads the case's findings (counts only), whatever its role",
    ),
    ("GET", "/v1/keys?party=senzer"): (
        "public keys of the parties in the caller's own covenants; a party outside them is not listed",
        "public keys, the same for every role",
    ),
    ("POST", "/v1/keys"): (
        "a party registers only its own keys, signed with its current key (test_keys_api.py)",
        "a party's software publishes its keys in any role the party holds",
    ),
    ("POST", JOIN_PATH): (
        "signed by the joining party's own new key: there is no other party to be "
        "(test_joins_api.py tries another party's key, a party not in the covenant, one registered)",
        "a party not yet registered holds no role; the covenant must list it (test_joins_api.py)",
    ),
    ("GET", "/v1/joins"): (
        "lists only the joins of covenants whose custodian the caller's party is (empty for others)",
        Refused("helmond", "employee", 403, "not-custodian-role"),
    ),
    ("POST", f"/v1/joins/{JOIN}/approval"): (
        Refused("someren", "coordinator", 404, "not-found"),
        Refused("helmond", "employee", 403, "not-custodian-role"),
    ),
    ("POST", "/v1/covenant-versions"): (
        "only a jurist of the covenant's key custodian proposes; test_revisions_api.py proposes as "
        "Senzer's jurist (403 not-custodian) with a real bundle",
        "test_revisions_api.py proposes as Helmond's privacy officer (403 not-custodian)",
    ),
    ("GET", "/v1/covenant-versions"): (
        "lists only the proposals of covenants the caller's party takes part in (empty for others)",
        "every role of a party to the covenant may read its proposals (they are the covenant's text)",
    ),
    ("GET", VERSION): (
        "a party outside the covenant gets 404 as for an unknown version (test_revisions_api.py)",
        "every role of a party to the covenant may read its proposals (they are the covenant's text)",
    ),
    ("POST", f"{VERSION}/approval"): (
        "test_revisions_api.py: a case-by-case partner gets 403 not-signatory on a real proposal",
        "test_revisions_api.py: Senzer's employee gets 403 not-approver-role on a real proposal",
    ),
    ("POST", f"{VERSION}/withdrawal"): (
        "test_revisions_api.py: Senzer's jurist (not the custodian) gets 403 not-custodian",
        "only the custodian's jurist withdraws; test_revisions_api.py tries another party's jurist",
    ),
    ("PUT", "/v1/covenants/pit/pseudonym-keys/1"): (
        Refused("someren", "coordinator", 403, "not-custodian"),
        Refused("helmond", "employee", 403, "not-custodian-role"),
    ),
    ("GET", "/v1/covenants/pit/pseudonym-keys/pending"): (
        Refused("someren", "coordinator", 403, "not-custodian"),
        Refused("helmond", "employee", 403, "not-custodian-role"),
    ),
    ("GET", "/v1/covenants/pit/pseudonym-keys"): (
        "a party's own sealed copies only; a party outside the covenant is refused (not-a-party)",
        "a party's software fetches its copies in any role the party holds",
    ),
    ("GET", "/v1/inbox"): (
        "only what waits for the caller's own party (metadata)",
        "the role rules of the separate routes leave out what the role may not read",
    ),
    ("GET", "/v1/forwards/recipients?to=senzer&purpose=uitkeringsfraude&covenant=pit"): (
        Refused("enexis", "employee", 403, "not-coordinator"),
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("POST", "/v1/forwards"): (
        Refused("enexis", "employee", 403, "not-coordinator"),
        Refused("helmond", "employee", 403, "not-coordinator"),
    ),
    ("GET", "/v1/forwards/fwd-" + "0" * 32): (
        "another party's forward answers 404 like an unknown one (test_forwards_api.py)",
        "the flow's roles decide who opens it (test_forwards_api.py)",
    ),
}
