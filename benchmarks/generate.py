"""Write a seeded synthetic municipality (allocopt.synthetic) as a scenario folder.

    python benchmarks/generate.py SIZE OUT_DIR [--seed N]      # SIZE: S, M, L or XL

The sizes and what a municipality holds: the docstring of :mod:`allocopt.synthetic`.
"""

from __future__ import annotations

import argparse
import sys

from allocopt.synthetic import SIZES, describe, write


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("size", choices=list(SIZES), help="S, M, L or XL")
    parser.add_argument("out_dir", help="scenario folder to write (replaced if it holds a scenario)")
    parser.add_argument("--seed", type=int, default=1, help="random seed [1]")
    args = parser.parse_args(argv)
    scenario = write(args.size, args.out_dir, args.seed)
    print(describe(scenario), file=sys.stderr)


if __name__ == "__main__":
    main()
