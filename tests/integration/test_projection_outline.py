"""The tree a part at a time (projections/outline.py): pages of roots, children, subtrees,
a team's objectives, and health at the read's instant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

import pytest

from domain import clock
from domain.errors import NotFound
from domain.health import Health
from eventstore import Store
from eventstore.txtime import TICK, loading
from projections import queries
from projections.runner import catch_up

DAY1 = datetime(2026, 10, 1, 9, tzinfo=UTC)


def day(n: int) -> datetime:
    return DAY1 + timedelta(days=n - 1)


@contextmanager
def at(when: datetime) -> Iterator[None]:
    """Record what the block does at `when` (a microsecond apart, as the store needs)."""
    ticks = count()
    with clock.clock_installed(lambda: when + next(ticks) * TICK):
        yield


@pytest.fixture
def loaded(store: Store) -> Iterator[None]:
    """The test's history goes into the empty store at the past instants it names."""
    with loading(store.app):
        yield


@dataclass
class Forest:
    """Team X owns A and C, X's person owns D, team Y owns B, E and F.

    A -> B -> C -> D, A -> E; F is another root. A has the KR `kr` (0 -> 100).
    """

    team_x: UUID
    team_y: UUID
    ids: dict[str, str]
    kr: str


@pytest.fixture
def forest(store: Store, loaded: None) -> Forest:
    app = store.app
    with at(day(1)):
        x = UUID(app.create_team(name="X", parent_id=None, actor="admin").id)
        y = UUID(app.create_team(name="Y", parent_id=None, actor="admin").id)
        ann = app.register_person(name="Ann", email="ann@x.io", team_id=x, actor="admin").id
        app.create_cycle(key="2026-Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31),
                         actor="admin")
        ids: dict[str, str] = {}
        owners = {"A": ("team", x), "B": ("team", y), "C": ("team", x), "D": ("person", ann),
                  "E": ("team", y), "F": ("team", y)}
        parents = {"B": "A", "C": "B", "D": "C", "E": "A"}
        for name in "ABCDEF":
            kind, owner = owners[name]
            ids[name] = app.create_objective(
                cycle="2026-Q4", title=name, description=None,
                owner={"type": kind, "id": str(owner)}, parent_id=_id(ids, parents.get(name)),
                actor="admin").id
        kr = app.add_key_result(UUID(ids["A"]), title="Revenue", kind="numeric", start=0,
                                target=100, actor="admin").id
    catch_up(store)
    return Forest(x, y, ids, kr)


def _id(ids: dict[str, str], name: str | None) -> UUID | None:
    return None if name is None else UUID(ids[name])


def read(store: Store, query: Any, *args: Any, **kwargs: Any) -> Any:
    catch_up(store)
    with store.pool.connection() as conn:
        return query(conn, *args, **kwargs)


def titles(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["title"] for node in nodes]


def test_a_page_opens_the_roots_and_their_children_and_counts_the_deeper_ones(
    store: Store, forest: Forest
) -> None:
    page = read(store, queries.tree_page, "2026-Q4")
    assert titles(page["roots"]) == ["A", "F"] and page["total_roots"] == 2
    a = page["roots"][0]
    assert titles(a["children"]) == ["B", "E"] and a["child_count"] == 2
    b = a["children"][0]
    assert (b["child_count"], b["children"]) == (1, [])


def test_the_nodes_of_a_page_are_those_of_the_json_tree_at_the_same_instants(
    store: Store, forest: Forest
) -> None:
    with at(day(9)):
        store.app.check_in(UUID(forest.kr), value=30, effective_at=day(8), actor="ann",
                           channel="api")
    with at(day(12)):
        store.app.check_in(UUID(forest.kr), value=45, effective_at=day(5), actor="ann",
                           channel="api")
    for as_of, valid_at in ((None, None), (day(10), None), (None, day(6)), (day(10), day(9))):
        tree = read(store, queries.alignment_tree, "2026-Q4", as_of=as_of, valid_at=valid_at)
        page = read(store, queries.tree_page, "2026-Q4", as_of=as_of, valid_at=valid_at,
                    levels=10)
        assert _plain(page["roots"]) == _plain(tree["roots"]), (as_of, valid_at)
        assert page["as_of"] == tree["as_of"]
        if as_of or valid_at:  # else valid_at is the moment of each read
            assert page["valid_at"] == tree["valid_at"]


def _plain(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A node as the JSON tree has it: without health, counts or confidences."""
    keep = ("id", "title", "owner", "progress")
    return [{**{k: n[k] for k in keep}, "children": _plain(n["children"]),
             "key_results": [{k: kr[k] for k in ("id", "title", "current", "target", "progress")}
                             for kr in n["key_results"]]}
            for n in nodes]


def test_children_of_a_node_come_with_their_own_counts(store: Store, forest: Forest) -> None:
    children = read(store, queries.children_of, "2026-Q4", forest.ids["B"])
    assert titles(children) == ["C"]
    assert (children[0]["child_count"], children[0]["children"]) == (1, [])


def test_a_subtree_starts_at_its_node_and_names_the_path_above_it(
    store: Store, forest: Forest
) -> None:
    page = read(store, queries.tree_page, "2026-Q4", root=forest.ids["C"])
    assert titles(page["roots"]) == ["C"] and titles(page["roots"][0]["children"]) == ["D"]
    assert titles(page["path"]) == ["A", "B"]
    with pytest.raises(NotFound):
        read(store, queries.tree_page, "2026-Q4", root=str(forest.team_x))


def test_roots_come_a_page_at_a_time(store: Store, forest: Forest) -> None:
    first = read(store, queries.tree_page, "2026-Q4", limit=1)
    second = read(store, queries.tree_page, "2026-Q4", limit=1, offset=1)
    assert (titles(first["roots"]), titles(second["roots"])) == (["A"], ["F"])
    assert first["total_roots"] == second["total_roots"] == 2
    assert read(store, queries.tree_page, "2026-Q4", levels=1)["roots"][0]["children"] == []


def test_a_team_filter_keeps_the_objectives_of_the_team_and_its_people(
    store: Store, forest: Forest
) -> None:
    page = read(store, queries.tree_page, "2026-Q4", team=forest.team_x)
    # B (team Y) is not shown, so C becomes a root; D is owned by X's person.
    assert titles(page["roots"]) == ["A", "C"]
    assert titles(page["roots"][1]["children"]) == ["D"]
    assert titles(read(store, queries.tree_page, "2026-Q4", team=forest.team_y)["roots"]) == [
        "B", "E", "F"]


def test_health_is_judged_at_the_instant_of_the_read(store: Store, forest: Forest) -> None:
    with at(day(3)):
        store.app.check_in(UUID(forest.kr), value=10, confidence=0.9, actor="ann",
                           channel="api")
    early = read(store, queries.tree_page, "2026-Q4", as_of=day(5))["roots"][0]
    late = read(store, queries.tree_page, "2026-Q4", as_of=day(50))["roots"][0]
    assert (early["key_results"][0]["health"], early["health"]) == (Health.ON_TRACK,) * 2
    assert (late["key_results"][0]["health"], late["health"]) == (Health.OFF_TRACK,) * 2
    assert late["key_results"][0]["confidence"] == 0.9
    assert 0.5 < read(store, queries.tree_page, "2026-Q4", as_of=day(50))["pace"] < 0.6


def test_a_page_before_an_objective_was_recorded_does_not_show_it(
    store: Store, forest: Forest
) -> None:
    with at(day(4)):
        store.app.create_objective(cycle="2026-Q4", title="Late", description=None,
                                   owner={"type": "team", "id": str(forest.team_y)},
                                   parent_id=None, actor="admin")
    assert titles(read(store, queries.tree_page, "2026-Q4", as_of=day(3))["roots"]) == [
        "A", "F"]
    assert "Late" in titles(read(store, queries.tree_page, "2026-Q4")["roots"])
    assert read(store, queries.tree_page, "1999-Q1") is None
    assert read(store, queries.tree_page, "2026-Q4", as_of=day(1) - timedelta(days=1)) is None


def test_cycle_info_gives_the_dates_and_the_first_recorded_instant(
    store: Store, forest: Forest
) -> None:
    info = read(store, queries.cycle_info, "2026-Q4")
    assert (info.starts_on, info.ends_on, info.status) == (date(2026, 10, 1),
                                                           date(2026, 12, 31), "open")
    assert day(1) < info.first_recorded < day(1) + timedelta(seconds=1)  # the first objective
    assert info.closed_at is None
    assert read(store, queries.cycle_info, "1999-Q1") is None
    assert read(store, queries.cycle_info, "2026-Q4", day(1) - timedelta(days=1)) is None
