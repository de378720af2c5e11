"""Settings from the environment and `.env`; `.env.example` documents each (docs/operations.md)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import default_database_url

DEFAULT_DRAND_URLS = (
    "https://api.drand.sh,https://api2.drand.sh,https://api3.drand.sh,https://drand.cloudflare.com"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # The bot's @username without "@", for invite links the API hands out (R-api3).
    telegram_bot_username: str | None = None
    database_url: str = Field(default_factory=default_database_url)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    webhook_url: str | None = None
    webhook_secret: str | None = None
    default_currency: str = "USD"
    default_timezone: str = "UTC"
    log_level: str = "INFO"
    scheduler_enabled: bool = True
    metrics_enabled: bool = True
    # R-draw4: drand quicknet mirrors, comma-separated; `off` makes seed-only lucky draws.
    drand_urls: str = DEFAULT_DRAND_URLS
    # Where people and platforms reach this service: the Mini App (/app/), /verify links in the
    # draw notices, the overlay. Unset: no menu button and no links.
    public_base_url: str | None = None
    # R-api6: requests per API key per minute, by route class (docs/api.md "Rate limits").
    rate_limits_enabled: bool = True
    rate_limit_viewers_per_minute: int = Field(default=300_000, ge=1)
    rate_limit_writes_per_minute: int = Field(default=1_200, ge=1)
    rate_limit_reads_per_minute: int = Field(default=6_000, ge=1)
    # R-ev2: allow http:// and private or loopback webhook addresses (local receivers, tests).
    webhook_allow_private: bool = False
    # R-ev1: days the event log keeps an event.
    event_retention_days: int = Field(default=30, ge=1, le=3650)

    @field_validator(
        "telegram_bot_token",
        "telegram_bot_username",
        "webhook_url",
        "webhook_secret",
        "public_base_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)

    @property
    def drand_mirrors(self) -> list[str]:
        """The drand mirrors lucky draws fetch their round from; [] for `off` (R-draw4)."""
        if self.drand_urls.strip().lower() in ("", "off"):
            return []
        return [u.strip().rstrip("/") for u in self.drand_urls.split(",") if u.strip()]
