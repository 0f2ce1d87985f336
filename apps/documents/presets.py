"""Status-set presets shipped with the hub (data, loaded by a data migration and by the demo seed;
a project chooses its sets — nothing here is hard-coded into the register's logic).

Sources: BS EN ISO 19650-2 UK National Annex, 2018 and the 02/2021 revision (reference/
platform-formats.md): S5 was withdrawn in 2018 and returned in 2021 as "review and acceptance";
S6, S7 and CR were withdrawn in 2021 (A6 replaces CR); A0..A7 authorise per work stage; B codes
are deprecated in 2021. Action by: [A] appointing party, [B] lead appointed party, [C] appointed
party. The Procore response table lists the default submittal responses with the abbreviations
reviewers stamp ("A", "AAN", "R&R", "NET", "MCN"); companies add their own.
"""

from __future__ import annotations

NA_2018 = "iso19650-uk-na-2018"
NA_2021 = "iso19650-uk-na-2021"
PROCORE_RESPONSES = "procore-submittal-responses"
DEFAULT_STATUS_SET = NA_2021
DEFAULT_RESPONSE_SET = PROCORE_RESPONSES

_STAGES_2021 = {
    0: "Strategy / strategic definition",
    1: "Brief / preparation and briefing",
    2: "Concept",
    3: "Definition / spatial coordination",
    4: "Design / technical design (suitable for construction)",
    5: "Construct and commission (construction record)",
    6: "Handover and close-out (replaces CR)",
    7: "Operation and end of life / in use",
}


def _code(
    code,
    label,
    state,
    meaning,
    *,
    action_by="",
    aliases=(),
    deprecated=False,
    withdrawn=False,
    note="",
):
    return {
        "code": code,
        "label": label,
        "state": state,
        "meaning": meaning,
        "action_by": action_by,
        "aliases": list(aliases),
        "deprecated": deprecated,
        "withdrawn": withdrawn,
        "note": note,
    }


_NA_2018_CODES = [
    _code("S0", "Initial status (work in progress)", "wip", "wip", action_by="C, B"),
    _code("S1", "Suitable for coordination", "shared", "shared", action_by="C, B"),
    _code("S2", "Suitable for information", "shared", "shared", action_by="A, B, C"),
    _code("S3", "Suitable for review and comment", "shared", "in_review", action_by="B"),
    _code("S4", "Suitable for stage approval", "shared", "in_review", action_by="B"),
    _code(
        "S5",
        "Withdrawn in the 2018 annex",
        "shared",
        "void",
        withdrawn=True,
        note="Not part of NA 2018; an incoming S5 is flagged.",
    ),
    _code("S6", "Suitable for PIM authorization", "shared", "in_review", action_by="A"),
    _code("S7", "Suitable for AIM authorization", "shared", "in_review", action_by="A"),
    *[
        _code(
            f"A{n}",
            f"Authorized and accepted (stage {n})",
            "published",
            "approved",
            action_by="A, B",
        )
        for n in range(1, 8)
    ],
    *[
        _code(
            f"B{n}",
            f"Partially authorized and accepted, with comments (stage {n})",
            "published",
            "approved_as_noted",
            action_by="A, B",
        )
        for n in range(1, 8)
    ],
    _code("CR", "As constructed record document", "published", "for_record", action_by="A, B"),
]

_NA_2021_CODES = [
    _code("S0", "Information developed within a task team", "wip", "wip", action_by="C, B"),
    _code("S1", "Suitable for coordination", "shared", "shared", action_by="C, B"),
    _code("S2", "Suitable for information / reference", "shared", "shared", action_by="A, B, C"),
    _code("S3", "Suitable for review and comment", "shared", "in_review", action_by="B"),
    _code("S4", "Suitable for review and authorization", "shared", "in_review", action_by="B"),
    _code("S5", "Suitable for review and acceptance", "shared", "in_review", action_by="A"),
    _code(
        "S6",
        "Withdrawn in the 2021 annex (was: PIM authorization)",
        "shared",
        "void",
        withdrawn=True,
        note="Use S4/S5 per the 2021 annex.",
    ),
    _code(
        "S7",
        "Withdrawn in the 2021 annex (was: AIM authorization)",
        "shared",
        "void",
        withdrawn=True,
        note="Use S4/S5 per the 2021 annex.",
    ),
    *[
        _code(
            f"A{n}",
            f"Authorised / accepted — stage {n}: {title}",
            "published",
            "approved",
            action_by="A, B",
        )
        for n, title in _STAGES_2021.items()
    ],
    *[
        _code(
            f"B{n}",
            f"Partial authorisation or acceptance (stage {n}) — deprecated",
            "published",
            "approved_as_noted",
            action_by="A, B",
            deprecated=True,
            note="Deprecated in the 2021 annex: strongly advised not to be used.",
        )
        for n in range(1, 8)
    ],
    _code(
        "CR",
        "Withdrawn in the 2021 annex (was: as constructed record)",
        "published",
        "for_record",
        withdrawn=True,
        note="Use A6 instead.",
    ),
]

_PROCORE_RESPONSE_CODES = [
    _code("APPROVED", "Approved", "review", "approved", aliases=["A", "APP"]),
    _code(
        "APPROVED_AS_NOTED",
        "Approved as Noted",
        "review",
        "approved_as_noted",
        aliases=["AAN", "Approved As Noted", "Approved with comments"],
    ),
    _code("NO_EXCEPTIONS_TAKEN", "No Exceptions Taken", "review", "approved", aliases=["NET"]),
    _code(
        "MAKE_CORRECTIONS_NOTED",
        "Make Corrections Noted",
        "review",
        "approved_as_noted",
        aliases=["MCN", "Furnish as Corrected", "FAC"],
    ),
    _code(
        "REVISE_AND_RESUBMIT",
        "Revise and Resubmit",
        "review",
        "revise_resubmit",
        aliases=["R&R", "RR", "Revise & Resubmit", "Revise/Resubmit"],
    ),
    _code("REJECTED", "Rejected", "review", "rejected", aliases=["REJ", "Not Approved"]),
    _code("REVIEWED", "Reviewed", "review", "for_record", aliases=["REV"]),
    _code("FOR_RECORD_ONLY", "For Record Only", "review", "for_record", aliases=["FRO"]),
    _code("PENDING", "Pending", "review", "in_review", aliases=["Open", "Submitted"]),
    _code("DRAFT", "Draft", "wip", "wip"),
    _code("VOID", "Void", "review", "void", aliases=["Closed - Void"]),
]

PRESETS = [
    {
        "code": NA_2018,
        "name": "ISO 19650 UK National Annex 2018",
        "kind": "suitability",
        "description": "Status codes of BS EN ISO 19650-2:2018 National Annex (Table NA.1).",
        "codes": _NA_2018_CODES,
    },
    {
        "code": NA_2021,
        "name": "ISO 19650 UK National Annex 2021",
        "kind": "suitability",
        "description": "Status codes of the UK National Annex as revised 02/2021: S5 is review "
        "and acceptance, S6/S7/CR withdrawn, A0..A7 per work stage, B codes deprecated.",
        "codes": _NA_2021_CODES,
    },
    {
        "code": PROCORE_RESPONSES,
        "name": "Procore submittal responses (defaults)",
        "kind": "response",
        "description": "The default submittal responses and the stamps reviewers use for them.",
        "codes": _PROCORE_RESPONSE_CODES,
    },
]
