"""IHUB_GROUP_CURRENCY comes from the environment (default EUR), validated as three letters, and
the group report converts to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from integrationhub.config import env_currency

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, "EUR"), ("", "EUR"), ("  ", "EUR"), ("gbp", "GBP"), (" USD ", "USD")],
)
def test_env_currency_reads_three_letters_upper_cased(raw, expected):
    assert env_currency(raw, "EUR") == expected


@pytest.mark.parametrize("raw", ["EURO", "EU", "E1R", "€UR", "ÄBC"])
def test_env_currency_refuses_anything_but_three_letters(raw):
    with pytest.raises(ValueError, match="IHUB_GROUP_CURRENCY"):
        env_currency(raw, "EUR")


def _settings_value(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "IHUB_GROUP_CURRENCY"}
    if value is not None:
        env["IHUB_GROUP_CURRENCY"] = value
    return subprocess.run(
        [sys.executable, "-c", "import integrationhub.settings as s; print(s.IHUB_GROUP_CURRENCY)"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_read_the_group_currency_from_the_environment():
    assert _settings_value(None).stdout.strip() == "EUR"
    assert _settings_value("chf").stdout.strip() == "CHF"
    refused = _settings_value("EURO")
    assert refused.returncode != 0 and "three-letter currency code" in refused.stderr


@pytest.mark.django_db
def test_group_report_converts_to_the_configured_currency(settings, api_client_for, ada):
    settings.IHUB_GROUP_CURRENCY = "GBP"
    report = api_client_for(ada).get("/api/v1/entities/group-report/").json()
    assert report["currency"] == "GBP"
