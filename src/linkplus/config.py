"""The one place that reads configuration: ``LINKPLUS_*`` environment variables and ``.env``."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from linkplus.kit.parsing import InputRefused, WebAddress, parse_web_address

# The placeholders an XYZ tile address must carry (Leaflet's and MapLibre's form).
TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


class Settings(BaseSettings):
    """Runtime settings. Everything has a default that runs on one machine with no set-up."""

    model_config = SettingsConfigDict(
        env_prefix="LINKPLUS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("var")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default: a SQLite file in the data dir.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs tokens and web sessions; default: a random key kept in the data dir.",
    )
    # Default: http://{host}:{port} (loopback when host listens on every address).
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    # Slow clients (docs/architecture.md, "Serving HTTP"): a request's headers, then its body,
    # must arrive within these many seconds, or the request is answered 408.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)

    # Mail: SMTP when set, otherwise the outbox table only (readable at /dev/mailbox in the demo).
    smtp_url: str | None = None
    mail_from: str = "linkplus <no-reply@linkplus.local>"
    dev_mailbox: bool = False

    # Web Push (VAPID). Without a key push notifications stay in the inbox only.
    vapid_private_key: str | None = None
    vapid_subject: str = "mailto:admin@linkplus.local"

    # Tokens and sign-in.
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    web_session_days: int = 14
    activation_hours: int = 48
    password_reset_minutes: int = 30
    email_change_hours: int = 24
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4

    # Jobs.
    worker_enabled: bool = True
    worker_poll_seconds: float = 1.0
    job_lease_seconds: int = 300

    # Home chargers (OCPP, docs/charging.md). The central system answers WebSockets at
    # /ocpp/{charger_id} inside serve unless ``ocpp_enabled`` is false (a standalone
    # ``linkplus ocpp`` process then holds the chargers). ``ocpp_url`` is the address owners enter
    # in their charger (default: the public URL with ws/wss and /ocpp).
    ocpp_enabled: bool = True
    ocpp_url: str | None = None
    ocpp_heartbeat_seconds: int = Field(default=300, ge=10, le=86_400)
    ocpp_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    ocpp_command_seconds: int = Field(default=60, ge=5, le=3600)

    # Vehicle link. Without ``mqtt_url`` serve and demo start an MQTT broker (amqtt) inside the
    # process on 127.0.0.1:``mqtt_port``; with it they connect to that broker (the gateway
    # listener of a Mosquitto, say) and start none.
    mqtt_url: str | None = None
    mqtt_port: int = 1883
    gateway_enabled: bool = True
    # Scale-out (docs/scaling.md). ``instance``: this process's name among the platform's
    # processes, in its MQTT client ids and its gateway lease; default "<host>.<pid>", so two
    # processes never share one. ``gateway_lease_seconds``: how long a gateway that stopped
    # renewing its lease keeps its broker session before a live gateway takes the session over.
    # ``mqtt_vehicle_url``: the broker's vehicle listener, where `simulate` and the demo's cars
    # connect (``mqtt_url`` is the platform's own listener).
    instance: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.]{1,40}$")
    gateway_lease_seconds: float = Field(default=10.0, ge=1, le=300)
    mqtt_vehicle_url: str | None = None
    gateway_batch_size: int = Field(default=500, ge=1, le=5000)
    gateway_batch_window_ms: float = Field(default=5.0, ge=0, le=1000)
    post_trip_alert_minutes: int = Field(default=7, ge=5, le=10)
    # Service reminders (docs/maintenance.md): the two notices before a service is due, each at
    # whichever comes first of its days and its kilometres.
    service_notice_first_days: int = Field(default=30, ge=1, le=365)
    service_notice_first_km: int = Field(default=1500, ge=1, le=50_000)
    service_notice_second_days: int = Field(default=7, ge=0, le=365)
    service_notice_second_km: int = Field(default=500, ge=0, le=50_000)
    location_retention_days: int = Field(default=90, ge=1)
    signal_history_retention_days: int = Field(default=400, ge=1)
    # Erasure of an account (docs/privacy-rights.md, "Erasure"): the grace period in which the
    # owner can cancel, and how many days before its end the reminder goes out.
    erasure_grace_days: int = Field(default=7, ge=1, le=60)
    erasure_reminder_days: int = Field(default=2, ge=1, le=30)
    message_dedupe_hours: int = Field(default=48, ge=1)
    vehicle_online_minutes: int = Field(default=15, ge=1)
    refresh_command_minutes: int = Field(default=10, ge=1, le=24 * 60)
    # Where ``linkplus mosquitto setup`` wrote Mosquitto's files: provisioning a unit (and
    # ``simulate``) rewrites the vehicle password file there and makes Mosquitto reload it.
    mosquitto_dir: Path | None = None
    # SQLite: how long a transaction waits for the write lock before the request is answered
    # 503 database_busy (with Retry-After).
    sqlite_busy_seconds: float = Field(default=30.0, gt=0, le=600)

    # Payments: the provider API (default: the sandbox provider inside this app, at
    # {public_url}/sandbox-pay), the key the platform presents to it (default: derived from the
    # secret key) and how long a call may take before it counts as failed and may be retried.
    payment_provider_url: str | None = None
    payment_provider_key: str | None = None
    payment_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    # Remote control (docs/remote-control.md). ``command_key`` is the master secret every car's
    # command-signing key derives from (default: derived from the secret key).
    command_key: str | None = None
    command_expiry_seconds: int = Field(default=60, ge=5, le=3600)
    command_rate_per_vehicle: int = Field(default=10, ge=1)
    command_rate_per_account: int = Field(default=30, ge=1)
    command_rate_window_seconds: int = Field(default=60, ge=1)

    # The owner app's base map: an XYZ tile address such as https://tile.example.org/{z}/{x}/{y}.png
    # (one host; the page's security policy allows images from it). Without it the map draws
    # the roads the platform serves itself (``base_map_path``: the demo writes its city there).
    map_tiles_url: str | None = None

    # Retention (docs/privacy.md, generated from the data map): how long each kind of personal
    # data is kept. Positions and trip routes follow ``location_retention_days`` and signal
    # history ``signal_history_retention_days`` (vehicle link, above); scheduled jobs purge the
    # rest by these. Invoices cannot be deleted: ``invoice_retention_years`` documents the tax
    # law's period they are kept for.
    command_history_retention_days: int = Field(default=180, ge=1)
    notification_retention_days: int = Field(default=365, ge=1)
    sent_email_retention_days: int = Field(default=30, ge=1)
    export_link_days: int = Field(default=7, ge=1)
    invoice_retention_years: int = Field(default=10, ge=1)
    # Purges change at most ``purge_batch_rows`` rows per statement and
    # ``purge_batches_per_job`` statements per kind of data in one job; a purge with more to do
    # queues itself again, so each transaction stays short on a large database.
    purge_batch_rows: int = Field(default=1000, ge=1, le=100_000)
    purge_batches_per_job: int = Field(default=20, ge=1, le=1000)

    max_body_bytes: int = 1024 * 1024
    log_json: bool = True
    log_level: str = "INFO"

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("map_tiles_url")
    @classmethod
    def _tile_address(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        tiles = parse_web_address(value, field="LINKPLUS_MAP_TILES_URL")
        if any(mark in tiles.host for mark in "{}"):
            raise InputRefused(
                "LINKPLUS_MAP_TILES_URL",
                "Name one tile host without placeholders in it (no {s} sub-domains).",
            )
        missing = [mark for mark in TILE_PLACEHOLDERS if mark not in tiles.url]
        if missing:
            raise InputRefused(
                "LINKPLUS_MAP_TILES_URL",
                f"An XYZ tile address needs {', '.join(missing)} in it, for example "
                "https://tile.example.org/{z}/{x}/{y}.png.",
            )
        return tiles.url

    @model_validator(mode="after")
    def _public_url_from_address(self) -> Settings:
        """Without a configured ``public_url``, the address this process serves on. Set in
        ``__dict__`` so ``model_fields_set`` still tells a configured value from a derived one."""
        if "public_url" not in self.model_fields_set:
            host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
            host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
            self.__dict__["public_url"] = f"http://{host}:{self.port}"
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'linkplus.db'}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept (mode 0600) in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key

    @property
    def map_tiles(self) -> WebAddress | None:
        """The configured tile source, parsed (its origin goes into the security policy)."""
        if self.map_tiles_url is None:
            return None
        return parse_web_address(self.map_tiles_url, field="LINKPLUS_MAP_TILES_URL")

    @property
    def resolved_ocpp_url(self) -> str:
        """Where chargers connect (their identity is appended)."""
        if self.ocpp_url:
            return self.ocpp_url.rstrip("/")
        base = self.public_url.rstrip("/")
        scheme, rest = base.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ocpp"

    @property
    def base_map_path(self) -> Path:
        """The roads the platform serves as its own base map when no tile source is set."""
        return self.data_dir / "map" / "roads.geojson"

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
