"""The template knowledge base: Rust listings from the documentation already on the machine, found by
what they do, as starting points for `generate`.

Source: the HTML books of the toolchain's `rust-docs` component (or Debian's `rust-doc`), located by
`stdnames.rust_docs_html()`: *The Rust Programming Language* (`book/`) and *Rust by Example*
(`rust-by-example/`). Every `<code class="language-rust …">` listing that compiles as shown (not marked
`ignore`, `does_not_compile`, `compile_fail`, `should_panic` or `not_desired_behavior`) becomes a
template: its code (mdBook's hidden lines included, so it is complete), the page's heading above it, the
paragraph before it and the figure caption after it. Offline; no network is ever used.

Store and search: one SQLite file (`templates.sqlite3` in the knowledge-base directory) with an FTS5
full-text index; queries are ranked by SQLite's `bm25()` (Robertson and Zaragoza's BM25) with the
heading weighted above the description and the code.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

from ..errors import FerrofixError

#: mdBook classes of listings that do not compile or do not show intended behaviour.
SKIP_CLASSES = {"ignore", "does_not_compile", "compile_fail", "should_panic", "not_desired_behavior", "panics"}
#: Listings shorter or longer than this (lines) are not templates.
MIN_LINES, MAX_LINES = 4, 150
#: The books read, as (source label, directory under the docs' html root).
BOOKS = (("book", "book"), ("rust-by-example", "rust-by-example"))
#: Directories that are not the English book's chapters: old editions' redirect pages, translations.
_SKIP_DIRS = {"2018-edition", "first-edition", "second-edition", "es", "ja", "ko", "zh", "fr", "de", "pt-BR",
              "ru", "zh-CN", "zh-TW"}
#: Column weights of `bm25()`: heading, description, code.
WEIGHTS = (6.0, 3.0, 1.0)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    page TEXT NOT NULL,
    heading TEXT NOT NULL,
    description TEXT NOT NULL,
    code TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE IF NOT EXISTS templates_fts USING fts5(
    heading, description, code, content='templates', content_rowid='id', tokenize='porter unicode61'
);
"""


@dataclass(frozen=True, slots=True)
class Template:
    """A documentation listing: `source` ("book" or "rust-by-example"), `page` (path under the book),
    `heading`, `description` (paragraph before and caption after, plain text), and `code`."""

    source: str
    page: str
    heading: str
    description: str
    code: str
    id: int | None = None

    def prompt_text(self, max_chars: int = 1200) -> str:
        """The template as shown to the model: a comment line naming it, then the code (cut at
        `max_chars` characters, at a line end)."""
        code = self.code
        if len(code) > max_chars:
            code = code[:code.rfind("\n", 0, max_chars) + 1] + "// …\n"
        return f"// {self.heading} ({self.source}: {self.page})\n{code.rstrip()}\n"


class _Listings(HTMLParser):
    """Collects (heading, paragraph before, code, caption after) for each Rust listing of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[list[str]] = []  # [heading, before, code, caption, classes]
        self._heading = ""
        self._para = ""
        self._buf: list[str] | None = None
        self._mode = ""
        self._classes = ""
        self._pre = False

    def handle_starttag(self, tag: str, attrs) -> None:
        a = dict(attrs)
        if tag in ("h1", "h2", "h3") and not self._pre:
            self._mode, self._buf = "heading", []
        elif tag == "p" and not self._pre and self._mode == "":
            self._mode, self._buf = "para", []
        elif tag == "figcaption" and self._mode == "":
            self._mode, self._buf = "caption", []
        elif tag == "pre":
            self._pre = True
        elif tag == "code" and self._pre and "language-rust" in (a.get("class") or ""):
            self._mode, self._buf, self._classes = "code", [], a.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if self._buf is None:
            if tag == "pre":
                self._pre = False
            return
        text = "".join(self._buf)
        if self._mode == "heading" and tag in ("h1", "h2", "h3"):
            self._heading, self._para = " ".join(text.split()), ""
        elif self._mode == "para" and tag == "p":
            self._para = " ".join(text.split())
        elif self._mode == "caption" and tag == "figcaption":
            if self.found and not self.found[-1][3]:
                self.found[-1][3] = " ".join(text.split())
        elif self._mode == "code" and tag == "code":
            self.found.append([self._heading, self._para, text, "", self._classes])
        else:
            return
        self._mode, self._buf = "", None
        if tag == "pre":
            self._pre = False

    def handle_data(self, data: str) -> None:
        if self._buf is not None:
            self._buf.append(data)


def extract(html_root: Path, progress: Callable[[str], None] | None = None) -> Iterator[Template]:
    """The templates of the books under `html_root` (the docs' `html` directory), deduplicated by code.
    Pages that fail to parse are skipped."""
    seen: set[str] = set()
    for source, sub in BOOKS:
        book = html_root / sub
        if not book.is_dir():
            continue
        if progress:
            progress(f"reading {source}")
        for page in sorted(book.rglob("*.html")):
            rel = page.relative_to(book).as_posix()
            if rel.split("/")[0] in _SKIP_DIRS or rel.rsplit("/", 1)[-1] in ("print.html", "toc.html"):
                continue
            try:
                parser = _Listings()
                parser.feed(page.read_text(encoding="utf-8", errors="replace"))
            except (OSError, AssertionError):
                continue
            for heading, before, code, caption, classes in parser.found:
                if SKIP_CLASSES & set(classes.split()):
                    continue
                code = code.strip("\n") + "\n"
                lines = code.count("\n")
                digest = hashlib.sha256(code.encode()).hexdigest()
                if not MIN_LINES <= lines <= MAX_LINES or digest in seen:
                    continue
                seen.add(digest)
                yield Template(source, rel, heading, " ".join(x for x in (before, caption) if x), code)


class TemplateStore:
    """The template knowledge base in `path` (an SQLite file, created when missing). Raises
    FerrofixError when the file cannot be opened or the database fails."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=10)
            self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise FerrofixError(f"template knowledge base {self.path}: {e}") from e

    def count(self) -> int:
        """How many templates there are. Raises FerrofixError when the database fails."""
        try:
            return self.db.execute("SELECT count(*) FROM templates").fetchone()[0]
        except sqlite3.Error as e:
            raise FerrofixError(f"template knowledge base {self.path}: {e}") from e

    def seed(self, html_root: Path | None = None, progress: Callable[[str], None] | None = None) -> int:
        """Replace the templates with those extracted from `html_root` (default: the installed
        rust-docs, `stdnames.rust_docs_html()`). Returns how many there are. Raises FerrofixError when no
        documentation is installed."""
        if html_root is None:
            from ..stdnames import rust_docs_html
            html_root = rust_docs_html()
        if html_root is None or not any((html_root / sub).is_dir() for _, sub in BOOKS):
            raise FerrofixError("no Rust documentation found (install rustup's rust-docs component or "
                                "Debian's rust-doc) to seed the template knowledge base")
        rows = [(t.source, t.page, t.heading, t.description, t.code, hashlib.sha256(t.code.encode()).hexdigest())
                for t in extract(html_root, progress)]
        try:
            with self.db:
                self.db.execute("DELETE FROM templates")
                self.db.executemany("INSERT OR IGNORE INTO templates (source, page, heading, description, code, "
                                    "hash) VALUES (?, ?, ?, ?, ?, ?)", rows)
                self.db.execute("INSERT INTO templates_fts(templates_fts) VALUES ('rebuild')")
        except sqlite3.Error as e:
            raise FerrofixError(f"template knowledge base {self.path}: {e}") from e
        return self.count()

    def search(self, query: str, limit: int = 3) -> list[Template]:
        """The `limit` best templates for `query` (any text: words are OR-ed), best first (BM25)."""
        words = sorted({w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", query)} - _STOP)
        if not words or limit <= 0:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        try:
            rows = self.db.execute(
                "SELECT t.id, t.source, t.page, t.heading, t.description, t.code FROM templates_fts f "
                "JOIN templates t ON t.id = f.rowid WHERE templates_fts MATCH ? "
                f"ORDER BY bm25(templates_fts, {', '.join(map(str, WEIGHTS))}) LIMIT ?", (match, limit)).fetchall()
        except sqlite3.Error as e:
            raise FerrofixError(f"template knowledge base {self.path}: {e}") from e
        return [Template(source, page, heading, desc, code, id=i) for i, source, page, heading, desc, code in rows]

    def close(self) -> None:
        self.db.close()


#: Words too common in task descriptions to retrieve by.
_STOP = {"the", "and", "for", "with", "that", "this", "from", "into", "are", "its", "each", "given", "returns",
         "return", "function", "public", "should", "must", "when", "which", "their", "them", "then", "than",
         "pub", "all", "any", "one", "two", "not", "use", "using", "will", "has", "have", "way", "can", "also"}


def default_path() -> Path:
    """`templates.sqlite3` in the knowledge-base directory (`kb.default_kb_dir()`)."""
    from .kb import default_kb_dir
    return default_kb_dir() / "templates.sqlite3"
