from __future__ import annotations

import json

from django import forms

from apps.connectors.choices import Environment, SystemKind
from apps.connectors.registry import connector_names

# Credentials are write-only: fields are never pre-filled; blank means "keep what is stored".
CREDENTIAL_FIELDS = ("username", "password", "api_key", "database")


class SystemForm(forms.Form):
    code = forms.SlugField(
        max_length=50, help_text="Lower-case, used in URLs: /api/v1/inbound/<code>/events"
    )
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SystemKind.choices)
    connector = forms.ChoiceField(required=False, help_text="Blank: the connector of its kind")
    base_url = forms.URLField(
        max_length=500, required=False, label="Base URL", assume_scheme="https"
    )
    environment = forms.ChoiceField(choices=Environment.choices)
    enabled = forms.BooleanField(required=False, initial=True)
    rate_limit_per_minute = forms.IntegerField(min_value=1, max_value=1_000_000, initial=600)
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="Connector options as a JSON object (not secret).",
    )
    username = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    api_key = forms.CharField(
        required=False, label="API key", widget=forms.PasswordInput(render_value=False)
    )
    database = forms.CharField(required=False, widget=forms.PasswordInput(render_value=False))
    credentials_json = forms.CharField(
        required=False,
        label="Other credentials (JSON)",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off"}),
        help_text='Write-only, e.g. {"client_secret": "…"}; blank keeps what is stored.',
    )
    clear_credentials = forms.BooleanField(required=False, label="Remove all stored credentials")

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["connector"].choices = [("", "— by kind —")] + [
            (name, name) for name in connector_names()
        ]
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].required = False

    SETTINGS_FIELDS = ("code", "name", "kind", "connector", "base_url", "environment")
    CREDENTIAL_INPUTS = (*CREDENTIAL_FIELDS, "credentials_json")

    def settings_fields(self):
        return [self[name] for name in (*self.SETTINGS_FIELDS, "rate_limit_per_minute")]

    def credential_fields(self):
        return [self[name] for name in self.CREDENTIAL_INPUTS]

    def clean_options(self):
        text = (self.cleaned_data.get("options") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Options must be a JSON object.")
        return value

    def clean_credentials_json(self):
        text = (self.cleaned_data.get("credentials_json") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            # never echo the text back: it may hold a secret
            raise forms.ValidationError("Not valid JSON (the value was not kept).") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("Must be a JSON object (the value was not kept).")
        return value

    def credentials(self) -> dict:
        values = dict(self.cleaned_data.get("credentials_json") or {})
        for name in CREDENTIAL_FIELDS:
            if self.cleaned_data.get(name):
                values[name] = self.cleaned_data[name]
        return values

    def settings_values(self) -> dict:
        return {
            k: self.cleaned_data[k]
            for k in (
                "name",
                "kind",
                "connector",
                "base_url",
                "environment",
                "enabled",
                "rate_limit_per_minute",
                "options",
            )
        }


class SecretGenerateForm(forms.Form):
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Expires after (days, blank = never)"
    )


class SecretRetireForm(forms.Form):
    grace_hours = forms.TypedChoiceField(
        coerce=float,
        choices=[(0, "now"), (24, "in 24 hours"), (168, "in 7 days")],
        initial=0,
        label="Retire",
    )
