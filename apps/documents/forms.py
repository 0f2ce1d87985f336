from __future__ import annotations

from django import forms

from apps.documents.choices import DocumentKind, StatusMeaning, StatusSetKind, TransmittalPurpose
from apps.documents.models import Document, StatusSet

MEANING_FILTER_CHOICES = [("", "Any status"), *StatusMeaning.choices, ("unknown", "Unknown code")]


class DocumentFilterForm(forms.Form):
    project = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(required=False, choices=[("", "Any kind"), *DocumentKind.choices])
    meaning = forms.ChoiceField(required=False, choices=MEANING_FILTER_CHOICES, label="Status")
    overdue = forms.BooleanField(required=False, label="Overdue reviews only")
    q = forms.CharField(required=False, max_length=100, label="Number, title or spec section")

    def __init__(self, *args, projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [("", "All my projects")] + [
            (project.pk, project.code) for project in projects
        ]


class ProjectDocumentSettingsForm(forms.Form):
    status_set = forms.ModelChoiceField(
        queryset=StatusSet.objects.exclude(kind=StatusSetKind.RESPONSE), label="Status set"
    )
    response_set = forms.ModelChoiceField(
        queryset=StatusSet.objects.filter(kind=StatusSetKind.RESPONSE),
        required=False,
        label="Submittal response table",
    )
    review_days = forms.IntegerField(min_value=1, max_value=365, label="Review period (days)")


class TransmittalForm(forms.Form):
    project = forms.TypedChoiceField(coerce=int)
    number = forms.CharField(max_length=60)
    subject = forms.CharField(max_length=300)
    purpose = forms.ChoiceField(choices=TransmittalPurpose.choices)
    to_party = forms.CharField(max_length=200, label="To")
    from_party = forms.CharField(max_length=200, required=False, label="From")
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    documents = forms.ModelMultipleChoiceField(
        queryset=Document.objects.none(), widget=forms.SelectMultiple(attrs={"size": 10})
    )

    def __init__(self, *args, projects=(), documents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [(project.pk, project.code) for project in projects]
        if documents is not None:
            self.fields["documents"].queryset = documents
            self.fields["documents"].label_from_instance = lambda doc: (
                f"{doc.project.code} · {doc.number or doc.external_id} "
                f"{doc.title} (rev {doc.current_revision or '—'})"
            )
