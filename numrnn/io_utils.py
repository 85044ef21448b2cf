"""Atomic file writing: a crash never leaves a half-written file behind.

``atomic_write(path)`` writes to a temporary file beside ``path`` and renames it over
``path`` only when the write has finished, so readers see the old file or the new one,
never a mix. The new file gets the permissions an ordinary ``open(path, 'w')`` would give:
those of the file it replaces, else ``0o666`` minus the user's umask.

Temporary files are named ``.<name>.<pid>.<random>.tmp``. A process killed mid-write
(``kill -9``) leaves its temporary behind; the next save of the same target removes the
temporaries whose writer process no longer exists (and, from older numrnn versions without
a pid in the name, those older than an hour). Temporaries of a live writer are never touched.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_UMASK_LOCK = threading.Lock()
_LEGACY_TMP_AGE = 3600.0  # seconds


def _umask() -> int:
    with _UMASK_LOCK:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete temporaries of ``path`` left by writers that were killed; returns them."""
    path = Path(path)
    pattern = re.compile(r"^\." + re.escape(path.name) + r"\.(?:(\d+)\.)?[^.]+\.tmp$")
    removed = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    now = time.time()
    for tmp in candidates:
        m = pattern.match(tmp.name)
        if not m:
            continue
        pid = m.group(1)
        try:
            stale = (not _pid_alive(int(pid))) if pid else \
                now - tmp.stat().st_mtime > _LEGACY_TMP_AGE
            if stale:
                tmp.unlink()
                removed.append(tmp)
        except (OSError, ValueError):
            continue
    return removed


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator[IO]:
    """Write to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    try:
        permissions = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        permissions = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    try:
        os.fchmod(fd, permissions)  # mkstemp makes 0600; give what open() would
        with os.fdopen(fd, mode, **kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
