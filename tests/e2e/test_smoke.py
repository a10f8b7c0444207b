"""A first walk through the API."""

from __future__ import annotations

from tests.support.http import Api, Org


def test_an_objective_with_a_key_result_is_readable_after_its_position(api: Api, org: Org) -> None:
    api.cycle()
    created = api.objective(org.team)
    kr = api.key_result(created["id"])
    answer = api.ok("POST", f"/v1/key-results/{kr['id']}/check-ins", {"value": 40})
    assert answer["progress"] == 0.4
    found = api.read(f"/v1/objectives/{created['id']}", answer["position"])
    assert found.status_code == 200, found.text
    assert found.json()["progress"] == 0.4
    assert found.headers["ETag"] == f'"{found.json()["version"]}"'
