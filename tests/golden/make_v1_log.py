"""How tests/golden/ was made (kept for the record; the files are never regenerated).

    python -m tests.golden.make_v1_log postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import sys
from datetime import datetime

import orjson
from pydantic import SecretStr

from eventstore.database import create_database, drop_database
from eventstore.export import export_lines, export_span
from okr.bootstrap import start_store
from okr.demo import generate
from okr.settings import Settings
from projections.runner import catch_up
from tests.support import golden


def main(server_url: str) -> None:
    name = "okr_golden_v1"
    url = create_database(server_url, name)
    try:
        store = start_store(Settings(database_url=SecretStr(url)))
        try:
            generate(store.app, seed=golden.SEED, scale=golden.SCALE, now=golden.NOW)
            catch_up(store)
            with golden.LOG.open("wb") as out:
                for line in export_lines(store, export_span(store)):
                    out.write(line)
            times = [datetime.fromisoformat(orjson.loads(line)["time"])
                     for line in golden.LOG.read_bytes().splitlines()[1:]]
            instants = golden.instants_of(times)
            expected = {"now": golden.NOW.isoformat(),
                        "instants": [t.isoformat() for t in instants],
                        "answers": golden.answers(store, instants)}
            golden.EXPECTED.write_bytes(orjson.dumps(expected, option=orjson.OPT_INDENT_2))
        finally:
            store.close()
    finally:
        drop_database(server_url, name)


if __name__ == "__main__":
    main(sys.argv[1])
