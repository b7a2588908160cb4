"""What a rule sees of one error: the `Site`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence, TypeVar

from ...cargo import CheckResult
from ...context import ItemContext, enclosing_item, type_definition
from ...diagnostics import Diagnostic, Span

T = TypeVar("T")

@dataclass
class Site:
    """One error where the rules look: the error, its primary span, the workspace's files as verified so
    far (`files`: path → bytes), its root (rustc's suggestions name files relative to it) and the last
    check (`last`: its warnings, the other errors). For the primary span in a workspace file: `file`,
    its bytes `data`, the span's `text`, and the enclosing item (`item`, tree-sitter). `type_definition`
    finds a struct, enum or union the workspace defines."""

    error: Diagnostic
    files: Mapping[str, bytes]
    root: Path
    last: CheckResult
    span: Span | None = field(init=False)

    def __post_init__(self) -> None:
        self.span = self.error.primary_span

    @property
    def file(self) -> str:
        """The primary span's file (check `data` first: None outside the workspace)."""
        assert self.span is not None
        return self.span.file_name

    @property
    def data(self) -> bytes | None:
        """The bytes of the primary span's file, or None when there is no primary span or its file is not
        one of the workspace's (a rule declared `span=True` only runs when there is)."""
        if self.span is None:
            return None
        return self.files.get(self.span.file_name)

    @cached_property
    def text(self) -> str:
        """The primary span's text."""
        assert self.data is not None and self.span is not None
        return self.data[self.span.byte_start:self.span.byte_end].decode("utf-8", "replace")

    @cached_property
    def item(self) -> ItemContext | None:
        """The item (function, impl, struct, ...) enclosing the primary span, or None at top level."""
        assert self.data is not None and self.span is not None
        return enclosing_item(self.data, self.span.byte_start, self.span.byte_end)

    def all_spans(self) -> list[Span]:
        """The error's spans, then its children's."""
        return list(self.error.spans) + [s for c in self.error.children for s in c.spans]

    def type_definition(self, name: str, kinds: Sequence[str] = ("struct", "enum", "union"), max_lines: int = 30
                        ) -> tuple[str, ItemContext] | None:
        """The workspace's `struct`/`enum`/`union` (or other `kinds`: `trait`) `name`, shorter than
        `max_lines` lines: (file, item), or None (`context.type_definition`)."""
        return type_definition(self.files, name, kinds, max_lines)

    def nearest(self, uses: Callable[[bytes], Iterable[tuple[int, T]]], offset: int, limit: int | None = None
                ) -> list[T]:
        """What `uses` finds in the workspace's Rust files (a file's bytes → (byte offset, item): the
        crate's other calls of a function, literals of a struct), the primary span's file first,
        nearest to byte `offset` first; at most `limit`."""
        found: list[tuple[int, T]] = []
        for f in sorted(self.files):
            if f.endswith(".rs"):
                found += [(abs(at - offset) if f == self.file else 1 << 40, x) for at, x in uses(self.files[f])]
        return [x for _d, x in sorted(found)[:limit]]


#: a variable read in an expression's text: a name not after `.` (a range's `..` is no field access) or `::`,
#: not called, not a macro or a path
_NOT_AFTER_ACCESS = r"(?<![\w:])(?<!(?<!\.)\.)"
_VARIABLE = re.compile(_NOT_AFTER_ACCESS + r"([a-z_]\w*)\b(?!\s*(?:[(!]|::))")


def renamed_variable(text: str, name: str) -> str | None:
    """`text`, an expression, with the one variable it reads renamed to `name` (`l.borrow()` →
    `r.borrow()`, `&a[..n]` reads two: None); None when it reads none or several (`self` not counted),
    or holds a string or character literal (whose words are not variables)."""
    if re.search(r"[\"']", text):
        return None
    variables = {m.group(1) for m in _VARIABLE.finditer(text)} - {"self"}
    if len(variables) != 1:
        return None
    return re.sub(_NOT_AFTER_ACCESS + rf"{re.escape(variables.pop())}\b", name, text)


def fresh_name(text: str, candidates: Sequence[str]) -> str | None:
    """The first of `candidates` (lifetimes or labels, `'a`) that `text` does not use, or None."""
    return next((n for n in candidates if not re.search(rf"{re.escape(n)}\b", text)), None)


def type_key(text: str) -> str:
    """A type's text without lifetimes and whitespace, to compare types as written (`&'a [u8]` and
    `& [u8]` → `&[u8]`)."""
    return re.sub(r"'\w+|\s+", "", text)
