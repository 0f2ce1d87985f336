"""Load the shipped status-set presets (ISO 19650 UK NA 2018 and 2021, Procore responses).

Create-if-missing only, so re-running (or the demo seed) never overwrites an admin's edits."""

from django.db import migrations


def load_presets(apps, schema_editor):
    from apps.documents.presets import PRESETS

    StatusSet = apps.get_model("documents", "StatusSet")
    StatusCode = apps.get_model("documents", "StatusCode")
    for preset in PRESETS:
        status_set, _ = StatusSet.objects.get_or_create(
            code=preset["code"],
            defaults={
                "name": preset["name"],
                "kind": preset["kind"],
                "description": preset["description"],
                "is_preset": True,
            },
        )
        for order, item in enumerate(preset["codes"], start=1):
            StatusCode.objects.get_or_create(
                status_set=status_set,
                code=item["code"],
                defaults={**{k: v for k, v in item.items() if k != "code"}, "sort_order": order},
            )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(load_presets, migrations.RunPython.noop)]
