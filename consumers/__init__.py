"""Kafka side of okr-ledger: the relay (publisher), the consumer toolkit, reference consumers."""
