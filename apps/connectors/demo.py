"""Demo systems (idempotent). The signing secrets below are for the demo only — they are public
in this repository; production secrets are generated on the Systems page (shown once)."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.connectors.models import System

PLATFORM_BASE_URL = "http://127.0.0.1:8070"  # the platform simulator's follow-up GET server

# Fixed so the README's signed curl example and the platform emitter work against the demo.
DEMO_WEBHOOK_SECRETS = {
    "p6": "whsec_aWh1Yi1kZW1vLXA2LXNpZ25pbmcta2V5Li4uLi4uLi4=",
    "procore": "whsec_aWh1Yi1kZW1vLXByb2NvcmUtc2lnbmluZy1rZXkuLi4=",
    "acc": "whsec_aWh1Yi1kZW1vLWFjYy1zaWduaW5nLWtleS4uLi4uLi4=",
    "estimating": "whsec_aWh1Yi1kZW1vLWVzdGltYXRpbmctc2lnbmluZy1rZXk=",
    "field": "whsec_aWh1Yi1kZW1vLWZpZWxkLXNpZ25pbmcta2V5Li4uLi4=",
    "bank": "whsec_aWh1Yi1kZW1vLWJhbmstc2lnbmluZy1rZXkuLi4uLi4=",
}
DEMO_SECRET_ID = "demo"

DEMO_SYSTEMS = [
    # code, name, kind, connector, base URL, credentials
    (
        "odoo",
        "Odoo ERP",
        "odoo",
        "odoo",
        "http://127.0.0.1:8069",
        {"database": "odoo_sim", "username": "admin", "password": "admin"},
    ),
    ("p6", "Primavera P6", "scheduling", "p6", "", None),
    ("procore", "Procore", "document_control", "procore", PLATFORM_BASE_URL, None),
    ("acc", "Autodesk Construction Cloud", "document_control", "acc", PLATFORM_BASE_URL, None),
    ("estimating", "Estimating", "estimating", "estimating", PLATFORM_BASE_URL, None),
    ("field", "Field app", "field", "field", PLATFORM_BASE_URL, None),
    ("bank", "House bank (camt.053 / MT940)", "banking", "banking", "", None),
]


def seed(stdout) -> None:
    for code, name, kind, connector, base_url, credentials in DEMO_SYSTEMS:
        system, _ = System.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "connector": connector,
                "base_url": base_url,
                "environment": "test",
            },
        )
        changed = False
        if credentials and not system.credentials:
            system.credentials = credentials
            changed = True
        secret = DEMO_WEBHOOK_SECRETS.get(code)
        entries = list(system.webhook_secrets or [])
        if secret and not any(e.get("id") == DEMO_SECRET_ID for e in entries):
            entries.append(
                {
                    "id": DEMO_SECRET_ID,
                    "secret": secret,
                    "created_at": datetime.now(UTC).isoformat(),
                    "expires_at": None,
                }
            )
            system.webhook_secrets = entries
            changed = True
        if changed:
            system.save()
    stdout.write(f"  systems: {', '.join(code for code, *_ in DEMO_SYSTEMS)}")
