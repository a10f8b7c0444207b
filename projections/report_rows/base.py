"""What a report is: its parameters, its columns, and the rows a connection gives for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import psycopg

from domain.errors import InvalidInput

Conn = psycopg.Connection[Any]
Row = tuple[Any, ...]


@dataclass(frozen=True)
class ReportParams:
    """Every parameter a report may take (each report takes those of its JSON read)."""

    cycle: str | None = None
    as_of: datetime | None = None
    valid_at: datetime | None = None
    since: datetime | None = None
    until: datetime | None = None
    entity_id: str | None = None
    actor: str | None = None
    owner_type: str | None = None
    owner_id: str | None = None
    from_cycle: str | None = None
    to_cycle: str | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}


REPORT_PARAMETERS = tuple(f.name for f in fields(ReportParams))
# Rows of a report, for a connection in a snapshot and the parameters; checks the parameters
# (raising domain errors) before the first row is asked for.
RowSource = Callable[[Conn, ReportParams], Iterator[Row]]


@dataclass(frozen=True)
class ReportSpec:
    name: str
    columns: tuple[str, ...]
    parameters: frozenset[str]
    required: frozenset[str]
    rows: RowSource
    # The instant the report is "as of": as_of or until, when given.
    instant_parameter: str | None = None

    def check(self, params: ReportParams) -> None:
        """Refuse parameters the report does not take, and missing required ones."""
        given = set(params.given())
        for name in sorted(given - self.parameters):
            raise InvalidInput(f"the {self.name} report does not take {name}; it takes "
                               f"{', '.join(sorted(self.parameters)) or 'nothing'}", field=name)
        for name in sorted(self.required - given):
            raise InvalidInput(f"the {self.name} report needs {name}", field=name)

    def instant(self, params: ReportParams) -> datetime | None:
        if self.instant_parameter is None:
            return None
        value: datetime | None = getattr(params, self.instant_parameter)
        return value
