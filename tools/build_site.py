#!/usr/bin/env python
"""Build the static offline site of the executed notebooks (``make site``); the logic is in
``mbo_lib/reporting/site.py``.

Usage:
    python tools/build_site.py                          # notebooks/ (committed, quick profile) -> site/
    python tools/build_site.py --from runs/smoke        # a run_all.py output folder (its report.html too)
    python tools/build_site.py --out /tmp/site
Open ``site/index.html`` in a browser; nothing is loaded from the network.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", default=str(ROOT / "notebooks"),
                        help="folder of executed notebooks (default notebooks/; or runs/<profile>)")
    parser.add_argument("--out", default=str(ROOT / "site"), help="output folder (default site/)")
    args = parser.parse_args(argv)
    from mbo_lib.errors import MBOError
    from mbo_lib.reporting.site import build_site

    start = time.perf_counter()
    try:
        site = build_site(args.source, args.out)
    except MBOError as exc:
        print(f"build_site.py: error: {exc}", file=sys.stderr)
        return 2
    bad = [c.name for c in site.cards if c.status != "ok"]
    print(f"{len(site.pages)} pages, {len(site.cards)} cards ({len(bad)} not ok{': ' + ', '.join(bad) if bad else ''})"
          f"{', report copied' if site.report else ''} in {time.perf_counter() - start:.1f} s -> {site.index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
