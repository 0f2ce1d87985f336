from django import forms

from apps.procurement.choices import CommitmentKind, InvoiceStatus, MatchStatus, VendorStatus
from apps.procurement.models import Vendor
from apps.projects.models import BudgetLine


class RequisitionForm(forms.Form):
    title = forms.CharField(max_length=255)
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.none(),
        required=False,
        help_text="Optional: with a vendor, approval creates and issues the PO at once.",
    )
    kind = forms.ChoiceField(choices=CommitmentKind.choices, initial=CommitmentKind.PURCHASE_ORDER)
    needed_by = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only if the budget check blocks: why it must go ahead (needs override "
        "authority).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.exclude(status=VendorStatus.BLOCKED)


class RequisitionLineForm(forms.Form):
    budget_line = forms.ModelChoiceField(queryset=BudgetLine.objects.none(), required=False)
    description = forms.CharField(max_length=255, required=False)
    product_code = forms.CharField(max_length=64, required=False, label="Product code")
    quantity = forms.DecimalField(max_digits=18, decimal_places=4, required=False, min_value=0)
    unit = forms.CharField(max_length=20, required=False, initial="ea")
    unit_price = forms.DecimalField(max_digits=18, decimal_places=4, required=False, min_value=0)

    def __init__(self, *args, budget_lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].queryset = (
            budget_lines if budget_lines is not None else (BudgetLine.objects.none())
        )
        self.fields["budget_line"].label_from_instance = lambda line: (
            f"{line.phase.code} · {line.cost_code.code} {line.cost_code.title}"
        )

    def clean(self):
        data = super().clean()
        filled = [data.get("budget_line"), data.get("quantity"), data.get("unit_price")]
        if any(v not in (None, "") for v in filled) and not all(
            v not in (None, "") for v in filled
        ):
            raise forms.ValidationError("A line needs a budget line, a quantity and a unit price.")
        return data

    @property
    def is_filled(self) -> bool:
        return bool(getattr(self, "cleaned_data", {}).get("budget_line"))


RequisitionLineFormSet = forms.formset_factory(RequisitionLineForm, extra=4, max_num=20)


class InvoiceFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *InvoiceStatus.choices], required=False)
    match_status = forms.ChoiceField(
        choices=[("", "Any match outcome"), *MatchStatus.choices], required=False
    )


class BudgetImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or XLSX with project, phase, cost code, description, amount."
    )
    dry_run = forms.BooleanField(required=False, help_text="Validate only; change nothing.")


class VarianceRequestForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class VendorApproveForm(forms.Form):
    insurance_expiry = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class VendorBlockForm(forms.Form):
    reason = forms.CharField(max_length=255)


class BudgetPolicyForm(forms.Form):
    budget_policy = forms.ChoiceField(choices=[])
    warn_at_pct = forms.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    overrun_block_pct = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="Warn policy only: block an overrun above this share; empty = never block.",
    )

    def __init__(self, *args, **kwargs):
        from apps.projects.choices import BudgetPolicy

        super().__init__(*args, **kwargs)
        self.fields["budget_policy"].choices = BudgetPolicy.choices
