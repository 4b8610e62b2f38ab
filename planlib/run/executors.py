"""
Where a run's tasks execute: local worker processes, or a Dask distributed cluster.

An executor takes a wave of task dicts (one level of the region tree, built by
:mod:`planlib.run.batch`) and yields each task's manifest entry as it finishes; the batch
keeps the order (children before parents), the manifest and resume. Both executors run
the same function, :func:`planlib.run.task.execute_task`, so they write the same files.

- ``local`` (the default): a pool of spawned worker processes on this machine; a worker
  dies with its run (:func:`planlib.run.task.join_run`).
- ``dask``: futures on a ``dask.distributed`` cluster, at ``--scheduler ADDRESS`` or a
  ``LocalCluster`` started for the run (one thread per worker). A worker lost mid-task
  has its task rerun elsewhere by the scheduler (up to its ``allowed-failures``, then the
  task fails with ``KilledWorker``). A rerun is safe: a task writes its notebook and report
  to temporary files and renames them into place, so nothing is half-written, and only the
  run records manifest entries, one per task.

A heavy region's tasks (:func:`planlib.run.batch.wave_groups`) come one at a time with
``alone=True``: the local executor lets its workers exit first (their warm kernels with them)
and runs them on one worker of their own; on the run's ``LocalCluster`` every worker first
shuts down its idle kernels. So a national HQ's notebook (2-3 GB in its kernel) never shares
the machine with another notebook's kernel.

Shared storage: the task dicts carry absolute paths (the run folder, the notebooks, the
params snapshots, the archive named in them), so every Dask worker must see the run folder
and the archive at the same paths as the machine that starts the run (a shared filesystem),
with the same Python environment (planlib and the ``python3`` kernel). On SIGTERM or
Ctrl-C the pending tasks are cancelled; a ``LocalCluster`` is closed with its workers, but
tasks already running on a remote cluster finish there unrecorded (``--resume`` redoes them).

Public functions: open_executor; classes LocalExecutor, DaskExecutor.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from planlib.errors import RunError
from planlib.run import task

__all__ = ["EXECUTORS", "SCHEDULER_CONNECT_SECONDS", "LocalExecutor", "DaskExecutor", "open_executor"]

#: The executor names ``--executor`` accepts.
EXECUTORS: tuple[str, ...] = ("local", "dask")

#: How long connecting to a ``--scheduler`` may take before the run is refused.
SCHEDULER_CONNECT_SECONDS = 5.0

Task = dict[str, Any]


class LocalExecutor:
    """
    Tasks in a pool of ``workers`` spawned processes on this machine.

    Each worker dies with the run that started it; :meth:`stop` kills the workers (their
    kernels exit with them) and drops what is queued.
    """

    name = "local"

    def __init__(self, workers: int):
        self.workers = workers
        self._before = set(multiprocessing.active_children())
        self._alone = False  # whether the pool is the one worker of tasks run alone
        self._pool = self._new_pool(workers)

    def _new_pool(self, workers: int) -> cf.ProcessPoolExecutor:
        # spawned workers start as tasks come (at most ``workers``), not with the pool
        return cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                      initializer=task.join_run, initargs=(os.getpid(),))

    def run_wave(self, tasks: Sequence[Task], *, alone: bool = False) -> Iterator[tuple[Task, dict[str, Any]]]:
        """
        Submit every task, then yield ``(task, manifest entry)`` as each finishes.

        With ``alone`` (a heavy region's task, :func:`planlib.run.batch.wave_groups`), the pool's
        workers exit first, their warm kernels with them, and the tasks run on one worker of their
        own, kept for the next tasks run alone; the next wave without ``alone`` gets a new pool.
        """
        if alone != self._alone:
            self._pool.shutdown(wait=True)  # the workers and their idle kernels exit
            self._pool, self._alone = self._new_pool(1 if alone else self.workers), alone
        futures = {self._pool.submit(task.execute_task, t): t for t in tasks}
        for fut in cf.as_completed(futures):
            t = futures[fut]
            try:
                entry = fut.result()
            except Exception as exc:  # the worker itself died
                entry = task.failed_entry(t, exc)
            yield t, entry

    def stop(self) -> None:
        """Kill the pool's worker processes and drop its queue (an interrupted run)."""
        for proc in set(multiprocessing.active_children()) - self._before:
            proc.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Wait for the workers to exit (a finished run)."""
        self._pool.shutdown(wait=True)


class DaskExecutor:
    """
    Tasks as futures on a Dask distributed cluster.

    Parameters
    ----------
    scheduler : str, optional
        The scheduler's address (``tcp://HOST:8786``); default a ``LocalCluster`` of
        ``workers`` processes, one thread each, on the loopback interface, closed with the run;
        its scheduler and dashboard take free ports, so another cluster on 8786/8787 does not
        stop the run.
    workers : int
        Worker processes of the ``LocalCluster`` (a remote cluster has its own).

    Raises
    ------
    RunError
        If the scheduler cannot be reached within :data:`SCHEDULER_CONNECT_SECONDS`.
    """

    name = "dask"

    def __init__(self, scheduler: str | None, workers: int):
        from distributed import Client, LocalCluster

        self.scheduler = scheduler
        self._cluster = None
        self._futures: list = []
        if scheduler is None:
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                         scheduler_port=0, dashboard_address="127.0.0.1:0")
            self._client = Client(self._cluster, set_as_default=False)
            return
        try:
            self._client = Client(scheduler, timeout=SCHEDULER_CONNECT_SECONDS, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise RunError(f"--scheduler {scheduler}: no Dask scheduler answered within "
                           f"{SCHEDULER_CONNECT_SECONDS:g} s ({type(exc).__name__}: {exc}); start one "
                           "(`dask scheduler`, and `dask worker ADDRESS --nthreads 1` on each machine) or leave out "
                           "--scheduler to run on a LocalCluster") from None

    def run_wave(self, tasks: Sequence[Task], *, alone: bool = False) -> Iterator[tuple[Task, dict[str, Any]]]:
        """
        Submit every task as a future, then yield ``(task, manifest entry)`` as each finishes.

        With ``alone`` (a heavy region's task, :func:`planlib.run.batch.wave_groups`) on the run's
        ``LocalCluster``, every worker first shuts down its idle warm kernels
        (:func:`planlib.run.task.drop_kernels`); a remote cluster's workers keep theirs (other runs
        may be using them), on machines of their own.
        """
        from distributed import as_completed

        if alone and self._cluster is not None:
            workers = list(self._client.scheduler_info()["workers"])
            drops = [self._client.submit(task.drop_kernels, key=f"planlib-drop-kernels-{uuid.uuid4().hex[:12]}",
                                         workers=[w], allow_other_workers=False, pure=False) for w in workers]
            for fut in drops:
                with contextlib.suppress(Exception):  # a worker lost meanwhile holds no kernel
                    fut.result()
                fut.release()
        by_key: dict[str, Task] = {}
        futures = []
        for t in tasks:
            key = f"planlib-{t['notebook']}-{t['region_id']}-{uuid.uuid4().hex[:12]}"
            by_key[key] = t
            futures.append(self._client.submit(task.execute_task, t, key=key, pure=False))
        self._futures = futures
        for fut in as_completed(futures, loop=self._client.loop):
            t = by_key[fut.key]
            try:
                entry = fut.result()
            except Exception as exc:  # lost too often (KilledWorker), or cancelled
                entry = task.failed_entry(t, exc)
            fut.release()
            yield t, entry
        self._futures = []

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard of the run's cluster (``None`` when it has none)."""
        return getattr(self._client, "dashboard_link", None)

    def stop(self) -> None:
        """Cancel what has not finished and close the client (and the LocalCluster with its workers)."""
        with contextlib.suppress(Exception):
            if self._futures:
                self._client.cancel(self._futures, force=True)
        self.close()

    def close(self) -> None:
        """Close the client, and the LocalCluster if the run started one."""
        with contextlib.suppress(Exception):
            self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None


@contextlib.contextmanager
def open_executor(kind: str = "local", *, workers: int = 1, scheduler: str | None = None):
    """
    The executor a run asked for, closed when the block ends (stopped if it raised).

    Parameters
    ----------
    kind : {"local", "dask"}
        ``--executor``.
    workers : int
        Local worker processes, or the LocalCluster's workers.
    scheduler : str, optional
        ``--scheduler``: a Dask scheduler's address (only with ``kind="dask"``).

    Raises
    ------
    RunError
        If ``kind`` is unknown, a scheduler is given to the local executor, or the
        scheduler cannot be reached.
    """
    if kind not in EXECUTORS:
        raise RunError(f"--executor {kind!r}: expected one of {', '.join(EXECUTORS)}")
    if scheduler and kind != "dask":
        raise RunError(f"--scheduler {scheduler}: a scheduler is for --executor dask (the executor is {kind})")
    executor = DaskExecutor(scheduler, workers) if kind == "dask" else LocalExecutor(workers)
    try:
        yield executor
    except BaseException:
        executor.stop()
        raise
    executor.close()
