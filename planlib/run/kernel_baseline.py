"""
The kernel side of a warm kernel: its baseline after the warm-up imports, and putting it back.

A worker keeps its kernel across regions (:mod:`planlib.run.kernels`); after every notebook
the kernel is put back to the baseline taken once its imports ran, so each notebook starts as
in a fresh kernel that has already imported what the run's notebooks import. The
reset empties the user namespace (execution count back to 1), puts back planlib's modules
whole (names, class attributes, module-level dicts/lists/sets), any function, class or
module a notebook replaced in any other module or class, ``sys.modules``, rcParams (pyplot
figures closed), pandas and numpy options, warning filters and the records of warnings shown
once, cwd (the task's), environment, ``sys.path``/``argv``, builtins, standard streams and
hooks, signal handlers, IPython's display formatters, events, transformers and inline
backend; then it collects garbage, freezes what is left (``gc.freeze``: the next resets' full
collections look only at what the next notebook made; every :data:`THAW_EVERY` resets all is
looked at again) and checks cwd, namespace, planlib, rcParams, environment and threads
against the baseline; what it cannot put back (a thread left running) it reports, and the
worker replaces the kernel. Not restored, and untouched by
product notebooks (no ``def`` or ``class``): the data attributes of third-party modules
(their caches), random generator states, open files, child processes. Kept: the figures drawn
(:mod:`planlib.present.drawn`, keyed by their inputs), forgotten when a reset put code back.

:func:`prepare_kernel` runs in a new kernel (sent by :mod:`planlib.run.kernels`, the worker
side): the run's notebooks' imports, the :class:`KernelBaseline`, then :data:`WARM_UP_CODE`.

Public: :data:`WARM_UP_CODE`, :data:`THAW_EVERY`, :data:`REGISTRY`, :data:`MACHINERY`,
:func:`prepare_kernel`; class :class:`KernelBaseline`.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import gc
import itertools
import operator
import os
import signal
import sys
import threading
import types
import warnings
from typing import Any

__all__ = ["WARM_UP_CODE", "THAW_EVERY", "REGISTRY", "MACHINERY", "KernelBaseline", "prepare_kernel"]

#: Run in a scratch namespace after the baseline is taken, then undone by the first reset,
#: when the notebooks import planlib's plots: it fills the caches that outlive a notebook and
#: depend only on their keys (fonts found, glyph maps, loaded font files, text layout), so
#: the first figure of a report is not also the first of its kernel.
WARM_UP_CODE = """\
import io, sys
plots = sys.modules.get("planlib.present.plots")
if plots is not None:
    plots.set_style()
    plots.figure_text("康源酒业 2027 年度营销方案 ¥ 1,234 万元 箱")
    fig = plots.new_figure(4, 3)  # the house canvas: its text measurements are kept for the reports
    ax = fig.subplots()
    ax.bar(["总部", "省区"], [1.5, 2.5])
    ax.set_title("销售额（万元）Revenue")
    ax.legend(["本品"])
    fig.tight_layout()
    plots.figure_png(fig)
"""

#: Every so many resets the frozen objects are collected again (:meth:`KernelBaseline.restore`).
THAW_EVERY = 100

_OWN = "planlib"

#: Where Python records the warnings a module has shown; cleared by the reset, never compared.
REGISTRY = "__warningregistry__"


def _own(name: str) -> bool:
    return name == _OWN or name.startswith(_OWN + ".")


_DESCRIPTORS = (types.FunctionType, types.BuiltinFunctionType, staticmethod, classmethod, property, type,
                types.ModuleType)


def _is_code(value: Any) -> bool:
    """A function, class, module or descriptor: what a monkeypatch replaces (not a cache's data)."""
    return isinstance(value, _DESCRIPTORS) or callable(value)


def _holds(namespace, saved: dict) -> bool:
    """True if ``namespace`` holds every item of ``saved`` (the same objects); a fast C-level check."""
    try:
        return saved.items() <= namespace.items()
    except Exception:  # a changed value whose == raised (an array): not the same
        return False


#: Packages whose threads are the kernel's own machinery (pyzmq starts its garbage collector lazily).
MACHINERY = frozenset({"zmq", "ipykernel", "jupyter_client", "tornado", "comm", "debugpy"})


def _machinery(thread: threading.Thread) -> bool:
    """True for a thread the kernel's messaging runs (not one a notebook left behind)."""
    target = getattr(thread, "_target", None)
    where = getattr(target, "__module__", None) or type(thread).__module__
    return where.split(".")[0] in MACHINERY


def _classes(module: types.ModuleType) -> list[type]:
    name = module.__name__
    return [v for v in list(vars(module).values()) if isinstance(v, type) and getattr(v, "__module__", None) == name]


def _pandas_options() -> dict[str, Any]:
    """Every pandas option by its dotted name (``display.max_rows``: 60, …)."""
    import pandas as pd

    out: dict[str, Any] = {}

    def walk(node, prefix: str) -> None:
        for key in dir(node):
            value = getattr(node, key)
            if type(value).__name__ == "DictWrapper":  # an option group
                walk(value, f"{prefix}{key}.")
            else:
                out[prefix + key] = value

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        walk(pd.options, "")
    return out


class KernelBaseline:
    """
    Kernel side: the state of a kernel after its warm-up imports, and putting it back.

    Taken once per kernel by :func:`prepare_kernel`; :meth:`restore` runs before every
    notebook. Everything is compared by identity or equality against this snapshot and
    only what differs is put back, so a reset costs tens of milliseconds.
    """

    def __init__(self, shell):
        self.shell = shell
        self.user_ns = dict(shell.user_ns)
        self.user_ns_hidden = dict(shell.user_ns_hidden)
        self.modules = {k: v for k, v in sys.modules.items() if isinstance(v, types.ModuleType)}
        self.own_dicts = {k: dict(vars(m)) for k, m in self.modules.items() if _own(k)}
        self.own_containers: dict[tuple[str, str], Any] = {}
        for name, namespace in self.own_dicts.items():
            for key, value in namespace.items():
                if type(value) in (dict, list, set):
                    with contextlib.suppress(Exception):
                        saved = copy.deepcopy(value)
                        if saved == value:
                            self.own_containers[(name, key)] = saved
        self.code = {k: {n: v for n, v in vars(m).items() if _is_code(v)}
                     for k, m in self.modules.items() if not _own(k)}
        self.classes = {c: (len(vars(c)), {n: v for n, v in vars(c).items() if _own(k) or _is_code(v)})
                        for k, m in self.modules.items() for c in _classes(m)}
        # the same as live views, for one C-level pass over them all at each reset (:meth:`_untouched`)
        self._code_views = ([saved.items() for saved in self.code.values()],
                            [vars(self.modules[k]).items() for k in self.code])
        self._class_views = ([saved.items() for _, saved in self.classes.values()],
                             [c.__dict__.items() for c in self.classes])
        self._class_dicts = [c.__dict__ for c in self.classes]
        self._class_sizes = [size for size, _ in self.classes.values()]
        self.restored: list[str] = []
        self.resets = 0
        mpl, np = sys.modules.get("matplotlib"), sys.modules.get("numpy")  # what is there once imported
        self.rc = None if mpl is None else dict(mpl.rcParams)
        self.pandas = _pandas_options() if "pandas" in sys.modules else None
        self.numpy = None if np is None else (np.geterr(), np.get_printoptions())
        self.filters = list(warnings.filters)
        self.once = dict(warnings.onceregistry)
        self.environ = dict(os.environ)
        self.path, self.argv = list(sys.path), list(sys.argv)
        self.builtins = dict(vars(builtins))
        self.hooks = (sys.stdout, sys.stderr, sys.displayhook, sys.excepthook)
        self.formatters = {k: (f.enabled, dict(f.type_printers), dict(f.deferred_printers), dict(f.singleton_printers))
                           for k, f in shell.display_formatter.formatters.items()}
        self.events = {k: list(v) for k, v in shell.events.callbacks.items()}
        self.transformers = (list(shell.ast_transformers), list(shell.input_transformers_post),
                             list(shell.input_transformer_manager.cleanup_transforms),
                             list(shell.input_transformer_manager.line_transforms))
        self.inline = self._inline()
        self.signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        self.recursion = sys.getrecursionlimit()
        self.threads = {t.ident for t in threading.enumerate()}

    @staticmethod
    def _inline():
        config = sys.modules.get("matplotlib_inline.config")
        if config is None or not config.InlineBackend.initialized():
            return None
        return {k: copy.copy(v) for k, v in config.InlineBackend.instance().trait_values().items() if k[0] != "_"}

    def reset(self, cwd: str | None = None) -> None:
        """
        :meth:`restore`, then raise RuntimeError naming what could not be put back (the
        worker replaces the kernel). What was put back is in :attr:`restored` (the worker
        asks for it and notes it in the task's kernel log; printed here, it could land in
        the next notebook's output through ipykernel's capture of file descriptor 2).
        """
        left = self.restore(cwd)
        if left:
            raise RuntimeError(f"state left by the previous notebook: {'; '.join(left)}")

    def restore(self, cwd: str | None = None) -> list[str]:
        """
        Put the kernel back to the baseline, with ``cwd`` as its working directory.

        Returns the differences the restore could not undo (empty: the kernel is as fresh);
        the worker replaces a kernel that reports any.
        """
        shell = self.shell
        self.restored = []
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
        if cwd is not None:
            os.chdir(cwd)
        shell.reset(new_session=True)
        ns = shell.user_ns
        for key in [k for k in ns if k not in self.user_ns]:
            del ns[key]
        ns.update({k: v for k, v in self.user_ns.items() if ns.get(k, ns) is not v})
        shell.user_ns_hidden.clear()
        shell.user_ns_hidden.update(self.user_ns_hidden)
        self._restore_modules()
        if self.restored and "planlib.present.drawn" in sys.modules:  # figures drawn while code was changed
            sys.modules["planlib.present.drawn"].forget_all()  # are not shown to the next region
        self._restore_settings()
        self._restore_shell()
        self.resets += 1
        if self.resets % THAW_EVERY == 0:
            gc.unfreeze()  # now and then everything is looked at again: cycles among what was frozen are freed
        gc.collect()
        gc.freeze()  # what the kernel still holds stays out of the next resets' full collections
        arrow = sys.modules.get("pyarrow")
        if arrow is not None:  # what the notebook's reads left in Arrow's pool goes back to the system (< 1 ms)
            arrow.default_memory_pool().release_unused()
        return self.differences(cwd)

    def _untouched(self) -> bool:
        """
        True if every other module still holds its functions, classes and modules, and every
        class its attributes and no new ones: what the loops of :meth:`_restore_modules` check
        one module or class at a time (each skipped when this holds for it), here compared in
        C over all of them at once (about 7,600 namespaces: tens of milliseconds a reset in
        Python). False when any differs, or a comparison raised: the loops then look.
        """
        try:
            return (list(map(len, self._class_dicts)) == self._class_sizes
                    and all(map(operator.le, *self._code_views))
                    and all(map(operator.le, *self._class_views)))
        except Exception:  # a changed value whose == raised (an array): not the same
            return False

    def _restore_modules(self) -> None:
        restored = self.restored
        for name in sorted(k for k in sys.modules.keys() - self.modules.keys() if _own(k)):
            del sys.modules[name]  # imported afresh when asked for
            restored.append(f"-{name}")
        if not all(map(operator.is_, self.modules.values(), map(sys.modules.get, self.modules))):
            for name, module in self.modules.items():
                if sys.modules.get(name) is not module:
                    sys.modules[name] = module
                    restored.append(name)
        for name, saved in self.own_dicts.items():
            namespace = vars(self.modules[name])
            if len(namespace) - (REGISTRY in namespace) == len(saved) - (REGISTRY in saved) \
                    and _holds(namespace, saved):
                continue
            for key in [k for k in namespace if k not in saved and k != REGISTRY]:
                del namespace[key]
                restored.append(f"-{name}.{key}")
            for key, value in saved.items():
                if namespace.get(key, namespace) is not value:
                    namespace[key] = value
                    restored.append(f"{name}.{key}")
        for (name, key), saved in self.own_containers.items():
            value = self.own_dicts[name][key]
            if value != saved:
                value.clear()
                value.update(copy.deepcopy(saved)) if isinstance(value, (dict, set)) else value.extend(copy.deepcopy(saved))
                restored.append(f"{name}.{key}[…]")
        if self._untouched():
            return
        for name, saved in self.code.items():
            namespace = vars(self.modules[name])
            if _holds(namespace, saved):
                continue
            for key, value in saved.items():
                if namespace.get(key, namespace) is not value:
                    namespace[key] = value
                    restored.append(f"{name}.{key}")
        for cls, (size, saved) in self.classes.items():
            current = cls.__dict__
            if len(current) == size and _holds(current, saved):
                continue
            own = _own(cls.__module__)
            for key in [k for k in current if k not in saved and (own or _is_code(current[k]))]:
                with contextlib.suppress(AttributeError, TypeError):
                    delattr(cls, key)
                    restored.append(f"-{cls.__module__}.{cls.__qualname__}.{key}")
            for key, value in saved.items():
                if current.get(key, current) is not value:
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(cls, key, value)
                        restored.append(f"{cls.__module__}.{cls.__qualname__}.{key}")

    def _restore_settings(self) -> None:
        mpl = sys.modules.get("matplotlib")
        if mpl is not None and self.rc is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mpl.rcParams.update({k: v for k, v in self.rc.items() if mpl.rcParams.get(k) != v})
        if self.pandas is not None:
            import pandas as pd

            now = _pandas_options()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for key, value in self.pandas.items():
                    if now.get(key) != value:
                        pd.set_option(key, value)
        if self.numpy is not None:
            np = sys.modules["numpy"]
            np.seterr(**self.numpy[0])
            np.set_printoptions(**self.numpy[1])
        # any change to the filters invalidates every module's record of warnings shown once
        # (a fresh kernel has shown none since its imports); then the filters as they were
        warnings.filterwarnings("ignore", message="planlib kernel reset")
        warnings.filters[:] = self.filters
        warnings.onceregistry.clear()
        warnings.onceregistry.update(self.once)
        for key in [k for k in os.environ if k not in self.environ]:
            del os.environ[key]
        os.environ.update({k: v for k, v in self.environ.items() if os.environ.get(k) != v})
        sys.path[:] = self.path
        sys.argv[:] = self.argv
        namespace = vars(builtins)
        for key in [k for k in namespace if k not in self.builtins]:
            del namespace[key]
        namespace.update({k: v for k, v in self.builtins.items() if namespace.get(k, namespace) is not v})
        sys.stdout, sys.stderr, sys.displayhook, sys.excepthook = self.hooks
        for sig, handler in self.signals.items():
            if signal.getsignal(sig) is not handler and handler is not None:
                signal.signal(sig, handler)
        sys.setrecursionlimit(self.recursion)

    def _restore_shell(self) -> None:
        shell = self.shell
        for key, (enabled, types_, deferred, singletons) in self.formatters.items():
            f = shell.display_formatter.formatters.get(key)
            if f is None:
                continue
            f.enabled = enabled
            for attr, saved in (("type_printers", types_), ("deferred_printers", deferred),
                                ("singleton_printers", singletons)):
                current = getattr(f, attr)
                if current != saved:
                    current.clear()
                    current.update(saved)
        for key, saved in self.events.items():
            shell.events.callbacks[key][:] = saved
        ast, post, cleanup, line = self.transformers
        shell.ast_transformers[:] = ast
        shell.input_transformers_post[:] = post
        shell.input_transformer_manager.cleanup_transforms[:] = cleanup
        shell.input_transformer_manager.line_transforms[:] = line
        config = sys.modules.get("matplotlib_inline.config")
        if config is not None and config.InlineBackend.initialized():
            inline = config.InlineBackend.instance()
            saved = self.inline or {}
            for key, value in saved.items():
                if getattr(inline, key) != value:
                    setattr(inline, key, copy.copy(value))

    def differences(self, cwd: str | None = None) -> list[str]:
        """What still differs from the baseline (see :meth:`restore`)."""
        out = []
        if cwd is not None and os.path.realpath(os.getcwd()) != os.path.realpath(cwd):
            out.append(f"working directory {os.getcwd()} (expected {cwd})")
        if set(self.shell.user_ns) != set(self.user_ns):
            out.append(f"user namespace names {sorted(set(self.shell.user_ns) ^ set(self.user_ns))[:10]}")
        for name, saved in self.own_dicts.items():
            if sys.modules.get(name) is not self.modules[name]:
                out.append(f"module {name} replaced in sys.modules")
                continue
            namespace = vars(self.modules[name])
            if all(map(operator.is_, saved.values(), map(namespace.get, saved, itertools.repeat(namespace)))) \
                    and not namespace.keys() - saved.keys() - {REGISTRY}:
                continue  # what the two lines below find, found empty in C
            changed = [k for k, v in saved.items() if namespace.get(k, namespace) is not v]
            changed += [f"+{k}" for k in namespace if k not in saved and k != REGISTRY]
            if changed:
                out.append(f"module {name}: {sorted(changed)[:5]}")
        for (name, key), saved in self.own_containers.items():
            if self.own_dicts[name][key] != saved:
                out.append(f"{name}.{key} changed in place")
        mpl = sys.modules.get("matplotlib")
        if mpl is not None and self.rc is not None and dict(mpl.rcParams) != self.rc:
            diff = [k for k, v in self.rc.items() if mpl.rcParams.get(k) != v]
            out.append(f"matplotlib rcParams {diff[:5]}")
        if dict(os.environ) != self.environ:
            out.append("environment variables")
        threads = [t.name for t in threading.enumerate()
                   if t.ident not in self.threads and t.is_alive() and not _machinery(t)]
        if threads:
            out.append(f"threads left running {threads[:5]}")
        return out


def prepare_kernel(shell, imports: str, warm_up: str = WARM_UP_CODE) -> None:
    """
    Kernel side: run the notebooks' imports, take the baseline, warm the caches.

    ``imports`` (:func:`notebook_imports`) run in a scratch namespace, so the modules the
    notebooks need are loaded once; an import that fails is left to the notebook, which
    fails on it as in a fresh kernel. The :class:`KernelBaseline` is stored on ``shell``
    (``shell.planlib_baseline``); then ``warm_up`` runs and the baseline is restored.

    Raises
    ------
    RuntimeError
        If the warm-up left state the restore cannot put back.
    """
    for line in imports.splitlines():
        with contextlib.suppress(Exception):
            exec(compile(line, "<planlib imports>", "exec"), {"__name__": "__planlib_imports__"})
    baseline = KernelBaseline(shell)
    shell.planlib_baseline = baseline
    with contextlib.suppress(Exception):
        exec(compile(warm_up, "<planlib warm-up>", "exec"), {"__name__": "__planlib_warm_up__"})
    left = baseline.restore(None)
    if left:
        raise RuntimeError(f"the warm-up left state behind: {'; '.join(left)}")
    gc.freeze()  # what the kernel holds now stays out of every later collection
