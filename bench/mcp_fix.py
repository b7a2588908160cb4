#!/usr/bin/env python3
"""`ferrofix fix --write --json` through MCP: start `ferrofix mcp` (stdio), call its `compile_and_fix`
tool with the MCP SDK's own client, and print the result in the CLI's `--json` shape.

    python bench/mcp_fix.py PATH [--timeout S] [--no-llm]

`bench/fixrate.py --via mcp` runs every case through this instead of the CLI, so the two fix rates are
measured the same way (same cases, same knowledge-base copy, same time budget). Exit 0 when fixed,
1 when errors remain, 2 when the tool failed (its one-line message on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import anyio
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client


def _cli_diagnostic(d: dict) -> dict:
    """An MCP `Diagnostic` in the CLI's `--json` shape (1-based line and column)."""
    r = d.get("range")
    return {"code": d["code"], "level": d["level"], "message": d["message"], "file": d["file"],
            "line": r["start"]["line"] + 1 if r else None, "column": r["start"]["character"] + 1 if r else None,
            "rendered": d["rendered"]}


async def fix(path: str, timeout_s: float | None, use_model: bool) -> tuple[int, dict | str]:
    params = StdioServerParameters(command=sys.executable, args=["-m", "ferrofix", "mcp"], env=dict(os.environ))
    args = {"path": path, "write": True, "use_model": use_model}
    if timeout_s:
        args["timeout_s"] = timeout_s
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            res = await session.call_tool("compile_and_fix", args, read_timeout_seconds=(timeout_s or 600) + 120)
    if res.is_error:
        return 2, res.content[0].text if res.content else "tool error"
    out = res.structured_content
    return (0 if out["fixed"] else 1), {
        "fixed": out["fixed"],
        "initial_errors": [_cli_diagnostic(d) for d in out["initial_errors"]],
        "remaining_errors": [_cli_diagnostic(d) for d in out["remaining_errors"]],
        "diff": out["diff"],
        "stages": out["trace"],
        "elapsed_ms": out["elapsed_ms"],
        "tokens": out["tokens"],
        "files_changed": sorted(out["files"]),
        "written": out["written"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path")
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--no-llm", action="store_true")
    a = ap.parse_args()
    code, out = anyio.run(fix, a.path, a.timeout, not a.no_llm)
    if isinstance(out, str):
        print(out, file=sys.stderr)
    else:
        print(json.dumps(out))
    sys.exit(code)


if __name__ == "__main__":
    main()
