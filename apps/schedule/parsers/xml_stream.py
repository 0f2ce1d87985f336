"""Streaming, hardened XML reading shared by the PMXML and MSPDI parsers.

defusedxml's iterparse (no DTDs, no entity expansion, no external references: the files are
untrusted) is fed one line at a time through `LineReader`, so every element event knows the
line it ended on and memory holds only the element being read (the callers clear elements as
soon as they are turned into records).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from apps.schedule.parsers.records import ScheduleFileRefused


class LineReader:
    """A file-like object that hands the parser one line per read() and counts lines."""

    def __init__(self, stream: BinaryIO):
        self.stream = stream
        self.completed_lines = 0
        self.current_line = 1
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        self.current_line = self.completed_lines + 1
        chunk = self.stream.readline(size if size and size > 0 else -1)
        if chunk.endswith(b"\n"):
            self.completed_lines += 1
        self.bytes_read += len(chunk)
        return chunk


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def iter_elements(stream: BinaryIO, reader: LineReader | None = None) -> Iterator[tuple]:
    """(event, element, depth, line) for start and end events; refuses malformed XML by line."""
    reader = reader or LineReader(stream)
    depth = 0
    try:
        for event, element in iterparse(reader, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                yield event, element, depth, reader.current_line
            else:
                yield event, element, depth, reader.current_line
                depth -= 1
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else reader.current_line
        raise ScheduleFileRefused(
            f"the XML is not well-formed ({_parse_error_text(exc)}): the file is damaged or "
            "truncated",
            line=line,
            code="schedule_malformed",
        ) from None
    except DefusedXmlException as exc:
        raise ScheduleFileRefused(
            f"the XML uses a construct that is refused for safety ({type(exc).__name__}: "
            "DTDs, entity declarations and external references are not accepted)",
            line=reader.current_line,
            code="schedule_unsafe_xml",
        ) from None


def _parse_error_text(exc: ParseError) -> str:
    text = str(exc)
    # "no element found: line 12, column 0" → "no element found"
    return text.split(": line ")[0]


def child_text(element: Element, name: str) -> str:
    """Text of the direct child with this local name ('' when absent or nil)."""
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip()
    return ""


def children_named(element: Element, name: str) -> list[Element]:
    return [child for child in element if local_name(child.tag) == name]


def scalar_children(element: Element) -> dict[str, str]:
    """Direct children without children of their own, by local name."""
    return {local_name(c.tag): (c.text or "").strip() for c in element if len(c) == 0}
