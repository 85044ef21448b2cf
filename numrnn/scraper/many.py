"""Many restaurants at once: one browser per worker thread, on this machine or through a
WebDriver endpoint (a Selenium Grid spreads the browsers over many machines).

Each worker takes the next restaurant from a shared queue and scrapes all its pages with
its own browser (reused for the worker's next restaurant). A restaurant that fails does not
stop the others; the failures are reported together at the end.
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from .scrape import (
    COLUMNS,
    ScrapeError,
    UnencodableTextError,
    _Browser,
    _check_args,
    _check_encodable,
    _Settings,
    _Stopped,
    file_encoding,
    frame,
    read_rows,
    scrape_site,
    write_rows,
)
from .selectors import as_selectors

MANY_COLUMNS = ["restaurant", *COLUMNS]


def name_from_url(url: str) -> str:
    """A file-safe name for a restaurant from its URL's path (``/restaurant/3`` ->
    ``restaurant_3``; ``.../Restaurant_Review-g1-d2-Reviews-X.html`` -> its last part)."""
    path = urlparse(url).path
    parts = [p for p in path.split("/") if p]
    name = "_".join(parts[-2:]) if parts else urlparse(url).netloc
    name = re.sub(r"\.html?$", "", name)
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "restaurant"


def read_urls_file(path: str | os.PathLike) -> dict[str, str]:
    """Restaurants from a text file: one ``URL`` or ``NAME URL`` per line; ``#`` comments and
    blank lines are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    entries = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        *name, url = line.split()
        if not url.startswith(("http://", "https://", "file://")):
            raise ValueError(f"{path}, line {number}: {url!r} is not an http(s):// address; "
                             "accepted: 'URL' or 'NAME URL' per line")
        entries.append((" ".join(name) or None, url))
    if not entries:
        raise ValueError(f"{path}: no URL in the file")
    return _named(entries)


def _named(entries: list[tuple[str | None, str]]) -> dict[str, str]:
    named: dict[str, str] = {}
    for name, url in entries:
        base = name or name_from_url(url)
        key, k = base, 2
        while key in named:
            key, k = f"{base}-{k}", k + 1
        named[key] = url
    return named


def scrape_many(urls, workers: int = 2, *, output: str | os.PathLike | None = None,
                output_dir: str | os.PathLike | None = None, resume: bool = False,
                encoding: str = "utf-8", errors: str = "strict", selectors=None,
                remote: str | None = None, headless: bool = True, timeout: float = 10.0,
                delay: float = 0.0, settle: float = 1.0, retries: int = 3,
                retry_wait: float = 1.0, max_pages: int | None = None,
                chromium: str | None = None, chromedriver: str | None = None,
                progress: Callable[[str, int, int, int, str], None] | None = None):
    """Scrape several restaurants in ``workers`` parallel browsers; return one DataFrame with
    a ``restaurant`` column first.

    urls:       a list of first-page URLs (names made by `name_from_url`) or a dict
                ``{name: url}``.
    output:     one combined CSV (``restaurant`` column + `COLUMNS`), rewritten atomically
                after every page of any restaurant; or
    output_dir: one CSV per restaurant, ``<output_dir>/<name>.csv``.
    resume:     continue each restaurant after its last saved page (from either layout).
    remote:     a WebDriver endpoint (Selenium Grid hub, ``chromedriver --port``) for every
                browser; each worker opens its own session there.
    progress:   ``progress(name, page, rows_on_page, total_rows_of_the_restaurant, url)``.

    Other arguments as in `scrape_reviews`. ``df.attrs['restaurants']`` holds each one's
    counts. Raises `ScrapeError` (``partial``: the DataFrame, ``failures``: ``{name:
    message}``) when any restaurant failed; the others are complete.
    """
    if isinstance(urls, dict):
        named = dict(urls)
    elif isinstance(urls, (list, tuple)):
        named = _named([(None, u) for u in urls])
    else:
        raise TypeError(f"urls has type {type(urls).__name__}; accepted: a list of URLs or a "
                        "dict {name: url}")
    if not named:
        raise ValueError("urls is empty")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers={workers!r}; accepted: an int >= 1")
    if output is not None and output_dir is not None:
        raise ValueError("give output= (one combined CSV) or output_dir= (one CSV per "
                         "restaurant), not both")
    for url in named.values():
        _check_args(url, max_pages, timeout, delay, settle, retries, retry_wait, encoding,
                    errors, False, None, remote, None)
    if resume and output is None and output_dir is None:
        raise ValueError("resume=True needs output= or output_dir=")
    selectors = as_selectors(selectors)
    output = Path(output) if output is not None else None
    output_dir = Path(output_dir) if output_dir is not None else None

    rows = {name: [] for name in named}
    files: dict[str, tuple[Path, str]] = {}
    if output_dir is not None:
        for name in named:
            path = output_dir / (re.sub(r"[^\w.-]+", "_", name) + ".csv")
            enc = file_encoding(path, encoding) if resume and path.exists() else encoding
            files[name] = (path, enc)
            if resume and path.exists():
                rows[name] = read_rows(path, enc)
    combined_encoding = encoding
    if output is not None and resume and output.exists():
        combined_encoding = file_encoding(output, encoding)
        for row in read_rows(output, combined_encoding, extra=("restaurant",)):
            rows.setdefault(row.pop("restaurant"), []).append(row)
    lock = threading.Lock()

    def saver(name: str):
        def save(all_rows: list[dict]) -> None:
            enc = files[name][1] if output_dir is not None else combined_encoding
            target = files[name][0] if output_dir is not None else output
            if errors == "strict":
                _check_encodable(all_rows[len(rows[name]):], enc, target)
            if output_dir is not None:
                write_rows(all_rows, target, enc, errors)
                return
            with lock:
                merged = [{"restaurant": n, **r} for n in rows
                          for r in (all_rows if n == name else rows[n])]
                write_rows(merged, output, enc, errors, MANY_COLUMNS)
        return save

    todo: queue.Queue = queue.Queue()
    for name in named:
        todo.put(name)
    stop = threading.Event()
    stats: dict[str, dict] = {}
    failures: dict[str, str] = {}

    def work() -> None:
        browser = _Browser(None, headless=headless, chromium=chromium,
                           chromedriver=chromedriver, remote=remote, timeout=timeout)
        try:
            while not stop.is_set():
                try:
                    name = todo.get_nowait()
                except queue.Empty:
                    return
                report = None if progress is None else \
                    (lambda *a, n=name: progress(n, *a))
                settings = _Settings(selectors, timeout, delay, settle, retries, retry_wait,
                                     max_pages, report, stop, label=f"{name}: ")
                save = saver(name) if (output or output_dir) else None
                try:
                    stats[name] = scrape_site(browser, named[name], settings, rows[name], save)
                except _Stopped:
                    return
                except (ScrapeError, UnencodableTextError, OSError, RuntimeError) as err:
                    failures[name] = str(err)
        finally:
            browser.close()

    threads = [threading.Thread(target=work, name=f"numrnn-scraper-{k}")
               for k in range(min(workers, len(named)))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except BaseException:
        stop.set()  # workers finish their current step, close their browsers and return
        for t in threads:
            t.join(2 * timeout + 60)
        raise
    all_rows = [{"restaurant": n, **r} for n in rows for r in rows[n]]
    df = frame(all_rows, {}, MANY_COLUMNS)
    df.attrs["restaurants"] = stats
    if failures:
        err = ScrapeError(f"{len(failures)} of {len(named)} restaurant(s) failed: "
                          + "; ".join(failures.values()), partial=df)
        err.failures = failures
        raise err
    return df
