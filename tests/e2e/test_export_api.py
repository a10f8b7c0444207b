"""GET /v1/export streams the log for admins; check-ins record the edge they came through."""

from __future__ import annotations

import orjson

from tests.support.http import Api, Org, assert_problem


def test_export_streams_the_log_as_ndjson_for_admins_only(api: Api, org: Org) -> None:
    answer = api.request("GET", "/v1/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in answer.headers["content-disposition"]
    header, *events = [orjson.loads(line) for line in answer.content.splitlines()]
    assert header["format"] == "okr-ledger-log" and header["version"] == 1
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert events[-1]["position"] == header["last_position"]
    assert events[-1]["chain_hash"] == header["head_hash"]

    until = api.request("GET", f"/v1/export?until_position={events[1]['position']}")
    assert len(until.content.splitlines()) == 3

    assert_problem(api.request("GET", "/v1/export", token=org.viewer), 403)


def test_check_ins_name_their_channel_api_or_integration(api: Api, org: Org) -> None:
    api.cycle()
    kr = api.key_result(api.objective(org.team)["id"])["id"]
    api.ok("POST", f"/v1/key-results/{kr}/check-ins", {"value": 3})
    api.ok("POST", f"/v1/key-results/{kr}/check-ins", {"value": 4},
           headers={"OKR-Channel": "integration"})
    refused = api.request("POST", f"/v1/key-results/{kr}/check-ins", json={"value": 5},
                          headers={"OKR-Channel": "ui"})
    assert_problem(refused, 422)

    events = [orjson.loads(line) for line in api.request("GET", "/v1/export").content
              .splitlines()[1:]]
    channels = [e["data"]["channel"] for e in events
                if e["type"] == "okr.key_result.checked_in.v2"]
    assert channels[-2:] == ["api", "integration"]
