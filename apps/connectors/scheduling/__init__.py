"""Scheduling connector ("p6", also "scheduling"): schedule files and schedule webhooks.

Files (P6 XER, P6 PMXML, MS Project MSPDI) arrive through the ledger's file feed
(`POST /api/v1/inbound/<system>/files`, domain "schedule"); `file_parse()` reads one without
touching the database (format, project, data date, counts, refused rows) so the pipeline can
validate it, and the pipeline's schedule handler imports it with
`apps.schedule.services.schedule_import_file`.

Webhooks, in the Standard Webhooks payload shape `{"type", "timestamp", "data"}`:

| type | domain / operation | data |
|---|---|---|
| schedule.published | schedule / published | project, kind, file_name, data_date, version |
| activity.updated | activity / updated | project, task_code, name, start, finish, status |
| milestone.updated | milestone / updated | project, task_code, name, finish (or start), status |

The idempotency key is the platform's own event id (`data.event_id`) when it sends one, else
the webhook-id.
"""

from apps.connectors.scheduling import connector  # noqa: F401  (registration side effect)
