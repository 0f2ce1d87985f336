from django import forms
from django.contrib.auth import get_user_model

from apps.approvals.choices import DocumentType


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000)


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(queryset=get_user_model().objects.none())
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    document_types = forms.MultipleChoiceField(
        choices=DocumentType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every document type you may approve.",
    )
    reason = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        if user is not None:
            queryset = queryset.exclude(id=user.id)
        self.fields["delegate"].queryset = queryset
