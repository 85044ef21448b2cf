"""Collect reviews (score, full text) from a paged review site with Selenium and Chromium.

    from numrnn.scraper import scrape_reviews
    df = scrape_reviews("https://...", max_pages=5, output="reviews.csv")

Needs the ``scrape`` extra (Selenium 4, pandas) and Chromium with chromedriver
(``apt-get install chromium chromium-driver``). Command line: ``python -m numrnn.scraper``.
"""

from .browser import BrowserNotFoundError, find_chromedriver, find_chromium, start_browser
from .dataset import load_reviews, scores_to_labels
from .scrape import (
    COLUMNS,
    MissingRatingWarning,
    TruncatedReviewWarning,
    scrape_reviews,
)
from .selectors import TRIPADVISOR_2018, SiteSelectors

__all__ = ["scrape_reviews", "SiteSelectors", "TRIPADVISOR_2018", "BrowserNotFoundError",
           "find_chromium", "find_chromedriver", "start_browser", "scores_to_labels",
           "load_reviews", "COLUMNS", "MissingRatingWarning", "TruncatedReviewWarning"]
