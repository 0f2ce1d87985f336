"""django-q2 entry points for vendor master protection (thin: call one service)."""

from __future__ import annotations

from apps.vendors.services import vendor_duplicates_detect


def vendor_duplicates_detect_all() -> int:
    """Record suspected duplicate vendor pairs (daily schedule); a pair is recorded once, so a
    re-run only refreshes the reasons of open pairs. Returns how many pairs were found."""
    return len(vendor_duplicates_detect())
