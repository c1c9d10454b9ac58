"""One typed settings object. Every setting has an offline default and can be set from the
environment (prefix ``ASSAY_``) or, for the data directory, with ``--data-dir``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """``$ASSAY_HOME``, else ``$XDG_DATA_HOME/assay``, else ``~/.local/share/assay``."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "assay"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSAY_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="data directory (store, index, quarantine)")
    timezone: str = Field("Asia/Shanghai", description="zone for dates given without one, and for display")
    max_record_bytes: int = Field(20 * 1024 * 1024, description="larger input records are quarantined")
    max_file_bytes: int = Field(200 * 1024 * 1024, description="larger input files are quarantined")
    batch_size: int = Field(1000, description="documents per store transaction during ingest")
    summarize_on_ingest: bool = Field(True, description="write extractive summaries while ingesting")
    workers: int = Field(0, description="ingest worker processes; 0 = one per core, at most 4")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("batch_size", "max_record_bytes", "max_file_bytes")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be positive")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_path(self) -> Path:
        return self.home / "assay.db"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
