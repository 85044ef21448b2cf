"""Helpers of the scraper tests: the demo site (which misbehaves on request, see
numrnn.scraper.demo_site), a server that never answers, free ports, a short TMPDIR, the
command line in a subprocess and a scan for processes a run left behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

MARK = "NUMRNN_TEST_MARK"


def free_port() -> int:
    """A port nothing listens on (ephemeral range: never one of Chromium's unsafe ports)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def silent_server():
    """A server that accepts connections and never answers: yields its http:// address."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    try:
        yield f"http://127.0.0.1:{s.getsockname()[1]}/restaurant?page=1"
    finally:
        s.close()


@contextlib.contextmanager
def short_tmpdir():
    """A fresh, short TMPDIR (a long one makes Chromium's socket path too long)."""
    base = "/tmp" if os.path.isdir("/tmp") else None
    path = Path(tempfile.mkdtemp(prefix="nr", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def tmpdir_env(path: Path):
    """TMPDIR=path for this process (tempfile included) inside the block."""
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(path)
    tempfile.tempdir = None
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = old
        tempfile.tempdir = None


@contextlib.contextmanager
def private_tmpdir():
    """A fresh short TMPDIR for this process inside the block: a test finds exactly the
    Chromium profiles it made."""
    with short_tmpdir() as tmp, tmpdir_env(tmp):
        yield tmp


def marked_processes(mark: str) -> list[int]:
    """Live processes whose environment holds NUMRNN_TEST_MARK=mark."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                zombie = f.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
        except OSError:
            continue
        if needle in env and not zombie:
            found.append(int(entry.name))
    return found


def settle_processes(mark: str, wait: float = 5.0) -> list[int]:
    """The marked processes still alive after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    left = marked_processes(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = marked_processes(mark)
    return left


def kill_marked(mark: str) -> None:
    for pid in marked_processes(mark):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


class Cli:
    """``python -m numrnn.scraper`` in a subprocess (own process group, marked environment,
    short TMPDIR, PYTHONUNBUFFERED unset); everything it leaves is killed at ``close``."""

    def __init__(self, tmpdir: Path):
        self.mark = uuid.uuid4().hex
        self.env = dict(os.environ, TMPDIR=str(tmpdir), **{MARK: self.mark})
        self.env.pop("PYTHONUNBUFFERED", None)
        root = str(Path(__file__).resolve().parents[1])
        self.env["PYTHONPATH"] = os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = self.start(*args)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            err += f"\n[test: killed after {timeout}s]"
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def start(self, *args: str, module: str = "numrnn.scraper") -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", module, *args], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)

    def close(self) -> None:
        kill_marked(self.mark)
