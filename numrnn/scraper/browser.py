"""Find Chromium and chromedriver without any download, start a headless browser (local or
through a remote WebDriver endpoint) and close it without leaving anything behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

CHROMIUM_ENV, CHROMEDRIVER_ENV = "NUMRNN_CHROMIUM", "NUMRNN_CHROMEDRIVER"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")
_DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
INSTALL_HINT = ("Install both with: apt-get install chromium chromium-driver (Debian/Ubuntu), "
                "or pass their paths (chromium=..., chromedriver=...; on the command line "
                f"--chromium/--chromedriver) or set {CHROMIUM_ENV} / {CHROMEDRIVER_ENV}.")
# the HTTP client waits this much longer than the WebDriver's own page-load timeout, so a
# hanging page ends in the driver's TimeoutException, never in the client's read timeout
CLIENT_MARGIN = 30.0

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


class BrowserStartError(RuntimeError):
    """chromedriver or Chromium was found but did not start (or the remote endpoint refused)."""


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


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (Selenium appends a stack trace)."""
    text = getattr(err, "msg", None) or str(err) or type(err).__name__
    return text.strip().splitlines()[0] if text.strip() else type(err).__name__


def _selenium():
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.remote.client_config import ClientConfig
    except ImportError as err:
        raise ImportError("numrnn.scraper needs Selenium 4: pip install 'numrnn[scrape]'") from err
    return webdriver, WebDriverException, Options, Service, ClientConfig


def start_browser(headless: bool = True, chromium: str | None = None,
                  chromedriver: str | None = None, extra_args: tuple[str, ...] = (), *,
                  remote: str | None = None, timeout: float = 10.0):
    """Start Chromium through chromedriver (Selenium 4) and return the WebDriver.

    Local (``remote=None``): both executables are found on this machine first, so Selenium
    never tries to download one; chromedriver runs in its own session (a Ctrl-C or SIGTERM
    meant for Python does not kill it before Python can quit it cleanly) and Chromium gets a
    temporary profile folder. ``remote='http://host:4444'``: a Selenium Grid hub or a
    chromedriver started with ``--port`` drives the browser on its machine (``chromium`` then
    sets the browser path *there*, if given).

    ``timeout`` bounds every page load (WebDriver page-load timeout) and every HTTP request
    to the driver (read timeout ``timeout + 30`` s). The caller must `close_browser` it
    (``scrape_reviews`` always does for browsers it started). Raises BrowserNotFoundError
    or BrowserStartError (one-line message; nothing left behind).
    """
    webdriver, WebDriverException, Options, Service, ClientConfig = _selenium()
    options = Options()
    flags = HEADLESS_FLAGS if headless else tuple(f for f in HEADLESS_FLAGS
                                                  if not f.startswith("--headless"))
    profile = service = None
    if remote is None:
        binary = find_chromium(chromium)
        driver_path = find_chromedriver(chromedriver)
        options.binary_location = binary
        profile = Path(tempfile.mkdtemp(prefix="numrnn-chromium-"))
        flags = (*flags, f"--user-data-dir={profile}")
    elif chromium:
        options.binary_location = chromium
    for flag in (*flags, *extra_args):
        options.add_argument(flag)
    try:
        if remote is None:
            service = Service(executable_path=driver_path, popen_kw={"start_new_session": True})
            try:
                service.start()
            except WebDriverException as err:
                raise BrowserStartError(f"chromedriver {driver_path} did not start: "
                                        f"{first_line(err)}") from None
            address = service.service_url
        else:
            address = remote
        config = ClientConfig(remote_server_addr=address, timeout=timeout + CLIENT_MARGIN)
        try:
            driver = webdriver.Remote(command_executor=address, options=options,
                                      client_config=config)
        except WebDriverException as err:
            where = f"the WebDriver at {remote}" if remote else f"chromedriver {driver_path}"
            raise BrowserStartError(f"{where} could not start a browser: "
                                    f"{first_line(err)}") from None
        except OSError as err:  # urllib3 errors: nothing listens at remote
            raise BrowserStartError(f"no WebDriver answers at {address}: "
                                    f"{first_line(err)}") from None
    except BaseException:
        _cleanup(service, profile)
        raise
    driver._numrnn_profile = profile
    driver._numrnn_service = service
    try:
        driver.set_page_load_timeout(timeout)
        driver.set_script_timeout(timeout)
    except BaseException:
        close_browser(driver)
        raise
    return driver


def close_browser(driver) -> None:
    """Quit the browser, stop its chromedriver and remove its temporary profile.

    Never raises for a browser that already died; processes still using the profile
    after ``quit`` are killed before the folder is removed.
    """
    if getattr(driver, "_numrnn_closed", False):
        return
    driver._numrnn_closed = True
    with contextlib.suppress(Exception):
        driver.command_executor._client_config.timeout = 10  # a dead driver answers fast
    with contextlib.suppress(Exception):
        driver.quit()
    _cleanup(getattr(driver, "_numrnn_service", None), getattr(driver, "_numrnn_profile", None))


def _cleanup(service, profile: Path | None) -> None:
    if service is not None:
        with contextlib.suppress(Exception):
            service.stop()
    if profile is None:
        return
    _kill_processes_using(profile)
    # a Chromium that was killed leaves the folder of its singleton socket in TMPDIR
    with contextlib.suppress(OSError):
        socket_dir = Path(os.readlink(profile / "SingletonSocket")).parent
        if socket_dir.name.startswith(("org.chromium.", ".org.chromium.")):
            shutil.rmtree(socket_dir, ignore_errors=True)
    for _ in range(20):  # a dying Chromium may still write into the folder for a moment
        shutil.rmtree(profile, ignore_errors=True)
        if not profile.exists():
            return
        time.sleep(0.1)


def processes_using(profile: str | os.PathLike) -> list[int]:
    """Ids of the live processes started with ``--user-data-dir=<profile>`` (Linux /proc)."""
    marker = f"--user-data-dir={profile}".encode()
    pids = []
    if not os.path.isdir("/proc"):
        return pids
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                zombie = f.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
        except OSError:
            continue
        if marker in args and not zombie:
            pids.append(int(entry.name))
    return pids


def _kill_processes_using(profile: Path, wait: float = 5.0) -> None:
    pids = processes_using(profile)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while pids and time.monotonic() < deadline:
        time.sleep(0.05)
        pids = processes_using(profile)
