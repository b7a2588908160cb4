"""Knowledge-base records and the versioned JSONL exchange format (docs/kb-format.md)."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..diagnostics import Diagnostic, is_error_code
from ..edits import changed_region

SCHEMA_VERSION = 1
SOURCES_FIXED = ("rustc-error-index", "accepted-fix")
STATUSES = ("pending", "approved", "rejected")

# Limits on field values (docs/kb-format.md, "Limits"). Text lengths are in characters (code points). A
# record or JSONL line over any of them is invalid: RecordError names the field and the limit.
MAX_MESSAGE = 4096
"""`message` and `message_norm`: rustc's messages are a line or two (the seeded ones ≤ 200 characters)."""
MAX_SNIPPET = 65536
"""`before`, `after` and `explanation`, each (the seeded ones ≤ 4,000 characters)."""
MAX_DIFF = 8 * MAX_SNIPPET
"""`diff`: the unified diff of two snippets within MAX_SNIPPET is at most ~4 × MAX_SNIPPET, so a record
whose snippets fit always fits."""
MAX_SHORT_TEXT = 128
"""`source` (`community:` and the name), and `code`, `status`, `content_hash` (which also have a fixed form)."""
MAX_TAGS = 32
"""`tags`: how many."""
MAX_TAG = 256
"""One tag (a `file:PATH` tag holds a workspace-relative path)."""
MAX_COUNT = 2**63 - 1
"""`retrieved`, `offered`, `accepted` are integers 0 ≤ n ≤ MAX_COUNT (SQLite's 64-bit INTEGER); the store's
sums (duplicates merged, `merge`, `bump`) stay at MAX_COUNT rather than pass it. `created` and `updated` are
finite numbers ≥ 0."""

TEXT_LIMITS = {"code": MAX_SHORT_TEXT, "message": MAX_MESSAGE, "message_norm": MAX_MESSAGE, "before": MAX_SNIPPET,
               "after": MAX_SNIPPET, "diff": MAX_DIFF, "explanation": MAX_SNIPPET, "source": MAX_SHORT_TEXT,
               "status": MAX_SHORT_TEXT, "content_hash": MAX_SHORT_TEXT}
COUNTS = ("retrieved", "offered", "accepted")
TIMES = ("created", "updated")


class RecordError(ValueError):
    """A record (or a JSONL line) that does not validate; the message (one printable line) says which field
    and why."""


def _show(value: Any) -> str:
    """A value from a line, for an error message: one printable line, at most ~50 characters."""
    if isinstance(value, str):
        return repr(value[:40]) + ("…" if len(value) > 40 else "")
    if value is None or isinstance(value, (bool, float)) or (isinstance(value, int) and abs(value) < 10**20):
        return repr(value)
    return f"a {'large int' if isinstance(value, int) else type(value).__name__}"


def _check_text(name: str, s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as e:  # json.loads makes them from "\ud800"; SQLite and UTF-8 files can't hold them
        raise RecordError(f"{name}: holds a lone surrogate U+{ord(s[e.start]):04X} at character {e.start} "
                          f"(not Unicode text)") from None


def check_field(name: str, value: Any) -> None:
    """Raise RecordError when `value` cannot be field `name`'s: a wrong type, text over its limit
    (TEXT_LIMITS, MAX_TAGS, MAX_TAG) or holding a lone surrogate, a count outside 0..MAX_COUNT, a time
    that is not a finite number ≥ 0. Fields without a limit (`id`, `schema_version`) pass."""
    if name in TEXT_LIMITS:
        if not isinstance(value, str):
            raise RecordError(f"{name}: expected str, got {type(value).__name__}")
        if len(value) > TEXT_LIMITS[name]:
            raise RecordError(f"{name}: {len(value):,} characters, over the limit of {TEXT_LIMITS[name]:,}")
        _check_text(name, value)
    elif name == "tags":
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise RecordError("tags: must be a list of strings")
        if len(value) > MAX_TAGS:
            raise RecordError(f"tags: {len(value)} tags, over the limit of {MAX_TAGS}")
        for t in value:
            if len(t) > MAX_TAG:
                raise RecordError(f"tags: a tag of {len(t):,} characters, over the limit of {MAX_TAG}")
            _check_text(name, t)
    elif name in COUNTS:
        if type(value) is not int or not 0 <= value <= MAX_COUNT:
            raise RecordError(f"{name}: must be an integer from 0 to 2**63 - 1, got {_show(value)}")
    elif name in TIMES:
        if not (type(value) in (int, float) and value >= 0
                and (value <= MAX_COUNT if type(value) is int else math.isfinite(value))):
            raise RecordError(f"{name}: must be a finite number of seconds ≥ 0, got {_show(value)}")


_IDENT_TICKS = re.compile(r"`[^`]*`")
_NUM = re.compile(r"\b\d+(\.\d+)?\b")
_PATH = re.compile(r"(?:[A-Za-z_][\w]*::)+[A-Za-z_]\w*")


def normalize_message(message: str) -> str:
    """rustc's message with the specifics masked, for matching: backticked identifiers, types and
    paths → `_`, numbers → N, whitespace folded. "borrow of moved value: `names`" →
    "borrow of moved value: `_`"."""
    m = _IDENT_TICKS.sub("`_`", message)
    m = _PATH.sub("_", m)
    m = _NUM.sub("N", m)
    return " ".join(m.split())


def unified(before: str, after: str, name: str = "src/main.rs") -> str:
    """Unified diff of two snippets (`a/NAME` → `b/NAME`)."""
    def lines(s: str) -> list[str]:  # a last line without its newline still ends the diff line
        out = s.splitlines(keepends=True)
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        return out
    return "".join(difflib.unified_diff(lines(before), lines(after), f"a/{name}", f"b/{name}"))


def _now() -> float:
    return round(time.time(), 3)


@dataclass(kw_only=True)
class Record:
    """One error → fix record.

    `code`: rustc error code ("E0382") or "" for code-less errors; `message`: raw message for display;
    `message_norm`: normalised (masked) message for matching; `before`/`after`: the erroneous and fixed
    snippets; `diff`: unified diff before → after; `explanation`: markdown; `tags`: free labels;
    `source`: "rustc-error-index", "accepted-fix" or "community:<name>"; `status`: "pending",
    "approved" or "rejected"; counts of times `retrieved`, `offered` (shown in a prompt or to a user)
    and `accepted`; `created`/`updated`: Unix time in seconds; `content_hash`: sha256 of code, normalised
    message, before and after (the dedupe key); `id`: the store's row id (0 before insert). `validate()`
    checks the values and the limits above (MAX_MESSAGE, MAX_SNIPPET, …).
    """

    code: str = ""
    message: str = ""
    message_norm: str = ""
    before: str = ""
    after: str = ""
    diff: str = ""
    explanation: str = ""
    tags: list[str] = field(default_factory=list)
    source: str = "accepted-fix"
    status: str = "pending"
    retrieved: int = 0
    offered: int = 0
    accepted: int = 0
    created: float = field(default_factory=_now)
    updated: float = field(default_factory=_now)
    content_hash: str = ""
    id: int = 0
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not self.message_norm:
            self.message_norm = normalize_message(self.message)
        if not self.diff and (self.before or self.after):
            self.diff = unified(self.before, self.after)
        if not self.content_hash:
            self.content_hash = self.compute_hash()

    def compute_hash(self) -> str:
        """sha256 over code, normalised message and the snippets with whitespace folded."""
        def fold(s: str) -> str:
            return " ".join(s.split())
        h = hashlib.sha256()
        for part in (self.code, self.message_norm, fold(self.before), fold(self.after)):
            h.update(part.encode("utf-8", "surrogatepass") + b"\x00")  # validate() rejects surrogates
        return h.hexdigest()

    def search_text(self) -> str:
        """The text indexed for retrieval: code, message, masked message, and the erroneous snippet."""
        return search_text_of(self.code, self.message, self.message_norm, self.before)

    def validate(self) -> "Record":
        """Check field values and limits (`check_field`); raises RecordError naming the first bad field.
        A record that validates can be stored and exported, and its export imports back exactly."""
        for f in fields(self):
            check_field(f.name, getattr(self, f.name))
        if self.code and not is_error_code(self.code):
            raise RecordError(f"code: {_show(self.code)} is not an error code like E0382")
        if self.status not in STATUSES:
            raise RecordError(f"status: {_show(self.status)} is not one of {', '.join(STATUSES)}")
        if not (self.source in SOURCES_FIXED or self.source.startswith("community:")):
            raise RecordError(f"source: {_show(self.source)} (expected rustc-error-index, accepted-fix or "
                              f"community:<name>)")
        if not (self.before or self.message):
            raise RecordError("a record needs a message or an erroneous snippet")
        return self

    def to_json(self) -> dict[str, Any]:
        """The JSONL object (docs/kb-format.md); `id` is local and left out."""
        d = asdict(self)
        d.pop("id")
        return d

    @classmethod
    def from_json(cls, d: Any) -> "Record":
        """Parse and validate one JSONL object. Raises RecordError for a wrong shape, an unknown
        schema version, unknown or mistyped fields, or invalid values (limits included, checked before
        the diff and hash are derived from them)."""
        if not isinstance(d, dict):
            raise RecordError("a line must hold a JSON object")
        version = d.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise RecordError(f"schema_version {_show(version)} is not supported (this ferrofix reads {SCHEMA_VERSION})")
        defaults = cls(message="x")
        unknown = sorted(set(d) - {f.name for f in fields(cls)})
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise RecordError(f"unknown field(s): {', '.join(_show(k) for k in unknown[:5])}{more}")
        kwargs = {}
        for k, v in d.items():
            if k == "id":
                continue
            default = getattr(defaults, k)
            if isinstance(default, float) and type(v) is int:
                try:
                    v = float(v)
                except OverflowError:  # past float's range: check_field rejects it as not finite
                    v = math.inf
            if type(v) is not type(default):
                raise RecordError(f"{k}: expected {type(default).__name__}, got {type(v).__name__}")
            check_field(k, v)
            kwargs[k] = v
        given_hash = kwargs.pop("content_hash", "")
        rec = cls(**kwargs).validate()
        if given_hash and given_hash != rec.content_hash:
            raise RecordError("content_hash does not match the record's content")
        return rec


def search_text_of(code: str, message: str, message_norm: str, before: str) -> str:
    """`Record.search_text` from the four fields it reads (for readers that skip building Records)."""
    return f"{code} {message}\n{message_norm}\n{before[:1500]}"


def accepted_fix(error: Diagnostic, file: str, before: str, after: str) -> dict[str, str]:
    """What to record of a verified fix the user accepted: the error's code and message, the lines of
    `file` the fix changed (`before` → `after`, the whole texts; only their differing middle is kept) and
    the file. `KnowledgeBase.record_accepted` takes its fields (the file as the tag `file:<path>`); the
    language server sends it as the argument of `ferrofix.server.recordAccepted`."""
    old, new = changed_region(before, after)
    return {"code": error.code or "", "message": error.message, "before": old, "after": new, "file": file}


def parse_jsonl_line(line: str) -> Record:
    """One JSONL line (without its line end) → Record. For any str, raises RecordError and nothing else:
    bad JSON, JSON nested deeper than Python's recursion limit, an integer of more than 4300 digits
    (`sys.get_int_max_str_digits`), or an invalid record (limits included)."""
    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise RecordError(f"not JSON ({e.msg} at column {e.colno})") from e
    except RecursionError:
        raise RecordError("not a record: JSON nested too deeply") from None
    except ValueError as e:  # "Exceeds the limit (4300 digits) for integer string conversion: …"
        raise RecordError(f"not JSON ({str(e).split(':')[0]})") from None
    return Record.from_json(d)


_LINE_ENDS = {ord(c): f"\\u{ord(c):04x}" for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def dump_jsonl_line(rec: Record) -> str:
    """A record's JSONL line, without its "\\n": keys sorted, non-ASCII text as is, and every character
    that ends a line for `str.splitlines` escaped as \\uXXXX (json.dumps escapes "\\n", "\\r" and the other
    C0 controls itself but leaves U+0085, U+2028 and U+2029 raw), so that any line-by-line reader sees one
    record per line."""
    return json.dumps(rec.to_json(), ensure_ascii=False, sort_keys=True).translate(_LINE_ENDS)
