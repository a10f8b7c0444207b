"""The integrity chain end to end: `GET /v1/integrity`, an independent recomputation from
`GET /v1/events`, and `okr verify` against tampering by direct SQL on real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import rfc8785
from typer.testing import CliRunner

from consumers.testing import wait_until
from okr.cli import app as cli
from tests.support.http import Api, Org

EVENTS = "okrledger_events"


def sealed_head(api: Api) -> dict[str, Any]:
    """`GET /v1/integrity` once the sealer has reached the end of the log."""
    def caught_up() -> dict[str, Any] | None:
        head: dict[str, Any] = api.ok("GET", "/v1/integrity")
        return head if head["position"] == head["log_head"] else None
    return wait_until(caught_up, timeout=10, what="the sealer caught up")


def build(api: Api, org: Org) -> None:
    api.cycle()
    goal = api.objective(org.team, title="Délight üsers \U0001f680")["id"]
    child = api.objective(org.person, title='=cmd|"/c calc"!A1', parent_id=goal,
                          owner_type="person")["id"]
    for objective, title in ((goal, "Signups"), (child, "Churn")):
        kr = api.key_result(objective, title=title)["id"]
        for value in (1.5, 1e21, -0.0, 5e-324, 12345678901234567890):
            api.ok("POST", f"/v1/key-results/{kr}/check-ins",
                   {"value": value, "confidence": 0.7, "note": "naïve \u2028 \\ \"q\""})


def doubles(value: Any) -> Any:
    """The contract's number rule, written here again: payload numbers are doubles."""
    if isinstance(value, dict):
        return {k: doubles(v) for k, v in value.items()}
    if isinstance(value, list):
        return [doubles(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def independent_chain(api: Api) -> dict[int, str]:
    """The chain recomputed from the public feed alone, with the contract's rule."""
    hashes, previous, after = {}, bytes(32), 0
    while page := api.ok("GET", "/v1/events", params={"after": after, "limit": 1000})["items"]:
        for e in page:
            moment = datetime.fromisoformat(e["time"]).astimezone(UTC)
            hashed = {
                "id": e["id"], "type": e["type"], "subject": e["subject"],
                "time": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "aggregate_type": e["aggregate_type"], "aggregate_id": e["aggregate_id"],
                "aggregate_version": e["aggregate_version"], "actor": e["actor"],
                "schema_version": int(e["type"].rsplit(".v", 1)[1]),
                "data": doubles(e["data"]),
            }
            previous = hashlib.sha256(previous + rfc8785.dumps(hashed)).digest()
            hashes[e["position"]] = previous.hex()
        after = page[-1]["position"]
    return hashes


def test_the_chain_recomputed_from_the_public_feed_matches_every_seal(
    api: Api, org: Org
) -> None:
    build(api, org)
    head = sealed_head(api)
    hashes = independent_chain(api)
    assert max(hashes) == head["position"] and hashes[head["position"]] == head["hash"]
    for position, digest in hashes.items():
        answer = api.get(f"/v1/integrity/{position}", token=org.viewer)
        assert answer.status_code == 200 and answer.json() == {"position": position,
                                                               "hash": digest}
    assert api.get(f"/v1/integrity/{head['log_head'] + 1}").status_code == 404
    assert api.get("/v1/integrity/0").status_code == 404
    assert api.get("/v1/integrity", token="nobody").status_code == 401


def okr_verify(database_url: str, *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", *arguments],
                                env={"OKR_DATABASE_URL": database_url})
    return result.exit_code, result.stdout.strip()


def sql(database_url: str, statement: str, params: Any = None) -> list[Any]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(statement.encode(), params)
        return cursor.fetchall() if cursor.description else []


def test_verify_on_an_untouched_log_exits_0_with_the_head_the_api_reports(
    api: Api, org: Org, database_url: str
) -> None:
    build(api, org)
    head = sealed_head(api)
    code, output = okr_verify(database_url)
    assert code == 0
    assert output == f"verified {head['position']} events, head {head['position']} {head['hash']}"
    assert okr_verify(database_url, "--expect", f"{head['position']}:{head['hash']}")[0] == 0
    middle = head["position"] // 2
    seal = api.ok("GET", f"/v1/integrity/{middle}")
    assert okr_verify(database_url, "--expect", f"{middle}:{seal['hash']}")[0] == 0
    assert okr_verify(database_url, "--expect", "12:xyz")[0] == 2


def change_one_byte(url: str, position: int) -> int:
    state = bytes(sql(url, f"SELECT state FROM {EVENTS} WHERE notification_id = %s",
                      (position,))[0][0])
    at = state.index(b'"actor":"') + len(b'"actor":"')
    sql(url, f"UPDATE {EVENTS} SET state = set_byte(state, %s, %s) WHERE notification_id = %s",
        (at, state[at] ^ 0x20, position))
    return position


def delete_one(url: str, position: int) -> int:
    sql(url, f"DELETE FROM {EVENTS} WHERE notification_id = %s", (position,))
    return position


def swap_two(url: str, position: int) -> int:
    sql(url, f"UPDATE {EVENTS} a SET state = b.state FROM {EVENTS} b "
             "WHERE (a.notification_id, b.notification_id) IN ((%s, %s), (%s, %s))",
        (position, position + 3, position + 3, position))
    return position


def insert_forged(url: str, position: int) -> int:
    """A forged event in a gap of the positions (sequences leave gaps: rolled back inserts)."""
    gap = position
    sql(url, f"UPDATE {EVENTS} SET notification_id = notification_id + 1000 "
             "WHERE notification_id >= %s", (gap,))
    sql(url, "UPDATE okr_integrity_seals SET position = position + 1000 WHERE position >= %s",
        (gap,))
    # That moved the rest of the log, seals included (no tampering yet: verify still passes).
    assert okr_verify(url)[0] == 0
    sql(url, f"INSERT INTO {EVENTS} (notification_id, originator_id, originator_version, "
             "topic, state) SELECT %s, gen_random_uuid(), 1, topic, state "
             f"FROM {EVENTS} WHERE notification_id = %s", (gap, gap + 1000))
    return gap


Tamper = Callable[[str, int], int]


@pytest.mark.parametrize(("tamper", "reason"), [
    (change_one_byte, "the stored event does not match its seal"),
    (delete_one, "the sealed event is missing (deleted)"),
    (swap_two, "the stored event does not match its seal"),
    (insert_forged, "the stored event has no seal (inserted)"),
], ids=["changed-byte", "deleted", "swapped", "inserted"])
def test_verify_names_the_first_position_that_was_tampered_with(
    api: Api, org: Org, database_url: str, app: Any, tamper: Tamper, reason: str,
) -> None:
    build(api, org)
    head = sealed_head(api)
    app.state.sealer.stop()  # the moved log of `insert_forged` must not be resealed
    app.state.sealer.join(10)
    bad = tamper(database_url, head["position"] // 2)
    code, output = okr_verify(database_url)
    assert code == 1
    assert output.startswith(f"position {bad}: {reason}"), output


def test_expect_catches_a_log_rewritten_with_its_seals_after_the_hash_was_kept(
    api: Api, org: Org, database_url: str
) -> None:
    build(api, org)
    kept = sealed_head(api)
    change_one_byte(database_url, 5)
    # The writer with database access also recomputes every seal: the chain agrees with itself.
    sql(database_url, "BEGIN; DELETE FROM okr_integrity_seals; UPDATE okr_tracking "
                      "SET position = 0 WHERE name = 'integrity:seals'; COMMIT")
    resealed = sealed_head(api)
    assert resealed["position"] == kept["position"] and resealed["hash"] != kept["hash"]
    assert okr_verify(database_url)[0] == 0
    code, output = okr_verify(database_url, "--expect", f"{kept['position']}:{kept['hash']}")
    assert code == 1
    assert output == (f"position {kept['position']}: hash {resealed['hash']} differs from the "
                      f"expected {kept['hash']}")
