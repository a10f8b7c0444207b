"""docker-compose.yml is a valid Compose file that wires the services sensibly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

ROOT = Path(__file__).resolve().parents[2]
# Beside the repository (../shared), also when it is checked out as a worktree deeper down.
SCHEMA = next((folder / "shared" / "data" / "compose-spec.json" for folder in ROOT.parents
               if (folder / "shared" / "data" / "compose-spec.json").exists()),
              ROOT.parent / "shared" / "data" / "compose-spec.json")
OKR_SERVICES = {"api": ["serve"], "project": ["project"], "relay": ["relay"]}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def dependants(compose: dict[str, Any], dependency: str) -> dict[str, dict[str, Any]]:
    """Service name -> its depends_on entry for `dependency` (long syntax expected)."""
    found: dict[str, dict[str, Any]] = {}
    for name, service in compose["services"].items():
        depends = service.get("depends_on", {})
        if dependency in depends:
            found[name] = depends[dependency] if isinstance(depends, dict) else {}
    return found


def test_compose_file_validates_against_the_compose_specification(
    compose: dict[str, Any],
) -> None:
    schema = json.loads(SCHEMA.read_text())
    # `$schema` is the https form of draft-07, which `validator_for` does not recognise.
    assert "draft-07" in schema["$schema"]
    Draft7Validator.check_schema(schema)
    errors = sorted(Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_okr_services_run_their_own_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {name: services[name]["command"] for name in OKR_SERVICES} == OKR_SERVICES
    assert all(services[name]["build"] == "." for name in OKR_SERVICES)


def test_every_service_using_the_database_waits_until_it_is_healthy(
    compose: dict[str, Any],
) -> None:
    waiting = dependants(compose, "postgres")
    assert set(OKR_SERVICES) <= set(waiting)
    assert {name: entry.get("condition") for name, entry in waiting.items()} == dict.fromkeys(
        waiting, "service_healthy"
    )


def test_every_service_using_the_broker_waits_until_it_is_healthy(
    compose: dict[str, Any],
) -> None:
    waiting = dependants(compose, "kafka")
    assert {"api", "relay"} <= set(waiting)
    assert all(entry.get("condition") == "service_healthy" for entry in waiting.values())


def test_stateful_services_and_api_have_healthchecks(compose: dict[str, Any]) -> None:
    for name in ("postgres", "kafka", "api"):
        assert compose["services"][name]["healthcheck"]["test"], name
    assert "/readyz" in " ".join(compose["services"]["api"]["healthcheck"]["test"])


def test_every_okr_service_points_at_the_database_and_broker(compose: dict[str, Any]) -> None:
    for name in OKR_SERVICES:
        environment = compose["services"][name]["environment"]
        assert environment["OKR_DATABASE_URL"].startswith("postgresql://"), name
        assert "@postgres:5432/" in environment["OKR_DATABASE_URL"], name
        assert environment["OKR_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert environment["OKR_BOOTSTRAP_TOKEN"].startswith("${OKR_BOOTSTRAP_TOKEN:?"), name


def test_long_running_services_restart_and_keep_their_data_in_named_volumes(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert all(s.get("restart") == "unless-stopped" for s in services.values())
    for name in ("postgres", "kafka"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"], name
