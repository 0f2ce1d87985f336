"""The generic connector: Standard Webhooks inbound, no outbound calls."""

from apps.connectors.base import Connector, HealthResult
from apps.connectors.registry import register


@register("generic")
class GenericConnector(Connector):
    def health(self) -> HealthResult:
        return HealthResult(ok=True, detail="inbound only")
