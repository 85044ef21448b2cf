"""examples/generate_korean.py: the sampling functions, and every number its --quick run prints."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "generate_korean.py"


def load():
    spec = importlib.util.spec_from_file_location("generate_korean", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gk = load()


def test_temperature_divides_the_logits():
    p = np.array([0.5, 0.3, 0.15, 0.05])
    z = np.log(p) + 7.0                                 # logits, up to a constant
    for t in (0.3, 1.0, 2.5):
        expected = np.exp(z / t) / np.exp(z / t).sum()
        np.testing.assert_allclose(gk.apply_temperature(p, t), expected, rtol=1e-12)
    np.testing.assert_allclose(gk.apply_temperature(p, 1.0), p, rtol=1e-12)
    np.testing.assert_array_equal(gk.apply_temperature(p, 0), [1, 0, 0, 0])
    np.testing.assert_allclose(gk.apply_temperature(p, 0.01), [1, 0, 0, 0], atol=1e-20)
    assert np.all(np.diff(gk.apply_temperature(p, 1e6)) > -1e-6)   # T -> inf: uniform
    with pytest.raises(ValueError, match="temperature=-1"):
        gk.apply_temperature(p, -1)


def test_top_k_keeps_the_k_largest():
    p = np.array([0.1, 0.4, 0.05, 0.3, 0.15])
    np.testing.assert_allclose(gk.keep_top_k(p, 2), [0, 0.4 / 0.7, 0, 0.3 / 0.7, 0])
    np.testing.assert_array_equal(gk.keep_top_k(p, 1), [0, 1, 0, 0, 0])
    np.testing.assert_allclose(gk.keep_top_k(p, 0), p)
    np.testing.assert_allclose(gk.keep_top_k(p, 9), p)
    # order does not matter: top-k then temperature == temperature then top-k
    np.testing.assert_allclose(gk.sampling_distribution(p, 0.5, 3),
                               gk.apply_temperature(gk.keep_top_k(p, 3), 0.5), rtol=1e-12)
    with pytest.raises(ValueError, match="top_k=-2"):
        gk.keep_top_k(p, -2)


def test_samples_follow_the_sampling_distribution():
    p = np.array([0.6, 0.25, 0.1, 0.05])
    q = gk.sampling_distribution(p, 2.0, 3)
    rng = np.random.default_rng(1)
    draws = [int(rng.choice(4, p=q)) for _ in range(4000)]
    freq = np.bincount(draws, minlength=4) / len(draws)
    assert freq[3] == 0
    np.testing.assert_allclose(freq, q, atol=0.03)


STEP = re.compile(r"^\s+(\d+)  \"(.*)\"\s+((?:'.' \d\.\d{4}->\d\.\d{4}\s+)+)'(.)'$")
CAND = re.compile(r"'(.)' (\d\.\d{4})->(\d\.\d{4})")


def test_quick_run_prints_what_it_computed(capsys):
    result = gk.main(["--quick"])
    out = capsys.readouterr().out
    text, chars = result["text"], result["chars"]
    assert set(chars) == set(text)
    assert f"{len(text)} characters, {len(chars)} different" in out
    assert f"{len(text)} windows of {gk.WINDOW} -> next character; 60 epochs" in out
    assert f"loss {result['loss']:.4f}, next-character accuracy {result['acc']:.4f}" in out

    # --- the step-by-step trace (temperature 0.8, top-k 5) ---
    steps = [STEP.match(line) for line in out.splitlines()]
    steps = [m for m in steps if m]
    assert [int(m[1]) for m in steps] == list(range(1, 13))
    generated, context = "국", None
    for m, (ctx, p, q, k) in zip(steps, result["trace"], strict=True):
        cands = [(c, float(pp), float(qq)) for c, pp, qq in CAND.findall(m[3])]
        assert len(cands) == gk.SHOWN
        shown_p = [pp for _, pp, _ in cands]
        shown_q = [qq for _, _, qq in cands]
        assert shown_p == sorted(shown_p, reverse=True)        # sorted, most likely first
        assert sum(shown_p) <= 1 + 3e-4                         # 5 roundings of 5e-5
        assert sum(shown_q) == pytest.approx(1, abs=3e-4)       # top-k 5: all of q is shown
        # q is p^(1/T) renormalised over the five shown (an independent formula)
        idx = [chars.index(c) for c, _, _ in cands]
        weights = p[idx] ** (1 / 0.8)
        np.testing.assert_allclose(shown_q, weights / weights.sum(), atol=6e-5)
        np.testing.assert_allclose(shown_q, q[idx], atol=6e-5)   # what was sampled from
        np.testing.assert_allclose(shown_p, p[idx], atol=6e-5)
        drawn = m[4]
        assert drawn == chars[k] and drawn in [c for c, _, _ in cands]
        assert m[2] == ctx == generated[-gk.WINDOW:]            # the context is the text so far
        generated += drawn
        context = ctx
    assert context is not None
    assert f'generated: "{generated}"' in out and generated == result["traced"]
    assert generated.startswith("국민대학")                     # the chapter's example

    # --- the temperature table, recomputed from the least sure step's p ---
    entropies = [-(p * np.log(p)).sum() for _, p, _, _ in result["trace"]]
    least_sure = result["trace"][int(np.argmax(entropies))]
    assert f'The least sure step (context "{least_sure[0]}")' in out
    p = least_sure[1]
    order = np.argsort(-p)[:3]
    table, samples_part = out.split("The least sure step")[1].split("Samples of")
    tops = []
    for t in (0.5, 1, 2):
        line = next(line for line in table.splitlines() if line.startswith(f"  T = {t:<4g}"))
        printed = [float(v) for _, v in re.findall(r"'(.)' (\d\.\d{4})", line)]
        expected = p[order] ** (1 / t) / (p ** (1 / t)).sum()
        np.testing.assert_allclose(printed, expected, atol=6e-5)
        tops.append(printed[0])
    assert tops[0] >= tops[1] >= tops[2]              # T < 1 sharpens, T > 1 flattens

    # --- the samples ---
    lines = {name: next(line for line in samples_part.splitlines()
                        if line.startswith(f"  {name} "))
             for name in result["samples"]}
    looped = text * 3
    for name, sample in result["samples"].items():
        share, printed = re.search(r"(\d\.\d\d)  \"(.*)\"$", lines[name]).groups()
        assert printed == sample and len(sample) == 41 and sample[0] == "국"
        assert set(sample) <= set(chars)                 # only characters of the vocabulary
        pieces = [sample[s : s + 4] for s in range(len(sample) - 3)]
        assert float(share) == pytest.approx(
            sum(piece in looped for piece in pieces) / len(pieces), abs=0.005)
    greedy = result["samples"]["greedy (T = 0)"]
    assert greedy == result["samples"]["top-k 1"]
    # the quick run memorised its two sentences: greedy decoding reproduces them
    assert greedy == looped[:41] and greedy.startswith("국민대학 학생들은 순환 신경망을 배운다.")
    assert result["memorised"]
    assert ("greedy and top-k 1 give the same text: yes; the greedy text is a passage of the "
            "training text: yes") in out


def test_bad_arguments_are_refused(capsys):
    for argv, message in ((["--temperature", "-1"], "--temperature -1"),
                          (["--top-k", "-3"], "--top-k -3"),
                          (["--epochs", "0"], "--epochs 0"),
                          (["--quick", "--start", "가"], "not in the training text")):
        with pytest.raises(SystemExit):
            gk.main(argv)
        assert message in capsys.readouterr().err
