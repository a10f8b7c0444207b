"""GET /v1/export streams the log for admins; okr import runs in a loading session behind a
running API; check-ins record the edge they came through."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

import orjson

from tests.support import golden
from tests.support.http import Api, Org, assert_problem
from tests.support.importing import wait_until_an_import_copies


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


def test_reads_and_writes_answer_503_at_once_while_okr_import_runs_then_the_imported_log(
        api: Api, database_url: str) -> None:
    lines = golden.LOG.read_bytes().splitlines(keepends=True)
    header = orjson.loads(lines[0])
    assert api.get("/v1/teams").status_code == 200
    process = subprocess.Popen(
        [sys.executable, "-m", "okr.cli", "import", "-"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "OKR_DATABASE_URL": database_url})
    assert process.stdin is not None
    try:
        process.stdin.write(b"".join(lines[:150]))
        process.stdin.flush()
        wait_until_an_import_copies(database_url)
        began = time.monotonic()
        for answer in (api.get("/v1/teams"), api.get("/v1/events"), api.get("/v1/export"),
                       api.post("/v1/teams", {"name": "Meanwhile"})):
            assert_problem(answer, 503)
            assert int(answer.headers["Retry-After"]) >= 1
        assert time.monotonic() - began < 5  # refused, not queued behind the import
        output = process.communicate(b"".join(lines[150:]), timeout=120)[0].decode()
    finally:
        process.kill()
    assert process.returncode == 0, output

    assert api.ok("GET", "/v1/integrity") == {"position": header["last_position"],
                                              "hash": header["head_hash"],
                                              "log_head": header["last_position"]}
    # A read as of an instant reflects the last imported event recorded by then.
    events = [orjson.loads(line) for line in lines[1:]]
    middle = events[len(events) // 2]
    instant = datetime.fromisoformat(middle["time"]) + timedelta(microseconds=1)
    tree = api.get("/v1/alignment-tree", params={"cycle": "2026-Q1",
                                                 "as_of": instant.isoformat()})
    assert tree.status_code == 200, tree.text
    assert int(tree.headers["OKR-Position"]) == middle["position"]
    assert tree.json()["roots"]
