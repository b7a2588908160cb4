"""Syntax: literals written wrong (an unterminated string)."""

from __future__ import annotations

import re
from typing import Iterator

from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import Example, rule
from .site import Site


# "unterminated double quote string": the closing `"` goes before the line's `;`
@rule("E0765", "E0766", priority=3040, examples=[
    Example("an-unterminated-string-is-closed-before-the-statement-ends", """\
pub fn greeting() -> &'static str {
    let s = "hello;
    s
}
""", after=("let s = \"hello\";",)),
])
def close_string(site: Site) -> Iterator[Fix]:
    """E0765/E0766 an unterminated string: closed before the statement's end on its first line, at that
    line's end, or right away (`b"; // ...` → `b""; // ...`)."""
    text, data = site.text, site.data
    if not re.match(r"b?\"", text):
        return
    open_end = site.span.byte_start + text.index('"') + 1
    eol = data.find(b"\n", open_end)
    eol = len(data) if eol < 0 else eol
    code = re.split(rb"//", data[open_end:eol])[0]
    spots = [open_end + m.start() for m in re.finditer(rb"[ \t]*[;,)]+[ \t]*$", code)][:1]
    spots += [open_end + len(code.rstrip()), open_end]
    for at in dict.fromkeys(spots):
        yield Fix("close the string", (TextEdit(site.file, at, at, '"'),), MAYBE_INCORRECT)
