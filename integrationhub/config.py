"""Parsing of the environment into settings values (apart from settings.py, to be testable)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import dj_database_url

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUE_WORDS


def env_list(value: str | None, default: list[str]) -> list[str]:
    if not value:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_currency(value: str | None, default: str, *, name: str = "IHUB_GROUP_CURRENCY") -> str:
    """A three-letter currency code (ISO 4217 shape), upper-cased; a malformed one stops start-up
    rather than reports converting to a currency no rate will ever exist for."""
    if value is None or not value.strip():
        return default
    code = value.strip().upper()
    if len(code) != 3 or not (code.isascii() and code.isalpha()):
        raise ValueError(f"{name} must be a three-letter currency code such as EUR, got {value!r}")
    return code


def database_from_url(url: str) -> dict:
    """One Django DATABASES entry from a DATABASE_URL.

    PostgreSQL gets persistent connections with health checks (CONN_MAX_AGE + CONN_HEALTH_CHECKS)
    so a restarted server costs one failed check, not a failed request. SQLite gets a busy timeout
    and WAL so the web process and the worker can share the demo file.
    """
    config = dj_database_url.parse(url, conn_max_age=0)
    engine = config["ENGINE"]
    if "postgresql" in engine:
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("connect_timeout", 5)
        # The test database gets its own name so parallel legs never collide.
        config["TEST"] = {"NAME": f"test_{config['NAME']}"}
    elif "sqlite" in engine:
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


def redis_from_url(url: str | None) -> dict | None:
    """django-q2's redis broker settings from REDIS_URL, or None for the ORM broker."""
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss"}:
        raise ValueError(f"REDIS_URL must start with redis:// or rediss://, got {parsed.scheme!r}")
    db = parsed.path.lstrip("/") or parse_qs(parsed.query).get("db", ["0"])[0]
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 6379,
        "db": int(db),
        "password": parsed.password,
        "ssl": parsed.scheme == "rediss",
        "socket_timeout": 5,
    }
