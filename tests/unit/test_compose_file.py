"""docker-compose.yml is a valid Compose file that wires the services sensibly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "data" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_file_validates_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=lambda e: e.path)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_okr_services_run_their_own_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {name: services[name]["command"] for name in ("api", "project", "relay")} == {
        "api": ["serve"], "project": ["project"], "relay": ["relay"],
    }


def test_services_wait_for_a_healthy_database(compose: dict[str, Any]) -> None:
    for name in ("api", "project", "relay"):
        depends = compose["services"][name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name


def test_stateful_services_and_api_have_healthchecks(compose: dict[str, Any]) -> None:
    for name in ("postgres", "kafka", "api"):
        assert compose["services"][name]["healthcheck"]["test"], name


def test_every_okr_service_points_at_the_database_and_broker(compose: dict[str, Any]) -> None:
    for name in ("api", "project", "relay"):
        environment = compose["services"][name]["environment"]
        assert environment["OKR_DATABASE_URL"].startswith("postgresql://")
        assert environment["OKR_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
