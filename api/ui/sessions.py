"""Dashboard sessions: a random id in an HttpOnly, SameSite=Strict cookie, the session in
PostgreSQL (so it survives a restart), never the token itself.

A session is stored under the SHA-256 of its id (like tokens: a copy of the table opens no
session) with the hash of the token it was opened with, its CSRF token and its expiry.
Every lookup checks that the token is still valid and takes the token's role from the
token table, so a session never outlives nor outranks its token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg_pool import ConnectionPool

from api.auth import Principal, Role, TokenStore, token_hash

COOKIE = "okr_session"
SESSION_TTL = timedelta(hours=12)
OPEN = """INSERT INTO okr_ui_sessions (id_hash, token_hash, actor, csrf, expires_at)
    VALUES (%s, %s, %s, %s, now() + %s)"""
FIND = """SELECT s.actor, COALESCE(t.role, CASE WHEN s.token_hash = %(bootstrap)s
                                             THEN 'admin' END), s.csrf, s.expires_at
    FROM okr_ui_sessions s LEFT JOIN okr_api_tokens t ON t.token_hash = s.token_hash
    WHERE s.id_hash = %(id)s AND s.expires_at > now()"""
EXPIRED = "DELETE FROM okr_ui_sessions WHERE expires_at <= now()"
CLOSE = "DELETE FROM okr_ui_sessions WHERE id_hash = %s"


@dataclass(frozen=True)
class Session:
    """A signed-in person: the actor recorded on their commands, their role, the session's
    CSRF token and its expiry."""

    actor: str
    role: Role
    csrf: str
    expires_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(actor=self.actor, role=self.role)


class SessionStore:
    def __init__(self, pool: ConnectionPool[Any], tokens: TokenStore,
                 ttl: timedelta = SESSION_TTL) -> None:
        self.pool = pool
        self.tokens = tokens
        self.ttl = ttl
        bootstrap = tokens.bootstrap
        self.bootstrap_hash = None if bootstrap is None else token_hash(bootstrap.decode())

    def open(self, token: str) -> str | None:
        """A new session's id for a valid token (None for an unknown one)."""
        principal = self.tokens.principal(token)
        if principal is None:
            return None
        session_id = secrets.token_urlsafe(32)
        with self.pool.connection() as conn:
            conn.execute(EXPIRED)
            conn.execute(OPEN, (token_hash(session_id), token_hash(token), principal.actor,
                                secrets.token_urlsafe(32), self.ttl))
        return session_id

    def find(self, session_id: str) -> Session | None:
        """The session of a cookie, while it is open, unexpired and its token valid."""
        with self.pool.connection() as conn:
            row = conn.execute(FIND, {"id": token_hash(session_id),
                                      "bootstrap": self.bootstrap_hash}).fetchone()
        if row is None or row[1] is None:
            return None
        return Session(actor=row[0], role=row[1], csrf=row[2], expires_at=row[3])

    def close(self, session_id: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(CLOSE, (token_hash(session_id),))
