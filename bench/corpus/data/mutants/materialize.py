#!/usr/bin/env python3
"""Build one dev-corpus mutant as a cargo project: the public corpus's materialize.py, found from here.

    python3 materialize.py CASE.json DEST [--fixed] [--force]

The dev mutants use the same JSON format as ../shared/bench/mutants, so the public script builds them
(copy the Debian crate, drop dev-dependencies, offline `.cargo/config.toml`, apply the patch). This file
stands beside the JSONs because bench/fixrate.py runs `<corpus>/materialize.py`. It looks for
`shared/bench/mutants/materialize.py` in the folders above it (the checkout's sibling `../shared`), or
takes the path in $FERROFIX_MATERIALIZE.
"""
import os
import runpy
import sys
from pathlib import Path


def public_script() -> Path:
    env = os.environ.get("FERROFIX_MATERIALIZE")
    if env:
        return Path(env)
    for d in Path(__file__).resolve().parents:
        p = d / "shared" / "bench" / "mutants" / "materialize.py"
        if p.is_file():
            return p
    sys.exit("shared/bench/mutants/materialize.py not found above this file: set FERROFIX_MATERIALIZE")


if __name__ == "__main__":
    runpy.run_path(str(public_script()), run_name="__main__")
