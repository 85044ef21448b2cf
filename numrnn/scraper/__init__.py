"""Collect reviews (score, full text, id, date, title, user) from a paged review site with
Selenium and Chromium.

    from numrnn.scraper import scrape_reviews, scrape_many
    df = scrape_reviews("https://...", max_pages=5, output="reviews.csv")
    df = scrape_many({"name": "https://...", ...}, workers=3, output="all.csv")

Needs the ``scrape`` extra (Selenium 4, pandas) and Chromium with chromedriver
(``apt-get install chromium chromium-driver``), or a WebDriver endpoint (``remote=``).
Command line: ``python -m numrnn.scraper`` (exit codes in docs/api/scraper.md).
"""

from .browser import (
    BrowserNotFoundError,
    BrowserStartError,
    close_browser,
    find_chromedriver,
    find_chromium,
    start_browser,
)
from .dataset import load_reviews, scores_to_labels
from .many import name_from_url, read_urls_file, scrape_many
from .scrape import (
    COLUMNS,
    MissingRatingWarning,
    MissingTextWarning,
    ScrapeError,
    ScrapeWarning,
    TruncatedReviewWarning,
    UnencodableTextError,
    check_selectors,
    file_encoding,
    scrape_reviews,
)
from .selectors import TRIPADVISOR_2018, SiteSelectors, as_selectors, preset, preset_names

__all__ = ["scrape_reviews", "scrape_many", "check_selectors", "SiteSelectors",
           "TRIPADVISOR_2018", "preset", "preset_names", "as_selectors", "BrowserNotFoundError",
           "BrowserStartError", "find_chromium", "find_chromedriver", "start_browser",
           "close_browser", "scores_to_labels", "load_reviews", "COLUMNS", "ScrapeError",
           "ScrapeWarning", "MissingRatingWarning", "MissingTextWarning",
           "TruncatedReviewWarning", "UnencodableTextError", "file_encoding", "name_from_url",
           "read_urls_file"]
