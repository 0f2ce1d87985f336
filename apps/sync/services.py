"""Writes on the sync configuration (SoR rules, sync policies, mappings, suggestions, bindings,
delivery settings) and on job runs. Every admin change is versioned (ConfigRevision) and audited.

The pipeline, delivery, breaker, rate limiter, replay and reconciliation have their own modules
(pipeline.py, delivery.py, breaker.py, ratelimit.py, replay.py, reconciliation.py).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import socket
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.db.models import F
from django.forms.models import model_to_dict
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import ApplicationError
from apps.sync.choices import (
    BATCH_MODES,
    JobKind,
    JobStatus,
    JobTrigger,
    MappingKind,
    SuggestionStatus,
    SyncMode,
)
from apps.sync.models import (
    Binding,
    ConfigRevision,
    DeliverySettings,
    JobLogLine,
    JobRun,
    Mapping,
    MappingSuggestion,
    SyncPolicy,
    SystemOfRecordRule,
)

logger = logging.getLogger(__name__)


# --- history ------------------------------------------------------------------------------------


def _snapshot(obj) -> dict:
    data = model_to_dict(obj)
    return json.loads(json.dumps(data, default=str))


def config_revision_record(*, obj, action: str, actor=None, note: str = "") -> ConfigRevision:
    """Keep one version of a configuration row (its full values) for the history view."""
    return ConfigRevision.objects.create(
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        version=getattr(obj, "version", 1),
        action=action,
        data=_snapshot(obj),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        note=note[:300],
    )


def _changes(before: dict, after: dict) -> dict:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _save_versioned(
    *, obj, actor, values: dict, action_name: str, note: str = "", creating: bool, audit=True
) -> Any:
    """Apply `values`, bump the version, keep a revision and an audit entry. Caller is atomic."""
    before = {} if creating else _snapshot(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    if not creating:
        after = _snapshot(obj)
        changed = _changes(before, after)
        changed.pop("version", None)
        changed.pop("updated_by", None)
        if not changed:
            return obj
        obj.version = (obj.version or 1) + 1
    if hasattr(obj, "updated_by"):
        obj.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with db_transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ApplicationError(
            f"This {obj._meta.verbose_name} conflicts with an existing one.",
            code="duplicate",
            details={"error": str(exc)[:200]},
        ) from exc
    action = "created" if creating else "updated"
    config_revision_record(obj=obj, action=action, actor=actor, note=note)
    if audit:
        detail = {"version": obj.version, "values": _snapshot(obj)}
        if not creating:
            detail["changed"] = _changes(before, _snapshot(obj))
        audit_record(actor=actor, action=f"{action_name}.{action}", target=obj, detail=detail)
    return obj


# --- system-of-record rules ---------------------------------------------------------------------


@db_transaction.atomic
def sor_rule_save(
    *,
    actor,
    domain: str,
    conflict_policy: str,
    field: str = "",
    authority_system=None,
    authority_kind: str = "",
    enabled: bool = True,
    note: str = "",
    rule: SystemOfRecordRule | None = None,
) -> SystemOfRecordRule:
    """Create or change a system-of-record rule (versioned, audited)."""
    domain = (domain or "").strip()
    field = (field or "").strip()
    if not domain:
        raise ApplicationError("A rule needs a domain.", code="domain_required")
    if authority_system is None and not authority_kind:
        raise ApplicationError(
            "Name the authoritative system or system kind.", code="authority_required"
        )
    values = {
        "domain": domain,
        "field": field,
        "authority_system": authority_system,
        "authority_kind": "" if authority_system is not None else authority_kind,
        "conflict_policy": conflict_policy,
        "enabled": enabled,
        "note": note,
    }
    creating = rule is None
    if not creating:
        rule = SystemOfRecordRule.objects.select_for_update().get(pk=rule.pk)
    rule = rule or SystemOfRecordRule()
    return _save_versioned(
        obj=rule, actor=actor, values=values, action_name="sync.sor_rule", creating=creating
    )


def sor_rules_seed() -> int:
    """Create the default SoR rules that are missing (idempotent); returns how many."""
    from apps.sync.defaults import DEFAULT_SOR_RULES

    created = 0
    for domain, field_name, kind, policy, note in DEFAULT_SOR_RULES:
        _, was_created = SystemOfRecordRule.objects.get_or_create(
            domain=domain,
            field=field_name,
            defaults={"authority_kind": kind, "conflict_policy": policy, "note": note},
        )
        created += int(was_created)
    return created


# --- sync policies ------------------------------------------------------------------------------


def _validate_policy(mode: str, interval_minutes: int | None, cron: str) -> None:
    if mode == SyncMode.INTERVAL and not interval_minutes:
        raise ApplicationError("An interval policy needs its minutes.", code="interval_required")
    if mode == SyncMode.CRON:
        from croniter import croniter

        if not cron or not croniter.is_valid(cron):
            raise ApplicationError(f"{cron!r} is not a valid cron expression.", code="bad_cron")


@db_transaction.atomic
def sync_policy_save(
    *,
    actor,
    domain: str,
    source_system,
    target_system,
    mode: str = SyncMode.EVENT,
    direction: str = "one_way",
    interval_minutes: int | None = None,
    cron: str = "",
    batch_size: int = 100,
    enabled: bool = True,
    project=None,
    entity=None,
    note: str = "",
    policy: SyncPolicy | None = None,
) -> SyncPolicy:
    """Create or change a sync policy (group row, a project's row, or an entity's row); batch
    policies become django-q2 schedules on commit."""
    if source_system is None or target_system is None:
        raise ApplicationError("A policy needs a source and a target system.", code="systems")
    _one_scope(project, entity)
    if source_system.pk == target_system.pk:
        raise ApplicationError("Source and target must differ.", code="same_system")
    _validate_policy(mode, interval_minutes, cron)
    if batch_size < 1 or batch_size > 10000:
        raise ApplicationError("Batch size must be between 1 and 10,000.", code="batch_size")
    values = {
        "domain": (domain or "").strip(),
        "source_system": source_system,
        "target_system": target_system,
        "mode": mode,
        "direction": direction,
        "interval_minutes": interval_minutes if mode == SyncMode.INTERVAL else None,
        "cron": cron.strip() if mode == SyncMode.CRON else "",
        "batch_size": batch_size,
        "enabled": enabled,
        "project": project,
        "entity": entity,
        "note": note,
    }
    creating = policy is None
    policy = SyncPolicy() if creating else SyncPolicy.objects.select_for_update().get(pk=policy.pk)
    policy = _save_versioned(
        obj=policy, actor=actor, values=values, action_name="sync.policy", creating=creating
    )
    db_transaction.on_commit(sync_schedules_apply_safely)
    return policy


def sync_schedules_apply_safely() -> None:
    """Bring django-q2's schedules in line with the code and the batch policies now, so a saved
    policy takes effect without a deploy. `manage.py sync_schedules` does the same."""
    from apps.core.schedules_apply import schedules_apply

    try:
        schedules_apply()
    except Exception:  # the policy is saved; the next sync_schedules run will catch up
        logger.exception("applying schedules after a policy change failed")


def _one_scope(project, entity) -> None:
    if project is not None and entity is not None:
        raise ApplicationError(
            "Scope a row to a project or to an entity, not both (a project row already "
            "overrides its entity's row).",
            code="project_and_entity",
        )


def batch_policies() -> list[SyncPolicy]:
    """Enabled interval/cron policies, each its own schedule: a group, entity or project row
    pulls the source's changes of its domain (shared cursor, idempotent keys) and the pipeline
    routes every pulled record by that record's own project/entity/group policy."""
    return list(
        SyncPolicy.objects.filter(enabled=True, mode__in=list(BATCH_MODES)).select_related(
            "source_system", "target_system", "project", "entity"
        )
    )


# --- mappings -----------------------------------------------------------------------------------


def _mapping_key(kind: str, system, scope: str, project, external_value: str, entity=None):
    return Mapping.objects.filter(
        kind=kind,
        system=system,
        scope=scope,
        project=project,
        entity=entity,
        external_value=external_value,
        active=True,
    )


@db_transaction.atomic
def mapping_save(
    *,
    actor,
    kind: str,
    system,
    external_value: str,
    canonical_value: str,
    scope: str = "",
    project=None,
    entity=None,
    external_label: str = "",
    note: str = "",
    audit: bool = True,
) -> Mapping:
    """Create a mapping or give an existing one (same kind/system/scope/project/entity/value) a
    new version. `audit=False` is for bulk imports, which write one summary audit entry."""
    _one_scope(project, entity)
    if kind not in MappingKind.values:
        raise ApplicationError(f"Unknown mapping kind {kind!r}.", code="bad_mapping_kind")
    external_value = (external_value or "").strip()
    canonical_value = (canonical_value or "").strip()
    if not external_value or not canonical_value:
        raise ApplicationError(
            "A mapping needs both the system's value and the canonical value.",
            code="mapping_values_required",
        )
    scope = (scope or "").strip()
    existing = _mapping_key(
        kind, system, scope, project, external_value, entity
    ).select_for_update()
    mapping = existing.first()
    values = {"canonical_value": canonical_value}
    if external_label or mapping is None:
        values["external_label"] = (external_label or "").strip()
    if mapping is None:
        mapping = Mapping(
            kind=kind,
            system=system,
            scope=scope,
            project=project,
            entity=entity,
            external_value=external_value,
        )
        return _save_versioned(
            obj=mapping,
            actor=actor,
            values=values,
            action_name="sync.mapping",
            note=note,
            creating=True,
            audit=audit,
        )
    return _save_versioned(
        obj=mapping,
        actor=actor,
        values=values,
        action_name="sync.mapping",
        note=note,
        creating=False,
        audit=audit,
    )


@db_transaction.atomic
def mapping_deactivate(*, actor, mapping: Mapping, note: str = "") -> Mapping:
    """Retire a mapping (kept, with its history; lookups stop using it)."""
    mapping = Mapping.objects.select_for_update().get(pk=mapping.pk)
    if not mapping.active:
        return mapping
    mapping.active = False
    mapping.version += 1
    mapping.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    mapping.save()
    config_revision_record(obj=mapping, action="disabled", actor=actor, note=note)
    audit_record(actor=actor, action="sync.mapping.disabled", target=mapping, detail={"note": note})
    return mapping


# --- autolink suggestions -----------------------------------------------------------------------


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", (text or "").lower())


def similarity(a_value: str, a_label: str, b_value: str, b_label: str) -> float:
    """0..1: the better of code-to-code and name-to-name similarity (digits-only codes compare
    on their digits, so "CC-033000" matches "03 30 00")."""
    scores = []
    for left, right in ((a_value, b_value), (a_label, b_label), (a_label, b_value)):
        left_n, right_n = _normalise(left), _normalise(right)
        if not left_n or not right_n:
            continue
        if left_n == right_n:
            return 1.0
        scores.append(difflib.SequenceMatcher(None, left_n, right_n).ratio())
    digits_a, digits_b = re.sub(r"\D", "", a_value or ""), re.sub(r"\D", "", b_value or "")
    if len(digits_a) >= 4 and digits_a == digits_b:
        scores.append(0.95)
    return max(scores, default=0.0)


@dataclass
class Candidate:
    value: str
    label: str = ""


def mapping_suggestions_generate(
    *,
    kind: str,
    system,
    unmapped: list[Candidate],
    canonical: list[Candidate],
    scope: str = "",
    threshold: float = 0.6,
    per_value: int = 3,
) -> list[MappingSuggestion]:
    """Propose, for each unmapped value of a system, the closest canonical values by code and
    name similarity (best `per_value` above `threshold`). Proposals wait for an admin."""
    created: list[MappingSuggestion] = []
    for item in unmapped:
        scored = sorted(
            (
                (similarity(item.value, item.label, c.value, c.label), c)
                for c in canonical
                if c.value
            ),
            key=lambda pair: -pair[0],
        )
        for score, cand in scored[:per_value]:
            if score < threshold:
                break
            suggestion, was_created = MappingSuggestion.objects.get_or_create(
                kind=kind,
                system=system,
                scope=scope,
                external_value=item.value,
                canonical_value=cand.value,
                defaults={
                    "external_label": item.label[:300],
                    "canonical_label": cand.label[:300],
                    "score": round(score, 4),
                },
            )
            if was_created:
                created.append(suggestion)
    return created


@db_transaction.atomic
def mapping_suggestion_accept(*, actor, suggestion: MappingSuggestion) -> Mapping:
    """Turn a suggestion into a mapping; other proposals for the same value are rejected."""
    suggestion = MappingSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != SuggestionStatus.PROPOSED:
        raise ApplicationError("This suggestion was already decided.", code="suggestion_decided")
    mapping = mapping_save(
        actor=actor,
        kind=suggestion.kind,
        system=suggestion.system,
        scope=suggestion.scope,
        external_value=suggestion.external_value,
        external_label=suggestion.external_label,
        canonical_value=suggestion.canonical_value,
        note=f"accepted autolink suggestion (score {suggestion.score:.2f})",
    )
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    suggestion.status = SuggestionStatus.ACCEPTED
    suggestion.decided_by = user
    suggestion.decided_at = now
    suggestion.save()
    MappingSuggestion.objects.filter(
        kind=suggestion.kind,
        system=suggestion.system,
        scope=suggestion.scope,
        external_value=suggestion.external_value,
        status=SuggestionStatus.PROPOSED,
    ).update(status=SuggestionStatus.REJECTED, decided_by=user, decided_at=now)
    return mapping


@db_transaction.atomic
def mapping_suggestion_reject(*, actor, suggestion: MappingSuggestion) -> MappingSuggestion:
    """Reject a suggestion (it will not be proposed again)."""
    suggestion = MappingSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != SuggestionStatus.PROPOSED:
        raise ApplicationError("This suggestion was already decided.", code="suggestion_decided")
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    suggestion.decided_at = timezone.now()
    suggestion.save()
    audit_record(
        actor=actor,
        action="sync.mapping_suggestion.rejected",
        target=suggestion,
        detail={"external": suggestion.external_value, "canonical": suggestion.canonical_value},
    )
    return suggestion


# --- bindings -----------------------------------------------------------------------------------


def fingerprint(values: dict | None) -> str:
    """A stable hash of a record's compared values (reconciliation spots changes with it)."""
    if not values:
        return ""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def binding_set(
    *,
    system,
    domain: str,
    canonical_id: str,
    external_id: str,
    project=None,
    transaction_id: int | None = None,
    values: dict | None = None,
) -> Binding:
    """Record (or refresh) that a canonical record is `external_id` in a system. If another
    canonical record held that external id, that stale binding is released first."""
    now = timezone.now()
    canonical_id, external_id = str(canonical_id), str(external_id)
    with db_transaction.atomic():
        Binding.objects.filter(system=system, domain=domain, external_id=external_id).exclude(
            canonical_id=canonical_id
        ).delete()
        binding, _ = Binding.objects.update_or_create(
            system=system,
            domain=domain,
            canonical_id=canonical_id,
            defaults={
                "external_id": external_id,
                "project": project,
                "last_synced_at": now,
                "last_seen_at": now,
                "orphaned_at": None,
                "last_transaction_id": transaction_id,
                **({"fingerprint": fingerprint(values)} if values is not None else {}),
            },
        )
    return binding


def bindings_mark_seen(*, bindings: list[Binding]) -> int:
    """Reconciliation saw these external records: refresh last_seen_at, clear orphan marks."""
    if not bindings:
        return 0
    return Binding.objects.filter(id__in=[b.id for b in bindings]).update(
        last_seen_at=timezone.now(), orphaned_at=None
    )


def bindings_mark_orphaned(*, bindings: list[Binding]) -> int:
    """The external side of these bindings has disappeared (the orphan report lists them)."""
    if not bindings:
        return 0
    return Binding.objects.filter(id__in=[b.id for b in bindings], orphaned_at__isnull=True).update(
        orphaned_at=timezone.now()
    )


# --- delivery settings --------------------------------------------------------------------------


def delivery_settings_for(system) -> DeliverySettings:
    """The system's delivery settings (created with defaults on first use)."""
    settings_row = getattr(system, "_delivery_settings_cache", None)
    if settings_row is None:
        settings_row, _ = DeliverySettings.objects.get_or_create(system=system)
        system._delivery_settings_cache = settings_row
    return settings_row


@db_transaction.atomic
def delivery_settings_save(*, actor, system, **values) -> DeliverySettings:
    """Change a system's retry schedule, breaker thresholds, batch size or burst."""
    allowed = {
        "max_attempts",
        "backoff_base_seconds",
        "backoff_max_seconds",
        "breaker_failure_threshold",
        "breaker_cooldown_seconds",
        "batch_size",
        "rate_limit_burst",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ApplicationError(f"Unknown settings: {', '.join(sorted(unknown))}.", code="bad_key")
    if values.get("max_attempts") is not None and values["max_attempts"] < 1:
        raise ApplicationError("At least one attempt is needed.", code="bad_attempts")
    row, created = DeliverySettings.objects.select_for_update().get_or_create(system=system)
    return _save_versioned(
        obj=row,
        actor=actor,
        values=values,
        action_name="sync.delivery_settings",
        creating=False,
    )


# --- job runs -----------------------------------------------------------------------------------


def job_run_create(
    *,
    kind: str,
    name: str,
    trigger: str = JobTrigger.MANUAL,
    requested_by=None,
    policy: SyncPolicy | None = None,
    system=None,
    domain: str = "",
    project=None,
    params: dict | None = None,
    total: int | None = None,
) -> JobRun:
    """Record a queued job run (before it is enqueued, so a lost enqueue is visible)."""
    if kind not in JobKind.values:
        raise ApplicationError(f"Unknown job kind {kind!r}.", code="bad_job_kind")
    return JobRun.objects.create(
        kind=kind,
        name=name[:200],
        trigger=trigger,
        requested_by=requested_by if getattr(requested_by, "is_authenticated", False) else None,
        policy=policy,
        system=system or (policy.source_system if policy else None),
        domain=domain or (policy.domain if policy else ""),
        project=project or (policy.project if policy else None),
        params=json.loads(json.dumps(params or {}, default=str)),
        total=total,
    )


def job_run_start(*, job: JobRun, total: int | None = None) -> bool:
    """Claim a queued job for this worker (conditional UPDATE: only one worker runs it)."""
    now = timezone.now()
    values = {
        "status": JobStatus.RUNNING,
        "started_at": now,
        "heartbeat_at": now,
        "worker": socket.gethostname()[:200],
    }
    if total is not None:
        values["total"] = total
    claimed = JobRun.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(**values)
    if claimed:
        for key, value in values.items():
            setattr(job, key, value)
    return bool(claimed)


@dataclass
class JobCounts:
    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    done: int = 0
    extra: dict = field(default_factory=dict)


def job_run_progress(
    *,
    job: JobRun,
    read: int = 0,
    created: int = 0,
    updated: int = 0,
    skipped: int = 0,
    failed: int = 0,
    done: int = 0,
    total: int | None = None,
) -> None:
    """Add to a running job's counters (atomic increments: several workers may report)."""
    values: dict[str, Any] = {"heartbeat_at": timezone.now()}
    for name, amount in (
        ("read_count", read),
        ("created_count", created),
        ("updated_count", updated),
        ("skipped_count", skipped),
        ("failed_count", failed),
        ("done", done),
    ):
        if amount:
            values[name] = F(name) + amount
    if total is not None:
        values["total"] = total
    JobRun.objects.filter(pk=job.pk).update(**values)


def job_run_log(*, job: JobRun, message: str, level: str = "info") -> JobLogLine:
    """Append a log line to a job run."""
    return JobLogLine.objects.create(job=job, level=level, message=message[:4000])


def job_run_finish(*, job: JobRun, outcome: str = "", status: str | None = None) -> JobRun:
    """Close a job run: succeeded, partial (some items failed) or failed."""
    job.refresh_from_db()
    if status is None:
        status = JobStatus.PARTIAL if job.failed_count else JobStatus.SUCCEEDED
    job.status = status
    job.outcome = outcome[:4000]
    job.finished_at = timezone.now()
    if job.total is not None and job.done < job.total and status == JobStatus.SUCCEEDED:
        job.done = job.total
    job.save(update_fields=["status", "outcome", "finished_at", "done"])
    return job
