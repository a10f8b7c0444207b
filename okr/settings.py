"""All configuration, from the environment (contract section 5).

Each field's description is also the text `okr COMMAND --help` shows for its OKR_* variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OKR_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None, description="postgresql:// URL; unset: embedded PostgreSQL in OKR_DATA_DIR"
    )
    data_dir: Path = Field(default=Path("var/okr"), description="embedded database and token")
    kafka_bootstrap_servers: str | None = Field(default=None, description="unset: no publishing")
    kafka_topic: str = Field(default="okr.events", description="topic the events go to")
    kafka_partitions: int = Field(default=3, ge=1,
                                  description="partitions of the topic when it is created")
    bootstrap_token: SecretStr | None = Field(
        default=None, description="admin token; unset: generated and stored in OKR_DATA_DIR")
    host: str = Field(default="127.0.0.1", description="address the API listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="port the API listens on")
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = Field(
        default="info", description="critical, error, warning, info, debug or trace")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


def describe_invalid(error: ValidationError) -> list[str]:
    """One line per invalid setting: its variable, the value (unless secret), the problem."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        variable = f"{Settings.model_config.get('env_prefix', '')}{name}".upper()
        field = Settings.model_fields.get(name)
        secret = field is not None and "SecretStr" in str(field.annotation)
        value = "" if secret else f"={item.get('input')!r}"
        lines.append(f"{variable}{value} is not valid ({item['msg']}); fix {variable}")
    return lines
