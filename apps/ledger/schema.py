"""OpenAPI for the ingest endpoints. They are plain Django views (DESIGN §4a: no DRF on the hot
path), so drf-spectacular cannot see them; this postprocessing hook adds them to the schema with
every response they give."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "example": "signature_invalid"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": True},
            },
        }
    },
}
ACCEPTED_SCHEMA = {
    "type": "object",
    "required": ["transaction_id", "status"],
    "properties": {
        "transaction_id": {"type": "integer", "example": 1042},
        "status": {"type": "string", "enum": ["received"]},
    },
}
DUPLICATE_SCHEMA = {
    "type": "object",
    "required": ["transaction_id", "duplicate"],
    "properties": {
        "transaction_id": {"type": "integer", "description": "the transaction first recorded"},
        "duplicate": {"type": "boolean", "enum": [True]},
    },
}
EVENT_SCHEMA = {
    "type": "object",
    "description": "The hub's event envelope. Systems whose connector reads the platform's own "
    "format (e.g. Procore, ACC) send that instead.",
    "required": ["type", "data"],
    "properties": {
        "type": {
            "type": "string",
            "example": "milestone.updated",
            "description": "<domain>.<operation>",
        },
        "id": {
            "type": "string",
            "description": "idempotency key (default: the webhook-id header)",
            "example": "evt_01HV3K9Z",
        },
        "timestamp": {"type": "string", "format": "date-time"},
        "project": {"type": "string", "example": "SCH-001"},
        "correlation_id": {"type": "string"},
        "data": {"type": "object", "additionalProperties": True},
    },
}
SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Unique message id (Standard Webhooks); the idempotency key when the "
        "event has no id.",
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "integer"},
        "description": "Unix seconds; refused when more than 5 minutes from the hub's clock.",
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="},
        "description": 'Space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>" with the '
        "system's signing secret (whsec_ secrets sign with their base64-decoded bytes). Systems "
        "whose connector uses a platform-native signature (e.g. x-adsk-signature) send that "
        "instead.",
    },
]
SYSTEM_CODE = {
    "name": "system_code",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The sending system's code (Systems page).",
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestError"}}},
    }


def _responses(limit_setting: str) -> dict:
    return {
        "202": {
            "description": "Recorded: the transaction row is committed before this answer.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/IngestAccepted"}}
            },
        },
        "200": {
            "description": "Duplicate idempotency key: nothing new was recorded; the id is the "
            "original transaction's.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/IngestDuplicate"}}
            },
        },
        "400": _error(
            "Malformed body or missing fields (malformed_json, missing_fields, "
            "malformed_request, invalid_event)."
        ),
        "401": _error(
            "Signature missing or invalid, or timestamp outside the tolerance "
            "(signature_missing, signature_invalid, timestamp_stale)."
        ),
        "404": _error("Unknown or disabled system (unknown_system, system_disabled)."),
        "405": _error("Only POST is accepted (method_not_allowed)."),
        "413": _error(f"Body larger than {limit_setting} (body_too_large)."),
        "415": _error("Wrong Content-Type (unsupported_media_type)."),
    }


BATCH_SCHEMA = {
    "type": "object",
    "required": ["events"],
    "description": "Offline sync: events as the system sends them one by one (the hub's "
    "envelope or the connector's own format, e.g. field-app events). An event's idempotency key "
    "is its connector's own id (e.g. the device's event id), else its `id`.",
    "properties": {
        "batch_id": {"type": "string", "description": "the sender's name for the batch"},
        "events": {
            "type": "array",
            "minItems": 1,
            "maxItems": 500,
            "description": "at most FIELD_BATCH_MAX_EVENTS (default 500) events",
            "items": {"type": "object", "additionalProperties": True},
        },
    },
}
BATCH_RESULT_SCHEMA = {
    "type": "object",
    "required": ["events", "accepted", "duplicates", "refused", "results"],
    "properties": {
        "batch_id": {"type": "string", "nullable": True},
        "events": {"type": "integer"},
        "accepted": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "refused": {"type": "integer"},
        "results": {
            "type": "array",
            "description": "one per event, in the order sent",
            "items": {
                "type": "object",
                "required": ["index", "status", "transaction_id"],
                "properties": {
                    "index": {"type": "integer"},
                    "status": {"type": "string", "enum": ["accepted", "duplicate", "refused"]},
                    "transaction_id": {
                        "type": "integer",
                        "nullable": True,
                        "description": "the recorded transaction (the original one for a "
                        "duplicate); null when refused",
                    },
                    "idempotency_key": {"type": "string"},
                    "reason": {
                        "type": "string",
                        "description": "refused: invalid_event, missing_fields, "
                        "malformed_request, malformed_json",
                    },
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def ingest_endpoints_document(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the ingest endpoints and their schemas."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["IngestError"] = ERROR_SCHEMA
    schemas["IngestAccepted"] = ACCEPTED_SCHEMA
    schemas["IngestDuplicate"] = DUPLICATE_SCHEMA
    schemas["InboundEvent"] = EVENT_SCHEMA
    paths = result.setdefault("paths", {})
    paths["/api/v1/inbound/{system_code}/events"] = {
        "post": {
            "operationId": "inbound_event_receive",
            "tags": ["ingest"],
            "summary": "Receive a signed event from a platform",
            "description": "Persist-before-acknowledge: 202 only after the transaction is "
            "committed; validation of the business content happens afterwards in the "
            "pipeline (a well-formed but wrong event becomes a held/failed transaction with "
            "an exception item, not a 4xx). Every refusal is recorded for admins.",
            "security": [],
            "parameters": [SYSTEM_CODE, *SIGNATURE_HEADERS],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/InboundEvent"}}
                },
            },
            "responses": _responses("INGEST_MAX_BODY_BYTES (default 1 MiB)"),
        }
    }
    schemas["InboundBatch"] = BATCH_SCHEMA
    schemas["InboundBatchResult"] = BATCH_RESULT_SCHEMA
    batch_responses = _responses("INGEST_MAX_BATCH_BYTES (default 5 MiB)")
    del batch_responses["202"]
    batch_responses["200"] = {
        "description": "The batch was read: each event is acknowledged (accepted, duplicate) "
        "or refused on its own; accepted events are committed before this answer.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/InboundBatchResult"}}
        },
    }
    batch_responses["400"] = _error(
        "The body is not a batch (malformed_json, missing_fields): nothing was recorded."
    )
    batch_responses["413"] = _error(
        "Body larger than INGEST_MAX_BATCH_BYTES (body_too_large) or more events than "
        "FIELD_BATCH_MAX_EVENTS (batch_too_large): nothing was recorded."
    )
    paths["/api/v1/inbound/{system_code}/batches"] = {
        "post": {
            "operationId": "inbound_batch_receive",
            "tags": ["ingest"],
            "summary": "Receive a signed batch of events (offline sync from site devices)",
            "description": "One Standard Webhooks signature over the whole body. Each event is "
            "parsed, deduplicated and recorded exactly as if it had been sent alone to "
            "/events; a bad event is refused (and recorded for admins) without sinking the "
            "others. Late events keep their device time: the pipeline orders by it.",
            "security": [],
            "parameters": [SYSTEM_CODE, *SIGNATURE_HEADERS],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/InboundBatch"}}
                },
            },
            "responses": batch_responses,
        }
    }
    paths["/api/v1/inbound/{system_code}/files"] = {
        "post": {
            "operationId": "inbound_file_receive",
            "tags": ["ingest"],
            "summary": "Receive a signed file (schedule export, bank statement, budget workbook)",
            "description": "Multipart upload, signed like events over the raw multipart body. "
            "The file's sha256 is the idempotency key: the same file twice is a 200 duplicate.",
            "security": [],
            "parameters": [SYSTEM_CODE, *SIGNATURE_HEADERS],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "domain": {
                                    "type": "string",
                                    "description": "default by system kind: schedule, "
                                    "bank_statement, budget, else file",
                                },
                                "operation": {"type": "string", "default": "import"},
                                "project": {"type": "string", "example": "SCH-001"},
                                "file_name": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": _responses("INGEST_MAX_FILE_BYTES (default 50 MiB)"),
        }
    }
    return result
