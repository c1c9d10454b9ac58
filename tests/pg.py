"""A real PostgreSQL server for the tests: a cluster made in a temporary directory and started on a loopback
port, run by an unprivileged user when the tests run as root (the server refuses root). Debian's
``postgresql`` package provides the binaries (``.ci/run`` installs it); without them the PostgreSQL tests
skip, unless ``ASSAY_REQUIRE_POSTGRES=1`` (CI), where they fail."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRED = os.environ.get("ASSAY_REQUIRE_POSTGRES") == "1"
USER = "postgres"  # the unprivileged account Debian's package creates


def _bindir() -> Path | None:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True).stdout.strip()
        if out and (Path(out) / "initdb").exists():
            return Path(out)
    for d in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (d / "initdb").exists():
            return d
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="assay-pg-"))
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as: list[str] = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam(USER)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", USER, "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, text=True, timeout=120)

    def start(self, durable: bool = False) -> None:
        """initdb and start; ``durable``: PostgreSQL's default fsync and synchronous commit (benchmarks),
        else both off (tests: nothing here must survive a power cut)."""
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "assay", "--locale=C", "-E", "UTF8"
        )
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections=200"
        if not durable:
            opts += " -c fsync=off -c synchronous_commit=off"
        self._opts = opts
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.root / "log"), "-w", "start")

    def restart(self, down_s: float = 2.0) -> None:
        """Stop the server (fast: every connection is cut), stay down ``down_s`` seconds, start it again."""
        import time

        data = str(self.root / "data")
        self._run(str(self.bindir / "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop")
        time.sleep(down_s)
        self._run(
            str(self.bindir / "pg_ctl"), "-D", data, "-o", self._opts, "-l", str(self.root / "log"), "-w", "start"
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes so far (Linux: every process of its user)."""
        uid = pwd.getpwnam(USER).pw_uid if self._as else os.geteuid()
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if proc.stat().st_uid != uid or "postgres" not in (proc / "comm").read_text():
                    continue
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
            except (OSError, ValueError, IndexError):
                continue
        return total

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://assay@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def start_server() -> PgServer | None:
    """A started server, or None (skipped) where PostgreSQL or psycopg is missing and not required."""
    why = None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        why = "psycopg is not installed (pip install '.[postgres]')"
    server = PgServer()
    if why is None and server.bindir is None:
        why = "PostgreSQL's binaries are not installed (apt-get install postgresql)"
    if why is None and os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            why = f"no unprivileged user {USER!r} to run the server as"
    if why is not None:
        shutil.rmtree(server.root, ignore_errors=True)
        if REQUIRED:
            pytest.fail(f"ASSAY_REQUIRE_POSTGRES=1 but {why}")
        pytest.skip(why)
    server.start()
    return server
