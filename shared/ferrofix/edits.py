"""Text edits on source files: rustc suggestions as edits, byte-exact application, unified diffs.

Edits address a file's UTF-8 bytes (rustc's `byte_start`/`byte_end`), so CRLF files and multibyte
characters are edited exactly. Source: rustc JSON diagnostics (rustc dev guide, "JSON Output"),
`Applicability` semantics from rustc_lint_defs.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .diagnostics import (HAS_PLACEHOLDERS, MACHINE_APPLICABLE, MAYBE_INCORRECT, Diagnostic)


class OverlappingEditsError(ValueError):
    """Two edits in one file overlap; the message names both byte ranges."""


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace bytes `[byte_start, byte_end)` of `file` (relative to the workspace root) with `new_text`."""

    file: str
    byte_start: int
    byte_end: int
    new_text: str

    def overlaps(self, other: "TextEdit") -> bool:
        """True when both edit the same file and their ranges intersect, or both insert at one point."""
        if self.file != other.file:
            return False
        if self.byte_start == self.byte_end == other.byte_start == other.byte_end:
            return True
        return self.byte_start < other.byte_end and other.byte_start < self.byte_end


@dataclass(frozen=True, slots=True)
class Fix:
    """One way to fix a diagnostic: a title (rustc's help message), the edits, and the applicability."""

    title: str
    edits: tuple[TextEdit, ...]
    applicability: str

    @property
    def is_preferred(self) -> bool:
        return self.applicability == MACHINE_APPLICABLE


def apply_edits(data: bytes, edits: Sequence[TextEdit]) -> bytes:
    """Apply edits of one file to its bytes `data`, back to front.

    Raises OverlappingEditsError naming both spans when two edits overlap, and ValueError when an
    edit lies outside `data`.
    """
    ordered = sorted(edits, key=lambda e: (e.byte_start, e.byte_end))
    for a, b in zip(ordered, ordered[1:]):
        if a.overlaps(b):
            raise OverlappingEditsError(f"{a.file}: edit {a.byte_start}..{a.byte_end} overlaps "
                                        f"{b.byte_start}..{b.byte_end}")
    out = data
    for e in reversed(ordered):
        if not 0 <= e.byte_start <= e.byte_end <= len(data):
            raise ValueError(f"{e.file}: edit {e.byte_start}..{e.byte_end} outside the file ({len(data)} bytes)")
        out = out[:e.byte_start] + e.new_text.encode("utf-8") + out[e.byte_end:]
    return out


def non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """Keep fixes in order, dropping any fix that overlaps an edit of one already kept."""
    kept: list[Fix] = []
    taken: list[TextEdit] = []
    for f in fixes:
        if any(e.overlaps(t) for e in f.edits for t in taken):
            continue
        kept.append(f)
        taken.extend(f.edits)
    return kept


def apply_to_files(files: Mapping[str, bytes], edits: Sequence[TextEdit]) -> dict[str, bytes]:
    """Apply edits across files: `files` maps workspace-relative paths to bytes; returns the changed
    files' new bytes. Raises KeyError for an edit of a file not in `files`."""
    by_file: dict[str, list[TextEdit]] = {}
    for e in edits:
        by_file.setdefault(e.file, []).append(e)
    return {f: apply_edits(files[f], es) for f, es in by_file.items()}


# ------------------------------------------------------------------ suggestions

_PLACEHOLDER = re.compile(r"/\*.*?\*/|\btodo!\s*\(|\bunimplemented!\s*\(|\bunreachable!\s*\(|"
                          r"expect\(\s*\"REASON\"\s*\)|\.\.\.(?!=)|'lifetime\b")


def is_stub(text: str) -> bool:
    """True when `text` holds a placeholder or stub a fix must not introduce: `/* ... */` comments
    (rustc's `/* value */`, `/* Type */`), `todo!()`, `unimplemented!()`, `unreachable!()` (a match
    arm that gives up on a real case), `expect("REASON")`, `...`, rustc's `'lifetime`."""
    return bool(_PLACEHOLDER.search(text))


def suggestion_fixes(diag: Diagnostic, root: Path | None = None,
                     applicabilities: Sequence[str] = (MACHINE_APPLICABLE, MAYBE_INCORRECT, HAS_PLACEHOLDERS),
                     *, stubs: bool = False) -> list[Fix]:
    """rustc's suggestions for `diag` as Fixes, one per help/child diagnostic, best first.

    A child's spans together form one fix. `MachineApplicable` first, then `MaybeIncorrect`, then
    `HasPlaceholders` whose replacements hold no placeholder (rustc marks "remove the extra argument"
    that way, with an empty replacement), each group with what rustc calls "uncommon" last;
    `Unspecified` and stub-bearing suggestions are skipped. With `stubs=True`, only the stub-bearing
    ones instead (any applicability but `Unspecified`): a scaffold such as `Kind::C => todo!()` or a
    missing trait method with a `todo!()` body, for the model to fill in. Edits in files outside the
    workspace (`root`, when given) or in compiler-internal files are skipped.
    """
    fixes: list[Fix] = []
    for child in diag.suggestion_children():
        spans = [s for s in child.spans if s.suggested_replacement is not None]
        appl = {s.suggestion_applicability for s in spans}
        appl_one = next(iter(appl)) if len(appl) == 1 else MAYBE_INCORRECT
        if appl_one not in applicabilities:
            continue
        if any(is_stub(s.suggested_replacement or "") for s in spans) != stubs:
            continue
        if any(s.is_internal or Path(s.file_name).is_absolute() and root is not None
               and not _inside(root, Path(s.file_name)) for s in spans):
            continue
        edits = tuple(TextEdit(s.file_name, s.byte_start, s.byte_end, s.suggested_replacement or "")
                      for s in spans)
        groups = _alternatives(edits)
        if len(groups) > 1:
            for group in groups:
                shown = " … ".join(e.new_text.strip() for e in group)
                fixes.append(Fix(f"{child.message}: `{shown}`", group, appl_one))
            continue
        fixes.append(Fix(child.message, edits, appl_one))
    order = {MACHINE_APPLICABLE: 0, MAYBE_INCORRECT: 1, HAS_PLACEHOLDERS: 2}
    # within an applicability, what rustc itself calls uncommon ("consider using the `'static` lifetime,
    # but this is uncommon unless ...") goes after its "more likely" alternatives
    return sorted(fixes, key=lambda f: (order.get(f.applicability, 9), "uncommon" in f.title))


def _alternatives(edits: tuple[TextEdit, ...]) -> list[tuple[TextEdit, ...]]:
    """The alternatives of one rustc suggestion whose JSON lists them as one flat run of spans: rustc
    writes each alternative's parts in turn (`DoubleOption::FirstSome(` `)` `DoubleOption::AlternativeSome(`
    `)`, "one of these"), so an edit on a range the current alternative already edits (the same range,
    or overlapping it) starts the next. One group when no range repeats (a multipart suggestion)."""
    groups: list[list[TextEdit]] = [[]]
    for e in edits:
        if any(g.overlaps(e) for g in groups[-1]):
            groups.append([])
        groups[-1].append(e)
    return [tuple(g) for g in groups]


#: rustc's `use` suggestion text: group 1 is the imported path's parent (`State` in `use State::Unquoted;`)
_USE_TEXT = re.compile(r"\s*use\s+((?:[\w:]+::)?)\w+(?:\s+as\s+\w+)?;\s*$")


def imports_together(diags: Sequence[Diagnostic], root: Path | None = None) -> list[tuple[Diagnostic, Fix]]:
    """rustc's "consider importing" suggestions of several unresolved-name errors as one consistent set:
    the import each error needs, taken where rustc offers one path, and where it offers several ("one of
    these") the one whose parent is also the parent of another error's single-path import (`State::X`
    beside `State::Y`, not `EscapeStyle::X`). Returns (error, its import) pairs — at least two, else [] —
    whose edits can be applied together (`merge_inserts` joins the inserts at one point): a removed
    `use Enum::*` comes back as the imports of each variant in one step, not one round each, and
    consistently (source: rustc's E0412/E0422/E0425/E0433/E0531/E0532 help "consider importing")."""
    options: list[tuple[Diagnostic, list[Fix]]] = []
    for d in diags:
        fixes = [f for f in suggestion_fixes(d, root, (MACHINE_APPLICABLE, MAYBE_INCORRECT))
                 if f.title.startswith("consider importing") and len(f.edits) == 1
                 and f.edits[0].byte_start == f.edits[0].byte_end and _USE_TEXT.match(f.edits[0].new_text)]
        if fixes:
            options.append((d, fixes))
    parents = {_USE_TEXT.match(fs[0].edits[0].new_text).group(1) for _, fs in options if len(fs) == 1}
    out: list[tuple[Diagnostic, Fix]] = []
    for d, fixes in options:
        if len(fixes) == 1:
            out.append((d, fixes[0]))
            continue
        same = [f for f in fixes if _USE_TEXT.match(f.edits[0].new_text).group(1) in parents]
        if len(same) == 1:
            out.append((d, same[0]))
    return out if len(out) >= 2 else []


def merge_inserts(fixes: Sequence[Fix]) -> list[TextEdit]:
    """The edits of `fixes` with insertions at one point joined into one (each distinct text once, in
    order; the blank line rustc puts after a lone import comes once, after the group), so that several
    imports rustc places at the same line apply together."""
    joined: dict[tuple[str, int], list[str]] = {}
    rest: list[TextEdit] = []
    for f in fixes:
        for e in f.edits:
            if e.byte_start == e.byte_end:
                texts = joined.setdefault((e.file, e.byte_start), [])
                if e.new_text not in texts:
                    texts.append(e.new_text)
            else:
                rest.append(e)
    def join(ts: list[str]) -> str:  # rustc ends a lone import with a blank line: one after the group
        if len(ts) == 1:
            return ts[0]
        return "".join(t.rstrip("\n") + "\n" for t in ts) + ("\n" if any(t.endswith("\n\n") for t in ts) else "")
    return rest + [TextEdit(f, at, at, join(ts)) for (f, at), ts in joined.items()]


_EXPECT_REASON = re.compile(r'(\.?)expect\(\s*"REASON"\s*\)')


def concrete_variants(fix: Fix) -> list[Fix]:
    """Concrete versions of a rustc placeholder suggestion whose placeholder has a standard stand-in:
    "consider using `Option::expect` to unwrap the `T` value" (`x.expect("REASON").len()`) becomes
    `x?.len()` (propagate, when the function returns a compatible `Option`/`Result`) and
    `x.unwrap().len()`, both `MaybeIncorrect`: the caller verifies which compiles. Other fixes: []."""
    found = [m for e in fix.edits for m in _EXPECT_REASON.finditer(e.new_text)]
    if not found:
        return []
    out = []
    for title, dotted, bare in (("propagate with `?`", "?", None), ("unwrap", ".unwrap()", "unwrap()")):
        if bare is None and not all(m.group(1) for m in found):
            continue  # `?` needs the receiver's dot: `x.expect(..)` → `x?`
        edits = tuple(TextEdit(e.file, e.byte_start, e.byte_end,
                               _EXPECT_REASON.sub(lambda m, d=dotted, b=bare: d if m.group(1) else b, e.new_text))
                      for e in fix.edits)
        out.append(Fix(f"{fix.title} ({title})", edits, MAYBE_INCORRECT))
    return out


def _inside(root: Path, p: Path) -> bool:
    try:
        p.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


# ------------------------------------------------------------------ diffs and intent

def unified_diff(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> str:
    """A unified diff (`a/PATH` → `b/PATH`, git style) of every file whose bytes differ.

    Files are decoded as UTF-8; line endings are kept as they are, so CRLF files diff exactly."""
    out: list[str] = []
    for f in sorted(after):
        old, new = before.get(f, b""), after[f]
        if old == new:
            continue
        a = old.decode("utf-8").splitlines(keepends=True)
        b = new.decode("utf-8").splitlines(keepends=True)
        for line in difflib.unified_diff(a, b, f"a/{f}", f"b/{f}", n=3):
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


_TOKEN = re.compile(r"\w+|[^\w\s]")
# a string literal (group 1, so `"http://x"` is no comment) or a comment; also used by modelfix.brace_balance
STRING_OR_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)


def tokens(text: str) -> list[str]:
    """Rust-ish tokens of `text`: words and single punctuation characters; whitespace and comments
    (`//…`, `/*…*/`, doc comments) dropped, so a change to a comment adds or deletes no code."""
    return _TOKEN.findall(STRING_OR_COMMENT.sub(lambda m: m.group(1) or " ", text))


def changed_lines(old: str, new: str) -> set[int]:
    """The 1-based lines of `new` that differ from `old` (inserted or replaced; difflib over lines)."""
    ops = difflib.SequenceMatcher(None, old.split("\n"), new.split("\n"), autojunk=False).get_opcodes()
    return {j + 1 for tag, _i1, _i2, j1, j2 in ops if tag != "equal" for j in range(j1, j2)}


def changed_region(old: str, new: str) -> tuple[str, str]:
    """The differing middle of two texts (common prefix and suffix of whole lines removed)."""
    p = len(os.path.commonprefix([old, new]))
    p = old.rfind("\n", 0, p) + 1
    q = len(os.path.commonprefix([old[p:][::-1], new[p:][::-1]]))
    q_old, q_new = len(old) - q, len(new) - q
    nl = old.find("\n", q_old)
    if nl >= 0:
        extra = nl - q_old
        q_old, q_new = q_old + extra, q_new + extra
    else:
        q_old, q_new = len(old), len(new)
    return old[p:q_old], new[p:q_new]


def is_deletion_only(before: str, after: str) -> bool:
    """True when `after` adds no token to `before`: its tokens are a subsequence of the original's
    and it is shorter, i.e. the change only removes code."""
    a, b = tokens(before), tokens(after)
    if len(b) >= len(a):
        return False
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return all(tag in ("equal", "delete") for tag, *_ in sm.get_opcodes())


def is_mostly_deletion(before: str, after: str) -> bool:
    """True when the change removes code and adds next to nothing: at least 4 tokens deleted and at
    most max(2, deleted/8) tokens inserted (replacing a function body by `0.0` counts; `x` → `x.clone()`
    does not)."""
    a, b = tokens(before), tokens(after)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    deleted = inserted = 0
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag in ("delete", "replace"):
            deleted += i2 - i1
        if tag in ("insert", "replace"):
            inserted += j2 - j1
    return deleted >= 4 and inserted <= max(2, deleted // 8)


def line_edit(file: str, old: bytes, new: bytes) -> TextEdit:
    """One `TextEdit` turning `old` into `new`: the lines between their common leading and trailing
    lines are replaced. Offsets are bytes of `old`, always at line starts (so UTF-8 safe)."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    start = sum(len(x) for x in a[:i])
    end = len(old) - sum(len(x) for x in a[len(a) - j:])
    return TextEdit(file, start, end, b"".join(b[i:len(b) - j]).decode("utf-8"))
