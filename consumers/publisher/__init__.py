"""The publisher: the relay of the log to Kafka, one active per topic (leadership)."""
