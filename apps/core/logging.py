"""A log filter that masks anything that looks like a secret before it is written."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(?i)(authorization:\s*(?:bearer|token)\s+)[^\s'\"]+"),
    re.compile(r"(?i)((?:password|secret|api_key|apikey|token)[\"']?\s*[:=]\s*[\"']?)[^\s,'\"}]+"),
    re.compile(r"(whsec_)[A-Za-z0-9+/=_-]+"),
    re.compile(r"(ihub_)[A-Za-z0-9_-]{8,}"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "[REDACTED]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
