"""Scrape reviews (score and full text) from a paged review site with a real browser.

The loop, page by page:
1. open the page (its URL, or the previous page's next link when it has no address); an
   HTTP error page, a navigation timeout or a WebDriver error is retried with a doubling
   wait, ``retries`` times; a browser that died is restarted (when the scraper started it);
2. click the cookie-consent button if the layout has one and it is shown; wait for the
   reviews;
3. expand every truncated review: click *all* more-links (through JavaScript, so no overlay
   intercepts the click), wait *once* for all of them, re-scan until no more-link has
   appeared for ``settle`` seconds;
4. read each review (one JavaScript call per page): id, score (``bubble_50`` -> 50), full
   text, date, title, user; a review without a rating or a text is skipped with a warning; a
   text that still ends in the site's ellipsis or keeps a more-link is ``truncated=True``;
5. drop reviews seen before (by ``review_id``); save every row so far atomically;
6. follow the next-page link until there is none, it is disabled, it leads to a page
   already visited, a page holds only reviews seen before, or ``max_pages`` is reached.

A page that still fails ends the run with a `ScrapeError` (the rows read are saved and
attached as ``err.partial``; ``resume=True`` continues from that page).
"""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..io_utils import atomic_write
from .browser import close_browser, first_line, start_browser
from .selectors import SiteSelectors, as_selectors

COLUMNS = ["review_id", "score", "text", "date", "title", "user", "page", "url", "truncated"]
_RESUME_NEEDS = ["score", "text", "page", "url", "truncated"]  # the columns of older files
_TEXT_COLUMNS = ["review_id", "text", "date", "title", "user", "url"]


class ScrapeWarning(UserWarning):
    """Something the user must know about a run that still went on (retries, loops, ...)."""


class TruncatedReviewWarning(ScrapeWarning):
    """A review's text is still cut after expanding; its row has ``truncated=True``."""


class MissingRatingWarning(ScrapeWarning):
    """A review had no rating element or no score in its class; it was skipped."""


class MissingTextWarning(ScrapeWarning):
    """The ``text`` selector matched nothing (or an empty element) in a review; it was
    skipped."""


class ScrapeError(RuntimeError):
    """The run stopped on an error. The rows read before it are saved (``output=``) and in
    ``partial`` (a DataFrame, or None); ``resume=True`` continues from the failed page."""

    def __init__(self, message: str, partial=None):
        super().__init__(message)
        self.partial = partial


class UnencodableTextError(ValueError):
    """A scraped text holds a character the output encoding cannot represent. Raised before
    the page is written; names the character and where it is."""


class _PageError(Exception):
    """A page failed in a way worth retrying (HTTP error, timeout, WebDriver error)."""


class _Stopped(Exception):
    """Another thread asked this job to stop (scrape_many after an interruption)."""


@dataclass
class _Settings:
    selectors: SiteSelectors
    timeout: float
    delay: float
    settle: float
    retries: int
    retry_wait: float
    max_pages: int | None
    progress: Callable[[int, int, int, str], None] | None = None
    stop: threading.Event | None = None
    label: str = ""           # "name: " before each message (scrape_many)

    def sleep(self, seconds: float) -> None:
        if self.stop is None:
            time.sleep(seconds)
        elif self.stop.wait(seconds):
            raise _Stopped


class _Browser:
    """The WebDriver a job uses: the caller's (used as is, never restarted) or one it
    starts on first use, restarts when it died and closes at the end."""

    def __init__(self, given=None, **start_kwargs):
        self.given, self.start_kwargs, self.driver = given, start_kwargs, given
        if given is not None:  # the run's timeout bounds its page loads too
            given.set_page_load_timeout(start_kwargs["timeout"])

    def get(self):
        if self.driver is None:
            self.driver = start_browser(**self.start_kwargs)
        return self.driver

    def restart(self) -> bool:
        if self.given is not None:
            return False
        self.close()
        return True

    def close(self) -> None:
        if self.given is None and self.driver is not None:
            driver, self.driver = self.driver, None
            close_browser(driver)


# --- checks ---------------------------------------------------------------------------------

def _is_seconds(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _check_args(url, max_pages, timeout, delay, settle, retries, retry_wait, encoding, errors,
                resume, output, remote, browser):
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "file://")):
        raise ValueError(f"url={url!r}; accepted: an http(s):// or file:// address")
    if max_pages is not None and (not isinstance(max_pages, int) or isinstance(max_pages, bool)
                                  or max_pages < 1):
        raise ValueError(f"max_pages={max_pages!r}; accepted: a positive int or None")
    if not _is_seconds(timeout) or timeout <= 0:
        raise ValueError(f"timeout={timeout!r}; accepted: a number > 0 (seconds)")
    for name, value in (("delay", delay), ("settle", settle), ("retry_wait", retry_wait)):
        if not _is_seconds(value) or value < 0:
            raise ValueError(f"{name}={value!r}; accepted: a number >= 0 (seconds)")
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ValueError(f"retries={retries!r}; accepted: an int >= 0")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as err:
        raise ValueError(f"encoding={encoding!r} is not a known text encoding") from err
    try:
        codecs.lookup_error(errors)
    except (LookupError, TypeError) as err:
        raise ValueError(f"errors={errors!r}; accepted: 'strict', 'replace', "
                         "'backslashreplace', 'xmlcharrefreplace', 'ignore'") from err
    if resume and output is None:
        raise ValueError("resume=True needs output= (the CSV file to continue)")
    if remote is not None and (not isinstance(remote, str)
                               or not remote.startswith(("http://", "https://"))):
        raise ValueError(f"remote={remote!r}; accepted: the http(s):// address of a WebDriver "
                         "endpoint (a Selenium Grid hub or chromedriver --port)")
    if remote is not None and browser is not None:
        raise ValueError("give browser= or remote=, not both")


def _check_encodable(rows: list[dict], encoding: str, output) -> None:
    for row in rows:
        for column in ("text", "title", "user", "date", "review_id"):
            value = row[column]
            try:
                value.encode(encoding)
            except UnicodeEncodeError as err:
                char = value[err.start]
                raise UnencodableTextError(
                    f"encoding={encoding!r} cannot represent {char!r} (U+{ord(char):04X}) at "
                    f"character {err.start} of the {column} of review {row['review_id']!r} "
                    f"(page {row['page']}, {row['url']}); nothing of that page was written to "
                    f"{output}. Use encoding='utf-8' (or 'utf-8-sig' for Excel), or "
                    "errors='replace' to write '?' instead") from None


# --- files ------------------------------------------------------------------------------------

def file_encoding(path: str | os.PathLike, encoding: str) -> str:
    """The encoding to keep when continuing ``path``: its byte-order mark decides (UTF-8 BOM ->
    utf-8-sig, UTF-16 BOM -> utf-16); without one, ``encoding`` (utf-8-sig becomes utf-8, so
    no BOM is added to a file that had none)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding


def read_rows(output: Path, encoding: str, extra: tuple[str, ...] = ()) -> list[dict]:
    """The rows of a CSV this scraper wrote (older files without the newer columns too)."""
    import pandas as pd

    existing = pd.read_csv(output, encoding=encoding, keep_default_na=False,
                           dtype={c: str for c in (*_TEXT_COLUMNS, *extra)})
    missing = set(_RESUME_NEEDS + list(extra)) - set(existing.columns)
    if missing:
        raise ValueError(f"output={str(output)!r} is not a review CSV of this scraper (it lacks "
                         f"{sorted(missing)}); choose another file or resume=False")
    for column in COLUMNS:
        if column not in existing.columns:
            existing[column] = ""
    rows = existing[COLUMNS + list(extra)].to_dict("records")
    for row in rows:
        row["truncated"] = str(row["truncated"]) == "True"
        if not row["review_id"]:
            row["review_id"] = _content_id(row)
    return rows


def write_rows(rows: list[dict], output: Path, encoding: str, errors: str,
               columns: list[str] = COLUMNS) -> None:
    """Write ``rows`` as a CSV, atomically: the file on disk is always complete."""
    import pandas as pd

    with atomic_write(output, "w", encoding=encoding, errors=errors, newline="") as f:
        pd.DataFrame(rows, columns=columns).to_csv(f, index=False)


def frame(rows: list[dict], stats: dict, columns: list[str] = COLUMNS):
    import pandas as pd

    df = pd.DataFrame(rows, columns=columns)
    df["score"] = df["score"].astype(int)
    df["page"] = df["page"].astype(int)
    df["truncated"] = df["truncated"].astype(bool)
    df.attrs.update(stats)
    return df


# --- one page in the browser --------------------------------------------------------------

_VISIBLE_JS = """
const visible = e => !!e && e.isConnected && e.getClientRects().length > 0
  && getComputedStyle(e).visibility !== 'hidden';
"""

_STATUS_JS = """
const e = performance.getEntriesByType('navigation')[0];
return e && e.responseStatus ? e.responseStatus : 0;
"""

# Clicks every displayed more-link (through JavaScript: an overlay cannot intercept it) and
# marks it with the round that clicked it; returns how many it clicked.
_CLICK_MORE_JS = _VISIBLE_JS + """
const [review, more, round, attempts] = arguments;
let clicked = 0;
for (const r of document.querySelectorAll(review)) {
  for (const m of r.querySelectorAll(more)) {
    const tries = Number(m.dataset.numrnnTries || 0);
    if (visible(m) && tries < attempts) {
      m.dataset.numrnnTries = tries + 1; m.dataset.numrnnRound = round;
      m.click(); clicked += 1;
    }
  }
}
return clicked;
"""

_ROUND_DONE_JS = _VISIBLE_JS + """
const round = String(arguments[0]);
return Array.from(document.querySelectorAll('[data-numrnn-round]'))
  .filter(m => m.dataset.numrnnRound === round && visible(m)).length === 0;
"""

_READ_JS = _VISIBLE_JS + """
const s = arguments[0];
const first = (root, css) => css ? root.querySelector(css) : null;
const text = e => e ? e.innerText.trim() : '';
return Array.from(document.querySelectorAll(s.review)).map(r => {
  const body = first(r, s.text), rating = first(r, s.rating);
  const links = s.more ? Array.from(r.querySelectorAll(s.more)) : [];
  return {id: s.id_attribute ? (r.getAttribute(s.id_attribute) || '') : '',
          rating: rating ? (rating.getAttribute('class') || '') : null,
          text: body ? body.innerText : null, more: links.filter(visible).length,
          more_label: links.length ? links[0].textContent.trim() : '',
          date: text(first(r, s.date)), title: text(first(r, s.title)),
          user: text(first(r, s.user))};
});
"""

_NEXT_JS = _VISIBLE_JS + """
const css = arguments[0];
const links = Array.from(document.querySelectorAll(css)).filter(visible);
if (!links.length) return null;
const a = links[0];
const disabled = a.disabled === true || a.hasAttribute('disabled')
  || a.getAttribute('aria-disabled') === 'true' || a.classList.contains('disabled');
return {element: a, href: a.href || '', disabled: disabled};
"""

_COUNT_JS = """
const [s, inside] = arguments;
const reviews = Array.from(document.querySelectorAll(s.review || 'numrnn-none'));
const out = {};
for (const [k, css] of Object.entries(s)) {
  if (!css || k === 'rating_prefix' || k === 'ellipsis' || k === 'id_attribute') continue;
  try {
    const n = document.querySelectorAll(css).length;
    out[k] = inside.includes(k) ? [n, reviews.filter(r => r.querySelector(css)).length] : [n];
  } catch (e) { out[k] = 'invalid CSS selector'; }
}
const t = reviews.length && s.text ? reviews[0].querySelector(s.text) : null;
return {counts: out, sample: t ? t.innerText.trim() : ''};
"""
_INSIDE = ["rating", "text", "more", "date", "title", "user"]


def selector_report(driver, selectors: SiteSelectors) -> dict:
    """``{'counts': {name: [in page, in reviews]}, 'sample': first text}`` on the open page."""
    return driver.execute_script(_COUNT_JS, selectors.to_dict(), _INSIDE)


def format_counts(report: dict, selectors: SiteSelectors) -> str:
    parts = []
    for name, css in selectors.to_dict().items():
        if name not in report["counts"]:
            continue
        counted = report["counts"][name]
        if isinstance(counted, str):
            parts.append(f"{name} {css!r}: {counted}")
        elif len(counted) == 2:
            parts.append(f"{name} {css!r}: {counted[0]} in the page, in {counted[1]} reviews")
        else:
            parts.append(f"{name} {css!r}: {counted[0]}")
    return "; ".join(parts)


def _load(driver, url: str, timeout: float) -> None:
    from selenium.common.exceptions import TimeoutException

    try:
        driver.get(url)
    except TimeoutException:
        raise _PageError(f"{url} did not load within {timeout:g}s") from None
    status = driver.execute_script(_STATUS_JS)
    if status >= 400:
        raise _PageError(f"{url} answered HTTP {status}")


def _consent(driver, s: _Settings) -> None:
    """Click the cookie-consent button if one is shown (sites that remember the answer show
    it once; the others on every page)."""
    if not s.selectors.consent:
        return
    found = driver.execute_script(_NEXT_JS, s.selectors.consent)
    if found:
        driver.execute_script("arguments[0].click();", found["element"])


def _wait_for_reviews(driver, s: _Settings, page: int) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, s.timeout, poll_frequency=0.1).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, s.selectors.review)))
    except TimeoutException:
        counts = format_counts(selector_report(driver, s.selectors), s.selectors)
        message = (f"page {page}: no element matches review={s.selectors.review!r} after "
                   f"{s.timeout:g}s on {driver.current_url}; the selectors match: {counts}")
        if page == 1:  # the layout, not a passing fault: no retry
            raise ScrapeError(message + ". Check them with: python -m numrnn.scraper "
                              "--check-selectors URL [--selectors ...]") from None
        raise _PageError(message) from None


def _expand_all(driver, s: _Settings, attempts: int = 3, max_rounds: int = 30) -> None:
    """Click every displayed more-link at once, wait once until all are gone; repeat until
    none has appeared for ``settle`` seconds (links added late by JavaScript are caught too).
    A link still shown after ``timeout`` is clicked again, up to ``attempts`` times."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    if not s.selectors.more:
        return
    quiet_since = time.monotonic()
    for round_ in range(1, max_rounds + 1):
        clicked = driver.execute_script(_CLICK_MORE_JS, s.selectors.review, s.selectors.more,
                                        round_, attempts)
        if not clicked:
            if time.monotonic() - quiet_since >= s.settle:
                return
            s.sleep(min(0.1, s.settle))
            continue
        try:
            WebDriverWait(driver, s.timeout, poll_frequency=0.05).until(
                lambda d, r=round_: d.execute_script(_ROUND_DONE_JS, r))
        except TimeoutException:
            pass  # the links still shown are clicked again in the next round
        quiet_since = time.monotonic()


def _content_id(row: dict) -> str:
    key = "\x1f".join(str(row[c]) for c in ("score", "text", "user", "date"))
    return "sha1:" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _read_page(driver, s: _Settings, page: int) -> tuple[list[dict], dict]:
    sel = s.selectors
    url = driver.current_url
    rows, counts = [], {"skipped_without_rating": 0, "skipped_without_text": 0, "truncated": 0}
    for k, found in enumerate(driver.execute_script(_READ_JS, sel.to_dict())):
        where = f"{s.label}page {page}, review {k + 1}"
        score = None
        for cls in (found["rating"] or "").split():
            digits = cls[len(sel.rating_prefix):]
            if cls.startswith(sel.rating_prefix) and digits.isdigit():
                score = int(digits)
                break
        if score is None:
            counts["skipped_without_rating"] += 1
            warnings.warn(f"{where}: no rating ({sel.rating} with a {sel.rating_prefix}NN "
                          "class); skipped", MissingRatingWarning, stacklevel=2)
            continue
        text = (found["text"] or "").strip()
        label = found["more_label"]
        if label and text.endswith(label):  # the link sits inside the text element
            text = text[: -len(label)].rstrip()
        if not text:
            counts["skipped_without_text"] += 1
            what = "matched nothing" if found["text"] is None else "matched an empty element"
            warnings.warn(f"{where}: text={sel.text!r} {what} inside the review; skipped",
                          MissingTextWarning, stacklevel=2)
            continue
        truncated = bool(found["more"]) or bool(sel.ellipsis and text.endswith(sel.ellipsis))
        if truncated:
            counts["truncated"] += 1
            why = "its more-link is still there" if found["more"] else \
                f"it still ends in {sel.ellipsis!r}"
            warnings.warn(f"{where}: the text is cut ({why}); kept with truncated=True",
                          TruncatedReviewWarning, stacklevel=2)
        row = {"review_id": found["id"], "score": score, "text": text, "date": found["date"],
               "title": found["title"], "user": found["user"], "page": page, "url": url,
               "truncated": truncated}
        row["review_id"] = row["review_id"] or _content_id(row)
        rows.append(row)
    return rows, counts


def _next_link(driver, s: _Settings):
    """("url", address), ("click", this page's url) for a link without an address, or None."""
    if not s.selectors.next_page:
        return None
    found = driver.execute_script(_NEXT_JS, s.selectors.next_page)
    if not found or found["disabled"]:
        return None
    href = found["href"]
    if href.startswith(("http://", "https://", "file://")):
        return ("url", href.split("#")[0])
    return ("click", driver.current_url)


def _click_next(driver, s: _Settings, from_url: str) -> None:
    """Click a next link without an address and wait for a new page or new reviews."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    found = driver.execute_script(_NEXT_JS, s.selectors.next_page)
    if not found or found["disabled"]:
        raise _PageError(f"the next link of {from_url} is gone")
    driver.execute_script(
        "window.__numrnnOld = true; const r = document.querySelector(arguments[0]);"
        "if (r) r.dataset.numrnnOld = '1'; arguments[1].click();",
        s.selectors.review, found["element"])
    try:
        WebDriverWait(driver, s.timeout, poll_frequency=0.1).until(lambda d: d.execute_script(
            "return !window.__numrnnOld || !document.querySelector('[data-numrnn-old]');"))
    except TimeoutException:
        label = found["href"] or "a link without an address"
        raise _PageError(f"the next link of {from_url} ({label}) did not open a new page "
                         f"within {s.timeout:g}s") from None
    status = driver.execute_script(_STATUS_JS)
    if status >= 400:
        raise _PageError(f"{driver.current_url} answered HTTP {status}")


def _open(driver, target, s: _Settings, page: int) -> bool:
    """Open the page ``target`` names; False when resuming found no page after the last."""
    kind, url = target
    _load(driver, url, s.timeout)
    if kind in ("click", "after"):
        _consent(driver, s)
        _wait_for_reviews(driver, s, max(page - 1, 1))
        if kind == "after":
            nxt = _next_link(driver, s)
            if nxt is None:
                return False
            if nxt[0] == "url":
                _load(driver, nxt[1], s.timeout)
            else:
                _click_next(driver, s, url)
        else:
            _click_next(driver, s, url)
    _consent(driver, s)
    _wait_for_reviews(driver, s, page)
    return True


def _browser_died(err: BaseException) -> bool:
    import urllib3.exceptions
    from selenium.common.exceptions import InvalidSessionIdException, NoSuchWindowException

    if isinstance(err, (InvalidSessionIdException, NoSuchWindowException,
                        urllib3.exceptions.HTTPError)):
        return True  # urllib3: chromedriver itself does not answer any more
    text = str(err).lower()
    return any(t in text for t in ("disconnected", "session deleted", "not reachable",
                                   "target crashed", "no such session"))


# --- one site -------------------------------------------------------------------------------

def scrape_site(browser: _Browser, url: str, s: _Settings, rows: list[dict],
                save: Callable[[list[dict]], None] | None) -> dict:
    """Scrape ``url`` and the pages after it into ``rows`` (which may hold a resumed run's
    rows); ``save(rows)`` after every page. Returns the run's counts."""
    import urllib3.exceptions
    from selenium.common.exceptions import WebDriverException

    stats = {"pages": 0, "skipped_without_rating": 0, "skipped_without_text": 0,
             "truncated": 0, "duplicates": 0, "retries": 0, "stopped_by": "last page"}
    seen = {r["review_id"] for r in rows}
    visited = {r["url"] for r in rows}
    if rows:  # resuming: the saved last page is done; continue after it
        page = max(r["page"] for r in rows) + 1
        target = ("after", [r["url"] for r in rows if r["page"] == page - 1][-1])
    else:
        page, target = 1, ("url", url)
    while True:
        for attempt in range(s.retries + 1):
            if s.stop is not None and s.stop.is_set():
                raise _Stopped
            try:
                driver = browser.get()
                if not _open(driver, target, s, page):
                    return stats
                if target[0] != "url" and driver.current_url in visited \
                        and driver.current_url != target[1]:
                    warnings.warn(f"{s.label}page {page}: the next link led back to "
                                  f"{driver.current_url}, read before; stopping",
                                  ScrapeWarning, stacklevel=2)
                    stats["stopped_by"] = "loop"
                    return stats
                _expand_all(driver, s)
                new_rows, counts = _read_page(driver, s, page)
                nxt = _next_link(driver, s)
                break
            except (_PageError, WebDriverException, urllib3.exceptions.HTTPError) as err:
                died = not isinstance(err, _PageError) and _browser_died(err)
                reason = "the browser died" if died else first_line(err)
                if died and not browser.restart():
                    raise ScrapeError(f"{s.label}page {page}: the browser given to the scraper "
                                      f"stopped working ({first_line(err)})") from None
                if attempt == s.retries:
                    raise ScrapeError(f"{s.label}page {page} failed after {attempt + 1} "
                                      f"attempt(s): {reason}") from None
                wait = s.retry_wait * 2 ** attempt
                stats["retries"] += 1
                warnings.warn(f"{s.label}page {page}: {reason}; retry {attempt + 1} of "
                              f"{s.retries} in {wait:g}s", ScrapeWarning, stacklevel=2)
                s.sleep(wait)
        fresh = [r for r in new_rows if r["review_id"] not in seen]
        stats["duplicates"] += len(new_rows) - len(fresh)
        if new_rows and not fresh:
            warnings.warn(f"{s.label}page {page} ({driver.current_url}): every review was read "
                          "before (the pages loop?); stopping", ScrapeWarning, stacklevel=2)
            stats["stopped_by"] = "loop"
            return stats
        if page == 1 and not rows and not new_rows:
            counts_text = format_counts(selector_report(driver, s.selectors), s.selectors)
            raise ScrapeError(f"{s.label}page 1: no review could be read from "
                              f"{driver.current_url}; the selectors match: {counts_text}")
        if save is not None:
            save(rows + fresh)  # may raise UnencodableTextError: nothing of this page written
        rows += fresh
        seen.update(r["review_id"] for r in fresh)
        visited.add(driver.current_url)
        stats["pages"] += 1
        for key, value in counts.items():
            stats[key] += value
        if s.progress is not None:
            s.progress(page, len(fresh), len(rows), driver.current_url)
        if s.max_pages is not None and stats["pages"] >= s.max_pages:
            stats["stopped_by"] = "max_pages"
            return stats
        if nxt is None:
            return stats
        if nxt[0] == "url" and nxt[1] in visited:
            warnings.warn(f"{s.label}page {page}: the next link leads to {nxt[1]}, read "
                          "before; stopping", ScrapeWarning, stacklevel=2)
            stats["stopped_by"] = "loop"
            return stats
        target, page = nxt, page + 1
        if s.delay:
            s.sleep(s.delay)


def scrape_reviews(url: str, max_pages: int | None = None, *,
                   selectors: SiteSelectors | dict | str | os.PathLike | None = None,
                   headless: bool = True, browser=None, remote: str | None = None,
                   timeout: float = 10.0, delay: float = 0.0, settle: float = 1.0,
                   retries: int = 3, retry_wait: float = 1.0,
                   output: str | os.PathLike | None = None, encoding: str = "utf-8",
                   errors: str = "strict", resume: bool = False, chromium: str | None = None,
                   chromedriver: str | None = None,
                   progress: Callable[[int, int, int, str], None] | None = None):
    """Scrape every review of ``url`` and the pages after it; return a pandas DataFrame.

    Columns (`COLUMNS`): ``review_id`` (the site's id attribute; ``sha1:...`` of the
    content when the site has none), ``score`` (int, the site's scale: 10-50 on
    TripAdvisor), ``text`` (the full, expanded text), ``date``, ``title``, ``user`` (''
    when the layout has no such selector), ``page`` (1-based), ``url`` (of the page),
    ``truncated`` (True when the text is still cut: a TruncatedReviewWarning says so too).
    ``df.attrs``: ``pages`` read, ``skipped_without_rating``, ``skipped_without_text``,
    ``truncated``, ``duplicates`` dropped, ``retries`` made, ``stopped_by`` ('last page',
    'max_pages' or 'loop').

    selectors:  a `SiteSelectors`, a dict of its fields, a preset name ('tripadvisor-2018',
                the default; 'tripadvisor-2020s') or the path of a JSON file.
    timeout:    bounds every page load and every wait (seconds).
    settle:     after expanding, keep looking for more-links added late for this long.
    retries:    a failing page (HTTP error, timeout, WebDriver error, dead browser) is tried
                again this many times, waiting ``retry_wait`` seconds, doubled each time.
    output:     CSV file rewritten (atomically) after every page, so an interruption keeps
                every finished page; ``encoding='utf-8-sig'`` suits Excel; a character the
                encoding cannot represent raises UnencodableTextError before the page is
                written, unless ``errors='replace'`` (or another codec error handler).
    resume:     continue a stopped run: keep ``output``'s rows (in the file's own encoding,
                see `file_encoding`) and start after its last page.
    browser:    a Selenium WebDriver to use (left open); ``remote``: the address of a
                WebDriver endpoint (Selenium Grid, ``chromedriver --port``); otherwise a
                local headless Chromium is started (see `start_browser`). Browsers the
                scraper starts are always closed.
    delay:      seconds to wait between pages (be gentle with real sites).
    progress:   called after each page as ``progress(page, rows_on_page, total_rows, url)``.

    Raises `ScrapeError` when a page still fails after its retries or the first page has
    no review (the message shows what each selector matched); the rows read are saved and
    in ``err.partial``.
    """
    _check_args(url, max_pages, timeout, delay, settle, retries, retry_wait, encoding, errors,
                resume, output, remote, browser)
    selectors = as_selectors(selectors)
    try:
        import pandas  # noqa: F401
    except ImportError as err:
        raise ImportError("numrnn.scraper needs pandas: pip install 'numrnn[scrape]'") from err
    output = Path(output) if output is not None else None
    rows: list[dict] = []
    if resume and output.exists():
        encoding = file_encoding(output, encoding)
        rows = read_rows(output, encoding)
    settings = _Settings(selectors, timeout, delay, settle, retries, retry_wait, max_pages,
                         progress)

    def save(all_rows):
        if errors == "strict":  # fail before writing, naming the character
            _check_encodable(all_rows[len(rows):], encoding, output)
        write_rows(all_rows, output, encoding, errors)

    job = _Browser(browser, headless=headless, chromium=chromium, chromedriver=chromedriver,
                   remote=remote, timeout=timeout)
    stats = None
    try:
        stats = scrape_site(job, url, settings, rows, save if output is not None else None)
    except ScrapeError as err:
        err.partial = frame(rows, {})
        raise
    finally:
        job.close()
    return frame(rows, stats)


def check_selectors(url: str, selectors=None, *, headless: bool = True, browser=None,
                    remote: str | None = None, timeout: float = 10.0, settle: float = 0.5,
                    chromium: str | None = None, chromedriver: str | None = None) -> dict:
    """Open ``url`` (no scraping, no clicks) and report, after the page settled, how many
    elements each selector matches: ``{'counts': {name: [in the page, in how many reviews]},
    'sample': the first review's text, 'url': ...}``."""
    _check_args(url, None, timeout, 0, settle, 0, 0, "utf-8", "strict", False, None, remote,
                browser)
    selectors = as_selectors(selectors)
    job = _Browser(browser, headless=headless, chromium=chromium, chromedriver=chromedriver,
                   remote=remote, timeout=timeout)
    try:
        driver = job.get()
        _load(driver, url, timeout)
        time.sleep(settle)
        report = selector_report(driver, selectors)
        report["url"] = driver.current_url
        return report
    finally:
        job.close()
