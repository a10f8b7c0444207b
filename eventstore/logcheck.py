"""Checking an exported log line by line before any of it is stored (docs/export.md).

Every refusal names the reason and the file's line number. What is checked: the header
(format, version, positions, head hash); each line is a JSON object with the fields of its
format; positions strictly increase within the header's bounds; each aggregate's versions
run 1, 2, 3... in log order (a repeated one is a duplicate, a skipped or earlier one out of
order); the type is an event of this release at a schema version it can read; times strictly
increase and are not in the future; the envelope equals the one the stored record gives; and
the chain, recomputed from the stored records, gives each line's `chain_hash` and, at the
end, the header's `head_hash`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate

from eventstore.canonical import GENESIS, UNREADABLE, canonical_object, event_class
from eventstore.envelope import SOURCE
from eventstore.logfile import FORMAT, HASHED, VERSION, Row
from eventstore.seals import link

HEADER_FIELDS = {"format": str, "version": int, "exported_at": str, "first_position": int,
                 "last_position": int, "head_hash": str}


class ImportRefused(Exception):
    """The file cannot be imported as it is: nothing was stored."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason, line)
        self.reason, self.line = reason, line

    def __str__(self) -> str:
        return f"import refused: {self.reason} (line {self.line})"


@dataclass(frozen=True, slots=True)
class CheckedEvent:
    row: Row
    recorded_at: datetime
    chain_hash: bytes


@dataclass
class LogCheck:
    """Checks the lines of one file in order; `finish` after the last."""

    now: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    first: int = 0
    last: int = 0
    head: str = ""
    line: int = 0
    count: int = 0
    position: int = 0
    time: datetime | None = None
    chain: bytes = GENESIS
    versions: dict[str, tuple[int, int]] = field(default_factory=dict)  # aggregate: (v, line)

    def header(self, raw: bytes) -> None:
        self.line = 1
        value = self._json(raw, "the header")
        for name, kind in HEADER_FIELDS.items():
            if not isinstance(value.get(name), kind) or isinstance(value.get(name), bool):
                self.refuse(f"the header has no valid {name!r}: not an exported okr-ledger log")
        if value["format"] != FORMAT or value["version"] != VERSION:
            self.refuse(f"format {value['format']!r} version {value['version']} is not "
                        f"{FORMAT!r} version {VERSION}")
        self.first, self.last, self.head = (value["first_position"], value["last_position"],
                                            value["head_hash"])

    def event(self, raw: bytes) -> CheckedEvent:
        self.line += 1
        value = self._json(raw, "an event line")
        row = self._row(value)
        self._order(row)
        canonical = self._canonical(row, value)
        moment = datetime.fromisoformat(canonical["time"])
        if self.time is not None and moment <= self.time:
            self.refuse(f"time {canonical['time']} is not after the previous event's")
        if moment > self.now:
            self.refuse(f"time {canonical['time']} is in the future")
        self.time = moment
        self.chain = link(self.chain, row, canonical)
        if value.get("chain_hash") != self.chain.hex():
            self.refuse(f"the chain does not verify at position {row.position}: the event or "
                        "one before it was changed, removed or inserted")
        self.count += 1
        return CheckedEvent(row, moment, self.chain)

    def finish(self) -> None:
        self.line += 1
        if self.count and self.position != self.last:
            self.refuse(f"the file ends at position {self.position} but its header says "
                        f"{self.last}: it is truncated")
        if not self.count and self.last:
            self.refuse(f"the file holds no event but its header says {self.last}")
        if self.chain.hex() != self.head:
            self.refuse("the chain's head is not the header's head_hash")

    def refuse(self, reason: str) -> NoReturn:
        raise ImportRefused(reason, self.line)

    def _json(self, raw: bytes, what: str) -> dict[str, Any]:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            self.refuse(f"{what} is not a JSON object (a truncated or damaged line)")
        return value

    def _row(self, value: dict[str, Any]) -> Row:
        stored, position = value.get("stored"), value.get("position")
        if (not isinstance(stored, dict) or not isinstance(stored.get("topic"), str)
                or not isinstance(stored.get("state"), str)):
            self.refuse("the line has no stored record (stored.topic, stored.state)")
        if not isinstance(position, int) or isinstance(position, bool) or position < 1:
            self.refuse("the line has no valid position")
        try:
            aggregate = UUID(str(value.get("aggregate_id")))
        except ValueError:
            self.refuse("the line has no valid aggregate_id")
        version = value.get("aggregate_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.refuse("the line has no valid aggregate_version")
        return Row(position, aggregate, version, stored["topic"], stored["state"].encode())

    def _order(self, row: Row) -> None:
        key, version = str(row.originator_id), row.originator_version
        before, seen_on = self.versions.get(key, (0, 0))
        if version == before:
            self.refuse(f"duplicate event: {key} version {version} is also on line {seen_on}")
        if version < before:
            self.refuse(f"out of order: {key} version {version} comes after its version "
                        f"{before} (line {seen_on})")
        if version != before + 1:
            self.refuse(f"out of order: {key} jumps from version {before} to {version} "
                        "(an event is missing)")
        if row.position <= self.position:
            self.refuse(f"position {row.position} is not after {self.position}: out of order")
        if not self.first <= row.position <= self.last:
            self.refuse(f"position {row.position} is outside the header's "
                        f"{self.first}..{self.last}")
        self.versions[key] = (version, self.line)
        self.position = row.position

    def _canonical(self, row: Row, value: dict[str, Any]) -> dict[str, Any]:
        try:
            cls = event_class(row.topic)
            canonical = canonical_object(row)
        except UNREADABLE as error:
            self.refuse(f"not an event of this release: {error}")
        newest = getattr(cls, "class_version", 1)
        if canonical["schema_version"] > newest:
            self.refuse(f"{canonical['type']} is newer than this release reads "
                        f"(schema version {newest}): import it with a later release")
        if (row.originator_version == 1) != issubclass(cls, Aggregate.Created):
            self.refuse(f"version {row.originator_version} of {row.originator_id} is a "
                        f"{canonical['type']}")
        differing = [name for name in HASHED if value.get(name) != canonical[name]]
        if value.get("source") != SOURCE:
            differing.append("source")
        if differing:
            self.refuse(f"{', '.join(differing)} differ from the stored record's: the line "
                        "was changed")
        return canonical

