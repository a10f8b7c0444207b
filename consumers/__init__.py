"""The Kafka side of okr-ledger: `publisher/` (the relay), the CloudEvents binding, typed
events and AsyncAPI generation, the toolkit for downstream services, `reference/` consumers."""
