"""Reads for the sync engine and its screens: SoR decisions, routing, mappings, bindings, jobs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps as django_apps
from django.db.models import Q, QuerySet

from apps.connectors.models import System
from apps.core.errors import NotFoundError
from apps.sync.choices import (
    BreakerState,
    ConflictPolicy,
    MappingKind,
    SuggestionStatus,
    SyncDirection,
)
from apps.sync.models import (
    Binding,
    CanonicalRecord,
    CircuitBreaker,
    ConfigRevision,
    JobLogLine,
    JobRun,
    Mapping,
    MappingSuggestion,
    QuotaUsage,
    SyncPolicy,
    SystemOfRecordRule,
)

# --- system of record ---------------------------------------------------------------------------


@dataclass
class SorDecision:
    """What the SoR rules say about a write from `system`: accept it, ignore it or flag it, and
    which fields must be dropped (ignored) or reviewed (flagged)."""

    outcome: str = ConflictPolicy.ACCEPT
    rule: SystemOfRecordRule | None = None
    ignored_fields: list[str] = field(default_factory=list)
    flagged_fields: list[str] = field(default_factory=list)
    authority: str = ""

    @property
    def reason(self) -> str:
        parts = []
        if self.rule is not None and self.outcome != ConflictPolicy.ACCEPT:
            parts.append(
                f"{self.rule.authority_label} is the system of record for {self.rule.domain}"
            )
        if self.flagged_fields:
            parts.append("fields owned by another system: " + ", ".join(self.flagged_fields))
        if self.ignored_fields:
            parts.append("fields dropped (owned elsewhere): " + ", ".join(self.ignored_fields))
        return "; ".join(parts)


def sor_rules_for(*, domain: str) -> list[SystemOfRecordRule]:
    return list(
        SystemOfRecordRule.objects.filter(domain=domain, enabled=True).select_related(
            "authority_system"
        )
    )


def sor_evaluate(*, domain: str, system: System, fields: Iterable[str], rules=None) -> SorDecision:
    """Apply the domain rule, then the per-field rules for the fields the write carries."""
    rules = sor_rules_for(domain=domain) if rules is None else rules
    decision = SorDecision()
    present = set(fields)
    for rule in rules:
        if rule.field:
            continue
        decision.authority = rule.authority_label
        if not rule.is_authority(system):
            decision.rule = rule
            decision.outcome = rule.conflict_policy
        break
    if decision.outcome == ConflictPolicy.IGNORE:
        return decision
    for rule in rules:
        if not rule.field or rule.field not in present or rule.is_authority(system):
            continue
        if rule.conflict_policy == ConflictPolicy.IGNORE:
            decision.ignored_fields.append(rule.field)
        elif rule.conflict_policy == ConflictPolicy.FLAG:
            decision.flagged_fields.append(rule.field)
            decision.rule = decision.rule or rule
    if decision.flagged_fields and decision.outcome == ConflictPolicy.ACCEPT:
        decision.outcome = ConflictPolicy.FLAG
    return decision


def sor_rule_list() -> QuerySet[SystemOfRecordRule]:
    return SystemOfRecordRule.objects.select_related("authority_system", "updated_by")


# --- sync policies and routing ------------------------------------------------------------------


def sync_policy_list(*, domain: str = "", system_id: int | None = None) -> QuerySet[SyncPolicy]:
    queryset = SyncPolicy.objects.select_related(
        "source_system", "target_system", "project", "entity", "updated_by"
    )
    if domain:
        queryset = queryset.filter(domain=domain)
    if system_id:
        queryset = queryset.filter(Q(source_system_id=system_id) | Q(target_system_id=system_id))
    return queryset


# Default of the `entity_id` arguments below: "the entity of `project_id`" (one query). Callers
# that know it (None included: a group project) pass it and save the query.
FROM_PROJECT: Any = object()


def _project_entity_id(project_id: int | None) -> int | None:
    if project_id is None:
        return None
    from apps.projects.models import Project

    return Project.objects.filter(pk=project_id).values_list("entity_id", flat=True).first()


def _scope_rank(row) -> int:
    """Project row 2 > entity row 1 > group row 0 (the most specific row wins)."""
    return 2 if row.project_id else 1 if row.entity_id else 0


def route_policies(
    *, domain: str, source_system: System, project_id: int | None, entity_id=FROM_PROJECT
) -> list:
    """The effective, enabled policies that carry a write of `domain` from `source_system` on to
    another system: one per target, the most specific row winning (the project's own row, else
    its entity's row, else the group row). A disabled project or entity row switches the route
    off for that project or for the entity's projects. `entity_id` defaults to the project's
    entity (pass it when known, to save the query)."""
    if entity_id is FROM_PROJECT:
        entity_id = _project_entity_id(project_id)
    candidates = SyncPolicy.objects.filter(domain=domain).filter(
        Q(source_system=source_system)
        | Q(target_system=source_system, direction=SyncDirection.TWO_WAY)
    )
    scope = Q(project__isnull=True, entity__isnull=True)
    if project_id is not None:
        scope |= Q(project_id=project_id)
    if entity_id is not None:
        scope |= Q(entity_id=entity_id)
    chosen: dict[int, SyncPolicy] = {}
    for policy in candidates.filter(scope).select_related("source_system", "target_system"):
        other = (
            policy.target_system
            if policy.source_system_id == source_system.pk
            else policy.source_system
        )
        current = chosen.get(other.pk)
        if current is None or _scope_rank(policy) > _scope_rank(current):
            policy.route_target = other
            chosen[other.pk] = policy
    return [p for p in chosen.values() if p.enabled and p.route_target.enabled]


# --- mappings -----------------------------------------------------------------------------------


def _mapping_scope(project_id: int | None, entity_id: int | None) -> Q:
    scope = Q(project__isnull=True, entity__isnull=True)
    if project_id is not None:
        scope |= Q(project_id=project_id)
    if entity_id is not None:
        scope |= Q(entity_id=entity_id)
    return scope


def mapping_lookup(
    *,
    kind: str,
    system,
    external_value: str,
    scope: str = "",
    project_id: int | None = None,
    entity_id=FROM_PROJECT,
) -> str | None:
    """The canonical value for a system's value, or None: the project's own mapping, else its
    entity's (`entity_id`, by default the project's entity), else the group mapping."""
    if entity_id is FROM_PROJECT:
        entity_id = _project_entity_id(project_id)
    rows = Mapping.objects.filter(
        kind=kind, system=system, scope=scope, external_value=external_value, active=True
    ).filter(_mapping_scope(project_id, entity_id))
    best = None
    for mapping in rows:
        if best is None or _scope_rank(mapping) > _scope_rank(best):
            best = mapping
    return best.canonical_value if best is not None else None


def mapping_reverse(
    *,
    kind: str,
    system,
    canonical_value: str,
    scope: str = "",
    project_id: int | None = None,
    entity_id=FROM_PROJECT,
) -> str | None:
    """The system's value for a canonical value (for outbound payloads), or None; project row >
    entity row (by default the project's entity) > group row, the oldest row within a scope."""
    if entity_id is FROM_PROJECT:
        entity_id = _project_entity_id(project_id)
    rows = Mapping.objects.filter(
        kind=kind, system=system, scope=scope, canonical_value=canonical_value, active=True
    ).filter(_mapping_scope(project_id, entity_id))
    best = None
    for mapping in rows.order_by("id"):
        if best is None or _scope_rank(mapping) > _scope_rank(best):
            best = mapping
    return best.external_value if best is not None else None


def mapping_list(
    *, kind: str = "", system_id: int | None = None, search: str = "", active: bool | None = True
) -> QuerySet[Mapping]:
    queryset = Mapping.objects.select_related("system", "project", "entity", "updated_by")
    if kind:
        queryset = queryset.filter(kind=kind)
    if system_id:
        queryset = queryset.filter(system_id=system_id)
    if active is not None:
        queryset = queryset.filter(active=active)
    if search:
        queryset = queryset.filter(
            Q(external_value__icontains=search)
            | Q(canonical_value__icontains=search)
            | Q(external_label__icontains=search)
        )
    return queryset


def config_history(*, obj) -> QuerySet[ConfigRevision]:
    return ConfigRevision.objects.filter(
        object_type=obj._meta.label_lower, object_id=obj.pk
    ).select_related("actor")


def mapping_suggestion_list(*, status: str = SuggestionStatus.PROPOSED) -> QuerySet:
    return MappingSuggestion.objects.filter(status=status).select_related("system")


@dataclass(frozen=True)
class CanonicalValue:
    value: str
    label: str = ""


def _optional_model(label: str):
    try:
        return django_apps.get_model(label)
    except LookupError:
        return None


def canonical_candidates(*, kind: str) -> list[CanonicalValue]:
    """The canonical values a mapping of `kind` may point at (for autolink and the forms):
    the owning app's records where it has them, the canonical store, and values already used."""
    found: dict[str, str] = {}
    if kind == MappingKind.PROJECT:
        from apps.projects.models import Project

        found.update({p.code: p.name for p in Project.objects.all()})
    domain = {MappingKind.COST_CODE: "cost_code", MappingKind.VENDOR: "vendor"}.get(kind)
    if kind == MappingKind.COST_CODE:
        cost_code_model = _optional_model("projects.CostCode")
        if cost_code_model is not None:
            for row in cost_code_model.objects.all()[:20000]:
                found.setdefault(str(getattr(row, "code", "")), str(getattr(row, "name", "")))
    if kind == MappingKind.VENDOR:
        vendor_model = _optional_model("procurement.Vendor")
        if vendor_model is not None:
            for row in vendor_model.objects.all()[:20000]:
                key = str(getattr(row, "code", "") or getattr(row, "pk", ""))
                found.setdefault(key, str(getattr(row, "name", "")))
    if domain:
        for record in CanonicalRecord.objects.filter(domain=domain)[:20000]:
            found.setdefault(record.canonical_id, str(record.data.get("name", "")))
    for value in (
        Mapping.objects.filter(kind=kind, active=True)
        .values_list("canonical_value", flat=True)
        .distinct()[:20000]
    ):
        found.setdefault(value, "")
    found.pop("", None)
    return [CanonicalValue(value=k, label=v) for k, v in sorted(found.items())]


# --- bindings -----------------------------------------------------------------------------------


def binding_get(*, system, domain: str, canonical_id: str) -> Binding | None:
    return Binding.objects.filter(
        system=system, domain=domain, canonical_id=str(canonical_id)
    ).first()


def binding_list(
    *,
    system_id: int | None = None,
    domain: str = "",
    orphaned: bool | None = None,
    search: str = "",
) -> QuerySet[Binding]:
    queryset = Binding.objects.select_related("system", "project")
    if system_id:
        queryset = queryset.filter(system_id=system_id)
    if domain:
        queryset = queryset.filter(domain=domain)
    if orphaned is True:
        queryset = queryset.filter(orphaned_at__isnull=False)
    elif orphaned is False:
        queryset = queryset.filter(orphaned_at__isnull=True)
    if search:
        queryset = queryset.filter(Q(canonical_id=search) | Q(external_id=search))
    return queryset


# --- jobs, breakers, quota ----------------------------------------------------------------------


def job_run_list(
    *, kind: str = "", status: str = "", system_id: int | None = None
) -> QuerySet[JobRun]:
    queryset = JobRun.objects.select_related("system", "policy", "requested_by", "project")
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if system_id:
        queryset = queryset.filter(system_id=system_id)
    return queryset


def job_run_get(*, job_id: int) -> JobRun:
    job = job_run_list().filter(pk=job_id).first()
    if job is None:
        raise NotFoundError("No such job run.")
    return job


def job_log_lines(*, job: JobRun, limit: int = 200) -> list[JobLogLine]:
    """The last `limit` lines, oldest first."""
    lines = list(JobLogLine.objects.filter(job=job).order_by("-id")[:limit])
    lines.reverse()
    return lines


def breaker_list() -> QuerySet[CircuitBreaker]:
    return CircuitBreaker.objects.select_related("system").order_by("system__code")


def breakers_open() -> list[CircuitBreaker]:
    return list(
        CircuitBreaker.objects.exclude(state=BreakerState.CLOSED)
        .select_related("system")
        .order_by("system__code")
    )


def quota_usage_recent(*, system, minutes: int = 60) -> list[QuotaUsage]:
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(minutes=minutes)
    return list(
        QuotaUsage.objects.filter(system=system, window_start__gte=since).order_by("window_start")
    )
