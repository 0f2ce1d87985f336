from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.connectors.choices import SystemKind
from apps.sync.choices import (
    BREAKER_COLOURS,
    JOB_FINISHED,
    JOB_STATUS_COLOURS,
    BreakerState,
    ConflictPolicy,
    JobKind,
    JobStatus,
    JobTrigger,
    MappingKind,
    ReplayRequestStatus,
    SuggestionStatus,
    SyncDirection,
    SyncMode,
)

USER = settings.AUTH_USER_MODEL


# --- configuration (admins, /config/) ----------------------------------------------------------


class ConfigRevision(models.Model):
    """One saved version of a configuration row (SoR rule, policy, mapping, delivery settings):
    the history admins see, never edited."""

    object_type = models.CharField(max_length=60)  # e.g. "sync.mapping"
    object_id = models.PositiveBigIntegerField()
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=20)  # created, updated, disabled, imported, accepted
    data = models.JSONField(default=dict)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="cfgrev_object")]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id} v{self.version} {self.action}"


class SystemOfRecordRule(models.Model):
    """For a domain (optionally one field), which system is authoritative, and what happens to
    writes from any other system."""

    domain = models.CharField(max_length=40)
    # Blank = the whole record; else one canonical field, e.g. budget_line.original_amount.
    field = models.CharField(max_length=80, blank=True)
    # The authority: a specific system, or any system of a kind ("the scheduling platform").
    authority_system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authority_kind = models.CharField(max_length=30, choices=SystemKind, blank=True)
    conflict_policy = models.CharField(
        max_length=10, choices=ConflictPolicy, default=ConflictPolicy.FLAG
    )
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["domain", "field"]
        verbose_name = "system-of-record rule"
        constraints = [
            models.UniqueConstraint(fields=["domain", "field"], name="uniq_sor_rule"),
            models.CheckConstraint(
                condition=Q(authority_system__isnull=False) | ~Q(authority_kind=""),
                name="sor_rule_has_authority",
            ),
        ]

    def __str__(self) -> str:
        target = f"{self.domain}.{self.field}" if self.field else self.domain
        return f"{target} → {self.authority_label}"

    @property
    def authority_label(self) -> str:
        if self.authority_system_id:
            return self.authority_system.code
        return SystemKind(self.authority_kind).label if self.authority_kind else "?"

    def is_authority(self, system) -> bool:
        if self.authority_system_id:
            return system is not None and system.pk == self.authority_system_id
        return system is not None and system.kind == self.authority_kind


def applies_to(row) -> str:
    """Who a policy or mapping row is for: a project code, "entity <code>", or "group"."""
    if row.project_id:
        return row.project.code
    if row.entity_id:
        return f"entity {row.entity.code}"
    return "group"


class SyncPolicy(models.Model):
    """How one domain moves between two systems: when (event, interval, cron, manual), which way,
    in what batch size; a row with a project overrides the global row for that project."""

    domain = models.CharField(max_length=40)
    source_system = models.ForeignKey(
        "connectors.System", on_delete=models.PROTECT, related_name="policies_as_source"
    )
    target_system = models.ForeignKey(
        "connectors.System", on_delete=models.PROTECT, related_name="policies_as_target"
    )
    direction = models.CharField(
        max_length=10, choices=SyncDirection, default=SyncDirection.ONE_WAY
    )
    mode = models.CharField(max_length=10, choices=SyncMode, default=SyncMode.EVENT)
    interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    cron = models.CharField(max_length=100, blank=True)
    batch_size = models.PositiveIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A group entity's own row: overrides the group row for that entity's projects (a project's
    # own row still wins). A row is scoped to a project or to an entity, never both.
    entity = models.ForeignKey(
        "entities.Entity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["domain", "source_system__code", "target_system__code", "project__code"]
        verbose_name_plural = "sync policies"
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "source_system", "target_system"],
                condition=Q(project__isnull=True, entity__isnull=True),
                name="uniq_sync_policy_global",
            ),
            models.UniqueConstraint(
                fields=["domain", "source_system", "target_system", "project"],
                condition=Q(project__isnull=False),
                name="uniq_sync_policy_project",
            ),
            models.UniqueConstraint(
                fields=["domain", "source_system", "target_system", "entity"],
                condition=Q(entity__isnull=False),
                name="uniq_sync_policy_entity",
            ),
            models.CheckConstraint(
                condition=~Q(source_system=F("target_system")), name="sync_policy_two_systems"
            ),
            models.CheckConstraint(
                condition=Q(project__isnull=True) | Q(entity__isnull=True),
                name="sync_policy_one_scope",
            ),
        ]

    def __str__(self) -> str:
        arrow = "↔" if self.direction == SyncDirection.TWO_WAY else "→"
        scope = f" [{self.applies_to}]" if self.project_id or self.entity_id else ""
        return f"{self.domain}: {self.source_system.code} {arrow} {self.target_system.code}{scope}"

    @property
    def applies_to(self) -> str:
        return applies_to(self)

    @property
    def schedule_name(self) -> str:
        return f"sync-policy-{self.pk}"


class Mapping(models.Model):
    """One translation: a system's value ↔ the canonical value (cost codes, project references,
    vendors, units, status values). Versioned; replaced rows are deactivated, never deleted."""

    kind = models.CharField(max_length=20, choices=MappingKind)
    system = models.ForeignKey("connectors.System", on_delete=models.PROTECT, related_name="+")
    # Sub-table, e.g. the status set ("procore_submittal_response") for status values.
    scope = models.CharField(max_length=80, blank=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An entity's own translation: used for its projects' records (a project's own row wins,
    # the group row is the default). Scoped to a project or an entity, never both.
    entity = models.ForeignKey(
        "entities.Entity", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_value = models.CharField(max_length=200)
    external_label = models.CharField(max_length=300, blank=True)
    canonical_value = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["kind", "system__code", "scope", "external_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "system", "scope", "external_value"],
                condition=Q(active=True, project__isnull=True, entity__isnull=True),
                name="uniq_mapping_global",
            ),
            models.UniqueConstraint(
                fields=["kind", "system", "scope", "project", "external_value"],
                condition=Q(active=True, project__isnull=False),
                name="uniq_mapping_project",
            ),
            models.UniqueConstraint(
                fields=["kind", "system", "scope", "entity", "external_value"],
                condition=Q(active=True, entity__isnull=False),
                name="uniq_mapping_entity",
            ),
            models.CheckConstraint(
                condition=Q(project__isnull=True) | Q(entity__isnull=True),
                name="mapping_one_scope",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "system", "canonical_value"], name="mapping_reverse"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.system.code}:{self.external_value} → {self.canonical_value}"

    @property
    def applies_to(self) -> str:
        return applies_to(self)


class MappingSuggestion(models.Model):
    """An autolink proposal (by name/code similarity) that an admin accepts or rejects."""

    kind = models.CharField(max_length=20, choices=MappingKind)
    system = models.ForeignKey("connectors.System", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=80, blank=True)
    external_value = models.CharField(max_length=200)
    external_label = models.CharField(max_length=300, blank=True)
    canonical_value = models.CharField(max_length=200)
    canonical_label = models.CharField(max_length=300, blank=True)
    score = models.FloatField()
    status = models.CharField(
        max_length=10, choices=SuggestionStatus, default=SuggestionStatus.PROPOSED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "system", "scope", "external_value", "canonical_value"],
                name="uniq_mapping_suggestion",
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_value} ≈ {self.canonical_value} ({self.score:.2f})"


class Binding(models.Model):
    """A canonical record's id in one external system (set on delivery, checked by the orphan
    report and reconciliation)."""

    domain = models.CharField(max_length=40)
    canonical_id = models.CharField(max_length=100)
    system = models.ForeignKey("connectors.System", on_delete=models.PROTECT, related_name="+")
    external_id = models.CharField(max_length=200)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bound_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Last time reconciliation saw the external record; orphaned_at when it had disappeared.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    orphaned_at = models.DateTimeField(null=True, blank=True)
    last_transaction_id = models.BigIntegerField(null=True, blank=True)
    # sha256 of the values last written or read, so a change behind the hub's back shows.
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["system__code", "domain", "canonical_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system", "domain", "canonical_id"], name="uniq_binding_canonical"
            ),
            models.UniqueConstraint(
                fields=["system", "domain", "external_id"], name="uniq_binding_external"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain}:{self.canonical_id} ↔ {self.system.code}:{self.external_id}"


# --- job runs (/jobs/) -------------------------------------------------------------------------


class JobRun(models.Model):
    """One execution of a scheduled or manual batch (sync, reconciliation, bulk replay) with its
    counts, progress, log and outcome."""

    kind = models.CharField(max_length=20, choices=JobKind)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=JobStatus, default=JobStatus.QUEUED)
    trigger = models.CharField(max_length=20, choices=JobTrigger, default=JobTrigger.MANUAL)
    policy = models.ForeignKey(
        SyncPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="job_runs"
    )
    system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    domain = models.CharField(max_length=40, blank=True)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)
    read_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)  # None = not known yet
    done = models.PositiveIntegerField(default=0)
    outcome = models.TextField(blank=True)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "kind"], name="jobrun_status_kind")]

    def __str__(self) -> str:
        return f"job {self.pk} {self.name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in JOB_FINISHED

    @property
    def status_colour(self) -> str:
        return JOB_STATUS_COLOURS.get(self.status, "grey")

    @property
    def progress_percent(self) -> int | None:
        if self.is_finished:
            return 100
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()


class JobLogLine(models.Model):
    """One line of a job's log (append-only)."""

    job = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="log_lines")
    at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=10, default="info")
    message = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.level}: {self.message[:60]}"


# --- delivery: retries, circuit breaker, rate limit --------------------------------------------


class DeliverySettings(models.Model):
    """Per target system: retry schedule and attempts, breaker thresholds, batch size, burst.
    The sustained rate is System.rate_limit_per_minute."""

    system = models.OneToOneField(
        "connectors.System", on_delete=models.CASCADE, related_name="delivery_settings"
    )
    max_attempts = models.PositiveIntegerField(default=8)
    backoff_base_seconds = models.FloatField(default=2.0)
    backoff_max_seconds = models.FloatField(default=900.0)
    breaker_failure_threshold = models.PositiveIntegerField(default=5)
    breaker_cooldown_seconds = models.FloatField(default=30.0)
    batch_size = models.PositiveIntegerField(default=50)
    # Token-bucket capacity (calls that may go at once); None = ten seconds' worth of the rate.
    rate_limit_burst = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name_plural = "delivery settings"

    def __str__(self) -> str:
        return f"delivery settings for {self.system_id}"


class CircuitBreaker(models.Model):
    """Per system: after N consecutive failures calls pause (open) until a single probe
    (half-open) succeeds. Shared by every worker because it lives in the database."""

    system = models.OneToOneField(
        "connectors.System", on_delete=models.CASCADE, related_name="circuit_breaker"
    )
    state = models.CharField(max_length=10, choices=BreakerState, default=BreakerState.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    # When an open breaker lets one probe through (it becomes half-open).
    retry_at = models.DateTimeField(null=True, blank=True)
    # The half-open probe's lease: no second probe until it has ended or expired.
    probe_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    times_opened = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"breaker {self.system_id}: {self.state}"

    @property
    def state_colour(self) -> str:
        return BREAKER_COLOURS.get(self.state, "grey")


class RateLimitBucket(models.Model):
    """A token bucket per system, shared across workers (row-locked on each take)."""

    system = models.OneToOneField(
        "connectors.System", on_delete=models.CASCADE, related_name="rate_limit_bucket"
    )
    tokens = models.FloatField()
    refilled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"bucket {self.system_id}: {self.tokens:.1f}"


class QuotaUsage(models.Model):
    """API calls made (and calls held back by the rate limit) per system and minute."""

    system = models.ForeignKey("connectors.System", on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)
    throttled = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["system", "window_start"], name="uniq_quota_window")
        ]

    def __str__(self) -> str:
        return f"{self.system_id} @ {self.window_start:%H:%M}: {self.calls}"


# --- canonical store helpers -------------------------------------------------------------------


class SubjectState(models.Model):
    """The newest source time applied per subject: an older update arriving later is stale and
    is recorded and skipped instead of overwriting newer data."""

    domain = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=100)
    last_source_at = models.DateTimeField(null=True, blank=True)
    last_transaction_id = models.BigIntegerField(null=True, blank=True)
    updates = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "subject_id"], name="uniq_subject_state")
        ]

    def __str__(self) -> str:
        return f"{self.domain}:{self.subject_id} @ {self.last_source_at}"


class CanonicalRecord(models.Model):
    """The canonical store for domains without a model of their own (the generic handler, and
    vendors/cost codes until their apps provide one): the latest accepted values."""

    domain = models.CharField(max_length=40)
    canonical_id = models.CharField(max_length=100)
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict)
    source_system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_updated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    last_transaction_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain", "canonical_id"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "canonical_id"], name="uniq_canonical")
        ]

    def __str__(self) -> str:
        return f"{self.domain}:{self.canonical_id} v{self.version}"


class TransactionOverride(models.Model):
    """A person let a held transaction past a stage: accepted a write from a system that is not
    the system of record, or overrode a control. Kept for the record and for the SoD rule on
    replaying money transactions."""

    STAGES = [("sor", "System-of-record check"), ("controls", "Financial controls")]

    transaction = models.ForeignKey(
        "ledger.Transaction",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="overrides",
    )
    stage = models.CharField(max_length=20, choices=STAGES)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"override {self.stage} on tx {self.transaction_id}"


# --- replay with segregation of duties ---------------------------------------------------------


class ReplayRequest(models.Model):
    """A replay that needs a second person (an overridden financial transaction): requested by
    one user, approved (and executed) or rejected by another."""

    transaction = models.ForeignKey(
        "ledger.Transaction",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="replay_requests",
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    payload_override = models.JSONField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ReplayRequestStatus, default=ReplayRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    child = models.ForeignKey(
        "ledger.Transaction",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"replay request {self.pk} for tx {self.transaction_id} ({self.status})"
