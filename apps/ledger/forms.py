from __future__ import annotations

from django import forms

from apps.connectors.models import System
from apps.ledger.choices import Direction, TransactionStatus
from apps.ledger.selectors import TransactionFilters


class LedgerFilterForm(forms.Form):
    """The ledger filters (GET). Invalid values are ignored field by field, never a 500."""

    q = forms.CharField(
        required=False,
        max_length=255,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "id, key, external id, PO / invoice no."}
        ),
    )
    system = forms.ChoiceField(required=False)
    domain = forms.CharField(required=False, max_length=50)
    direction = forms.ChoiceField(required=False, choices=[("", "any")] + list(Direction.choices))
    status = forms.MultipleChoiceField(
        required=False,
        choices=TransactionStatus.choices,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    project = forms.ChoiceField(required=False)
    received_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    correlation_id = forms.CharField(required=False, max_length=64, label="Correlation id")

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [("", "any")] + [
            (code, code) for code in System.objects.order_by("code").values_list("code", flat=True)
        ]
        self.fields["project"].choices = [("", "any")] + [(p.code, p.code) for p in projects]

    def filters(self) -> TransactionFilters:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return TransactionFilters(
            system=data.get("system") or "",
            domain=data.get("domain") or "",
            direction=data.get("direction") or "",
            status=list(data.get("status") or []),
            project=data.get("project") or "",
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            correlation_id=data.get("correlation_id") or "",
            q=data.get("q") or "",
        )
