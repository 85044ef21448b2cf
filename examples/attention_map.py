"""Where does each syllable look? The seq2seq attention map, with a colour bar and Hangul labels.

What it teaches: how to read an attention map. It trains examples/seq2seq.py's model with
attention (reading numbers aloud in Korean), decodes a 7-digit test number, and draws the
weights a_kj: one row per output syllable k, one column per input digit j, each row summing
to 1. Hangul labels need a Korean font (e.g. fonts-nanum); without one the syllables are
romanised (baek, chil, ...) so the picture stays readable.

    python examples/attention_map.py                        # ~30 s; examples/output/
    python examples/attention_map.py --plot-dir docs/images # the guide's figure
    python examples/attention_map.py --quick                # tiny training, for the tests
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import seq2seq as s2s  # examples/seq2seq.py, next to this file

OUTPUT = Path(__file__).resolve().parent / "output"
HANGUL_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR",
                "UnDotum", "Malgun Gothic")


def hangul_font() -> str | None:
    """The first installed Korean font matplotlib knows, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in HANGUL_FONTS if n in names), None)


def plot(weights: np.ndarray, digits: str, reading: str, plot_dir: Path) -> tuple[Path, bool]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = hangul_font()
    labels = [s if font else s2s.ROMAN[s] for s in reading] + ["</s>"]
    shown = weights[: len(labels), : len(digits)]
    with plt.rc_context({"font.family": font} if font else {}):
        fig, ax = plt.subplots(figsize=(6.4, 5.2))
        image = ax.imshow(shown, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(digits)), list(digits))
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("input digit j (encoder step)")
        ax.set_ylabel("output syllable k (decoder step)" + ("" if font else ", romanised"))
        ax.set_title(f"attention a_kj while reading {digits} -> {reading}", fontsize=10)
        fig.colorbar(image, ax=ax, label="weight a_kj (each row sums to 1)")
        fig.tight_layout()
        out = plot_dir / "seq2seq_attention_map.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=80)
        plt.close(fig)
    return out, font is not None


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="1,000 pairs and 1 epoch")
    p.add_argument("--plot-dir", type=Path, default=OUTPUT, help=f"default {OUTPUT}")
    args = p.parse_args(argv)
    n_train, epochs = (1000, 1) if args.quick else (8000, 12)
    x, y_in, y_out, _, _ = s2s.make_data(n_train, np.random.default_rng(0))
    x_test, _, _, numbers, readings = s2s.make_data(1400, np.random.default_rng(1))
    _, encoder, step = s2s.train(True, (x, y_in, y_out), epochs)
    predicted, weights = s2s.decode(encoder, step, x_test)
    k = int(np.argmax([len(str(v)) for v in numbers]))
    out, hangul = plot(weights[k], str(numbers[k]), predicted[k], args.plot_dir)
    print(f"read {numbers[k]} as {predicted[k]} (right: {readings[k]})")
    print(f"wrote {out} ({'Hangul labels' if hangul else 'romanised labels: no Korean font'})")
    return {"weights": weights[k], "number": str(numbers[k]), "predicted": predicted[k],
            "path": out, "hangul": hangul}


if __name__ == "__main__":
    main()
