"""Composition root of okr-ledger: settings, wiring and the `okr` command line."""
