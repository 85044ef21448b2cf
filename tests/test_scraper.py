"""numrnn.scraper against a local imitation of the 2018 TripAdvisor markup, in real Chromium."""

import glob
import json
import os
import subprocess
import sys
import tempfile
import warnings

import pandas as pd
import pytest

from numrnn.scraper import (
    BrowserNotFoundError,
    MissingRatingWarning,
    SiteSelectors,
    load_reviews,
    scores_to_labels,
    scrape_reviews,
    start_browser,
)
from numrnn.scraper import browser as browser_mod
from numrnn.scraper import demo_site as review_site

browser = pytest.mark.browser


@pytest.fixture(scope="module")
def site():
    server, url = review_site.serve()
    yield url
    server.shutdown()


def rows(df):
    return list(zip(df["score"], df["text"], df["page"]))


EXPECTED = [(r["score"], r["text"], r["page"]) for r in review_site.expected_rows()]


def profiles_left():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), "numrnn-chromium-*")))


@browser
def test_every_review_with_full_text_and_score(site):
    before = profiles_left()
    with pytest.warns(MissingRatingWarning, match="page 1, review 3: no rating"):
        df = scrape_reviews(site, timeout=5)
    assert rows(df) == EXPECTED
    assert df.attrs == {"pages": 3, "skipped_without_rating": 1}
    assert not df["truncated"].any()
    assert df["url"].str.endswith(("page=1", "page=2", "page=3")).all()
    assert "\n" in df.loc[0, "text"] and "😀" in df.loc[0, "text"] and '"' in df.loc[0, "text"]
    assert profiles_left() == before  # the browser and its profile are gone


@browser
def test_the_overlay_really_covers_a_more_link(site):
    """The fixture must pose the problem the scraper solves: a plain click is intercepted."""
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.common.by import By

    driver = start_browser()
    try:
        driver.get(site.replace("page=1", "page=2"))
        link = driver.find_element(By.CSS_SELECTOR, '[data-reviewid="r5"] span.taLnk')
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
        with pytest.raises(ElementClickInterceptedException):
            link.click()
        # a browser passed in by the caller is used and left open
        with pytest.warns(MissingRatingWarning):
            df = scrape_reviews(site, max_pages=1, browser=driver)
        assert len(df) == 3 and driver.current_url.endswith("page=1")
    finally:
        browser_mod.close_browser(driver)


@browser
def test_a_text_that_cannot_be_expanded_is_never_returned_silently(site):
    from numrnn.scraper import TruncatedReviewWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = scrape_reviews(site + "&broken=1", max_pages=1, timeout=0.5)
    truncated = [str(w.message) for w in caught if w.category is TruncatedReviewWarning]
    assert len(truncated) == 2 and "could not expand" in truncated[0]
    assert df["truncated"].tolist() == [True, False, True]
    full = {t for _, t, _ in EXPECTED}
    for text, cut in zip(df["text"], df["truncated"]):
        assert (text in full) != cut                 # a cut text is marked, a full one is not
        assert not text.endswith("더보기")           # the link's label is not part of the text


@browser
def test_max_pages(site):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        df = scrape_reviews(site, max_pages=2)
    assert sorted(set(df["page"])) == [1, 2]
    assert rows(df) == EXPECTED[:6]


@browser
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_round_trip(site, tmp_path, encoding):
    out = tmp_path / "reviews.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        df = scrape_reviews(site, output=out, encoding=encoding)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    back = pd.read_csv(out, encoding=encoding, keep_default_na=False)
    assert rows(back) == EXPECTED
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    texts, scores = load_reviews(out, encoding=encoding)
    assert texts == [t for _, t, _ in EXPECTED] and list(scores) == [s for s, _, _ in EXPECTED]
    assert [p.name for p in tmp_path.iterdir()] == ["reviews.csv"]  # no temporary file left


@browser
def test_interruption_keeps_pages_and_resume_continues(site, tmp_path):
    out = tmp_path / "reviews.csv"

    def stop_after_two(page, n_page, total, url):
        if page == 2:
            raise KeyboardInterrupt

    before = profiles_left()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        with pytest.raises(KeyboardInterrupt):
            scrape_reviews(site, output=out, progress=stop_after_two)
        assert profiles_left() == before  # closed on the error too
        saved = pd.read_csv(out, keep_default_na=False)
        assert rows(saved) == EXPECTED[:6]  # nothing read was lost
        df = scrape_reviews(site, output=out, resume=True)
    assert rows(df) == EXPECTED  # page 3 added, nothing twice
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED
    df = scrape_reviews(site, output=out, resume=True)  # nothing left to read
    assert rows(df) == EXPECTED and df.attrs["pages"] == 0


@browser
def test_command_line(site, tmp_path):
    out = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, "-m", "numrnn.scraper", site, "-o", str(out),
                             "--delay", "0"], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "page   3:   2 reviews  (total 8" in result.stdout
    assert "8 reviews from 3 page(s)" in result.stdout
    assert "no rating" in result.stderr
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED


@browser
def test_custom_selectors_file(site, tmp_path):
    path = tmp_path / "sel.json"
    path.write_text(json.dumps({"text": "div.entry p", "next_page": "div.pagination a.next"}))
    selectors = SiteSelectors.from_json(path)
    assert selectors.review == "div.review-container"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        df = scrape_reviews(site, selectors=selectors, max_pages=1)
    assert rows(df) == EXPECTED[:3]


def test_selectors_file_errors(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"reviews": "div"}))
    with pytest.raises(ValueError, match=r"unknown selector\(s\) \['reviews'\]"):
        SiteSelectors.from_json(path)
    path.write_text(json.dumps({"review": ""}))
    with pytest.raises(ValueError, match="'review' must be a non-empty string"):
        SiteSelectors.from_json(path)


def test_missing_chromium_says_what_to_install():
    with pytest.raises(BrowserNotFoundError, match=r"Chromium was not found at the given path "
                       r"'/nonexistent/chromium'.*apt-get install chromium chromium-driver"):
        scrape_reviews("http://127.0.0.1:9/", chromium="/nonexistent/chromium")


def test_missing_chromedriver_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(browser_mod.CHROMEDRIVER_ENV, raising=False)
    monkeypatch.setattr(browser_mod, "_DRIVER_PATHS", (str(tmp_path / "chromedriver"),))
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    with pytest.raises(BrowserNotFoundError, match=r"chromedriver was not found; looked at: "
                       r".*apt-get install chromium chromium-driver"):
        scrape_reviews("http://127.0.0.1:9/", chromium=str(fake))
    result = subprocess.run([sys.executable, "-m", "numrnn.scraper", "http://127.0.0.1:9/",
                             "-o", str(tmp_path / "x.csv"), "--chromium", "/nonexistent"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "apt-get install chromium" in result.stderr


@pytest.mark.parametrize("kwargs, pattern", [
    ({"url": "ftp://x"}, r"url='ftp://x'; accepted: an http\(s\)://"),
    ({"max_pages": 0}, r"max_pages=0"),
    ({"timeout": 0}, r"timeout=0"),
    ({"delay": -1}, r"delay=-1; accepted: a number >= 0"),
    ({"delay": -0.5}, r"delay=-0.5"),
    ({"timeout": float("nan")}, r"timeout=nan"),
    ({"timeout": True}, r"timeout=True"),
    ({"resume": True}, r"resume=True needs output="),
    ({"encoding": "klingon"}, r"encoding='klingon'"),
])
def test_bad_arguments_fail_before_a_browser_starts(kwargs, pattern):
    kwargs.setdefault("url", "http://127.0.0.1:9/")
    url = kwargs.pop("url")
    with pytest.raises(ValueError, match=pattern):
        scrape_reviews(url, chromium="/nonexistent/chromium", **kwargs)


def test_resume_refuses_a_foreign_csv(tmp_path):
    out = tmp_path / "other.csv"
    out.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="is not a review CSV of this scraper"):
        scrape_reviews("http://127.0.0.1:9/", output=out, resume=True)
    assert out.read_text() == "a,b\n1,2\n"


def test_scores_to_labels():
    assert scores_to_labels([10, 30, 40, 50]).tolist() == [0, 0, 1, 1]
    assert scores_to_labels([3, 4], threshold=4).tolist() == [0, 1]
    with pytest.raises(TypeError, match="scores has dtype"):
        scores_to_labels(["a"])
