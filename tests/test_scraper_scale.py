"""Many restaurants: parallel local browsers (scrape_many, --workers) and browsers driven
through a remote WebDriver endpoint (a chromedriver the test starts on a local port)."""

import socket
import subprocess
import threading
import time
import warnings

import pandas as pd
import pytest
from scraper_fixture_site import Cli, free_port, settle_processes, short_tmpdir

from numrnn.scraper import (
    ScrapeError,
    demo_site,
    find_chromedriver,
    find_chromium,
    name_from_url,
    read_urls_file,
    scrape_many,
    scrape_reviews,
)

pytestmark = pytest.mark.browser
FAST = dict(settle=0.2, retry_wait=0.0, timeout=10)


@pytest.fixture(scope="module")
def server():
    srv, _ = demo_site.serve()
    yield srv
    srv.shutdown()


def expected(k, pages=demo_site.GENERATED_PAGES):
    return [(r["score"], r["text"], p + 1)
            for p, page in enumerate(demo_site.generate_reviews(k)[:pages]) for r in page]


def rows(df):
    return list(zip(df["score"], df["text"], df["page"]))


def test_parallel_browsers_one_file_per_restaurant_resumable(server, tmp_path):
    urls = demo_site.restaurant_urls(server)[:2]
    bad = urls[0].replace("page=1", "page=1&fail=1")
    named = {name_from_url(u): u for u in urls} | {"bad": bad}
    assert list(named) == ["restaurant_1", "restaurant_2", "bad"]
    workers = set()

    def progress(name, page, n, total, url):
        workers.add(threading.current_thread().name)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ScrapeError, match=r"1 of 3 restaurant\(s\) failed: bad: page 1 "
                           r"failed after 2 attempt\(s\): .* answered HTTP 500") as err:
            scrape_many(named, workers=2, output_dir=tmp_path, max_pages=1, retries=1,
                        progress=progress, **FAST)
        assert len(workers) == 2  # two browsers worked at the same time
        assert list(err.value.failures) == ["bad"]
        first = err.value.partial
        assert sorted(set(first["restaurant"])) == ["restaurant_1", "restaurant_2"]
        for k in (1, 2):
            saved = pd.read_csv(tmp_path / f"restaurant_{k}.csv", keep_default_na=False)
            assert rows(saved) == expected(k, pages=1)
        del named["bad"]
        df = scrape_many(named, workers=2, output_dir=tmp_path, resume=True, **FAST)
    for k in (1, 2):
        assert rows(df[df["restaurant"] == f"restaurant_{k}"]) == expected(k)
        saved = pd.read_csv(tmp_path / f"restaurant_{k}.csv", keep_default_na=False)
        assert rows(saved) == expected(k)
    assert df.attrs["restaurants"]["restaurant_1"]["pages"] == demo_site.GENERATED_PAGES - 1


def _wait_for_port(port: int, proc: subprocess.Popen) -> None:
    for _ in range(200):  # at most ~20 s
        if proc.poll() is not None:
            raise RuntimeError(f"chromedriver exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("chromedriver did not listen")


@pytest.fixture
def remote_chromedriver():
    """A chromedriver listening on a local port, as on a machine of a browser farm."""
    with short_tmpdir() as tmp:
        cli = Cli(tmp)
        cli.tmp = tmp
        port = free_port()
        proc = subprocess.Popen([find_chromedriver(), f"--port={port}"], env=cli.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            _wait_for_port(port, proc)
            yield cli, f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()
            proc.wait(10)
            cli.close()


def test_remote_endpoint_with_workers_into_one_combined_file(server, remote_chromedriver):
    cli, remote, driver_proc = remote_chromedriver
    urls = demo_site.restaurant_urls(server)
    listing = cli.tmp / "urls.txt"
    listing.write_text(f"# two restaurants\n한옥집 {urls[0]}\n\n명동식당 {urls[1]}\n",
                       encoding="utf-8")
    assert read_urls_file(listing) == {"한옥집": urls[0], "명동식당": urls[1]}
    out = cli.tmp / "all.csv"
    result = cli.run("--urls-file", str(listing), "--workers", "2", "--remote", remote,
                     "--chromium", find_chromium(), "-o", str(out), "--max-pages", "1",
                     "--settle", "0.2", "--delay", "0")
    assert result.returncode == 0, result.stderr
    assert "24 reviews of 2 restaurant(s) from 2 page(s)" in result.stdout
    df = pd.read_csv(out, keep_default_na=False)
    assert list(df.columns[:2]) == ["restaurant", "review_id"]
    assert rows(df[df["restaurant"] == "한옥집"]) == expected(1, pages=1)
    assert rows(df[df["restaurant"] == "명동식당"]) == expected(2, pages=1)
    # the sessions were closed on the remote side: only chromedriver itself is left
    assert settle_processes(cli.mark, wait=10) == [driver_proc.pid]


def test_scrape_reviews_through_a_remote_endpoint(server, remote_chromedriver):
    _, remote, _ = remote_chromedriver
    url = f"http://127.0.0.1:{server.server_address[1]}/restaurant?page=1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = scrape_reviews(url, remote=remote, chromium=find_chromium(), max_pages=1, **FAST)
    assert len(df) == 3 and df["review_id"].tolist() == ["r1", "r2", "r4"]
