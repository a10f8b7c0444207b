"""Every event class of the domain, and its stable, versioned public name
(`okr.key_result.checked_in.v1`)."""

from __future__ import annotations

import functools
import re
from typing import Any

from domain.base import EventClass, OkrAggregate
from domain.cycle import Cycle
from domain.key_result import KeyResult
from domain.objective import Objective
from domain.organisation import Person, Team

AGGREGATES: tuple[type[OkrAggregate], ...] = (Team, Person, Cycle, Objective, KeyResult)

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")

AGGREGATE_NAMES = {
    "Team": "team",
    "Person": "person",
    "Cycle": "cycle",
    "Objective": "objective",
    "KeyResult": "key_result",
}


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def event_type_of(event: Any) -> str:
    """The contract's `type` of a domain event object or class."""
    return _event_type(event if isinstance(event, type) else type(event))


@functools.cache
def _event_type(cls: type) -> str:
    return stored_event_type(cls, getattr(cls, "class_version", 1))


@functools.cache
def stored_event_type(cls: type, version: int) -> str:
    """The `type` of an event of class `cls` stored with schema `version` (which may be older
    than the class's own, before upcasting)."""
    aggregate, _, name = cls.__qualname__.rpartition(".")
    return f"okr.{AGGREGATE_NAMES.get(aggregate, snake(aggregate))}.{snake(name)}.v{version}"


def aggregate_type_of(event: Any) -> str:
    return _aggregate_type(event if isinstance(event, type) else type(event))


@functools.cache
def _aggregate_type(cls: type) -> str:
    aggregate = cls.__qualname__.rpartition(".")[0]
    return AGGREGATE_NAMES.get(aggregate, snake(aggregate))


def event_classes() -> list[EventClass]:
    """Every concrete event class of the aggregates (`Objective.Created`...), in a stable order."""
    return [
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, OkrAggregate.Event)
        and value.__qualname__.startswith(f"{aggregate.__name__}.")
        and value.__name__ != "Event"
    ]


def schema_versions(cls: type) -> range:
    """The schema versions an event class reads: 1 up to its `class_version`."""
    return range(1, getattr(cls, "class_version", 1) + 1)


def fields_of_version(cls: type, fields: dict[str, Any], version: int) -> dict[str, Any]:
    """Of a class's payload `fields`, those an event stored at schema `version` has (a class
    names the version each later field came with in `fields_since`)."""
    since: dict[str, int] = getattr(cls, "fields_since", {})
    return {name: hint for name, hint in fields.items() if since.get(name, 1) <= version}


def upcast(cls: type, version: int, state: dict[str, Any]) -> dict[str, Any]:
    """`state` of schema `version` brought to the class's current one by its upcasters
    (`upcast_v1_v2`...), as the store's mapper does when it reads an older event."""
    for step in range(version, getattr(cls, "class_version", 1)):
        getattr(cls, f"upcast_v{step}_v{step + 1}")(state)
    return state
