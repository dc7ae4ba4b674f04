"""Debian packages the tests need (Dovecot, Chromium): installed when missing and running as root.

Without root they skip and say why; with AFTERCARE_REQUIRE_SERVICES=1 (`.ci/run`) they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REQUIRE_SERVICES = os.environ.get("AFTERCARE_REQUIRE_SERVICES") == "1"
_SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"AFTERCARE_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def binary_from_package(binary: str, package: str) -> str:
    """The path of `binary`; installs `package` with apt-get as root, else skips (fails in CI)."""
    found = shutil.which(binary, path=_SBIN_PATH)
    if found:
        return found
    apt_get = shutil.which("apt-get", path=_SBIN_PATH)
    if os.geteuid() == 0 and apt_get:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt_get, "install", "-y", "-q", package]
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:  # a fresh container may have no package lists yet
            subprocess.run([apt_get, "update", "-qq"], env=env, capture_output=True, timeout=600)
            done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
        found = shutil.which(binary, path=_SBIN_PATH)
        if found:
            return found
        reason = f"installing {package} failed: {done.stderr.strip()[-500:]}"
    else:
        reason = f"{binary} is not installed (apt-get install {package}; .ci/run does it)"
    unavailable(reason)
    raise AssertionError("unreachable")  # unavailable() skips or fails
