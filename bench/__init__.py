"""Benchmarks of okr-ledger, each against a baseline measured in the same run."""
