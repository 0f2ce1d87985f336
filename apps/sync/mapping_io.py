"""Bulk import and export of mappings as CSV or XLSX.

Columns (header row, any order; extra columns ignored):
    kind, system, external_value, canonical_value          required
    scope, project | entity (code; not both), external_label   optional
An import is all or nothing: every row is checked first; one bad row refuses the file with the
row numbers and reasons, and nothing is saved. Then each row creates a mapping or gives the
existing one a new version (unchanged rows stay as they are).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction as db_transaction

from apps.audit.services import audit_record
from apps.connectors.models import System
from apps.core.errors import ApplicationError
from apps.entities.models import Entity
from apps.projects.models import Project
from apps.sync.choices import MappingKind
from apps.sync.models import Mapping

COLUMNS = [
    "kind",
    "system",
    "scope",
    "project",
    "external_value",
    "external_label",
    "canonical_value",
    "version",
    "active",
    "entity",
]
REQUIRED = ("kind", "system", "external_value", "canonical_value")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def mappings_export(*, queryset, fmt: str = "csv") -> tuple[bytes, str, str]:
    """The mappings as a file: (content, content type, file name)."""
    rows = [
        [
            m.kind,
            m.system.code,
            m.scope,
            m.project.code if m.project_id else "",
            m.external_value,
            m.external_label,
            m.canonical_value,
            m.version,
            "yes" if m.active else "no",
            m.entity.code if m.entity_id else "",
        ]
        for m in queryset.select_related("system", "project", "entity").order_by(
            "kind", "system__code", "scope", "external_value"
        )
    ]
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("mappings")
        sheet.append(COLUMNS)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return (
            buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "mappings.xlsx",
        )
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8"), "text/csv; charset=utf-8", "mappings.csv"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def mapping_rows_read(content: bytes, *, filename: str = "") -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as dicts keyed by lower-case header."""
    if len(content) > MAX_BYTES:
        raise ApplicationError(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.", code="file_too_large"
        )
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise ApplicationError(
                f"This is not a readable XLSX workbook ({type(exc).__name__}).", code="bad_file"
            ) from exc
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = [_cell(h).lower() for h in next(iterator, [])]
        rows = [
            {header[i]: _cell(v) for i, v in enumerate(values) if i < len(header) and header[i]}
            for values in iterator
            if any(v not in (None, "") for v in values)
        ]
        workbook.close()
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ApplicationError(
                "The CSV file is not UTF-8 text (save it as 'CSV UTF-8').", code="bad_encoding"
            ) from exc
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None:
            raise ApplicationError("The file is empty.", code="empty_file")
        rows = [
            {(k or "").strip().lower(): _cell(v) for k, v in row.items() if k}
            for row in reader
            if any((v or "").strip() for v in row.values() if isinstance(v, str))
        ]
        header = [(h or "").strip().lower() for h in reader.fieldnames]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ApplicationError(
            f"The header row lacks the column(s): {', '.join(missing)}. Expected: "
            f"{', '.join(COLUMNS)}.",
            code="bad_header",
        )
    if len(rows) > MAX_ROWS:
        raise ApplicationError(f"More than {MAX_ROWS:,} rows; split the file.", code="too_many")
    return rows


def mappings_import(*, actor, content: bytes, filename: str = "") -> ImportReport:
    """Check every row, then save them all (or nothing). Returns the report."""
    from apps.sync.services import mapping_save

    rows = mapping_rows_read(content, filename=filename)
    report = ImportReport(rows=len(rows))
    systems = {s.code: s for s in System.objects.all()}
    projects = {p.code: p for p in Project.objects.all()}
    entities = {e.code: e for e in Entity.objects.all()}
    seen: dict[tuple, int] = {}
    checked = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        problems = [f"{c} is empty" for c in REQUIRED if not row.get(c)]
        kind = row.get("kind", "")
        if kind and kind not in MappingKind.values:
            problems.append(f"kind {kind!r} is not one of {', '.join(MappingKind.values)}")
        system = systems.get(row.get("system", ""))
        if row.get("system") and system is None:
            problems.append(f"no system {row['system']!r}")
        project = None
        if row.get("project"):
            project = projects.get(row["project"])
            if project is None:
                problems.append(f"no project {row['project']!r}")
        entity = None
        if row.get("entity"):
            entity = entities.get(row["entity"])
            if entity is None:
                problems.append(f"no entity {row['entity']!r}")
            if row.get("project"):
                problems.append("a project or an entity, not both")
        if row.get("active", "").lower() in ("no", "false", "0"):
            problems.append("inactive rows cannot be imported (deactivate mappings on screen)")
        key = (kind, row.get("system"), row.get("scope", ""), row.get("project", ""))
        key += (row.get("entity", ""), row.get("external_value"))
        if key in seen:
            problems.append(f"same mapping as row {seen[key]}")
        seen[key] = number
        for column in ("external_value", "canonical_value", "scope"):
            if len(row.get(column, "")) > (80 if column == "scope" else 200):
                problems.append(f"{column} is too long")
        if problems:
            report.errors.append(f"row {number}: " + "; ".join(problems))
        else:
            checked.append((row, system, project, entity))
    if report.errors:
        return report
    with db_transaction.atomic():
        for row, system, project, entity in checked:
            before = (
                Mapping.objects.filter(
                    kind=row["kind"],
                    system=system,
                    scope=row.get("scope", ""),
                    project=project,
                    entity=entity,
                    external_value=row["external_value"],
                    active=True,
                )
                .values_list("canonical_value", "version")
                .first()
            )
            mapping = mapping_save(
                actor=actor,
                kind=row["kind"],
                system=system,
                scope=row.get("scope", ""),
                project=project,
                entity=entity,
                external_value=row["external_value"],
                external_label=row.get("external_label", ""),
                canonical_value=row["canonical_value"],
                note=f"imported from {filename or 'a file'}",
                audit=False,
            )
            if before is None:
                report.created += 1
            elif before[1] != mapping.version:
                report.updated += 1
            else:
                report.unchanged += 1
        audit_record(
            actor=actor,
            action="sync.mapping.import",
            detail={
                "file": filename,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            },
        )
    return report
