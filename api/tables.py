"""The API's own tables (tokens, idempotency records, dashboard sessions), created at start."""

from __future__ import annotations

from typing import Any

import psycopg

from eventstore.database import one_at_a_time

DDL = (
    """CREATE TABLE IF NOT EXISTS okr_api_tokens (
        token_hash text PRIMARY KEY,
        person_id uuid NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())""",
    """CREATE TABLE IF NOT EXISTS okr_api_idempotency (
        token_hash text NOT NULL,
        key text NOT NULL,
        request_hash text NOT NULL,
        status integer NOT NULL,
        body bytea NOT NULL,
        content_type text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (token_hash, key))""",
    # Dashboard sessions (api/ui/sessions.py): hashes of the session id and of its token.
    """CREATE TABLE IF NOT EXISTS okr_ui_sessions (
        id_hash text PRIMARY KEY,
        token_hash text NOT NULL,
        actor text NOT NULL,
        csrf text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL)""",
)


def ensure_api_tables(conn: psycopg.Connection[Any]) -> None:
    with one_at_a_time(conn, "okr_api_ddl"):
        for statement in DDL:
            conn.execute(statement.encode())
