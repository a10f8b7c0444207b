"""Report downloads (contract section 7): every report in every format equals the JSON API for
the same parameters, is the same bytes every time, and keeps formulas out of spreadsheets."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl
import pytest

from consumers.testing import wait_until
from domain.health import health, pace
from tests.support.http import Api, Org, assert_problem

EVIL = '=HYPERLINK("http://x.example","click")'


def settle(api: Api) -> datetime:
    """An instant after every write so far, once the read models and the chain reached it."""
    head = api.ok("GET", "/v1/integrity")["log_head"]
    wait_until(lambda: api.ok("GET", "/v1/integrity")["position"] >= head, what="sealed")
    api.read("/v1/cycles", head)
    instant = datetime.now(UTC)
    wait_until(lambda: datetime.now(UTC) > instant + timedelta(milliseconds=5), what="tick")
    return instant


@pytest.fixture
def history(api: Api, org: Org) -> dict[str, Any]:
    """A cycle with a tree, check-ins, edits with reasons; `t1` settled after them, then more
    changes recorded after `t1`."""
    api.cycle()
    t0 = settle(api)
    goal = api.objective(org.team, title="Délight üsers")["id"]
    child = api.objective(org.person, title=EVIL, parent_id=goal, owner_type="person")["id"]
    krs = [api.key_result(goal, title="Signups")["id"], api.key_result(goal, title="NPS")["id"],
           api.key_result(child, title="-1 bugs", start=50, target=0)["id"]]
    for kr, value, confidence in zip(krs, (80, 10, 40), (0.4, 0.3, None), strict=True):
        api.ok("POST", f"/v1/key-results/{kr}/check-ins", {"value": value,
               **({} if confidence is None else {"confidence": confidence})})
    tm = settle(api)
    api.ok("PATCH", f"/v1/key-results/{krs[0]}", {"target": 120, "reason": "raised, \"why\""})
    api.ok("PUT", f"/v1/objectives/{child}/owner",
           {"owner": {"type": "team", "id": org.team}, "reason": "reorg"})
    t1 = settle(api)
    api.ok("POST", f"/v1/key-results/{krs[1]}/check-ins", {"value": 99, "confidence": 1})
    api.ok("PATCH", f"/v1/objectives/{goal}", {"title": "Renamed later"})
    settle(api)
    return {"t0": t0, "tm": tm, "t1": t1, "krs": krs, "goal": goal, "child": child}


def download(api: Api, name: str, fmt: str, token: str | None = None,
             **params: Any) -> Any:
    query = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in params.items()}
    kwargs = {} if token is None else {"token": token}
    answer = api.get(f"/v1/reports/{name}", params={**query, "format": fmt}, **kwargs)
    assert answer.status_code == 200, answer.text
    return answer


def json_rows(answer: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = answer.json()["rows"]
    return rows


def csv_rows(answer: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"), newline="")))


def xlsx_rows(answer: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    data = list(book["data"].iter_rows(values_only=True))
    about = {k: v for k, v in book["report"].iter_rows(values_only=True)}
    return [dict(zip(data[0], row, strict=True)) for row in data[1:]], about


def same_cell_in_csv(text: str, value: Any) -> bool:
    """A CSV cell read back against the JSON report's value."""
    if value is None:
        return text == ""
    if isinstance(value, bool | dict | list):
        return json.loads(text) == value
    if isinstance(value, int | float):
        return float(text) == value
    return text == ("'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    else value)


def same_cell_in_xlsx(cell: Any, value: Any) -> bool:
    if isinstance(value, dict | list | bool):
        return json.loads(cell) == value
    return bool(cell == value)


def assert_formats_agree(api: Api, name: str, **params: Any) -> list[dict[str, Any]]:
    """The CSV and XLSX downloads hold the JSON download's rows; returns those rows."""
    as_json = download(api, name, "json", **params)
    rows, report = json_rows(as_json), as_json.json()["report"]
    position, chain_hash = int(as_json.headers["OKR-Position"]), as_json.headers["OKR-Chain-Hash"]
    assert report["position"] == position and report["chain_hash"] == chain_hash
    assert api.ok("GET", f"/v1/integrity/{position}")["hash"] == chain_hash
    from_csv = csv_rows(download(api, name, "csv", **params))
    from_xlsx, about = xlsx_rows(download(api, name, "xlsx", **params))
    assert about["position"] == str(position) and about["chain_hash"] == chain_hash
    assert len(from_csv) == len(from_xlsx) == len(rows)
    for row, text_row, cell_row in zip(rows, from_csv, from_xlsx, strict=True):
        assert set(text_row) == set(cell_row) == set(row)
        for column, value in row.items():
            assert same_cell_in_csv(text_row[column], value), (column, text_row, value)
            assert same_cell_in_xlsx(cell_row[column], value), (column, cell_row, value)
    return rows


def flattened_tree(api: Api, cycle: str, as_of: datetime) -> list[tuple[Any, ...]]:
    tree = api.ok("GET", "/v1/alignment-tree", params={"cycle": cycle,
                                                        "as_of": as_of.isoformat()})
    out: list[tuple[Any, ...]] = []

    def walk(nodes: list[dict[str, Any]], prefix: str, depth: int) -> None:
        for node in nodes:
            path = f"{prefix} / {node['title']}" if prefix else node["title"]
            out.append(("objective", path, depth, node["id"], node["progress"], None, None))
            out.extend(("key_result", f"{path} / {kr['title']}", depth + 1, kr["id"],
                        kr["progress"], kr["current"], kr["target"])
                       for kr in node["key_results"])
            walk(node["children"], path, depth + 1)
    walk(tree["roots"], "", 0)
    return out


def test_the_alignment_report_is_the_tree_flattened_with_owners_and_health(
    api: Api, org: Org, history: dict[str, Any],
) -> None:
    t1 = history["t1"]
    rows = assert_formats_agree(api, "alignment", cycle="2026-Q4", as_of=t1)
    assert [(r["type"], r["path"], r["depth"], r["id"], r["progress"], r["current"],
             r["target"]) for r in rows] == flattened_tree(api, "2026-Q4", t1)
    expected_pace = pace(datetime(2026, 10, 1).date(), datetime(2026, 12, 31).date(), t1)
    names = {org.team: "Platform", org.person: "Grace Hopper"}
    for row in rows:
        kind = "objectives" if row["type"] == "objective" else "key-results"
        entity = api.ok("GET", f"/v1/{kind}/{row['id']}", params={"as_of": t1.isoformat()})
        owner = entity["owner"] or api.ok("GET", f"/v1/objectives/{entity['objective_id']}",
                                          params={"as_of": t1.isoformat()})["owner"]
        assert (row["owner_type"], row["owner_id"]) == (owner["type"], owner["id"])
        assert row["owner_name"] == names[owner["id"]] and row["score"] == entity["score"]
        assert row["pace"] == pytest.approx(expected_pace, abs=1e-9)
        confidences = ([entity["confidence"]] if row["type"] == "key_result" else
                       [k["confidence"] for k in entity["key_results"]])
        lowest = min((c for c in confidences if c is not None), default=None)
        assert row["health"] == health(row["progress"], row["pace"], lowest)
        if row["type"] == "key_result":
            assert row["confidence"] == entity["confidence"]
    assert {r["health"] for r in rows} >= {"at_risk", "off_track"}
    assert rows[0]["title"] == "Délight üsers"  # as of t1: renamed only later


def test_the_changes_report_lists_every_change_of_the_json_read(
    api: Api, history: dict[str, Any],
) -> None:
    assert {r["change"] for r in assert_formats_agree(
        api, "changes", cycle="2026-Q4", since=history["t0"], until=history["tm"])} == {"added"}
    params = {"cycle": "2026-Q4", "since": history["tm"], "until": history["t1"]}
    rows = assert_formats_agree(api, "changes", **params)
    answer = api.ok("GET", "/v1/changes", params={k: v.isoformat() if isinstance(v, datetime)
                                                 else v for k, v in params.items()})
    expected = []
    for kind in ("added", "archived", "realigned", "reassigned", "retargeted", "progress"):
        for item in answer[kind]:
            before = item.get("from_parent", item.get("from"))
            after = item.get("to_parent", item.get("to"))
            expected.append((kind, item["id"], before["id"] if isinstance(before, dict)
                             else before, after["id"] if isinstance(after, dict) else after,
                             item.get("reason")))
    got = [(r["change"], r["id"], r["from"], r["to"], r["reason"]) for r in rows]
    assert sorted(expected, key=lambda t: t[:2]) == sorted(got, key=lambda t: t[:2])
    reassigned = next(r for r in rows if r["change"] == "reassigned")
    assert reassigned["title"] == EVIL and reassigned["to_name"] == "Platform"
    retargeted = next(r for r in rows if r["change"] == "retargeted")
    assert (retargeted["from"], retargeted["to"]) == (100, 120)
    assert retargeted["reason"] == 'raised, "why"' and retargeted["entity_type"] == "key_result"


def test_the_audit_report_holds_every_entry_of_the_trail_one_row_per_field(
    api: Api, org: Org, history: dict[str, Any],
) -> None:
    until = history["t1"]
    rows = assert_formats_agree(api, "audit", until=until)
    entries, cursor = [], None
    while True:
        page = api.ok("GET", "/v1/audit", params={"until": until.isoformat(), "limit": 500,
                                                  **({"cursor": cursor} if cursor else {})})
        entries += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    rebuilt: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = rebuilt.setdefault(row["position"], {
            "position": row["position"], "actor": row["actor"],
            "entity_type": row["entity_type"], "entity_id": row["entity_id"],
            "event_type": row["event_type"], "reason": row["reason"], "changes": {},
            "recorded_at": datetime.fromisoformat(row["recorded_at"])})
        if row["field"] is not None:
            entry["changes"][row["field"]] = {"from": row["from"], "to": row["to"]}
    assert list(rebuilt.values()) == [
        {**e, "recorded_at": datetime.fromisoformat(e["recorded_at"])} for e in entries]
    assert {r["actor_name"] for r in rows if r["actor"] == org.person} <= {"Grace Hopper"}
    goal = next(r for r in rows if r["entity_id"] == history["goal"])
    assert goal["entity_name"] == "Délight üsers"  # the name as of `until`


def test_the_history_report_is_the_history_read(api: Api, history: dict[str, Any]) -> None:
    rows = assert_formats_agree(api, "history")
    items = api.ok("GET", "/v1/history")["items"]
    assert [{k: r[k] for k in items[0]} for r in rows] == items


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_same_parameters_with_a_settled_instant_give_the_same_bytes(
    api: Api, org: Org, history: dict[str, Any], fmt: str,
) -> None:
    first = {name: download(api, name, fmt, **params) for name, params in (
        ("alignment", {"cycle": "2026-Q4", "as_of": history["t1"]}),
        ("audit", {"until": history["t1"]}),
        ("changes", {"cycle": "2026-Q4", "since": history["t0"], "until": history["t1"]}))}
    api.ok("POST", f"/v1/key-results/{history['krs'][0]}/check-ins", {"value": 1})
    settle(api)
    for name, answer in first.items():
        params = {"alignment": {"cycle": "2026-Q4", "as_of": history["t1"]},
                  "audit": {"until": history["t1"]},
                  "changes": {"cycle": "2026-Q4", "since": history["t0"],
                              "until": history["t1"]}}[name]
        again = download(api, name, fmt, token=org.viewer, **params)
        assert hashlib.sha256(again.content).digest() == hashlib.sha256(answer.content).digest()
        assert again.headers["content-disposition"] == (
            f'attachment; filename="okr-{name}-{answer.headers["OKR-Position"]}.{fmt}"')


def test_a_title_starting_with_equals_is_neutralised_in_csv_and_text_in_xlsx(
    api: Api, history: dict[str, Any],
) -> None:
    params = {"cycle": "2026-Q4", "as_of": history["t1"]}
    text = download(api, "alignment", "csv", **params).content.decode()
    assert f'"\'{EVIL.replace(chr(34), 2 * chr(34))}"' in text
    book = openpyxl.load_workbook(io.BytesIO(download(api, "alignment", "xlsx",
                                                      **params).content))
    cells = [c for row in book["data"].iter_rows() for c in row if c.value == EVIL]
    assert cells and all(c.data_type == "s" for c in cells)
    kr_row = next(r for r in csv.reader(io.StringIO(text)) if r[5] == "'-1 bugs")
    assert kr_row[13] == "0.0"  # numbers are not neutralised: only text cells are


def test_report_errors_are_problems(api: Api, org: Org, history: dict[str, Any]) -> None:
    assert_problem(api.get("/v1/reports/nothing"), 404)
    assert_problem(api.get("/v1/reports/alignment"), 422)
    assert_problem(api.get("/v1/reports/alignment", params={"cycle": "1999-Q1"}), 404)
    assert_problem(api.get("/v1/reports/history", params={"cycle": "2026-Q4"}), 422)
    assert_problem(api.get("/v1/reports/audit", params={"format": "pdf"}), 422)
    assert_problem(api.get("/v1/reports/audit", token="nobody"), 401)


def test_okr_report_writes_the_same_bytes_as_the_download(
    api: Api, history: dict[str, Any], database_url: str, tmp_path: Any,
) -> None:
    from typer.testing import CliRunner

    from okr.cli import app as cli

    for fmt in ("csv", "xlsx", "json"):
        output = tmp_path / f"alignment.{fmt}"
        result = CliRunner().invoke(cli, [
            "report", "alignment", "--cycle", "2026-Q4", "--as-of", history["t1"].isoformat(),
            "--format", fmt, "--output", str(output)], env={"OKR_DATABASE_URL": database_url})
        assert result.exit_code == 0, result.output
        answer = download(api, "alignment", fmt, cycle="2026-Q4", as_of=history["t1"])
        assert output.read_bytes() == answer.content
        assert answer.headers["OKR-Chain-Hash"] in result.stderr
    result = CliRunner().invoke(cli, ["report", "changes", "--cycle", "2026-Q4", "-o", "-"],
                                env={"OKR_DATABASE_URL": database_url})
    assert result.exit_code == 2 and "needs since" in result.stderr
