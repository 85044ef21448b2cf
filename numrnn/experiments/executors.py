"""Where a sweep's runs execute: this process, local worker processes, or a Dask cluster.

All three look the same to the sweep (`SweepExecutor`): ``share`` ships a prepared data
set to the workers once and returns a small handle; ``submit(fn, *args)`` returns a
`concurrent.futures.Future`; a task turns its handle back into the data with `resolve`.

- `InlineExecutor` (``--workers 0``): each run executes in this process at ``submit``.
- `ProcessExecutor` (``--workers N``): a `ProcessPoolExecutor` whose workers ignore
  Ctrl-C (the parent decides), use one BLAS thread each, and receive every shared data
  set once, when they start.
- `DaskExecutor` (``--scheduler ADDRESS``): the executor of a ``dask.distributed``
  ``Client``; data is scattered once to every worker (``broadcast=True``) and tasks
  receive it by reference. ``distributed`` is optional (``pip install 'numrnn[cluster]'``).

numrnn schedules nothing itself: the pool or the Dask scheduler decides what runs where.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Data installed in a worker process by `_start_worker`: key -> prepared data.
_WORKER_DATA: dict[Any, Any] = {}

CLUSTER_HINT = ("--scheduler needs dask.distributed: pip install 'numrnn[cluster]' "
                "(or pip install distributed)")


@dataclass(frozen=True)
class SharedRef:
    """A handle to data installed in every local worker under ``key``."""

    key: Any


def resolve(handle: Any) -> Any:
    """The data behind ``handle``, inside a task (a Dask future arrives already resolved)."""
    if isinstance(handle, SharedRef):
        try:
            return _WORKER_DATA[handle.key]
        except KeyError:
            raise RuntimeError(f"data {handle.key!r} was not shared with this worker") from None
    return handle


def pin_blas_to_one_thread() -> None:
    """Limit BLAS to one thread in this process (a worker shares the cores with others)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def _start_worker(data: dict) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    pin_blas_to_one_thread()
    _WORKER_DATA.update(data)


class SweepExecutor:
    """The interface the sweep uses; subclasses wrap a `concurrent.futures.Executor`."""

    name = "executor"
    # How many runs to keep submitted at once (None: all; the executor queues them).
    capacity: int | None = None

    def share(self, data: dict) -> dict:
        """Ship ``{key: data}`` to the workers once; return ``{key: handle}``."""
        raise NotImplementedError

    def submit(self, fn: Callable, *args) -> cf.Future:
        raise NotImplementedError

    def close(self, cancel: bool = False) -> None:
        """Release the workers; with ``cancel`` drop queued tasks and stop running ones."""

    def describe(self) -> str:
        return self.name

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *_):
        self.close(cancel=exc_type is not None)


class InlineExecutor(SweepExecutor):
    """Run each task in this process, at once, when it is submitted."""

    name = "this process"
    capacity = 1

    def share(self, data: dict) -> dict:
        return dict(data)

    def submit(self, fn: Callable, *args) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args))
        except Exception as err:  # the future carries it, as a pool's would
            future.set_exception(err)
        return future


class ProcessExecutor(SweepExecutor):
    """``workers`` local processes (spawned), each with one BLAS thread.

    The pool starts at `share`, so that every worker receives the data as it starts;
    share everything before the first `submit`.
    """

    def __init__(self, workers: int):
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(f"workers={workers!r}; accepted: a positive int")
        self.workers = workers
        self.capacity = 2 * workers  # a worker never waits for the parent to submit
        self._pool: cf.ProcessPoolExecutor | None = None
        self._data: dict = {}

    @property
    def name(self) -> str:
        return f"{self.workers} local worker process{'es' if self.workers > 1 else ''}"

    def share(self, data: dict) -> dict:
        if self._pool is not None:
            raise RuntimeError("ProcessExecutor.share: the workers have started; share first")
        self._data.update(data)
        return {key: SharedRef(key) for key in data}

    def submit(self, fn: Callable, *args) -> cf.Future:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(self._data,))
        return self._pool.submit(fn, *args)

    def close(self, cancel: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not cancel:
            pool.shutdown(wait=True)
            return
        # Interrupted: queued runs are dropped and the runs in flight are stopped now
        # (their results would have nowhere to go). The pool has no public way to stop
        # a running task, so its worker processes are terminated.
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            if p.is_alive():
                p.terminate()
        for p in processes:
            p.join(timeout=5)


class DaskExecutor(SweepExecutor):
    """Tasks on the Dask cluster whose scheduler listens at ``address``."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError as err:
            raise ImportError(CLUSTER_HINT) from err
        self.address = address
        self.client = Client(address)
        # pure=False: every submission is a new run, never a cached result of an equal call
        self._executor = self.client.get_executor(pure=False)

    @property
    def name(self) -> str:
        n = len(self.client.scheduler_info().get("workers", {}))
        return f"the Dask cluster at {self.address} ({n} worker{'s' if n != 1 else ''})"

    def share(self, data: dict) -> dict:
        return {key: self.client.scatter(value, broadcast=True, hash=False)
                for key, value in data.items()}

    def submit(self, fn: Callable, *args) -> cf.Future:
        return self._executor.submit(fn, *args)

    def close(self, cancel: bool = False) -> None:
        if self.client.status == "closed":
            return
        self._executor.shutdown(wait=not cancel)
        self.client.close()


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_executor(workers: int | None = None, scheduler: str | None = None) -> SweepExecutor:
    """``scheduler`` address -> Dask; else ``workers`` processes (0: this process)."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    workers = default_workers() if workers is None else workers
    return InlineExecutor() if workers == 0 else ProcessExecutor(workers)
