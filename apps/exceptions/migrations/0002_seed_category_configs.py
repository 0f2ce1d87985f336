"""Seed the per-category defaults (owner group, severity, SLA) that admins may tune later."""

from django.db import migrations


def seed(apps, schema_editor):
    from apps.exceptions.choices import CATEGORY_DEFAULTS

    Config = apps.get_model("exceptions", "ExceptionCategoryConfig")
    for category, (owner_group, severity, sla_hours) in CATEGORY_DEFAULTS.items():
        Config.objects.get_or_create(
            category=str(category),
            defaults={
                "owner_group": str(owner_group),
                "severity": str(severity),
                "sla_hours": sla_hours,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("exceptions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
