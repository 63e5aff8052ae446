"""Outside dev mode the service refuses missing or placeholder secrets, and says which."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from exchange.config import Settings, looks_like_placeholder, refuse_weak_secrets, secret_problems
from exchange.errors import ConfigurationError

TOKEN = SecretStr(secrets.token_urlsafe(32))


def settings(**kw: object) -> Settings:
    return Settings(**{"mode": "production", "metrics_token": TOKEN, **kw})  # type: ignore[arg-type]


def test_dev_mode_asks_nothing() -> None:
    assert secret_problems(Settings(mode="dev")) == []


def test_production_is_the_default_and_needs_the_metrics_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_MODE", raising=False)
    monkeypatch.delenv("EXCHANGE_METRICS_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match="EXCHANGE_METRICS_TOKEN is not set"):
        refuse_weak_secrets(Settings())


@pytest.mark.parametrize(
    "token",
    [
        "changeme",
        "changeme-changeme-changeme-changeme",
        "<generate a token here>",
        "a" * 40,
        "${METRICS_TOKEN}",
        "x" * 64,
        "0123456789" * 4,
        "short-but-random-Q7",
    ],
)
def test_placeholder_tokens_are_refused(token: str) -> None:
    problems = secret_problems(settings(metrics_token=SecretStr(token)))
    assert problems and "EXCHANGE_METRICS_TOKEN looks like a placeholder" in problems[0]


def test_a_generated_token_passes() -> None:
    assert secret_problems(settings()) == []


@given(st.binary(min_size=32, max_size=32), st.sampled_from(["test", "demo", "secret"]), st.integers(0, 43))
def test_generated_tokens_pass_even_with_a_word_inside(raw: bytes, word: str, at: int) -> None:
    """A random token that happens to contain a placeholder word is still accepted (unless it is
    degenerate, like 32 zero bytes)."""
    token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    token = token[:at] + word + token[at:]
    assert looks_like_placeholder(token) == (len(set(token)) < 16)


@pytest.mark.parametrize(
    ("url", "bad"),
    [
        ("sqlite:///var/exchange.db", False),
        ("postgresql+psycopg://exchange@db/exchange", False),  # peer or certificate authentication
        ("postgresql+psycopg://exchange:postgres@db/exchange", True),
        ("postgresql+psycopg://exchange:changeme@db/exchange", True),
        ("postgresql+psycopg://exchange:s3cr3t@db/exchange", True),  # too short
        pytest.param(
            f"postgresql+psycopg://exchange:{secrets.token_urlsafe(24)}@db/exchange",
            False,
            id="random-password",
        ),
        ("not a url", True),
    ],
)
def test_database_password(url: str, bad: bool) -> None:
    problems = secret_problems(settings(database_url=url))
    assert bool(problems) is bad
    if bad:
        assert "EXCHANGE_DATABASE_URL" in problems[0]
        assert "changeme" not in problems[0] and "postgres:" not in problems[0]  # never echo the value


def _key(tmp_path: Path, content: str, mode: int = 0o600) -> Path:
    path = tmp_path / "log-key"
    path.write_text(content)
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (None, 0o600, "does not exist"),
        pytest.param(secrets.token_hex(32), 0o644, "readable by others", id="random-key-0644"),
        ("not hex", 0o600, "does not hold a hex key"),
        pytest.param(secrets.token_hex(16), 0o600, "32-byte", id="random-16-byte-key"),
        ("00" * 32, 0o600, "placeholder key"),
    ],
)
def test_log_key_problems(tmp_path: Path, content: str | None, mode: int, message: str) -> None:
    path = tmp_path / "log-key" if content is None else _key(tmp_path, content, mode)
    problems = secret_problems(settings(log_key_file=path), log_key=True)
    assert len(problems) == 1 and message in problems[0] and "EXCHANGE_LOG_KEY_FILE" in problems[0]


def test_a_good_log_key_passes(tmp_path: Path) -> None:
    path = _key(tmp_path, secrets.token_hex(32))
    assert secret_problems(settings(log_key_file=path), log_key=True) == []


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    s = Settings(
        mode="production",
        database_url="postgresql+psycopg://x:changeme@db/x",
        log_key_file=tmp_path / "missing",
    )
    with pytest.raises(ConfigurationError) as err:
        refuse_weak_secrets(s, log_key=True)
    text = str(err.value.diagnostics())
    assert "EXCHANGE_METRICS_TOKEN" in text and "EXCHANGE_DATABASE_URL" in text
    assert "EXCHANGE_LOG_KEY_FILE" in text and "EXCHANGE_MODE=dev" in text


def test_anomaly_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults are the rules' own; EXCHANGE_ANOMALY_* variables change them, and nonsense is refused."""
    from datetime import timedelta

    from pydantic import ValidationError

    from exchange.audit.anomalies import Thresholds

    assert Settings(mode="dev").anomaly_thresholds() == Thresholds()
    monkeypatch.setenv("EXCHANGE_ANOMALY_BURST_REQUESTS", "3")
    monkeypatch.setenv("EXCHANGE_ANOMALY_BURST_SUBJECTS", "40")
    monkeypatch.setenv("EXCHANGE_ANOMALY_BURST_WINDOW_SECONDS", "60")
    monkeypatch.setenv("EXCHANGE_ANOMALY_DENIALS", "2")
    monkeypatch.setenv("EXCHANGE_ANOMALY_DENIAL_WINDOW_SECONDS", "120")
    assert Settings(mode="dev").anomaly_thresholds() == Thresholds(
        3, 40, timedelta(minutes=1), 2, timedelta(minutes=2)
    )
    monkeypatch.setenv("EXCHANGE_ANOMALY_BURST_REQUESTS", "0")
    with pytest.raises(ValidationError, match="anomaly_burst_requests"):
        Settings(mode="dev")
