"""Reads for entities: membership, the entity of a project, per-entity rules and FX rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet

from apps.entities.models import Entity, EntityMembership, EntitySorRule, FxRate


def group_currency() -> str:
    """The currency group reports convert to (settings.IHUB_GROUP_CURRENCY, default EUR)."""
    return str(getattr(settings, "IHUB_GROUP_CURRENCY", "EUR") or "EUR").upper()


def entity_ids_for_user(*, user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_ihub_entity_ids", None)
    if cached is None:
        cached = set(EntityMembership.objects.filter(user=user).values_list("entity_id", flat=True))
        user._ihub_entity_ids = cached
    return cached


def entity_list(*, user=None) -> QuerySet[Entity]:
    """Entities a user may see: admins and users without entity memberships see all of them."""
    queryset = Entity.objects.select_related("odoo_system", "vendor")
    if user is None:
        return queryset
    from apps.accounts.roles import is_admin

    ids = entity_ids_for_user(user=user)
    if is_admin(user) or not ids:
        return queryset
    return queryset.filter(id__in=ids)


def entity_for_project(*, project) -> Entity | None:
    if project is None or not getattr(project, "entity_id", None):
        return None
    return project.entity


def entity_for_system(*, system) -> Entity | None:
    """The entity an Odoo System serves, when it serves exactly one."""
    if system is None:
        return None
    rows = list(Entity.objects.filter(odoo_system=system)[:2])
    return rows[0] if len(rows) == 1 else None


def entity_sor_rules(*, entity_id: int, domain: str) -> list[EntitySorRule]:
    return list(
        EntitySorRule.objects.filter(entity_id=entity_id, domain=domain, enabled=True)
        .select_related("authority_system")
        .order_by("field")
    )


def sor_rules_merge(*, group_rules: list, entity_rules: list) -> list:
    """Group rules with the entity's rules replacing those of the same field; whole-record rule
    first (sor_evaluate reads the first rule without a field as the domain rule)."""
    by_field = {rule.field: rule for rule in group_rules}
    for rule in entity_rules:
        by_field[rule.field] = rule
    return sorted(by_field.values(), key=lambda rule: rule.field)


def fx_rate_on(*, base_currency: str, currency: str, on: date) -> FxRate | None:
    """The rate in force on a day: the latest one dated on or before it."""
    return (
        FxRate.objects.filter(base_currency=base_currency, currency=currency, rate_date__lte=on)
        .order_by("-rate_date")
        .first()
    )


class FxRateMissing(Exception):
    def __init__(self, currency: str, to_currency: str, on: date):
        super().__init__(f"No {currency}→{to_currency} rate on or before {on}.")
        self.currency = currency
        self.to_currency = to_currency
        self.on = on


def _units_per_base(base: str, currency: str, on: date) -> tuple[Decimal, FxRate | None]:
    if currency == base:
        return Decimal(1), None
    rate = fx_rate_on(base_currency=base, currency=currency, on=on)
    if rate is None:
        raise FxRateMissing(currency, base, on)
    return rate.rate, rate


def fx_convert(*, amount: Decimal, from_currency: str, to_currency: str, on: date) -> dict:
    """Convert with the dated rates: {"amount": Decimal, "rate": Decimal, "rate_date": date}.
    Cross rates go through the base currency the rates are stored against."""
    from apps.projects.money import quantize_money

    if from_currency == to_currency:
        return {"amount": amount, "rate": Decimal(1), "rate_date": None}
    bases = set(FxRate.objects.values_list("base_currency", flat=True).distinct())
    for base in sorted(bases, key=lambda b: (b != to_currency, b != from_currency, b)):
        try:
            units_from, rate_from = _units_per_base(base, from_currency, on)
            units_to, rate_to = _units_per_base(base, to_currency, on)
        except FxRateMissing:
            continue
        rate = units_to / units_from
        dates = [r.rate_date for r in (rate_from, rate_to) if r is not None]
        return {
            "amount": quantize_money(amount * rate, to_currency),
            "rate": rate.quantize(Decimal("0.000001")),
            "rate_date": min(dates) if dates else None,
        }
    raise FxRateMissing(from_currency, to_currency, on)


def entity_id_for_transaction(*, transaction, record: dict) -> int | None:
    """The entity an inbound write belongs to, before mapping: the project resolved at ingest,
    else a project code in the record, else the entity the sending Odoo System serves."""
    from apps.projects.models import Project

    if transaction.project_id:
        return (
            Project.objects.filter(pk=transaction.project_id)
            .values_list("entity_id", flat=True)
            .first()
        )
    for key in ("project_ref", "project_code", "project"):
        ref = record.get(key)
        if isinstance(ref, str | int) and not isinstance(ref, bool) and str(ref):
            entity_id = (
                Project.objects.filter(code=str(ref)).values_list("entity_id", flat=True).first()
            )
            if entity_id:
                return entity_id
    if getattr(transaction, "system_id", None):
        entity = entity_for_system(system=transaction.system)
        return entity.pk if entity is not None else None
    return None


def entity_approval_thresholds(
    *, document_type: str, currency: str, project_id: int | None
) -> list:
    """The approval thresholds of the entity that owns a project (empty: none of its own)."""
    from apps.entities.models import EntityApprovalThreshold
    from apps.projects.models import Project

    if project_id is None:
        return []
    entity_id = Project.objects.filter(pk=project_id).values_list("entity_id", flat=True).first()
    if not entity_id:
        return []
    return list(
        EntityApprovalThreshold.objects.filter(
            entity_id=entity_id, document_type=document_type, currency=currency
        )
    )


def group_report(*, user, on: date, currency: str | None = None) -> dict:
    """Budget, commitments and actual per entity and currency, each in its own currency and
    converted to the group currency with the rate in force on `on` (both always shown).
    Amounts whose rate is missing are reported, not converted, and named in `missing_rates`."""
    from django.db.models import Sum

    from apps.accounts.selectors import scope_to_user_projects
    from apps.procurement.choices import CommitmentStatus
    from apps.procurement.models import Commitment
    from apps.projects.models import BudgetLine
    from apps.projects.money import quantize_money

    target = (currency or group_currency()).upper()
    budget_rows = (
        scope_to_user_projects(BudgetLine.objects.all(), user=user, include_unscoped=False)
        .values("project__entity_id", "currency")
        .annotate(
            budget=Sum("original_amount"),
            changes=Sum("approved_changes"),
            actual=Sum("actual"),
        )
    )
    committed_rows = (
        scope_to_user_projects(Commitment.objects.all(), user=user, include_unscoped=False)
        .filter(
            status__in=[
                CommitmentStatus.APPROVED,
                CommitmentStatus.ISSUED,
                CommitmentStatus.COMPLETED,
                CommitmentStatus.CLOSED,
            ]
        )
        .values("project__entity_id", "currency")
        .annotate(committed=Sum("total_amount"))
    )
    cells: dict[tuple, dict] = {}
    for row in budget_rows:
        key = (row["project__entity_id"], row["currency"])
        cell = cells.setdefault(key, {})
        cell["budget"] = (row["budget"] or Decimal(0)) + (row["changes"] or Decimal(0))
        cell["actual"] = row["actual"] or Decimal(0)
    for row in committed_rows:
        key = (row["project__entity_id"], row["currency"])
        cells.setdefault(key, {})["committed"] = row["committed"] or Decimal(0)
    entities = {e.pk: e for e in Entity.objects.filter(pk__in={k[0] for k in cells if k[0]})}
    measures = ("budget", "committed", "actual")
    rows, missing = [], set()
    totals = {m: Decimal(0) for m in measures}
    for (entity_id, row_currency), cell in sorted(
        cells.items(), key=lambda item: (getattr(entities.get(item[0][0]), "code", "~"), item[0][1])
    ):
        row = {"entity": entities.get(entity_id), "currency": row_currency, "rate": None}
        for measure in measures:
            amount = quantize_money(cell.get(measure) or Decimal(0), row_currency)
            row[measure] = amount
            try:
                converted = fx_convert(
                    amount=amount, from_currency=row_currency, to_currency=target, on=on
                )
            except FxRateMissing:
                missing.add(row_currency)
                row[f"{measure}_group"] = None
                continue
            row[f"{measure}_group"] = converted["amount"]
            row["rate"] = converted["rate"]
            row["rate_date"] = converted["rate_date"]
            totals[measure] += converted["amount"]
        rows.append(row)
    from apps.accounts.selectors import user_project_ids

    intercompany = intercompany_committed(
        on=on, target=target, project_ids=user_project_ids(user=user)
    )
    missing.update(intercompany["missing_rates"])
    return {
        "currency": target,
        "on": on,
        "rows": rows,
        "totals": totals,
        # Commitments between two entities of the group are eliminated on consolidation.
        "intercompany_eliminated": intercompany["amount"],
        "committed_consolidated": totals["committed"] - intercompany["amount"],
        "missing_rates": sorted(missing),
        "complete": not missing,
    }


def entity_odoo_system_ids() -> set[int]:
    """The Odoo Systems an active entity claims (documents of other projects do not go there)."""
    return set(
        Entity.objects.filter(active=True, odoo_system__isnull=False)
        .values_list("odoo_system_id", flat=True)
        .distinct()
    )


def project_entity_ids(*, project_ids) -> dict[int, int | None]:
    """{project id: its entity id (None: a group project)} in one query."""
    from apps.projects.models import Project

    wanted = {pid for pid in project_ids if pid is not None}
    if not wanted:
        return {}
    found = dict(Project.objects.filter(pk__in=wanted).values_list("pk", "entity_id"))
    return {pid: found.get(pid) for pid in wanted}


def intercompany_list(*, user, limit: int = 200) -> list:
    """Intercompany commitments the user may see: those of their projects, and those their
    entities buy or sell (a seller's people see what the group buys from them)."""
    from django.db.models import Q

    from apps.accounts.selectors import user_project_ids
    from apps.entities.models import IntercompanyCommitment

    queryset = IntercompanyCommitment.objects.select_related(
        "commitment__project", "commitment__vendor", "buyer", "seller"
    )
    project_ids = user_project_ids(user=user)
    if project_ids is not None:
        entity_ids = entity_ids_for_user(user=user)
        queryset = queryset.filter(
            Q(commitment__project_id__in=project_ids)
            | Q(buyer_id__in=entity_ids)
            | Q(seller_id__in=entity_ids)
        )
    return list(queryset[:limit])


def intercompany_committed(*, on: date, target: str, project_ids: set[int] | None) -> dict:
    """Intercompany committed amounts (live commitments between two entities), in the group
    currency: they are eliminated from the consolidated group total."""
    from apps.entities.models import IntercompanyCommitment, IntercompanyState
    from apps.procurement.choices import COMMITTED_STATUSES

    rows = IntercompanyCommitment.objects.exclude(state=IntercompanyState.CANCELLED).filter(
        commitment__status__in=COMMITTED_STATUSES
    )
    if project_ids is not None:  # only what the report's committed figures include
        rows = rows.filter(commitment__project_id__in=project_ids)
    total, missing = Decimal(0), set()
    for currency, amount in rows.values_list("commitment__currency", "commitment__total_amount"):
        try:
            total += fx_convert(amount=amount, from_currency=currency, to_currency=target, on=on)[
                "amount"
            ]
        except FxRateMissing:
            missing.add(currency)
    return {"amount": total, "missing_rates": sorted(missing)}
