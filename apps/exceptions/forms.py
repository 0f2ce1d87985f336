"""Forms for the exception workbench: the queue filter and the resolution actions."""

from __future__ import annotations

import json

from django import forms

from apps.exceptions.choices import ExceptionCategory, ExceptionStatus, ResolutionAction, Severity
from apps.exceptions.selectors import AGE_BUCKETS, QUEUE_VIEWS

PERSON_RESOLUTIONS = [
    (value, label)
    for value, label in ResolutionAction.choices
    # Automatic, ignore and manual-match resolutions come from their own actions, not this form.
    if value
    not in (
        ResolutionAction.AUTO_RESOLVED,
        ResolutionAction.IGNORED,
        ResolutionAction.MANUAL_MATCH,
    )
]


def _blank(choices, label="Any"):
    return [("", label), *choices]


class QueueFilterForm(forms.Form):
    view = forms.ChoiceField(choices=list(QUEUE_VIEWS.items()), required=False)
    category = forms.ChoiceField(choices=_blank(ExceptionCategory.choices), required=False)
    project = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    system = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    severity = forms.ChoiceField(choices=_blank(Severity.choices), required=False)
    status = forms.ChoiceField(choices=_blank(ExceptionStatus.choices), required=False)
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    age = forms.ChoiceField(
        choices=_blank([(key, label) for key, label, _lo, _hi in AGE_BUCKETS]), required=False
    )
    amount_min = forms.DecimalField(required=False, min_value=0, decimal_places=2)
    amount_max = forms.DecimalField(required=False, min_value=0, decimal_places=2)
    q = forms.CharField(required=False, max_length=200, label="Search")

    def __init__(self, *args, projects=(), systems=(), assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = _blank([(p.pk, p.code) for p in projects])
        self.fields["system"].choices = _blank([(s.pk, s.code) for s in systems])
        self.fields["assignee"].choices = _blank([(u.pk, u.get_username()) for u in assignees])


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _blank(
            [(u.pk, u.get_username()) for u in assignees], "Nobody"
        )


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ResolveForm(forms.Form):
    action = forms.ChoiceField(choices=PERSON_RESOLUTIONS)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class IgnoreForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s.value, s.label)
            for s in ExceptionStatus
            if s.value in ("open", "in_progress", "waiting")
        ]
    )
    note = forms.CharField(required=False, max_length=500)


class MappingFixForm(forms.Form):
    canonical_value = forms.CharField(max_length=200, label="Canonical value")
    note = forms.CharField(required=False, max_length=500)


class RetryForm(forms.Form):
    reason = forms.CharField(max_length=500)


class EditPayloadForm(forms.Form):
    transaction_id = forms.IntegerField()
    payload = forms.CharField(widget=forms.Textarea(attrs={"rows": 12, "class": "mono"}))
    reason = forms.CharField(max_length=500)

    def clean_payload(self):
        try:
            value = json.loads(self.cleaned_data["payload"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("The payload must be a JSON object.")
        return value


class OverrideForm(forms.Form):
    transaction_id = forms.IntegerField()
    stage = forms.ChoiceField(choices=[("controls", "Controls"), ("sor", "System of record")])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class OverrideDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(required=False, max_length=1000)


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("assign", "Assign"), ("tag", "Tag"), ("resolve", "Resolve"), ("ignore", "Ignore")]
    )
    ids = forms.CharField()
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    tags = forms.CharField(required=False, max_length=300)
    resolution = forms.ChoiceField(choices=_blank(PERSON_RESOLUTIONS, "—"), required=False)
    note = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args, assignees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _blank(
            [(u.pk, u.get_username()) for u in assignees], "Nobody"
        )

    def clean_ids(self):
        try:
            ids = sorted({int(v) for v in self.cleaned_data["ids"].replace(",", " ").split()})
        except ValueError as exc:
            raise forms.ValidationError("Item ids must be numbers.") from exc
        if not ids:
            raise forms.ValidationError("Select at least one item.")
        if len(ids) > 5000:
            raise forms.ValidationError("Select at most 5000 items at once.")
        return ids


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=80)
    query = forms.CharField(max_length=1000, required=False)
