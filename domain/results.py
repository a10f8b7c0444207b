"""Plain answers of the application's use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
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
