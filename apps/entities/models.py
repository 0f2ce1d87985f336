"""Legal entities of the group, who belongs to them, per-entity rule overrides and FX rates."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.connectors.choices import SystemKind
from apps.sync.choices import ConflictPolicy


class Entity(models.Model):
    """A legal company of the group: owns projects, maps to one Odoo company on one Odoo System."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="EUR")
    odoo_system = models.ForeignKey(
        "connectors.System",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entities",
    )
    odoo_company_id = models.PositiveIntegerField(null=True, blank=True)
    # The vendor record other group companies buy from this entity under: a commitment to it
    # from another entity's project is intercompany (recognised on both sides, reconciled).
    vendor = models.OneToOneField(
        "procurement.Vendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="group_entity",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(
                fields=["odoo_system", "odoo_company_id"],
                condition=models.Q(odoo_system__isnull=False, odoo_company_id__isnull=False),
                name="uniq_entity_odoo_company",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EntityMembership(models.Model):
    """A user belongs to an entity: sees its projects, and none of other entities' projects."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entity_memberships"
    )
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "entity"], name="uniq_entity_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.entity.code}"


class EntitySorRule(models.Model):
    """A system-of-record rule for one entity; it replaces the group rule with the same domain
    and field for that entity's records (the others are inherited)."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="sor_rules")
    domain = models.CharField(max_length=40)
    field = models.CharField(max_length=80, blank=True)
    authority_system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authority_kind = models.CharField(max_length=30, choices=SystemKind, blank=True)
    conflict_policy = models.CharField(
        max_length=10, choices=ConflictPolicy, default=ConflictPolicy.FLAG
    )
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity", "domain", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "domain", "field"], name="uniq_entity_sor_rule"
            ),
            models.CheckConstraint(
                condition=models.Q(authority_system__isnull=False) | ~models.Q(authority_kind=""),
                name="entity_sor_rule_has_authority",
            ),
        ]

    def __str__(self) -> str:
        target = f"{self.domain}.{self.field}" if self.field else self.domain
        return f"{self.entity.code}: {target} → {self.authority_label}"

    # The pipeline treats these like apps.sync SystemOfRecordRule rows (same attributes).
    @property
    def authority_label(self) -> str:
        if self.authority_system_id:
            return self.authority_system.code
        return SystemKind(self.authority_kind).label if self.authority_kind else "?"

    def is_authority(self, system) -> bool:
        if self.authority_system_id:
            return system is not None and system.pk == self.authority_system_id
        return system is not None and system.kind == self.authority_kind


class FxRate(models.Model):
    """A dated exchange rate as Odoo keeps it: `rate` units of `currency` for one unit of
    `base_currency` (the Odoo company's currency), valid from `rate_date`."""

    base_currency = models.CharField(max_length=3)
    currency = models.CharField(max_length=3)
    rate_date = models.DateField()
    rate = models.DecimalField(max_digits=20, decimal_places=10)
    source_system = models.ForeignKey(
        "connectors.System", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_id = models.CharField(max_length=40, blank=True)
    fetched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["base_currency", "currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["base_currency", "currency", "rate_date"], name="uniq_fx_rate_day"
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fx_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.base_currency} = {self.rate} {self.currency} from {self.rate_date}"


class EntityApprovalThreshold(models.Model):
    """The entity's own approval chain: above `above_amount` a request on one of its projects
    also needs a step at `level`. Replaces the group thresholds for the document type; project
    thresholds still win over it."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="approval_thresholds")
    document_type = models.CharField(max_length=30)
    level = models.PositiveSmallIntegerField()
    above_amount = models.DecimalField(max_digits=18, decimal_places=2)
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["entity", "document_type", "level"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=2), name="entity_threshold_level_at_least_2"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.entity.code} {self.document_type}: level {self.level} above "
            f"{self.above_amount} {self.currency}"
        )


class IntercompanyState(models.TextChoices):
    RECOGNISED = "recognised", "Recognised on both sides"
    AGREED = "agreed", "Reconciled: both sides agree"
    DIFFERENCE = "difference", "Reconciled: sides differ"
    CANCELLED = "cancelled", "Cancelled"


class IntercompanyCommitment(models.Model):
    """A commitment between two entities of the group: the buyer's purchase order (the
    commitment, sent to the buyer's Odoo company) and the seller's sales order (sent to the
    seller's Odoo company), kept together so the reconciliation job can compare the two sides."""

    commitment = models.OneToOneField(
        "procurement.Commitment", on_delete=models.PROTECT, related_name="intercompany"
    )
    buyer = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="ic_purchases")
    seller = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="ic_sales")
    currency = models.CharField(max_length=3)
    # What the hub recognised on each side (the seller's figure is the sales order it sent).
    buyer_amount = models.DecimalField(max_digits=18, decimal_places=2)
    seller_amount = models.DecimalField(max_digits=18, decimal_places=2)
    state = models.CharField(
        max_length=12, choices=IntercompanyState, default=IntercompanyState.RECOGNISED
    )
    seller_transaction = models.ForeignKey(
        "ledger.Transaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recognised_at = models.DateTimeField(auto_now_add=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    # The last comparison: {"buyer": {...}, "seller": {...}, "differences": {field: {...}}}.
    last_result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-recognised_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(buyer=models.F("seller")), name="intercompany_two_entities"
            ),
        ]
        indexes = [models.Index(fields=["state"], name="intercompany_state")]

    def __str__(self) -> str:
        return f"{self.buyer.code} → {self.seller.code}: {self.commitment_id}"

    @property
    def trace_key(self) -> str:
        return f"intercompany:{self.commitment_id}"
