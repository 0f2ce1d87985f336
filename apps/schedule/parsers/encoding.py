"""Choosing the text encoding of an XER file without reading it all into memory.

Order: UTF-8 (with or without BOM) when every byte sequence is valid UTF-8, else Windows-1252
(cp1252, what P6 writes on Western installations). Each line is then decoded strictly, so a
byte that is valid in neither (0x81, 0x8D, 0x8F, 0x90, 0x9D) refuses the file naming the line.
UTF-16/UTF-32 files (a Notepad "Unicode" re-save) are refused: P6 never writes them.
"""

from __future__ import annotations

import codecs
from typing import BinaryIO

from apps.schedule.parsers.records import ScheduleFileRefused

_CHUNK = 64 * 1024
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def detect_xer_encoding(stream: BinaryIO) -> str:
    """'ascii', 'utf-8', 'utf-8-sig' or 'cp1252'; leaves the stream at its start."""
    stream.seek(0)
    head = stream.read(4)
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            stream.seek(0)
            raise ScheduleFileRefused(
                f"the file is {name} text; an XER must be 8-bit text (cp1252 or UTF-8): "
                "re-export it from P6 instead of re-saving it in an editor",
                line=1,
                code="schedule_wrong_encoding",
            )
    has_bom = head.startswith(codecs.BOM_UTF8)
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    only_ascii = True
    try:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                decoder.decode(b"", final=True)
                break
            if only_ascii and not chunk.isascii():
                only_ascii = False
            decoder.decode(chunk)
    except UnicodeDecodeError:
        stream.seek(0)
        return "cp1252"
    stream.seek(0)
    if only_ascii:
        return "ascii"
    return "utf-8-sig" if has_bom else "utf-8"


def decode_line(raw: bytes, encoding: str, line_number: int) -> str:
    """Decode one line strictly; a byte the encoding cannot read refuses the file."""
    if b"\x00" in raw:
        raise ScheduleFileRefused(
            "the line holds a NUL byte: this is not an XER text file (binary, or UTF-16)",
            line=line_number,
            code="schedule_wrong_encoding",
        )
    codec = "utf-8" if encoding in ("ascii", "utf-8-sig") else encoding
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise ScheduleFileRefused(
            f"byte 0x{bad} at column {exc.start + 1} is valid neither in UTF-8 nor in Windows-1252 "
            "(cp1252): the file has the wrong encoding or is damaged",
            line=line_number,
            code="schedule_wrong_encoding",
        ) from None
    if line_number == 1:
        # A UTF-8 byte-order mark, whichever way the rest of the file decoded.
        text = text.removeprefix("\ufeff").removeprefix("\u00ef\u00bb\u00bf")
    return text
