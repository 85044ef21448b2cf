"""Find Chromium and chromedriver without any download, and start a headless browser."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM_ENV, CHROMEDRIVER_ENV = "NUMRNN_CHROMIUM", "NUMRNN_CHROMEDRIVER"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")
_DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
INSTALL_HINT = ("Install both with: apt-get install chromium chromium-driver (Debian/Ubuntu), "
                "or pass their paths (chromium=..., chromedriver=...; on the command line "
                f"--chromium/--chromedriver) or set {CHROMIUM_ENV} / {CHROMEDRIVER_ENV}.")

# What a root, display-less, network-less machine needs (background services would
# otherwise try to reach the network at every start).
HEADLESS_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--window-size=1280,2000",
)


class BrowserNotFoundError(FileNotFoundError):
    """Chromium or chromedriver is missing; the message says which and how to install it."""


def _find(what: str, given: str | None, env: str, names: tuple[str, ...],
          paths: tuple[str, ...]) -> str:
    looked = []
    candidates = []
    if given:
        candidates.append(("argument", given))
    if os.environ.get(env):
        candidates.append((f"${env}", os.environ[env]))
    for name in names:
        found = shutil.which(name)
        candidates.append((f"PATH ({name})", found or name))
    candidates += [("default location", p) for p in paths]
    for source, path in candidates:
        looked.append(f"{source}: {path}")
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        if given and source == "argument":  # an explicit path that is wrong is an error
            raise BrowserNotFoundError(f"{what} was not found at the given path {given!r}. "
                                       + INSTALL_HINT)
    raise BrowserNotFoundError(f"{what} was not found; looked at: {'; '.join(looked)}. "
                               + INSTALL_HINT)


def find_chromium(path: str | None = None) -> str:
    """The Chromium executable: ``path``, ``$NUMRNN_CHROMIUM``, the PATH, /usr/bin/chromium."""
    return _find("Chromium", path, CHROMIUM_ENV, _CHROMIUM_NAMES, _CHROMIUM_PATHS)


def find_chromedriver(path: str | None = None) -> str:
    """The chromedriver executable: ``path``, ``$NUMRNN_CHROMEDRIVER``, the PATH,
    /usr/bin/chromedriver."""
    return _find("chromedriver", path, CHROMEDRIVER_ENV, ("chromedriver",), _DRIVER_PATHS)


def start_browser(headless: bool = True, chromium: str | None = None,
                  chromedriver: str | None = None, extra_args: tuple[str, ...] = ()):
    """Start Chromium through chromedriver (Selenium 4) and return the WebDriver.

    Both executables are found locally first, so Selenium never tries to download one.
    The caller must ``quit()`` the driver (``scrape_reviews`` always does for browsers
    it started).
    """
    binary = find_chromium(chromium)
    driver_path = find_chromedriver(chromedriver)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        raise ImportError("numrnn.scraper needs Selenium 4: pip install 'numrnn[scrape]'") from err
    options = Options()
    options.binary_location = binary
    flags = HEADLESS_FLAGS if headless else tuple(f for f in HEADLESS_FLAGS
                                                  if not f.startswith("--headless"))
    profile = tempfile.mkdtemp(prefix="numrnn-chromium-")
    for flag in (*flags, f"--user-data-dir={profile}", *extra_args):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver._numrnn_profile = Path(profile)
    return driver


def close_browser(driver) -> None:
    """Quit the browser and remove its temporary profile."""
    profile = getattr(driver, "_numrnn_profile", None)
    try:
        driver.quit()
    finally:
        if profile is not None:
            shutil.rmtree(profile, ignore_errors=True)
