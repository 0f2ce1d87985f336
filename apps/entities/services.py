"""Writes for entities: FX rates pulled from Odoo in batch, memberships."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.entities.models import Entity, EntityMembership, FxRate

RATE_FIELDS = ["name", "rate", "currency_id", "company_id"]


def _many2one_name(value) -> str:
    """Odoo returns a many2one as [id, display name] (or False)."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return str(value[1])
    return ""


def _many2one_id(value) -> int | None:
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def fx_rates_pull(*, system, since: date | None = None, actor=None, client=None) -> dict:
    """Pull res.currency.rate from an Odoo System in one batch call and store the dated rates
    against each company's currency. Idempotent per (base, currency, day): a re-pull updates.
    Returns {"created": n, "updated": n, "skipped": n}."""
    if system.kind != "odoo":
        raise ApplicationError(f"{system.code} is not an Odoo System.", code="not_odoo")
    if client is None:
        from apps.connectors.odoo.client import odoo_client_for

        client = odoo_client_for(system)
    companies = client.call("res.company", "search_read", [[]], {"fields": ["id", "currency_id"]})
    base_by_company = {row["id"]: _many2one_name(row.get("currency_id")) for row in companies or []}
    default_base = base_by_company.get(1) or next(iter(base_by_company.values()), "")
    domain = [["name", ">=", since.isoformat()]] if since else []
    rows = client.call(
        "res.currency.rate",
        "search_read",
        [domain],
        {"fields": RATE_FIELDS, "order": "name asc"},
    )
    counts = {"created": 0, "updated": 0, "skipped": 0}
    with transaction.atomic():
        for row in rows or []:
            currency = _many2one_name(row.get("currency_id")).upper()[:3]
            company_id = _many2one_id(row.get("company_id"))
            base = (base_by_company.get(company_id) if company_id else default_base) or ""
            try:
                rate = Decimal(str(row.get("rate")))
                day = date.fromisoformat(str(row.get("name"))[:10])
            except (InvalidOperation, ValueError):
                counts["skipped"] += 1
                continue
            if not currency or not base or currency == base or rate <= 0:
                counts["skipped"] += 1
                continue
            _, created = FxRate.objects.update_or_create(
                base_currency=base.upper()[:3],
                currency=currency,
                rate_date=day,
                defaults={
                    "rate": rate.quantize(Decimal("0.0000000001")),
                    "source_system": system,
                    "external_id": str(row.get("id") or ""),
                },
            )
            counts["created" if created else "updated"] += 1
        audit_record(
            actor=actor,
            action="fx.pull",
            target=system,
            detail={**counts, "since": since.isoformat() if since else None},
        )
    return counts


@transaction.atomic
def entity_membership_add(*, entity: Entity, user, actor) -> EntityMembership:
    """Scope a user to an entity (audited)."""
    membership, _ = EntityMembership.objects.get_or_create(entity=entity, user=user)
    audit_record(
        actor=actor,
        action="entity.member_add",
        target=entity,
        detail={"user": user.get_username()},
    )
    return membership
