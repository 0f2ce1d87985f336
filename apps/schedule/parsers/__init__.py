"""Schedule file parsers: P6 XER, P6 PMXML and MS Project MSPDI, sniffed from the content.

`parse_schedule(stream, ...)` picks the parser and yields the records described in
`records.py`, one at a time, so an import holds only a batch in memory.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import BinaryIO

from apps.schedule.choices import SourceFormat
from apps.schedule.parsers.mspdi import MSPDI_NAMESPACE, parse_mspdi
from apps.schedule.parsers.pmxml import parse_pmxml
from apps.schedule.parsers.records import ScheduleFileRefused
from apps.schedule.parsers.xer import parse_xer

SNIFF_BYTES = 8192
P6_NAMESPACE_MARK = "primavera"

PARSERS = {
    SourceFormat.XER: parse_xer,
    SourceFormat.PMXML: parse_pmxml,
    SourceFormat.MSPDI: parse_mspdi,
}


def _sniff_text(head: bytes) -> str:
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            return head.decode(codec, errors="ignore")
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff")


def _root_element(text: str) -> str:
    """The first element start tag after the XML declaration, comments and doctype."""
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0:
            return ""
        if text.startswith("<?", start):
            position = text.find("?>", start) + 2
        elif text.startswith("<!--", start):
            position = text.find("-->", start) + 3
        elif text.startswith("<!", start):
            position = text.find(">", start) + 1
        else:
            end = text.find(">", start)
            return text[start : end + 1 if end > 0 else len(text)]
        if position <= 1:
            return ""


def sniff_format(head: bytes) -> str:
    """The SourceFormat of a file from its first bytes (never from its name)."""
    text = _sniff_text(head)
    stripped = text.lstrip()
    if stripped.startswith("ERMHDR"):
        return SourceFormat.XER
    if stripped.startswith("<"):
        root = _root_element(stripped)
        if root.startswith("<APIBusinessObjects") and P6_NAMESPACE_MARK in root.lower():
            return SourceFormat.PMXML
        if root.startswith("<Project") and MSPDI_NAMESPACE in root:
            return SourceFormat.MSPDI
        shown = root[:80] or stripped[:40]
        raise ScheduleFileRefused(
            f"an XML file, but neither P6 PMXML (APIBusinessObjects) nor MS Project MSPDI "
            f"(Project in {MSPDI_NAMESPACE}): it starts with {shown!r}",
            line=1,
            code="schedule_unknown_format",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and "ERMHDR" in text[:20]:
        return SourceFormat.XER  # the XER reader refuses UTF-16 with the reason
    raise ScheduleFileRefused(
        "not a schedule file this hub reads: expected a P6 XER (first line ERMHDR), a P6 PMXML "
        "or an MS Project MSPDI XML file",
        line=1,
        code="schedule_unknown_format",
    )


def parse_schedule(
    stream: BinaryIO, *, bytes_total: int = 0, source_project: str = ""
) -> tuple[str, Iterator[object]]:
    """(format, records) for a seekable binary stream."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not head.strip():
        raise ScheduleFileRefused("the file is empty", code="schedule_empty")
    source_format = sniff_format(head)
    parser = PARSERS[source_format]
    return source_format, parser(stream, bytes_total=bytes_total, source_project=source_project)
