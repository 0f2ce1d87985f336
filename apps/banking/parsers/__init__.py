"""Bank statement parsers. `parse_statement_file(data)` sniffs the format from the content (never
the file name: camt files often have no extension) and returns a ParsedFile, or raises
StatementRefused with the reason."""

from __future__ import annotations

import re

from apps.banking.errors import StatementRefused
from apps.banking.parsers.camt import parse_camt
from apps.banking.parsers.mt940 import looks_like_mt940, parse_mt940
from apps.banking.parsers.records import ParsedFile
from apps.banking.parsers.text import decode_statement_bytes

CAMT = "camt"
MT940 = "mt940"

_SIGNATURES = [
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
]


def sniff_format(data: bytes) -> str:
    """'camt' or 'mt940' from the bytes, or StatementRefused saying what the content is."""
    if not data or not data.strip():
        raise StatementRefused("the file is empty", code="empty_file")
    head = data.lstrip()[:16]
    for signature, label in _SIGNATURES:
        if head.startswith(signature):
            raise StatementRefused(
                f"the file is {label}, not a camt or MT940 bank statement",
                code="not_a_statement",
            )
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if head.startswith(b"<"):
        return CAMT
    if b"\x00" in data[:4096]:
        raise StatementRefused(
            "the file is binary, not a camt or MT940 bank statement", code="not_a_statement"
        )
    text, _ = decode_statement_bytes(data[:65536])
    if looks_like_mt940(text):
        return MT940
    if re.search(r"(?m)^:20:", text) and re.search(r"(?m)^:34F:", text):
        raise StatementRefused(
            "this is an MT942 interim report, not an MT940 statement", code="unsupported_format"
        )
    first = text.strip().splitlines()[0][:60] if text.strip() else ""
    raise StatementRefused(
        "the content is neither camt XML nor MT940 (no :20:, :25: and balance tags); "
        f"it starts with {first!r}",
        code="not_a_statement",
    )


def parse_statement_file(data: bytes) -> ParsedFile:
    """Parse any supported statement file; refuse the rest with a reason."""
    kind = sniff_format(data)
    if kind == CAMT:
        parsed = parse_camt(data)
    else:
        text, _ = decode_statement_bytes(data)
        parsed = parse_mt940(text)
    if not parsed.statements:
        raise StatementRefused("the file holds no statement", code="not_a_statement")
    return parsed


__all__ = ["ParsedFile", "StatementRefused", "parse_statement_file", "sniff_format"]
