"""imdb.load_data on untrusted or damaged files: no code runs, every defect is named.

The files here are small IMDB-format files made by the tests themselves, so these tests need
no data folder.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from numrnn.datasets import imdb
from numrnn.utils.safe_npz import UnsafeFileError, load_npz


def _reviews(*seqs) -> np.ndarray:
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


def _write_imdb(path: Path, **override) -> Path:
    arrays = {
        "x_train": _reviews([1, 2, 3], [4, 5], [6, 7, 8, 9], [2]),
        "y_train": np.array([0, 1, 1, 0]),
        "x_test": _reviews([3, 2, 1], [5, 4, 3, 2]),
        "y_test": np.array([1, 0]),
    }
    arrays.update(override)
    for key in [k for k, v in arrays.items() if v is None]:
        del arrays[key]
    np.savez(path, **arrays)
    return path


class _RunsCode:
    """Unpickling this calls ``open(marker, 'w')``: it creates a file, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _npy_bytes_with_pickle(payload) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    pickle.dump(payload, buf, protocol=4)
    return buf.getvalue()


def test_crafted_object_array_is_refused_before_any_code_runs(tmp_path):
    marker = tmp_path / "code-ran"
    good = _write_imdb(tmp_path / "good.npz")
    path = tmp_path / "imdb.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for name in src.namelist():  # x_train becomes a pickle that runs code
            dst.writestr(name, _npy_bytes_with_pickle(_RunsCode(marker))
                         if name == "x_train.npy" else src.read(name))
    with pytest.raises(UnsafeFileError, match=r"imdb\.npz \[x_train\.npy\].*names io\.open"):
        imdb.load_data(path)
    assert not marker.exists()


def test_a_plain_pickle_under_the_npz_name_is_refused_without_running(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "imdb.npz"
    path.write_bytes(pickle.dumps(_RunsCode(marker)))
    with pytest.raises(ValueError, match=r"imdb\.npz: not an \.npz file"):
        imdb.load_data(path)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"<html><body>Access denied</body></html>", b"",
                                     b"PK\x03\x04 truncated"])
def test_html_empty_or_truncated_file_is_named(tmp_path, content):
    path = tmp_path / "imdb.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=str(path).replace(".", r"\.")):
        imdb.load_data(path)


def test_truncated_real_zip_is_named(tmp_path):
    good = _write_imdb(tmp_path / "good.npz").read_bytes()
    path = tmp_path / "imdb.npz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="imdb.npz"):
        imdb.load_data(path)


def test_float_ids_are_an_error_not_truncated(tmp_path):
    path = _write_imdb(tmp_path / "imdb.npz", x_train=_reviews([1.7, 2.2, 3.9], [1], [2], [3]))
    with pytest.raises(ValueError, match="x_train holds word ids of type float"):
        imdb.load_data(path)


def test_huge_and_negative_ids_are_named(tmp_path):
    path = _write_imdb(tmp_path / "a.npz", x_test=_reviews([1, 10**20], [2]))
    with pytest.raises(ValueError, match="does not fit in int64"):
        imdb.load_data(path)
    path = _write_imdb(tmp_path / "b.npz", x_test=_reviews([1, -4], [2]))
    with pytest.raises(ValueError, match="word id -4"):
        imdb.load_data(path)


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 1, 2, 0]), r"y_train\[2\] is 2; accepted: labels 0 or 1"),
    (np.array([0, 1, 1]), "x_train has 4 reviews but y_train has 3 labels"),
    (np.array([0.0, 1.0, 1.0, 0.0]), "y_train has shape .* dtype float64"),
])
def test_wrong_labels_are_named(tmp_path, labels, message):
    path = _write_imdb(tmp_path / "imdb.npz", y_train=labels)
    with pytest.raises(ValueError, match=message):
        imdb.load_data(path)


def test_missing_array_is_named(tmp_path):
    path = _write_imdb(tmp_path / "imdb.npz", y_test=None)
    with pytest.raises(ValueError, match=r"lacks \['y_test'\]"):
        imdb.load_data(path)


def test_maxlen_that_empties_one_split_is_an_error(tmp_path):
    # training reviews are 2..5 tokens with the start char, test reviews 4 and 5
    path = _write_imdb(tmp_path / "imdb.npz")
    with pytest.raises(ValueError, match="maxlen=4: no test review"):
        imdb.load_data(path, maxlen=4)
    (x_train, _), (x_test, _) = imdb.load_data(path, maxlen=5)
    assert len(x_train) == 3 and len(x_test) == 1


def test_a_folder_without_trailing_slash_is_a_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMRNN_DATA", raising=False)
    folder = tmp_path / "data"
    folder.mkdir()
    _write_imdb(folder / "imdb.npz")
    (x_train, y_train), _ = imdb.load_data(str(folder))  # no trailing slash
    assert sorted(map(len, x_train)) == [2, 3, 4, 5]
    (x_train2, _), _ = imdb.load_data(str(folder) + "/")
    assert [list(r) for r in x_train2] == [list(r) for r in x_train]


def test_a_locally_rebuilt_file_loads_whatever_its_checksum(tmp_path):
    path = _write_imdb(tmp_path / "imdb.npz")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path, seed=0)
    assert len(x_train) == 4 and len(x_test) == 2
    # ranks shifted by index_from=3, start char 1 in front
    assert sorted(tuple(r) for r in x_test) == [(1, 6, 5, 4), (1, 8, 7, 6, 5)]


def test_load_npz_reads_plain_and_object_arrays(tmp_path):
    path = _write_imdb(tmp_path / "imdb.npz")
    arrays = load_npz(path)
    assert sorted(arrays) == ["x_test", "x_train", "y_test", "y_train"]
    assert arrays["x_train"][2] == [6, 7, 8, 9] and arrays["y_train"].tolist() == [0, 1, 1, 0]


def test_experiments_data_folder_without_trailing_slash(tmp_path, monkeypatch):
    """``python -m numrnn.experiments imdb --data DIR`` passes DIR to load_imdb (issue 8.13)."""
    from numrnn.experiments.imdb import load_imdb

    monkeypatch.delenv("NUMRNN_DATA", raising=False)
    folder = tmp_path / "data"
    folder.mkdir()
    _write_imdb(folder / "imdb.npz")
    (x_train, y_train), (x_test, _), num_words = load_imdb(str(folder))
    assert x_train.shape == (4, 20) and x_test.shape == (2, 20)
    assert num_words == 12  # the largest id, 8 + index_from 3, plus 1
