"""
The README's screenshots: the portal and one report per notebook, taken with headless Chromium.

Run by hand on a demo run (not collected by pytest)::

    planlib run params/demo.yaml --regions HQ P01 P01C01 P01C01K01 --runs-dir /tmp/h5/runs
    planlib run params/demo.yaml --regions HQ P01 P01C01 P01C01K01 --runs-dir /tmp/h5/runs \\
        --as-of 2027-06-30 --notebooks 40_track_results
    .venv/bin/python -m tests.browser.screenshots /tmp/h5/runs/demo-2027/<plan run> \\
        --tracking /tmp/h5/runs/demo-2027/<tracking run> --out docs/img

Each PNG is the top of its page (what a reader sees first), reduced to a 256-colour palette
so it stays well under 300 KB.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image

from tests.browser.chromium import Browser, find_chromium

#: notebook -> the region whose report is shown (one level each: the pyramid from the top down).
SHOTS = {"10_review_archive": "P01", "20_split_targets": "P01C01", "30_build_budget": "P01C01K01",
         "35_promotions": "HQ", "40_track_results": "P01", "50_consolidate": "P01"}


def shrink(path: Path) -> int:
    """Re-save a PNG with a 256-colour palette; return its size in bytes."""
    img = Image.open(path).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    path.write_bytes(buf.getvalue())
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("plan_run", type=Path)
    ap.add_argument("--tracking", type=Path, help="a tracking run of the same plan (40_track_results)")
    ap.add_argument("--out", type=Path, default=Path("docs/img"))
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=1500, help="pixels from the top of each page")
    args = ap.parse_args(argv)
    exe, why = find_chromium(install=False)
    if exe is None:
        raise SystemExit(why)
    args.out.mkdir(parents=True, exist_ok=True)
    pages = [("portal", args.plan_run / "index.html", 1000)]
    if args.tracking is not None:
        pages.append(("portal_tracking", args.tracking / "index.html", 800))
    for nb, region in SHOTS.items():
        run = args.tracking if nb == "40_track_results" else args.plan_run
        if run is not None and (run / "regions" / region / f"{nb}.html").exists():
            pages.append((nb, run / "regions" / region / f"{nb}.html", args.height))
    with Browser(exe, width=args.width, height=900) as b:
        for name, page, height in pages:
            b.open(page)
            if name.startswith("portal"):  # every region of the run, not only the pyramid's top
                b.evaluate("document.getElementById('all').click()")
            out = b.screenshot(args.out / f"{name}.png", height=height)
            print(f"{out}: {shrink(out) // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
