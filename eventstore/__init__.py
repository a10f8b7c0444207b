"""The event log: PostgreSQL recorder, where the database is, following the log, follower
tracking, the public event envelope, and the opened store (`Store`)."""

from eventstore.store import Store, open_store

__all__ = ["Store", "open_store"]
