"""Find a dataset file locally, or download it once into the cache (with a checksum check)."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

from ..io_utils import atomic_write

DATA_ENV = "NUMRNN_DATA"


def cache_dir() -> Path:
    """``~/.numrnn/datasets``: where downloaded files are kept."""
    return Path.home() / ".numrnn" / "datasets"


def file_hash(path: str | os.PathLike, algorithm: str = "md5") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def candidate_paths(fname: str, path: str | os.PathLike | None = None) -> list[Path]:
    """Where ``get_file`` looks, in order: ``path``, ``$NUMRNN_DATA/fname``, the cache."""
    places = []
    if path is not None:
        p = Path(path).expanduser()
        places.append(p / fname if p.is_dir() else p)
    env = os.environ.get(DATA_ENV)
    if env:
        places.append(Path(env).expanduser() / fname)
    places.append(cache_dir() / fname)
    return places


def get_file(fname: str, origin: str, file_hash_value: str | None = None,
             path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Return a local copy of ``fname``.

    Looks at ``path`` (a file or a folder), then ``$NUMRNN_DATA``, then
    ``~/.numrnn/datasets``; local files are used as they are. Otherwise the file is
    downloaded from ``origin`` into the cache, checked against ``file_hash_value``
    (md5, or sha256 for a 64-character hash) and renamed into place only if it matches.
    """
    places = candidate_paths(fname, path)
    for p in places:
        if p.is_file():
            return p
    target = cache_dir() / fname
    where = "\n".join(f"  - {p}" for p in places)
    help_text = (f"The file {fname!r} was not found. It was looked for at:\n{where}\n"
                 f"Put the file in one of these places (for example set {DATA_ENV}=/folder/with/"
                 f"the/file), or download it from {origin} into {cache_dir()}.")
    if not download:
        raise FileNotFoundError(help_text)
    algorithm = "sha256" if file_hash_value and len(file_hash_value) == 64 else "md5"
    digest = hashlib.new(algorithm)
    try:
        with urllib.request.urlopen(origin, timeout=30) as resp, atomic_write(target) as out:
            while chunk := resp.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
            if file_hash_value:
                got = digest.hexdigest()
                if got != file_hash_value:
                    raise OSError(f"checksum mismatch: {algorithm} {got}, expected "
                                  f"{file_hash_value}")
    except OSError as err:  # URLError and timeouts are OSErrors
        raise FileNotFoundError(f"{help_text}\nThe download failed: {err}") from err
    return target
