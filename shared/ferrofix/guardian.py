"""`python -m ferrofix.guardian PARENT_PID`: kills a ferrofix process's child process groups once that
process is gone (see `ferrofix.procs`).

Reads lines from stdin, a pipe only the parent holds: `+PGID` adds a group, `-PGID` removes it. At end
of file — the parent exited, was killed or crashed — it sends SIGKILL to every group still listed and
exits. It ignores SIGINT, SIGTERM and SIGHUP (a Ctrl+C or a terminal hang-up meant for the parent must
not end it before the parent's groups are dead). Imports nothing from ferrofix: it starts in ~30 ms.
"""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    groups: set[int] = set()
    for raw in sys.stdin.buffer:
        line = raw.strip()
        try:
            pgid = int(line[1:])
        except ValueError:
            continue
        if line.startswith(b"+"):
            groups.add(pgid)
        elif line.startswith(b"-"):
            groups.discard(pgid)
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


if __name__ == "__main__":
    main()
