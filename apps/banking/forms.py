from django import forms

from apps.banking.choices import MatchStatus, StatementFormat


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        help_text="camt.053, camt.054, camt.052 or MT940; the format is read from the content."
    )


class LineFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *MatchStatus.choices], required=False)
    q = forms.CharField(required=False, label="Search")


class StatementFilterForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("", "Any format"), *StatementFormat.choices], required=False
    )
