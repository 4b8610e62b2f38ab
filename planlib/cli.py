"""
The ``planlib`` command.

::

    planlib demo [ARCHIVE] [--seed N] [--scale small|national] [--force] [--no-actuals]
    planlib archive init ARCHIVE
    planlib archive import ARCHIVE TABLE FILE...
    planlib archive check ARCHIVE [--region ID] [--out FILE.csv] [--limit N]
    planlib run PLAN.yaml [--regions ID...] [--level LEVEL] [--notebooks N...] [--workers N]
                          [--executor local|dask] [--scheduler ADDRESS] [--resume] [--scenario NAME]
                          [--as-of DATE [--plan-run RUN_ID]]

Exit codes: 0 success; 1 some regions failed (run) or error findings (check);
2 invalid input, nothing done; 3 import with some rows rejected.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planlib.errors import PlanlibError
from planlib.schemas import LEVELS, TABLE_ORDER

__all__ = ["main", "build_parser"]


def _err(message: str) -> None:
    print(f"planlib: error: {message}", file=sys.stderr)


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD, e.g. 2027-06-30") from None


def _cmd_demo(args: argparse.Namespace) -> int:
    from planlib import demo

    path = Path(args.archive)
    if path.exists() and not args.force:
        _err(f"{path} exists; pass --force to rebuild it")
        return 2
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = demo.build_demo(path, seed=args.seed, scale=args.scale, progress=True, actuals=not args.no_actuals)
    print(f"demo archive: {summary.path}")
    for table, n in summary.counts.items():
        print(f"  {table:<12} {n:>12,} rows")
    print(f"  planted defects for `planlib archive check`: {len(summary.planted_defects)}")
    return 0


def _cmd_archive_init(args: argparse.Namespace) -> int:
    from planlib import archive

    path = archive.init_archive(Path(args.archive))
    print(f"archive ready: {path}")
    return 0


def _cmd_archive_templates(args: argparse.Namespace) -> int:
    from planlib.archive.templates import write_import_templates

    paths = write_import_templates(Path(args.folder), tuple(args.tables or TABLE_ORDER))
    for path in paths:
        print(f"template: {path}")
    print("fill the 数据 sheet (required columns are bold; 说明 says what each column holds), then "
          "`planlib archive import ARCHIVE TABLE FILE`, tables in the order above")
    return 0


def _cmd_archive_import(args: argparse.Namespace) -> int:
    from planlib import archive

    report = archive.import_files(Path(args.archive), args.table, [Path(f) for f in args.files])
    for line in report.lines():
        print(line)
    return report.exit_code


def _cmd_archive_check(args: argparse.Namespace) -> int:
    from planlib import archive

    con = archive.connect(Path(args.archive))
    try:
        findings = archive.check_archive(con, region_id=args.region)
    finally:
        con.close()
    print(archive.format_findings(findings, limit=args.limit))
    if args.out:
        out = Path(args.out)
        findings.to_csv(out, index=False, encoding="utf-8-sig")
        print(f"findings written to {out}")
    return 1 if (findings["severity"] == "error").any() else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from planlib.run import batch

    if args.plan_run and args.as_of is None:
        _err(f"--plan-run {args.plan_run}: a signed plan run is followed by a tracking run; add --as-of DATE")
        return 2
    if args.scheduler and args.executor != "dask":
        _err(f"--scheduler {args.scheduler}: a scheduler is for --executor dask")
        return 2
    try:
        result = batch.run_plan(
            Path(args.plan),
            regions=args.regions,
            level=args.level,
            notebooks=args.notebooks,
            workers=args.workers,
            resume=args.resume,
            scenario=args.scenario,
            runs_root=args.runs_dir,
            progress=not args.quiet,
            executor=args.executor,
            scheduler=args.scheduler,
            as_of=args.as_of,
            plan_run=args.plan_run,
        )
    except batch.RunInterrupted as stop:
        where = f" {stop.run_dir}" if stop.run_dir else ""
        runs_dir = f" --runs-dir {args.runs_dir}" if args.runs_dir else ""
        _err(f"run interrupted ({stop}); its workers were stopped and the run{where} is marked interrupted; "
             f"`planlib run {args.plan}{runs_dir} --resume` (with the same options) continues it")
        return 128 + stop.signum
    n = len(result.manifest["entries"])
    ok = sum(e["status"] == "succeeded" for e in result.manifest["entries"])
    print(f"{ok}/{n} reports succeeded")
    blocked = [e for e in result.manifest["entries"] if (e.get("error") or {}).get("ename") == "PlanStepFailed"]
    for step in result.manifest.get("plan_steps", []):
        if step.get("status") == "failed":
            err = step.get("error") or {}
            _err(f"the plan's {step['step']} step failed: {err.get('ename')}: {str(err.get('evalue', ''))[:400]}; "
                 f"{len(blocked)} reports that need it were not run")
    for region, nb in result.failed:
        entry = next(e for e in result.manifest["entries"] if (e["region_id"], e["notebook"]) == (region, nb))
        err = entry.get("error") or {}
        if err.get("ename") != "PlanStepFailed":
            print(f"  FAILED {region} {nb}: {err.get('ename')}: {str(err.get('evalue', ''))[:200]}", file=sys.stderr)
    print(f"portal: {result.portal}")
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    p = argparse.ArgumentParser(
        prog="planlib", description="Annual marketing-plan workbooks: archive, analysis, runs.",
        epilog="Exit codes: 0 success; 1 some regions failed (run) or error findings (check); 2 invalid input, "
               "nothing done; 3 import with some rows rejected; 128+N stopped by signal N.")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="build the deterministic demo archive")
    d.add_argument("archive", nargs="?", default="data/demo.duckdb",
                   help="the archive file to build (default: %(default)s)")
    d.add_argument("--seed", type=int, default=20261127,
                   help="random seed: the same seed builds the same archive (default: %(default)s)")
    d.add_argument("--scale", choices=["small", "national"], default="small",
                   help="small: a province's worth, seconds; national: ~2,800 counties, minutes (default: %(default)s)")
    d.add_argument("--force", action="store_true", help="rebuild an existing archive")
    d.add_argument("--no-actuals", action="store_true",
                   help="history only (2024-2026): without the plan year's actuals to 30 June 2027 that tracking reads")
    d.set_defaults(func=_cmd_demo)

    a = sub.add_parser("archive", help="the information archive (DuckDB file)")
    asub = a.add_subparsers(dest="archive_command", required=True)
    ai = asub.add_parser("init", help="create an empty archive")
    ai.add_argument("archive", help="the archive file (a DuckDB file) to create")
    ai.set_defaults(func=_cmd_archive_init)
    at = asub.add_parser("templates", help="write an Excel import template per table (Chinese headers, an example "
                                           "row, required and optional columns)")
    at.add_argument("folder", help="the folder the templates go to (<table>.xlsx each)")
    at.add_argument("--tables", nargs="+", choices=TABLE_ORDER, default=None, metavar="TABLE",
                    help="only these tables (default all, in import order)")
    at.set_defaults(func=_cmd_archive_templates)
    am = asub.add_parser("import", help="import CSV/XLSX/Parquet files into a table")
    am.add_argument("archive", help="the archive file")
    am.add_argument("table", choices=TABLE_ORDER, help="the table the rows go to")
    am.add_argument("files", nargs="+",
                    help="CSV (UTF-8, GB18030/GBK), XLSX or Parquet files; rejected rows go to a rejects file")
    am.set_defaults(func=_cmd_archive_import)
    ac = asub.add_parser("check", help="data-quality report")
    ac.add_argument("archive", help="the archive file")
    ac.add_argument("--region", default=None, help="only this region's subtree")
    ac.add_argument("--out", default=None, help="also write all findings to this CSV")
    ac.add_argument("--limit", type=int, default=30, help="findings listed on the terminal")
    ac.set_defaults(func=_cmd_archive_check)

    r = sub.add_parser(
        "run", help="run a plan's notebooks per region",
        description="Run a plan's notebooks for every region in its scope, children before parents, into "
                    "runs/<plan_id>/<run_id>/. Each run gets its own folder, even when runs of the same plan "
                    "start together; --resume continues the latest run and is refused while that run is still "
                    "going. SIGTERM or Ctrl-C stops the workers and marks the run interrupted. "
                    "With --executor dask the same tasks run on a Dask distributed cluster: the run folder "
                    "(--runs-dir) and the archive must be on a filesystem every worker shares, at the same paths, "
                    "with the same Python environment. "
                    "Exit 0 all succeeded, 1 some region failed, 2 invalid plan or params, or no scheduler "
                    "(nothing runs).")
    r.add_argument("plan", help="the plan YAML (params/<plan>.yaml)")
    r.add_argument("--regions", nargs="+", default=None, metavar="ID",
                   help="only these region ids (in the plan's scope); default every region of the plan's levels")
    r.add_argument("--level", choices=LEVELS, default=None, help="only the regions of this level")
    r.add_argument("--notebooks", nargs="+", default=None, metavar="N",
                   help="notebook names such as 20_split_targets (no path, no suffix); default the plan's notebooks")
    r.add_argument("--workers", type=int, default=None,
                   help="notebooks run in parallel (local processes, or the Dask LocalCluster's workers); "
                        "default the plan's run.workers")
    r.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local: worker processes on this machine (default); dask: a Dask distributed cluster, the "
                        "one at --scheduler or a LocalCluster started for the run. Same tasks, order, manifest, "
                        "resume and outputs; a lost Dask worker's tasks are rerun on another")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="the Dask scheduler, e.g. tcp://HOST:8786 (with --executor dask; default a LocalCluster). "
                        "Its workers must see the run folder and the archive at the same paths (shared storage) "
                        "and run one thread each (dask worker ADDRESS --nthreads 1)")
    r.add_argument("--resume", action="store_true",
                   help="continue the plan's latest run, skipping what succeeded with the same inputs; refused "
                        "while another process is still running it")
    r.add_argument("--scenario", default="base",
                   help="params/scenarios/<NAME>.yaml merged over the plan and region params (default: base)")
    r.add_argument("--runs-dir", default=None, metavar="DIR",
                   help="where runs/<plan_id>/<run_id>/ go (default: runs/ in the current folder)")
    r.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="track the signed plan against the archive's actuals up to this date (a tracking run of "
                        "40_track_results, the default notebook then); exit 2 when the plan year has no actuals")
    r.add_argument("--plan-run", default=None, metavar="RUN_ID",
                   help="with --as-of: the plan run to follow (its targets and budget are read, never recomputed); "
                        "default the plan's latest run whose targets and budget succeeded")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_cmd_run)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planlib`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PlanlibError as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted; nothing was changed by the interrupted step")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
