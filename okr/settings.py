"""All configuration, from the environment (contract section 5)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OKR_", extra="ignore")

    database_url: SecretStr | None = Field(
        default=None, description="postgresql:// URL; unset: embedded PostgreSQL in data_dir"
    )
    data_dir: Path = Field(default=Path("var/okr"), description="embedded database and token")
    kafka_bootstrap_servers: str | None = Field(default=None, description="unset: no publishing")
    kafka_topic: str = "okr.events"
    kafka_partitions: int = Field(default=3, ge=1)
    bootstrap_token: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "info"
