from __future__ import annotations

from django.db import models


class DocumentKind(models.TextChoices):
    INSURANCE = "insurance", "Insurance certificate"
    LICENCE = "licence", "Licence"
    SAFETY = "safety", "Safety record"
    LIEN_WAIVER = "lien_waiver", "Lien waiver"


class DocumentSource(models.TextChoices):
    UPLOAD = "upload", "Uploaded"
    DOCUMENT_CONNECTOR = "document_connector", "Document connector"


class HoldKind(models.TextChoices):
    COMMITMENT = "commitment", "New commitment blocked"
    PAYMENT = "payment", "Progress claim payment held"


class HoldStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RELEASED = "released", "Released"

    @property
    def colour(self) -> str:
        return {"active": "red", "released": "green"}[self.value]
