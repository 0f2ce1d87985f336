from __future__ import annotations

from django import forms

from apps.schedule.choices import CalendarRule, ScheduleKind, SlipReference


class ScheduleUploadForm(forms.Form):
    project = forms.ModelChoiceField(queryset=None, to_field_name="code")
    kind = forms.ChoiceField(choices=ScheduleKind.choices, initial=ScheduleKind.UPDATE)
    file = forms.FileField(help_text="P6 XER, P6 PMXML or MS Project MSPDI XML")
    source_project = forms.CharField(
        required=False,
        max_length=200,
        help_text="only when the file holds several projects: the P6 project id to import",
    )
    strict = forms.BooleanField(
        required=False, help_text="refuse the whole file if any row cannot be read"
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects


class ScheduleSettingsForm(forms.Form):
    slip_threshold_days = forms.IntegerField(
        min_value=0, max_value=3650, label="Slip threshold (working days)"
    )
    baseline_version = forms.ChoiceField(required=False, label="Baseline")
    compare_with = forms.ChoiceField(choices=SlipReference.choices, label="Threshold applies to")
    calendar_rule = forms.ChoiceField(choices=CalendarRule.choices, label="Working days")

    def __init__(self, *args, baselines, **kwargs):
        super().__init__(*args, **kwargs)
        self.baselines = {str(v.pk): v for v in baselines}
        self.fields["baseline_version"].choices = [("", "The latest imported baseline")] + [
            (str(v.pk), str(v)) for v in baselines
        ]
