"""Who processes claimed transactions, per direction (the sync engine provides both).

Each value is a dotted path to a callable taking a list of claimed Transaction objects. If the
module does not exist yet, the dispatcher leaves the rows alone (and says so once in the log).
"""

PROCESSORS = {
    "inbound": "apps.sync.pipeline.transactions_process",
    "outbound": "apps.sync.delivery.transactions_deliver",
}
