"""The banking connector: statement files come in through file ingest (camt.053/054, MT940);
nothing goes out. The format is read from the content by apps.banking."""

from __future__ import annotations

import hashlib

from apps.connectors.base import Connector, HealthResult, ParsedEvent
from apps.connectors.registry import register


@register("banking")
class BankingConnector(Connector):
    def health(self) -> HealthResult:
        return HealthResult(ok=True, detail="inbound files only (camt.053, camt.054, MT940)")

    def parse_file(self, *, file_name: str, body: bytes) -> ParsedEvent:
        """What a statement file is in the hub's terms; the file's sha256 is its identity."""
        from apps.banking.parsers import sniff_format

        digest = hashlib.sha256(body).hexdigest()
        return ParsedEvent(
            domain="bank_statement",
            operation="import",
            idempotency_key=f"sha256:{digest}",
            payload={"file_name": file_name, "format": sniff_format(body), "size": len(body)},
        )
