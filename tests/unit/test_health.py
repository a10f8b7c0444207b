"""Health rules (domain/health.py), shared by the engagement read and the alerts consumer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.health import (
    AT_RISK_CONFIDENCE,
    HEALTH_RULE,
    LAG_MARGIN,
    STALE_AFTER,
    Health,
    health,
    is_lagging,
    is_stale,
    objective_health,
    pace,
)

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


def test_pace_is_the_share_of_the_cycle_elapsed_from_its_first_to_the_end_of_its_last_day() -> None:
    assert pace(date(2026, 10, 1), date(2026, 12, 31), datetime(2026, 9, 1, tzinfo=UTC)) == 0.0
    assert pace(date(2026, 10, 1), date(2026, 12, 31), datetime(2027, 1, 1, tzinfo=UTC)) == 1.0
    assert pace(date(2026, 10, 1), date(2026, 10, 2), datetime(2026, 10, 2, tzinfo=UTC)) == \
        timedelta(days=1) / (timedelta(days=2) - timedelta(microseconds=1))


def test_a_key_result_is_stale_only_after_more_than_fourteen_days_without_a_check_in() -> None:
    assert timedelta(days=14) == STALE_AFTER
    assert not is_stale(NOW - STALE_AFTER, NOW)
    assert is_stale(NOW - STALE_AFTER - timedelta(microseconds=1), NOW)


def test_a_key_result_lags_when_more_than_the_margin_behind_the_pace() -> None:
    assert LAG_MARGIN == 0.2
    assert is_lagging(0.29, 0.5)
    assert not is_lagging(0.5, 0.5) and not is_lagging(0.9, 0.5)
    assert not is_lagging(0.0, 0.1)  # early in the cycle nothing lags


def test_a_key_result_lagging_behind_the_pace_is_off_track_whatever_its_confidence() -> None:
    assert health(0.29, 0.5, 0.9) is Health.OFF_TRACK
    assert health(0.29, 0.5, 0.1) is Health.OFF_TRACK
    assert health(0.29, 0.5, None) is Health.OFF_TRACK


def test_a_key_result_on_pace_with_a_confidence_below_one_half_is_at_risk() -> None:
    assert AT_RISK_CONFIDENCE == 0.5
    assert health(0.5, 0.5, 0.49) is Health.AT_RISK
    assert health(0.5, 0.5, 0.5) is Health.ON_TRACK
    assert health(0.5, 0.5, None) is Health.ON_TRACK  # no confidence given: no doubt expressed


def test_an_objective_is_at_risk_when_any_of_its_key_results_is_in_doubt() -> None:
    assert objective_health(0.6, 0.5, [0.9, None, 0.3]) is Health.AT_RISK
    assert objective_health(0.6, 0.5, [0.9, None]) is Health.ON_TRACK
    assert objective_health(0.6, 0.5, []) is Health.ON_TRACK
    assert objective_health(0.2, 0.5, [0.9]) is Health.OFF_TRACK


def test_the_rule_shown_on_pages_names_the_margin_and_the_confidence() -> None:
    assert "20%" in HEALTH_RULE and "0.5" in HEALTH_RULE
