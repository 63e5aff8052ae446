"""What the console needs from the service that mounts it, and nothing more: the console depends on
this Protocol, not on the API's ``Service``, so the two edges stay apart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from exchange.audit.anomalies import Thresholds
from exchange.policies.engine import DecisionEngine
from exchange.policies.files import LoadedVersion
from exchange.storage.audit_store import AuditLog

T = TypeVar("T")


class Writer(Protocol):
    def run(self, unit: Callable[[Session], T], timeout: float | None = ...) -> T: ...


class ConsoleHost(Protocol):
    """The database's session factories, the log and its writer, the covenant versions, and the
    anomaly rules' thresholds."""

    @property
    def sessions(self) -> sessionmaker[Any]: ...
    @property
    def readers(self) -> sessionmaker[Any]: ...
    @property
    def writer(self) -> Writer: ...
    @property
    def log(self) -> AuditLog: ...
    @property
    def decisions(self) -> DecisionEngine: ...
    @property
    def versions(self) -> Sequence[LoadedVersion]: ...
    @property
    def anomaly_thresholds(self) -> Thresholds: ...
