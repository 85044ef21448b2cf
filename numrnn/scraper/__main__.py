"""python -m numrnn.scraper URL -o reviews.csv [--max-pages N] [--selectors FILE.json]"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

from .browser import BrowserNotFoundError
from .scrape import MissingRatingWarning, TruncatedReviewWarning, scrape_reviews
from .selectors import SiteSelectors


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m numrnn.scraper",
        description="Scrape reviews (score and full text) page by page into a UTF-8 CSV, "
                    "with a headless Chromium.")
    p.add_argument("url", help="address of the first page of reviews")
    p.add_argument("-o", "--output", required=True, help="CSV file to write (rewritten after "
                   "every page, so an interruption keeps what was read)")
    p.add_argument("--max-pages", type=int, default=None, help="stop after this many pages")
    p.add_argument("--selectors", default=None, metavar="FILE.json",
                   help="CSS selectors for another layout (keys: "
                        + ", ".join(SiteSelectors().to_dict()) + ")")
    p.add_argument("--resume", action="store_true",
                   help="continue after the last page saved in --output")
    p.add_argument("--encoding", default="utf-8", help="CSV encoding (utf-8-sig for Excel)")
    p.add_argument("--delay", type=float, default=1.0,
                   help="seconds to wait between pages (default 1)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the page")
    p.add_argument("--show-browser", action="store_true", help="do not run headless")
    p.add_argument("--chromium", default=None, help="path of the Chromium executable")
    p.add_argument("--chromedriver", default=None, help="path of chromedriver")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()

    def progress(page, n_page, total, url):
        print(f"page {page:>3}: {n_page:>3} reviews  (total {total}, "
              f"{time.perf_counter() - started:.1f}s)  {url}", flush=True)

    try:
        selectors = SiteSelectors.from_json(args.selectors) if args.selectors else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            df = scrape_reviews(args.url, args.max_pages, selectors=selectors,
                                headless=not args.show_browser, timeout=args.timeout,
                                delay=args.delay, output=args.output, encoding=args.encoding,
                                resume=args.resume, chromium=args.chromium,
                                chromedriver=args.chromedriver, progress=progress)
    except (BrowserNotFoundError, ValueError, OSError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted; the pages read so far are in {args.output} "
              "(continue with --resume)", file=sys.stderr)
        return 130
    for w in caught:
        if issubclass(w.category, (MissingRatingWarning, TruncatedReviewWarning)):
            print(f"warning: {w.message}", file=sys.stderr)
    print(f"{len(df)} reviews from {df.attrs['pages']} page(s) written to {args.output}; "
          f"skipped without rating: {df.attrs['skipped_without_rating']}; "
          f"truncated: {int(df['truncated'].sum())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
