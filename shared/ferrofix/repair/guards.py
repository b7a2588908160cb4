"""Guards on candidates: what a fix must not do unless the error is about it (delete what the author
wrote, add a stub, change a `pub` or a signature), and the deletions held back until the other
candidates had their turn."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

from ..context import ItemContext
from ..diagnostics import Diagnostic
from ..edits import changed_region, is_deletion_only, is_mostly_deletion, is_stub
from ..edits import tokens as code_tokens
from .codes import DELETION_OK_CODES, PRIVACY_CODES

if TYPE_CHECKING:
    from ..cargo import CheckResult
    from .results import Budget
    from .verify import Verifier

#: Messages saying something is there once too often or should not be written at all ("the value of the
#: associated type `Item` in trait `Iterator` is already specified", "cannot specify lifetime arguments
#: explicitly ...", "field `x` specified more than once"): deleting it is the fix, whatever the code.
_DELETION_MESSAGE = re.compile(r"\b(unused|already (specified|defined|declared|imported|bound)|twice|duplicate|"
                               r"more than once|multiple times|never used|redundant|unnecessary|superfluous|cannot specify)\b")

_VALUE_TOKEN = re.compile(r"^([A-Za-z_]\w*|\d[\w.]*|\".*|'.*)$")
_KEYWORDS = frozenset("mut ref dyn move pub unsafe async await const static let in as where impl".split())


def deletion_ok(e: Diagnostic) -> bool:
    """Whether only deleting code may fix `e`: its code is about unused or duplicate items
    (`DELETION_OK_CODES`) or its message or a span's label says something is there too often
    (`_DELETION_MESSAGE`: "found `note` used as a key more than once")."""
    return e.code in DELETION_OK_CODES or bool(_DELETION_MESSAGE.search(e.message)) \
        or any(_DELETION_MESSAGE.search(s.label or "") for s in e.spans)


def deletes_intent(e: Diagnostic, changes: Mapping[str, bytes], files: Mapping[str, bytes]) -> bool:
    """True when `changes` (path → new bytes of `files`) only delete code, and what they delete includes
    a name or a literal (a value the author wrote: `break i` → `break`), for an error that is not about
    something unused or duplicate. Deleting only punctuation or keywords (`&`, `;`, `mut`) does not count."""
    if deletion_ok(e) or not e.is_error:
        return False
    for f, new in changes.items():
        old_mid, new_mid = changed_region(files[f].decode("utf-8"), new.decode("utf-8"))
        if not is_deletion_only(old_mid, new_mid):
            return False
        a, b = code_tokens(old_mid), code_tokens(new_mid)
        gone = [t for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
                if tag == "delete" for t in a[i1:i2]]
        if not any(_VALUE_TOKEN.match(t) and t not in _KEYWORDS for t in gone):
            return False
    return True


def guard(e: Diagnostic, item: ItemContext | None, before: bytes, after: bytes) -> str:
    """Why a model candidate turning one file's `before` into `after` must not be tried, or "" (stubs,
    deletion-only, visibility or signature changes the error is not about). `item` is the item the
    answer rewrote (its signature is guarded), or None for another file."""
    old, new = before.decode("utf-8"), after.decode("utf-8")
    old_mid, new_mid = changed_region(old, new)
    ops = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False).get_opcodes()
    added = "".join(new_mid[j1:j2] for tag, _, _, j1, j2 in ops if tag in ("insert", "replace"))
    if is_stub(added) and not is_stub(old_mid):
        return "adds a stub or placeholder"
    if not deletion_ok(e) and is_mostly_deletion(old_mid, new_mid):
        return "only deletes code"
    if changes_visibility(old_mid, new_mid) and not visibility_ok(e):
        return "changes visibility"
    # the signature changed only if the changed bytes touch it (an edit above the item moves it)
    pre = len(os.path.commonprefix([before, after]))
    post = len(os.path.commonprefix([before[pre:][::-1], after[pre:][::-1]]))
    if item is not None and item.kind == "function_item" and item.signature \
            and pre < item.signature_end and len(before) - post > item.byte_start:
        sig_old = " ".join(item.signature.split())
        start = item.byte_start
        new_sig_region = after[start:start + len(item.signature.encode()) + 200].decode("utf-8", "ignore")
        sig_new = " ".join(new_sig_region.split("{", 1)[0].split()) if "{" in new_sig_region else sig_old
        if sig_new != sig_old and sig_old + " {" in " ".join(new.split()):
            sig_new = sig_old  # still there: an item was inserted above it (a missing function written)
        sig_span = any(s.byte_start < item.signature_end and s.byte_end > item.byte_start for s in e.spans)
        if sig_new != sig_old and not sig_span and not signature_ok(e):
            return "changes the function signature, which the error is not about"
    return ""


_PUB = re.compile(r"\bpub(?:\s*\([^)]*\))?\s+")


def changes_visibility(old: str, new: str) -> bool:
    """Whether the edit from `old` to `new` makes an existing line public or private: a removed line
    and an added line equal but for a `pub`/`pub(...)` (a new public item is no visibility change)."""
    old_lines, new_lines = set(old.splitlines()), set(new.splitlines())
    removed = {" ".join(_PUB.sub("", ln).split()): ln for ln in old_lines - new_lines}
    added = {" ".join(_PUB.sub("", ln).split()): ln for ln in new_lines - old_lines}
    return any(key in removed and bool(_PUB.search(ln)) != bool(_PUB.search(removed[key]))
               for key, ln in added.items())


def visibility_ok(e: Diagnostic) -> bool:
    """Whether the error is about visibility, so a fix may change a `pub`: privacy errors (E0603
    private item, E0624 private method, E0616 private field, ...) or an error pointing at a `pub`."""
    if e.code in PRIVACY_CODES or "private" in e.message or "visib" in e.message:
        return True
    return any(re.search(r"\bpub\b", ln.text) for s in e.spans for ln in s.text)


def signature_ok(e: Diagnostic) -> bool:
    """Whether the error is about a signature (lifetimes, parameters, receivers, bounds), so a fix may
    change the function's."""
    text = e.plain_text().lower()
    return any(w in text for w in ("lifetime", "signature", "parameter", "return type", "argument",
                                   "`self`", "&mut self", "borrowed", "mutable", "bound", "trait"))


@dataclass(slots=True)
class _Held:
    stage: str
    error: Diagnostic
    label: str
    changes: dict[str, bytes]
    tokens: int
    rule: str = ""


class Deletions:
    """Candidates that only delete what the author wrote (`deletes_intent`), held back until the others
    for the same errors had their turn: a fix that keeps the code's intent is better when one can be
    found. A held candidate is tried with `note` after its label ("deletion, after the model")."""

    def __init__(self, note: str) -> None:
        self.note = note
        self.held: list[_Held] = []

    def __bool__(self) -> bool:
        return bool(self.held)

    def hold(self, stage: str, error: Diagnostic, label: str, changes: dict[str, bytes],
             files: Mapping[str, bytes], tokens: int = 0, rule: str = "") -> bool:
        """Hold the candidate back and return True when it only deletes intent; else False (try it now)."""
        if not deletes_intent(error, changes, files):
            return False
        self.held.append(_Held(stage, error, label, changes, tokens, rule))
        return True

    def try_held(self, verifier: "Verifier", errors: Sequence[Diagnostic], budget: "Budget") -> "CheckResult | None":
        """Try the held candidates in order; the first accepted one's check, or None."""
        for h in self.held:
            budget.exhausted()  # raises when cancelled; a compiling deletion is still worth its check after the budget
            res = verifier.attempt(h.stage, [h.error], f"{h.label} ({self.note})", h.changes, errors, tokens=h.tokens,
                                   rule=h.rule)
            if res is not None:
                return res
        return None
