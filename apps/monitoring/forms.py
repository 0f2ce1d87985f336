from django import forms

from apps.monitoring.models import AlertRule
from apps.monitoring.selectors import PER_SYSTEM_METRICS


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
            "entity",
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
        entity = data.get("entity")
        if entity is not None and data.get("project") is not None:
            self.add_error("entity", "Choose a project or an entity, not both.")
        if (
            entity is not None
            and data.get("metric") in PER_SYSTEM_METRICS
            and not data.get("system")
            and not entity.odoo_system_id
        ):
            self.add_error(
                "entity",
                "This metric is kept per System and the entity has no Odoo System: "
                "choose a System as well.",
            )
        return data
