"""Make the screenshot of the explorer that docs/explore.md shows.

    python -m numrnn.explore.screenshot docs/img/explore.png

It loads (or trains, once) the default models as ``python -m numrnn.explore`` does, serves the
page on a free local port, types a review into it in a headless Chromium (Selenium, as
``numrnn.scraper`` starts it), steps to one word and saves the whole page as a PNG.
"""

from __future__ import annotations

import argparse
import base64
import sys

from ..io_utils import atomic_write
from .analysis import Vocabulary
from .data import ImdbFiles
from .server import Explorer, ExplorerServer, serve_in_thread
from .training import load_or_train

REVIEW = ("I expected a lot more from this film. The plot was a mess and the jokes fell flat, "
          "but the acting was wonderful and the ending was a beautiful surprise")


def take(url: str, out: str, model: str, text: str, step: int | None, unit: int, lang: str,
         width: int = 1280) -> None:
    """Open ``url``, analyse ``text`` with ``model`` and save the page to ``out`` (PNG)."""
    try:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.select import Select
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError as err:
        raise ImportError("the screenshot needs Selenium 4: pip install 'numrnn[scrape]'") from err

    from ..scraper.browser import close_browser, start_browser

    driver = start_browser(extra_args=(f"--window-size={width},1000",))
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 120)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#model option[value='{model}']"))
        Select(driver.find_element(By.ID, "model")).select_by_value(model)
        if lang == "ko":
            driver.find_element(By.ID, "lang").click()
        driver.find_element(By.ID, "text").send_keys(text)
        driver.find_element(By.ID, "analyse").click()
        wait.until(ec.visibility_of_element_located((By.ID, "p-value")))
        Select(driver.find_element(By.ID, "unit")).select_by_value(str(unit))
        if step is not None:
            current = int(driver.find_element(By.ID, "step").get_attribute("value"))
            for _ in range(current - step):
                driver.find_element(By.ID, "prev").click()
        # the whole page, not only the window (Chromium's DevTools command)
        size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        png = base64.b64decode(shot["data"])
    finally:
        close_browser(driver)
    with atomic_write(out) as f:
        f.write(png)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m numrnn.explore.screenshot",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="the PNG to write")
    p.add_argument("--model", default="lstm32", help="which default model to show (lstm32)")
    p.add_argument("--text", default=REVIEW, help="the review to type")
    p.add_argument("--step", type=int, default=14, help="the time step to show (14)")
    p.add_argument("--unit", type=int, default=0, help="the unit in the equations (0-based)")
    p.add_argument("--lang", choices=["en", "ko"], default="en", help="page language (en)")
    p.add_argument("--runs", default="runs/explore", help="where the default models are saved")
    p.add_argument("--data", default=None, help="folder with imdb.npz and imdb_word_index.json")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    files = ImdbFiles(args.data)
    models = load_or_train(files, args.runs)
    server = ExplorerServer(("127.0.0.1", 0), Explorer(models, Vocabulary(files.word_index()),
                                                      files))
    serve_in_thread(server)
    try:
        take(server.url, args.out, args.model, args.text, args.step, args.unit, args.lang)
    finally:
        server.shutdown()
        server.server_close()
    print(f"wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
