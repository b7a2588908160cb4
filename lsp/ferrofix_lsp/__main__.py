"""`python -m ferrofix_lsp [--tcp PORT] [--host HOST] [--log-level LEVEL]`: the language server over
stdio (the default) or TCP. Logs go to stderr; stdout carries the protocol only — file descriptor 1
is pointed at stderr, so that nothing a library prints can corrupt the stream."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, set up logging to stderr, and serve over stdio or TCP."""
    ap = argparse.ArgumentParser(prog="ferrofix-lsp", description="ferrofix language server")
    ap.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    ap.add_argument("--tcp", type=int, metavar="PORT", help="listen on a TCP port instead (debugging)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--log-level", default=os.environ.get("FERROFIX_LOG", "INFO"))
    args = ap.parse_args(argv)
    # an editor stamps each stderr line itself: a time of ours only when a person reads the terminal
    stamp = "%(asctime)s " if sys.stderr.isatty() else ""
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(),
                        format=f"{stamp}%(levelname)s %(name)s: %(message)s")
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)
    from . import framing
    from .server import server
    if args.tcp:  # pygls' reader (a debugging aid: a bad frame there is not recovered from)
        server.start_tcp(args.host, args.tcp)
        return
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    framing.start_io(server, _Stdin(sys.stdin.buffer, server.end_soon), protocol_out)


class _Stdin:
    """The protocol's input for our reader (`framing`): at end of file (the client closed the pipe or
    died) `on_eof` runs at once, from the reader's thread, before pygls starts waiting for its workers."""

    def __init__(self, raw, on_eof) -> None:
        self.raw = raw
        self.on_eof = on_eof

    def read1(self, n: int) -> bytes:
        data = self.raw.read1(n)
        if not data:
            self.on_eof()
        return data


if __name__ == "__main__":
    main()
