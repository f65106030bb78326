"""Hash exchanges (issue 11, item 2): NCMEC hash sharing, StopNCII, Meta's ThreatExchange and
local files, through python-threatexchange's `SignalExchangeAPI` implementations.

`clients` builds the library's API object for a configured exchange (store.banks.HmaExchange),
pointed at a configurable base URL; `records` turns each API's records into bank entries;
`fetch` runs checkpointed, resumable fetches that fill the exchange's bank; `opinions` sends a
reviewer's verdict on a match back upstream through the outbox; `health` reports each
exchange's last fetch for `/hma/c/exchange/{name}/status`, the staff page and `/metrics`.
"""
