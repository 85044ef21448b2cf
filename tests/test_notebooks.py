"""Every notebook in docs/notebooks runs top to bottom (quick mode), in English and Korean.

The notebooks are jupytext text files (percent format); nbclient executes them in a fresh
kernel with NUMRNN_NOTEBOOK_QUICK=1, which makes each one train less. The Korean and English
notebooks differ only in their text: the test checks that their code cells are identical.
Needs ``pip install 'numrnn[notebooks]'`` (jupytext, nbclient, ipykernel).
"""

import os
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "docs" / "notebooks"
NAMES = sorted(p.stem for p in (NOTEBOOKS / "en").glob("*.py"))


def code_cells(path: Path) -> list[str]:
    return [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]


def test_one_notebook_per_guide_section_in_both_languages():
    assert len(NAMES) == 7
    assert sorted(p.stem for p in (NOTEBOOKS / "ko").glob("*.py")) == NAMES
    for name in NAMES:
        assert code_cells(NOTEBOOKS / "ko" / f"{name}.py") == \
            code_cells(NOTEBOOKS / "en" / f"{name}.py"), name


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, lang, monkeypatch):
    if name == "07_imdb":
        data = os.environ.get("NUMRNN_DATA")
        if not data or not (Path(data) / "imdb.npz").is_file():
            pytest.skip("NUMRNN_DATA does not point at imdb.npz")
    path = NOTEBOOKS / lang / f"{name}.py"
    notebook = jupytext.read(path)
    root = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("NUMRNN_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    if lang == "ko":  # same code as the English notebook, which drives the browser already
        monkeypatch.setenv("NUMRNN_NOTEBOOK_SKIP_BROWSER", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get(
        "PYTHONPATH")])))
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert outputs, "the notebook printed or drew nothing"
