"""`GET /v1/changes` tells the truth: a retarget's own reason, and no progress reported as
changed when nothing changed. Instants are taken between commands (real time)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.http import Api, Org


def instant() -> str:
    return datetime.now(UTC).isoformat()


def changes(api: Api, position: int, since: str, until: str) -> dict[str, Any]:
    answer = api.read("/v1/changes", position,
                      params={"cycle": "2026-Q4", "since": since, "until": until})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_retarget_keeps_its_own_reason_after_later_edits_in_the_window(
    api: Api, org: Org
) -> None:
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"], start=0, target=10)
    since = instant()
    url = f"/v1/key-results/{kr['id']}"
    api.ok("PATCH", url, {"target": 20, "reason": "raised bar"})
    handover = api.ok("PUT", f"{url}/owner", {"owner": {"type": "team", "id": org.team},
                                              "reason": "handover"})
    after_handover = instant()
    last = api.ok("PATCH", url, {"title": "Renamed"})
    until = instant()
    expected = [{"id": kr["id"], "from": 10.0, "to": 20.0, "reason": "raised bar"}]
    assert changes(api, handover["position"], since, after_handover)["retargeted"] == expected
    assert changes(api, last["position"], since, until)["retargeted"] == expected


def test_the_reason_is_that_of_the_latest_target_change_in_the_window(
    api: Api, org: Org
) -> None:
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"], start=0, target=10)
    url = f"/v1/key-results/{kr['id']}"
    api.ok("PATCH", url, {"target": 15, "reason": "before the window"})
    since = instant()
    api.ok("PATCH", url, {"target": 20, "reason": "first"})
    api.ok("PATCH", url, {"target": 30, "reason": "second"})
    api.ok("PATCH", url, {"target": 30, "reason": "same target again"})
    last = api.ok("PATCH", url, {"weight": 2, "reason": "heavier"})
    body = changes(api, last["position"], since, instant())
    assert body["retargeted"] == [{"id": kr["id"], "from": 15.0, "to": 30.0,
                                   "reason": "second"}]


def test_renaming_one_of_three_key_results_reports_no_progress_change(
    api: Api, org: Org
) -> None:
    api.cycle()
    objective = api.objective(org.team)
    krs = [api.key_result(objective["id"], title=title, start=0, target=10)
           for title in ("A", "B", "C")]
    for kr, value in zip(krs, (1, 2, 3), strict=True):
        api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": value})
    since = instant()
    # A moves from first to last in title order: its objective's mean is summed anew.
    last = api.ok("PATCH", f"/v1/key-results/{krs[0]['id']}", {"title": "D"})
    body = changes(api, last["position"], since, instant())
    assert body["progress"] == []
    assert body["added"] == body["retargeted"] == body["reassigned"] == []
