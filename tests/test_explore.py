"""numrnn.explore without a browser: tokens, the analysis against an LSTM written out in the
test, the JSON API and its errors, and the command line (a tiny model and word index, no
IMDB files needed). The page itself is driven in test_explore_browser.py."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import numrnn
from numrnn.experiments.imdb import build_model
from numrnn.explore import Explorer, ExplorerModel, ExplorerServer, Vocabulary, serve_in_thread
from numrnn.explore.__main__ import listening_note
from numrnn.explore.__main__ import main as explore_main
from numrnn.explore.analysis import InputError
from numrnn.layers import GRU, LSTM, Dense, Embedding, Flatten
from numrnn.models import Sequential

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "numrnn" / "explore" / "static"

# rank 1 = most frequent; id = rank + 3. "rare" (id 63) is beyond the tiny models' 40 rows.
WORDS = ["the", "movie", "was", "great", "bad", "not", "a", "plot", "acting", "good", "boring",
         "loved", "it", "and", "but", "ending"]
WORD_INDEX = {w: r for r, w in enumerate(WORDS, start=1)} | {"rare": 60}
VOCAB = Vocabulary(WORD_INDEX)


def tiny_model(kind: str = "lstm32", num_words: int = 40, maxlen: int = 6, seed: int = 3,
               dtype=None) -> Sequential:
    """A small model of the tutorial's shapes, with weights large enough to move the gates."""
    numrnn.set_seed(seed)
    model = Sequential()
    model.add(Embedding(num_words, 4, input_length=maxlen, dtype=dtype))
    if kind == "lstm1":
        model.add(LSTM(1, activation="sigmoid", dtype=dtype))
    elif kind == "lstm4":
        model.add(LSTM(3, return_sequences=True, dtype=dtype))
        model.add(Flatten(dtype=dtype))
        model.add(Dense(1, activation="sigmoid", dtype=dtype))
    else:
        model.add(LSTM(3, dtype=dtype))
        model.add(Dense(1, activation="sigmoid", dtype=dtype))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.8, w.shape) for w in model.get_weights()])
    return model


# ---- an LSTM written out from its equations (Keras layout [i|f|c|o]) ----------------------------
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference_forward(model: Sequential, x: np.ndarray) -> tuple[float, dict]:
    """p and every gate/state for one review's embedded input x (T, D), in float64."""
    lstm = model.layers[1]
    w, u, b = (np.asarray(a, np.float64) for a in lstm.get_weights())
    act = np.tanh if lstm.activation.name == "tanh" else sigmoid
    h_units = lstm.units
    h, c = np.zeros(h_units), np.zeros(h_units)
    seen = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
    for x_t in x:
        z = x_t @ w + h @ u + b
        i, f = sigmoid(z[:h_units]), sigmoid(z[h_units:2 * h_units])
        g, o = act(z[2 * h_units:3 * h_units]), sigmoid(z[3 * h_units:])
        c = f * c + i * g
        h = o * act(c)
        for k, v in zip(("i", "f", "g", "o", "c", "h"), (i, f, g, o, c, h)):
            seen[k].append(v)
    out = np.stack(seen["h"]).reshape(-1) if lstm.return_sequences else h
    for layer in model.layers[2:]:
        if isinstance(layer, Dense):
            kernel, bias = (np.asarray(a, np.float64) for a in layer.get_weights())
            out = sigmoid(out @ kernel + bias)
    return float(np.ravel(out)[0]), {k: np.stack(v) for k, v in seen.items()}


# ---- tokens ------------------------------------------------------------------------------------
def test_tokens_follow_the_word_index_with_start_oov_and_the_last_maxlen_kept():
    m = ExplorerModel("m", tiny_model())
    tokens = VOCAB.encode("The movie was GREAT, not boring... zzz rare!", m.num_words)
    assert [(t.word, t.id, t.kind) for t in tokens] == [
        ("<START>", 1, "start"), ("the", 4, "word"), ("movie", 5, "word"), ("was", 6, "word"),
        ("great", 7, "word"), ("not", 9, "word"), ("boring", 14, "word"), ("zzz", 2, "oov"),
        ("rare", 2, "oov")]  # "rare" is known (id 63) but the model has only 40 rows
    cut, steps = m.window(tokens)
    assert [t.word for t in cut] == ["<START>", "the", "movie"]  # 'pre' truncation
    assert [t.id for t in steps] == [6, 7, 9, 14, 2, 2]
    _, steps = m.window(tokens[:3])
    assert [t.id for t in steps] == [0, 0, 0, 1, 4, 5]           # 'pre' padding
    assert VOCAB.text([1, 4, 5, 2, 99]) == "the movie <OOV> <OOV>"


def test_only_unknown_words_is_an_input_error():
    m = ExplorerModel("m", tiny_model())
    with pytest.raises(InputError, match="no word this model knows"):
        m.analyse(VOCAB.encode("zzz qqq rare", m.num_words))


# ---- the analysis against the equations --------------------------------------------------------
@pytest.mark.parametrize("kind", ["lstm1", "lstm4", "lstm32"])
def test_analysis_matches_predict_and_the_equations(kind):
    model = tiny_model(kind)
    m = ExplorerModel(kind, model)
    result = m.analyse(VOCAB.encode("the plot was bad but the acting was great", m.num_words))
    ids = np.array([[t["id"] for t in result["steps"]]])
    assert result["prediction"] == float(model.predict(ids)[0, 0])
    internals = model.layers[1].internals()  # left by predict, for the same ids
    for name in ("i", "f", "g", "o", "c", "h", "z_f"):
        np.testing.assert_array_equal(result["internals"][name], internals[name][0])
    p, ref = reference_forward(model, model.layers[0].get_weights()[0][ids[0]])
    assert result["prediction"] == pytest.approx(p, abs=1e-6)
    for name, values in ref.items():
        np.testing.assert_allclose(result["internals"][name], values, atol=1e-6)
    for gate in "ifgo":  # the parts shown in the equations add up to the pre-activation
        total = (np.array(result["parts"][f"xw_{gate}"]) + np.array(result["parts"][f"hu_{gate}"])
                 + np.array(result["parts"][f"b_{gate}"]))
        np.testing.assert_allclose(total, result["internals"][f"z_{gate}"], atol=1e-5)
    assert result["label"] == ("positive" if p > 0.5 else "negative")


@pytest.mark.parametrize("kind", ["lstm1", "lstm4", "lstm32"])
def test_contributions_are_gradient_times_input_by_finite_differences(kind, float64):
    model = tiny_model(kind, dtype="float64")
    m = ExplorerModel(kind, model)
    result = m.analyse(VOCAB.encode("a good movie but a boring ending", m.num_words))
    ids = [t["id"] for t in result["steps"]]
    x = model.layers[0].get_weights()[0][ids]
    eps = 1e-6
    expected = []
    for t in range(len(ids)):  # d/d(eps) p(x_t * (1 + eps)) at eps = 0
        up, down = x.copy(), x.copy()
        up[t] *= 1 + eps
        down[t] *= 1 - eps
        expected.append((reference_forward(model, up)[0] - reference_forward(model, down)[0])
                        / (2 * eps))
    np.testing.assert_allclose(result["contributions"], expected, rtol=1e-6, atol=1e-9)
    assert np.abs(expected).max() > 1e-3  # the check is not comparing zeros


def test_models_the_explorer_cannot_show_are_refused():
    numrnn.set_seed(0)
    ff = build_model("ff", 40)
    with pytest.raises(ValueError, match="second layer must be an LSTM"):
        ExplorerModel("ff", ff)
    gru = Sequential([Embedding(40, 4, input_length=6), GRU(3), Dense(1, activation="sigmoid")])
    with pytest.raises(ValueError, match="must be an LSTM"):
        ExplorerModel("gru", gru)
    two = Sequential([Embedding(40, 4, input_length=6), LSTM(3), Dense(2)])
    with pytest.raises(ValueError, match=r"output shape \(None, 2\)"):
        ExplorerModel("two", two)
    no_length = Sequential([Embedding(40, 4), LSTM(3)])
    with pytest.raises(ValueError, match="input_length"):
        ExplorerModel("x", no_length)


# ---- the HTTP API (server in a thread) -----------------------------------------------------------
@pytest.fixture(scope="module")
def api():
    """One server for the module: it must keep serving through every bad request."""
    explorer = Explorer([ExplorerModel("lstm32", tiny_model()),
                         ExplorerModel("lstm1", tiny_model("lstm1"))], VOCAB)
    server = ExplorerServer(("127.0.0.1", 0), explorer)
    serve_in_thread(server)
    yield server
    server.shutdown()
    server.server_close()


def request(server, method, path, body=None, headers=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheader("Content-Type"), data
    finally:
        conn.close()


def post(server, payload, raw: bytes | None = None, headers=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    status, ctype, data = request(server, "POST", "/api/analyse", body, headers)
    assert ctype.startswith("application/json")
    return status, json.loads(data)


GOOD = {"model": "lstm32", "text": "the movie was great"}
BAD_INPUTS = [
    ({"model": "lstm32", "text": ""}, None, 400, "text is empty"),
    ({"model": "lstm32", "text": " \n\t "}, None, 400, "text is empty"),
    ({"model": "lstm32", "text": "?!..."}, None, 400, "no words"),
    ({"model": "lstm32", "text": "qxzqv, zzqxw!"}, None, 422, "no word this model knows"),
    ({"model": "lstm99", "text": "great"}, None, 404, "unknown model 'lstm99'; accepted: "),
    ({"model": 3, "text": "great"}, None, 400, "model=3"),
    ({"text": "great"}, None, 400, "model=None"),
    ({"model": "lstm32", "text": 5}, None, 400, "text has type int"),
    ({"model": "lstm32"}, None, 400, "either text"),
    ({"model": "lstm32", "text": "a", "review": 1}, None, 400, "not both"),
    ({"model": "lstm32", "review": None}, None, 400, "review=None; accepted: the int index"),
    ({"model": "lstm32", "review": "3"}, None, 400, "review='3'"),
    ({"model": "lstm32", "txt": "great"}, None, 400, "unknown field"),
    (None, b"\xff\xfe{\"model\": 1}", 400, "not UTF-8"),
    (None, '{"model": "lstm32", "text": "caf\u00e9"}'.encode("latin-1"), 400, "not UTF-8"),
    (None, b"{not json", 400, "not JSON"),
    (None, b"[1, 2]", 400, "JSON list; accepted: an object"),
    (None, b"x" * 10_000_000, 413, "10,000,000 bytes; accepted: at most 1,000,000"),
]


@pytest.mark.parametrize("payload, raw, status, message", BAD_INPUTS)
def test_bad_input_gets_a_clear_json_error_and_the_server_keeps_serving(
        api, payload, raw, status, message):
    got_status, got = post(api, payload, raw)
    assert got_status == status
    assert message in got["error"]
    assert got["status"] == status
    ok_status, ok = post(api, GOOD)
    assert ok_status == 200 and 0 < ok["prediction"] < 1


def test_review_without_data_method_path_and_length_errors(api):
    status, _, data = request(api, "GET", "/api/review?index=2")
    assert status == 503 and "no IMDB data" in json.loads(data)["error"]
    status, _, data = request(api, "GET", "/api/analyse")
    assert status == 405 and "POST" in json.loads(data)["error"]
    status, _, data = request(api, "PUT", "/api/analyse", b"{}")
    assert status == 405
    status, _, data = request(api, "GET", "/nothing")
    assert status == 404
    status, _, data = request(api, "POST", "/api/other", b"{}")
    assert status == 404
    status, _, data = request(api, "POST", "/api/analyse", b"{}",
                              {"Content-Length": "-4"})
    assert status == 400 and "Content-Length" in json.loads(data)["error"]
    assert post(api, GOOD)[0] == 200


def test_api_numbers_equal_the_analysis(api):
    status, result = post(api, {"model": "lstm1", "text": "loved it, a great movie"})
    assert status == 200
    model = api.explorer.models["lstm1"].model
    ids = np.array([[t["id"] for t in result["steps"]]])
    assert result["prediction"] == float(model.predict(ids)[0, 0])
    np.testing.assert_array_equal(result["internals"]["f"],
                                  model.layers[1].internals()["f"][0])
    assert result["source"] == {"kind": "text"}
    status, got = post(api, {"model": "lstm0", "text": "great"})
    assert status == 404 and got["error"].endswith("accepted: lstm32, lstm1")
    status, _, data = request(api, "GET", "/api/models")
    names = [m["name"] for m in json.loads(data)["models"]]
    assert status == 200 and names == ["lstm32", "lstm1"]


def test_the_page_is_served_and_loads_nothing_from_elsewhere(api):
    for path, ctype in (("/", "text/html"), ("/static/explore.js", "text/javascript"),
                        ("/static/explore.css", "text/css")):
        status, got_type, data = request(api, "GET", path)
        assert status == 200 and got_type.startswith(ctype)
        assert data == (STATIC / ("index.html" if path == "/" else path.rsplit("/", 1)[1])
                        ).read_bytes()
    for f in STATIC.iterdir():  # no CDN, no web font, no external script or stylesheet
        text = f.read_text("utf-8")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text), f.name


# ---- the command line ----------------------------------------------------------------------------
@pytest.fixture
def cli_files(tmp_path):
    """A saved tiny model and a folder with a tiny word index (no IMDB files needed)."""
    tiny_model().save(tmp_path / "tiny.npz")
    data = tmp_path / "data"
    data.mkdir()
    (data / "imdb_word_index.json").write_text(json.dumps(WORD_INDEX), "utf-8")
    return tmp_path / "tiny.npz", data


def start_cli(*args, stderr=subprocess.DEVNULL):
    """``python -m numrnn.explore ARGS`` with stdout a pipe, as block-buffered as Python makes
    it (PYTHONUNBUFFERED removed): the URL line must be flushed by the program itself."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", "numrnn.explore", *args], env=env,
                            stdout=subprocess.PIPE, stderr=stderr, text=True)


def wait_for_url(proc, guard_seconds: float = 600) -> tuple[str, list[str]]:
    """The URL the explorer prints, and the lines before it. ``guard_seconds`` only keeps a
    broken run (say, a URL never flushed) from hanging the suite; it is not a speed limit."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)],
                     daemon=True).start()
    before = []
    while True:
        try:
            line = lines.get(timeout=guard_seconds)
        except queue.Empty:
            pytest.fail(f"no URL printed within {guard_seconds} s; output: {before}")
        if line is None:
            pytest.fail(f"the explorer exited ({proc.wait()}) before serving; output: {before}")
        match = re.search(r"numrnn explorer: (http://\S+/)", line)
        if match:
            return match.group(1), before + [line]
        before.append(line)


def stop(proc) -> None:
    proc.terminate()
    proc.wait(timeout=60)
    proc.stdout.close()


def test_command_line_prints_the_url_at_once_and_serves_on_localhost(cli_files):
    model, data = cli_files
    proc = start_cli("--model", str(model), "--data", str(data), "--port", "0")
    try:
        url, lines = wait_for_url(proc)
        assert url.startswith("http://127.0.0.1:")
        assert "this machine only" in lines[-1]
        port = int(url.rsplit(":", 1)[1].strip("/"))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("POST", "/api/analyse",
                     json.dumps({"model": "tiny", "text": "a great movie"}).encode())
        resp = conn.getresponse()
        result = json.loads(resp.read())
        conn.close()
        assert resp.status == 200 and result["model"] == "tiny"
    finally:
        stop(proc)


@pytest.mark.parametrize("args, message", [
    (["--model", "{missing}"], "no such file"),
    (["--model", "{model}", "--model", "{model}"], "a second model named 'tiny'"),
    (["--model", "{bad}"], "not a model saved by numrnn"),
    (["--model", "{gru}"], "must be an LSTM"),
    (["--data", "{missing}"], "no such folder"),
])
def test_command_line_refuses_unusable_models(cli_files, tmp_path, capsys, args, message):
    model, data = cli_files
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    gru = Sequential([Embedding(40, 4, input_length=6), GRU(3), Dense(1, activation="sigmoid")])
    gru.save(tmp_path / "gru.npz")
    paths = {"missing": tmp_path / "nope.npz", "model": model, "bad": tmp_path / "bad.npz",
             "gru": tmp_path / "gru.npz"}
    args = [a.format(**paths) for a in args]
    if "--data" not in args:
        args += ["--data", str(data)]
    assert explore_main([*args, "--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert message in err and "numrnn explorer:" not in out


def test_the_start_up_line_says_who_can_reach_the_server():
    for host in ("127.0.0.1", "localhost", "::1"):
        assert listening_note(host) == "listening on this machine only; --host to change"
    assert "other machines" in listening_note("0.0.0.0")
    assert "every address" in listening_note("")
