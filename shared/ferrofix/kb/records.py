"""Knowledge-base records and the versioned JSONL exchange format (docs/kb-format.md)."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA_VERSION = 1
SOURCES_FIXED = ("rustc-error-index", "accepted-fix")
STATUSES = ("pending", "approved", "rejected")


class RecordError(ValueError):
    """A record (or a JSONL line) that does not validate; the message says which field and why."""


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
    message, before and after (the dedupe key); `id`: the store's row id (0 before insert).
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
            h.update(part.encode("utf-8") + b"\x00")
        return h.hexdigest()

    def search_text(self) -> str:
        """The text indexed for retrieval: code, message, masked message, and the erroneous snippet."""
        return f"{self.code} {self.message}\n{self.message_norm}\n{self.before[:1500]}"

    def validate(self) -> "Record":
        """Check field values; raises RecordError naming the first bad field."""
        if self.code and not re.fullmatch(r"E\d{4}", self.code):
            raise RecordError(f"code: {self.code!r} is not an error code like E0382")
        if self.status not in STATUSES:
            raise RecordError(f"status: {self.status!r} is not one of {', '.join(STATUSES)}")
        if not (self.source in SOURCES_FIXED or self.source.startswith("community:")):
            raise RecordError(f"source: {self.source!r} (expected rustc-error-index, accepted-fix or community:<name>)")
        if not (self.before or self.message):
            raise RecordError("a record needs a message or an erroneous snippet")
        if not all(isinstance(t, str) for t in self.tags):
            raise RecordError("tags: must be a list of strings")
        for n in ("retrieved", "offered", "accepted"):
            if not isinstance(getattr(self, n), int) or getattr(self, n) < 0:
                raise RecordError(f"{n}: must be a non-negative integer")
        return self

    def to_json(self) -> dict[str, Any]:
        """The JSONL object (docs/kb-format.md); `id` is local and left out."""
        d = asdict(self)
        d.pop("id")
        return d

    @classmethod
    def from_json(cls, d: Any) -> "Record":
        """Parse and validate one JSONL object. Raises RecordError for a wrong shape, an unknown
        schema version, unknown or mistyped fields, or invalid values."""
        if not isinstance(d, dict):
            raise RecordError("a line must hold a JSON object")
        version = d.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise RecordError(f"schema_version {version!r} is not supported (this ferrofix reads {SCHEMA_VERSION})")
        known = {f.name: f for f in fields(cls)} 
        unknown = set(d) - set(known) 
        if unknown:
            raise RecordError(f"unknown field(s): {', '.join(sorted(unknown))}")
        kwargs = {}
        for k, v in d.items():
            if k == "id":
                continue
            default = getattr(cls(message="x"), k)
            if isinstance(default, float) and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            if type(v) is not type(default):
                raise RecordError(f"{k}: expected {type(default).__name__}, got {type(v).__name__}")
            kwargs[k] = v
        given_hash = kwargs.pop("content_hash", "")
        rec = cls(**kwargs).validate()
        if given_hash and given_hash != rec.content_hash:
            raise RecordError("content_hash does not match the record's content")
        return rec


def parse_jsonl_line(line: str) -> Record:
    """One JSONL line → Record (RecordError on bad JSON or an invalid record)."""
    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise RecordError(f"not JSON ({e.msg} at column {e.colno})") from e
    return Record.from_json(d)
