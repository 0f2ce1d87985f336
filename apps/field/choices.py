from django.db import models


class FieldEventKind(models.TextChoices):
    MATERIAL = "material", "Material consumption"
    EQUIPMENT = "equipment", "Equipment usage"
    TIMESHEET = "timesheet", "Timesheet (hours)"
    QUANTITY = "quantity", "Daily quantity"
    MILESTONE = "milestone", "Subcontractor milestone"
    DELIVERY = "delivery", "Delivery on site"


class Ownership(models.TextChoices):
    OWNED = "owned", "Owned"
    HIRED = "hired", "Hired"


class RateKind(models.TextChoices):
    LABOUR = "labour", "Labour (per trade or crew)"
    EQUIPMENT = "equipment", "Equipment (per equipment id or class)"


# Which canonical operation (apps/connectors/field) is which kind of field event.
KIND_BY_OPERATION = {
    "material": FieldEventKind.MATERIAL,
    "equipment_hours": FieldEventKind.EQUIPMENT,
    "labour_hours": FieldEventKind.TIMESHEET,
    "quantity": FieldEventKind.QUANTITY,
    "milestone": FieldEventKind.MILESTONE,
    "received": FieldEventKind.DELIVERY,
}
