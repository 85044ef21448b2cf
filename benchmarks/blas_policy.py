"""Does a second BLAS thread pay, for which matmul sizes, and what does switching cost?

    python benchmarks/blas_policy.py            # the recurrent layers' matmul shapes
    python benchmarks/blas_policy.py --quick

Measures (medians, 1 and 2 threads interleaved in blocks, with the load average):
1. the cost of switching: entering and leaving ``ThreadpoolController.limit`` (what
   numrnn.backend.blas_threads does) and of ``threadpool_limits`` (which rescans libraries);
2. for the matmul shapes of an RNN with D = 64 (per-step (B, H) x (H, G H), the input
   projection (T B, D) x (D, G H), the weight gradient (H, T B) x (T B, G H)), the time at 1
   and 2 threads, and the ratio. A switch pays where 2 threads save more than two switches.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from threadpoolctl import ThreadpoolController, threadpool_limits


def timed(fn, *args, **kw) -> float:
    start = time.perf_counter()
    fn(*args, **kw)
    return time.perf_counter() - start


def switch_cost(controller, reps=2000) -> dict:
    def enter_exit(n):
        with controller.limit(limits=n, user_api="blas"):
            pass

    samples = [timed(enter_exit, 1 + k % 2) for k in range(reps)]
    rescans = [timed(lambda: threadpool_limits(limits=1, user_api="blas").restore_original_limits())
               for _ in range(20)]
    return {"controller_limit_us": statistics.median(samples) * 1e6,
            "threadpool_limits_us": statistics.median(rescans) * 1e6}


def matmul_1_vs_2(controller, m, k, n, budget=0.2) -> tuple[float, float]:
    a = np.random.default_rng(0).standard_normal((m, k)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((k, n)).astype(np.float32)
    out = np.empty((m, n), np.float32)
    one = timed(np.matmul, a, b, out=out)
    reps = max(3, min(500, int(budget / 6 / max(one, 1e-7))))
    times = {1: [], 2: []}
    for r in range(6):
        for threads in ((1, 2) if r % 2 == 0 else (2, 1)):
            with controller.limit(limits=threads, user_api="blas"):
                np.matmul(a, b, out=out)
                times[threads] += [timed(np.matmul, a, b, out=out) for _ in range(reps)]
    return statistics.median(times[1]), statistics.median(times[2])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    controller = ThreadpoolController()
    print(f"load average {os.getloadavg()[0]:.2f}")
    cost = switch_cost(controller)
    print(f"switch: controller.limit enter+exit {cost['controller_limit_us']:.1f} us; "
          f"threadpool_limits (rescans libraries) {cost['threadpool_limits_us']:.0f} us")
    hs = (32, 128) if args.quick else (32, 128, 512)
    shapes = []
    for h in hs:
        for b in (32, 128):
            shapes.append((f"step  B={b} H={h}", b, h, 4 * h))
        shapes.append((f"proj  TB=12800 H={h}", 12800, 64, 4 * h))
        shapes.append((f"dU    TB=12800 H={h}", h, 12800, 4 * h))
    print(f"{'matmul (LSTM, D=64)':<24}{'MFLOP':>8}{'1 thread':>11}{'2 threads':>11}{'2/1':>6}"
          f"{'saved - 2 switches':>20}")
    for name, m, k, n in shapes:
        t1, t2 = matmul_1_vs_2(controller, m, k, n, 0.05 if args.quick else 0.2)
        saved = (t1 - t2) * 1e6 - 2 * cost["controller_limit_us"]
        print(f"{name:<24}{2 * m * k * n / 1e6:>8.2f}{t1 * 1e6:>9.0f}us{t2 * 1e6:>9.0f}us"
              f"{t2 / t1:>6.2f}{saved:>18.0f}us")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
