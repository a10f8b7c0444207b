"""Checking in from a key result's page: the member is the actor, a viewer gets no form, and
a form without the session's CSRF token records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from eventstore import Store
from okr.bootstrap import start_store
from okr.settings import Settings
from tests.support.dashboard import (
    SESSION_COOKIE,
    People,
    api,
    make_people,
    ok,
    serve_dashboard,
    session_cookie,
    sign_in,
)


@dataclass
class Goal:
    base: str
    people: People
    kr: str

    @property
    def page(self) -> str:
        return f"/ui/key-results/{self.kr}"

    def check_ins(self) -> list[dict[str, object]]:
        with api(self.base) as admin:
            items: list[dict[str, object]] = ok(
                admin.get(f"/v1/key-results/{self.kr}/check-ins"))["items"]
        return items

    def log_head(self) -> int:
        with api(self.base) as admin:
            return int(ok(admin.get("/v1/events", params={"after": 0, "limit": 1000}))[
                "next_after"])


@pytest.fixture
def goal(database_url: str) -> Iterator[Goal]:
    store: Store = start_store(Settings(database_url=database_url))
    try:
        with serve_dashboard(store) as base:
            people = make_people(base)
            today = datetime.now(tz=UTC).date()
            with api(base) as admin:
                ok(admin.post("/v1/cycles", json={
                    "key": "NOW", "starts_on": str(today - timedelta(days=30)),
                    "ends_on": str(today + timedelta(days=60))}))
                objective = ok(admin.post("/v1/objectives", json={
                    "cycle": "NOW", "title": "Ship it",
                    "owner": {"type": "team", "id": people.team}}))["id"]
                kr = ok(admin.post(f"/v1/objectives/{objective}/key-results", json={
                    "title": "Signups", "kind": "numeric", "start": 0, "target": 200}))["id"]
            yield Goal(base, people, kr)
    finally:
        store.close()


def test_a_member_checks_in_from_the_page_and_is_recorded_as_the_actor(
    page: Page, goal: Goal
) -> None:
    sign_in(page, goal.base, goal.people.tokens["member"], start=goal.page)
    page.get_by_label("Value", exact=True).fill("50")
    page.get_by_label("Confidence").fill("0.8")
    page.get_by_label("Note").fill("launch week")
    page.get_by_role("button", name="Record the check-in").click()
    row = page.locator("#check-ins + table tbody tr").first
    expect(row).to_contain_text("launch week")
    expect(row).to_contain_text("Maria Member")
    (recorded,) = goal.check_ins()
    assert (recorded["value"], recorded["confidence"], recorded["actor"]) == (
        50, 0.8, goal.people.member)
    with api(goal.base) as admin:
        events = ok(admin.get("/v1/events", params={"after": 0, "limit": 1000}))["items"]
    (event,) = [e for e in events if e["type"].startswith("okr.key_result.checked_in")]
    assert (event["actor"], event["data"]["channel"]) == (goal.people.member, "ui")


def test_a_refused_check_in_shows_why_and_keeps_what_was_typed(
    page: Page, goal: Goal
) -> None:
    sign_in(page, goal.base, goal.people.tokens["member"], start=goal.page)
    page.get_by_label("Value", exact=True).fill("lots")
    page.get_by_role("button", name="Record the check-in").click()
    expect(page.get_by_role("alert")).to_contain_text("Not recorded")
    expect(page.get_by_label("Value", exact=True)).to_have_value("lots")
    assert goal.check_ins() == []


def test_a_viewer_sees_no_check_in_form_and_cannot_post_one(page: Page, goal: Goal) -> None:
    sign_in(page, goal.base, goal.people.tokens["viewer"], start=goal.page)
    expect(page.get_by_role("heading", name="Check-ins")).to_be_visible()
    assert page.locator("form[action$='/check-ins']").count() == 0
    before = goal.log_head()
    # Even with the session's own CSRF token (from the sign-out form), it is refused.
    page.goto(goal.base + "/ui/logout")
    token = page.locator("input[name=csrf_token]").input_value()
    with httpx.Client(base_url=goal.base,
                      cookies={SESSION_COOKIE: session_cookie(page)["value"]}) as browser:
        answer = browser.post(f"{goal.page}/check-ins",
                              data={"value": "5", "csrf_token": token})
    assert answer.status_code == 403
    assert goal.log_head() == before and goal.check_ins() == []


def test_a_forged_post_without_the_csrf_token_records_nothing(page: Page, goal: Goal) -> None:
    sign_in(page, goal.base, goal.people.tokens["member"], start=goal.page)
    before = goal.log_head()
    # In the browser: the member's own form, its CSRF field removed, sent with the cookie.
    page.locator("input[name=csrf_token]").first.evaluate("field => field.remove()")
    page.get_by_label("Value", exact=True).fill("99")
    page.get_by_role("button", name="Record the check-in").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was recorded")
    # And as another site would send it: the cookie, a wrong token or none at all.
    with httpx.Client(base_url=goal.base,
                      cookies={SESSION_COOKIE: session_cookie(page)["value"]}) as forger:
        for fields in ({"value": "99"}, {"value": "99", "csrf_token": "guessed"}):
            assert forger.post(f"{goal.page}/check-ins", data=fields).status_code == 403
    assert goal.log_head() == before and goal.check_ins() == []
