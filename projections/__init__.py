"""Read models of okr-ledger, each a projection of the event store into PostgreSQL."""
