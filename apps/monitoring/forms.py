from django import forms

from apps.monitoring.models import AlertRule


class AlertRuleForm(forms.ModelForm):
    email_recipients_text = forms.CharField(
        required=False, label="Email recipients (comma separated)"
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "metric",
            "system",
            "domain",
            "project",
            "condition",
            "threshold",
            "window_minutes",
            "severity",
            "webhook",
            "repeat_minutes",
            "quiet_start_hour",
            "quiet_end_hour",
            "enabled",
        ]

    def clean_email_recipients_text(self):
        raw = self.cleaned_data.get("email_recipients_text") or ""
        emails = [part.strip() for part in raw.split(",") if part.strip()]
        validator = forms.EmailField()
        return [validator.clean(email) for email in emails]

    def clean(self):
        data = super().clean()
        for name in ("quiet_start_hour", "quiet_end_hour"):
            value = data.get(name)
            if value is not None and not 0 <= value <= 23:
                self.add_error(name, "An hour of the day, 0–23 (UTC).")
        if data.get("window_minutes") == 0:
            self.add_error("window_minutes", "The window needs at least one minute.")
        return data
