"""Compile a covenant version to a Casbin model and policy, the source of truth for decisions.

Each ``p`` row is one (recipient, role, provider, category, purpose, phase, form) that a flow allows,
and carries the flow id, the covenant article and the legal ground, so whatever matches a request
can name its authority. Group membership is Casbin's ``g``; which parties satisfy a flow's required
attributes is ``g2``, keyed by a condition-set id. See docs/adr/0002-casbin-as-source-of-truth.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import rfc8785

from exchange.policies.model import Covenant, Flow
from exchange.policies.serial import covenant_to_data
from exchange.vocabulary import PolicyDigest

NO_CONDITION = "-"
ANY_ROLE = "*"

MODEL_CONF = """\
# exchange covenant model v1 (docs/adr/0002-casbin-as-source-of-truth.md)
[request_definition]
r = sub, role, obj, cat, purpose, phase, form

[policy_definition]
p = sub, role, obj, cat, purpose, phase, form, rcond, pcond, flow, article, ground

[role_definition]
g = _, _
g2 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && g(r.obj, p.obj) && r.cat == p.cat && r.purpose == p.purpose \
&& r.phase == p.phase && (p.role == "*" || r.role == p.role) \
&& (p.form == r.form || p.form == "content") \
&& (p.rcond == "-" || g2(r.sub, p.rcond)) && (p.pcond == "-" || g2(r.obj, p.pcond))
"""

POLICY_FIELDS = (
    "sub",
    "role",
    "obj",
    "cat",
    "purpose",
    "phase",
    "form",
    "rcond",
    "pcond",
    "flow",
    "article",
    "ground",
)


def condition_id(attributes: frozenset[str]) -> str:
    """The id of a set of required party attributes, as used in ``g2`` rows."""
    return "attrs:" + "+".join(sorted(attributes)) if attributes else NO_CONDITION


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A covenant version compiled: the Casbin files, the covenant they came from, and a digest."""

    covenant: Covenant
    model_text: str
    policy_text: str
    covenant_json: str
    digest: PolicyDigest

    @property
    def row_count(self) -> int:
        return sum(1 for line in self.policy_text.splitlines() if line.startswith("p,"))


def _rows(flow: Flow) -> list[tuple[str, ...]]:
    roles = flow.roles or (ANY_ROLE,)
    rcond = condition_id(flow.requires_recipient)
    pcond = condition_id(flow.requires_provider)
    return [
        (
            recipient,
            role,
            provider,
            cat,
            flow.purpose,
            str(phase),
            str(flow.form),
            rcond,
            pcond,
            flow.id,
            flow.article,
            flow.ground,
        )
        for recipient in flow.recipients
        for role in roles
        for provider in flow.providers
        for cat in flow.categories
        for phase in flow.phases
    ]


def policy_lines(covenant: Covenant) -> list[str]:
    """The ``policy.csv`` lines for a covenant, in a stable order."""
    lines: list[str] = []
    for flow in covenant.flows:
        lines.extend("p, " + ", ".join(row) for row in _rows(flow))
    for group in covenant.groups.values():
        lines.extend(f"g, {member}, {group.id}" for member in group.members)
    conditions = sorted(
        {condition_id(f.requires_recipient) for f in covenant.flows}
        | {condition_id(f.requires_provider) for f in covenant.flows}
    )
    for cond in conditions:
        if cond == NO_CONDITION:
            continue
        needed = frozenset(cond.removeprefix("attrs:").split("+"))
        lines.extend(
            f"g2, {party.id}, {cond}" for party in covenant.parties.values() if needed <= party.attributes
        )
    return lines


def compile_covenant(covenant: Covenant) -> CompiledPolicy:
    """Compile one covenant version. Pure; the digest covers model, policy and covenant text."""
    policy_text = "\n".join(policy_lines(covenant)) + "\n"
    data = covenant_to_data(covenant)
    covenant_json = rfc8785.dumps(data).decode("utf-8")
    return CompiledPolicy(
        covenant=covenant,
        model_text=MODEL_CONF,
        policy_text=policy_text,
        covenant_json=covenant_json,
        digest=policy_digest(MODEL_CONF, policy_text, covenant_json),
    )


def policy_digest(model_text: str, policy_text: str, covenant_json: str) -> PolicyDigest:
    """SHA-256 over the three compiled files, length-prefixed so no boundary is ambiguous."""
    h = hashlib.sha256(b"exchange-policy-v1\n")
    for part in (model_text, policy_text, covenant_json):
        raw = part.encode("utf-8")
        h.update(len(raw).to_bytes(8, "big"))
        h.update(raw)
    return PolicyDigest("sha256:" + h.hexdigest())


def load_compiled(model_text: str, policy_text: str, covenant_json: str) -> CompiledPolicy:
    """Rebuild a compiled policy from its three files (e.g. from policy history)."""
    from exchange.policies.serial import covenant_from_data

    covenant = covenant_from_data(json.loads(covenant_json))
    return CompiledPolicy(
        covenant=covenant,
        model_text=model_text,
        policy_text=policy_text,
        covenant_json=covenant_json,
        digest=policy_digest(model_text, policy_text, covenant_json),
    )
