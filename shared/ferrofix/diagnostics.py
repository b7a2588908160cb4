"""A typed model of rustc's JSON diagnostics, and conversion of spans to LSP positions.

Source of the format: rustc's JSON output (rustc dev guide, "JSON Output";
`rustc_errors::json`), as wrapped by cargo's `compiler-message` records
(`cargo check --message-format=json`). Byte offsets are into the UTF-8 bytes of the file;
lines and columns are 1-based, columns counting Unicode scalar values.
LSP positions are 0-based lines and UTF-16 code units (LSP 3.17 `Position`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import DiagnosticFormatError

#: How deep a diagnostic's children or a span's macro expansions may nest (rustc's own stay in the
#: single digits; a deeper object is malformed, and would exhaust the recursion limit).
MAX_NESTING = 64
_MISSING = object()


def _short(value: Any) -> str:
    return repr(value)[:60]


def _str(d: dict, key: str, default: Any = _MISSING) -> Any:
    """`d[key]` when it is a string (or `default`, when given, for a missing key or JSON null)."""
    v = d.get(key, _MISSING)
    if (v is _MISSING or v is None) and default is not _MISSING:
        return default
    if not isinstance(v, str):
        raise DiagnosticFormatError(f"field {key!r} is not a string: {_short(v)}")
    return v


def _int(d: dict, key: str, default: Any = _MISSING) -> int:
    """`d[key]` when it is an integer (not a bool), or `default` for a missing key."""
    v = d.get(key, _MISSING)
    if v is _MISSING and default is not _MISSING:
        return default
    if not isinstance(v, int) or isinstance(v, bool):
        raise DiagnosticFormatError(f"field {key!r} is not an integer: {_short(v)}")
    return v


#: rustc's `Applicability` values (rustc_lint_defs::Applicability).
MACHINE_APPLICABLE = "MachineApplicable"
MAYBE_INCORRECT = "MaybeIncorrect"
HAS_PLACEHOLDERS = "HasPlaceholders"
UNSPECIFIED = "Unspecified"


@dataclass(frozen=True, slots=True)
class SpanLine:
    """One source line a span touches: its text and the 1-based highlight columns."""

    text: str
    highlight_start: int
    highlight_end: int


@dataclass(frozen=True, slots=True)
class Expansion:
    """Where a span came from a macro: the invocation `span`, the macro's name and definition site."""

    span: "Span"
    macro_decl_name: str
    def_site_span: "Span | None"


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file, as rustc reports it.

    `file_name` is as rustc printed it: relative to the cargo workspace root for workspace members,
    absolute for files elsewhere, or `<...>` for compiler-internal sources. `byte_start`/`byte_end`
    index the file's UTF-8 bytes (end exclusive); `line_*`/`column_*` are 1-based, columns in
    Unicode scalar values, `column_end` exclusive.
    """

    file_name: str
    byte_start: int
    byte_end: int
    line_start: int
    line_end: int
    column_start: int
    column_end: int
    is_primary: bool = False
    label: str | None = None
    suggested_replacement: str | None = None
    suggestion_applicability: str | None = None
    text: tuple[SpanLine, ...] = ()
    expansion: Expansion | None = None

    @classmethod
    def from_json(cls, d: dict[str, Any], _depth: int = 0) -> "Span":
        """Build from rustc's span object. Raises DiagnosticFormatError on a malformed one (a missing
        or mistyped field, macro expansions nested deeper than `MAX_NESTING`)."""
        if not isinstance(d, dict):
            raise DiagnosticFormatError(f"a span is not an object: {_short(d)}")
        if _depth > MAX_NESTING:
            raise DiagnosticFormatError(f"macro expansions nested deeper than {MAX_NESTING}")
        exp = d.get("expansion")
        expansion = None
        if exp:
            if not isinstance(exp, dict):
                raise DiagnosticFormatError(f"a span's expansion is not an object: {_short(exp)}")
            def_site = exp.get("def_site_span")
            expansion = Expansion(
                span=cls.from_json(exp.get("span"), _depth + 1),
                macro_decl_name=_str(exp, "macro_decl_name", ""),
                def_site_span=cls.from_json(def_site, _depth + 1) if def_site else None,
            )
        lines = d.get("text") or []
        if not isinstance(lines, list) or not all(isinstance(t, dict) for t in lines):
            raise DiagnosticFormatError(f"a span's text is not a list of objects: {_short(lines)}")
        return cls(
            file_name=_str(d, "file_name"),
            byte_start=_int(d, "byte_start"),
            byte_end=_int(d, "byte_end"),
            line_start=_int(d, "line_start"),
            line_end=_int(d, "line_end"),
            column_start=_int(d, "column_start"),
            column_end=_int(d, "column_end"),
            is_primary=bool(d.get("is_primary")),
            label=_str(d, "label", None),
            suggested_replacement=_str(d, "suggested_replacement", None),
            suggestion_applicability=_str(d, "suggestion_applicability", None),
            text=tuple(SpanLine(_str(t, "text", ""), _int(t, "highlight_start", 1), _int(t, "highlight_end", 1))
                       for t in lines),
            expansion=expansion,
        )

    @property
    def is_internal(self) -> bool:
        """True for compiler-internal pseudo files such as `<std macros>`."""
        return self.file_name.startswith("<")

    def invocation_site(self, root: Path) -> "Span":
        """The span itself when it lies in a file under `root`; otherwise the outermost macro
        invocation that does (a span inside `println!`'s expansion maps to the `println!(...)` call).
        Falls back to the span itself when no step of the chain is in the workspace."""
        span: Span | None = self
        while span is not None:
            if not span.is_internal and _is_under(root, span.file_name):
                return span
            span = span.expansion.span if span.expansion else None
        return self

    def path(self, root: Path) -> Path:
        """Absolute path of the span's file, resolving rustc's relative names against `root`."""
        p = Path(self.file_name)
        return p if p.is_absolute() else root / p


def _is_under(root: Path, file_name: str) -> bool:
    p = Path(file_name)
    if not p.is_absolute():
        return not file_name.startswith("..")
    try:
        p.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One rustc diagnostic: an error, warning, or a child note/help (children have no `code`).

    `code` is the error code such as "E0382" or a lint name such as "unused_variables", or None.
    `level` is rustc's: "error", "warning", "note", "help", "failure-note", "error: internal compiler error".
    `rendered` is rustc's human-readable text (top-level diagnostics only).
    `package_id` and `target_name` come from cargo's wrapper record (empty for children); `target_name`
    carries the kind for all but a library target (`hex (bench)`, `cargo.target_label`).
    """

    message: str
    level: str
    code: str | None = None
    spans: tuple[Span, ...] = ()
    children: tuple["Diagnostic", ...] = ()
    rendered: str | None = None
    package_id: str = ""
    target_name: str = ""
    manifest_path: str = ""
    #: how many builds reported it (`dedupe`): a library's error comes once from the library and once
    #: from its unit-test build, an error only the test build sees (a missing dev-dependency) once
    reported: int = field(default=1, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any], *, package_id: str = "", target_name: str = "",
                  manifest_path: str = "", _depth: int = 0) -> "Diagnostic":
        """Build from rustc's diagnostic object (the `message` of a cargo `compiler-message`).
        Raises DiagnosticFormatError on a malformed one (missing or mistyped fields, children nested
        deeper than `MAX_NESTING`)."""
        if not isinstance(d, dict):
            raise DiagnosticFormatError(f"a diagnostic is not an object: {_short(d)}")
        if _depth > MAX_NESTING:
            raise DiagnosticFormatError(f"diagnostic children nested deeper than {MAX_NESTING}")
        code = d.get("code")
        if isinstance(code, dict):
            code = _str(code, "code", None)
        elif code is not None and not isinstance(code, str):
            raise DiagnosticFormatError(f"a diagnostic's code is neither an object nor a string: {_short(code)}")
        spans, children = d.get("spans") or [], d.get("children") or []
        if not isinstance(spans, list) or not isinstance(children, list):
            raise DiagnosticFormatError("a diagnostic's spans or children are not lists")
        return cls(
            message=_str(d, "message", ""),
            level=_str(d, "level", ""),
            code=code,
            spans=tuple(Span.from_json(s) for s in spans),
            children=tuple(cls.from_json(c, _depth=_depth + 1) for c in children),
            rendered=_str(d, "rendered", None),
            package_id=package_id,
            target_name=target_name,
            manifest_path=manifest_path,
        )

    @property
    def is_error(self) -> bool:
        return self.level.startswith("error")

    @property
    def primary_span(self) -> Span | None:
        """The first span marked primary, else the first span, else None (crate-level errors)."""
        for s in self.spans:
            if s.is_primary:
                return s
        return self.spans[0] if self.spans else None

    @property
    def key(self) -> tuple:
        """Identity used to merge duplicates (the same error reported for the lib and its test target)."""
        p = self.primary_span
        return (self.level, self.code, self.message,
                (p.file_name, p.byte_start, p.byte_end) if p else None)

    def suggestion_children(self) -> Iterator["Diagnostic"]:
        """Children (recursively) that carry at least one span with a `suggested_replacement`."""
        for c in self.children:
            if any(s.suggested_replacement is not None for s in c.spans):
                yield c
            yield from c.suggestion_children()

    def plain_text(self, root: Path | None = None) -> str:
        """The diagnostic as plain lines, without rustc's `|` gutters: the message, then each labelled
        span as `file:line: label`, then notes and help. Used in model prompts (the rendered form made
        models copy gutter characters into their edits; ../shared/DESIGN.md)."""
        head = f"error[{self.code}]: {self.message}" if self.code else f"{self.level}: {self.message}"
        lines = [head]
        for s in self.spans:
            src = s.text[0].text.strip() if s.text else ""
            where = f"{s.file_name}:{s.line_start}"
            if s.label:
                lines.append(f"- at {where} `{src}`: {s.label}")
            elif s.is_primary:
                lines.append(f"- at {where} `{src}`")
        for c in self.children:
            msg = c.message
            reps = [s.suggested_replacement for s in c.spans if s.suggested_replacement is not None]
            # show a suggestion only when it is concrete code: models copy placeholders such as
            # `todo!()` or `/* value */` into their answers
            if reps and all(r.strip() and "\n" not in r.strip() and not _STUBBY.search(r) for r in reps):
                msg += ": " + " / ".join(f"`{r.strip()}`" for r in reps[:3])
            lines.append(f"- {c.level}: {msg}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A compact JSON-able summary for `--json` output: code, level, message, file, 1-based line/column."""
        p = self.primary_span
        return {
            "code": self.code,
            "level": self.level,
            "message": self.message,
            "file": p.file_name if p else None,
            "line": p.line_start if p else None,
            "column": p.column_start if p else None,
            "rendered": self.rendered,
        }


_STUBBY = re.compile(r"todo!|unimplemented!|/\*|\.\.\.|REASON")


def describe(d: Diagnostic) -> str:
    """`E0382 borrow of moved value: `s` (src/main.rs:6)` — a one-line label for traces and progress."""
    p = d.primary_span
    where = f" ({p.file_name}:{p.line_start})" if p else ""
    return f"{d.code or d.level} {d.message}{where}"


#: An error code as rustc writes it: `E` and four ASCII digits (`E0382`). Lint names (`unused_variables`)
#: are codes too in rustc's JSON, but not error codes. `ERROR_CODE.match(code)` checks a whole code.
ERROR_CODE = re.compile(r"^E[0-9]{4}\Z")


def is_error_code(code: str | None) -> bool:
    """True for an error code such as `E0382`; False for a lint name, "" or None."""
    return bool(code) and ERROR_CODE.match(code) is not None


def error_code_in(text: str) -> str | None:
    """The first error code standing as a word of `text` ("E0382 borrow of moved value" → "E0382")."""
    return next((w for w in re.findall(r"\w+", text) if ERROR_CODE.match(w)), None)


def dedupe(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Drop repeats of the same diagnostic (cargo reports a lib's errors once per target), keeping order;
    each kept one's `reported` counts its repeats."""
    first: dict[tuple, Diagnostic] = {}
    count: dict[tuple, int] = {}
    for d in diags:
        first.setdefault(d.key, d)
        count[d.key] = count.get(d.key, 0) + 1
    return [replace(d, reported=count[k]) if count[k] != d.reported else d for k, d in first.items()]


_SUMMARY = re.compile(r"^(aborting due to|could not compile|For more information about|"
                      r"Some errors have detailed explanations|\d+ warnings? emitted)")


def is_summary(d: Diagnostic) -> bool:
    """True for rustc's closing summary lines ("aborting due to 2 previous errors", ...)."""
    return not d.spans and (d.level == "failure-note" or bool(_SUMMARY.match(d.message)))


# ---------------------------------------------------------------- positions (LSP)

@dataclass(frozen=True, slots=True)
class Position:
    """An LSP position: 0-based `line`, `character` in UTF-16 code units."""

    line: int
    character: int


@dataclass(frozen=True, slots=True)
class Range:
    """An LSP range, end exclusive."""

    start: Position
    end: Position


def byte_to_position(data: bytes, offset: int) -> Position:
    """Convert a byte offset into `data` (a file's UTF-8 bytes) to an LSP `Position`.

    Lines end at `\\n` (a `\\r` before it stays part of the line); the character is the number of
    UTF-16 code units between the line start and `offset`. Offsets past the end clamp to the end;
    an offset inside a multibyte character counts that character as not yet reached.
    Raises UnicodeDecodeError if the line holds invalid UTF-8.
    """
    offset = max(0, min(offset, len(data)))
    line = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[line_start:offset].decode("utf-8", errors="ignore")
    return Position(line, utf16_len(prefix))


def utf16_len(s: str) -> int:
    """Length of `s` in UTF-16 code units (characters outside the BMP count 2)."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def span_range(span: Span, data: bytes) -> Range:
    """LSP `Range` of `span` in a file whose UTF-8 bytes are `data`."""
    return Range(byte_to_position(data, span.byte_start), byte_to_position(data, span.byte_end))


def position_to_byte(data: bytes, pos: Position) -> int:
    """Inverse of `byte_to_position`: the byte offset of an LSP position in `data` (clamped to the line)."""
    start = 0
    for _ in range(pos.line):
        nl = data.find(b"\n", start)
        if nl < 0:
            return len(data)
        start = nl + 1
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end
    text = data[start:end].decode("utf-8", errors="replace")
    units = 0
    for i, ch in enumerate(text):
        if units >= pos.character:
            return start + len(text[:i].encode("utf-8"))
        units += 2 if ord(ch) > 0xFFFF else 1
    return end
