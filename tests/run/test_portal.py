"""The portal counts regions honestly: a region that never ran is not a success."""

from __future__ import annotations

from planlib.run import portal

NOTEBOOKS = ["10_review_archive", "20_split_targets"]
REGIONS = ["K1", "K2", "K3", "K4", "C1", "HQ"]


def _manifest(entries, **extra):
    return {"plan_id": "p", "run_id": "r1", "notebooks": NOTEBOOKS, "finished": None, "entries": entries, **extra}


def _entry(region, nb, status):
    return {"region_id": region, "notebook": nb, "status": status, "seconds": 1.0, "error": None, "html": None}


def test_region_counts_succeeded_failed_and_not_run_separately():
    # four counties ran both notebooks (K2 failed one), C1 ran one of two, HQ none: the run was killed
    entries = [_entry(r, nb, "failed" if (r, nb) == ("K2", NOTEBOOKS[1]) else "succeeded")
               for r in REGIONS[:4] for nb in NOTEBOOKS] + [_entry("C1", NOTEBOOKS[0], "succeeded")]
    counts = portal.region_counts(_manifest(entries), REGIONS)
    assert counts == {"succeeded": 3, "failed": 1, "not run": 2}


def test_portal_of_an_interrupted_run_says_so_and_counts_only_what_ran():
    entries = [_entry(r, nb, "succeeded") for r in REGIONS[:4] for nb in NOTEBOOKS]
    rows = [{"region_id": r, "name": r, "level": "county"} for r in REGIONS]
    page = portal.render_portal(_manifest(entries, status="interrupted",
                                          interrupted={"at": "2027-01-05T09:30:00", "signal": "SIGTERM"}), rows)
    assert "成功 succeeded: 4" in page and "失败 failed: 0" in page and "未运行 not run: 2" in page
    assert "已中断 interrupted" in page
    running = portal.render_portal(_manifest([], status="running"), rows)
    assert "运行中 running" in running and "成功 succeeded: 0" in running and "未运行 not run: 6" in running


def test_portal_shows_every_dual_check_flag_in_chinese():
    """Each of the dual check's outcomes shows in the plan's words, never as its English code."""
    from planlib.labels import FLAG_NAMES
    from planlib.run.portal import render_portal

    flags = list(FLAG_NAMES)
    rows = [{"region_id": f"R{i}", "name": f"区域{i}", "level": "county", "flag": f} for i, f in enumerate(flags)]
    html = render_portal({"plan_id": "p", "run_id": "r", "notebooks": [], "entries": []}, rows)
    for flag in flags:
        assert FLAG_NAMES[flag].split(" ")[0] in html
    assert "expense ratio over threshold" not in html and "sales met, profit missed</span>" not in html
