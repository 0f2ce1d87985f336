"""The platform simulator (part of the product): realistic, signed webhook traffic from the
construction platforms to the hub, with a configurable share of realistic bad data, and the
follow-up GET endpoints the document connectors call.

- world.py     the simulated platforms' state (projects, submittals, drawings, ACC documents,
               budgets, milestones, field activity), deterministic for a seed;
- payloads.py  the wire formats: Procore v2.0/v3.0/v4.0 deliveries and REST resources, the ACC
               envelope and Data Management versions, Standard Webhooks payloads;
- signing.py   Standard Webhooks and x-adsk-signature signing (independent of the hub's code);
- server.py    the follow-up GET server (Procore REST and ACC Data Management shapes);
- emitter.py   the rate-limited sender with its bad-data mix and its report.

`manage.py emit_platform_events` runs the emitter and the server in one process.
"""
