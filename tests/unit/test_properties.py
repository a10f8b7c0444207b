"""Rules that hold for all inputs (hypothesis, bounded examples)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.alignment import is_forest
from domain.application import OkrApplication
from domain.errors import DomainError
from domain.progress import kr_progress, weighted_mean

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@given(start=finite, target=finite, current=st.none() | finite)
@settings(max_examples=200, deadline=None)
def test_progress_is_always_between_zero_and_one(
    start: float, target: float, current: float | None
) -> None:
    assert 0.0 <= kr_progress(start, target, current) <= 1.0


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.01, 100)), min_size=1, max_size=20))
@settings(max_examples=100, deadline=None)
def test_weighted_mean_stays_within_its_values(pairs: list[tuple[float, float]]) -> None:
    values = [value for value, _ in pairs]
    assert min(values) - 1e-9 <= weighted_mean(pairs) <= max(values) + 1e-9


@given(
    size=st.integers(2, 7),
    moves=st.lists(st.tuples(st.integers(0, 6), st.none() | st.integers(0, 6)), max_size=25),
)
@settings(max_examples=50, deadline=None)
def test_any_sequence_of_realignments_leaves_a_forest(
    size: int, moves: list[tuple[int, int | None]]
) -> None:
    app = OkrApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    team = app.create_team(name="T", parent_id=None, actor="a").id
    app.create_cycle(key="C", starts_on=date(2026, 1, 1), ends_on=date(2026, 3, 31), actor="a")
    ids = [
        app.create_objective(cycle="C", title=f"O{i}", description=None,
                             owner={"type": "team", "id": team}, parent_id=None,
                             actor="a").id
        for i in range(size)
    ]
    from uuid import UUID

    for child, parent in moves:
        before = app.recorder.max_notification_id()
        try:
            app.realign_objective(
                UUID(ids[child % size]),
                parent_id=None if parent is None else UUID(ids[parent % size]), actor="a",
            )
        except DomainError:
            assert app.recorder.max_notification_id() == before
        assert is_forest(app.cycle("C").parents)
