from __future__ import annotations

from django import forms

from apps.connectors.choices import SystemKind
from apps.connectors.models import System
from apps.entities.models import Entity
from apps.ledger.choices import Direction, TransactionStatus
from apps.projects.models import Project
from apps.sync.choices import ConflictPolicy, Domain, MappingKind, SyncDirection, SyncMode


def domain_choices() -> list[tuple[str, str]]:
    """The known domains plus any a handler registered."""
    from apps.sync.handlers import handler_domains

    known = dict(Domain.choices)
    for domain in handler_domains():
        known.setdefault(domain, domain.replace("_", " ").capitalize())
    return sorted(known.items(), key=lambda pair: pair[1])


class DomainField(forms.CharField):
    """A domain: pick a known one or type a new one (handlers may add domains)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "domain-options", "autocomplete": "off"})


class SorRuleForm(forms.Form):
    domain = DomainField()
    field = forms.CharField(
        max_length=80,
        required=False,
        help_text="Blank: the whole record. Else one canonical field, e.g. original_amount.",
    )
    authority_system = forms.ModelChoiceField(
        queryset=System.objects.all(),
        required=False,
        empty_label="— any system of the kind below —",
        help_text="A specific system, or leave blank and choose a kind.",
    )
    authority_kind = forms.ChoiceField(
        choices=[("", "—")] + list(SystemKind.choices), required=False
    )
    conflict_policy = forms.ChoiceField(choices=ConflictPolicy.choices)
    enabled = forms.BooleanField(required=False, initial=True)
    note = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("authority_system") and not data.get("authority_kind"):
            raise forms.ValidationError("Name the authoritative system or a system kind.")
        return data


class SyncPolicyForm(forms.Form):
    domain = DomainField()
    source_system = forms.ModelChoiceField(queryset=System.objects.all())
    target_system = forms.ModelChoiceField(queryset=System.objects.all())
    direction = forms.ChoiceField(choices=SyncDirection.choices)
    mode = forms.ChoiceField(choices=SyncMode.choices)
    interval_minutes = forms.IntegerField(min_value=1, max_value=10080, required=False)
    cron = forms.CharField(
        max_length=100, required=False, help_text='Five fields, e.g. "15 2 * * *" (02:15 daily)'
    )
    batch_size = forms.IntegerField(min_value=1, max_value=10000, initial=100)
    enabled = forms.BooleanField(required=False, initial=True)
    project = forms.ModelChoiceField(
        queryset=Project.objects.all(),
        required=False,
        empty_label="— all projects —",
        help_text="Set a project to override the global policy for that project only.",
    )
    entity = forms.ModelChoiceField(
        queryset=Entity.objects.all(),
        required=False,
        empty_label="— group (all entities) —",
        help_text="Set an entity to override the group policy for that entity's projects "
        "(a project's own policy still wins).",
    )
    note = forms.CharField(max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("source_system") and data.get("source_system") == data.get("target_system"):
            raise forms.ValidationError("Source and target must be different systems.")
        _one_scope(self, data)
        return data


def _one_scope(form, data) -> None:
    if data.get("project") and data.get("entity"):
        form.add_error("entity", "Choose a project or an entity, not both.")


class MappingForm(forms.Form):
    kind = forms.ChoiceField(choices=MappingKind.choices)
    system = forms.ModelChoiceField(queryset=System.objects.all())
    scope = forms.CharField(
        max_length=80, required=False, help_text="For status values: the status set."
    )
    project = forms.ModelChoiceField(
        queryset=Project.objects.all(), required=False, empty_label="— all projects —"
    )
    entity = forms.ModelChoiceField(
        queryset=Entity.objects.all(),
        required=False,
        empty_label="— group (all entities) —",
        help_text="The entity's own translation, used for its projects' records.",
    )
    external_value = forms.CharField(max_length=200, label="System's value")
    external_label = forms.CharField(max_length=300, required=False, label="System's label")
    canonical_value = forms.CharField(max_length=200, label="Canonical value")
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["canonical_value"].widget.attrs.update(
            {"list": "canonical-options", "autocomplete": "off"}
        )

    def clean(self):
        data = super().clean()
        _one_scope(self, data)
        return data


class MappingImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8) or XLSX with a header row.")


class MappingFixForm(forms.Form):
    canonical_value = forms.CharField(max_length=200)
    note = forms.CharField(max_length=300, required=False)


class SuggestionsGenerateForm(forms.Form):
    kind = forms.ChoiceField(choices=MappingKind.choices)
    system = forms.ModelChoiceField(queryset=System.objects.all())


class DeliverySettingsForm(forms.Form):
    max_attempts = forms.IntegerField(min_value=1, max_value=100)
    backoff_base_seconds = forms.FloatField(min_value=0.1, max_value=3600)
    backoff_max_seconds = forms.FloatField(min_value=1, max_value=86400)
    breaker_failure_threshold = forms.IntegerField(min_value=1, max_value=1000)
    breaker_cooldown_seconds = forms.FloatField(min_value=1, max_value=86400)
    batch_size = forms.IntegerField(min_value=1, max_value=1000)
    rate_limit_burst = forms.IntegerField(
        min_value=1, max_value=100000, required=False, help_text="Blank: ten seconds' worth."
    )


class JobStartForm(forms.Form):
    """Run now: a policy's batch sync, or a reconciliation of one system and domain."""

    policy = forms.IntegerField(required=False)
    system = forms.ModelChoiceField(queryset=System.objects.all(), required=False)
    domain = forms.CharField(max_length=40, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("policy") and not (data.get("system") and data.get("domain")):
            raise forms.ValidationError("Choose a policy, or a system and a domain.")
        return data


class BulkReplayForm(forms.Form):
    status = forms.MultipleChoiceField(
        choices=[
            (s, TransactionStatus(s).label)
            for s in ("held", "failed", "dead", "ignored", "delivered", "duplicate")
        ],
        required=False,
    )
    system = forms.ModelChoiceField(queryset=System.objects.all(), required=False)
    domain = forms.CharField(max_length=40, required=False)
    direction = forms.ChoiceField(choices=[("", "any")] + list(Direction.choices), required=False)
    project = forms.ModelChoiceField(queryset=Project.objects.all(), required=False)
    received_from = forms.DateTimeField(required=False)
    received_to = forms.DateTimeField(required=False)
    exception_item = forms.IntegerField(required=False, label="Exception item #")
    reason = forms.CharField(max_length=500)

    def filters(self) -> dict:
        data = self.cleaned_data
        filters = {
            "status": data.get("status") or None,
            "system_id": data["system"].pk if data.get("system") else None,
            "domain": data.get("domain") or None,
            "direction": data.get("direction") or None,
            "project_id": data["project"].pk if data.get("project") else None,
            "received_from": data["received_from"].isoformat()
            if data.get("received_from")
            else None,
            "received_to": data["received_to"].isoformat() if data.get("received_to") else None,
            "exception_item_id": data.get("exception_item") or None,
        }
        return {k: v for k, v in filters.items() if v}


class ReplayDecisionForm(forms.Form):
    note = forms.CharField(max_length=500, required=False)
