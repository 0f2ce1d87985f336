"""Estimating connector ("estimating"): budget exports (CSV/XLSX files) and budget pushes over the
API, mapped to budget-line rows for the procurement app's budget import."""

from apps.connectors.estimating import connector  # noqa: F401  (registration side effect)
