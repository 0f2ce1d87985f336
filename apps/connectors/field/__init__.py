"""Field-app connector ("field"): daily quantities, progress, deliveries, equipment and
timesheets from site devices → canonical receipt / progress_claim / field_quantity events."""

from apps.connectors.field import connector  # noqa: F401  (registration side effect)
