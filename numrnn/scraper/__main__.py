"""python -m numrnn.scraper URL -o reviews.csv            (one restaurant)
python -m numrnn.scraper --urls-file urls.txt --workers 3 -o all.csv   (many)
python -m numrnn.scraper --check-selectors URL [--selectors FILE.json|PRESET]

Exit codes: 0 every page read; 1 the run stopped on an error (the rows read are saved;
--resume continues); 2 nothing was scraped: bad arguments, selectors or encoding, or the
browser is missing or did not start; 130 interrupted (SIGINT), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import warnings

from .browser import BrowserNotFoundError, BrowserStartError
from .selectors import SiteSelectors, preset_names

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM = 0, 1, 2, 130, 143


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt so every browser is closed."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m numrnn.scraper",
        description="Scrape reviews (score and full text) page by page into a CSV, with a "
                    "headless Chromium (local, or through a WebDriver endpoint with --remote).",
        epilog="exit codes: 0 every page read; 1 stopped on an error, rows read are saved "
               "(--resume continues); 2 nothing scraped: bad arguments/selectors/encoding or "
               "no browser; 130 SIGINT; 143 SIGTERM")
    p.add_argument("url", nargs="?", help="address of the first page of reviews")
    p.add_argument("-o", "--output", help="CSV file to write (rewritten after every page, so "
                   "an interruption keeps what was read); with --urls-file: one combined file "
                   "with a 'restaurant' column")
    p.add_argument("--output-dir", help="with --urls-file: one CSV per restaurant in this folder")
    p.add_argument("--urls-file", metavar="FILE",
                   help="restaurants to scrape: one 'URL' or 'NAME URL' per line")
    p.add_argument("--workers", type=int, default=1,
                   help="browsers working in parallel with --urls-file (default 1)")
    p.add_argument("--remote", metavar="URL", help="WebDriver endpoint to drive the browsers "
                   "through (Selenium Grid hub, or chromedriver --port=N: http://host:N)")
    p.add_argument("--check-selectors", metavar="URL", help="print how many elements each "
                   "selector matches on URL and one sample text, without scraping")
    p.add_argument("--max-pages", type=int, default=None, help="stop after this many pages")
    p.add_argument("--selectors", default=None, metavar="FILE.json|PRESET",
                   help="a JSON file of CSS selectors (keys: "
                        + ", ".join(SiteSelectors().to_dict()) + ") or a preset: "
                        + ", ".join(preset_names()) + " (default tripadvisor-2018)")
    p.add_argument("--resume", action="store_true",
                   help="continue after the last page saved in the output (keeps the file's "
                        "encoding)")
    p.add_argument("--encoding", default="utf-8", help="CSV encoding (utf-8-sig for Excel)")
    p.add_argument("--encoding-errors", default="strict", metavar="HANDLER",
                   help="what to write for a character the encoding lacks: strict (stop, "
                        "the default), replace ('?'), xmlcharrefreplace, ...")
    p.add_argument("--delay", type=float, default=1.0,
                   help="seconds to wait between pages (default 1)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds a page load or a wait may take (default 10)")
    p.add_argument("--settle", type=float, default=1.0, help="seconds to keep looking for "
                   "more-links added late by the page (default 1)")
    p.add_argument("--retries", type=int, default=3,
                   help="times a failing page is tried again (default 3)")
    p.add_argument("--retry-wait", type=float, default=1.0,
                   help="seconds before the first retry, doubled each time (default 1)")
    p.add_argument("--show-browser", action="store_true", help="do not run headless")
    p.add_argument("--chromium", default=None, help="path of the Chromium executable")
    p.add_argument("--chromedriver", default=None, help="path of chromedriver")
    args = p.parse_args(argv)
    modes = [bool(args.url), bool(args.urls_file), bool(args.check_selectors)]
    if sum(modes) != 1:
        p.error("give one of: URL, --urls-file FILE, --check-selectors URL")
    if args.url and not args.output:
        p.error("URL needs -o/--output FILE.csv")
    if args.urls_file and not (args.output or args.output_dir):
        p.error("--urls-file needs -o/--output FILE.csv or --output-dir DIR")
    if args.output_dir and not args.urls_file:
        p.error("--output-dir goes with --urls-file")
    return args


def _print_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr, flush=True)


def _install_signal_handlers() -> None:
    """SIGTERM and SIGINT unwind the stack once (browsers are quit, profiles removed); a
    second signal during that cleanup is ignored."""
    def on_signal(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    _install_signal_handlers()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            for quiet in (DeprecationWarning, PendingDeprecationWarning, ResourceWarning):
                warnings.simplefilter("ignore", quiet)
            warnings.showwarning = _print_warning
            return _run(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args) -> int:
    from .scrape import ScrapeError, UnencodableTextError

    started = time.perf_counter()
    common = dict(selectors=args.selectors, headless=not args.show_browser,
                  timeout=args.timeout, remote=args.remote, chromium=args.chromium,
                  chromedriver=args.chromedriver)
    where = args.output or args.output_dir
    try:
        if args.check_selectors:
            return _check(args.check_selectors, common)
        scrape = dict(common, delay=args.delay, settle=args.settle, retries=args.retries,
                      retry_wait=args.retry_wait, max_pages=args.max_pages,
                      encoding=args.encoding, errors=args.encoding_errors, resume=args.resume)
        if args.urls_file:
            from .many import read_urls_file, scrape_many

            def progress(name, page, n_page, total, url):
                print(f"{name}: page {page:>3}: {n_page:>3} reviews  (total {total}, "
                      f"{time.perf_counter() - started:.1f}s)  {url}", flush=True)

            df = scrape_many(read_urls_file(args.urls_file), args.workers, output=args.output,
                             output_dir=args.output_dir, progress=progress, **scrape)
            restaurants = df.attrs["restaurants"]
            pages = sum(s["pages"] for s in restaurants.values())
            print(f"{len(df)} reviews of {len(restaurants)} restaurant(s) from {pages} page(s) "
                  f"written to {where}; truncated: {int(df['truncated'].sum())}", flush=True)
            return EXIT_OK

        from .scrape import scrape_reviews

        def progress(page, n_page, total, url):
            print(f"page {page:>3}: {n_page:>3} reviews  (total {total}, "
                  f"{time.perf_counter() - started:.1f}s)  {url}", flush=True)

        df = scrape_reviews(args.url, output=args.output, progress=progress, **scrape)
    except ScrapeError as err:
        n = 0 if err.partial is None else len(err.partial)
        kept = f"{n} review(s) read are in {where}" if n else "nothing was saved"
        print(f"error: {err}\n{kept}; continue with --resume", file=sys.stderr, flush=True)
        return EXIT_FAILED
    except (BrowserNotFoundError, BrowserStartError, UnencodableTextError, ValueError,
            TypeError, OSError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"\ninterrupted; the pages read so far are in {where} (continue with --resume)",
              file=sys.stderr, flush=True)
        return EXIT_SIGINT
    except Terminated:
        print(f"terminated; the pages read so far are in {where} (continue with --resume)",
              file=sys.stderr, flush=True)
        return EXIT_SIGTERM
    a = df.attrs
    print(f"{len(df)} reviews from {a['pages']} page(s) written to {args.output}; "
          f"skipped without rating: {a['skipped_without_rating']}; without text: "
          f"{a['skipped_without_text']}; truncated: {a['truncated']}; duplicates dropped: "
          f"{a['duplicates']}; retries: {a['retries']}", flush=True)
    return EXIT_OK


def _check(url: str, common: dict) -> int:
    from .scrape import check_selectors, format_counts
    from .selectors import as_selectors

    selectors = as_selectors(common["selectors"])
    report = check_selectors(url, **common)
    print(f"selectors on {report['url']}:")
    for part in format_counts(report, selectors).split("; "):
        print(f"  {part}")
    sample = report["sample"].replace("\n", " ")
    print(f"sample text: {sample[:200]!r}" if sample else "sample text: (none)", flush=True)
    return EXIT_OK if report["counts"].get("review", [0])[0] else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
