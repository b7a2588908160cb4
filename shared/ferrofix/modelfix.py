"""Model-proposed edits: prompts, parsing the answer, and applying it tolerantly to the source.

Two edit formats, tried in sequence (../shared/DESIGN.md, measured on Qwen2.5-Coder-1.5B):
search/replace blocks first (cheap, good for local edits), then a rewrite of the whole enclosing item
(structural fixes: a missing trait method, bound or match arm). Where rustc's placeholder scaffold
(`Kind::C => todo!()`, a missing method with a `todo!()` body) is applied in the prompt, the first
format is the completed placeholder lines in a code block (`apply_fill`) instead of search/replace.
Answers are plain fenced text, which the default model follows better than JSON-schema output;
structure is validated after parsing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Sequence

from .context import ITEM_TYPES, ItemContext, first_item_kind, item_of_kind, split_top_level
from .diagnostics import Diagnostic
from .edits import STRING_OR_COMMENT
from .llm import Message

MARKER = "// <- error here"
#: marks the lines of a rustc scaffold (`Kind::C => todo!()`) the model is asked to complete
FILL_MARKER = "// <- complete this"

SYSTEM = (
    "You are an expert Rust programmer fixing a compile error. Make the smallest change that fixes the "
    "error while keeping what the code is meant to do. Never delete working code to silence the error, "
    "never use todo!(), unimplemented!() or placeholder comments, and do not change public signatures "
    "unless the error is about them."
)

SR_INSTRUCTIONS = (
    "Answer with one or more SEARCH/REPLACE blocks and nothing else. SEARCH must copy lines of the code "
    "exactly (without line numbers); REPLACE holds the fixed lines."
)

SR_EXAMPLE_USER = """Code to fix, from src/main.rs:
```rust
fn main() {
    let names = vec![String::from("a")];
    let first = names;
    println!("{:?} {:?}", names, first); // <- error here
}
```
error[E0382]: borrow of moved value: `names`
- at src/main.rs:4 `println!("{:?} {:?}", names, first);`: value borrowed here after move
- at src/main.rs:3 `let first = names;`: value moved here
- help: consider cloning the value if the performance cost is acceptable: `.clone()`

""" + SR_INSTRUCTIONS

SR_EXAMPLE_ASSISTANT = """<<<<<<< SEARCH
    let first = names;
=======
    let first = names.clone();
>>>>>>> REPLACE"""

ITEM_INSTRUCTIONS = (
    "Rewrite the whole item so that it compiles. Answer with the complete fixed item in one ```rust "
    "code block and nothing else."
)

FILL_INSTRUCTIONS = (
    f"Answer with the lines marked `{FILL_MARKER}` completed, the placeholder replaced by the real code, "
    "in one ```rust code block and nothing else."
)

FILL_EXAMPLE_USER = f"""Code to fix, from src/lib.rs:
```rust
impl Shape for Rect {{
    fn width(&self) -> f64 {{
        self.w
    }}
    fn area(&self) -> f64 {{ todo!() }}  {FILL_MARKER}
}}
```
error[E0046]: not all trait items implemented, missing: `area`

The compiler's suggestion (implement the missing item) is already in the code, with placeholders on the \
lines marked `{FILL_MARKER}`: replace each `todo!()` or `/* ... */` placeholder there with the real code \
this program needs.

""" + FILL_INSTRUCTIONS

FILL_EXAMPLE_ASSISTANT = """```rust
    fn area(&self) -> f64 {
        self.w * self.h
    }
```"""


@dataclass(frozen=True, slots=True)
class Example:
    """A worked example for the prompt (from the knowledge base): an error and its fix."""

    code: str
    message: str
    before: str
    after: str


def mark_lines(item: ItemContext, lines: set[int], fill: set[int] = frozenset()) -> str:
    """The item's text with MARKER appended to each 1-based file line in `lines`, FILL_MARKER to those
    in `fill`."""
    out = []
    for i, ln in enumerate(item.text.split("\n")):
        n = item.line_start + i
        if ln.strip() and (n in lines or n in fill):
            ln += "  " + (FILL_MARKER if n in fill else MARKER)
        out.append(ln)
    return "\n".join(out)


def build_prompt(kind: str, file: str, item: ItemContext, diag: Diagnostic, error_lines: set[int],
                 extra_context: str = "", examples: Sequence[Example] = (), scaffold: str = "",
                 fill_lines: set[int] = frozenset(), hint: str = "") -> list[Message]:
    """Chat messages asking for a fix of `diag` in `item` of `file`.

    `kind` is "search_replace", "item" or "fill" (the completed scaffold lines, with a `scaffold`
    only). The search/replace and fill formats get a worked example as their own user/assistant turn
    (not in the system prompt). `examples` (from the knowledge base) are shown as
    error → fix pairs in the user turn. `scaffold` is the title of a rustc suggestion already applied
    to `item` whose placeholders (on `fill_lines`) the model is to replace with working code. `hint`
    is one more instruction after the error (`missing_item_hint`).
    """
    msgs: list[Message] = [{"role": "system", "content": SYSTEM}]
    if kind == "search_replace":
        msgs += [{"role": "user", "content": SR_EXAMPLE_USER},
                 {"role": "assistant", "content": SR_EXAMPLE_ASSISTANT}]
    elif kind == "fill":
        msgs += [{"role": "user", "content": FILL_EXAMPLE_USER},
                 {"role": "assistant", "content": FILL_EXAMPLE_ASSISTANT}]
    parts = []
    if examples:
        parts.append("Similar errors and how they were fixed:")
        for ex in examples:
            before, after = example_excerpt(ex.before, ex.after)
            parts.append(f"error[{ex.code}]: {ex.message}\nBefore:\n```rust\n{before}\n```\n"
                         f"After:\n```rust\n{after}\n```")
        parts.append("Now the error to fix.")
    if extra_context:
        parts.append(f"Related code the error points at (change it only if the fix belongs there):\n```rust\n"
                     f"{extra_context.strip()}\n```")
    # with a scaffold, only its placeholders are marked: a marked `match` line above a 60-line match
    # had the default model copy the whole match into SEARCH until its answer was cut off
    marked = set() if fill_lines else error_lines
    parts.append(f"Code to fix, from {file}:\n```rust\n{mark_lines(item, marked, fill_lines)}\n```")
    parts.append(diag.plain_text())
    if scaffold:
        parts.append(f"The compiler's suggestion ({scaffold}) is already in the code, with placeholders on "
                     f"the lines marked `{FILL_MARKER}`: replace each `todo!()` or `/* ... */` placeholder "
                     "there with the real code this program needs." +
                     (" SEARCH copies only the marked lines." if kind == "search_replace" else ""))
    if hint:
        parts.append(hint)
    parts.append({"search_replace": SR_INSTRUCTIONS, "fill": FILL_INSTRUCTIONS}.get(kind, ITEM_INSTRUCTIONS))
    msgs.append({"role": "user", "content": "\n\n".join(parts)})
    return msgs


@dataclass(frozen=True, slots=True)
class MissingItem:
    """What an error says does not exist: `kind` ("function", "method", "associated item", "field"),
    its `name`, and the type it belongs on (`owner`, "" for a free function)."""

    kind: str
    name: str
    owner: str = ""


#: rustc's messages for a use of something that does not exist (rustc_resolve, rustc_hir_typeck)
_MISSING = (
    (re.compile(r"^cannot find function `(\w+)` in this scope"), "function", 1, None),
    (re.compile(r"^no method named `(\w+)` found for (?:struct|enum|union|reference|mutable reference) "
                r"`&?(?:mut )?(\w+)"), "method", 1, 2),
    (re.compile(r"^no (?:function or associated item|variant or associated item) named `(\w+)` found for "
                r"(?:struct|enum|union) `(\w+)"), "associated item", 1, 2),
    (re.compile(r"^no field `(\w+)` on type `&?(?:mut )?(\w+)"), "field", 1, 2),
    (re.compile(r"^struct `(\w+)` has no field named `(\w+)`"), "field", 2, 1),
)
#: a child saying rustc knows a near miss: the fix is that name, not a new item
_NEAR_MISS = re.compile(r"similar name|similarly named|a field with a similar|there is a method|"
                        r"consider importing|one of these|instead", re.I)


#: a match arm's pattern with one binding of a tuple variant's field: `Data::Union(data)`, `Some(ref mut v)`
_ONE_BINDING = re.compile(r"^[\w:]*\w\(\s*(?:ref\s+)?(?:mut\s+)?([a-z_]\w*)\s*\)$")
#: a path pattern naming a variant, its prefix and enum: `syn::Data::Struct` → ("syn::", "Data")
_VARIANT_PATH = re.compile(r"^((?:\w+::)*)(\w+)::\w+")


def arm_like_siblings(pattern: str, siblings: Sequence[str]) -> str:
    """rustc's pattern for a missing match arm (E0004's `&syn::Data::Struct(_) => todo!()`), written
    the way the match's other arms (`siblings`: their patterns) write theirs, so the model completing
    it reads the same names: no leading `&` when no other arm has one (default binding modes match a
    reference without it), the enum's path as the others spell it (`Data::Struct`), and a lone `_`
    field bound to the name every other arm (two or more) gives its one field: the match's name for
    the value whatever the variant (`Data::Struct(data)`; not a name one other arm chose for its own
    variant — `Vacant(place)` misled the default model on `Occupied(_)` — and not in an or-pattern,
    whose alternatives must bind alike). Returns `pattern` unchanged where nothing applies."""
    siblings = [x.strip() for x in siblings if x.strip() not in ("", "_")]
    if not siblings:
        return pattern
    prefixes = {m.group(2): m.group(1) for x in reversed(siblings) if (m := _VARIANT_PATH.match(x))}
    alternatives = []
    for out in split_top_level(pattern, "|"):
        if out.startswith("&") and not out.startswith("&mut") and not any(x.startswith("&") for x in siblings):
            out = out[1:].lstrip()
        m = _VARIANT_PATH.match(out)
        if m is not None and m.group(2) in prefixes:
            out = prefixes[m.group(2)] + out[len(m.group(1)):]
        alternatives.append(out)
    if len(alternatives) == 1 and alternatives[0].endswith("(_)"):
        names = {b.group(1) for x in siblings if (b := _ONE_BINDING.match(x))}
        if len(names) == 1 and len(siblings) >= 2 and all(_ONE_BINDING.match(x) for x in siblings) \
                and "_" not in names:
            alternatives[0] = f"{alternatives[0][:-3]}({names.pop()})"
    return " | ".join(alternatives)


def missing_item(diag: Diagnostic) -> MissingItem | None:
    """The item `diag` says is missing (E0425 function, E0599 method or associated function, E0609/E0560
    field), when rustc names no near miss (a similarly named item, an import) that would be the fix."""
    if any(_NEAR_MISS.search(c.message) for c in diag.children):
        return None
    for pattern, kind, name, owner in _MISSING:
        m = pattern.match(diag.message)
        if m:
            return MissingItem(kind, m.group(name), m.group(owner) if owner else "")
    return None


def missing_item_hint(missing: MissingItem, owner_shown: bool) -> str:
    """The instruction for writing a missing item from its uses (issue 18: "the missing item")."""
    what = {"function": f"The function `{missing.name}`",
            "method": f"The method `{missing.name}` of `{missing.owner}`",
            "associated item": f"The associated function `{missing.owner}::{missing.name}`",
            "field": f"The field `{missing.name}` of `{missing.owner}`"}[missing.kind]
    text = (f"{what} does not exist yet, and nothing with a similar name does: write it. Infer its "
            "signature (parameter and return types) from how the code uses it and give it a real body "
            "that does what the uses need, not todo!().")
    if missing.kind == "function":
        text += " Add it as a new function before the code shown."
    elif missing.kind == "field":
        text += (f" Add it to the definition of `{missing.owner}`" + (" shown above" if owner_shown else "")
                 + ", and initialise it wherever the struct is built.")
    else:
        text += (f" Add it in a new `impl {missing.owner}` block right after the definition of `{missing.owner}`"
                 + (" shown above" if owner_shown else "") + ".")
    return text


def example_excerpt(before: str, after: str, context: int = 3, max_lines: int = 30) -> tuple[str, str]:
    """The part of a worked example that changes: the lines from the first to the last differing one,
    with `context` unchanged lines around them, from both versions (each at most `max_lines`). Whole
    example programs cost the model ~10 s of prompt reading per example on a 2-core CPU; the change is
    what it learns from."""
    a, b = before.strip("\n").split("\n"), after.strip("\n").split("\n")
    ops = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops:
        return "\n".join(a[:max_lines]), "\n".join(b[:max_lines])
    i1, j1 = max(0, ops[0][1] - context), max(0, ops[0][3] - context)
    i2, j2 = min(len(a), ops[-1][2] + context), min(len(b), ops[-1][4] + context)

    def cut(lines: list[str], lo: int, hi: int) -> str:
        part = lines[lo:min(hi, lo + max_lines)]
        return "\n".join((["// ..."] if lo > 0 else []) + part + (["// ..."] if hi < len(lines) else []))
    return cut(a, i1, i2), cut(b, j1, j2)


# ------------------------------------------------------------------ parsing answers

_FENCE = re.compile(r"```[ \t]*(?:rust|rs)?[ \t]*\n(.*?)(?:```|\Z)", re.S)


_SR_START = re.compile(r"<{5,9}\s*SEARCH\s*\n")
_SR_MID = re.compile(r"\n?={5,9}\s*\n")
_SR_END = re.compile(r"\n?>{5,9}\s*REPLACE")


def parse_search_replace(answer: str) -> list[tuple[str, str]]:
    """SEARCH/REPLACE blocks in `answer` as (search, replace) pairs, code fences around them ignored.

    A block whose `>>>>>>> REPLACE` line is missing (small models stop at a closing code fence or at
    the end of the answer; seen with Qwen2.5-Coder-1.5B on E0004) ends at that fence or the end."""
    out = []
    for seg in _SR_START.split(answer)[1:]:
        mid = _SR_MID.search(seg)
        if mid is None:
            continue
        search, rest = seg[: mid.start()], seg[mid.end():]
        end = _SR_END.search(rest)
        if end is not None:
            replace = rest[: end.start()]
        else:
            fence = re.search(r"^[ \t]*```", rest, re.M)
            replace = (rest[: fence.start()] if fence else rest).rstrip("\n")
        search, replace = (re.sub(r"^[ \t]*```[a-z]*[ \t]*\n?", "", x, flags=re.M) for x in (search, replace))
        if search.strip() or replace.strip():
            out.append((search.rstrip("\n"), replace.rstrip("\n")))
    return out


def parse_code_block(answer: str) -> str | None:
    """The longest fenced code block in `answer` (```rust ... ```), or None."""
    blocks = _FENCE.findall(answer)
    blocks = [b for b in blocks if b.strip()]
    return max(blocks, key=len) if blocks else None


_LINENO = re.compile(r"^\s*\d+\s*(\||:)\s?")


def strip_copied_labels(blocks: Sequence[tuple[str, str]], labels: Sequence[str]) -> list[tuple[str, str]]:
    """Blocks with our prompt's span labels removed where the model copied them onto code lines: the
    error is written as ``- at FILE:LINE `SOURCE`: LABEL``, and small models answer with
    ``SOURCE`: LABEL`` as if it were the line (seen with Qwen2.5-Coder-1.5B on E0571)."""
    suffixes = [f"`: {lab}" for lab in labels if lab]
    if not suffixes:
        return list(blocks)

    def strip(text: str) -> str:
        out = []
        for line in text.split("\n"):
            for suf in suffixes:
                if line.endswith(suf):
                    line = line[: -len(suf)].rstrip()
                    break
            out.append(line)
        return "\n".join(out)
    return [(strip(a), strip(b)) for a, b in blocks]


def clean_line(line: str) -> str:
    """Remove what models copy from prompts but is not code: our error marker, line-number prefixes and
    rustc's `|` gutters."""
    line = line.replace(MARKER, "").replace(FILL_MARKER, "").rstrip()
    line = _LINENO.sub("", line, count=1)
    if line.lstrip().startswith("| "):
        line = line.lstrip()[2:]
    return line


def _norm(line: str) -> str:
    return re.sub(r"\s+", "", clean_line(line))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def strip_line_comment(line: str) -> str:
    """`line` without its trailing `//` comment (one outside string and char literals), e.g.
    `let x = Foo { x: 0 }; // error: missing field` → `let x = Foo { x: 0 }; `."""
    quote = ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch == '"':
            quote = ch
        elif ch == "'" and re.match(r"'(?:[^'\\]|\\.[^']*)'", line[i:]):  # a char literal, not a lifetime
            i = line.index("'", i + 2 if line[i + 1] == "\\" else i + 1)
        elif line.startswith("//", i):
            return line[:i]
        i += 1
    return line


def _find_code(lines: Sequence[str], search: Sequence[str], near: int) -> tuple[int, int] | None:
    """Locate `search` by its code alone: trailing `//` comments, comment-only and blank lines left out on
    both sides (a model copies the code of a line and drops its comment, or a comment line between two
    code lines). The range runs from the first to the last matched line of `lines`."""
    def code(xs: Sequence[str]) -> list[tuple[int, str]]:
        out = []
        for i, x in enumerate(xs):
            c = re.sub(r"\s+", "", strip_line_comment(clean_line(x)))
            if c:
                out.append((i, c))
        return out
    s = [c for _, c in code(search)]
    if not s or (len(s) == 1 and len(s[0]) < 4):
        return None
    have = code(lines)
    n = len(s)
    hits = [k for k in range(len(have) - n + 1) if [c for _, c in have[k:k + n]] == s]
    if not hits:
        return None
    k = min(hits, key=lambda h: abs(have[h][0] - near))
    return have[k][0], have[k + n - 1][0] + 1


def find_block(lines: Sequence[str], search: Sequence[str], near: int) -> tuple[int, int] | None:
    """Locate `search` lines in `lines` (0-based `near` = the error line), whitespace-insensitively;
    then by code alone (`_find_code`: trailing comments, comment and blank lines ignored); then the
    most similar window within 40 lines of `near` (ratio ≥ 0.85). Returns the 0-based half-open line
    range, or None."""
    s = [_norm(x) for x in search]
    while s and not s[0]:
        s.pop(0)
    while s and not s[-1]:
        s.pop()
    if not s:
        return None
    norm = [_norm(x) for x in lines]
    n = len(s)
    hits = []
    for i in range(len(norm) - n + 1):
        if norm[i] == s[0] and norm[i:i + n] == s:
            hits.append(i)
    if hits:
        i = min(hits, key=lambda h: abs(h - near))
        return i, i + n
    hit = _find_code(lines, search, near)
    if hit is not None:
        return hit
    if n == 1 and len(s[0]) < 4:
        return None
    best, best_i = 0.0, None
    target = "\n".join(s)
    for i in range(max(0, near - 40), min(len(norm) - n, near + 40) + 1):
        r = difflib.SequenceMatcher(None, "\n".join(norm[i:i + n]), target, autojunk=False).ratio()
        if r > best:
            best, best_i = r, i
    if best_i is not None and best >= 0.85:
        return best_i, best_i + n
    return None


def apply_search_replace(text: str, blocks: Sequence[tuple[str, str]], near_line: int) -> str | None:
    """Apply SEARCH/REPLACE blocks to `text` (one file), each located by `find_block` near 1-based
    `near_line`; the replacement is re-indented by the difference between the matched and the searched
    indentation. Line endings follow the file's (CRLF kept). None when any block does not match."""
    crlf = "\r\n" in text
    lines = text.replace("\r\n", "\n").split("\n")
    for search, replace in blocks:
        s_lines = [clean_line(x) for x in search.split("\n")]
        while s_lines and not s_lines[0].strip():
            s_lines.pop(0)
        while s_lines and not s_lines[-1].strip():
            s_lines.pop()
        hit = find_block(lines, s_lines, near_line - 1)
        if hit is None:
            return None
        lo, hi = hit
        r_lines = [clean_line(x) for x in replace.split("\n")]
        while r_lines and not r_lines[-1].strip():
            r_lines.pop()
        while r_lines and not r_lines[0].strip():
            r_lines.pop(0)
        r_lines = reindent(r_lines, _indent(s_lines[0]) if s_lines else "", _indent(lines[lo]))
        hi = _close_block(lines, lo, hi, brace_balance("\n".join(r_lines)))
        lines[lo:hi] = r_lines
    out = "\n".join(lines)
    return out.replace("\n", "\r\n") if crlf else out


def brace_balance(code: str) -> int:
    """`{` minus `}` in Rust `code`, ignoring string and char literals and comments."""
    code = re.sub(r"'[{}]'", " ", STRING_OR_COMMENT.sub(" ", code))
    return code.count("{") - code.count("}")


def _close_block(lines: Sequence[str], lo: int, hi: int, replace_balance: int) -> int:
    """The end of the range to replace. Small models often SEARCH only a block's opening line (`match x
    {`) and REPLACE it with the whole block, closing brace included (seen with Qwen2.5-Coder-1.5B on
    E0004): when the matched lines open one block more than the replacement, the range extends to the
    line that closes that block, if that line holds nothing but the brace (`}`, `};`, `},`)."""
    if replace_balance != 0 or brace_balance("\n".join(lines[lo:hi])) != 1:
        return hi
    depth = 1
    for i in range(hi, len(lines)):
        depth += brace_balance(lines[i])
        if depth <= 0:
            return i + 1 if depth == 0 and re.fullmatch(r"\s*\}[;,)]*\s*", lines[i]) else hi
    return hi


def reindent(lines: list[str], have: str, want: str) -> list[str]:
    """Shift `lines` whose first line is indented `have` so that it is indented `want`."""
    if have == want:
        return lines
    out = []
    for ln in lines:
        if not ln.strip():
            out.append("")
        elif ln.startswith(have):
            out.append(want + ln[len(have):])
        else:
            out.append(want + ln.lstrip() if len(_indent(ln)) < len(have) else ln)
    return out


def _answer_lines(answer: str) -> list[str]:
    """The lines of a code answer, cleaned (`clean_line`), without leading and trailing blank lines."""
    lines = [clean_line(x) for x in answer.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def apply_item_rewrite(text: str, item: ItemContext, data: bytes, new_item: str) -> str | None:
    """Replace the item's bytes in the file with `new_item` (cleaned, re-indented to the item's
    indentation). When the answer starts with an item of another kind that encloses `item` (asked for
    a method, the model rewrote its whole `impl` block), that enclosing item is replaced instead
    (`context.item_of_kind`). None when the answer is empty."""
    lines = _answer_lines(new_item)
    if not lines:
        return None
    kind = first_item_kind("\n".join(lines))
    if kind is not None and kind != item.kind and item.kind in ITEM_TYPES:
        item = item_of_kind(data, item, kind) or item
    first_old = item.text.split("\n", 1)[0]
    lines = reindent(lines, _indent(lines[0]), _indent(first_old))
    # a rewrite that stops short of the item's last closing braces (small models drop the final `}`)
    missing = brace_balance("\n".join(lines)) - brace_balance(item.text)
    if 0 < missing <= 2:
        lines += [_indent(first_old) + "    " * (missing - 1 - k) + "}" for k in range(missing)]
    new = "\n".join(lines)
    if "\r\n" in text:
        new = new.replace("\n", "\r\n")
    prefix = data[: item.byte_start].decode("utf-8")
    suffix = data[item.byte_end:].decode("utf-8")
    return prefix + new + suffix


def one_run(lines: set[int]) -> bool:
    """Whether `lines` (line numbers) are one contiguous run, non-empty."""
    return bool(lines) and max(lines) - min(lines) + 1 == len(lines)


def apply_fill(text: str, item: ItemContext, fill: set[int], answer: str) -> str | None:
    """`text` (a file with a rustc scaffold applied) with the placeholder lines `fill` (1-based,
    contiguous) replaced by the model's completed lines `answer`, re-indented to the first of them.

    A small model often answers with the whole block around the placeholder instead (the `match`, the
    `impl`): when the answer's first line is a line of `item` at or above the placeholder, the answer
    replaces the block that line opens (to its closing brace, which must lie at or below the
    placeholder). Closing-bracket lines the answer ends with and never opened (it went on past the
    placeholder, closing the `match` and the function) are dropped. None when `fill` is not one
    contiguous range or the answer is empty or fits neither way."""
    if not one_run(fill):
        return None
    lines = _answer_lines(answer)
    # the model went on past the placeholder, closing the blocks around it (`Kind::C => x,` then `}`
    # and `}`): lines of closing brackets only, more than the answer opened, are not part of the fill
    while len(lines) > 1 and re.fullmatch(r"[\s})\];,]*", lines[-1]) \
            and brace_balance("\n".join(lines)) < 0:
        lines.pop()
    if not lines:
        return None
    old = text.split("\n")
    lo, hi = min(fill) - 1, max(fill)  # 0-based [lo, hi) of the placeholder lines
    head = _norm(lines[0])
    item_end = min(len(old), item.line_start + item.text.count("\n"))  # 0-based, exclusive
    for start in range(lo, max(item.line_start - 2, -1), -1):
        if _norm(old[start]) != head:
            continue
        depth, end = 0, None
        for i in range(start, item_end):
            depth += brace_balance(strip_line_comment(clean_line(old[i])))
            if depth <= 0:
                end = i + 1
                break
        if end is None or end < hi:
            continue
        if brace_balance("\n".join(lines)) != 0:
            return None  # a rewrite of the block cut off (the answer ran out of tokens)
        lo, hi = start, end
        break
    # rustc writes a missing method's scaffold at column 0 inside the `impl`: keep the answer's indent
    want = _indent(old[lo]) or (_indent(lines[0]) if lo > item.line_start - 1 else "")
    new = reindent(lines, _indent(lines[0]), want)
    return "\n".join(old[:lo] + new + old[hi:])
