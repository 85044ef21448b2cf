"""Sweeps: grid, results.jsonl, executors (in-process, local processes, a real Dask cluster),
interruption and resumption, failures, report.

The runs use a small synthetic ``imdb.npz`` written by the tests (a few hundred short
reviews), so that each run takes a fraction of a second and no data files are needed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from numrnn.experiments import sweep as sw
from numrnn.experiments.__main__ import main
from numrnn.experiments.imdb import run_experiment
from numrnn.experiments.results_log import ResultsLog, run_key
from numrnn.experiments.settings import (
    TUTORIAL,
    grid_configs,
    normalise,
    read_sweep_file,
    swept_settings,
)

ROOT = Path(__file__).resolve().parents[1]


def _reviews(rng, n, vocab=400):
    """Reviews whose label is whether word 10 occurs more often than word 11."""
    x = np.empty(n, dtype=object)
    y = np.empty(n, dtype=np.int64)
    for i in range(n):
        review = [1, *rng.integers(4, vocab, rng.integers(5, 60)).tolist()]
        y[i] = int(review.count(10) + (i % 3 == 0) > review.count(11))
        x[i] = review
    return x, y


@pytest.fixture(scope="module")
def npz(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = _reviews(rng, 1200), _reviews(rng, 300)
    path = tmp_path_factory.mktemp("data") / "imdb.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _figures(records: list[dict]) -> dict:
    """key -> the numbers of a run (what must not depend on the executor)."""
    return {run_key(r["config"], r["seed"]): (r["best_val_acc"], r["test_acc"], r["test_loss"],
                                              r["epochs"], r["val_acc"]) for r in records}


SMALL = ["--model", "ff", "lstm4", "--maxlen", "10", "20", "--epochs", "2", "--seeds", "2",
         "--num-train", "400", "--num-test", "200"]


def _sweep(npz, out, *extra) -> int:
    return main(["sweep", "imdb", "--data", str(npz), "--out", str(out), *SMALL, *extra])


@pytest.fixture(scope="module")
def inline_records(npz, tmp_path_factory):
    out = tmp_path_factory.mktemp("inline")
    assert _sweep(npz, out, "--workers", "0") == 0
    return _records(out)


# ---- grid and settings ------------------------------------------------------------------

def test_grid_product_normalised_once_each():
    configs = grid_configs({"model": ["ff", "lstm1", "lstm32"], "units": [32, 128],
                            "cell": ["lstm", "gru"]})
    # ff: no cell, no units -> 1; lstm1: its unit is fixed -> 2 cells; lstm32: 2 x 2
    assert [c["model"] for c in configs].count("ff") == 1
    assert [c["model"] for c in configs].count("lstm1") == 2
    assert [c["model"] for c in configs].count("lstm32") == 4
    tutorial = normalise({**TUTORIAL, "model": "lstm32"})
    assert tutorial in configs  # units=32 is lstm32's own width, spelt as null
    assert {c["units"] for c in configs if c["model"] == "lstm32"} == {None, 128}
    assert swept_settings({"model": ["ff"], "maxlen": [20, 100], "cell": ["gru"]}) == ["maxlen"]


@pytest.mark.parametrize("grid, match", [
    ({"maxlen": [0]}, "maxlen=0; accepted: an int >= 1"),
    ({"cell": ["rnn"]}, "cell='rnn'; accepted: lstm, gru, simple_rnn"),
    ({"dropout": [0.5]}, "unknown setting 'dropout'"),
    ({"lr": [True]}, "lr=True"),
    ({"maxlen": []}, "non-empty list"),
])
def test_grid_rejects_bad_values(grid, match):
    with pytest.raises(ValueError, match=match):
        grid_configs(grid)


def test_sweep_file_toml_and_json(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('seeds = 3\n[grid]\nmodel = ["ff", "lstm4"]\nmaxlen = [20, 100]\nepochs = 5\n')
    spec = read_sweep_file(toml)
    assert spec["seeds"] == 3 and spec["grid"]["epochs"] == [5]
    assert len(grid_configs(spec["grid"])) == 4
    js = tmp_path / "s.json"
    js.write_text(json.dumps({"grid": {"cell": ["gru"]}, "sede": 3}))
    with pytest.raises(ValueError, match=r"unknown keys \['sede'\]"):
        read_sweep_file(js)
    js.write_text(json.dumps({"grid": {"batch_size": [0]}}))
    with pytest.raises(ValueError, match="batch_size=0"):
        read_sweep_file(js)


def test_command_line_errors(npz, tmp_path, capsys):
    for argv, message in ((["--maxlen", "0"], "maxlen=0"), (["--cell", "rnn"], "cell='rnn'"),
                          (["--maxlen", "twenty"], "--maxlen twenty"),
                          (["--seeds", "0"], "--seeds 0")):
        with pytest.raises(SystemExit) as exc:
            main(["sweep", "imdb", "--out", str(tmp_path), *argv])
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "results.jsonl").exists()


# ---- results.jsonl ----------------------------------------------------------------------

def _record(seed, **kw):
    return {"config": {"model": "ff"}, "seed": seed, "best_val_acc": 0.5, "test_acc": 0.5,
            "epochs": 1, "seconds": 0.1, "error": None, **kw}


def test_results_log_appends_whole_lines_and_drops_a_truncated_tail(tmp_path):
    path = tmp_path / "results.jsonl"
    with ResultsLog(path) as log:
        log.append(_record(0))
        log.append(_record(1))
        with pytest.raises(ValueError, match="lacks"):
            log.append({"config": {}, "seed": 2})
    whole = path.read_bytes()
    assert whole.count(b"\n") == 2
    # a crash mid-write: part of a third line, no newline
    path.write_bytes(whole + b'{"config": {"model": "ff"}, "seed": 2, "best_va')
    log = ResultsLog(path).load()
    assert sorted(r["seed"] for r in log.records.values()) == [0, 1]
    assert "truncated last line (47 bytes" in log.notes[0]
    assert path.read_bytes() == whole  # the fragment is gone; the next line starts clean
    with log:
        log.append(_record(2, error="ValueError: x"))
    path.write_bytes(path.read_bytes() + b"not json\n")
    log = ResultsLog(path).load()
    assert sorted(r["seed"] for r in log.records.values()) == [0, 1, 2]
    assert log.notes == [f"{path}:4: ignored a line that is not a run record"]


# ---- the runs -----------------------------------------------------------------------------

def test_tutorial_configuration_is_run_experiment(npz):
    """The sweep's run of the tutorial's setting is `run_experiment`, number for number."""
    from numrnn.datasets import imdb

    raw = imdb.load_data(npz)
    for model in ("ff", "lstm32"):
        config = normalise({**TUTORIAL, "model": model, "epochs": 2})
        data = sw.prepare(raw, sw.preprocessing_of(config))
        ours = sw.train(config, 3, data)
        theirs = run_experiment(model, ((data.x_train, data.y_train),
                                        (data.x_test, data.y_test), data.num_words), 3, 2, 0)
        assert ours["best_val_acc"] == theirs.best_val_acc
        assert ours["test_acc"] == theirs.test_acc
        assert ours["val_acc"] == theirs.history["val_acc"]
        assert ours["params"] == theirs.params


def test_prepare_pads_subsets_and_caps_words(npz):
    from numrnn.datasets import imdb

    raw = imdb.load_data(npz)
    data = sw.prepare(raw, (7, None, 50, 20))  # maxlen, num_words, num_train, num_test
    assert data.x_train.shape == (50, 7) and data.x_test.shape == (20, 7)
    assert data.x_train[0].tolist() == raw[0][0][0][-7:]  # the last 7 tokens
    assert data.num_words == max(data.x_train.max(), data.x_test.max()) + 1
    capped = sw.prepare(raw, (7, 100, 50, 20))
    assert capped.num_words == 100
    np.testing.assert_array_equal(capped.x_train, np.where(data.x_train >= 100, 2, data.x_train))


def test_a_failing_run_is_recorded_and_the_others_finish(npz, tmp_path, capsys):
    # validation_split 0.999 of 400 reviews leaves none to train on: fit raises
    argv = ["--validation-split", "0.2", "0.999", "--workers", "2"]
    assert _sweep(npz, tmp_path, *argv) == 1
    records = _records(tmp_path)
    assert len(records) == 16
    failed = [r for r in records if r["error"]]
    assert len(failed) == 8
    assert all(r["config"]["validation_split"] == 0.999 for r in failed)
    assert all("validation_split=0.999 leaves 0 of 400 samples" in r["error"] for r in failed)
    assert all(r["best_val_acc"] > 0 for r in records if not r["error"])
    report = (tmp_path / "report.md").read_text()
    assert "## Failed runs" in report and "leaves 0 of 400 samples" in report
    capsys.readouterr()
    # done is done, failed or not, unless asked to retry the failures
    assert _sweep(npz, tmp_path, *argv) == 1
    assert "resuming: 16 of 16 runs" in capsys.readouterr().out
    assert len(_records(tmp_path)) == 16
    assert _sweep(npz, tmp_path, *argv, "--retry-failed") == 1
    assert len(_records(tmp_path)) == 24


def test_two_worker_processes_give_the_inline_numbers(npz, tmp_path, inline_records, capsys):
    assert _sweep(npz, tmp_path, "--workers", "2") == 0
    out, err = capsys.readouterr()
    assert "running 8 runs on 2 local worker processes" in out
    assert "[8/8 runs done] elapsed" in err and "ETA 0s" in err
    records = _records(tmp_path)
    assert len({r["host"] for r in records}) == 1
    assert _figures(records) == _figures(inline_records)
    # the table, the report and one plot per swept choice (besides the model)
    assert "lstm4 20" in out and "<- tutorial" not in out  # epochs 2 is not the tutorial's
    report = (tmp_path / "report.md").read_text()
    assert "| model | maxlen | runs | best val_acc |" in report
    assert "![val_acc_by_maxlen](report/val_acc_by_maxlen.png)" in report
    assert (tmp_path / "report" / "val_acc_by_maxlen.png").read_bytes()[:4] == b"\x89PNG"


def test_dask_local_cluster_gives_the_inline_numbers(npz, tmp_path, inline_records, capsys):
    import distributed  # the test extra installs it: numrnn[cluster]

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = set(client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids  # real worker processes
        assert _sweep(npz, tmp_path, "--scheduler", cluster.scheduler_address) == 0
        # the two preprocessings (maxlen 10 and 20) reached each worker once, not per run
        received = client.run(lambda: dict(sw.RECEIVED))
        assert [sorted(r.values()) for r in received.values()] == [[1, 1], [1, 1]], received
    out = capsys.readouterr().out
    assert "Dask cluster at tcp://" in out and "(2 workers)" in out
    assert _figures(_records(tmp_path)) == _figures(inline_records)


def test_scheduler_without_distributed_says_how_to_install(npz, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    assert _sweep(npz, tmp_path, "--scheduler", "tcp://127.0.0.1:9") == 2
    assert "pip install 'numrnn[cluster]'" in capsys.readouterr().err


# ---- interruption ---------------------------------------------------------------------------

def _start(npz, out) -> subprocess.Popen:
    argv = [sys.executable, "-m", "numrnn.experiments", "sweep", "imdb", "--data", str(npz),
            "--out", str(out), "--model", "lstm32", "--maxlen", "30", "40", "--seeds", "4",
            "--epochs", "3", "--workers", "2"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)


def _wait_for_lines(out: Path, n: int, proc: subprocess.Popen) -> int:
    path = out / "results.jsonl"
    while proc.poll() is None:
        if path.exists() and path.read_bytes().count(b"\n") >= n:
            return path.read_bytes().count(b"\n")
        time.sleep(0.05)
    raise AssertionError(f"the sweep ended before {n} runs: {proc.communicate()}")


def test_interrupted_sweeps_resume_with_nothing_lost_or_repeated(npz, tmp_path, capsys):
    # 1. Ctrl-C after two runs: the parent stops the workers and says how to resume
    proc = _start(npz, tmp_path)
    _wait_for_lines(tmp_path, 2, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "Run the same command to resume" in err
    first = (tmp_path / "results.jsonl").read_bytes()
    assert 2 <= first.count(b"\n") < 8 and first.endswith(b"\n")
    # 2. SIGKILL of the sweep and its workers, after at least one more run
    proc = _start(npz, tmp_path)
    _wait_for_lines(tmp_path, first.count(b"\n") + 1, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    second = (tmp_path / "results.jsonl").read_bytes()
    assert second.startswith(first) and second.count(b"\n") < 8
    # 3. as if the machine had died mid-write: half a line at the end
    (tmp_path / "results.jsonl").write_bytes(second + second.splitlines()[0][:30])
    capsys.readouterr()
    assert main(["sweep", "imdb", "--data", str(npz), "--out", str(tmp_path), "--model",
                 "lstm32", "--maxlen", "30", "40", "--seeds", "4", "--epochs", "3",
                 "--workers", "0"]) == 0
    out, err = capsys.readouterr()
    assert "ignored a truncated last line" in err
    done_before = second.count(b"\n")
    assert f"resuming: {done_before} of 8 runs" in out
    final = (tmp_path / "results.jsonl").read_bytes()
    assert final.startswith(second)
    records = _records(tmp_path)
    keys = [run_key(r["config"], r["seed"]) for r in records]
    assert len(keys) == len(set(keys)) == 8  # nothing lost, nothing repeated
    assert all(r["error"] is None for r in records)


def test_local_workers_use_one_blas_thread_and_get_the_shared_data():
    from threadpoolctl import threadpool_info

    from numrnn.experiments.executors import ProcessExecutor, SharedRef, resolve

    with ProcessExecutor(1) as ex:
        handles = ex.share({"k": np.arange(3)})
        assert handles == {"k": SharedRef("k")}
        blas = [p for p in ex.submit(threadpool_info).result() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
        assert ex.submit(resolve, handles["k"]).result().tolist() == [0, 1, 2]
        with pytest.raises(RuntimeError, match="share first"):
            ex.share({"later": 1})


def test_progress_line(monkeypatch):
    clock = iter([100.0, 160.0])
    monkeypatch.setattr(sw.time, "perf_counter", lambda: next(clock))
    progress = sw.Progress(total=10, already=4)
    progress.done, progress.failed = 7, 1  # 3 runs in 60 s: 3 left -> 1 minute
    assert progress.line() == "[7/10 runs done, 1 failed] elapsed 1m00s, ETA 1m00s"
