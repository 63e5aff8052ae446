"""The one error hierarchy of exchange.

Every failure that crosses a module boundary is an :class:`ExchangeError`. Third-party exceptions are
translated where they enter (the Casbin adapter, the crypto adapter, storage), so callers handle a
handful of families instead of every library's own. The API maps these families to HTTP problem
responses in exactly one place; the CLI prints :meth:`ExchangeError.diagnostics` and exits non-zero.
"""

from __future__ import annotations


class ExchangeError(Exception):
    """Root of every error exchange raises on purpose."""

    #: A short machine-readable kind, used as the problem ``type`` suffix and in log events.
    kind = "error"

    def __init__(self, *args: object, code: str | None = None) -> None:
        super().__init__(*args)
        #: Why, as a reason code for the log (a refusal is logged with it); the kind by default.
        self.code = code or self.kind

    def diagnostics(self) -> str:
        """A message for a person: what was wrong and, where possible, what to do about it."""
        return str(self)


class DeniedError(ExchangeError):
    """The covenant, the case state or a limit does not allow what was asked."""

    kind = "denied"


class VerificationError(ExchangeError):
    """A signature, proof, checksum or envelope did not verify."""

    kind = "verification"


class LogIntegrityError(VerificationError):
    """The service's own disclosure log failed verification: nothing can be recorded safely."""

    kind = "log-integrity"


class NotFoundError(ExchangeError):
    """The resource does not exist, or the caller may not know that it does.

    An unknown resource and a forbidden one are answered alike, so this class is also used where the
    truth is "exists but not yours".
    """

    kind = "not-found"


class ConflictError(ExchangeError):
    """The request conflicts with the current state (a duplicate, a stale version, a fork)."""

    kind = "conflict"


class InvalidInputError(ExchangeError):
    """Input is malformed: a bad identifier, an unparseable file, a value out of range."""

    kind = "invalid-input"


class ConfigurationError(ExchangeError):
    """The service or a file it needs is configured wrongly (missing secret, bad covenant)."""

    kind = "configuration"


class StorageError(ExchangeError):
    """The store could not durably record what was asked; nothing was disclosed."""

    kind = "storage"


class PayloadTooLarge(InvalidInputError):
    """A request body over the service's limit."""

    kind = "payload-too-large"


class Overloaded(ExchangeError):
    """The process is at capacity (load shedding); the client retries after ``Retry-After``."""

    kind = "overloaded"


class RateLimited(ExchangeError):
    """Too many requests of one kind (joins from one source, or pending joins of a covenant); the
    client tries again after ``retry_after`` seconds (HTTP 429 with ``Retry-After``)."""

    kind = "rate-limited"

    def __init__(self, *args: object, retry_after: int, code: str | None = None) -> None:
        super().__init__(*args, code=code)
        self.retry_after = max(1, retry_after)


#: Each family's HTTP status and title, most specific first. The API's problem documents, its
#: middleware and the console's error pages all answer through :func:`http_status`, so one error
#: gets one status wherever it surfaces.
_HTTP: tuple[tuple[type[ExchangeError], int, str], ...] = (
    (PayloadTooLarge, 413, "Payload too large"),
    (RateLimited, 429, "Too many requests"),
    (Overloaded, 503, "Overloaded"),
    # Before VerificationError, which means the caller's credentials did not verify: fail closed.
    (LogIntegrityError, 503, "Disclosure log failed verification"),
    (VerificationError, 401, "Not authenticated"),
    (DeniedError, 403, "Not allowed"),
    (NotFoundError, 404, "Not found"),
    (ConflictError, 409, "Conflict"),
    (InvalidInputError, 400, "Bad request"),
    (StorageError, 503, "Temporarily unable to record"),
    (ConfigurationError, 503, "Service not ready"),
)


def http_status(exc: ExchangeError) -> tuple[int, str]:
    """The HTTP status and title for ``exc``; 500 for an error of no known family."""
    for cls, status, title in _HTTP:
        if isinstance(exc, cls):
            return status, title
    return 500, "Internal error"
