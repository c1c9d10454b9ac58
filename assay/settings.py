"""One typed settings object. Every setting has an offline default and can be set from the
environment (prefix ``ASSAY_``) or, for the data directory, with ``--data-dir``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
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
    database_url: str | None = Field(
        None,
        description="a shared PostgreSQL store (postgresql://user@host/db; pip install 'assay[postgres]') instead of "
        "the SQLite file in the data directory; the index and the quarantined inputs stay in the data directory",
    )
    timezone: str = Field("Asia/Shanghai", description="zone for dates given without one, and for display")
    max_record_bytes: int = Field(20 * 1024 * 1024, description="larger input records are quarantined")
    max_file_bytes: int = Field(200 * 1024 * 1024, description="larger input files are quarantined")
    batch_size: int = Field(1000, description="documents per store transaction during ingest")
    summarize_on_ingest: bool = Field(True, description="write extractive summaries while ingesting")
    workers: int = Field(0, description="ingest worker processes; 0 = one per core, at most 4")
    dupe_representative: Literal["earliest", "complete"] = Field(
        "earliest",
        description="the document that stands for a story cluster in search: the earliest published, or the most "
        "complete (longest text); `assay dupes --rebuild` applies a change to existing clusters",
    )
    dupe_window_days: int = Field(
        30,
        ge=0,
        description="two documents published further apart than this are not one story unless their words are "
        "the same (yearly editions of a template are different news); 0 = no limit",
    )
    # the server (`assay serve`)
    host: str = Field("127.0.0.1", description="address `assay serve` binds")
    port: int = Field(8000, description="port `assay serve` listens on")
    local_only: bool = Field(
        True,
        description="local-only mode: bind loopback only, and allow writes from loopback clients without an API "
        "key; set to false to serve other hosts (every write then needs a key from `assay keys create`)",
    )
    max_request_bytes: int = Field(50 * 1024 * 1024, description="larger request bodies are refused (413)")
    ui_lang: Literal["auto", "en", "zh"] = Field("auto", description="web UI language; auto = Accept-Language")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed cross-site; none by default")
    # summaries (see assay/summarize): the backend shown first, and the LLM endpoint when it is one
    summary_backend: Literal["extractive", "openai", "llamacpp"] = Field(
        "extractive", description="summaries shown first: extractive (offline) or an LLM backend, run by the queue"
    )
    summary_language: Literal["en", "zh", "source"] = Field("en", description="language of LLM summaries")
    unsupported_bullets: Literal["grey", "hide"] = Field(
        "grey", description="bullets the verifier could not support: shown greyed with the reason, or hidden"
    )
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    llm_model: str = Field("default", description="model name sent to the endpoint")
    llm_api_key: str | None = Field(None, description="API key for the endpoint (else $OPENAI_API_KEY)")
    llm_timeout: float = Field(120.0, description="seconds per request")
    llm_retries: int = Field(3, description="retries on 429, 5xx, timeouts and connection errors")
    llm_concurrency: int = Field(4, description="requests in flight at once (worker threads)")
    llm_context_chars: int = Field(12_000, description="document characters per request; longer ones go in parts")
    llamacpp_model: Path | None = Field(None, description="GGUF file for the llamacpp backend")
    queue_lease_s: float = Field(600.0, description="a job not finished this long after it was taken is retried")
    serve_worker: bool = Field(True, description="`assay serve` drains the summary queue in-process (LLM backends)")
    # web pages and feeds (`assay add-source`, `assay fetch`, the poll in `assay serve`)
    fetch_every_minutes: float = Field(0, description="`assay serve` fetches the sources this often; 0 = never")
    fetch_timeout: float = Field(20.0, description="seconds to connect, and between bytes, per request")
    fetch_max_bytes: int = Field(10 * 1024 * 1024, description="larger responses are abandoned (after decompression)")
    fetch_retries: int = Field(2, description="retries on 429, 5xx, timeouts and connection errors")
    fetch_backoff: float = Field(2.0, description="seconds before the first retry; doubled for each next one")
    fetch_host_interval: float = Field(1.0, description="seconds between two requests to the same host")
    fetch_max_items: int = Field(100, description="newest feed entries looked at per fetch")
    fetch_user_agent: str = Field(
        "assay/0.1 (self-hosted news search; feed reader)", description="User-Agent sent with every request"
    )
    fetch_allow_networks: list[str] = Field(
        default_factory=list,
        description="private, loopback or link-local networks that fetching may reach (CIDR, e.g. 127.0.0.1/32); "
        "none by default: such addresses are refused after DNS resolution and on every redirect",
    )
    watch_settle: float = Field(
        2.0, description="`assay ingest --watch` takes a file once its size and time stayed the same this long (s)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("port")
    @classmethod
    def _port(cls, value: int) -> int:
        if not 0 < value < 65536:
            raise ValueError("must be between 1 and 65535")
        return value

    @field_validator("fetch_allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for net in value:
            try:
                ipaddress.ip_network(net.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"not a network (CIDR): {net!r}") from exc
        return [n.strip() for n in value]

    @field_validator("batch_size", "max_record_bytes", "max_file_bytes", "max_request_bytes", "fetch_max_bytes")
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

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
