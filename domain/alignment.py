"""Alignment is a forest: pure rules over a child -> parent map."""

from __future__ import annotations

from collections.abc import Mapping


def would_loop(parents: Mapping[str, str | None], child: str, new_parent: str | None) -> bool:
    """True when linking `child` under `new_parent` would close a loop."""
    seen: set[str] = set()
    current = new_parent
    while current is not None and current not in seen:
        if current == child:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def is_forest(parents: Mapping[str, str | None]) -> bool:
    """True when following parents from any node always ends at a root."""
    return not any(would_loop(parents, child, parent) for child, parent in parents.items())
