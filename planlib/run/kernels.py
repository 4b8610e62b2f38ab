"""
Warm kernels: a pre-started, pre-imported Jupyter kernel per worker, reused across regions.

Stock papermill starts a kernel per notebook and imports the stack in it (pandas, matplotlib,
DuckDB, planlib). Here a worker keeps its kernel: a new one runs the import statements of the
run's notebooks (:func:`notebook_imports`), takes its baseline and warms the font caches
(:func:`planlib.run.kernel_baseline.prepare_kernel`); after every notebook it is put back to
that baseline (:class:`planlib.run.kernel_baseline.KernelBaseline`, which says what a reset
puts back), so each notebook starts as in a fresh kernel that has already imported what the
run's notebooks import. A kernel whose reset finds something it cannot put back (a thread
left running), whose notebook failed, timed out or killed it, that holds too much memory, or
that imported another version of planlib (:func:`code_stamp`: a long-lived Dask worker never
runs stale code) is replaced by a fresh one. Kernels are started with
``PLANLIB_FIGURE_MEMO=1``: their figures are drawn once per input (:mod:`planlib.present.drawn`).

The kernel side (:mod:`planlib.run.kernel_baseline`) runs inside the kernel, the worker side
here (:class:`WarmKernel`, :func:`acquire`, :func:`release`) in the worker, which sends the
reset when a notebook ends and waits for it when the next starts (it runs during the export).
Kernels are shut down when the worker exits.

Public functions: code_stamp, notebook_imports (:mod:`planlib.run.notebook_imports`),
prepare_kernel (:mod:`planlib.run.kernel_baseline`), acquire, release, idle_kernels,
shutdown_all; classes KernelBaseline (from kernel_baseline), WarmKernel.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from planlib.errors import RunError
from planlib.run.kernel_baseline import WARM_UP_CODE, KernelBaseline, prepare_kernel
from planlib.run.notebook_imports import notebook_imports

__all__ = ["WARM_UP_CODE", "KERNEL_ARGUMENTS", "code_stamp", "notebook_imports", "KernelBaseline", "prepare_kernel",
           "WarmKernel", "acquire", "release", "idle_kernels", "shutdown_all"]

#: The kernel's arguments, as nbclient starts it under papermill (its history in memory).
KERNEL_ARGUMENTS: tuple[str, ...] = ("--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:")

#: How long a reset may take before the kernel counts as hung.
RESET_TIMEOUT = 60.0

#: A kernel holding more resident memory than this after its reset is replaced: Python keeps
#: the high-water mark of a big notebook (the national HQ review peaks near 10 GB).
MAX_KERNEL_MEMORY = 2 * 2**30

#: Notebooks one kernel runs before it is replaced (IPython's history and library caches grow).
MAX_USES = 500

def code_stamp(root: Path | None = None) -> str:
    """
    A fingerprint of planlib's source files (path, size, modification time).

    A warm kernel imported planlib once; when the source changes (a new checkout on a
    long-lived Dask worker), its stamp no longer matches and the kernel is replaced.
    """
    root = str(root) if root else os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    files = []  # (the relative path's parts, the path): sorted as pathlib sorts paths
    for folder, _, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        parts = () if rel == os.curdir else tuple(rel.split(os.sep))
        files += [((*parts, n), os.path.join(folder, n)) for n in names if n.endswith(".py")]
    h = hashlib.sha256()
    for parts, path in sorted(files):
        st = os.stat(path)
        h.update(f"{os.sep.join(parts)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


# -- worker side ---------------------------------------------------------------------------------

#: The code the worker sends: prepare a new kernel, and reset one for the next notebook. Both are
#: one expression, so they bind no name in the user namespace.
PREPARE_CODE = "__import__('planlib.run.kernel_baseline', fromlist=['_']).prepare_kernel(__import__('IPython').get_ipython(), {imports!r})"
RESET_CODE = "__import__('IPython').get_ipython().planlib_baseline.reset({cwd!r})"
RESTORED = "__import__('IPython').get_ipython().planlib_baseline.restored"


class _Manager:
    """
    The kernel's manager as nbclient sees it: jupyter_client's, keeping every client it hands
    out so the worker closes their channels after the notebook (nbclient leaves the client of
    a kernel it does not own open).
    """

    def __init__(self, km):
        self.km = km
        self.clients: list = []

    @property
    def has_kernel(self) -> bool:
        return self.km.has_kernel

    def client(self, **kwargs):
        kc = self.km.client(**kwargs)
        self.clients.append(kc)
        return kc

    def __getattr__(self, name):
        return getattr(self.km, name)


class WarmKernel:
    """
    Worker side: a started, prepared kernel; use :func:`acquire` and :func:`release`.

    ``manager`` is what papermill takes as ``km``; ``uses`` counts the notebooks it ran.
    The worker talks to it on a shell channel of its own (prepare, reset); the reset after a
    notebook is sent when the notebook ends and awaited when the next one starts, so it runs
    while the worker exports the report. The kernel's stderr goes to a file of its own, whose
    new lines each task copies into its ``.kernel.log`` (:meth:`copy_log`).
    """

    def __init__(self, kernel_name: str, stamp: str, imports: str = "", run: str | None = None):
        self.kernel_name, self.stamp, self.imports, self.run = kernel_name, stamp, imports, run
        self.uses = 0
        self.cwd: str | None = None
        self.km = None
        self.manager: _Manager | None = None
        self._shell = None
        self._pending: str | None = None
        self._log_path: Path | None = None
        self._log_offset = 0

    @property
    def pid(self) -> int | None:
        """The kernel's process id."""
        return getattr(getattr(self.km, "provisioner", None), "pid", None)

    def serves(self, kernel_name: str, stamp: str, imports: str, run: str | None) -> bool:
        """True if this kernel can run a notebook of ``kernel_name`` and ``run`` needing ``imports`` on code ``stamp``."""
        return (self.kernel_name, self.stamp, self.run) == (kernel_name, stamp, run) and \
            set(imports.splitlines()) <= set(self.imports.splitlines())

    def start(self, *, cwd: str | None, timeout: float) -> WarmKernel:
        """Start the kernel in ``cwd`` and prepare it (:func:`prepare_kernel`); RunError if it cannot."""
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        fd, log = tempfile.mkstemp(prefix=f"planlib-kernel-{os.getpid()}-", suffix=".log")
        self._log_path, self.cwd = Path(log), cwd
        try:
            self.km = AsyncKernelManager(kernel_name=self.kernel_name)
            with os.fdopen(fd, "ab") as stderr:
                run_sync(self.km.start_kernel)(extra_arguments=list(KERNEL_ARGUMENTS), cwd=cwd, stderr=stderr,  # figures
                                               env={**os.environ, "PLANLIB_FIGURE_MEMO": "1"})  # drawn once per input (present.drawn)
            self.manager = _Manager(self.km)
            self._shell = BlockingKernelClient()
            self._shell.load_connection_info(self.km.get_connection_info())
            self._shell.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
            reply = self._wait(self._send(PREPARE_CODE.format(imports=self.imports)), timeout)
            if reply["status"] != "ok":
                raise RunError(f"kernel {self.kernel_name}: its warm-up failed: {reply.get('ename')}: "
                               f"{reply.get('evalue')}")
        except BaseException as exc:
            self.shutdown()
            if isinstance(exc, RunError):
                raise
            raise RunError(f"kernel {self.kernel_name}: did not start ({type(exc).__name__}: {exc})") from exc
        return self

    def _send(self, code: str, expressions: dict[str, str] | None = None) -> str:
        """Send ``code`` as a silent execute_request on the worker's shell channel; its message id."""
        msg = self._shell.session.msg("execute_request", {
            "code": code, "silent": True, "store_history": False, "user_expressions": expressions or {},
            "allow_stdin": False, "stop_on_error": True})
        self._shell.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def _wait(self, msg_id: str, timeout: float) -> dict[str, Any]:
        """The content of the execute_reply to ``msg_id``; RunError if the kernel dies or hangs."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RunError(f"kernel {self.kernel_name}: no answer within {timeout:g} s")
            try:
                msg = self._shell.get_shell_msg(timeout=min(left, 1.0))
            except Exception:  # queue.Empty: is the kernel still there?
                if not self.alive():
                    raise RunError(f"kernel {self.kernel_name}: died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]

    def begin_reset(self, cwd: str | None) -> None:
        """Send the reset (:meth:`KernelBaseline.reset`) without waiting for it."""
        self._pending, self.cwd = self._send(RESET_CODE.format(cwd=cwd), {"restored": RESTORED}), cwd

    def finish_reset(self, timeout: float = RESET_TIMEOUT) -> None:
        """Wait for the reset sent last; RunError if it failed (the kernel is then replaced)."""
        msg_id, self._pending = self._pending, None
        if msg_id is None:
            return
        reply = self._wait(msg_id, timeout)
        if reply["status"] != "ok":
            raise RunError(f"kernel {self.kernel_name}: not reusable: {reply.get('ename')}: {reply.get('evalue')}")
        restored = reply.get("user_expressions", {}).get("restored", {}).get("data", {}).get("text/plain", "")
        if restored.strip("'\"[] "):
            _note(f"planlib: kernel {self.pid} reset put back {restored[:1000]}")

    def reset(self, cwd: str | None, timeout: float = RESET_TIMEOUT) -> None:
        """Reset the kernel for a notebook run in ``cwd`` and wait for it."""
        self.begin_reset(cwd)
        self.finish_reset(timeout)

    def memory(self) -> int:
        """The kernel process's resident memory in bytes (0 if unknown)."""
        try:
            import psutil

            return psutil.Process(self.pid).memory_info().rss
        except Exception:  # psutil missing (it comes with dask.distributed) or the process gone
            return 0

    def alive(self) -> bool:
        """True while the kernel process runs."""
        from jupyter_core.utils import run_sync

        try:
            return self.km is not None and bool(run_sync(self.km.is_alive)())
        except Exception:
            return False

    def close_clients(self) -> None:
        """Close the channels of the clients nbclient opened for the last notebook."""
        while self.manager is not None and self.manager.clients:
            with contextlib.suppress(Exception):
                self.manager.clients.pop().stop_channels()

    def copy_log(self, path: str | os.PathLike[str]) -> None:
        """Append what the kernel wrote to stderr since the last copy to ``path``."""
        if self._log_path is None or not self._log_path.exists():
            return
        with open(self._log_path, "rb") as src:
            src.seek(self._log_offset)
            data = src.read()
        self._log_offset += len(data)
        if data:
            with open(path, "ab") as dst:
                dst.write(data)

    def shutdown(self) -> None:
        """Stop the kernel now and remove its files; never raises."""
        from jupyter_core.utils import run_sync

        self.close_clients()
        if self._shell is not None:
            with contextlib.suppress(Exception):
                self._shell.stop_channels()
            self._shell = None
        if self.km is not None:
            with contextlib.suppress(Exception):
                run_sync(self.km.shutdown_kernel)(now=True)
            with contextlib.suppress(Exception):
                run_sync(self.km.cleanup_resources)()
            self.km = None
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None


_LOCK = threading.Lock()
_IDLE: list[WarmKernel] = []
_BUSY: list[WarmKernel] = []
_AT_EXIT: list[bool] = []


def _shut_down_at_exit() -> None:
    """Once per process: shut the kernels down when it exits (atexit, or a multiprocessing worker's end)."""
    import multiprocessing.util

    if not _AT_EXIT:
        _AT_EXIT.append(True)
        atexit.register(shutdown_all)
        multiprocessing.util.Finalize(None, shutdown_all, exitpriority=100)


def _note(line: str) -> None:
    """A line on this process's stderr (file descriptor 2: a task's kernel log while it runs)."""
    sys.stderr.flush()
    os.write(2, f"{line}\n".encode())


def acquire(kernel_name: str = "python3", *, cwd: str | None = None, imports: str = "", run: str | None = None,
            start_timeout: float = 120.0) -> WarmKernel:
    """
    A warm kernel of ``kernel_name``, reset for the next notebook, with ``cwd`` as its directory.

    Takes this worker's idle kernel if it serves the notebook (same kernel, same ``run`` (a
    kernel serves one run: nothing a run read, its archive included, outlives it in a
    long-lived Dask worker), same planlib source, :func:`code_stamp`, and ``imports`` among
    those it was prepared with), else
    starts and prepares one with ``imports`` (:func:`notebook_imports`); idle kernels that
    serve no more (stale code, other imports) are shut down. A kernel whose reset failed
    (state it could not put back), that died, or that holds more than
    :data:`MAX_KERNEL_MEMORY` after its reset is replaced. Hand it back with :func:`release`.

    Raises
    ------
    RunError
        If no kernel could be started and prepared (a start failure: the task may retry).
    """
    stamp = code_stamp()
    _shut_down_at_exit()
    with _LOCK:
        serving = [k for k in _IDLE if k.serves(kernel_name, stamp, imports, run)]
        unfit = [k for k in _IDLE if k not in serving]
        kernel = serving[0] if serving else None
        for k in unfit + serving[:1]:
            _IDLE.remove(k)
    for k in unfit:
        why = ("planlib's source changed" if k.stamp != stamp else "another run" if k.run != run
               else "the notebooks import other modules")
        _note(f"planlib: replacing kernel {k.pid}: {why}")
        k.shutdown()
    if kernel is not None:
        try:
            kernel.finish_reset()
            if kernel.cwd != cwd:
                kernel.reset(cwd)
            if kernel.memory() > MAX_KERNEL_MEMORY:
                raise RunError(f"it holds {kernel.memory() / 2**30:.1f} GB after its reset "
                               f"(more than {MAX_KERNEL_MEMORY / 2**30:g} GB: a big notebook's high-water mark)")
        except RunError as exc:
            _note(f"planlib: replacing kernel {kernel.pid}: {exc}")
            kernel.shutdown()
            kernel = None
    if kernel is None:
        kernel = WarmKernel(kernel_name, stamp, imports, run).start(cwd=cwd, timeout=start_timeout)
        try:
            kernel.reset(cwd)
        except BaseException:
            kernel.shutdown()
            raise
    with _LOCK:
        _BUSY.append(kernel)
    return kernel


def release(kernel: WarmKernel, *, reuse: bool) -> None:
    """
    Hand a kernel back after its notebook.

    With ``reuse`` (the notebook succeeded) its reset is sent now and the kernel kept for
    the next notebook; otherwise (a failure, a timeout, a dead kernel), and after
    :data:`MAX_USES` notebooks, it is shut down and the next notebook gets a fresh one.
    """
    kernel.close_clients()
    kernel.uses += 1
    with _LOCK:
        if kernel in _BUSY:
            _BUSY.remove(kernel)
    if kernel.uses >= MAX_USES:
        reuse = False  # a fresh kernel now and then: whatever grows slowly in a kernel does not grow for ever
    if reuse and kernel.km is not None:
        try:
            kernel.begin_reset(kernel.cwd)
        except Exception:  # the channel is gone: the kernel with it
            reuse = False
    if not (reuse and kernel.km is not None):
        kernel.shutdown()
        return
    with _LOCK:
        _IDLE.append(kernel)


def idle_kernels() -> tuple[WarmKernel, ...]:
    """The kernels this worker process holds for its next notebooks."""
    with _LOCK:
        return tuple(_IDLE)


def shutdown_all() -> None:
    """Shut down every kernel of this worker process."""
    with _LOCK:
        kernels = _IDLE + _BUSY
        _IDLE.clear()
        _BUSY.clear()
    for k in kernels:
        k.shutdown()
