"""Train an LSTM sentiment model on reviews collected with numrnn.scraper.

What it teaches: the chapter's scraping section end to end. Scraped rows (score, text)
become labels (score >= 40 is positive), a Tokenizer turns the Korean texts into ids
(per character by default: Hangul syllables are shared between words, which helps on
little data), pad_sequences makes them one length, and Embedding -> LSTM -> Dense learns.
The last 20% of the rows are held out and the accuracy on them is reported.

    python -m numrnn.scraper.demo_site &                     # a local imitation site
    python -m numrnn.scraper --urls-file urls.txt --workers 2 -o reviews.csv
    python examples/scrape_and_train.py reviews.csv

    python examples/scrape_and_train.py --demo               # all of the above in one go

``--demo`` scrapes the demo site's six generated restaurants (216 reviews) with two
browsers in parallel; the held-out rows are those of the last restaurants, so the
accuracy measures reviews of restaurants the model never saw.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numrnn
from numrnn.layers import LSTM, Dense, Embedding
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop
from numrnn.preprocessing.sequence import pad_sequences
from numrnn.preprocessing.text import Tokenizer
from numrnn.scraper import load_reviews, scores_to_labels


def scrape_demo_site(folder: Path, workers: int = 2) -> Path:
    from numrnn.scraper import ScrapeWarning, demo_site, scrape_many

    server, _ = demo_site.serve()
    urls = demo_site.restaurant_urls(server)
    out = folder / "reviews.csv"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScrapeWarning)
            df = scrape_many(urls, workers=workers, output=out, settle=0.3,
                             progress=lambda name, p, n, total, u:
                             print(f"  {name} page {p}: {n} reviews", flush=True))
    finally:
        server.shutdown()
    print(f"scraped {len(df)} reviews of {df['restaurant'].nunique()} restaurants into {out}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Train an LSTM on a scraped review CSV.")
    p.add_argument("csv", nargs="?", help="CSV written by python -m numrnn.scraper")
    p.add_argument("--demo", action="store_true", help="scrape the local demo site first")
    p.add_argument("--workers", type=int, default=2, help="browsers for --demo (default 2)")
    p.add_argument("--word-level", action="store_true", help="tokens are words, not characters")
    p.add_argument("--threshold", type=int, default=40, help="score >= threshold is positive")
    p.add_argument("--maxlen", type=int, default=60, help="tokens kept per review (the last)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if not args.csv and not args.demo:
        p.error("give a CSV file or --demo")

    with tempfile.TemporaryDirectory() as tmp:
        csv = scrape_demo_site(Path(tmp), args.workers) if args.demo else Path(args.csv)
        texts, scores = load_reviews(csv)
    labels = scores_to_labels(scores, args.threshold)
    print(f"{len(texts)} reviews, {labels.sum()} positive (score >= {args.threshold})")
    if len(texts) < 2:
        print("need at least two reviews to train", file=sys.stderr)
        return 1

    tokenizer = Tokenizer(char_level=not args.word_level, oov_token="<?>")
    tokenizer.fit_on_texts(texts)
    x = pad_sequences(tokenizer.texts_to_sequences(texts), args.maxlen)
    vocab = len(tokenizer.word_index) + 1
    unit = "words" if args.word_level else "characters"
    print(f"vocabulary: {vocab - 1} {unit}; first review as ids: {x[0][x[0] > 0][:12]} ...")

    numrnn.set_seed(args.seed)
    model = Sequential()
    model.add(Embedding(vocab, 16, input_length=args.maxlen, mask_zero=True))
    model.add(LSTM(32))
    model.add(Dense(1, activation="sigmoid"))
    model.summary()
    model.compile(optimizer=RMSprop(lr=0.01), loss="binary_crossentropy", metrics=["acc"])
    split = 0.2 if len(texts) >= 50 else 0.0
    model.fit(x, labels, epochs=args.epochs, batch_size=32, validation_split=split,
                        verbose=2 if split else 0, seed=args.seed)
    n_train = int(len(x) * (1 - split))
    _, train_acc = model.evaluate(x[:n_train], labels[:n_train], verbose=0)
    print(f"accuracy on the training reviews after {args.epochs} epochs: {train_acc:.3f}")
    if split:
        _, test_acc = model.evaluate(x[n_train:], labels[n_train:], verbose=0)
        print(f"held-out accuracy (the last {len(x) - n_train} reviews, never trained on): "
              f"{test_acc:.3f}")
    else:
        print("too few reviews to hold any out (50 needed)")

    probe = texts[:4] + ["정말 맛있어요! 또 올게요", "최악이었어요. 다시는 안 가요"]
    p_pos = model.predict(pad_sequences(tokenizer.texts_to_sequences(probe), args.maxlen))[:, 0]
    print("\nP(positive)  text")
    for prob, text in zip(p_pos, probe):
        print(f"   {prob:.3f}     {text.splitlines()[0][:40]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
