"""numrnn.scraper against a local imitation of the 2018 TripAdvisor markup, in real Chromium."""

import json
import os
import select
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from scraper_fixture_site import private_tmpdir, short_tmpdir, tmpdir_env

from numrnn.scraper import (
    COLUMNS,
    BrowserNotFoundError,
    MissingRatingWarning,
    SiteSelectors,
    as_selectors,
    load_reviews,
    read_urls_file,
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


@pytest.fixture(scope="module")
def driver():
    with short_tmpdir() as tmp:
        with tmpdir_env(tmp):
            d = start_browser(timeout=5)
        yield d
        browser_mod.close_browser(d)


FAST = dict(settle=0.2, timeout=5)


def rows(df):
    return list(zip(df["score"], df["text"], df["page"]))


EXPECTED = [(r["score"], r["text"], r["page"]) for r in review_site.expected_rows()]


@browser
def test_every_review_with_full_text_and_score(site):
    with private_tmpdir() as tmp:
        with pytest.warns(MissingRatingWarning, match="page 1, review 3: no rating"):
            df = scrape_reviews(site, **FAST)
        assert list(tmp.iterdir()) == []  # the browser and its profile are gone
    assert rows(df) == EXPECTED
    assert list(df.columns) == COLUMNS
    expected = review_site.expected_rows()
    for column in ("review_id", "date", "title", "user"):
        assert df[column].tolist() == [r[column] for r in expected]
    assert df.attrs == {"pages": 3, "skipped_without_rating": 1, "skipped_without_text": 0,
                        "truncated": 0, "duplicates": 0, "retries": 0,
                        "stopped_by": "last page"}
    assert not df["truncated"].any()
    assert df["url"].str.endswith(("page=1", "page=2", "page=3")).all()
    assert "\n" in df.loc[0, "text"] and "😀" in df.loc[0, "text"] and '"' in df.loc[0, "text"]


@browser
def test_the_overlay_really_covers_a_more_link(site, driver):
    """The fixture must pose the problem the scraper solves: a plain click is intercepted."""
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.common.by import By

    driver.get(site.replace("page=1", "page=2"))
    link = driver.find_element(By.CSS_SELECTOR, '[data-reviewid="r5"] span.taLnk')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    with pytest.raises(ElementClickInterceptedException):
        link.click()
    # a browser passed in by the caller is used and left open
    with pytest.warns(MissingRatingWarning):
        df = scrape_reviews(site, max_pages=1, browser=driver, **FAST)
    assert len(df) == 3 and driver.current_url.endswith("page=1")


@browser
def test_a_text_that_cannot_be_expanded_is_never_returned_silently(site, driver):
    from numrnn.scraper import TruncatedReviewWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = scrape_reviews(site + "&broken=1", max_pages=1, browser=driver, settle=0.2,
                            timeout=0.5)
    truncated = [str(w.message) for w in caught if w.category is TruncatedReviewWarning]
    assert len(truncated) == 2 and "its more-link is still there" in truncated[0]
    assert df["truncated"].tolist() == [True, False, True]
    full = {t for _, t, _ in EXPECTED}
    for text, cut in zip(df["text"], df["truncated"]):
        assert (text in full) != cut                 # a cut text is marked, a full one is not
        assert not text.endswith("더보기")           # the link's label is not part of the text


@browser
def test_max_pages(site, driver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        df = scrape_reviews(site, max_pages=2, browser=driver, **FAST)
    assert sorted(set(df["page"])) == [1, 2]
    assert rows(df) == EXPECTED[:6]


@browser
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_round_trip(site, driver, tmp_path, encoding):
    out = tmp_path / "reviews.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        df = scrape_reviews(site, output=out, encoding=encoding, browser=driver, **FAST)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    back = pd.read_csv(out, encoding=encoding, keep_default_na=False)
    assert rows(back) == EXPECTED
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    texts, scores = load_reviews(out, encoding=encoding)
    assert texts == [t for _, t, _ in EXPECTED] and list(scores) == [s for s, _, _ in EXPECTED]
    assert [p.name for p in tmp_path.iterdir()] == ["reviews.csv"]  # no temporary file left


@browser
def test_interruption_keeps_pages_and_resume_continues(site, driver, tmp_path):
    out = tmp_path / "reviews.csv"

    def stop_after_two(page, n_page, total, url):
        if page == 2:
            raise KeyboardInterrupt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        with private_tmpdir() as tmp:
            with pytest.raises(KeyboardInterrupt):
                scrape_reviews(site, output=out, progress=stop_after_two, **FAST)
            assert list(tmp.iterdir()) == []  # closed on the error too
        saved = pd.read_csv(out, keep_default_na=False)
        assert rows(saved) == EXPECTED[:6]  # nothing read was lost
        df = scrape_reviews(site, output=out, resume=True, browser=driver, **FAST)
    assert rows(df) == EXPECTED  # page 3 added, nothing twice
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED
    df = scrape_reviews(site, output=out, resume=True, browser=driver, **FAST)  # none left
    assert rows(df) == EXPECTED and df.attrs["pages"] == 0


@browser
def test_command_line(site, tmp_path):
    out = tmp_path / "out.csv"
    result = subprocess.run([sys.executable, "-m", "numrnn.scraper", site, "-o", str(out),
                             "--delay", "0", "--settle", "0.2"], capture_output=True,
                            text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "page   3:   2 reviews  (total 8" in result.stdout
    assert "8 reviews from 3 page(s)" in result.stdout
    assert "no rating" in result.stderr
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED


@browser
def test_custom_selectors_file(site, driver, tmp_path):
    path = tmp_path / "sel.json"
    path.write_text(json.dumps({"text": "div.entry p", "next_page": "div.pagination a.next"}))
    selectors = SiteSelectors.from_json(path)
    assert selectors.review == "div.review-container"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingRatingWarning)
        df = scrape_reviews(site, selectors=selectors, max_pages=1, browser=driver, **FAST)
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


EXAMPLE_SELECTORS = Path(__file__).resolve().parents[1] / "examples" / "review_selectors.json"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "api" / "scraper.md"


def test_example_selector_file_is_valid_and_shown_in_the_docs():
    data = json.loads(EXAMPLE_SELECTORS.read_text(encoding="utf-8"))
    assert as_selectors(EXAMPLE_SELECTORS).to_dict() == {**SiteSelectors().to_dict(), **data}
    docs = DOCS.read_text(encoding="utf-8")
    block = docs.split("```json\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == data
    for rule in ("searched inside each review", "first match", "aria-disabled", "Exit codes"):
        assert rule in docs


def test_presets_and_selector_errors(tmp_path):
    assert as_selectors("tripadvisor-2018") == SiteSelectors()
    assert as_selectors("tripadvisor-2020s").review == "div[data-reviewid]"
    assert as_selectors({"text": "q"}).text == "q"
    with pytest.raises(ValueError, match=r"neither a preset \(tripadvisor-2018, "
                       r"tripadvisor-2020s\) nor an existing JSON file"):
        as_selectors("tripadvisor-1999")
    with pytest.raises(TypeError, match="selectors has type int; accepted: SiteSelectors, dict"):
        as_selectors(3)
    with pytest.raises(TypeError, match=r"selector 'text' is 3 \(int\)"):
        as_selectors({"text": 3})
    with pytest.raises(ValueError, match=r"unknown selector\(s\) \['texts'\]"):
        scrape_reviews("http://127.0.0.1:9/", selectors={"texts": "p"},
                       chromium="/nonexistent/chromium")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        as_selectors(bad)


def test_urls_file(tmp_path):
    path = tmp_path / "urls.txt"
    path.write_text("# comment\nhttp://a/restaurant/1?page=1\n식당 이름 http://b/x.html\n"
                    "http://a/restaurant/1?page=2\n", encoding="utf-8")
    assert read_urls_file(path) == {"restaurant_1": "http://a/restaurant/1?page=1",
                                    "식당 이름": "http://b/x.html",
                                    "restaurant_1-2": "http://a/restaurant/1?page=2"}
    path.write_text("name ftp://x\n")
    with pytest.raises(ValueError, match="line 1: 'ftp://x' is not an http"):
        read_urls_file(path)


def test_demo_site_help_and_start_line_unbuffered(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    result = subprocess.run([sys.executable, "-m", "numrnn.scraper.demo_site", "--help"],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0 and "--port" in result.stdout
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "numrnn.scraper.demo_site", "--port",
                             str(port)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no start-up line: is it flushed?"
        line = proc.stdout.readline()
        assert line.startswith(f"serving http://127.0.0.1:{port}/restaurant?page=1 ")
    finally:
        proc.terminate()
        proc.wait(10)


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@browser
def test_check_selectors_command(site, capsys):
    from numrnn.scraper.__main__ import main

    assert main(["--check-selectors", site]) == 0
    out = capsys.readouterr().out
    assert "review 'div.review-container': 4" in out
    assert "rating 'span.ui_bubble_rating': 3 in the page, in 3 reviews" in out
    assert "sample text: '정말 맛있어요!" in out
