"""The explorer's web server: one static page and a small JSON API, standard library only.

    GET  /                 the page (HTML, CSS and JS from this package; nothing external)
    GET  /api/models       the models: name, layers, units, MAXLEN, how they were trained
    GET  /api/review?index=N   test-set review N (its text and label); no index: a random one
    POST /api/analyse      {"model": NAME, "text": STR} or {"model": NAME, "review": N}

Every error is JSON ``{"error": message, "field": name or null}`` with a 4xx status (5xx only
for a fault of the server itself), and the server keeps serving.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from ..preprocessing.text import text_to_word_sequence
from .analysis import ExplorerModel, InputError, Vocabulary
from .data import ImdbFiles

MAX_BODY = 1_000_000        # bytes; a review is a few kB
DRAIN_LIMIT = 64_000_000    # a larger body is not read at all (the connection is closed)
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/index.html": ("index.html", "text/html; charset=utf-8"),
          "/static/explore.css": ("explore.css", "text/css; charset=utf-8"),
          "/static/explore.js": ("explore.js", "text/javascript; charset=utf-8")}


class HttpError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class Explorer:
    """What the API answers: the models by name, the vocabulary, and the IMDB test reviews."""

    def __init__(self, models: list[ExplorerModel], vocabulary: Vocabulary,
                 files: ImdbFiles | None = None):
        if not models:
            raise ValueError("models: accepted at least one ExplorerModel")
        self.models = {m.name: m for m in models}
        self.vocabulary = vocabulary
        self.files = files
        self._random = random.Random()

    def models_payload(self) -> dict:
        return {"models": [m.describe() for m in self.models.values()]}

    # ---- test-set reviews ----------------------------------------------------------------
    def _test_review(self, index) -> tuple[list[int], int, int]:
        if self.files is None:
            raise HttpError(503, "no IMDB data: start the explorer with --data or $NUMRNN_DATA")
        try:
            count = self.files.test_count()
        except (OSError, ValueError) as err:
            raise HttpError(503, f"the IMDB test reviews cannot be read: {err}") from err
        if index is None:
            index = self._random.randrange(count)
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise HttpError(400, f"review={index!r}; accepted: an int 0 <= review < {count}",
                            "review")
        ids, label = self.files.test_review(index)
        return ids, label, index

    def review_payload(self, query: str) -> dict:
        params = parse_qs(query, keep_blank_values=True)
        unknown = set(params) - {"index"}
        if unknown:
            raise HttpError(400, f"unknown query parameter(s) {sorted(unknown)}; accepted: index",
                            sorted(unknown)[0])
        index = None
        if "index" in params:
            raw = params["index"][-1]
            try:
                index = int(raw)
            except ValueError:
                raise HttpError(400, f"index={raw!r}; accepted: an int", "index") from None
        ids, label, index = self._test_review(index)
        return {"index": index, "label": label, "text": self.vocabulary.text(ids),
                "words": len(ids) - 1}

    # ---- analysis ------------------------------------------------------------------------
    def analyse(self, request: dict) -> dict:
        allowed = {"model", "text", "review"}
        unknown = set(request) - allowed
        if unknown:
            raise HttpError(400, f"unknown field(s) {sorted(unknown)}; accepted: model, and "
                            "text or review", sorted(unknown)[0])
        name = request.get("model")
        if not isinstance(name, str):
            raise HttpError(400, f"model={name!r}; accepted: one of {', '.join(self.models)}",
                            "model")
        if name not in self.models:
            raise HttpError(404, f"unknown model {name!r}; accepted: {', '.join(self.models)}",
                            "model")
        model = self.models[name]
        if ("text" in request) == ("review" in request):
            raise HttpError(400, "give either text (a review to analyse) or review (the index "
                            "of a test-set review), not both and not neither", "text")
        source: dict
        if "text" in request:
            text = request["text"]
            if not isinstance(text, str):
                raise HttpError(400, f"text has type {type(text).__name__}; accepted: a string",
                                "text")
            if not text.strip():
                raise HttpError(400, "text is empty; type or paste a review", "text")
            if not text_to_word_sequence(text):
                raise HttpError(400, "text has no words, only punctuation; type a review",
                                "text")
            tokens = self.vocabulary.encode(text, model.num_words)
            source = {"kind": "text"}
        else:
            index = request["review"]
            if not isinstance(index, int) or isinstance(index, bool):
                raise HttpError(400, f"review={index!r}; accepted: the int index of a test-set "
                                "review", "review")
            ids, label, index = self._test_review(index)
            tokens = self.vocabulary.decode(ids, model.num_words)
            source = {"kind": "review", "index": index, "label": label}
        try:
            result = model.analyse(tokens)
        except InputError as err:
            raise HttpError(422, str(err), err.field) from err
        result["source"] = source
        return result


class Handler(BaseHTTPRequestHandler):
    """Routes requests to the server's `Explorer`; answers errors as JSON."""

    server_version = "numrnn-explore"
    timeout = 60  # a client that stops sending mid-request frees its thread after this

    # ---- plumbing ------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        if getattr(self.server, "log_requests", False):
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _send_error_json(self, err: HttpError) -> None:
        self._send_json(err.status, {"error": err.message, "field": err.field,
                                     "status": err.status})

    def _handle(self, route) -> None:
        try:
            route()
        except HttpError as err:
            self._send_error_json(err)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away
        except Exception as err:  # a bug: say so, keep serving
            self.log_error("internal error on %s: %r", self.path, err)
            self._send_error_json(HttpError(500, f"internal error: {type(err).__name__}: {err}"))

    def _read_json(self) -> dict:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            raise HttpError(411, "chunked bodies are not accepted; send a Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None:
            raise HttpError(411, "no Content-Length header; send the JSON body with its length")
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise HttpError(400, f"Content-Length {raw!r}; accepted: an int >= 0") from None
        if length > MAX_BODY:
            self._discard(length)
            raise HttpError(413, f"the body has {length:,} bytes; accepted: at most "
                            f"{MAX_BODY:,} bytes (a review is a few kB)")
        data = self.rfile.read(length)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise HttpError(400, f"the body is not UTF-8 (byte {err.start} is "
                            f"{data[err.start]:#04x}); send the JSON encoded as UTF-8") from None
        try:
            request = json.loads(text)
        except json.JSONDecodeError as err:
            raise HttpError(400, f"the body is not JSON: {err}") from None
        if not isinstance(request, dict):
            raise HttpError(400, f"the body is a JSON {type(request).__name__}; accepted: an "
                            'object such as {"model": "lstm32", "text": "a great film"}')
        return request

    def _discard(self, length: int) -> None:
        """Read (and drop) a body that is too large, so the client gets the answer instead of
        a reset connection; beyond DRAIN_LIMIT, close without reading."""
        self.close_connection = True
        if length > DRAIN_LIMIT:
            return
        left = length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)

    # ---- routes --------------------------------------------------------------------------
    def do_GET(self):  # noqa: N802 (BaseHTTPRequestHandler's name)
        self._handle(self._get)

    def do_POST(self):  # noqa: N802
        self._handle(self._post)

    def _not_allowed(self):
        self.close_connection = True
        self._handle(self._raise_not_allowed)

    do_PUT = do_DELETE = do_PATCH = _not_allowed

    def _raise_not_allowed(self):
        raise HttpError(405, f"{self.command} is not accepted here; GET the page and "
                        "/api/models, /api/review; POST /api/analyse")

    def _get(self):
        url = urlsplit(self.path)
        explorer: Explorer = self.server.explorer
        if url.path in STATIC:
            name, content_type = STATIC[url.path]
            body = resources.files(__package__).joinpath("static", name).read_bytes()
            self._send(200, body, content_type)
        elif url.path == "/api/models":
            self._send_json(200, explorer.models_payload())
        elif url.path == "/api/review":
            self._send_json(200, explorer.review_payload(url.query))
        elif url.path == "/api/analyse":
            raise HttpError(405, "POST a JSON body to /api/analyse")
        else:
            raise HttpError(404, f"no page {url.path!r}; the explorer is at /")

    def _post(self):
        url = urlsplit(self.path)
        if url.path != "/api/analyse":
            raise HttpError(404, f"no API {url.path!r}; POST to /api/analyse")
        request = self._read_json()
        self._send_json(200, self.server.explorer.analyse(request))


class ExplorerServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that carries the `Explorer` its handlers answer from."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], explorer: Explorer, log_requests: bool = False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.explorer, self.log_requests = explorer, log_requests
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}/"


def serve_in_thread(server: ExplorerServer) -> threading.Thread:
    """Run ``server`` in a daemon thread (tests, the screenshot command); ``shutdown()`` ends it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
