"""
The ``planlib`` command.

::

    planlib demo [ARCHIVE] [--seed N] [--scale small|national] [--force] [--no-actuals]
    planlib archive init ARCHIVE
    planlib archive import ARCHIVE TABLE FILE... [--sheet NAME]
    planlib archive check ARCHIVE [--region ID] [--out FILE.csv] [--limit N]
    planlib run PLAN.yaml [--regions ID...] [--level LEVEL] [--notebooks N...] [--workers N]
                          [--executor local|dask] [--scheduler ADDRESS] [--resume] [--scenario NAME]...
                          [--as-of DATE [--plan-run RUN_ID]]
    planlib plan templates|submit|status|approve|return|lock|diff|log|demo PLAN.yaml ...   (docs/workflow.md)
    planlib plan document PLAN.yaml [--run RUN_ID] --region ID [--out DIR] [--runs-dir DIR]
    planlib compare PLAN.yaml RUN_ID RUN_ID... [--runs-dir DIR]

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


#: The plan steps' warnings printed after a run (all of them are in the run's manifest).
_WARNINGS_SHOWN = 5

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

    report = archive.import_files(Path(args.archive), args.table, [Path(f) for f in args.files], sheet=args.sheet)
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
    if args.plan_run and args.as_of is None:
        _err(f"--plan-run {args.plan_run}: a signed plan run is followed by a tracking run; add --as-of DATE")
        return 2
    if args.scheduler and args.executor != "dask":
        _err(f"--scheduler {args.scheduler}: a scheduler is for --executor dask")
        return 2
    scenarios = args.scenario or ["base"]
    if len(scenarios) == 1:
        return _run_scenario(args, scenarios[0])[0]
    if args.resume or args.as_of is not None:
        _err("--scenario given more than once runs each scenario anew and compares them; "
             "--resume and --as-of take one scenario")
        return 2
    if len(set(scenarios)) < len(scenarios):
        _err(f"--scenario {' '.join(scenarios)}: a scenario named twice")
        return 2
    from planlib import params

    for name in scenarios:  # every scenario's files are checked before the first one runs
        params.load_plan(Path(args.plan), scenario=name)
    codes, runs = [], []
    for name in scenarios:
        print(f"scenario {name}:")
        code, run_dir = _run_scenario(args, name)
        if run_dir is None:  # interrupted
            return code
        codes.append(code)
        runs.append(run_dir)
    return max(max(codes), _compare(runs))


def _run_scenario(args: argparse.Namespace, scenario: str) -> tuple[int, Path | None]:
    """One scenario's run, as ``planlib run`` does it: (exit code, run folder or None when interrupted)."""
    from planlib.run import batch

    try:
        result = batch.run_plan(
            Path(args.plan),
            regions=args.regions,
            level=args.level,
            notebooks=args.notebooks,
            workers=args.workers,
            resume=args.resume,
            scenario=scenario,
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
        return 128 + stop.signum, None
    n = len(result.manifest["entries"])
    ok = sum(e["status"] == "succeeded" for e in result.manifest["entries"])
    print(f"{ok}/{n} reports succeeded")
    asked = [nb for nb in result.manifest.get("notebooks", []) if nb in batch.PLANNED_NOTEBOOKS]
    below = [r for r, nbs in (result.manifest.get("planned") or {}).items() if any(nb not in nbs for nb in asked)]
    if below:  # asked for by id, below the plan's levels: no target or budget of their own to report
        print(f"  {', '.join(asked)} not run for {len(below)} region(s) below the plan's levels (scope.levels), "
              f"which have no target or budget of their own: {', '.join(below[:5])}{' …' if len(below) > 5 else ''}",
              file=sys.stderr)
    blocked = [e for e in result.manifest["entries"] if (e.get("error") or {}).get("ename") == "PlanStepFailed"]
    for step in result.manifest.get("plan_steps", []):
        if step.get("status") == "failed":
            err = step.get("error") or {}
            then = ("each review checked its own region instead" if step["step"] == "findings" else
                    f"{len(blocked)} reports that need it were not run")
            _err(f"the plan's {step['step']} step failed: {err.get('ename')}: {str(err.get('evalue', ''))[:400]}; {then}")
        said = list(dict.fromkeys(step.get("warnings") or []))  # each once (a step may warn of one thing twice)
        for text in said[:_WARNINGS_SHOWN]:  # what the step did on purpose but the planner should know
            print(f"  the plan's {step['step']} step warns: {str(text)[:400]}", file=sys.stderr)
        if len(said) > _WARNINGS_SHOWN:
            print(f"  … and {len(said) - _WARNINGS_SHOWN} more warnings of the {step['step']} step in "
                  f"{result.run_dir / 'manifest.json'}", file=sys.stderr)
    for region, nb in result.failed:
        entry = next(e for e in result.manifest["entries"] if (e["region_id"], e["notebook"]) == (region, nb))
        err = entry.get("error") or {}
        if err.get("ename") != "PlanStepFailed":
            print(f"  FAILED {region} {nb}: {err.get('ename')}: {str(err.get('evalue', ''))[:200]}", file=sys.stderr)
    print(f"portal: {result.portal}")
    return result.exit_code, result.run_dir


def _compare(runs: list[Path]) -> int:
    """Write the comparison page of runs of one plan; 0 written, 1 when fewer than two have a budget."""
    from planlib.present import compare as page
    from planlib.run import compare, folder

    priced = [r for r in runs if folder.results_path(r, folder.RESULTS_REGIONS).exists()]
    if len(priced) < 2:
        _err(f"no comparison: {len(priced)} of the {len(runs)} runs have a budget (the budget step runs with "
             "30_build_budget in --notebooks)")
        return 1
    c = compare.compare_runs(priced)
    out = page.write_comparison(c, compare.comparison_dir(priced[0].parent.parent, c.plan_id))
    print(f"comparison: {out}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from planlib import params
    from planlib.run import document

    if len(args.runs) < 2:
        _err(f"compare: {len(args.runs)} run given; give two or more run ids of the plan")
        return 2
    plan = params.load_plan(Path(args.plan))
    root = Path(args.runs_dir) if args.runs_dir else Path.cwd() / "runs"
    return _compare([document.find_run(root, plan.plan_id, r) for r in args.runs])


def _cmd_plan_document(args: argparse.Namespace) -> int:
    from planlib import params
    from planlib.present import document as render
    from planlib.run import document, folder
    from planlib.workflow import document as written

    plan = params.load_plan(Path(args.plan))
    root = Path(args.runs_dir) if args.runs_dir else Path.cwd() / "runs"
    run_dir = document.find_run(root, plan.plan_id, args.run)
    doc = written.plan_document(document.document_inputs(run_dir, args.region))
    page, word = render.write_document(doc, Path(args.out) if args.out else folder.region_dir(run_dir, args.region))
    print(f"plan document: {page}")
    print(f"plan document: {word}")
    return 0


def _add_document_parser(plan_sub) -> None:
    """``planlib plan document``: a region's written plan (HTML and Word) from a run."""
    d = plan_sub.add_parser(
        "document", help="a region's written plan (方案文本): an HTML page and a Word file to print and sign",
        description="The five modules of the written plan (market review and SWOT, targets and their split, "
                    "strategy and actions with owners, budget and the dual check, control schedule) from a run, "
                    "the archive and the workflow's submissions; written as <region_id>-plan.html and "
                    "<region_id>-plan.docx, by default into the run's regions/<region_id>/.")
    d.add_argument("plan", help="the plan YAML (params/<plan>.yaml)")
    d.add_argument("--run", default="latest", metavar="RUN_ID",
                   help="the plan run to write from (default: the latest plan run)")
    d.add_argument("--region", required=True, metavar="ID", help="the region (a region of the plan's levels)")
    d.add_argument("--out", default=None, metavar="DIR", help="where to write (default: the run's regions/<ID>/)")
    d.add_argument("--runs-dir", default=None, metavar="DIR",
                   help="where runs/<plan_id>/ is (default: runs/ in the current folder)")
    d.set_defaults(func=_cmd_plan_document)


def _add_compare_parser(sub) -> None:
    """``planlib compare``: runs of one plan side by side."""
    c = sub.add_parser(
        "compare", help="runs of a plan side by side: each scenario's target, budget, profit and dual check",
        description="Per region, each run's target volume and revenue, budget, profit at the target and the dual "
                    "check, the differences to the first run and the assumptions that differ (dotted keys), in "
                    "runs/<plan_id>/compare-<stamp>/index.html. Exit 0 written; 1 fewer than two runs with a budget; "
                    "2 unknown runs.")
    c.add_argument("plan", help="the plan YAML (params/<plan>.yaml)")
    c.add_argument("runs", nargs="+", metavar="RUN_ID", help="two or more run ids of the plan (the first is the "
                                                             "reference)")
    c.add_argument("--runs-dir", default=None, metavar="DIR",
                   help="where runs/<plan_id>/ is (default: runs/ in the current folder)")
    c.set_defaults(func=_cmd_compare)


# -- planlib plan: the workflow (issue #16) ------------------------------------------------------


def _plan_context(args: argparse.Namespace):
    """The plan, its region tree, its workflow regions, runs root and workflow folder."""
    from planlib import archive, params
    from planlib.run import batch, workflow_files

    plan = params.load_plan(Path(args.plan))
    tree = archive.load_tree(plan.archive)
    regions = sorted(batch.select_regions(plan, tree))
    root = Path(args.runs_dir) if args.runs_dir else Path.cwd() / "runs"
    return plan, tree, regions, root, workflow_files.workflow_dir(root, plan.plan_id)


def _by(args: argparse.Namespace) -> str:
    import os

    who = (args.by or os.environ.get("USER") or "").strip()
    if not who:
        raise PlanlibError("who is acting is unknown: pass --by NAME (or set $USER)")
    return who


def _cmd_plan_templates(args: argparse.Namespace) -> int:
    import pandas as pd

    from planlib.present import templates
    from planlib.run import batch, folder, workflow_files

    plan, tree, _, root, wdir = _plan_context(args)
    by = _by(args)
    chosen = batch.select_regions(plan, tree, regions=args.regions, level=args.level)
    run_dir = (folder.run_path(root, plan.plan_id, args.run) if args.run
               else workflow_files.latest_plan_run(root, plan.plan_id))
    if run_dir is None or not (folder.results_dir(run_dir) / folder.RESULTS_TARGETS).exists():
        _err(f"no plan run with targets under {folder.plan_dir(root, plan.plan_id)}: `planlib run {args.plan}` first "
             "(the templates show its top-down numbers)")
        return 2
    targets = folder.load_targets(run_dir)
    budget_path = folder.results_dir(run_dir) / folder.RESULTS_BUDGET
    budget = pd.read_parquet(budget_path) if budget_path.exists() else None
    for region in chosen:
        rows, items = templates.template_rows(targets, budget, region)
        path = templates.write_template(
            wdir / "templates" / f"{region}.xlsx", region=region, name=tree.name(region),
            plan_id=plan.plan_id, title=plan.title, year=plan.year, run_id=run_dir.name, targets=rows, budget=items)
        with workflow_files.holding(wdir):
            workflow_files.append_event(wdir, by=by, action="template", region_id=region,
                                        note=f"run {run_dir.name}", after=workflow_files.file_sha256(path))
        print(f"{region} {tree.name(region)}: {path}")
    print(f"{len(chosen)} templates from run {run_dir.name}")
    return 0


def _cmd_plan_submit(args: argparse.Namespace) -> int:
    from planlib.run import workflow_files

    plan, tree, regions, _, wdir = _plan_context(args)
    record, problems = workflow_files.submit(wdir, tree, regions, args.region, Path(args.file), plan.year,
                                             by=_by(args))
    if problems:
        _err(f"{args.file}: rejected, nothing imported; {len(problems)} cells to fix:")
        for p in problems:
            where = f"{p['sheet']}!{p['column']}{p['row']}" if p["row"] else p["sheet"]
            got = f"got {p['value']!r}" if p["value"] is not None else "empty"
            print(f"  {where}: {got}; expected {p['expected']}", file=sys.stderr)
        return 2
    print(f"{args.region}: submission accepted (audit line {record['seq']}; {record['note']})")
    return 0


def _status_frame(args: argparse.Namespace):
    from planlib import workflow
    from planlib.run import folder, workflow_files

    plan, tree, regions, root, wdir = _plan_context(args)
    log = workflow.read_log(workflow_files.audit_path(wdir))
    st = workflow.region_status(log, tree, regions)
    subs = workflow.annual_volumes(workflow_files.load_submissions(wdir, log)["targets"])
    run_dir = workflow_files.latest_plan_run(root, plan.plan_id)
    import pandas as pd

    top = workflow_files.top_down_volumes(folder.load_targets(run_dir)) if run_dir else pd.Series(dtype="float64")
    return workflow.status_table(st, subs, top, {r: tree.name(r) for r in regions})


def _cmd_plan_status(args: argparse.Namespace) -> int:
    from planlib.labels import WORKFLOW_LABELS

    table = _status_frame(args)
    shown = table.drop(columns=["status"]).rename(columns={**WORKFLOW_LABELS, "label": "状态"})
    fmt = {"提报销量（箱）": "{:,.0f}", "上级建议（箱）": "{:,.0f}", "差距（箱）": "{:+z,.0f}", "差距率": "{:+z.1%}"}
    for col, f in fmt.items():
        shown[col] = shown[col].map(lambda x, f=f: "—" if x != x else f.format(x))
    shown = shown.fillna("—").replace("", "—")  # a blank cell right-aligned would read as its neighbour's
    print(shown.to_string(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False, encoding="utf-8-sig")
        print(f"status written to {args.csv}")
    return 0


def _cmd_plan_decide(args: argparse.Namespace) -> int:
    from planlib.run import workflow_files

    plan, tree, regions, _, wdir = _plan_context(args)
    action = "approve" if args.plan_command == "approve" else "return"
    rec = workflow_files.decide(wdir, tree, regions, args.region, action, by=_by(args), note=args.note or "",
                                mirror=workflow_files.proposals_mirror(Path(args.plan), plan.plan_id))
    print(f"{args.region}: {'approved' if action == 'approve' else 'returned'} by {rec['by']} at {rec['at']} "
          f"(audit line {rec['seq']})")
    return 0


def _cmd_plan_lock(args: argparse.Namespace) -> int:
    from planlib.run import folder, workflow_files

    plan, _, _, root, wdir = _plan_context(args)
    run_dir = folder.run_path(root, plan.plan_id, args.run)
    if not folder.manifest_path(run_dir).exists():
        _err(f"{run_dir}: no such run of {plan.plan_id}")
        return 2
    version, created = workflow_files.lock_version(wdir, run_dir, by=_by(args))
    if created:
        print(f"run {args.run} locked as {version}: {workflow_files.version_dir(wdir, version)}")
    else:
        print(f"run {args.run} is already locked, unchanged, as {version}; nothing new to lock")
    return 0


def _cmd_plan_diff(args: argparse.Namespace) -> int:
    import pandas as pd

    from planlib import workflow
    from planlib.labels import WORKFLOW_LABELS
    from planlib.run import workflow_files

    plan, _, _, _, wdir = _plan_context(args)
    tables = []
    for v in (args.before, args.after):
        workflow_files.read_version(wdir, v)
        res = workflow_files.version_dir(wdir, v) / "results"
        tables.append({k: pd.read_parquet(res / f) if (res / f).exists() else None
                       for k, f in (("targets", "targets.parquet"), ("budget", "budget.parquet"),
                                    ("regions", "budget_regions.parquet"))})
    moved = workflow.diff_results(*tables)
    causes = workflow.diff_params(workflow_files.params_of_version(wdir, args.before),
                                  workflow_files.params_of_version(wdir, args.after))
    print(f"{plan.plan_id}: {args.before} → {args.after}")
    print(f"assumptions changed ({len(causes)}):")
    for row in causes.itertuples(index=False):
        print(f"  {row.key}: {row.before} → {row.after}   [{row.regions}]")
    print(f"what moved ({len(moved)} region-month figures):")
    if len(moved):
        shown = moved.assign(month=moved["month"].map(lambda d: "全年" if d is None else f"{d:%Y-%m}"),
                             measure=moved["measure"].map(WORKFLOW_LABELS))
        print(shown.rename(columns={**WORKFLOW_LABELS, "measure": "指标", "change": "变化"}).to_string(
            index=False, float_format=lambda x: f"{x:,.2f}"))
    if args.csv:
        out = moved.assign(kind="result", key=None, regions=None)
        cause = causes.assign(kind="assumption", region_id=None, month=None, measure=None, change=None)
        pd.concat([out, cause], ignore_index=True)[
            ["kind", "region_id", "month", "measure", "key", "before", "after", "change", "regions"]
        ].to_csv(args.csv, index=False, encoding="utf-8-sig")
        print(f"diff written to {args.csv}")
    return 0


def _cmd_plan_log(args: argparse.Namespace) -> int:
    from planlib.labels import WORKFLOW_ACTION_NAMES
    from planlib.run import workflow_files

    _, _, _, _, wdir = _plan_context(args)
    with workflow_files.holding(wdir):
        records, problems = workflow_files.verify(wdir)
        for r in records:
            what = WORKFLOW_ACTION_NAMES.get(r["action"], r["action"])
            where = " ".join(x for x in (r["region_id"], r["version"]) if x)
            print(f"{r['seq']:>4} {r['at']} {r['by']} {what} {where} {r['note']}".rstrip())
        if not problems:
            print(f"audit log verified: {len(records)} lines, every locked version and submission unchanged")
            return 0
        for p in problems:
            _err(f"tampering: {p}")
        workflow_files.append_event(wdir, by=_by(args), action="tamper_detected",
                                    note="; ".join(problems)[:2000])
    return 2


def _cmd_plan_demo(args: argparse.Namespace) -> int:
    from planlib.demo import workflow as demo_workflow
    from planlib.labels import WORKFLOW_STATUS_NAMES

    st = demo_workflow.first_round(Path(args.plan), Path(args.runs_dir) if args.runs_dir else Path.cwd() / "runs",
                                   city=args.city, by=_by(args))
    for row in st.itertuples(index=False):
        print(f"{row.region_id}: {WORKFLOW_STATUS_NAMES[row.status]}")
    print("the workflow's first round is in the audit log: `planlib plan status` / `planlib plan log`")
    return 0


def _add_plan_parser(sub) -> None:
    """``planlib plan …``: templates, submissions, approvals, locked versions, diff, audit log."""
    pl = sub.add_parser(
        "plan", help="the plan's workflow: templates, submissions, approval, locked versions, audit log",
        description="Everything in files beside the runs: <runs-dir>/<plan_id>/workflow/ (docs/workflow.md). "
                    "Every step is appended to the audit log with who (--by, default $USER) and when. "
                    "Exit 0 done; 2 refused or invalid (the reason is printed and logged).")
    psub = pl.add_subparsers(dest="plan_command", required=True)

    def common(p, by_required: bool = False):
        p.add_argument("plan", help="the plan YAML (params/<plan>.yaml)")
        p.add_argument("--runs-dir", default=None, metavar="DIR",
                       help="where runs/<plan_id>/ is (default: runs/ in the current folder)")
        p.add_argument("--by", required=by_required, default=None, metavar="NAME",
                       help="who does it (default $USER)" if not by_required else "who decides")
        return p

    t = common(psub.add_parser("templates", help="one Excel workbook per region for its manager to fill in"))
    t.add_argument("--level", choices=LEVELS, default=None, help="only the regions of this level (e.g. county)")
    t.add_argument("--regions", nargs="+", default=None, metavar="ID", help="only these region ids")
    t.add_argument("--run", default=None, metavar="RUN_ID",
                   help="the run whose top-down numbers the templates show (default the latest with targets)")
    t.set_defaults(func=_cmd_plan_templates)
    s = common(psub.add_parser("submit", help="check a filled workbook and record it (exit 2: the bad cells)"))
    s.add_argument("--region", required=True, metavar="ID", help="the region submitting")
    s.add_argument("file", help="the filled-in workbook (.xlsx)")
    s.set_defaults(func=_cmd_plan_submit)
    st = common(psub.add_parser("status", help="every region's status, who, when, and its gap to the top-down"))
    st.add_argument("--csv", default=None, metavar="FILE", help="also write the table to this CSV")
    st.set_defaults(func=_cmd_plan_status)
    for name, helps in (("approve", "approve a region (a parent only after its children); freezes its subtree"),
                        ("return", "return a region's submission with a note naming what to change")):
        d = common(psub.add_parser(name, help=helps), by_required=True)
        d.add_argument("--region", required=True, metavar="ID", help="the region decided on")
        d.add_argument("--note", default=None, metavar="TEXT",
                       help="what to change (required to return)" if name == "return" else "a remark")
        d.set_defaults(func=_cmd_plan_decide)
    lk = common(psub.add_parser("lock", help="freeze a run as the next version v1, v2, …"))
    lk.add_argument("--run", required=True, metavar="RUN_ID", help="the run to lock")
    lk.set_defaults(func=_cmd_plan_lock)
    df = common(psub.add_parser("diff", help="what moved between two versions, and which assumptions changed"))
    df.add_argument("before", metavar="V1", help="the earlier version, e.g. v1")
    df.add_argument("after", metavar="V2", help="the later version, e.g. v2")
    df.add_argument("--csv", default=None, metavar="FILE", help="also write the differences to this CSV")
    df.set_defaults(func=_cmd_plan_diff)
    lg = common(psub.add_parser("log", help="the audit log, verified (exit 2 and logged when altered)"))
    lg.set_defaults(func=_cmd_plan_log)
    dm = common(psub.add_parser("demo", help="the demo's first round: one city's counties get templates, most "
                                             "submit (filled by the demo generator), one approved, one returned"))
    dm.add_argument("--city", default=None, metavar="ID", help="the city (default the first with three counties)")
    dm.set_defaults(func=_cmd_plan_demo)
    _add_document_parser(psub)


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
    am.add_argument("--sheet", default=None, metavar="NAME",
                    help="the sheet to read of each workbook, when several hold the table's headers (by default "
                         "the one sheet whose first row holds them)")
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
    r.add_argument("--scenario", action="append", default=None, metavar="NAME",
                   help="params/scenarios/<NAME>.yaml merged over the plan and region params (default: base); "
                        "given more than once, each scenario runs into its own run folder and a comparison page "
                        "is written to runs/<plan_id>/compare-<stamp>/index.html")
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
    _add_plan_parser(sub)
    _add_compare_parser(sub)
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
