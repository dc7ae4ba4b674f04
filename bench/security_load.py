"""Unauthenticated load on a real `aftercare serve`: big bodies, a huge email, racing logins.

Three figures of the security pass, each against the service in a process of its own:

- memory: the server's RSS high-water mark (VmHWM) after a ~900 MB form is posted to the status
  webhook and to /login, with Content-Length and chunked (no length), and what it answered;
- a huge email: an 8 MB patient mail appended to a real Dovecot, while /healthz is asked every
  50 ms; the longest /healthz answer while the mailbox poll handles it;
- 60 racing guesses: 60 wrong passwords at once for one account (each from its own address),
  then the right one: how many were counted, and the answer times for an unknown account, a
  locked one and a wrong password (they should not tell one from the other).

`--src DIR` runs the server from another checkout (e.g. a `git worktree` of the commit before
the fix) with this checkout's bench and fakes, which is how the "before" figures were taken.

.venv/bin/python -m bench.security_load [--quick] [--src DIR] [--only memory,email,login]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from bench._serve_proc import free_port
from tests.fakes.imap_server import DovecotServer

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
STAFF = "nadia@clinic.example"
PASSWORD = "correct horse battery"
PATIENT = "claire.bouchard@example.com"
AUTHSERV = "mx.clinic.example"


def rss_kb(pid: int, field: str = "VmHWM") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@contextmanager
def serve(src: Path, workdir: Path, **extra: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`aftercare serve` from `src`, on a fresh SQLite file, with a clean environment."""
    port = free_port()
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'aftercare.db'}",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        TWILIO_AUTH_TOKEN="bench-token",
        SECRET_KEY="bench-secret",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(src),
        **extra,
    )
    log = workdir / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from scheduler.cli.app import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log.read_text()) from None
                    time.sleep(0.1)
            yield proc, port
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# (path, content type, start, filler, end): what an unauthenticated attacker sends.
ATTACKS = (
    ("/api/treatments", "application/json", b'{"name": "', b"x", b'"}'),
    (
        "/webhooks/twilio/status",
        "application/x-www-form-urlencoded",
        b"",
        b"f=0123456789abcde&",
        b"",
    ),
    ("/login", "application/x-www-form-urlencoded", b"", b"f=0123456789abcde&", b""),
)


def post_big(
    port: int, attack: tuple[str, str, bytes, bytes, bytes], size: int, *, chunked: bool
) -> str:
    """POST about `size` bytes; the status, or how the connection ended."""
    path, content_type, start, filler, end = attack
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    block = filler * (MB // len(filler))
    pieces = max(1, (size - len(start) - len(end)) // len(block))
    total = len(start) + pieces * len(block) + len(end)
    try:
        connection.putrequest("POST", path)
        connection.putheader("Content-Type", content_type)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
        else:
            connection.putheader("Content-Length", str(total))
        connection.endheaders()

        def send(data: bytes) -> None:
            if data:
                connection.send(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)

        send(start)
        for _ in range(pieces):
            send(block)
        send(end)
        if chunked:
            connection.send(b"0\r\n\r\n")
        return str(connection.getresponse().status)
    except (BrokenPipeError, ConnectionResetError) as exc:
        try:
            return f"{connection.getresponse().status} (then closed: {type(exc).__name__})"
        except (OSError, http.client.HTTPException):
            return f"connection closed ({type(exc).__name__})"
    finally:
        connection.close()


def memory(src: Path, size: int) -> None:
    print(f"\nmemory: one {size // MB} MB body, unauthenticated (server RSS high-water mark)")
    for attack in ATTACKS:
        for chunked in (False, True):
            with tempfile.TemporaryDirectory() as tmp, serve(src, Path(tmp)) as (proc, port):
                before = rss_kb(proc.pid, "VmRSS")
                outcome = post_big(port, attack, size, chunked=chunked)
                time.sleep(0.5)
                peak = rss_kb(proc.pid)
            how = "chunked" if chunked else "Content-Length"
            print(
                f"  {attack[0]:24} {attack[1].split('/')[1][:10]:10} {how:14}"
                f" {before / 1024:5.0f} MB -> peak {peak / 1024:6.0f} MB  answer {outcome}"
            )


def huge_email(src: Path, size: int) -> None:
    print(
        f"\nhuge email: a {size // MB} MB patient mail in the polled mailbox; /healthz every 50 ms"
    )
    with DovecotServer() as dovecot, tempfile.TemporaryDirectory() as tmp:
        folder = "bench"
        dovecot.create_folder(folder)
        imap = {k.upper(): str(v) for k, v in dovecot.settings(folder).items()}
        extra = {**imap, "IMAP_POLL_SECONDS": "1", "EMAIL_AUTHSERV_ID": AUTHSERV}
        with serve(src, Path(tmp), **extra) as (_proc, port):
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "from scheduler.cli.app import main; main()",
                    "treatment",
                    "add",
                    "--name",
                    "Claire Bouchard",
                    "--phone",
                    "514-555-0431",
                    "--email",
                    PATIENT,
                    "--channel",
                    "email",
                    "--language",
                    "fr",
                ],
                cwd=tmp,
                env={**os.environ, "PYTHONPATH": str(src), "SECRET_KEY": "bench-secret"}
                | {"DATABASE_URL": f"sqlite:///{Path(tmp) / 'aftercare.db'}"},
                check=True,
                capture_output=True,
            )
            line = "J'ai de la fièvre et du pus sur la joue. " * 2 + "\n"
            body = line * (size // len(line.encode()))
            raw = (
                f"Authentication-Results: {AUTHSERV}; dkim=pass header.d=example.com\r\n"
                f"From: {PATIENT}\r\nTo: clinic@clinic.example\r\nSubject: Re: Jour 1\r\n"
                "Message-ID: <huge@mail.example>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n")
            ).encode()
            worst = 0.0
            latencies: list[float] = []
            dovecot.append(raw, folder=folder)
            started = time.monotonic()
            stored = False
            while time.monotonic() - started < 90:
                t0 = time.perf_counter()
                with suppress(OSError):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60).close()
                latency = time.perf_counter() - t0
                latencies.append(latency)
                worst = max(worst, latency)
                if not stored and len(latencies) % 20 == 0:
                    stored = _reply_stored(Path(tmp) / "aftercare.db")
                    if stored:
                        stored_after = time.monotonic() - started
                        break
                time.sleep(0.05)
            else:
                stored_after = float("nan")
        print(
            f"  reply stored after {stored_after:.1f} s; /healthz worst {worst * 1000:.0f} ms,"
            f" median {statistics.median(latencies) * 1000:.1f} ms over {len(latencies)} probes"
        )


def _reply_stored(database: Path) -> bool:
    with sqlite3.connect(database) as connection:
        return bool(connection.execute("SELECT count(*) FROM inbound_message").fetchone()[0])


def login(src: Path, guesses: int) -> None:
    print(f"\nlogin: {guesses} wrong passwords at once for one account, then the right one")
    with tempfile.TemporaryDirectory() as tmp, serve(src, Path(tmp)) as (_proc, port):
        env = {**os.environ, "PYTHONPATH": str(src), "SECRET_KEY": "bench-secret"}
        env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'aftercare.db'}"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from scheduler.cli.app import main; main()",
                "staff",
                "add",
                STAFF,
                "--password-stdin",
            ],
            input=PASSWORD.encode(),
            cwd=tmp,
            env=env,
            check=True,
            capture_output=True,
        )
        start = threading.Barrier(guesses)
        answers: list[float] = []

        def attempt(
            email: str, password: str, address: str, wait: bool = False
        ) -> tuple[int, float]:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
            page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            form = {"email": email, "password": password, "csrf_token": token, "next": "/"}
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/login",
                data=urllib.parse.urlencode(form).encode(),
                headers={"X-Forwarded-For": address},
            )
            if wait:
                start.wait()
            t0 = time.perf_counter()
            try:
                status = opener.open(request).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            return status, time.perf_counter() - t0

        threads = [
            threading.Thread(
                target=lambda n=n: answers.append(
                    attempt(STAFF, f"wrong {n}", f"203.0.113.{n % 250}", True)[1]
                )
            )
            for n in range(guesses)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with sqlite3.connect(Path(tmp) / "aftercare.db") as connection:
            count = connection.execute("SELECT failed_logins FROM staff_user").fetchone()[0]
        right, _ = attempt(STAFF, PASSWORD, "198.51.100.7")
        print(f"  failed_logins after {guesses} guesses: {count}; right password next: {right}")
        racing = statistics.median(answers) * 1000
        print(f"  answer time of the racing guesses: median {racing:.0f} ms")
        timing = {}
        for label, email, password in (
            ("unknown account", "nobody@clinic.example", "whatever it is"),
            ("locked account", STAFF, "still wrong"),
        ):
            samples = [attempt(email, password, f"192.0.2.{i}")[1] for i in range(7)]
            timing[label] = statistics.median(samples)
        print(
            "  median answer: "
            + ", ".join(f"{label} {seconds * 1000:.0f} ms" for label, seconds in timing.items())
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.security_load")
    parser.add_argument("--quick", action="store_true", help="200 MB forms, a 4 MB mail")
    parser.add_argument("--src", type=Path, default=ROOT, help="the checkout the server runs")
    parser.add_argument("--only", default="memory,email,login")
    args = parser.parse_args(argv)
    src = args.src.resolve()
    only = set(args.only.split(","))
    print(f"server from {src}")
    if "memory" in only:
        memory(src, (200 if args.quick else 900) * MB)
    if "email" in only:
        huge_email(src, (4 if args.quick else 8) * MB)
    if "login" in only:
        login(src, 60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
