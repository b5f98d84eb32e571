"""Outgoing webhooks: domain events POSTed, signed, to the URLs an admin configured.

This package owns the ``webhooks`` and ``webhook_deliveries`` tables and:

- ``events``: which bus events are delivered, each one's stable event id
  (``call.ended:<linkedid>``, ``lead.created:<lead id>``, ...) and JSON payload;
- ``outbox``: on those events, one pending delivery row per matching active
  webhook, idempotent by (webhook, event id);
- ``delivery``: the worker that claims due rows (``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so several instances never send one row twice), POSTs them and
  retries with exponential backoff and jitter until delivered or failed;
- ``signing``: the ``X-Callcenter-Signature`` HMAC, and its check for receivers;
- ``service``: configuring webhooks and reading or redelivering the delivery log
  (what the REST API calls).

Receivers' side: ``docs/webhooks.md``.
"""
