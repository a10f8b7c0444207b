"""The CRUD baseline of `write_vs_crud`: the same FastAPI stack updating one row per check-in.

What a team would build instead of event sourcing: bearer token compared in constant time,
pydantic validation, a psycopg pool, `UPDATE key_results SET current = ...` and an answer.

    python -m bench.crud_baseline --database-url URL --port 8100 --token T
"""

from __future__ import annotations

import argparse
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import anyio
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

DDL = """CREATE TABLE IF NOT EXISTS crud_key_results (
    id uuid PRIMARY KEY, start double precision NOT NULL, target double precision NOT NULL,
    current double precision, confidence double precision, note text,
    updated_at timestamptz NOT NULL DEFAULT now(), version int NOT NULL DEFAULT 1)"""


class CheckIn(BaseModel):
    value: float = Field(allow_inf_nan=False)
    confidence: float | None = Field(default=None, ge=0, le=1)
    note: str | None = Field(default=None, max_length=10_000)


def create_app(database_url: str, token: str) -> FastAPI:
    pool: ConnectionPool[Any] = ConnectionPool(database_url, min_size=4, max_size=16,
                                               open=False, kwargs={"autocommit": True})

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(pool.open)
        yield
        await anyio.to_thread.run_sync(pool.close)

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/key-results/{kr_id}/check-ins", status_code=200)
    def check_in(kr_id: UUID, body: CheckIn,
                 authorization: Annotated[str, Header()] = "") -> dict[str, Any]:
        if not secrets.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
            raise HTTPException(401)
        with pool.connection() as conn:
            row = conn.execute(
                "UPDATE crud_key_results SET current = %s, confidence = %s, note = %s, "
                "updated_at = now(), version = version + 1 WHERE id = %s "
                "RETURNING version, start, target, current",
                (body.value, body.confidence, body.note, kr_id)).fetchone()
        if row is None:
            raise HTTPException(404)
        version, start, target, current = row
        progress = min(1.0, max(0.0, (current - start) / (target - start)))
        return {"id": str(kr_id), "version": version, "progress": progress, "warnings": []}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    uvicorn.run(create_app(args.database_url, args.token), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
