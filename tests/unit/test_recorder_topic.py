"""The store's recorder is found by its topic, today's and the one it had before it moved."""

from __future__ import annotations

from eventsourcing.utils import resolve_topic

from eventstore.database import eventsourcing_env
from eventstore.postgres import LockedInsertRecorder


def test_the_environment_names_the_recorder_by_its_topic() -> None:
    topic = eventsourcing_env("postgresql://u@localhost/db")["APPLICATION_RECORDER_TOPIC"]
    assert topic == "eventstore.postgres:LockedInsertRecorder"
    assert resolve_topic(topic) is LockedInsertRecorder


def test_the_topic_of_earlier_releases_still_resolves_to_the_recorder() -> None:
    assert resolve_topic("okr.eventstore:LockedInsertRecorder") is LockedInsertRecorder
