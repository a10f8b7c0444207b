"""`changes` between any two instants equals the contract's definition applied to a model of
the cycle, for random command sequences (hypothesis, bounded examples).

The model (tests/support/changes_model.py) is built from the commands that succeeded; the
instants are taken between commands, in real time.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from eventstore import Store
from projections.reports import changes
from projections.runner import catch_up
from tests.support.changes_model import Cycle, KeyResult, Objective

EXAMPLES = count()
REASONS = st.sampled_from([None, "raised bar", "handover", "rescoped"])
pick = st.integers(0, 9)
step = st.one_of(
    st.tuples(st.just("objective"), pick, st.booleans()),
    st.tuples(st.just("kr"), pick, st.sampled_from(["A", "B", "C"]), st.integers(1, 12),
              st.sampled_from([1.0, 2.0, 0.5])),
    st.tuples(st.just("check_in"), pick, st.integers(-4, 14), st.none() | st.integers(0, 3)),
    st.tuples(st.just("check_in"), pick, st.integers(-4, 14), st.none() | st.integers(0, 3)),
    st.tuples(st.just("retarget"), pick, st.integers(1, 12), REASONS),
    st.tuples(st.just("reweight"), pick, st.sampled_from([1.0, 3.0])),
    st.tuples(st.just("retitle_kr"), pick, st.sampled_from(["A", "B", "C", "D"])),
    st.tuples(st.just("reassign_kr"), pick, st.sampled_from([None, "team", "person"]),
              REASONS),
    st.tuples(st.just("reassign"), pick, st.sampled_from(["team", "person"]), REASONS),
    st.tuples(st.just("realign"), pick, st.integers(-1, 9)),
    st.tuples(st.just("retitle"), pick, st.sampled_from(["X", "Y", "Z"])),
    st.tuples(st.just("archive"), pick),
)
SETUP = [("objective", 0, False), ("kr", 0, "A", 10, 1.0), ("kr", 0, "B", 5, 2.0),
         ("kr", 0, "C", 7, 1.0)]


class Player:
    """Runs steps on the application and, when one succeeds, on the model."""

    def __init__(self, store: Store, cycle: str) -> None:
        self.app, self.cycle, self.model = store.app, cycle, Cycle()
        team = self.app.create_team(name="T", parent_id=None, actor="a").id
        person = self.app.register_person(name="P", email=f"p{cycle}@example.com",
                                          team_id=None, actor="a").id
        self.owners = {"team": {"type": "team", "id": team},
                       "person": {"type": "person", "id": person}}
        today = date.today()
        self.app.create_cycle(key=cycle, starts_on=today - timedelta(30),
                              ends_on=today + timedelta(60), actor="a")
        self.effective_base = datetime.now(UTC) - timedelta(days=1)
        self.check_ins = count()

    def play(self, kind: str, args: list[Any]) -> None:
        objectives, krs = list(self.model.objectives), list(self.model.krs)
        needs = krs if kind in ("check_in", "retarget", "reweight", "retitle_kr",
                                "reassign_kr") else objectives
        if needs or kind == "objective":
            with contextlib.suppress(DomainError):
                getattr(self, kind)(*args, objectives=objectives, krs=krs)

    def objective(self, i: int, aligned: bool, *, objectives: list[str], **_: Any) -> None:
        parent = objectives[i % len(objectives)] if objectives and aligned else None
        oid = self.app.create_objective(
            cycle=self.cycle, title="X", description=None, owner=self.owners["team"],
            parent_id=None if parent is None else UUID(parent), actor="a").id
        self.model.objectives[oid] = Objective("X", self.owners["team"], parent)

    def kr(self, i: int, title: str, target: int, weight: float, *, objectives: list[str],
           **_: Any) -> None:
        oid = objectives[i % len(objectives)]
        kid = self.app.add_key_result(UUID(oid), title=title, kind="numeric", start=0,
                                      target=target, weight=weight, actor="a").id
        self.model.krs[kid] = KeyResult(oid, title, 0.0, float(target), weight)

    def check_in(self, i: int, value: int, hours_back: int | None, *, krs: list[str],
                 **_: Any) -> None:
        kid = krs[i % len(krs)]
        effective = None if hours_back is None else (
            self.effective_base - timedelta(hours=hours_back))
        self.app.check_in(UUID(kid), value=value, effective_at=effective, channel="api", actor="a")
        # The default effective_at is the check-in's own time: later than any chosen one.
        when = effective or datetime.now(UTC)
        self.model.krs[kid].check_ins.append((when, next(self.check_ins), float(value)))

    def retarget(self, i: int, target: int, reason: str | None, *, krs: list[str],
                 **_: Any) -> None:
        kid = krs[i % len(krs)]
        self.app.edit_key_result(UUID(kid), target=target, reason=reason, actor="a")
        self.model.retarget(kid, float(target), reason)

    def reweight(self, i: int, weight: float, *, krs: list[str], **_: Any) -> None:
        kid = krs[i % len(krs)]
        self.app.edit_key_result(UUID(kid), weight=weight, reason="w", actor="a")
        self.model.krs[kid].weight = weight

    def retitle_kr(self, i: int, title: str, *, krs: list[str], **_: Any) -> None:
        kid = krs[i % len(krs)]
        self.app.edit_key_result(UUID(kid), title=title, actor="a")
        self.model.krs[kid].title = title

    def reassign_kr(self, i: int, owner: str | None, reason: str | None, *, krs: list[str],
                    **_: Any) -> None:
        kid = krs[i % len(krs)]
        to = None if owner is None else self.owners[owner]
        self.app.reassign_key_result(UUID(kid), owner=to, reason=reason, actor="a")
        self.model.krs[kid].owner = to

    def reassign(self, i: int, owner: str, reason: str | None, *, objectives: list[str],
                 **_: Any) -> None:
        oid = objectives[i % len(objectives)]
        self.app.reassign_objective(UUID(oid), owner=self.owners[owner], reason=reason,
                                    actor="a")
        self.model.objectives[oid].owner = self.owners[owner]

    def realign(self, i: int, parent: int, *, objectives: list[str], **_: Any) -> None:
        oid = objectives[i % len(objectives)]
        to = None if parent < 0 else objectives[parent % len(objectives)]
        self.app.realign_objective(UUID(oid), parent_id=None if to is None else UUID(to),
                                   actor="a")
        self.model.objectives[oid].parent = to

    def retitle(self, i: int, title: str, *, objectives: list[str], **_: Any) -> None:
        oid = objectives[i % len(objectives)]
        self.app.edit_objective(UUID(oid), title=title, actor="a")
        self.model.objectives[oid].title = title

    def archive(self, i: int, *, objectives: list[str], **_: Any) -> None:
        oid = objectives[i % len(objectives)]
        self.app.archive_objective(UUID(oid), actor="a")
        self.model.objectives[oid].archived = True


def instant_after_now() -> datetime:
    """Now, once the clock has moved past the last event (microsecond resolution)."""
    first = datetime.now(UTC)
    while (later := datetime.now(UTC)) <= first:
        pass
    return later


def normalised(answer: dict[str, Any]) -> dict[str, Any]:
    def owner(o: dict[str, str] | None) -> tuple[str, str] | None:
        return None if o is None else (o["type"], o["id"])

    return {
        "added": sorted((a["id"], a["type"], a["title"]) for a in answer["added"]),
        "archived": sorted((a["id"], a["title"]) for a in answer["archived"]),
        "realigned": sorted((r["id"], r["from_parent"], r["to_parent"])
                            for r in answer["realigned"]),
        "reassigned": sorted((r["id"], owner(r["from"]), owner(r["to"]))
                             for r in answer["reassigned"]),
        "retargeted": sorted((r["id"], r["from"], r["to"], r["reason"])
                             for r in answer["retargeted"]),
        "progress": {p["id"]: (p["from"], p["to"]) for p in answer["progress"]},
    }


def assert_same(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    got = normalised(answer)
    for name in ("added", "archived", "realigned", "reassigned", "retargeted"):
        assert got[name] == expected[name], name
    assert set(got["progress"]) == set(expected["progress"]), "progress"
    for key, (before, after) in expected["progress"].items():
        assert abs(got["progress"][key][0] - before) <= 1e-9, key
        assert abs(got["progress"][key][1] - after) <= 1e-9, key


# Issue 11: renaming one of three KRs changes the order its objective's progress was summed in.
RENAME_ONE_OF_THREE = SETUP + [("check_in", k, 1, None) for k in range(3)] + [
    ("retitle_kr", 0, "D")]


@example(steps=RENAME_ONE_OF_THREE, windows=[])
@given(steps=st.lists(step, min_size=4, max_size=24).map(lambda s: SETUP + s),
       windows=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=1,
                        max_size=4))
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_changes_between_any_two_instants_follow_the_contract(
    store: Store, steps: list[Any], windows: list[tuple[int, int]]
) -> None:
    player = Player(store, f"M-{next(EXAMPLES)}")
    instants = [instant_after_now()]
    player.model.snapshot()
    for kind, *args in steps:
        player.play(kind, args)
        instants.append(instant_after_now())
        player.model.snapshot()
    catch_up(store)
    last = len(instants) - 1
    # Each step alone (nothing else may show as changed), the whole run, and random windows.
    for a, b in [*((k, k + 1) for k in range(last)), (0, last), *windows]:
        i, j = sorted((a % len(instants), b % len(instants)))
        with store.pool.connection() as conn:
            answer = changes(conn, player.cycle, instants[i], instants[j])
        assert answer is not None
        assert_same(answer, player.model.changes(i, j))
