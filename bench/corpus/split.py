#!/usr/bin/env python3
"""The tune / held-out split of the development corpus, by a hash of the case id.

    python bench/corpus/split.py bench/corpus/data/errindex bench/corpus/data/mutants

A case is held out when `int(sha256(case_id)[:8], 16) % 3 != 0` (about two thirds) and a tune case
otherwise. Rules are debugged on tune cases only; the held-out figure is the result. The rule depends on
the id alone, so a rebuilt corpus keeps every surviving case on its side. Run as a script, it prints the
cases per source and half.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

SPLITS = ("tune", "held-out")


def is_held_out(case_id: str) -> bool:
    return int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16) % 3 != 0


def split_of(case_id: str) -> str:
    return "held-out" if is_held_out(case_id) else "tune"


def main() -> None:
    counts: Counter = Counter()
    for corpus in map(Path, sys.argv[1:]):
        for p in sorted(corpus.iterdir()):
            meta = p / "case.json" if p.is_dir() else p
            if meta.suffix != ".json" or not meta.is_file():
                continue
            case = json.loads(meta.read_text())
            if "id" in case and ("patch" in case or meta.name == "case.json"):
                counts[(case["source"], split_of(case["id"]))] += 1
    for source in sorted({s for s, _ in counts}):
        n = {h: counts[(source, h)] for h in SPLITS}
        print(f"{source:16} tune {n['tune']:4}  held-out {n['held-out']:4}  total {sum(n.values()):4}")


if __name__ == "__main__":
    main()
