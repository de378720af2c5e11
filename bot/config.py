"""Settings from the environment and `.env`; `.env.example` documents each (docs/operations.md)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import default_database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
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
    # R-ev4: links the bot hands out (the overlay) are built from it; None: said when asked.
    public_base_url: str | None = None
    # R-ev2: allow http:// and private or loopback webhook addresses (local receivers, tests).
    webhook_allow_private: bool = False
    # R-ev1: days the event log keeps an event.
    event_retention_days: int = Field(default=30, ge=1, le=3650)

    @field_validator(
        "telegram_bot_token", "webhook_url", "webhook_secret", "public_base_url", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)
