"""Every follower of the log handles or deliberately ignores every event class of the domain.

The event classes are enumerated from the aggregates (`domain.event_types.event_classes`), so a
new event class fails here until each follower says what it does with it: a read model that
forgot it would otherwise silently drop it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from consumers.events import decode, models
from consumers.reference.alerts import Alerts
from consumers.reference.tree_mirror import TreeMirror
from domain.application import OkrApplication
from domain.base import EventClass
from domain.event_types import AGGREGATE_NAMES, event_classes, event_type_of
from eventstore.envelope import envelope_of
from projections.audit import FIELDS
from projections.registry import PROJECTIONS
from tests.support.world import record_every_kind_of_event, recorded_events

ALL = frozenset(event_classes())
Follower = tuple[frozenset[EventClass], frozenset[EventClass]]  # (handles, ignores)


def projection(name: str) -> Follower:
    spec = PROJECTIONS[name]
    return frozenset(spec.handlers), spec.ignores


def tree_mirror() -> Follower:
    mirror = TreeMirror()
    return frozenset(mirror.handled()), mirror.ignores


def alerts() -> Follower:
    service = Alerts()
    return frozenset(service.handled()), service.ignores


def typed_consumer_events() -> Follower:
    """A pydantic model for every event type; none is left to the generic model."""
    return frozenset(c for c in ALL if event_type_of(c) in models()), frozenset()


FOLLOWERS: dict[str, Callable[[], Follower]] = {
    **{f"projection {name}": (lambda name=name: projection(name)) for name in PROJECTIONS},
    "typed consumer events": typed_consumer_events,
    "reference consumer tree-mirror": tree_mirror,
    "reference consumer alerts": alerts,
}


def test_the_domain_has_events_of_every_aggregate() -> None:
    assert {event_type_of(c).split(".")[1] for c in ALL} == set(AGGREGATE_NAMES.values())


@pytest.mark.parametrize("name", FOLLOWERS)
def test_every_follower_handles_or_ignores_every_event_class(name: str) -> None:
    handles, ignores = FOLLOWERS[name]()
    both = sorted(c.__qualname__ for c in handles & ignores)
    assert not both, f"{name} both handles and ignores {both}"
    assert not (handles | ignores) - ALL, f"{name} names classes that are not domain events"
    missing = sorted(c.__qualname__ for c in ALL - handles - ignores)
    assert not missing, f"{name} neither handles nor ignores {missing}: add each to its " \
        "handler table or to its ignores, on purpose"


def test_the_audit_trail_maps_the_fields_of_every_event_it_handles() -> None:
    assert set(FIELDS) == set(PROJECTIONS["audit"].handlers)


def test_every_event_class_has_its_own_public_type() -> None:
    types = [event_type_of(c) for c in ALL]
    assert len(set(types)) == len(types)
    assert all(t.startswith("okr.") and t.rsplit(".", 1)[1].startswith("v") for t in types)


def test_the_envelope_carries_every_event_class_and_consumers_decode_each_typed(
    memory_app: OkrApplication,
) -> None:
    """The relay and the feeds publish envelopes: every class encodes, and decodes typed."""
    record_every_kind_of_event(memory_app)
    events = recorded_events(memory_app)
    assert {type(e) for e in events} == ALL, "the scenario must record every event class"
    for position, event in enumerate(events, start=1):
        envelope = envelope_of(event, position)
        assert envelope.type == event_type_of(event)
        assert envelope.aggregate_type in AGGREGATE_NAMES.values()
        assert decode(envelope).known, envelope.type
