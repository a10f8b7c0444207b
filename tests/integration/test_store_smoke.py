from datetime import date

from domain.application import OkrApplication


def test_events_are_stored_and_numbered_in_postgres(pg_app: OkrApplication) -> None:
    result = pg_app.create_cycle(
        key="2026-Q4", starts_on=date(2026, 10, 1), ends_on=date(2026, 12, 31), actor="admin"
    )
    assert result.version == 1
    assert result.position >= 1
    assert pg_app.cycle("2026-Q4").key == "2026-Q4"
