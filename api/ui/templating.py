"""Jinja2 templates of the pages, and the filters that format values in them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from api.ui.params import instant_text, link

NONE = "\N{EN DASH}"  # what a missing value shows
ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("api.ui", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)


def percent(value: float | None) -> str:
    return NONE if value is None else f"{value:.0%}"


def number(value: float | None) -> str:
    """A value as people write it: no trailing zeros, thousands separated."""
    if value is None:
        return NONE
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def when(value: datetime | str | None) -> str:
    """An instant in UTC, to the second (links keep every digit; people need fewer)."""
    if value is None:
        return NONE
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    text = instant_text(moment.replace(microsecond=0)) or ""
    return text.replace("T", " ").replace("Z", " UTC")


ENV.filters.update(percent=percent, number=number, when=when, instant=instant_text)
ENV.globals.update(link=link)


def render(name: str, status: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    return HTMLResponse(ENV.get_template(name).render(**context), status_code=status,
                        headers=headers)
