"""Settings, read from the environment once, at the wiring point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(ValueError):
    """A setting, key or token is missing or malformed: the process refuses to start."""


class Settings(BaseSettings):
    """Everything a process of the system needs to know about where things are."""

    model_config = SettingsConfigDict(env_prefix="PES_", extra="ignore", frozen=True)

    data_dir: Path = Path(".data")
    event_store: Literal["sqlite", "postgres"] = "sqlite"
    view_store: Literal["sqlite", "postgres"] = "sqlite"

    postgres_host: str = Field("127.0.0.1", validation_alias=AliasChoices("POSTGRES_HOST"))
    postgres_port: int = Field(5432, validation_alias=AliasChoices("POSTGRES_PORT"))
    postgres_user: str = Field("pes", validation_alias=AliasChoices("POSTGRES_USER"))
    postgres_password: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("POSTGRES_PASSWORD")
    )
    postgres_dbname: str = Field("pes", validation_alias=AliasChoices("POSTGRES_DBNAME"))

    kafka_bootstrap_servers: str | None = Field(
        None, validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS")
    )
    case_events_topic: str = "pes.case-events"
    case_events_partitions: int = Field(6, ge=1)
    topic_replication_factor: int | None = Field(None, ge=1, le=10)
    """Replicas of the topics the system creates (unset: 3, or every broker of a smaller cluster)."""
    topic_min_insync_replicas: int | None = Field(None, ge=1, le=10)
    """Replicas that must have a record before it is acknowledged (unset: 2 with three replicas
    or more, else 1): with 3 and 2, one broker may be lost and writes go on; two stop them."""
    deadline_alerts_topic: str = "pes.deadline-alerts"
    command_refusals_topic: str = "pes.command-refusals"
    """Where the refusal relay publishes the decision records of refused commands."""
    caseload_group_id: str = "pes-caseload"
    billing_group_id: str = "pes-billing"
    reporting_group_id: str = "pes-reporting"
    fiscal_year_start_month: int = Field(10, ge=1, le=12)
    """The month the agency's fiscal year starts (10: the US federal fiscal year)."""
    due_soon_days: int = Field(7, ge=0, le=365)

    aggregate_cache_size: int = Field(1000, ge=0, le=1_000_000)
    """Cases kept in memory between commands (0: none). A command decided on a kept case that
    lacks another writer's events is decided again on the case as stored (docs/architecture.md)."""
    snapshot_interval: int = Field(50, ge=0, le=100_000)
    """Every how many versions a case read as of a date keeps a snapshot of its state, so the
    next such read folds fewer events (0: none; docs/audit.md)."""
    consumer_max_poll_records: int = Field(500, ge=1, le=10_000)
    consumer_session_timeout_ms: int = Field(10_000, ge=6_000, le=300_000)
    """How long a consumer that died (SIGKILL, a lost machine) holds its partitions before its
    group hands them on; a restarted consumer waits out this much. The broker's minimum is 6 s."""
    relay_batch_size: int = Field(1000, ge=1, le=100_000)
    relay_poll_interval_seconds: float = Field(0.05, gt=0, le=10)
    kafka_delivery_timeout_seconds: float = Field(120.0, ge=1, le=3600)
    """How long the relay's and the deadline process's producer retries a send before reporting
    it failed. A failed send is sent again from the last acknowledged position, so this bounds
    one attempt, not how long an outage the processes survive (docs/operations.md)."""

    singleton_lease_seconds: float = Field(6.0, ge=1, le=300)
    """On PostgreSQL: how long a paused active relay or deadline process keeps its lease; a
    standby takes over within this and a third of it more (docs/operations.md)."""

    personal_data_store: Literal["sqlite", "postgres"] = "sqlite"
    personal_data_key: SecretStr | None = None
    """Base64 of 32 bytes: wraps each client's data key. Required outside development mode."""
    cipher_key: SecretStr | None = None
    """Base64 AES key (16, 24 or 32 bytes): encrypts the event store at rest when set."""

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "events.sqlite"

    @property
    def views_path(self) -> Path:
        return self.data_dir / "views.sqlite"

    @property
    def billing_path(self) -> Path:
        return self.data_dir / "billing.sqlite"

    @property
    def reporting_path(self) -> Path:
        return self.data_dir / "reporting.sqlite"

    @property
    def personal_data_path(self) -> Path:
        return self.data_dir / "personal_data.sqlite"

    def postgres_conninfo(self) -> str:
        return (
            f"host={self.postgres_host} port={self.postgres_port} user={self.postgres_user} "
            f"password={self.postgres_password.get_secret_value()} dbname={self.postgres_dbname}"
        )


def load_settings() -> Settings:
    """The settings of the environment; a malformed one is a `ConfigurationError` naming its
    variable (never its value, which may be a secret)."""
    try:
        return Settings()
    except ValidationError as error:
        problems = [
            f"{_variable(str(problem['loc'][0]))}: {problem['msg']}" for problem in error.errors()
        ]
        raise ConfigurationError("; ".join(problems)) from None


def _variable(field: str) -> str:
    return field if field.isupper() else f"PES_{field.upper()}"


def as_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that recreate these settings in another process."""
    names = {
        "postgres_host": "POSTGRES_HOST",
        "postgres_port": "POSTGRES_PORT",
        "postgres_user": "POSTGRES_USER",
        "postgres_password": "POSTGRES_PASSWORD",
        "postgres_dbname": "POSTGRES_DBNAME",
        "kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
    }
    environment = {}
    for field, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        environment[names.get(field, f"PES_{field.upper()}")] = str(value)
    return environment
