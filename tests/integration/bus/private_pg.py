"""A PostgreSQL server of one test (initdb in a temporary directory, a free port), so a fault test can stop and
restart it without touching the machine's shared server. Runs as the `postgres` user (the server refuses root)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    """initdb/pg_ctl are installed and we can run them as the postgres user."""
    return (PG_BIN / "pg_ctl").exists() and shutil.which("runuser") is not None and os.geteuid() == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivatePostgres:
    root: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=60)

    @classmethod
    def create(cls) -> PrivatePostgres:
        root = Path(tempfile.mkdtemp(prefix="cxops-pg-"))
        shutil.chown(root, "postgres", "postgres")
        server = cls(root, _free_port())
        server._as_postgres(str(PG_BIN / "initdb"), "-D", str(root / "data"), "-A", "trust", "-U", "postgres")
        return server

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.root / "data"),
            "-o",
            opts,
            "-w",
            "-l",
            str(self.root / "log"),
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash stop: no checkpoint, recovery on the next start."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
