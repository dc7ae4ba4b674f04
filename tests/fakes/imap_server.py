"""A private Dovecot IMAP server on 127.0.0.1 for tests, from a generated config in a temp dir.

The Debian package's own service (and /etc/dovecot) is never used: the instance gets its own
config, base_dir, free ports and passwd-file user, and is stopped afterwards.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from tests.fakes.smtp_server import TestCert, free_port
from tests.support.debian import binary_from_package

_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")

CONFIG = """\
# Generated for one test session; nothing here is read from /etc/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
{ssl}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
# No chroot: an unprivileged (rootless) Dovecot cannot chroot, and tests gain nothing from it.
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
    ssl = yes
  }}
}}
"""


def dovecot_binary() -> str:
    """The dovecot binary (installed as root when missing)."""
    return binary_from_package("dovecot", "dovecot-imapd")


class DovecotServer:
    """Context manager: Dovecot with one passwd-file user; `append` and `flags_of` for tests."""

    def __init__(
        self,
        *,
        username: str = "replies@clinic.example",
        password: str = "Imap-Pa55word!",
        tls: bool = True,
    ) -> None:
        self.host = "127.0.0.1"
        self.username, self.password = username, password
        self.port = 0
        self.ssl_port = 0  # implicit TLS (IMAPS); 0 when started without TLS
        self.cert: TestCert | None = None
        self._tls = tls
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> DovecotServer:
        binary = dovecot_binary()
        # Not pytest's tmp_path: its parents are private to root, and Dovecot's unprivileged
        # auth and login processes must reach the users file and the sockets under base_dir.
        self._dir = Path(tempfile.mkdtemp(prefix="aftercare-dovecot-"))
        self._dir.chmod(0o755)
        try:
            self._write_files()
            for _attempt in range(3):  # free_port() can race with another process
                self.port = free_port()
                self.ssl_port = free_port() if self.cert else 0
                self._write_config()
                if self._launch(binary):
                    return self
            raise RuntimeError(f"dovecot did not start:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop Dovecot and its children, and remove the temp dir; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # The whole process group (Dovecot's own session): the children stop together,
            # in 0.1 s, where a SIGTERM to the master alone waits a second for them.
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        directory, self._dir = self._dir, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, lines: int = 30) -> str:
        if self._dir is None or not (self._dir / "dovecot.log").exists():
            return "(no log)"
        return "\n".join((self._dir / "dovecot.log").read_text().splitlines()[-lines:])

    # --- what tests use ------------------------------------------------------------------------

    def settings(self, folder: str = "INBOX", *, security: str = "none") -> dict[str, object]:
        """`make_settings` overrides pointing the service at this server."""
        port = {"none": self.port, "starttls": self.port, "ssl": self.ssl_port}[security]
        return {
            "imap_host": self.host,
            "imap_port": port,
            "imap_username": self.username,
            "imap_password": self.password,
            "imap_folder": folder,
            "imap_security": security,
        }

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=5)
        client.login(self.username, self.password)
        return client

    def create_folder(self, wire_name: str) -> None:
        """Create a folder; `wire_name` is as on the wire (modified UTF-7, unquoted)."""
        client = self.connect()
        try:
            _ok(client.create(_quote(wire_name)))
        finally:
            client.logout()

    def append(
        self,
        raw: bytes,
        *,
        folder: str = "INBOX",
        flags: str = "",
        arrived: datetime | None = None,
    ) -> int:
        """Put one RFC 5322 message into `folder` with IMAP APPEND; returns its UID."""
        when = imaplib.Time2Internaldate(arrived) if arrived is not None else None
        client = self.connect()
        try:
            status, data = client.append(_quote(folder), f"({flags})" if flags else None, when, raw)
            _ok((status, data))
        finally:
            client.logout()
        match = _APPENDUID.search(b" ".join(d for d in data if isinstance(d, bytes)))
        assert match, f"no APPENDUID in {data!r}"
        return int(match.group(1))

    def flags_of(self, uid: int, *, folder: str = "INBOX") -> frozenset[str]:
        """The flags and keywords of one message (read-only: EXAMINE changes nothing)."""
        client = self.connect()
        try:
            _ok(client.select(_quote(folder), readonly=True))
            status, data = client.uid("FETCH", str(uid), "(FLAGS)")
            _ok((status, data))
        finally:
            client.logout()
        assert data and isinstance(data[0], bytes), f"no message with uid {uid} in {folder}"
        return frozenset(flag.decode() for flag in imaplib.ParseFlags(data[0]))

    def count(self, folder: str = "INBOX") -> int:
        """How many messages the folder holds (expunged ones are gone from this count)."""
        client = self.connect()
        try:
            status, data = client.status(_quote(folder), "(MESSAGES)")
            _ok((status, data))
        finally:
            client.logout()
        match = re.search(rb"MESSAGES (\d+)", data[0] if isinstance(data[0], bytes) else b"")
        assert match, f"unexpected STATUS reply {data!r}"
        return int(match.group(1))

    # --- internals -----------------------------------------------------------------------------

    def _write_files(self) -> None:
        assert self._dir is not None
        (self._dir / "users").write_text(f"{self.username}:{{PLAIN}}{self.password}::::::\n")
        (self._dir / "users").chmod(0o644)  # read by the unprivileged auth process
        home = self._dir / "home"
        home.mkdir()
        uid, gid = self._mail_ids()
        os.chown(home, uid, gid)
        if self._tls and shutil.which("openssl"):
            self.cert = TestCert.create(self._dir)

    def _mail_ids(self) -> tuple[int, int]:
        if os.geteuid() != 0:
            return os.getuid(), os.getgid()
        # Dovecot refuses to run mail processes as root; its own system user will do.
        entry = pwd.getpwnam("dovecot")
        return entry.pw_uid, entry.pw_gid

    def _write_config(self) -> None:
        assert self._dir is not None
        uid, gid = self._mail_ids()
        if os.geteuid() == 0:
            internal, group = "dovecot", grp.getgrgid(gid).gr_name
            login = "dovenull" if _user_exists("dovenull") else "dovecot"
        else:  # rootless Dovecot: every process runs as the current user and group
            internal = login = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
        if self.cert is not None:
            ssl = f"ssl = yes\nssl_cert = <{self.cert.cert}\nssl_key = <{self.cert.key}"
        else:
            ssl = "ssl = no"
        text = CONFIG.format(
            dir=self._dir,
            internal_user=internal,
            internal_group=group,
            login_user=login,
            uid=uid,
            gid=gid,
            ssl=ssl,
            port=self.port,
            ssl_port=self.ssl_port,
        )
        (self._dir / "dovecot.conf").write_text(text)

    def _launch(self, binary: str) -> bool:
        """Start Dovecot in the foreground; True once it greets, False if it exited (port)."""
        assert self._dir is not None
        command = [binary, "-F", "-c", str(self._dir / "dovecot.conf")]
        log = (self._dir / "stdout.log").open("ab")
        with log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            if _greets(self.host, self.port):
                return True
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not accept connections in 15 s:\n{self.log_tail()}")


def _greets(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(result: tuple[str, Sequence[object]]) -> None:
    status, data = result
    assert status == "OK", f"IMAP command failed: {status} {data!r}"
