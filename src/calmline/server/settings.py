"""Server settings, read from the environment so every worker process sees the same ones."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from calmline.storage.database import data_dir, database_url

# Seconds a turn's or a draft's analysis may take before it is stopped and answered with an error.
ANALYSIS_BUDGET_SECONDS = 2.0


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url)
    redis_url: str | None = field(default_factory=lambda: os.environ.get("CALMLINE_REDIS_URL") or None)
    max_body_bytes: int = field(default_factory=lambda: _int("CALMLINE_MAX_BODY_BYTES", 256 * 1024))
    rate_per_second: int = field(default_factory=lambda: _int("CALMLINE_RATE_LIMIT", 200))
    rate_burst: int = field(default_factory=lambda: _int("CALMLINE_RATE_BURST", 400))
    webhook_allow_private: bool = field(
        default_factory=lambda: os.environ.get("CALMLINE_WEBHOOK_ALLOW_PRIVATE", "") in ("1", "true", "yes")
    )
    webhook_poll_seconds: float = 1.0
    overdue_poll_seconds: float = field(default_factory=lambda: float(_int("CALMLINE_OVERDUE_POLL", 30)))
    # Live conversations kept in memory per worker, counted in turns (a session's memory grows with its
    # history). Past it the least recently active are dropped and rebuilt from storage if they go on.
    session_cache_turns: int = field(default_factory=lambda: _int("CALMLINE_SESSION_CACHE_TURNS", 20_000))
    analysis_budget_seconds: float = field(
        default_factory=lambda: _float("CALMLINE_ANALYSIS_BUDGET", ANALYSIS_BUDGET_SECONDS)
    )


def secret_key() -> bytes:
    """The server's signing key: ``CALMLINE_SECRET_KEY``, else a random key kept in the data dir (mode 600).

    Webhook signing secrets are derived from it, so no secret has to be stored in the database.
    Several machines serving one database must share it through the environment.
    """
    configured = os.environ.get("CALMLINE_SECRET_KEY")
    if configured:
        return configured.encode()
    path = Path(data_dir()) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
