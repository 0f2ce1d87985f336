from django.db import models


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"


class BudgetPolicy(models.TextChoices):
    """What the budget check does when a request exceeds the available budget."""

    HARD_BLOCK = "hard_block", "Hard block: refuse any overrun"
    WARN = "warn", "Warn: allow an overrun with a warning (block above the overrun limit)"


class BudgetCheckOutcome(models.TextChoices):
    AVAILABLE = "available", "Available"
    WARN = "warn", "Warn"
    BLOCK = "block", "Block"

    @property
    def colour(self) -> str:
        return {"available": "green", "warn": "amber", "block": "red"}[self.value]


class PhaseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETE = "complete", "Complete"
