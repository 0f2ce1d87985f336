"""Revision codes (ISO 19650 UK National Annex): `P01.01` while work is in progress, `P01` when
shared, `C01` when contractual. Platforms also send their own labels ("0", "1", "B", "V3").

Order used to decide which revision is newer: P01.01 < P01.02 < P01 < P02.01 < P02 < C01 < C02
(the work-in-progress versions of a preliminary revision come before it is shared; contractual
revisions come after every preliminary one). Platform labels sort among themselves (numbers
numerically, letters alphabetically) and before P/C codes, which sort after them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apps.documents.choices import RevisionKind

_ISO = re.compile(r"^(?P<letter>[PC])(?P<major>\d{2,3})(?:\.(?P<minor>\d{1,3}))?$", re.IGNORECASE)
_VERSION = re.compile(r"^[Vv]?(?P<number>\d+)$")


@dataclass(frozen=True, order=True)
class RevisionCode:
    sort_key: tuple
    code: str
    kind: str


def revision_code_parse(code: str) -> RevisionCode:
    """Classify a revision label and give it a sort key (see the module docstring)."""
    text = (code or "").strip()
    match = _ISO.match(text)
    if match:
        letter = match["letter"].upper()
        major = int(match["major"])
        minor = match["minor"]
        if letter == "C":
            return RevisionCode((2, 2, major, 0), text.upper(), RevisionKind.CONTRACTUAL)
        if minor is not None:
            return RevisionCode(
                (2, 1, major, int(minor)), text.upper(), RevisionKind.WORK_IN_PROGRESS
            )
        # Shared P01 comes after all of its P01.xx work-in-progress versions.
        return RevisionCode((2, 1, major, 10_000), text.upper(), RevisionKind.PRELIMINARY)
    version = _VERSION.match(text)
    if version:
        return RevisionCode((1, 0, int(version["number"]), 0), text, RevisionKind.OTHER)
    return RevisionCode((1, 1, 0, 0, text.upper()), text, RevisionKind.OTHER)


def revision_is_newer(candidate: str, current: str) -> bool:
    """True when `candidate` sorts after `current` (an empty current is older than anything)."""
    if not current:
        return True
    return revision_code_parse(candidate).sort_key > revision_code_parse(current).sort_key
