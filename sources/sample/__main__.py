"""Command line: write the sample SIRENE stock zips and print their paths.

python -m sources.sample --out DIR --etablissements N --seed S
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sources.sample.sirene import generate_sirene


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, write the files, print one path a line."""
    parser = argparse.ArgumentParser(
        prog="python -m sources.sample",
        description="Write the sample SIRENE stock (three INSEE zips) into a folder.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("warehouse/sample"),
        help="folder to write into (default: warehouse/sample)",
    )
    parser.add_argument(
        "--etablissements",
        type=int,
        default=2000,
        help="rows of the établissement file, planted records included (default: 2000)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    args = parser.parse_args(argv)
    if args.etablissements < 0:
        parser.error("--etablissements must be >= 0")
    for path in generate_sirene(args.out, args.etablissements, args.seed).values():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
