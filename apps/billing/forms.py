from django import forms

from apps.billing.choices import ProgressSource


class ContractForm(forms.Form):
    project = forms.CharField(max_length=40, help_text="Project code")
    number = forms.CharField(max_length=40)
    title = forms.CharField(max_length=255, required=False)
    customer_name = forms.CharField(max_length=200)
    customer_ref = forms.CharField(max_length=64, help_text="The customer's reference in Odoo")
    retention_pct = forms.DecimalField(max_digits=7, decimal_places=4, initial=0)
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One line each: cost code; description; scheduled value; activity code; "
        "quantity; unit (the last three optional)",
    )

    def clean_lines(self) -> list[dict]:
        built = []
        for number, raw in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not raw.strip():
                continue
            parts = [part.strip() for part in raw.split(";")]
            if len(parts) < 3:
                raise forms.ValidationError(
                    f"Line {number}: cost code; description; scheduled value at least."
                )
            parts += [""] * (6 - len(parts))
            built.append(
                {
                    "cost_code": parts[0],
                    "description": parts[1],
                    "scheduled_value": parts[2],
                    "activity_code": parts[3],
                    "quantity": parts[4] or None,
                    "unit": parts[5],
                }
            )
        if not built:
            raise forms.ValidationError("A schedule of values needs at least one line.")
        return built


class PayApplicationForm(forms.Form):
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    progress_source = forms.ChoiceField(choices=ProgressSource.choices)
    entries = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional, one each: SOV line number or change order number = percent "
        "(or q:quantity for entered quantities)",
    )

    def clean_entries(self) -> dict:
        entries = {}
        for raw in self.cleaned_data["entries"].splitlines():
            if not raw.strip():
                continue
            key, _, value = raw.partition("=")
            value = value.strip()
            if not key.strip() or not value:
                raise forms.ValidationError(f"{raw!r}: write <line>=<percent> or <line>=q:<qty>.")
            if value.startswith("q:"):
                entries[key.strip()] = {"quantity": value[2:].strip()}
            else:
                entries[key.strip()] = {"percent": value}
        return entries
