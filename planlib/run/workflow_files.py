"""
The workflow's files beside a plan's runs: ``<runs_root>/<plan_id>/workflow/``.

::

    workflow/
      audit.jsonl                  append-only, chained (planlib.workflow.audit); .audit.lock beside it
      templates/<region_id>.xlsx   the submission workbooks handed out
      submissions/<region_id>/<seq>/  submission.xlsx (as received), targets/budget/actions.parquet
      versions/v<N>/               version.json, params.resolved/, results/, reports/ (read-only)
      proposals.csv                the approved submissions' annual volumes (split.proposals: workflow)

Every step holds an exclusive ``flock`` on ``.audit.lock`` while it reads the log, decides and
appends, so two managers submitting at once are written one after the other. A submission and
a version are written into a hidden temporary folder and renamed into place: a reader sees all
of one or nothing. ``latest_run`` ignores this folder (it has no manifest).

Public functions: WORKFLOW_DIR, workflow_dir, audit_path, holding, append_event, now_iso,
read_workbook, submit, decide, load_submissions, approved_volumes, write_proposals, proposals_mirror,
top_down_volumes,
latest_plan_run, lock_version, version_dir, read_version, verify, region_workflow, params_of_version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from planlib.errors import WorkflowError
from planlib.labels import WORKFLOW_STATUS_NAMES
from planlib.params.limits import params_root
from planlib.run import folder
from planlib.workflow import audit, status, submissions, versions

try:  # POSIX; elsewhere the log is not locked
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = ["WORKFLOW_DIR", "PROPOSALS_FILE", "workflow_dir", "audit_path", "holding", "append_event", "now_iso",
           "read_workbook", "submit", "decide", "load_submissions", "approved_volumes", "write_proposals", "proposals_mirror",
           "top_down_volumes", "latest_plan_run", "lock_version", "version_dir", "read_version", "verify",
           "region_workflow", "params_of_version", "file_sha256"]

WORKFLOW_DIR = "workflow"
PROPOSALS_FILE = "proposals.csv"
_TABLES = ("targets", "budget", "actions")


def workflow_dir(runs_root: str | os.PathLike[str], plan_id: str) -> Path:
    """``<runs_root>/<plan_id>/workflow`` (the plan id checked to name a folder)."""
    return folder.plan_dir(runs_root, plan_id) / WORKFLOW_DIR


def audit_path(wdir: str | os.PathLike[str]) -> Path:
    """The audit log of a workflow folder."""
    return Path(wdir) / "audit.jsonl"


def now_iso() -> str:
    """Now, to the second, in UTC with its offset (``2026-12-02T10:00:00+00:00``)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes."""
    return audit.text_hash(Path(path).read_bytes())


@contextlib.contextmanager
def holding(wdir: str | os.PathLike[str]) -> Iterator[Path]:
    """
    Hold the workflow folder exclusively (waiting for another step to finish).

    Notes
    -----
    An exclusive ``flock`` on ``<wdir>/.audit.lock``, released when the block ends or the
    process dies (as :func:`planlib.archive.store.reading` holds the archive).
    """
    wdir = Path(wdir)
    wdir.mkdir(parents=True, exist_ok=True)
    fd = os.open(wdir / ".audit.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield wdir
    finally:
        os.close(fd)


def _raw_lines(wdir: Path) -> list[str]:
    path = audit_path(wdir)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def append_event(wdir: str | os.PathLike[str], *, by: str, action: str, region_id: str | None = None,
                 version: str | None = None, note: str = "", before: str | None = None,
                 after: str | None = None) -> dict[str, Any]:
    """
    Append one line to the audit log; call it inside :func:`holding`.

    A ``tamper_detected`` line is appended even to a broken log (chained to its last line as
    it now reads); any other action on a broken log is refused (WorkflowError).

    Returns
    -------
    dict
        The record written.
    """
    wdir = Path(wdir)
    lines = _raw_lines(wdir)
    if action != "tamper_detected":
        audit.read_log(audit_path(wdir))  # refuses a broken chain
    last_seq = 0
    if lines:
        try:
            last_seq = int(json.loads(lines[-1]).get("seq", len(lines)))
        except (ValueError, AttributeError):
            last_seq = len(lines)
    record, text = audit.new_line(lines[-1] if lines else None, seq=max(last_seq, len(lines)) + 1, at=now_iso(),
                                  by=by, action=action, region_id=region_id, version=version, note=note,
                                  before=before, after=after)
    with open(audit_path(wdir), "a", encoding="utf-8") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())
    return record


def read_workbook(path: str | os.PathLike[str]) -> dict[str, list[tuple]]:
    """
    A workbook's cell values, sheet by sheet (cached values of formulas; none: None).

    Raises
    ------
    WorkflowError
        The file is missing or is not an Excel workbook (.xlsx).
    """
    import openpyxl  # heavy; only the submit path needs it

    path = Path(path)
    if not path.is_file():
        raise WorkflowError(f"{path}: no such file; expected the region's filled-in workbook (.xlsx)")
    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, KeyError …
        raise WorkflowError(f"{path}: not an Excel workbook ({type(exc).__name__}); expected the .xlsx "
                            "`planlib plan templates` wrote, filled in") from None
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _refuse(wdir: Path, by: str, region: str | None, reason: str, action: str) -> None:
    append_event(wdir, by=by, action="refused", region_id=region, note=f"{action}: {reason}")
    raise WorkflowError(f"{action} refused: {reason} (logged)")


def submit(wdir: str | os.PathLike[str], tree, regions: Sequence[str], region: str, file: str | os.PathLike[str],
           plan_year: int, *, by: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """
    Check a filled workbook and record it as the region's submission.

    Returns
    -------
    (dict or None, list of dict)
        The audit record of the accepted submission (None when rejected) and the bad cells
        (:func:`planlib.workflow.submissions.validate_submission`); a rejected file leaves
        only a ``refused`` line in the log.

    Raises
    ------
    WorkflowError
        The region may not submit now (frozen, approved): refused and logged.

    Notes
    -----
    Accepted: the file and its tables are written into ``submissions/<region>/.<tmp>`` and
    renamed to ``submissions/<region>/<seq>`` before the ``submit`` line (``after`` = the
    file's sha256) is appended; a folder without its line is never read.
    """
    wdir = Path(wdir)
    file = Path(file)
    with holding(wdir):
        log = audit.read_log(audit_path(wdir))
        reason = status.refusal(log, tree, regions, region, "submit")
        if reason:
            _refuse(wdir, by, region, reason, "submit")
        sheets = read_workbook(file)
        frames, problems = submissions.validate_submission(sheets, region, plan_year, source=file.name)
        if problems:
            append_event(wdir, by=by, action="refused", region_id=region,
                         note=f"submit: {file.name} rejected, {len(problems)} bad cells: "
                              + "; ".join(f"{p['sheet']}!{p['column']}{p['row']}" for p in problems[:20]))
            return None, problems
        seq = len(log) + 1
        home = folder.inside(wdir / "submissions" / region, wdir)  # a region of the tree: a checked id
        home.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{seq}.", dir=home))
        try:
            shutil.copyfile(file, tmp / "submission.xlsx")
            for name in _TABLES:
                frames[name].to_parquet(tmp / f"{name}.parquet", index=False)
            os.rename(tmp, home / str(seq))
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        total = int(frames["targets"]["volume"].sum())
        record = append_event(wdir, by=by, action="submit", region_id=region, after=file_sha256(file),
                              note=f"{file.name}: {total} 箱, {len(frames['actions'])} actions")
        return record, []


def decide(wdir: str | os.PathLike[str], tree, regions: Sequence[str], region: str, action: str, *, by: str,
           note: str = "", mirror: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """
    Approve or return a region's submission (``action`` "approve" or "return").

    A refused decision (children not approved, a frozen subtree, a return without a note)
    is logged as ``refused`` and raised as WorkflowError naming why. A decision rewrites
    ``proposals.csv`` (:func:`write_proposals`, and its ``mirror``).
    """
    wdir = Path(wdir)
    if action not in ("approve", "return"):
        raise WorkflowError(f"unknown decision {action!r}; expected approve or return")
    with holding(wdir):
        log = audit.read_log(audit_path(wdir))
        reason = status.refusal(log, tree, regions, region, action, note=note)
        if reason:
            _refuse(wdir, by, region, reason, action)
        record = append_event(wdir, by=by, action=action, region_id=region, note=note)
        write_proposals(wdir, audit.read_log(audit_path(wdir)), mirror=mirror)
        return record


def _latest_submissions(log: Sequence[dict[str, Any]], only: set[str] | None = None) -> dict[str, int]:
    out: dict[str, int] = {}
    for rec in log:
        if rec["action"] == "submit" and (only is None or rec["region_id"] in only):
            out[rec["region_id"]] = int(rec["seq"])
    return out


def load_submissions(wdir: str | os.PathLike[str], log: Sequence[dict[str, Any]] | None = None, *,
                     approved_only: bool = False) -> dict[str, pd.DataFrame]:
    """
    The latest accepted submission of every region, concatenated.

    Parameters
    ----------
    wdir : path-like
        The workflow folder.
    log : sequence of dict, optional
        The audit records (read and verified when not given).
    approved_only : bool, default False
        Only regions now approved or locked.

    Returns
    -------
    dict
        ``"targets"``, ``"budget"``, ``"actions"`` frames (the contract's columns; empty
        frames when nothing was submitted).
    """
    wdir = Path(wdir)
    log = audit.read_log(audit_path(wdir)) if log is None else log
    only = None
    if approved_only:
        regions = sorted({r["region_id"] for r in log if r.get("region_id")})
        st = status.region_status(log, None, regions)
        only = set(st.loc[st["status"].isin(["approved", "locked"]), "region_id"])
    latest = _latest_submissions(log, only)
    out = {}
    for name in _TABLES:
        parts = [pd.read_parquet(wdir / "submissions" / region / str(seq) / f"{name}.parquet")
                 for region, seq in sorted(latest.items())]
        out[name] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns={"targets": ["region_id", "month", "product_line", "volume", "revenue"],
                     "budget": ["region_id", "category", "item", "amount"],
                     "actions": ["region_id", "action", "owner", "due", "cost", "note"]}[name])
    return out


def approved_volumes(wdir: str | os.PathLike[str], log: Sequence[dict[str, Any]] | None = None) -> pd.Series:
    """The approved (or locked) regions' submitted annual volumes, by region id."""
    got = load_submissions(wdir, log, approved_only=True)
    return submissions.annual_volumes(got["targets"])


def write_proposals(wdir: str | os.PathLike[str], log: Sequence[dict[str, Any]] | None = None, *,
                    mirror: str | os.PathLike[str] | None = None) -> Path:
    """
    Write ``proposals.csv`` (region_id, volume): the approved submissions' annual volumes.

    Rewritten at every approval (atomically). With ``mirror`` (:func:`proposals_mirror`) the
    same file is written there too: what ``split.proposals: workflow`` reads in the next
    ``planlib run``.
    """
    vol = approved_volumes(wdir, log)
    text = "region_id,volume\n" + "".join(f"{r},{int(v)}\n" for r, v in vol.items())
    if mirror is not None:
        Path(mirror).parent.mkdir(parents=True, exist_ok=True)
        folder.write_atomic(mirror, text)
    return folder.write_atomic(Path(wdir) / PROPOSALS_FILE, text)


def proposals_mirror(plan_path: str | os.PathLike[str], plan_id: str) -> Path | None:
    """
    Where the approved proposals go for ``split.proposals: workflow``, or None when the plan does not ask.

    ``<params folder>/workflow/<plan_id>.proposals.csv`` (the params folder of
    :func:`planlib.params.limits.params_root`: files a plan names must lie in it) when the
    plan file's ``split.proposals`` is ``workflow``.
    """
    plan_path = Path(plan_path)
    try:
        data = yaml.safe_load(plan_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    split = data.get("split") if isinstance(data, dict) else None
    if not isinstance(split, dict) or split.get("proposals") != "workflow":
        return None
    return params_root(plan_path.parent) / "workflow" / f"{plan_id}.proposals.csv"  # plan ids are checked names


def latest_plan_run(runs_root: str | os.PathLike[str], plan_id: str) -> Path | None:
    """The plan's latest plan run whose targets were written, or None."""
    return folder.latest_run(folder.plan_dir(runs_root, plan_id), kind=folder.RUN_PLAN,
                             where=lambda p, m: (folder.results_dir(p) / folder.RESULTS_TARGETS).exists())


def top_down_volumes(targets: pd.DataFrame) -> pd.Series:
    """Each region's annual target volume from a run's targets table (its total rows), by region id."""
    kinds = [c for c in ("product_line", "sku", "channel", "terminal_class", "terminal_id", "distributor_id")
             if c in targets.columns]
    t = targets[targets[kinds].isna().all(axis=1)]
    return t.groupby(t["region_id"].astype(str), sort=True)["target_volume"].sum().astype("float64")


# -- versions -----------------------------------------------------------------------------------


def version_dir(wdir: str | os.PathLike[str], version: str) -> Path:
    """``workflow/versions/<version>`` (the name checked)."""
    return Path(wdir) / "versions" / versions.version_name(version)


def _version_files(run_dir: Path) -> dict[str, Path]:
    """relpath in the version -> source path in the run."""
    out: dict[str, Path] = {}
    for snap in sorted(run_dir.glob("regions/*/params.resolved.yaml")):
        out[f"params.resolved/{snap.parent.name}.yaml"] = snap
    res = folder.results_dir(run_dir)
    for name in (folder.RESULTS_TARGETS, folder.RESULTS_BUDGET, folder.RESULTS_REGIONS, folder.RESULTS_METHODS):
        if (res / name).exists():
            out[f"results/{name}"] = res / name
    for page in sorted(run_dir.glob("regions/*/*.html")):
        out[f"reports/{page.parent.name}/{page.name}"] = page
    return out


def _existing_versions(wdir: Path) -> list[str]:
    vdir = wdir / "versions"
    names = [p.name for p in vdir.glob("v*") if p.is_dir() and re.fullmatch(r"v[1-9][0-9]{0,5}", p.name)]
    return sorted(names, key=lambda v: int(v[1:]))


def read_version(wdir: str | os.PathLike[str], version: str) -> dict[str, Any]:
    """A version's ``version.json``."""
    path = version_dir(wdir, version) / "version.json"
    if not path.exists():
        have = ", ".join(_existing_versions(Path(wdir))) or "none yet"
        raise WorkflowError(f"{path}: no version {version} (locked versions: {have}); `planlib plan lock` makes one")
    return json.loads(path.read_text(encoding="utf-8"))


def lock_version(wdir: str | os.PathLike[str], run_dir: str | os.PathLike[str], *, by: str) -> tuple[str, bool]:
    """
    Freeze a run as the next version, or say which version already holds it unchanged.

    Returns
    -------
    (str, bool)
        The version and whether it was created now (False: the run, unchanged, is that
        version already).

    Raises
    ------
    WorkflowError
        The run has no targets (a run whose targets step failed cannot be signed).

    Notes
    -----
    The version folder holds copies of the run's resolved params, results and reports
    (read-only) and ``version.json`` with each file's sha256; the ``lock`` line's ``after``
    is the sha256 of ``version.json``. Written into a temporary folder and renamed.
    """
    wdir = Path(wdir)
    run_dir = Path(run_dir)
    manifest = folder.read_manifest(run_dir)
    files = _version_files(run_dir)
    if "results/" + folder.RESULTS_TARGETS not in files:
        raise WorkflowError(f"{run_dir}: the run has no results/targets.parquet{folder.step_failure(run_dir, 'targets')}"
                            "; only a run with targets can be locked")
    hashes = {rel: file_sha256(src) for rel, src in files.items()}
    with holding(wdir):
        audit.read_log(audit_path(wdir))
        for v in _existing_versions(wdir):
            info = read_version(wdir, v)
            if info.get("run_id") == run_dir.name and info.get("files") == hashes:
                return v, False
        version = versions.next_version(_existing_versions(wdir))
        (wdir / "versions").mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=wdir / "versions"))
        try:
            for rel, src in files.items():
                dest = tmp / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
            info = {"version": version, "run_id": run_dir.name, "locked_at": now_iso(), "by": by, "files": hashes,
                    "params_hash": manifest.get("params_hash"), "scenario": manifest.get("scenario"),
                    "data_fingerprint": manifest.get("data_fingerprint")}
            (tmp / "version.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            for p in tmp.rglob("*"):
                if p.is_file():
                    p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.rename(tmp, wdir / "versions" / version)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        append_event(wdir, by=by, action="lock", version=version, note=f"run {run_dir.name}",
                     after=file_sha256(wdir / "versions" / version / "version.json"))
        return version, True


def params_of_version(wdir: str | os.PathLike[str], version: str) -> dict[str, dict]:
    """Region id -> the resolved params a version was run with (parsed YAML)."""
    out = {}
    for path in sorted((version_dir(wdir, version) / "params.resolved").glob("*.yaml")):
        out[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return out


def verify(wdir: str | os.PathLike[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """
    Check the workflow folder: the audit chain, every locked version and every submission.

    Returns
    -------
    (list of dict, list of str)
        The log's good records and the problems found (empty when nothing was altered).

    Notes
    -----
    A version is altered when ``version.json``'s sha256 is not the lock line's ``after``,
    or a file's sha256 is not the one ``version.json`` recorded, or files were added or
    removed; a submission when ``submission.xlsx``'s sha256 is not the submit line's.
    """
    wdir = Path(wdir)
    records, problems = audit.verify_lines(_raw_lines(wdir), str(audit_path(wdir)))
    locked = {r["version"]: r for r in records if r["action"] == "lock"}
    for v in sorted(set(locked) | set(_existing_versions(wdir)), key=lambda v: int(v[1:])):
        vdir = wdir / "versions" / v
        where = f"{vdir}"
        if v not in locked:
            problems.append(f"{where}: a version folder no lock line records")
            continue
        meta = vdir / "version.json"
        if not meta.exists():
            problems.append(f"{where}: version.json is missing (the version was removed or altered)")
            continue
        if file_sha256(meta) != locked[v]["after"]:
            problems.append(f"{meta}: changed after the lock (sha256 differs from the audit log's line "
                            f"{locked[v]['seq']})")
        info = json.loads(meta.read_text(encoding="utf-8"))
        actual = {p.relative_to(vdir).as_posix(): file_sha256(p) for p in vdir.rglob("*")
                  if p.is_file() and p.name != "version.json"}
        problems.extend(f"{where}: {s}" for s in versions.altered_files(info.get("files", {}), actual))
    for rec in records:
        if rec["action"] == "submit":
            path = wdir / "submissions" / rec["region_id"] / str(rec["seq"]) / "submission.xlsx"
            if not path.exists() or file_sha256(path) != rec["after"]:
                problems.append(f"{path}: the submission recorded at line {rec['seq']} was "
                                + ("removed" if not path.exists() else "changed"))
    return records, problems


def region_workflow(runs_root: str | os.PathLike[str], plan_id: str) -> dict[str, dict[str, str | None]]:
    """
    Each region's workflow status and the latest locked version, for the portal.

    Returns
    -------
    dict
        region id -> ``{"status": Chinese label (未提交 …), "version": "v1" or None}`` for
        every region the workflow has seen (a template, a submission or a decision); empty
        when the plan has no workflow folder. A broken audit log gives every region the
        status ``"审计日志异常"`` (`planlib plan log` says what).
    """
    wdir = workflow_dir(runs_root, plan_id)
    if not audit_path(wdir).exists():
        return {}
    lines = _raw_lines(wdir)
    records, problems = audit.verify_lines(lines, str(audit_path(wdir)))
    seen = set()
    for line in lines:  # a broken log still names its regions (each then shows the problem)
        try:
            seen.add(json.loads(line).get("region_id"))
        except (ValueError, AttributeError):
            continue
    regions = sorted(r for r in seen if isinstance(r, str) and r)
    st = status.region_status(records, None, regions)
    out = {}
    for row in st.itertuples(index=False):
        label = "审计日志异常" if problems else WORKFLOW_STATUS_NAMES[row.status]
        out[row.region_id] = {"status": label, "version": row.version}
    return out
