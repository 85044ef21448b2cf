"""IMDB loading with Keras semantics, the tutorial snippet verbatim, and the experiments command.

These read ``imdb.npz`` from ``$NUMRNN_DATA`` (CI: ../shared/data)."""

import io
import json
import re
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
import pytest

pytestmark = pytest.mark.data

TUTORIAL = """
from numrnn.datasets import imdb
from numrnn.preprocessing.sequence import pad_sequences
from numrnn.models import Sequential
from numrnn.layers import Dense, Embedding, Flatten, LSTM
from numrnn.optimizers import RMSprop
from numrnn.callbacks import EarlyStopping

(x_train, y_train), (x_test, y_test) = imdb.load_data()
x_train_seq = pad_sequences(x_train, 20)
NUM_WORDS = x_train_seq.max() + 1                      # 88579
rnn = Sequential()
rnn.add(Embedding(input_dim=NUM_WORDS, output_dim=8, input_length=20))
rnn.add(LSTM(1, activation='sigmoid', return_sequences=False))
rnn.summary()                                          # Total params: 708,672
rnn.compile(optimizer=RMSprop(), loss='binary_crossentropy', metrics=['accuracy'])
history = rnn.fit(x_train_seq, y_train, epochs=30, batch_size=128, validation_split=0.2,
                  callbacks=[EarlyStopping(monitor='val_acc')])
"""


@pytest.fixture(scope="module")
def data(request):
    import os
    from pathlib import Path

    if not (Path(os.environ.get("NUMRNN_DATA", "/nonexistent")) / "imdb.npz").is_file():
        pytest.fail("data tests need NUMRNN_DATA=/folder/with/imdb.npz")
    from numrnn.datasets import imdb

    return imdb.load_data()


def test_load_data_keras_semantics(data):
    from numrnn.preprocessing.sequence import pad_sequences

    (x_train, y_train), (x_test, y_test) = data
    assert len(x_train) == len(x_test) == 25000
    assert x_train.dtype == object and isinstance(x_train[0], list)
    assert set(np.unique(y_train)) == {0, 1}
    x_train_seq = pad_sequences(x_train, 20)
    # figures from the shared reference (keras21_semantics.md, "Project note")
    assert x_train_seq[0].tolist() == [65, 16, 38, 1334, 88, 12, 16, 283, 5, 16, 4472, 113,
                                       103, 32, 15, 16, 5345, 19, 178, 32]
    assert y_train[0] == 1
    assert x_train_seq.max() + 1 == 88579
    assert pad_sequences(x_test, 20).max() + 1 == 88575
    assert all(s[0] == 1 for s in x_train[:100])          # start char
    flat = np.concatenate([np.array(s) for s in x_train[:2000]])
    assert 3 not in flat                                    # ranks start at 1, so id 3 never occurs


def test_load_data_options(data, imdb_dir):
    from numrnn.datasets import imdb

    (x_train, _), _ = data
    (small, _), (small_test, _) = imdb.load_data(num_words=100, skip_top=5)
    for full, cut in zip(x_train[:50], small[:50]):
        assert len(full) == len(cut)
        assert all(c == (f if 5 <= f < 100 else 2) for f, c in zip(full, cut))
    (dropped, _), _ = imdb.load_data(num_words=100, oov_char=None)
    assert all(all(w < 100 for w in s) for s in dropped[:50])
    (short, y_short), (short_test, _) = imdb.load_data(maxlen=50)
    assert 0 < len(short) < 25000 and len(short) == len(y_short)
    assert all(len(s) < 50 for s in short) and all(len(s) < 50 for s in short_test)
    (other, _), _ = imdb.load_data(seed=1)
    assert other[0] != x_train[0]
    (by_path, _), _ = imdb.load_data(path=imdb_dir / "imdb.npz")
    assert by_path[0] == x_train[0]
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        imdb.load_data(max_len=3)


def test_word_index(data):
    from numrnn.datasets import imdb

    index = imdb.get_word_index()
    assert index["the"] == 1
    (x_train, _), _ = data
    reverse = {rank + 3: word for word, rank in index.items()}
    words = [reverse.get(i, "?") for i in x_train[0][1:]]
    assert sum(w != "?" for w in words) > 0.9 * len(words)


def test_tutorial_snippet_runs_unchanged(capsys):
    namespace = {}
    exec(compile(TUTORIAL, "tutorial", "exec"), namespace)
    out = capsys.readouterr().out
    assert namespace["NUM_WORDS"] == 88579
    assert "Total params: 708,672" in out
    assert "Train on 20000 samples, validate on 5000 samples" in out
    history = namespace["history"]
    val_acc = history.history["val_acc"]
    assert 1 <= len(val_acc) <= 30
    if len(val_acc) < 30:  # stopped by EarlyStopping(patience=0): the last epoch did not improve
        assert val_acc[-1] <= max(val_acc[:-1])
    assert max(val_acc) > 0.65


def test_experiments_command(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "numrnn.experiments", "imdb", "ff", "--epochs", "2", "--seeds",
         "2", "--out", str(tmp_path), "--verbose", "0"],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^ff +708,793 +2 +2 ", result.stdout, re.MULTILINE)
    record = json.loads((tmp_path / "results.json").read_text())
    assert record["command"].startswith("python -m numrnn.experiments imdb ff")
    assert [r["seed"] for r in record["runs"]] == [0, 1]
    assert all(r["epochs_run"] <= 2 for r in record["runs"])
    assert record["summary"][0]["median_best_val_acc"] > 0.6


def test_experiments_command_rejects_unknown_names():
    result = subprocess.run([sys.executable, "-m", "numrnn.experiments", "imdb", "gru9"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "unknown experiment 'gru9'" in result.stderr


def test_summary_of_all_four(data):
    from numrnn.experiments import build_model, load_imdb

    *_, num_words = load_imdb()
    out = io.StringIO()
    with redirect_stdout(out):
        for name in ("ff", "lstm1", "lstm32", "lstm4"):
            build_model(name, num_words).summary()
    text = out.getvalue()
    for total in ("708,793", "708,672", "713,913", "708,921"):
        assert f"Total params: {total}" in text
