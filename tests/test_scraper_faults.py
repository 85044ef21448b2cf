"""The faults of a live review site (issue 16, failures 1-10), each in real headless Chromium
against the demo site's fault options (numrnn.scraper.demo_site) or a silent server."""

import json
import os
import re
import signal
import stat
import uuid
import warnings

import pandas as pd
import pytest
from scraper_fixture_site import (
    Cli,
    free_port,
    private_tmpdir,
    settle_processes,
    short_tmpdir,
    silent_server,
    tmpdir_env,
)

from numrnn.scraper import (
    BrowserStartError,
    MissingTextWarning,
    ScrapeError,
    ScrapeWarning,
    SiteSelectors,
    TruncatedReviewWarning,
    UnencodableTextError,
    demo_site,
    preset_names,
    scrape_reviews,
    start_browser,
)
from numrnn.scraper import browser as browser_mod

pytestmark = pytest.mark.browser
EXPECTED = [(r["score"], r["text"], r["page"]) for r in demo_site.expected_rows()]
FULL = {t for _, t, _ in EXPECTED}
QUIET = dict(settle=0.2, retry_wait=0.0, timeout=5)


@pytest.fixture(scope="module")
def server():
    srv, _ = demo_site.serve()
    yield srv
    srv.shutdown()


@pytest.fixture(scope="module")
def site(server):
    return f"http://127.0.0.1:{server.server_address[1]}/restaurant?page=1"


@pytest.fixture(scope="module")
def driver():
    with short_tmpdir() as tmp:
        with tmpdir_env(tmp):
            d = start_browser(timeout=5)
        yield d
        browser_mod.close_browser(d)
        assert list(tmp.iterdir()) == []


@pytest.fixture
def cli():
    with short_tmpdir() as tmp:
        c = Cli(tmp)
        c.tmp = tmp
        yield c
        c.close()


def rows(df):
    return list(zip(df["score"], df["text"], df["page"]))


def scrape(url, driver, **kwargs):
    """scrape_reviews on the shared browser; returns (df, warning messages)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = scrape_reviews(url, browser=driver, **{**QUIET, **kwargs})
    return df, [(w.category, str(w.message)) for w in caught]


# 1. an HTTP error page is retried; when it keeps failing the run says so and resume goes on
def test_http_500_is_retried_then_fails_loudly_and_resume_continues(site, cli, driver):
    url = site + f"&fail=2&fail_times=3&run={uuid.uuid4().hex}"
    out = cli.tmp / "r.csv"
    first = cli.run(url, "-o", str(out), "--retries", "1", "--retry-wait", "0", "--delay", "0",
                    "--settle", "0.2", "--timeout", "5")
    assert first.returncode == 1, first.stderr
    assert "warning: page 2: " in first.stderr and "answered HTTP 500; retry 1 of 1" \
        in first.stderr
    assert "error: page 2 failed after 2 attempt(s): " in first.stderr
    assert "3 review(s) read are in" in first.stderr and "Traceback" not in first.stderr
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED[:3]
    df, caught = scrape(url, driver, output=out, resume=True, retries=1)
    # the third request failed too, the fourth did not
    assert [m for c, m in caught if c is ScrapeWarning][0].endswith("retry 1 of 1 in 0s")
    assert rows(df) == EXPECTED and df.attrs["retries"] == 1
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED


def test_dead_url_is_an_error_not_an_empty_success(driver, tmp_path):
    out = tmp_path / "r.csv"
    with pytest.raises(ScrapeError, match=r"page 1 failed after 2 attempt\(s\): .*"
                       "ERR_CONNECTION_REFUSED") as err:
        scrape(f"http://127.0.0.1:{free_port()}/", driver, output=out, retries=1)
    assert len(err.value.partial) == 0 and not out.exists()


# 2. more-links added by JavaScript after load are clicked; a text still cut is flagged
def test_late_more_links_are_expanded(site, driver):
    df, caught = scrape(site + "&late=800", driver, settle=1.0, max_pages=1)
    assert rows(df) == EXPECTED[:3] and not df["truncated"].any()


def test_a_text_still_cut_is_flagged_and_counted(site, driver):
    df, caught = scrape(site + "&late=4000", driver, settle=0.3, max_pages=2)
    assert len(df) == 6
    for text, cut in zip(df["text"], df["truncated"]):
        assert (text in FULL) != cut
        assert cut == text.endswith("…")
    assert df["truncated"].sum() == 4 == df.attrs["truncated"]
    cut = [m for c, m in caught if c is TruncatedReviewWarning]
    assert len(cut) == 4 and "still ends in '…'" in cut[0]


# 3. a next link back to page 1 ends pagination; no review twice
@pytest.mark.parametrize("loop, why", [("1", "leads to .* read before"),
                                       ("lap", "every review was read before")])
def test_pagination_loop_stops_with_a_warning(site, driver, loop, why):
    df, caught = scrape(site + f"&loop={loop}", driver, max_pages=10)  # bounded if no detection
    assert rows(df) == EXPECTED and df["review_id"].is_unique
    assert df.attrs["stopped_by"] == "loop"
    assert df.attrs["duplicates"] == (3 if loop == "lap" else 0)
    messages = [m for c, m in caught if c is ScrapeWarning]
    assert len(messages) == 1 and re.search(why, messages[0]), messages


# 4. a disabled next button or link is the last page, not something to click
@pytest.mark.parametrize("kind", ["button", "aria", "class"])
def test_disabled_next_is_the_end(site, driver, kind):
    df, _ = scrape(site + f"&next={kind}", driver, timeout=2)
    assert rows(df) == EXPECTED and df.attrs["stopped_by"] == "last page"


# 5. a text selector that misses warns; selectors that match nothing are an error with counts
def test_missing_text_is_skipped_with_a_warning(site, driver):
    sel = SiteSelectors(text="#text-r1, #text-r4")
    df, caught = scrape(site, driver, selectors=sel, max_pages=1)
    assert rows(df) == [EXPECTED[0], EXPECTED[2]] and df.attrs["skipped_without_text"] == 1
    assert [m for c, m in caught if c is MissingTextWarning] == [
        "page 1, review 2: text='#text-r1, #text-r4' matched nothing inside the review; skipped"]


def test_selectors_matching_nothing_fail_with_counts(site, driver):
    with pytest.raises(ScrapeError, match=r"no review could be read.*text 'p.nope': 0 in the "
                       r"page, in 0 reviews"):
        scrape(site, driver, selectors=SiteSelectors(text="p.nope"), max_pages=1)
    with pytest.raises(ScrapeError, match=r"page 1: no element matches "
                       r"review='div.review-container' after 1s.*review 'div.review-container'"
                       r": 0.*rating 'span.ui_bubble_rating': 3 in the page, in 0 reviews"):
        scrape(site + "&layout=2020s", driver, timeout=1)


def test_the_2020s_preset_reads_the_2020s_layout(site, driver):
    df, _ = scrape(site + "&layout=2020s", driver, selectors="tripadvisor-2020s")
    assert rows(df) == EXPECTED and not df["truncated"].any()
    assert df["user"].tolist()[0] == "손님001" and df["title"].str.len().gt(0).all()


def test_cookie_consent_is_clicked_once(site, driver):
    df, _ = scrape(site + "&consent=1", driver, selectors={"consent": "#consent-ok"})
    assert rows(df) == EXPECTED and not df["truncated"].any()


# 6. SIGTERM / SIGINT: browser, driver and profile are gone; the CSV is complete
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT to the group"])
def test_signals_leave_nothing_behind(site, cli, how):
    out = cli.tmp / "r.csv"
    proc = cli.start(site, "-o", str(out), "--delay", "60", "--settle", "0.2")
    try:
        line = proc.stdout.readline()  # the progress line of page 1 (flushed)
        assert line.startswith("page   1:"), proc.stderr.read() if not line else line
        if how == "SIGTERM":
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == (143 if how == "SIGTERM" else 130), err
    assert "Traceback" not in err
    assert settle_processes(cli.mark) == []          # no chromedriver, no Chromium
    assert list(cli.tmp.glob("numrnn-chromium-*")) == []  # no profile folder
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED[:3]


# 7. encodings: resume keeps a BOM; an unencodable character is named before writing
def test_resume_keeps_the_bom(site, driver, tmp_path):
    out = tmp_path / "r.csv"
    scrape(site, driver, output=out, encoding="utf-8-sig", max_pages=1)
    df, _ = scrape(site, driver, output=out, resume=True)  # --encoding not repeated
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows(pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)) == EXPECTED
    assert rows(df) == EXPECTED


def test_unencodable_character_is_named_before_anything_is_written(site, driver, tmp_path):
    out = tmp_path / "r.csv"
    with pytest.raises(UnencodableTextError, match=r"encoding='cp949' cannot represent '😀' "
                       r"\(U\+1F600\) at character \d+ of the text of review 'r1' \(page 1"):
        scrape(site, driver, output=out, encoding="cp949", max_pages=1)
    assert not out.exists()
    df, _ = scrape(site, driver, output=out, encoding="cp949", errors="replace", max_pages=1)
    back = pd.read_csv(out, encoding="cp949", keep_default_na=False)
    assert back["text"][0] == df["text"][0].replace("😀", "?")


# 8. selectors from a dict, a JSON file or a preset name
def test_selectors_as_dict_file_or_preset(site, driver, tmp_path):
    path = tmp_path / "sel.json"
    path.write_text(json.dumps({"text": "div.entry p"}))
    for selectors in ({"text": "div.entry p"}, path, str(path), "tripadvisor-2018"):
        df, _ = scrape(site, driver, selectors=selectors, max_pages=1)
        assert rows(df) == EXPECTED[:3], selectors
    assert preset_names() == ["tripadvisor-2018", "tripadvisor-2020s"]


# 9. --timeout bounds a page that never answers; WebDriver errors are one line, not a trace
def test_a_silent_server_times_out(driver):
    with silent_server() as url, pytest.raises(
            ScrapeError, match=r"page 1 failed after 1 attempt\(s\): .* did not load within 1s"):
        scrape(url, driver, timeout=1, retries=0)


def test_a_javascript_next_link_that_does_nothing_fails_cleanly(site, driver, tmp_path):
    out = tmp_path / "r.csv"
    with pytest.raises(ScrapeError, match=r"page 4 failed after 1 attempt\(s\): the next link "
                       r"of .* \(javascript:void\(0\)\) did not open a new page within 1s") as e:
        scrape(site + "&next=javascript", driver, timeout=1, retries=0, output=out)
    assert rows(e.value.partial) == EXPECTED
    assert rows(pd.read_csv(out, keep_default_na=False)) == EXPECTED


def _fake(tmp, name, script):
    path = tmp / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_broken_chromedriver_is_one_line(cli):
    bad_driver = _fake(cli.tmp, "chromedriver", "exit 3\n")
    result = cli.run(f"http://127.0.0.1:{free_port()}/", "-o", str(cli.tmp / "r.csv"),
                     "--chromedriver", bad_driver)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: chromedriver {bad_driver} did not start: ")
    assert len(result.stderr.strip().splitlines()) == 1  # no traceback
    assert list(cli.tmp.glob("numrnn-chromium-*")) == []  # no profile folder left


def test_broken_chromium_leaves_no_profile():
    with private_tmpdir() as tmp:
        bad_chromium = _fake(tmp, "chromium", "exit 3\n")
        with pytest.raises(BrowserStartError, match=r"could not start a browser: "):
            start_browser(chromium=bad_chromium, timeout=5)
        assert [p.name for p in tmp.iterdir()] == ["chromium"]


def test_a_browser_that_dies_mid_scrape_is_restarted(site):
    killed = []

    def kill_chromium(page, n, total, url):
        if page == 1:
            for profile in tmp.glob("numrnn-chromium-*"):
                for pid in browser_mod.processes_using(profile):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

    with private_tmpdir() as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = scrape_reviews(site, progress=kill_chromium, **QUIET)
        assert list(tmp.iterdir()) == []  # both browsers' profiles removed
    assert killed and rows(df) == EXPECTED
    assert any("the browser died; retry 1 of 3" in str(w.message) for w in caught)


# 10. every more-link of a page is clicked before waiting for any expansion
def test_more_links_are_clicked_together(server, site, driver):
    server.events.clear()
    df, _ = scrape(site + "&barrier=1&expand_ms=100", driver, max_pages=2)
    assert rows(df) == EXPECTED[:6] and not df["truncated"].any()
    assert "slow" not in server.events  # no expansion waited for its 2 s fallback
