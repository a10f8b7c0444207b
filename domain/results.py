"""Plain answers of the application's use cases."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CommandResult:
    """`{id, version, position, warnings}` of the contract, plus use-case extras."""

    id: str
    version: int
    position: int
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "id": self.id, "version": self.version, "position": self.position,
            "warnings": list(self.warnings),
        }
        answer.update(self.extra)
        return answer

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=str)

    @classmethod
    def from_json(cls, text: str) -> CommandResult:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class CommandKey:
    """A caller's key for one command (an HTTP `Idempotency-Key` and its owner).

    The command's result is recorded in the same transaction as its events, so a command
    run again under the same key answers the recorded result instead of changing anything,
    even when the first answer never reached the caller. `fingerprint` identifies the
    request: the same key with another request is refused.
    """

    owner: str
    key: str
    fingerprint: str


# A keyed command's result, and the index (among the events recorded together) of the
# command's last event: the store gives the result that event's position.
KeyedResult = tuple[CommandKey, CommandResult, int]


def keyed_results(
    keyed: tuple[CommandKey, CommandResult] | None, start: int, end: int,
) -> list[KeyedResult]:
    """The result to record for a command whose events are [start, end) of an insert;
    none without a key, or when the command recorded no events."""
    return [] if keyed is None or start == end else [(*keyed, end - 1)]
