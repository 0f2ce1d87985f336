from django import forms

from apps.field.choices import RateKind


class FieldRateForm(forms.Form):
    kind = forms.ChoiceField(choices=RateKind.choices)
    key = forms.CharField(
        max_length=100, help_text="trade or crew (labour), equipment id or class; * = default"
    )
    rate = forms.DecimalField(max_digits=18, decimal_places=4, min_value=0)
