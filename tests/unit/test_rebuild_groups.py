"""How a rebuild spreads projections over worker processes."""

from __future__ import annotations

from projections.base import ProjectionSpec
from projections.rebuild import balanced_groups
from projections.registry import select


def _names(groups: list[list[ProjectionSpec]]) -> list[list[str]]:
    return [[spec.name for spec in group] for group in groups]


def test_two_processes_give_the_audit_trail_a_worker_of_its_own() -> None:
    assert _names(balanced_groups(select(), 2)) == [["audit"], ["alignment", "directory"]]


def test_never_more_groups_than_projections_nor_empty_ones() -> None:
    assert _names(balanced_groups(select(), 8)) == [["audit"], ["alignment"], ["directory"]]
    assert _names(balanced_groups(select(["directory"]), 4)) == [["directory"]]


def test_one_process_loads_everything_together() -> None:
    assert _names(balanced_groups(select(), 1)) == [["audit", "alignment", "directory"]]
