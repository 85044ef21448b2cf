"""The explorer's page in a real headless Chromium (Selenium), served by
``python -m numrnn.explore --quick`` on the IMDB data: type a review, read the prediction, a
heat-map cell and the equations from the page and check them against ``model.predict`` and
``internals()`` for tokens made here from the word index; step through time; switch the
language; bad input on the page and on the API."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from test_explore import BAD_INPUTS, GOOD, start_cli, stop, wait_for_url

from numrnn.datasets import imdb
from numrnn.models import load_model

pytestmark = [pytest.mark.browser, pytest.mark.data]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
MAXLEN = 20
REVIEW = ("I went in with low hopes and the first hour was dull, slow and predictable. "
          "Then the qzxvw twist arrived and the acting became wonderful, the music was "
          "beautiful and I loved the ending. A great vvqzx film after all")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The command line with no --model: trains lstm1, lstm4, lstm32 (--quick) and serves."""
    if "NUMRNN_DATA" not in os.environ:
        pytest.fail("the browser tests need NUMRNN_DATA=/folder/with/imdb.npz")
    runs = tmp_path_factory.mktemp("runs")
    log = open(runs / "stderr.txt", "w")  # noqa: SIM115 (closed below)
    proc = start_cli("--quick", "--runs", str(runs), "--port", "0", stderr=log)
    try:
        url, lines = wait_for_url(proc)
        assert any("[3/3] lstm32: training" in line for line in lines)
        assert any("epoch 1/1" in line for line in lines)  # the progress line
        yield url, runs / "quick"
    finally:
        stop(proc)
        log.close()


@pytest.fixture(scope="module")
def driver():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: apt-get install chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    short = tempfile.mkdtemp(prefix="nx", dir="/tmp")  # short paths for Chromium's sockets
    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run",
                 "--window-size=1280,1600", f"--user-data-dir={short}/profile"):
        options.add_argument(flag)
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "TMPDIR": short})
    chrome = webdriver.Chrome(service=service, options=options)
    try:
        yield chrome
    finally:
        chrome.quit()
        shutil.rmtree(short, ignore_errors=True)


@pytest.fixture(scope="module")
def word_index():
    return imdb.get_word_index()


def by(css):
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR, css


def wait(drv, condition):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, 120).until(condition)


def fmt(v: float) -> str:
    """As the page writes numbers: 4 decimals, a real minus sign."""
    return ("−" if v < 0 else "") + f"{abs(v):.4f}"


def tutorial_ids(text: str, word_index: dict, num_words: int) -> tuple[list, list, np.ndarray]:
    """Words, cut words and the 20 ids as imdb.load_data + pad_sequences(maxlen=20) make them,
    written out here: <START>=1, rank + 3, unknown (or no embedding row) = 2, zeros in front."""
    words = ["<START>"] + re.findall(r"[a-z0-9']+", text.lower())
    ids = [1] + [word_index[w] + 3 if w in word_index and word_index[w] + 3 < num_words else 2
                 for w in words[1:]]
    kept, cut = words[-MAXLEN:], words[:-MAXLEN]
    padded = [0] * (MAXLEN - len(kept)) + ids[-MAXLEN:]
    shown = ["<PAD>"] * (MAXLEN - len(kept)) + kept
    return shown, cut, np.array([padded])


def open_page(drv, url):
    from selenium.webdriver.support.select import Select

    drv.get(url)
    wait(drv, lambda d: d.find_elements(*by("#model option[value='lstm32']")))
    Select(drv.find_element(*by("#model"))).select_by_value("lstm32")


def analyse_text(drv, text):
    """Type ``text`` and press Analyse; return once the answer (or the error) is drawn."""
    box = drv.find_element(*by("#text"))
    box.clear()
    box.send_keys(text)
    drv.find_element(*by("#analyse")).click()  # sets #status to "computing..." at once
    wait(drv, lambda d: not d.find_element(*by("#status")).text)


def test_typed_review_prediction_tokens_and_heat_map_match_the_model(server, driver, word_index):
    url, runs = server
    model = load_model(runs / "lstm32.npz", compile=False)
    open_page(driver, url)
    analyse_text(driver, REVIEW)
    wait(driver, lambda d: d.find_element(*by("#p-value")).is_displayed())

    shown, cut, ids = tutorial_ids(REVIEW, word_index, model.layers[0].input_dim)
    assert [e.text for e in driver.find_elements(*by("#tokens .tok .w"))] == shown
    assert [e.text for e in driver.find_elements(*by("#tokens .tok .id"))] == \
        [f"id {i}" for i in ids[0]]
    assert [e.text for e in driver.find_elements(*by("#cut .cut-word"))] == cut
    assert [e.text for e in driver.find_elements(*by("#tokens .tok.oov .w"))] == ["vvqzx"]
    assert [e.text for e in driver.find_elements(*by("#cut .cut-word.oov"))] == ["qzxvw"]

    p = float(model.predict(ids)[0, 0])
    shown_p = driver.find_element(*by("#p-value"))
    assert shown_p.text == f"{p:.4f}"
    assert float(shown_p.get_attribute("data-value")) == p
    label = driver.find_element(*by("#p-label")).text
    assert label == ("→ positive" if p > 0.5 else "→ negative")

    internals = model.layers[1].internals()  # predict just ran on these 20 ids
    for name, unit, step in (("f", 5, 17), ("c", 30, 3), ("h", 0, 19), ("g", 12, 8)):
        cell = driver.find_element(
            *by(f'td[data-map="{name}"][data-unit="{unit}"][data-step="{step}"]'))
        value = float(internals[name][0, step, unit])
        assert float(cell.get_attribute("data-value")) == value
        assert cell.get_attribute("title").endswith(f"= {fmt(value)}")
    assert len(driver.find_elements(*by("#maps td.cell"))) == 6 * 32 * MAXLEN


def test_step_through_time_shows_each_steps_numbers(server, driver, word_index):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.select import Select

    url, runs = server
    model = load_model(runs / "lstm32.npz", compile=False)
    _, _, ids = tutorial_ids(REVIEW, word_index, model.layers[0].input_dim)
    model.predict(ids)
    internals = {k: v[0] for k, v in model.layers[1].internals().items()}

    def equation(name):
        return driver.find_element(*by(f'#equations .eq-value[data-name="{name}"]')).text

    open_page(driver, url)
    analyse_text(driver, REVIEW)
    label = driver.find_element(*by("#step-label"))
    assert label.text.endswith("t = 20 / 20")
    for _ in range(3):
        driver.find_element(*by("#prev")).click()
    assert label.text.endswith("t = 17 / 20")
    assert equation("f") == fmt(internals["f"][16, 0])
    assert driver.find_element(*by("#tokens .tok.now")).get_attribute("data-step") == "16"
    Select(driver.find_element(*by("#unit"))).select_by_value("3")
    for name in ("i", "f", "g", "o", "c", "h"):
        assert equation(name) == fmt(internals[name][16, 3])
    driver.find_element(*by("#next")).click()
    assert label.text.endswith("t = 18 / 20")
    assert equation("c") == fmt(internals["c"][17, 3])
    driver.find_element(*by("#step")).send_keys(Keys.HOME)  # the slider, to the first step
    assert label.text.endswith("t = 1 / 20")
    assert equation("h") == fmt(internals["h"][0, 3])
    driver.find_element(*by('td[data-map="c"][data-unit="2"][data-step="9"]')).click()
    assert label.text.endswith("t = 10 / 20")
    assert driver.find_element(*by("#unit")).get_attribute("value") == "2"
    assert equation("c") == fmt(internals["c"][9, 2])
    c_line = driver.find_element(*by('#equations .eq[data-name="c"]')).text
    assert f"{fmt(internals['f'][9, 2])} × {fmt(internals['c'][8, 2])} + " in c_line


def test_language_switch_uses_the_guides_terms(server, driver):
    def text(css):
        return driver.find_element(*by(css)).text

    open_page(driver, server[0])
    analyse_text(driver, "the best film of the year")
    p = float(driver.find_element(*by("#p-value")).get_attribute("data-value"))
    driver.find_element(*by("#lang")).click()
    assert text("h1") == "LSTM이 내 리뷰를 읽는 모습 보기"
    assert text("#map-f h3") == "f — 망각 게이트"
    assert text("#map-c h3") == "C — 셀 상태"
    assert text("#map-g h3") == "C~ — 후보 내용 (g)"
    assert text("#p-label") == ("→ 긍정" if p > 0.5 else "→ 부정")
    assert "망각 게이트" in text('#equations .eq[data-name="f"]')
    assert text("#step-label").startswith("시점")
    assert text("#lang") == "English"
    driver.find_element(*by("#lang")).click()
    assert text("#map-f h3") == "f — forget gate"
    assert text("#p-label") == ("→ positive" if p > 0.5 else "→ negative")


def test_page_shows_an_error_then_recovers_and_loads_a_test_review(server, driver, word_index):
    url, runs = server
    open_page(driver, url)
    analyse_text(driver, "qzxvw, vvqzx!")
    error = driver.find_element(*by("#error"))
    assert error.is_displayed() and "no word this model knows" in error.text
    assert not driver.find_element(*by("#result")).is_displayed()
    analyse_text(driver, "a great film")
    assert not error.is_displayed()
    assert driver.find_element(*by("#result")).is_displayed()

    review_index = driver.find_element(*by("#review-index"))
    review_index.clear()
    review_index.send_keys("3")
    driver.find_element(*by("#load-review")).click()
    wait(driver, lambda d: "#3" in d.find_element(*by("#review-label")).text)
    wait(driver, lambda d: not d.find_element(*by("#status")).text)
    assert "true label" in driver.find_element(*by("#review-label")).text
    model = load_model(runs / "lstm32.npz", compile=False)
    shown_ids = [int(e.text.split()[1]) for e in driver.find_elements(*by("#tokens .tok .id"))]
    p = float(model.predict(np.array([shown_ids]))[0, 0])
    assert float(driver.find_element(*by("#p-value")).get_attribute("data-value")) == p
    assert len(driver.find_elements(*by("#cut .cut-word"))) > 0  # a test review is long


def test_every_bad_input_to_the_api_gets_a_json_error_and_the_next_request_works(server):
    url, _ = server
    port = int(url.rsplit(":", 1)[1].strip("/"))

    def post(body: bytes):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("POST", "/api/analyse", body=body)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    for payload, raw, status, message in BAD_INPUTS:
        got_status, got = post(raw if raw is not None else json.dumps(payload).encode())
        assert (got_status, message in got["error"]) == (status, True), (payload, got)
        ok_status, ok = post(json.dumps(GOOD).encode())
        assert ok_status == 200 and ok["model"] == "lstm32"
    status, got = post(json.dumps({"model": "lstm32", "review": 25000}).encode())
    assert status == 400 and "accepted: an int 0 <= review < 25000" in got["error"]
    status, got = post(json.dumps({"model": "lstm4", "review": 24999}).encode())
    assert status == 200 and got["source"]["index"] == 24999


def test_nothing_is_left_behind(server):
    _, runs = server
    names = sorted(p.name for p in Path(runs).iterdir())
    assert names == ["lstm1.json", "lstm1.npz", "lstm32.json", "lstm32.npz", "lstm4.json",
                     "lstm4.npz"]  # atomic writes leave no temporary file
