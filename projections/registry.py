"""Every read model, by name."""

from __future__ import annotations

from projections.alignment import ALIGNMENT
from projections.audit import AUDIT
from projections.base import ProjectionSpec
from projections.directory import DIRECTORY

PROJECTIONS: dict[str, ProjectionSpec] = {p.name: p for p in (DIRECTORY, ALIGNMENT, AUDIT)}


def select(names: list[str] | None = None) -> list[ProjectionSpec]:
    if not names:
        return list(PROJECTIONS.values())
    unknown = sorted(set(names) - set(PROJECTIONS))
    if unknown:
        raise ValueError(f"unknown projection(s): {', '.join(unknown)}; "
                         f"known: {', '.join(PROJECTIONS)}")
    return [PROJECTIONS[name] for name in names]
