"""``results.jsonl``: one JSON line per finished run, appended atomically, read back to resume.

A line is written with a single ``os.write`` on a file opened with ``O_APPEND``, then
flushed to disk (``fsync``): an interrupted sweep leaves whole lines only. A last line
without its newline (a crash of the machine mid-write) is dropped with a note, so the
file stays one record per line; the run it held is done again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

RECORD_FIELDS = ("config", "seed", "best_val_acc", "test_acc", "epochs", "seconds", "error")


def run_key(config: dict, seed: int) -> str:
    """What identifies a run: its whole configuration and its seed."""
    return json.dumps({"config": config, "seed": seed}, sort_keys=True)


class ResultsLog:
    """The runs of one output folder. ``records`` maps `run_key` -> the newest record."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.records: dict[str, dict] = {}
        self.notes: list[str] = []
        self._fd: int | None = None

    def load(self) -> ResultsLog:
        """Read the file (if any); unreadable lines are skipped and listed in ``notes``."""
        self.records.clear()
        self.notes.clear()
        if not self.path.exists():
            return self
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            self.notes.append(
                f"{self.path}: ignored a truncated last line ({len(data) - cut} bytes, left by an "
                "interrupted write) and removed it; its run will be done again")
            with open(self.path, "r+b") as f:
                f.truncate(cut)
                os.fsync(f.fileno())
            data = data[:cut]
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                key = run_key(record["config"], record["seed"])
            except (ValueError, KeyError, TypeError):
                self.notes.append(f"{self.path}:{number}: ignored a line that is not a run record")
                continue
            self.records[key] = record
        return self

    def append(self, record: dict) -> None:
        """Add ``record`` as one line, durably, and remember it."""
        missing = [f for f in RECORD_FIELDS if f not in record]
        if missing:
            raise ValueError(f"record lacks {missing}; a run record has {', '.join(RECORD_FIELDS)}")
        line = (json.dumps(record, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        written = os.write(self._fd, line)
        if written != len(line):  # a full disk; the next load drops the fragment
            raise OSError(f"{self.path}: only {written} of {len(line)} bytes written")
        os.fsync(self._fd)
        self.records[run_key(record["config"], record["seed"])] = record

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ResultsLog:
        return self

    def __exit__(self, *_) -> None:
        self.close()
