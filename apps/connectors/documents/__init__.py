"""Document-control connectors: Procore-style ("procore") and Autodesk Construction Cloud-style
("acc") webhook receivers with the follow-up GET that fetches the resource details.

Importing the package registers both connectors (apps.connectors.registry imports it on demand).
"""

from apps.connectors.documents import acc, procore  # noqa: F401  (registration side effect)
