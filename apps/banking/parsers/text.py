"""Small text helpers shared by the parsers: IBAN spotting and decoding of legacy bank files."""

from __future__ import annotations

import re
from decimal import Decimal

IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}[A-Z0-9]{11,30})\b")
_IBAN_EXACT = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
BIC_RE = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def normalize_iban(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


# Countries that issue IBANs (SWIFT IBAN registry), so "EJ46GREENP..." in free text is no IBAN.
_IBAN_COUNTRY_LIST = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI GL "
    "GR GT HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL NO "
    "OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE"
)
IBAN_COUNTRIES = frozenset(_IBAN_COUNTRY_LIST.split(" "))


def looks_like_iban(value: str) -> bool:
    """Shape only (country, check digits, BBAN): test files carry IBANs with bad check digits."""
    value = normalize_iban(value)
    return bool(_IBAN_EXACT.match(value)) and value[:2] in IBAN_COUNTRIES


def looks_like_bic(value: str) -> bool:
    return bool(BIC_RE.match((value or "").strip().upper()))


# Letters that real statements in the two candidate code pages contain; used to choose between
# them when a legacy file is not UTF-8 (e.g. Raiffeisen Hungary writes cp852, Dutch and German
# banks write cp1252/latin-1).
_CP852_HINTS = set("áéíóöőúüűčďěňřšťůžąćęłńśźżÁÉÍÓÖŐÚÜŰČŘŠŽŁ")
_CP1252_HINTS = set("äöüßéèàçâêîôûëïÄÖÜÉÈÀÇ€")


def decode_statement_bytes(data: bytes) -> tuple[str, str]:
    """Decode a statement file: UTF-8 when valid, else the code page whose letters fit best."""
    raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    as_852 = raw.decode("cp852", errors="replace")
    as_1252 = raw.decode("cp1252", errors="replace")
    score_852 = sum(ch in _CP852_HINTS for ch in as_852)
    score_1252 = sum(ch in _CP1252_HINTS for ch in as_1252)
    if score_852 > score_1252:
        return as_852, "cp852"
    return as_1252, "cp1252"


CENT = Decimal("0.01")


def to_money(value: Decimal, where: str) -> Decimal:
    """Two decimals, as every amount in the hub; refuse rather than round a bank's amount."""
    quantized = value.quantize(CENT)
    if quantized != value:
        from apps.banking.errors import StatementRefused

        raise StatementRefused(f"{where}: amount {value} has more than two decimals")
    return quantized
