"""Scrape reviews (score and full text) from a paged review site with a real browser.

The loop, page by page:
1. wait for the review containers;
2. expand every truncated review: scroll its more-link into view, click it (through
   JavaScript if something covers it), wait until the link is gone; retry if the page
   re-rendered it (stale element);
3. read each review's score (from the rating element's class, ``bubble_50`` -> 50) and
   full text; a review without a rating is skipped with a warning and counted;
4. save the rows read so far (atomically, so an interruption keeps every finished page);
5. follow the next-page link until there is none or ``max_pages`` is reached.
"""

from __future__ import annotations

import codecs
import math
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from ..io_utils import atomic_write
from .browser import close_browser, start_browser
from .selectors import SiteSelectors

COLUMNS = ["score", "text", "page", "url", "truncated"]


class TruncatedReviewWarning(UserWarning):
    """A review's more-link could not be expanded; its row has ``truncated=True``."""


class MissingRatingWarning(UserWarning):
    """A review had no rating element or no score in its class; it was skipped."""


def _check_args(url, max_pages, timeout, delay, encoding, resume, output, selectors):
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "file://")):
        raise ValueError(f"url={url!r}; accepted: an http(s):// or file:// address")
    if max_pages is not None and (not isinstance(max_pages, int) or isinstance(max_pages, bool)
                                  or max_pages < 1):
        raise ValueError(f"max_pages={max_pages!r}; accepted: a positive int or None")
    def seconds(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) \
            and math.isfinite(value)

    if not seconds(timeout) or timeout <= 0:
        raise ValueError(f"timeout={timeout!r}; accepted: a number > 0 (seconds)")
    if not seconds(delay) or delay < 0:
        raise ValueError(f"delay={delay!r}; accepted: a number >= 0 (seconds)")
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError) as err:
        raise ValueError(f"encoding={encoding!r} is not a known text encoding") from err
    if resume and output is None:
        raise ValueError("resume=True needs output= (the CSV file to continue)")
    if selectors is not None and not isinstance(selectors, SiteSelectors):
        raise TypeError(f"selectors has type {type(selectors).__name__}; accepted: SiteSelectors")


def _read_existing(output: Path, encoding: str):
    import pandas as pd

    existing = pd.read_csv(output, encoding=encoding, keep_default_na=False,
                           dtype={"text": str, "url": str})
    missing = set(COLUMNS) - set(existing.columns)
    if missing:
        raise ValueError(f"output={str(output)!r} is not a review CSV of this scraper (it lacks "
                         f"{sorted(missing)}); choose another file or resume=False")
    return existing


def _save(rows: list[dict], output: Path, encoding: str) -> None:
    import pandas as pd

    with atomic_write(output, "w", encoding=encoding, newline="") as f:
        pd.DataFrame(rows, columns=COLUMNS).to_csv(f, index=False)


def _score(review, selectors: SiteSelectors, by) -> int | None:
    found = review.find_elements(by.CSS_SELECTOR, selectors.rating)
    if not found:
        return None
    for cls in (found[0].get_attribute("class") or "").split():
        if cls.startswith(selectors.rating_prefix):
            digits = cls[len(selectors.rating_prefix):]
            if digits.isdigit():
                return int(digits)
    return None


def _expand_all(driver, selectors: SiteSelectors, timeout: float, attempts: int = 3) -> None:
    """Click every visible more-link until none is left (or each has had ``attempts`` tries)."""
    from selenium.common.exceptions import (
        ElementClickInterceptedException,
        ElementNotInteractableException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    tries: dict[str, int] = {}
    link_selector = f"{selectors.review} {selectors.more}"

    def gone(link) -> bool:
        try:
            return not link.is_displayed()
        except StaleElementReferenceException:  # replaced by the expanded text
            return True

    while True:
        pending = []
        for link in driver.find_elements(By.CSS_SELECTOR, link_selector):
            try:
                if link.is_displayed() and tries.get(link.id, 0) < attempts:
                    pending.append(link)
            except StaleElementReferenceException:
                continue
        if not pending:
            return
        for link in pending:
            tries[link.id] = tries.get(link.id, 0) + 1
            try:
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
                try:
                    link.click()
                except (ElementClickInterceptedException, ElementNotInteractableException):
                    # covered by an overlay or a banner: click it where it is, through JS
                    driver.execute_script("arguments[0].click();", link)
                WebDriverWait(driver, timeout).until(lambda d, link=link: gone(link))
            except StaleElementReferenceException:
                continue  # the page re-rendered; the outer loop finds the links again
            except TimeoutException:
                continue  # retried on the next pass, up to ``attempts`` times


def _read_page(driver, selectors: SiteSelectors, page: int) -> tuple[list[dict], int]:
    from selenium.webdriver.common.by import By

    rows, skipped = [], 0
    url = driver.current_url
    for k, review in enumerate(driver.find_elements(By.CSS_SELECTOR, selectors.review)):
        score = _score(review, selectors, By)
        if score is None:
            skipped += 1
            warnings.warn(f"page {page}, review {k + 1}: no rating ({selectors.rating} with a "
                          f"{selectors.rating_prefix}NN class); skipped", MissingRatingWarning,
                          stacklevel=3)
            continue
        texts = review.find_elements(By.CSS_SELECTOR, selectors.text)
        more = [m for m in review.find_elements(By.CSS_SELECTOR, selectors.more)
                if m.is_displayed()]
        text = texts[0].text.strip() if texts else ""
        if more:
            # the link is part of the text element on TripAdvisor: drop its label
            label = more[0].text.strip()
            if label and text.endswith(label):
                text = text[: -len(label)].rstrip()
            warnings.warn(f"page {page}, review {k + 1}: could not expand the text; kept with "
                          "truncated=True", TruncatedReviewWarning, stacklevel=3)
        rows.append({"score": score, "text": text, "page": page, "url": url,
                     "truncated": bool(more)})
    return rows, skipped


def _next_page(driver, selectors: SiteSelectors, timeout: float) -> bool:
    """Go to the next page; False when there is none."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    links = [a for a in driver.find_elements(By.CSS_SELECTOR, selectors.next_page)
             if a.is_displayed() and "disabled" not in (a.get_attribute("class") or "").split()]
    if not links:
        return False
    href = links[0].get_attribute("href")
    if href and not href.startswith("javascript:"):
        driver.get(href)
        return True
    old = driver.find_elements(By.CSS_SELECTOR, selectors.review)
    driver.execute_script("arguments[0].click();", links[0])
    if old:
        WebDriverWait(driver, timeout).until(ec.staleness_of(old[0]))
    return True


def _wait_for_reviews(driver, selectors: SiteSelectors, timeout: float) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, timeout).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, selectors.review)))
    except TimeoutException:
        warnings.warn(f"{driver.current_url}: no element matches {selectors.review!r} after "
                      f"{timeout}s", UserWarning, stacklevel=3)


def scrape_reviews(url: str, max_pages: int | None = None, *,
                   selectors: SiteSelectors | None = None, headless: bool = True,
                   browser=None, timeout: float = 10.0, delay: float = 0.0,
                   output: str | os.PathLike | None = None, encoding: str = "utf-8",
                   resume: bool = False, chromium: str | None = None,
                   chromedriver: str | None = None,
                   progress: Callable[[int, int, int, str], None] | None = None):
    """Scrape every review of ``url`` and the pages after it; return a pandas DataFrame.

    Columns: ``score`` (int, the site's scale: 10-50 on TripAdvisor), ``text`` (the full,
    expanded text), ``page`` (1-based), ``url`` (of the page), ``truncated`` (True only if
    a more-link could not be expanded; a TruncatedReviewWarning says so too).
    ``df.attrs`` holds ``pages`` read and ``skipped_without_rating``.

    output:    CSV file rewritten (atomically) after every page, so an interruption keeps
               every finished page; ``encoding='utf-8-sig'`` suits Excel.
    resume:    continue an interrupted run: keep ``output``'s rows and start after its
               last page.
    browser:   a Selenium WebDriver to use (left open); otherwise a headless Chromium is
               started (see `start_browser`) and always closed.
    delay:     seconds to wait between pages (be gentle with real sites).
    progress:  called after each page as ``progress(page, rows_on_page, total_rows, url)``.
    """
    _check_args(url, max_pages, timeout, delay, encoding, resume, output, selectors)
    try:
        import pandas as pd
    except ImportError as err:
        raise ImportError("numrnn.scraper needs pandas: pip install 'numrnn[scrape]'") from err
    selectors = selectors or SiteSelectors()
    output = Path(output) if output is not None else None
    rows: list[dict] = []
    page, start_url = 1, url
    if resume and output.exists():
        existing = _read_existing(output, encoding)
        rows = existing[COLUMNS].to_dict("records")
        if rows:
            page = int(existing["page"].max())
            start_url = str(existing.loc[existing["page"] == page, "url"].iloc[-1])
    own_browser = browser is None
    driver = start_browser(headless, chromium, chromedriver) if own_browser else browser
    skipped, pages_read = 0, 0
    try:
        driver.get(start_url)
        if rows:  # resuming: the saved last page is done; move on to the one after it
            _wait_for_reviews(driver, selectors, timeout)
            if not _next_page(driver, selectors, timeout):
                return _frame(pd, rows, pages_read, skipped)
            page += 1
        while True:
            _wait_for_reviews(driver, selectors, timeout)
            _expand_all(driver, selectors, timeout)
            new_rows, n_skipped = _read_page(driver, selectors, page)
            rows += new_rows
            skipped += n_skipped
            pages_read += 1
            if output is not None:
                _save(rows, output, encoding)
            if progress is not None:
                progress(page, len(new_rows), len(rows), driver.current_url)
            if max_pages is not None and pages_read >= max_pages:
                break
            if not _next_page(driver, selectors, timeout):
                break
            page += 1
            if delay:
                time.sleep(delay)
    finally:
        if own_browser:
            close_browser(driver)
    return _frame(pd, rows, pages_read, skipped)


def _frame(pd, rows, pages_read, skipped):
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["score"] = df["score"].astype(int)
    df["page"] = df["page"].astype(int)
    df["truncated"] = df["truncated"].astype(bool)
    df.attrs["pages"] = pages_read
    df.attrs["skipped_without_rating"] = skipped
    return df
