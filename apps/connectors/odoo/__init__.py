"""The Odoo connector (registered as "odoo"): `connector_for(system)` returns an OdooConnector.

Configuration (System)
    base_url      e.g. https://erp.example.com (no path)
    credentials   {"database", "username", "password"} for JSON-RPC (the password may be an API
                  key), or {"database", "api_key"} for JSON-2; encrypted at rest, never logged.
    options       api: "jsonrpc" (default, Odoo 16-19) | "json2" (Odoo 19+);
                  timeout_seconds (read timeout, default 30), connect_timeout_seconds (5),
                  max_connections (20); batch_size (records per create call, default 100);
                  context (merged into every call, e.g. {"lang": "en_US", "tz": "UTC",
                  "allowed_company_ids": [1]}); external_id_module ("integrationhub");
                  project_plan / cost_code_plan (analytic plan names, "Projects"/"Cost Codes");
                  pull_overlap_seconds (re-read window for incremental pulls, default 0).

Protocol
    health() -> HealthResult          version + a fresh login, with latency.
    push(*, domain, operation, payload, idempotency_key, external_id=None) -> PushResult
        raises PermanentError / TransientError (apps/connectors/errors.py) with the Odoo
        class name in `remote_name` and Retry-After seconds in `retry_after`.
    push_many(*, domain, operation, items=[{"payload", "idempotency_key", "external_id"?}])
        -> list[PushResult | ConnectorError], one per item, in order. Creates of a batch travel
        in ONE `create` call with a list of dicts (+ one ir.model.data call, + one lookup
        search); a batch Odoo refuses is retried record by record so one bad record does not
        hold the others.
    pull(*, domain, since=None, cursor=None, limit=200) -> PullPage (see OdooConnector.pull);
    pull_changes(*, domain, cursor=None, limit) starts from the stored SyncCursor
    ("<model>:write_date"); commit_high_water_mark(*, domain, value) stores a page's mark.
    external_ids(*, domain) -> every Odoo id (reconciliation of deletions).

Operations: create (idempotent: an existing record is returned with created=False), update /
upsert (write; create when missing), and per domain: commitment confirm / cancel, invoice post /
cancel / draft / hold / release (release_to_pay_manual "no"/"yes"), payment post / cancel,
vendor / cost_code / project / product archive (the hub never unlinks in Odoo), sale_order
confirm / cancel / draft. Every action is state-guarded (confirming a confirmed PO does
nothing), so retries are safe. An action finds its
record by external_id or by the payload's reference (below). Also understood, as emitted by
apps/procurement: invoice match_result (payload.result matched / matched_within_tolerance →
release, exception / variance / unmatched → hold), budget_line revise (= upsert), change_order
apply (= commitment update: lines with purchase_line_id change, others are added).

Payloads (canonical keys; references by Odoo id or by natural key, resolved in one search per
kind per batch; money and quantities as Decimal or strings; dates ISO 8601)
    vendor       ref*, name*, vat, email, phone, street, city, zip, country (ISO code),
                 is_company (default true), active
    cost_code    code*, name*, plan (analytic plan name, default options.cost_code_plan)
    project      code* (= its analytic account's code), name* (to create), description,
                 start_date, end_date, active
    budget_line  budget* (budget.analytic name; date_from/date_to to create it), project_code,
                 cost_code* | analytic_account_id*, amount*
    commitment   number* (→ origin), vendor_ref | vendor_id*, vendor_reference (→ partner_ref),
                 currency, project_code, order_date, planned_date, notes, confirmed (bool),
                 lines*: [{product_code | product_id, description, quantity*, unit_price*,
                 cost_code | analytic_account_id | cost_codes [{code, percent}] |
                 analytic_distribution {"<ids>": pct}, planned_date, purchase_line_id (update)}]
                 With project_code, distribution keys join "<project account>,<cost code>".
    receipt      commitment_number | commitment_id | purchase_order_name*, lines*:
                 [{purchase_line_id | product_code | product_id, quantity*}]
    invoice      number* (vendor bill no. → ref), vendor_ref | vendor_id (or from the PO),
                 kind (bill | credit_note), commitment_number | commitment_id, invoice_date,
                 due_date, currency, project_code, notes, post (bool), lines*: [{
                 purchase_line_id | product_code, description, quantity, unit_price, analytics
                 as for commitments}] (quantity, price and analytics default from the PO line)
    payment      reference* (→ memo), vendor_ref | vendor_id*, amount (* without bills),
                 currency, date, journal_code, post (default true), invoice_ids |
                 invoice_numbers (then Odoo's account.payment.register wizard pays those bills)
    product      code* (→ default_code), name*, type (goods | service), unit (uom name),
                 standard_price, purchase_method, active
    sale_order   number* (→ client_order_ref), customer_ref* (+ customer_name to create the
                 customer) | customer_id, currency* (ISO code), company_id (the seller's
                 res.company id), date_order, origin, notes, confirm (default true),
                 lines*: [{description, quantity*, unit_price*, product_code* | product_id}]
                 (a line without a product takes options.sale_line_product, a default_code:
                 Odoo refuses sales lines without a product)
    company_id   (commitment, invoice, customer_invoice, budget_line) the Odoo company to book
                 a new record in (res.company id, the hub entity's company); written on create
                 only. The connection's context must allow that company (allowed_company_ids).
PushResult.response carries model, id, found_by (external_id | xmlid | reference | "" when
created now), xmlid, and per domain Odoo's own view: commitment name/state/line_ids/
amount_total, invoice name/state/payment_state/line_ids, payment name/state/amount, receipt
name/state, project analytic_account_id, budget_line budget_amount/budget_id.

Idempotency
    Before creating, the connector looks for (1) the `external_id` given, (2) an ir.model.data
    row in module "integrationhub" whose name derives from the idempotency key
    (`xmlid_name(domain, key)`), (3) the record's own external reference (table below). It
    creates the xmlid right after the record; if that second call is lost, (3) finds the record
    on the retry and the xmlid is repaired. Keep keys stable per subject: a replay must reuse
    the key of the original (e.g. "commitment:<canonical id>").

Observability
    connector.on_call = callable(record) is called after EVERY HTTP round trip with
        {"protocol": "jsonrpc"|"json2", "service": "object"|"common"|"web",
         "model": "purchase.order", "method": "create", "records": 25 (when known),
         "duration_ms": 12.7, "ok": True, "error_code": "", "remote_name": "",
         "status_code": 200 (absent when no answer came)}
    The sync engine records these inside the outbound Transaction. connector.round_trips
    counts them, connector.round_trip_ms sums their durations, connector.calls keeps the last
    1,000. A failing observer is logged, never turned into a failed push (the write happened).

Mapping (canonical field ← Odoo field)   [push writes the same pairs the other way]
    vendor       res.partner            ref ← ref (the reference), name, vat, email, phone,
                                        street, city, zip, country ← country_id (push: ISO code),
                                        is_company, active; push sets supplier_rank = 1.
    project      project.project        code ← account_id.code (the project's analytic account,
                 + account.analytic.account  created with it; 17: analytic_account_id), name,
                                        description, start_date ← date_start, end_date ← date.
    cost_code    account.analytic.account  code ← code (the reference), name, plan ← plan_id
                                        (push: plan by name, default "Cost Codes").
    budget_line  budget.line (+ budget.analytic, found or created by name)
                                        budget ← budget_analytic_id, analytic_account_id ←
                                        account_id, amount ← budget_amount, achieved ←
                                        achieved_amount, date_from, date_to. Reference:
                                        (budget, analytic account).
    commitment   purchase.order         number ← origin (the reference), odoo_name ← name,
                                        vendor_id ← partner_id, vendor_reference ← partner_ref,
                                        state, currency ← currency_id, order_date ← date_order,
                                        amount_untaxed/amount_tax/amount_total; lines ←
                                        order_line: purchase_line_id, description ← name,
                                        product_id, quantity ← product_qty, quantity_received ←
                                        qty_received, quantity_invoiced ← qty_invoiced,
                                        unit_price ← price_unit, analytic_distribution (push:
                                        from cost_code, cost_codes [{code, percent}] or given).
                                        payload.confirmed → button_confirm.
    receipt      stock.picking (incoming) odoo_name ← name, commitment_id ← purchase_id, state,
                                        received_at ← date_done; lines ← move_ids: product_id,
                                        purchase_line_id, quantity_expected ← product_uom_qty,
                                        quantity ← quantity. Push: sets the move quantities of
                                        the PO's open receipt and calls button_validate (the
                                        rest stays open as a backorder).
    invoice      account.move (in_invoice / in_refund)
                                        number ← ref (with vendor and type: the reference),
                                        odoo_name ← name, kind ← move_type, state,
                                        payment_state, vendor_id ← partner_id, invoice_date,
                                        due_date ← invoice_date_due, commitment_odoo_name ←
                                        invoice_origin, amounts, release_to_pay ←
                                        release_to_pay_manual; lines ← invoice lines with
                                        purchase_line_id (push: matched to the PO line by id or
                                        product, quantity/price/analytics default from it).
                                        payload.post → action_post.
    payment      account.payment (outbound, supplier)
                                        reference ← memo (≤17: ref), vendor_id ← partner_id,
                                        amount, currency, date, state. Posted unless
                                        payload.post is false.
    product      product.product        code ← default_code, name, type, purchase_method, unit.
    sale_order   sale.order             number ← client_order_ref (with company_id: the
                 (the seller's side of an   reference), name, state (draft/sent/sale/cancel),
                 intercompany commitment)   customer_id ← partner_id, customer_ref ←
                                        partner_id.ref, customer_name, company_id (int),
                                        currency ← currency_id, date_order (Odoo sets it to
                                        the confirmation time), origin, amount_untaxed/
                                        amount_tax/amount_total; lines → order_line:
                                        description → name, product_code → product_id,
                                        quantity → product_uom_qty, unit_price → price_unit
                                        (taxes: Odoo's default from the product).
                                        Push: the customer (res.partner by ref) is created as
                                        a company customer when missing; confirm →
                                        action_confirm. update: a draft/sent order's header and
                                        lines are rewritten; a confirmed one keeps its lines
                                        (matched by position: changed values written, new
                                        lines added, dropped ones set to quantity 0). cancel →
                                        action_cancel with context disable_cancel_warning
                                        (else Odoo answers with its cancel wizard). Reading
                                        back for reconciliation: domains.sale_orders_by_reference
                                        (connector or client, numbers, company_id) → {number:
                                        canonical record}, one search_read.
Every pulled record also carries domain, external_id (Odoo id), odoo_model, write_date (ISO
UTC) and idempotency_key "odoo:<system>:<model>:<id>:<write_date>" (same version = same key).
"""

from apps.connectors.odoo.connector import OdooConnector, xmlid_name  # noqa: F401  (registers)
