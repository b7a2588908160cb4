"""Syntax: literals and attributes written wrong (an unterminated string, null characters where none
may be, an attribute key given twice)."""

from __future__ import annotations

import re
from typing import Iterator

from ...diagnostics import MAYBE_INCORRECT
from ...edits import Fix, TextEdit
from .registry import ANY, Example, rule
from .site import Site


@rule("E0648", priority=2990)
def remove_null_characters(site: Site) -> list[Fix]:
    """E0648 "`export_name` may not contain null characters": the `\\0`s removed."""
    text = site.text
    if "null characters" not in site.error.message or "\\0" not in text:
        return []
    span = site.span
    return [Fix("remove the null characters",
                (TextEdit(site.file, span.byte_start, span.byte_end, text.replace("\\0", "")),), MAYBE_INCORRECT)]


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


# E0538 "malformed `deprecated` attribute input" (label "found `note` used as a key more than once")
@rule(ANY, priority=3060, examples=[
    Example("an-attribute-key-given-twice-loses-the-repeat", """\
#[deprecated(since = "0.2.0", note = "use `run`", note = "old")]
pub fn start() {}
""", counts=(("note =", 1),)),
])
def remove_repeated_key(site: Site) -> Iterator[Fix]:
    """A key a secondary span labels "used ... more than once" in the primary span's file (E0538 "found
    `note` used as a key more than once"): removed, with the comma before it."""
    f, data = site.file, site.data
    for s in site.error.spans:
        if s.file_name == f and "more than once" in (s.label or "") and not s.is_primary:
            comma = re.search(rb",\s*$", data[max(0, s.byte_start - 40):s.byte_start])
            lo = max(0, s.byte_start - 40) + comma.start() if comma else s.byte_start
            yield Fix("remove the repeated key", (TextEdit(f, lo, s.byte_end, ""),), MAYBE_INCORRECT)
