"""The model prompts each case's repair sends, recorded without a model, to find the cases a prompt
change touches before spending a with-model run on them.

    python bench/prompts.py CORPUS... [--split tune|held-out] [--codes E0061,E0046] [--filter REGEX]
        --out prompts.json
    python bench/prompts.py --compare before.json after.json

The first form repairs each case with a scripted engine that answers nothing usable (`ScriptedEngine`,
so the loop runs its rules, then asks the model and gets no edit) and writes {case id: [prompt text,
...]} — the first 4 prompts each case sent, system and user messages joined. Run it from a checkout
of the code before a change (a `git worktree`) and from the one after, then `--compare` prints the ids
whose prompts differ: only those cases can change with the model, so only those need its run
(`bench/fixrate.py --filter`). Cases are chosen as `bench/fixrate.py` chooses them (first error code
for `--codes`). Each case costs its cargo checks, no model time (~5 s for a Debian crate).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fixrate  # noqa: E402  (bench/fixrate.py; puts this checkout's shared/ on sys.path)
from ferrofix.llm import ScriptedEngine  # noqa: E402
from ferrofix.repair import RepairOptions, repair  # noqa: E402


def requests(case: dict, timeout_s: float) -> list[list[dict[str, str]]]:
    """The chat requests (lists of messages) `repair` sends for `case` without samples, in order: per
    error the greedy search/replace (or fill) first, then the greedy item rewrite, …"""
    with tempfile.TemporaryDirectory(prefix="ferrofix-prompts-") as work:
        dest, _ref = fixrate.prepare(case, Path(work))
        engine = ScriptedEngine(["no edit"])
        try:
            repair(dest, RepairOptions(samples=0, timeout_s=timeout_s), engine=engine)
        except Exception as ex:  # noqa: BLE001 - an answer that never parses ends the run: the prompts are kept
            print(f"{case['id']}: {type(ex).__name__}", file=sys.stderr)
        return [list(request) for request in engine.requests]


def record(case: dict, timeout_s: float) -> list[str]:
    """The prompts (system and user text joined) `repair` sends for `case`, at most 4, in order."""
    return ["\n".join(m["content"] for m in request) for request in requests(case, timeout_s)][:4]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="*", type=Path)
    ap.add_argument("--split", choices=fixrate.SPLITS)
    ap.add_argument("--codes", help="only cases whose first error code is one of these (comma-separated)")
    ap.add_argument("--filter", help="only cases whose id matches this regular expression")
    ap.add_argument("--timeout", type=float, default=60.0, help="per case, seconds (default 60)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        before, after = (json.loads(p.read_text()) for p in args.compare)
        changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
        print(f"{len(changed)} of {len(before.keys() & after.keys())} cases' prompts differ "
              f"({sum(1 for k in before if before[k])} send any)")
        for k in changed:
            print(k)
        return
    if not args.corpora or args.out is None:
        ap.error("give the corpora and --out, or --compare BEFORE AFTER")
    codes = set(args.codes.split(",")) if args.codes else None
    cases = [c for corpus in args.corpora for c in fixrate.discover(corpus)
             if (not args.split or fixrate.split_of(c["id"]) == args.split)
             and (codes is None or (c["codes"] and c["codes"][0] in codes))
             and (not args.filter or re.search(args.filter, c["id"]))]
    out: dict[str, list[str]] = {}
    for i, case in enumerate(cases, 1):
        out[case["id"]] = record(case, args.timeout)
        print(f"[{i:3}/{len(cases)}] {case['id']} {len(out[case['id']])} prompts", file=sys.stderr)
    args.out.write_text(json.dumps(out))
    print(f"{len(cases)} cases, {sum(1 for v in out.values() if v)} send a prompt: {args.out}")


if __name__ == "__main__":
    main()
