"""docs/asyncapi.yaml and docs/schemas/ are generated from the code and stay in sync."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from consumers import schemas
from consumers.events import models
from domain.application import OkrApplication
from eventstore.envelope import envelope_of
from tests.support.scenario import build_org

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_generated_files_match_the_code() -> None:
    assert schemas.out_of_date(DOCS) == [], "run: python -m consumers.schemas --write"


def test_asyncapi_document_lists_every_event_type_with_cloudevent_headers() -> None:
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    assert document["asyncapi"] == "3.0.0"
    messages = document["components"]["messages"]
    assert {m["name"] for m in messages.values()} == set(models())
    for message in messages.values():
        headers = message["headers"]["properties"]
        assert headers["ce_type"]["const"] == message["name"]
        assert headers["ce_specversion"]["const"] == "1.0"
        ref = message["payload"]["$ref"]
        assert ref.startswith("#/components/schemas/"), "inline, never a file beside it"
        inline = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        published = json.loads((DOCS / "schemas" / f"{message['name']}.json").read_text())
        assert inline == {k: v for k, v in published.items() if k not in ("$schema", "$id")}


def test_nested_payload_models_are_hoisted_beside_the_payload_schemas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Step(BaseModel):
        at: int

    class Plan(BaseModel):
        steps: list[Step]

    monkeypatch.setattr(schemas, "models", lambda: {"okr.plan.made.v1": Plan})
    components = schemas.payload_schemas()
    assert components["Step"]["properties"]["at"]["type"] == "integer"
    assert components["Plan"]["properties"]["steps"]["items"] == {
        "$ref": "#/components/schemas/Step"}


def test_every_recorded_payload_validates_against_its_published_schema(
    memory_app: OkrApplication,
) -> None:
    org = build_org(memory_app)
    memory_app.check_in(org.key_result, value=5, confidence=0.4, note="hi",
                        channel="api", actor="admin")
    memory_app.edit_key_result(org.key_result, target=90, reason="scope", actor="admin")
    memory_app.realign_objective(org.child, parent_id=None, actor="admin")
    memory_app.close_cycle(org.cycle, actor="admin")
    notifications = memory_app.recorder.select_notifications(start=1, limit=1000)
    seen = set()
    for n in notifications:
        envelope = envelope_of(memory_app.mapper.to_domain_event(n), n.id)
        schema = json.loads((DOCS / "schemas" / f"{envelope.type}.json").read_text())
        jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.FormatChecker()
        ).validate(envelope.data)
        seen.add(envelope.type)
    assert len(seen) >= 12
