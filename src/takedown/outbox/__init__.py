"""Running the transactional outbox: the worker, and the broker relay behind it.

Side effects (webhooks, filings, notifications, slow hashing) are rows written in the same
transaction as the state change that caused them (each kind declared beside its service, in
takedown.jobs), then carried out at least once by a worker (DESIGN rule 10): the in-process
threads by default, or `takedown worker` processes fed by a broker. Every handler is
idempotent, so a retry or a replay changes nothing twice.
"""
