"""Use cases. Each is a function of (session, clock, inputs); callers own the transaction."""
