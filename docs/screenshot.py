"""Write the HTML report of a result folder and a PNG of its top part, for the README.

    python docs/screenshot.py RESULT_DIR [--out docs/report.png] [--html FILE] [--height 1500] [--lang en]

The report is drawn by Debian's Chromium through playwright (tests/browser.py, the same code the
browser tests use); the PNG is the top ``--height`` pixels at 1280 pixels wide. Without --html the
report goes to a temporary file and only the PNG stays.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from allocopt.board import plan_report, write_report  # noqa: E402
from allocopt.compare import read_result  # noqa: E402
from browser import look  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result_dir", type=Path, help="a result folder (allocopt solve --out ...)")
    parser.add_argument("--out", type=Path, default=HERE / "report.png", help="the PNG to write")
    parser.add_argument("--html", type=Path, default=None, help="also keep the HTML report here")
    parser.add_argument("--height", type=int, default=1500, help="pixels of the page's top in the PNG")
    parser.add_argument("--lang", choices=("en", "sv"), default=None, help="the report's language")
    args = parser.parse_args(argv)
    html = plan_report(read_result(args.result_dir), args.lang)
    with tempfile.TemporaryDirectory() as tmp:
        page = write_report(html, args.html or Path(tmp) / "report.html")
        seen = look(page, args.out, clip_height=args.height)
    problems = seen.console_errors + seen.page_errors + seen.requests
    for problem in problems:
        print(f"browser: {problem}", file=sys.stderr)
    print(f"{args.out}: {args.out.stat().st_size / 1e3:.0f} kB, charts drawn: {', '.join(seen.charts)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
