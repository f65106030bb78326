"""The transactional outbox and the worker that drains it.

Side effects (webhooks, filings, notifications, slow hashing) are rows written in the same
transaction as the state change that caused them, then carried out at least once by a worker
(DESIGN rule 10). Every handler is idempotent, so a retry or a replay changes nothing twice.
"""
