"""Command line: ``python -m numrnn.explore [--model PATH ...] [--port N] [--host HOST]``."""

from __future__ import annotations

import argparse
import sys

from .analysis import Vocabulary
from .data import ImdbFiles
from .server import Explorer, ExplorerServer
from .training import DEFAULT_MODELS, load_files, load_or_train

LOCAL = ("127.0.0.1", "localhost", "::1")


def listening_note(host: str) -> str:
    """What the start-up line says about who can reach the server."""
    if host in LOCAL:
        return "listening on this machine only; --host to change"
    return (f"listening on {host or 'every address'}: other machines that can reach this one "
            "can use the page")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m numrnn.explore",
        description="A local web page: type a review and watch a trained LSTM read it, word by "
                    "word (gates, states, each word's contribution).")
    p.add_argument("--model", action="append", metavar="PATH", default=[],
                   help="a model saved with Sequential.save (repeat for several); default: the "
                        f"tutorial's {', '.join(DEFAULT_MODELS)}, loaded from --runs or trained")
    p.add_argument("--port", type=int, default=8765, help="port (8765; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (127.0.0.1: this machine only; 0.0.0.0 lets "
                        "every machine that can reach this one use the page)")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder with imdb.npz and imdb_word_index.json (default: $NUMRNN_DATA, "
                        "then ~/.numrnn/datasets)")
    p.add_argument("--runs", default="runs/explore", metavar="DIR",
                   help="where the default models are saved and looked for (runs/explore)")
    p.add_argument("--epochs", type=int, default=30,
                   help="at most this many epochs when training a default model (30)")
    p.add_argument("--quick", action="store_true",
                   help="train the default models on 2,000 reviews for 1 epoch (seconds; a "
                        "first look, and the tests); kept apart in RUNS/quick")
    p.add_argument("--retrain", action="store_true", help="train even if a saved model exists")
    p.add_argument("--seed", type=int, default=0, help="seed for training (0)")
    p.add_argument("--log-requests", action="store_true", help="print every request to stderr")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error(f"--port {args.port}: accepted 0 (a free port) to 65535")
    if args.epochs < 1:
        p.error(f"--epochs {args.epochs}: give at least 1")
    if args.model and (args.quick or args.retrain):
        p.error("--quick and --retrain are for the default models; not with --model")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        files = ImdbFiles(args.data)
        vocabulary = Vocabulary(files.word_index())
        if args.model:
            models = load_files(args.model)
        else:
            models = load_or_train(files, args.runs, epochs=args.epochs, quick=args.quick,
                                   retrain=args.retrain, seed=args.seed)
        for m in models:
            if m.num_words > max(vocabulary.index_word) + 1:
                print(f"warning: {m.name} has {m.num_words} embedding rows, more than the IMDB "
                      "word index has ids; was it trained on IMDB?", file=sys.stderr)
        server = ExplorerServer((args.host, args.port), Explorer(models, vocabulary, files),
                                log_requests=args.log_requests)
    except (FileNotFoundError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"numrnn explorer: {server.url}  ({listening_note(args.host)}; Ctrl-C stops)",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
