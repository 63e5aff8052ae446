"""The only module that imports Casbin: a plain ``casbin.Enforcer`` on the compiled files.

It is the reference the fast decision table is checked against, and it can decide on its own
(``exchange decide --reference``). Measured on CPython 3.11.7, concurrent ``enforce()`` calls can
raise ``SystemError`` (gh-106905) and ``FastEnforcer`` gave wrong denials under threads; so this uses
the plain ``Enforcer``, every call holds one lock, and an enforcer is never reloaded in place.
"""

from __future__ import annotations

import threading

import casbin
from casbin.model import Model
from casbin.persist.adapters.string_adapter import StringAdapter

from exchange.errors import ConfigurationError
from exchange.policies.compiler import CompiledPolicy
from exchange.policies.decision import DecisionRequest, Grant
from exchange.vocabulary import Form


class CasbinReference:
    """Decisions straight from Casbin on one compiled policy. Thread-safe; immutable after build."""

    def __init__(self, model_text: str, policy_text: str) -> None:
        try:
            model = Model()
            model.load_model_from_text(model_text)
            self._enforcer = casbin.Enforcer(model, StringAdapter(policy_text))
        except Exception as exc:  # Casbin raises bare Exceptions for malformed models
            raise ConfigurationError(f"Casbin could not load the compiled policy: {exc}") from None
        self._lock = threading.Lock()

    def enforce(self, *values: str) -> tuple[bool, list[str]]:
        """Casbin's verdict on one request and, if allowed, the policy row that matched."""
        with self._lock:
            allowed, explain = self._enforcer.enforce_ex(*values)
        return bool(allowed), [str(v) for v in explain]


class CasbinMatcher:
    """A matcher for :meth:`DecisionEngine.decide` that asks plain Casbin instead of the table.

    Casbin reports one matching row; it is asked for content first, then for hit/no-hit, so the
    form it returns is the widest the policy allows, as the table's is.
    """

    def __init__(self) -> None:
        self._cache: dict[str, CasbinReference] = {}
        self._lock = threading.Lock()

    def reference(self, policy: CompiledPolicy) -> CasbinReference:
        with self._lock:
            ref = self._cache.get(policy.digest)
            if ref is None:
                ref = CasbinReference(policy.model_text, policy.policy_text)
                self._cache[policy.digest] = ref
            return ref

    def __call__(self, policy: CompiledPolicy, r: DecisionRequest) -> tuple[Grant, ...]:
        ref = self.reference(policy)
        for form in (Form.CONTENT, Form.HIT):
            allowed, row = ref.enforce(
                r.requester, r.role, r.provider, r.category, r.purpose, r.phase, str(form)
            )
            if allowed:
                return (Grant(flow=row[9], article=row[10], ground=row[11], form=Form(row[6])),)
        return ()
