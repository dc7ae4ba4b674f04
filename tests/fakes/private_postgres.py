"""A PostgreSQL cluster of a test's own (initdb in a temporary directory), to stop and start.

The shared server on 127.0.0.1:5432 serves every other test and must never be restarted; this one
listens on a free port, keeps its unix socket in its own directory and is deleted afterwards. The
server refuses to run as root, so as root it runs as the `postgres` OS user.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

SERVER_USER = "postgres"  # the OS user the server runs as when we are root
_VERSION = re.compile(r"/usr/lib/postgresql/(\d+)/bin")


def find_bin_dir() -> Path | None:
    """The newest installed server's bin directory (Debian layout), or None."""
    found = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        match = _VERSION.fullmatch(str(initdb.parent))
        if match and (initdb.parent / "pg_ctl").exists():
            found.append((int(match.group(1)), initdb.parent))
    return max(found)[1] if found else None


def unavailable_reason() -> str | None:
    """None if a private cluster can be made here, else why not (for a skip message)."""
    if find_bin_dir() is None:
        return "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} OS user to run the server"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivatePostgres:
    """One initdb'd cluster: `start()`, `stop()`, `database()`; `admin_url` is its superuser."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data_dir = root / "data"
        self.log_path = root / "server.log"
        self.port = _free_port()
        self.as_user = SERVER_USER if os.geteuid() == 0 else None
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command: Sequence[str] = [str(self.bin_dir / tool), *args]
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.root
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

    def init(self) -> None:
        # --no-sync and fsync off: a throwaway cluster need not survive a power cut.
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                f"\nport = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_path), "-w")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w")

    def running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def server_log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started cluster, stopped and deleted afterwards; see `unavailable_reason` first."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    # Not under pytest's tmp_path: its parents are private to root, the server user can't enter.
    root = Path(tempfile.mkdtemp(prefix="aftercare_pg_"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, SERVER_USER, SERVER_USER)
        cluster = PrivatePostgres(bin_dir, root)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)
