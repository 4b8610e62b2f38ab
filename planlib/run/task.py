"""
One task of a run, (region, notebook), executed in a worker process.

The batch (:mod:`planlib.run.batch`) submits tasks to a pool of worker processes; this
module is what runs there: papermill executes the notebook into the region's folder, the
HTML report is exported, and a manifest entry comes back. It guarantees (HAZARDS.md):

- a task succeeds only when the notebook wrote its completion marker in its last cell
  (papermill marks cells "completed" even after a kernel death);
- a failed task keeps the last good ``.ipynb``/``.html`` and saves the failed notebook
  beside them as ``<notebook>.failed.ipynb``, the bug report;
- ``run.timeout_seconds`` bounds the whole notebook, not each cell: every cell gets
  what is left of the notebook's time (:class:`NotebookDeadline`), and a notebook out of
  time fails with ename ``Timeout``;
- a worker dies with the run that started it (:func:`join_run`), and its kernel with
  the worker (ipykernel's parent poller), so a killed run leaves nothing executing;
- the notebook runs in the worker's warm kernel (:mod:`planlib.run.kernels`: started and
  pre-imported once, put back to a fresh kernel's state before each notebook), still through
  papermill (the injected parameters cell, a failed notebook saved with the error marked); a
  kernel whose notebook failed, timed out or died is replaced by a fresh one.

Public functions: join_run, execute_task, failed_entry, drop_kernels, papermill_engine; class NotebookDeadline.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime
import functools
import json
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from planlib.run import folder, kernels
from planlib.run.export import export_html

__all__ = ["NotebookDeadline", "join_run", "execute_task", "failed_entry", "drop_kernels", "papermill_engine"]

#: How often a kernel that never started is retried (a start failure, not a notebook's).
KERNEL_START_RETRIES = 2

#: How long a kernel may take to start (and, warm, to import the stack).
START_TIMEOUT = 120

#: The papermill engine of the warm path (:func:`papermill_engine`).
ENGINE = "planlib"

#: The environment variable that, set to ``cold`` where the workers run, gives every notebook
#: a fresh kernel as stock papermill does (a task's own ``kernels`` key comes first).
KERNELS_VARIABLE = "PLANLIB_KERNELS"

#: ``prctl(PR_SET_PDEATHSIG, sig)``: Linux sends ``sig`` to this process when its parent dies.
PR_SET_PDEATHSIG = 1


# -- a worker belongs to its run -----------------------------------------------------------


def join_run(run_pid: int) -> None:
    """
    Make this worker process die with the run (the process ``run_pid``); the pool's initializer.

    - On Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker the
      moment its parent dies, however it died (SIGKILL included).
    - Elsewhere too, a daemon thread checks every second that the parent is still
      ``run_pid`` and ends the worker when it is not.
    - SIGINT is ignored: a Ctrl-C in the terminal reaches the whole process group, and
      the run (the parent) decides what stops; it kills its workers itself.

    The notebook kernels run in their own sessions (jupyter_client) and exit when their
    worker goes (ipykernel polls its parent), so nothing of a killed run keeps executing.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the thread below still watches
            pass
    if os.getppid() != run_pid:  # the run died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == run_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="planlib-run-watch", daemon=True).start()


# -- the notebook's time ---------------------------------------------------------------------


class NotebookDeadline:
    """
    The time left of a notebook's budget, handed to nbclient as each cell's timeout.

    The clock starts when the first cell starts (the kernel's start-up has its own
    timeout), so a notebook gets ``seconds`` in all, however its cells share them.
    Passed as ``timeout_func`` (nbclient calls it with the cell before executing it).
    """

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.started: float | None = None

    def __call__(self, cell=None) -> float:
        now = time.monotonic()
        if self.started is None:
            self.started = now
        return max(self.started + self.seconds - now, 0.001)  # 0 would mean "no timeout" to nbclient

    @property
    def expired(self) -> bool:
        """True once the notebook has used its time."""
        return self.started is not None and time.monotonic() - self.started >= self.seconds


# -- one task ----------------------------------------------------------------------------------


def _entry(task: dict[str, Any], status: str, error: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "region_id": task["region_id"],
        "notebook": task["notebook"],
        "status": status,
        "seconds": None,
        "error": error,
        "retries": 0,
        "inputs_hash": task.get("inputs_hash"),
        "html": None,
        "failed_notebook": None,
    }


def failed_entry(task: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    """The manifest entry of a task that failed before or outside its notebook (``exc``)."""
    return _entry(task, "failed", {"cell": None, "ename": type(exc).__name__, "evalue": str(exc)[:2000]})


def _read_cells(nb_path: Path) -> list[dict[str, Any]]:
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return nb.get("cells", [])


def _executed_any(nb_path: Path) -> bool:
    return any(c.get("execution_count") for c in _read_cells(nb_path) if c.get("cell_type") == "code")


def _failed_cell(nb_path: Path) -> int | None:
    """Index of the first cell papermill marked as failed, or the last executed one."""
    last = None
    for i, c in enumerate(_read_cells(nb_path)):
        if c.get("cell_type") != "code":
            continue
        status = c.get("metadata", {}).get("papermill", {}).get("status")
        if any(o.get("output_type") == "error" for o in c.get("outputs", [])) or status == "failed":
            return i
        if c.get("execution_count"):
            last = i
    return last


def execute_task(task: dict[str, Any]) -> dict[str, Any]:
    """
    Execute one (region, notebook) and return its manifest entry. Never raises.

    ``task`` carries ``run_dir, region_id, notebook, source, cwd, scenario, params_file,
    timeout, inputs_hash, kernel_name`` (built by the batch), optionally ``heavy`` (true: a
    region the batch runs alone, :func:`planlib.run.batch.heavy_regions`, whose warm kernel is
    shut down after the notebook instead of kept, giving its memory back), and ``kernels``:
    ``"warm"`` (the default: this worker's warm kernel, reset for the notebook,
    :mod:`planlib.run.kernels`) or ``"cold"`` (a fresh kernel for this notebook alone, as
    stock papermill does; also where the environment has ``PLANLIB_KERNELS=cold``). The kernel's own stderr (its log lines, e.g. the
    "KeyboardInterrupt caught in kernel" jupyter_client's shutdown provokes) goes to
    ``regions/<region>/<notebook>.kernel.log`` instead of the terminal, where the batch
    shows only its progress; the notebook's outputs and errors are in the notebook as always.
    """
    try:
        log_path = folder.kernel_log_path(task["run_dir"], task["region_id"], task["notebook"])
        log_path.parent.mkdir(parents=True, exist_ok=True)
    except Exception as exc:  # a bad id or a path out of the run: nothing written
        return failed_entry(task, exc)
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(log_path, "ab") as log:
            os.dup2(log.fileno(), 2)  # a cold kernel's subprocess inherits fd 2
            return _execute_logged(task, log_path)
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _execute_logged(task: dict[str, Any], log_path: Path) -> dict[str, Any]:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    run_dir = Path(task["run_dir"])
    region, nb = task["region_id"], task["notebook"]
    out = folder.notebook_outputs(run_dir, region, nb)
    out.notebook.parent.mkdir(parents=True, exist_ok=True)
    out.marker.unlink(missing_ok=True)
    entry = _entry(task, "failed", None)
    parameters = {
        "region": region,
        "scenario": task["scenario"],
        "params_file": task["params_file"],
        "run_dir": str(run_dir),
        "interactive": False,
    }
    kernel_name = task.get("kernel_name") or "python3"
    warm = (task.get("kernels") or os.environ.get(KERNELS_VARIABLE) or "warm") != "cold"
    # a warm kernel imports what every notebook of the run imports, once
    imports = kernels.notebook_imports(sorted(Path(task["source"]).parent.glob("*.ipynb"))) if warm else ""
    kernel = executed = None
    t0 = time.perf_counter()
    error = None
    for attempt in range(KERNEL_START_RETRIES + 1):
        out.running.unlink(missing_ok=True)
        deadline = NotebookDeadline(task["timeout"])
        try:
            if warm:
                kernel = kernels.acquire(kernel_name, cwd=task["cwd"], imports=imports, run=str(run_dir),
                                         start_timeout=START_TIMEOUT)
            executed = papermill.execute_notebook(
                task["source"],
                str(out.running),
                engine_name=papermill_engine() if warm else None,
                parameters=parameters,
                kernel_name=kernel_name,
                progress_bar=False,
                log_output=False,
                start_timeout=START_TIMEOUT,
                timeout_func=deadline,  # the notebook's time, not each cell's
                cwd=task["cwd"],
                # the kernel's own start-up chatter (TCP notice) is not the user's business
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                km=kernel.manager if kernel else None,
            )
            error = None
            break
        except PapermillExecutionError as exc:
            error = {"cell": exc.cell_index, "ename": exc.ename, "evalue": str(exc.evalue)[:2000]}
            break
        except Exception as exc:  # kernel death, timeout, kernel start failure
            error = {"cell": _failed_cell(out.running), "ename": type(exc).__name__, "evalue": str(exc)[:2000]}
            if deadline.expired and isinstance(exc, TimeoutError):
                error.update(ename="Timeout", evalue=f"the notebook ran out of its {task['timeout']:g} s "
                                                     "(run.timeout_seconds, for the whole notebook)")
                break
            if _executed_any(out.running) or attempt == KERNEL_START_RETRIES:
                break
            entry["retries"] += 1  # the kernel never ran a cell: a start failure, retry
            _release(kernel, log_path, reuse=False)
            kernel = None
    entry["seconds"] = round(time.perf_counter() - t0, 2)
    if error is None and warm:  # its outputs were not validated one by one as they arrived (papermill_engine)
        error = _invalid_output(executed)
    if error is None and not out.marker.exists():
        error = {
            "cell": _failed_cell(out.running),
            "ename": "IncompleteRun",
            "evalue": "the notebook did not reach its last cell (kernel died or the run stopped early)",
        }
    # a kernel whose notebook failed, timed out or died is replaced; its reset runs during the export.
    # A heavy task's kernel is shut down too: it keeps its notebook's high-water mark (1-2 GB), which
    # would sit idle beside the next heavy notebook on another worker
    _release(kernel, log_path, reuse=error is None and not task.get("heavy"))
    if error is None:
        try:
            export_html(executed if warm else out.running, out.html, title=f"{nb} · {region}")
        except Exception as exc:  # keep the previous good report
            error = {"cell": None, "ename": type(exc).__name__, "evalue": f"HTML export failed: {exc}"[:2000]}
    if error is None:
        os.replace(out.running, out.notebook)
        out.failed.unlink(missing_ok=True)
        entry["status"] = "succeeded"
    else:
        entry["error"] = error
        if out.running.exists():
            os.replace(out.running, out.failed)
            entry["failed_notebook"] = folder.run_relative(run_dir, out.failed)
    if out.html.exists():
        entry["html"] = folder.run_relative(run_dir, out.html)
    return entry


def drop_kernels() -> int:
    """
    Shut down this worker's warm kernels (before a heavy task runs on another worker); how many there were.

    Called between tasks, while the worker runs none of the run's: its kernels are all idle.
    """
    held = len(kernels.idle_kernels())
    kernels.shutdown_all()
    return held


@functools.cache
def papermill_engine() -> str:
    """
    Register (once per process) and name the papermill engine of the warm path.

    nbclient's engine, as papermill's default, except for when the notebook is written:
    papermill writes it at its start, twice per cell, at its end, and once more when
    ``execute_notebook`` returns (a failure included). Here it is written on papermill's
    autosave clock while a notebook runs long (every 30 s, inside cells and between them),
    when the engine stops on an exception (a dead kernel, a timeout: the notebook as it
    stopped, for the failure's report), and by papermill's ``execute_notebook`` at the end:
    the same notebook, written once instead of sixty times (about a second for a report with
    a dozen figures) or three times (the start and the end of the engine, then papermill's).

    Three more things papermill's client does per notebook cost time and give nothing a warm
    kernel needs: it waits for 0.2 s of silence on IOPub before the first cell (the end of
    ``wait_for_ready``; here the client waits for its ``kernel_info`` request's idle status,
    :func:`_wait_for_ready`: IOPub is connected and drained once it arrives, and nbclient
    ignores any message that answers none of its requests anyway), it validates every output
    against the notebook schema as it arrives (``nbformat.v4.output_from_msg``; here
    :func:`_output_node` builds the same node, and the notebook is validated once, whole, when
    it has run: :func:`_invalid_output` fails the task on an invalid one), and it
    parses each cell's start time back with ``dateutil`` (``datetime.fromisoformat``: the same
    instant, the same duration).
    """
    from jupyter_core.utils import ensure_async, run_sync
    from nbclient.util import run_hook
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import (
        NBClientEngine,
        NotebookExecutionManager,
        papermill_engines,
    )
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class SparseSaves(NotebookExecutionManager):
        in_cell = False
        quiet = False  # no write at all (the start, and the end papermill writes itself)

        def save(self, **kwargs):
            if self.quiet or (self.in_cell and
                              (self.now() - self.last_save_time).total_seconds() < self.autosave_cell_every):
                return
            super().save(**kwargs)

        def cell_start(self, cell, cell_index=None, **kwargs):
            self.in_cell = True
            try:
                super().cell_start(cell, cell_index, **kwargs)
            finally:
                self.in_cell = False

        def cell_complete(self, cell, cell_index=None, **kwargs):
            # NotebookExecutionManager.cell_complete (papermill 2.7) without dateutil's parse of the start time
            if kwargs.get("nb"):
                self.nb = kwargs["nb"]
            end_time = self.now()
            if self.log_output:
                logger.info(f"Ending Cell {cell_index + 1 if cell_index is not None else '':-<43}")
                sys.stdout.flush()
                sys.stderr.flush()
            meta = cell.metadata.papermill
            meta["end_time"] = end_time.isoformat()
            if meta.get("start_time"):
                meta["duration"] = (end_time - datetime.datetime.fromisoformat(meta["start_time"])).total_seconds()
            if meta["status"] != self.FAILED:
                meta["status"] = self.COMPLETED
            self.in_cell = True
            try:
                self.save()
            finally:
                self.in_cell = False
            if self.pbar:
                self.pbar.update(1)

    class Client(PapermillNotebookClient):
        async def async_start_new_kernel_client(self):
            # NotebookClient.async_start_new_kernel_client (nbclient 0.11) with _wait_for_ready
            try:
                self.kc = self.km.client()
                await ensure_async(self.kc.start_channels())
                await _wait_for_ready(self.kc, self.startup_timeout)
            except Exception as e:
                self.log.error(f"Error occurred while starting new kernel client for kernel "
                               f"{getattr(self.km, 'kernel_id', None)}: {e}")
                await self._async_cleanup_kernel()
                raise
            self.kc.allow_stdin = False
            await run_hook(self.on_notebook_start, notebook=self.nb)
            return self.kc

        start_new_kernel_client = run_sync(async_start_new_kernel_client)

        def output(self, outs, msg, display_id, cell_index):
            # NotebookClient.output (nbclient 0.11) with _output_node for nbformat's output_from_msg
            parent_msg_id = msg["parent_header"].get("msg_id")
            if self.output_hook_stack[parent_msg_id]:
                self.output_hook_stack[parent_msg_id][-1].output(outs, msg, display_id, cell_index)
                return None
            try:
                out = _output_node(msg)
            except ValueError:
                self.log.error(f"unhandled iopub msg: {msg['msg_type']}")
                return None
            if self.clear_before_next_output:
                self.log.debug("Executing delayed clear_output")
                outs[:] = []
                self.clear_display_id_mapping(cell_index)
                self.clear_before_next_output = False
            if display_id:
                self._display_id_map.setdefault(display_id, {}).setdefault(cell_index, []).append(len(outs))
            if out:
                outs.append(out)
            return out

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):
            nb_man = SparseSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                 autosave_cell_every=autosave_cell_every)
            nb_man.quiet = True
            nb_man.notebook_start()
            nb_man.quiet = False
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            except BaseException:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()  # written as it stopped: papermill's execute_notebook will not
                raise
            nb_man.cleanup_pbar()
            nb_man.quiet = True  # papermill's execute_notebook writes it next (raise_for_execution_errors, or the end)
            nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            # NBClientEngine.execute_managed_notebook (papermill 2.7) with Client for PapermillNotebookClient
            kwargs = remove_args(["input_path"], **kwargs)
            final_kwargs = merge_kwargs(
                remove_args(["timeout", "startup_timeout"], **kwargs),
                timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file)
            run_cells = Client(nb_man, **final_kwargs).execute  # nbclient's run of the notebook
            return run_cells()

    papermill_engines.register(ENGINE, Engine)
    return ENGINE


def _release(kernel: kernels.WarmKernel | None, log_path: Path, *, reuse: bool) -> None:
    """Hand a warm kernel back (kept if ``reuse``, else replaced) after copying its stderr to the task's log."""
    if kernel is not None:
        kernel.copy_log(log_path)
        kernels.release(kernel, reuse=reuse)


async def _wait_for_ready(kc, timeout: float) -> None:
    """
    Wait until the kernel answers ``kc``'s ``kernel_info`` request on shell and IOPub; RuntimeError if it cannot.

    jupyter_client's ``wait_for_ready`` without its last step, waiting for 0.2 s of silence
    on IOPub (a fixed 0.2 s per notebook): the request is sent again until its reply comes
    and IOPub brings its ``idle`` status (an IOPub subscription made too late misses a
    request's messages), every IOPub message before that status read and dropped.
    """
    from jupyter_core.utils import ensure_async

    deadline = time.monotonic() + timeout
    while True:
        msg_id, reply = kc.kernel_info(), None
        try:
            while reply is None:
                msg = await ensure_async(kc.shell_channel.get_msg(timeout=1))
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "kernel_info_reply":
                    reply = msg
            while True:
                msg = await ensure_async(kc.iopub_channel.get_msg(timeout=0.2))
                if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                        and msg["content"].get("execution_state") == "idle":
                    kc._handle_kernel_info_reply(reply)
                    return
        except queue.Empty:  # no reply yet, or IOPub not connected yet: ask again
            pass
        if not await kc._async_is_alive():
            raise RuntimeError("Kernel died before replying to kernel_info")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


def _invalid_output(nb) -> dict[str, Any] | None:
    """
    The task's error if the executed notebook ``nb`` breaks the notebook schema (an output), else None.

    The warm path's client takes each output as it comes (:func:`_output_node`); the notebook
    is validated here, once, whole: an invalid output fails the task (its cell named, the
    kernel replaced, the notebook kept as the failure's report), as nbformat's validation of
    each output on arrival did. papermill writes it all the same, logging the error.
    """
    import nbformat

    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        path = list(getattr(exc, "absolute_path", None) or [])
        cell = path[1] if len(path) > 1 and path[0] == "cells" else None
        return {"cell": cell, "ename": type(exc).__name__, "evalue": str(exc)[:2000]}
    return None


def _output_node(msg: dict[str, Any]):
    """
    ``nbformat.v4.output_from_msg(msg)`` without the schema validation of each output (ValueError if not an output).

    The same node (``nbformat.v4.new_output``'s defaults, then the message's fields); the
    notebook is validated whole when it has run (:func:`_invalid_output`).
    """
    from nbformat import NotebookNode

    msg_type, content = msg["header"]["msg_type"], msg["content"]
    if msg_type in ("execute_result", "display_data"):
        out = NotebookNode(output_type=msg_type, metadata=NotebookNode(), data=NotebookNode())
        if msg_type == "execute_result":
            out.execution_count = None
            out.update(metadata=content["metadata"], execution_count=content["execution_count"])
        else:
            out.update(metadata=content["metadata"])
        out.data = content["data"]
        return out
    if msg_type == "stream":
        out = NotebookNode(output_type=msg_type, name="stdout", text="")
        out.update(name=content["name"], text=content["text"])
        return out
    if msg_type == "error":
        out = NotebookNode(output_type=msg_type, ename="NotImplementedError", evalue="", traceback=[])
        out.update(ename=content["ename"], evalue=content["evalue"], traceback=content["traceback"])
        return out
    raise ValueError(f"Unrecognized output msg type: {msg_type!r}")
