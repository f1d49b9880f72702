"""Run the benchmark suites: ``python -m cnnviz.bench [--quick] [--only SUITE] [--json FILE]``."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import asdict

from cnnviz.bench import SUITES
from cnnviz.device import configure_threads


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites, print one line per figure, exit 1 if a target was missed."""
    parser = argparse.ArgumentParser(prog="python -m cnnviz.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", action="append", choices=SUITES, help="run only this suite")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    configure_threads()
    results = []
    for name in args.only or SUITES:
        suite = importlib.import_module(f"cnnviz.bench.{name}")
        for result in suite.run(quick=args.quick):
            print(result.row(), flush=True)
            results.append(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(r) for r in results], f, indent=2)
    missed = [r for r in results if r.ok is False]
    print(f"{len(results)} figures, {len(missed)} targets missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
