"""Reference downstream consumers, built on consumers.toolkit: `okr consume NAME`."""
