"""Hold every setting of zhongshu in one typed class read from ZHONGSHU_* variables or a TOML file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROTATION_PAGES = ("overview", "departments", "township")


class Settings(BaseSettings):
    """Settings of every zhongshu process; each field is documented in the README's table."""

    model_config = SettingsConfigDict(env_prefix="ZHONGSHU_", extra="ignore")

    redis_url: str | None = Field(
        None, description="Redis URL (`redis://`, `rediss://`); unset starts an embedded Redis"
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy database URL; unset means a SQLite file in the data folder"
    )
    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file and the embedded Redis")
    feed_prefix: str = Field("zhongshu", description="Prefix of the Redis feed channels and keys")
    host: str = Field("127.0.0.1", description="Address the web server listens on")
    port: int = Field(8050, description="Port the web server listens on")
    county_name: str = Field("示范县", description="The county's name, shown on every screen")
    county_code: str = Field("439901", description="The county's 6-digit code (GB/T 2260)")
    wall_title: str | None = Field(
        None, description="Title of the wall; unset means 「<county>综治中心 · 指挥中枢」"
    )
    lang: Literal["zh-CN", "en"] = Field("zh-CN", description="Default language of the screens")
    timezone: str = Field("Asia/Shanghai", description="Time zone figures and clocks are shown in")
    secret_key: str | None = Field(
        None, description="Key that signs session cookies (≥ 32 random characters); `zhongshu serve` will not start "
                          "without one; `zhongshu demo` keeps one in the data folder"
    )
    feed_stale_seconds: float = Field(
        30.0, description="Seconds without an event or heartbeat before the wall warns 数据中断"
    )
    ingest_batch_max: int = Field(2000, description="Most events the ingest applies in one transaction")
    feed_max_bytes: int = Field(
        1_048_576, ge=1024, description="Longest feed message the ingest decodes; longer ones are dead-lettered unread"
    )
    feed_max_future_seconds: float = Field(
        600.0, ge=0, description="How far past the ingest's clock a message's `at` may lie before it is refused"
    )
    feed_max_age_days: float = Field(
        730.0, gt=0, description="How old a message's `at` may be before it is refused (raise it to load older history)"
    )
    dead_letter_max: int = Field(
        10_000, ge=1, description="Dead letters kept (each at most 64 KiB of raw); the oldest are pruned and counted"
    )
    emit_rate: float = Field(
        50.0, description="Delta batches per second the ingest may emit before it coalesces them"
    )
    stream_maxlen: int = Field(
        100_000, ge=1000, description="Entries the feed log (a Redis Stream the ingest replays gaps from) keeps"
    )
    delta_log: int = Field(
        2000, ge=10, description="Deltas kept for walls that missed some (a Redis Stream); older gaps take a snapshot"
    )
    catchup_max_bytes: int = Field(
        16_000_000, ge=10_000,
        description="Most bytes of delta log read for one catch-up; a larger gap takes a snapshot"
    )
    ticker_size: int = Field(40, description="Events kept in the wall's ticker")
    duty_roster: Path | None = Field(
        None, description="TOML file naming who is on duty (带班领导/值班员); shown masked on the wall"
    )
    deadline_policy: Path | None = Field(
        None, description="TOML file of deadline limits per department kind, tier and category (see README)"
    )
    auto_supervision: bool = Field(
        True, description="Raise yellow/red 督办 cards by the clock when a case passes its thresholds"
    )
    league_seconds: float = Field(
        30.0, description="How often the ingest pushes the month's aggregates (leagues, trends, category/source mix)"
    )
    tile_url: str | None = Field(
        None, description="XYZ tile URL template for the map ({z}/{x}/{y}, {s}); unset draws boundaries only"
    )
    tile_subdomains: str = Field("", description="Subdomains that replace {s} in the tile URL, e.g. `01234567`")
    tile_crs: Literal["wgs84", "gcj02"] = Field(
        "wgs84", description="Coordinates of the tile source; `gcj02` (AMap, Tencent) shifts what is drawn"
    )
    tile_attribution: str = Field("", description="Attribution text the tile source asks for")
    alert_overlay_seconds: float = Field(
        300.0, description="Seconds a major or group incident stays across the wall's map after it is raised"
    )
    wall_heat: bool = Field(
        False, description="Fill each township on the wall's map by its number of open cases (heat layer)"
    )
    wall_rotation: str = Field(
        "", description="Pages the wall rotates through (轮播), comma-separated from: overview, departments, township"
    )
    wall_rotation_seconds: float = Field(
        30.0, ge=3.0, description="Seconds each rotation page stays on the wall; an alert on screen pauses rotation"
    )
    metrics_seconds: float = Field(
        5.0, gt=0, description="How often the ingest writes its metrics to Redis for the web's `/metrics`"
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as human text, or `json`: one JSON object per line for a log collector"
    )
    audit_retention_days: int = Field(
        180, ge=180,
        description="Days the audit log (sign-ins, views, unmasks, exports, account changes) is kept by "
                    "`zhongshu audit prune`; at least 180 (about six months)"
    )
    session_idle_minutes: int = Field(
        30, ge=1, description="Minutes a signed-in user's session may go unused before it ends (walls never idle out)"
    )
    session_max_hours: float = Field(
        12.0, gt=0, description="Hours a user's session lasts at most, however busy (about a shift)"
    )
    signin_rate: str = Field(
        "10 per minute;50 per hour",
        description="Sign-in attempts allowed per client address (Flask-Limiter syntax), besides the lock-out"
    )
    cookie_secure: bool = Field(
        False, description="Mark cookies Secure always; they are already whenever a request comes over HTTPS"
    )
    proxy_hops: int = Field(
        0, ge=0, description="Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted"
    )
    metrics_token: str | None = Field(
        None, description="Bearer token that opens `/metrics` to other hosts; unset: loopback callers only"
    )
    sim_seed: int = Field(1, description="Seed of the simulator (same seed, same stream)")
    sim_cases_per_day: float = Field(600.0, description="Cases per simulated day the simulator registers")
    sim_speedup: float = Field(30.0, description="Simulated seconds per real second in the live phase")
    sim_backfill_days: int = Field(
        30, description="Days of history the simulator publishes first (cases still open then come with their past)"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read init values, then ZHONGSHU_* variables, then the TOML file named by ZHONGSHU_CONFIG."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("ZHONGSHU_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @field_validator("wall_rotation")
    @classmethod
    def _known_pages(cls, value: str) -> str:
        pages = [p.strip() for p in value.split(",") if p.strip()]
        unknown = [p for p in pages if p not in ROTATION_PAGES]
        if unknown:
            raise ValueError(f"unknown rotation page {', '.join(unknown)}; choose from {', '.join(ROTATION_PAGES)}")
        return ",".join(pages)

    @property
    def rotation(self) -> list[str]:
        """Return the wall's rotation pages in order (empty: no rotation)."""
        return [p for p in self.wall_rotation.split(",") if p]

    @property
    def title(self) -> str:
        """Return the wall's title."""
        return self.wall_title or f"{self.county_name}综治中心 · 指挥中枢"

    @property
    def db_url(self) -> str:
        """Return the database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zhongshu.db').resolve()}"

    @property
    def socketio_channel(self) -> str:
        """Return the Redis channel the Socket.IO message queue uses (the same in every process)."""
        return f"{self.feed_prefix}:socketio"


# Settings that only exist as environment variables (read before a Settings object exists).
EXTRA_ENV = {
    "ZHONGSHU_CONFIG": "Path of a TOML file with any of the settings above (lower-case keys)",
    "ZHONGSHU_TEST_REDIS_URL": "Tests only: the Redis to test against (else 127.0.0.1:6379, else one started)",
    "ZHONGSHU_TEST_DATABASE_URL": "Tests only: a PostgreSQL URL; the suite then also runs against it",
}
