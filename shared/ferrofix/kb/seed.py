"""Seed records from the installed toolchain's error index, offline.

Source: the rustc error-code documentation. Preferred: the rust-docs pages
`<sysroot>/share/doc/rust/html/error_codes/EXXXX.html`, whose code blocks keep their rustdoc classes
(`compile_fail` marks an erroneous example). Fallback: `rustc --explain EXXXX` for every code the
toolchain knows (E0001–E0999 probed), where the first example after "Erroneous code example" is the
erroneous one. Each erroneous example is paired with the next example that compiles; the explanation
is the page's prose. When the examples can be compiled (`rustc --emit=metadata`), the record's message is
the real rustc message of the erroneous example.
"""

from __future__ import annotations

import concurrent.futures as cf
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

from ..errors import FerrofixError
from ..stdnames import rust_docs_html
from .records import Record


@dataclass(slots=True)
class Block:
    code: str
    failing: bool
    ignored: bool


@dataclass(slots=True)
class Page:
    code: str
    prose: str
    blocks: list[Block]


class _PageParser(HTMLParser):
    """Collects `<pre><code class=...>` blocks and paragraph text of an error-code page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.prose: list[str] = []
        self._code_cls: str | None = None
        self._buf: list[str] = []
        self._in_main = False
        self._in_p = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "main":
            self._in_main = True
        if tag == "code" and self._in_main and a.get("class", "").startswith("language-"):
            self._code_cls = a["class"]
            self._buf = []
        elif tag == "p" and self._in_main:
            self._in_p = True
            self._buf = []

    def handle_endtag(self, tag):
        if tag == "code" and self._code_cls is not None:
            cls = self._code_cls
            ignored = "ignore" in cls or not cls.startswith(("language-rust", "language-no_run"))
            self.blocks.append(Block("".join(self._buf), "compile_fail" in cls, ignored))
            self._code_cls = None
        elif tag == "p" and self._in_p:
            self._in_p = False
            self.prose.append(" ".join("".join(self._buf).split()))
        elif tag == "main":
            self._in_main = False

    def handle_data(self, data):
        if self._code_cls is not None or self._in_p:
            self._buf.append(data)


def docs_dir() -> Path | None:
    """`<sysroot>/share/doc/rust/html/error_codes` when the rust-docs component is installed
    (`stdnames.rust_docs_html`)."""
    html = rust_docs_html()
    d = html / "error_codes" if html is not None else None
    return d if d is not None and d.is_dir() else None


def pages_from_docs(d: Path) -> Iterator[Page]:
    for f in sorted(d.glob("E[0-9][0-9][0-9][0-9].html")):
        p = _PageParser()
        p.feed(f.read_text(encoding="utf-8", errors="replace"))
        yield Page(f.stem, "\n\n".join(x for x in p.prose if x), p.blocks)


_FENCE = re.compile(r"^```(.*)$")


def pages_from_explain(progress: Callable[[str], None] | None = None) -> Iterator[Page]:
    """Every code `rustc --explain` knows, parsed from its markdown (no rustdoc classes there)."""
    rustc = shutil.which("rustc")
    if not rustc:
        raise FerrofixError("rustc not found on PATH: the knowledge base is seeded from the toolchain")

    def one(n: int) -> Page | None:
        code = f"E{n:04d}"
        p = subprocess.run([rustc, "--explain", code], capture_output=True, text=True)
        return parse_markdown(code, p.stdout) if p.returncode == 0 and p.stdout.strip() else None

    with cf.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as ex:
        for page in ex.map(one, range(1, 1000)):
            if page:
                yield page


def parse_markdown(code: str, md: str) -> Page:
    """Split `rustc --explain` markdown into prose and code blocks; a block counts as erroneous when the
    paragraph before it speaks of an error ("Erroneous code example", "error", "fails")."""
    blocks: list[Block] = []
    prose: list[str] = []
    para: list[str] = []
    code_lines: list[str] | None = None
    info = ""
    for line in md.splitlines():
        m = _FENCE.match(line.strip())
        if m and code_lines is None:
            info = m.group(1).strip()
            code_lines = []
            continue
        if m and code_lines is not None:
            before = " ".join(para[-3:]).lower()
            failing = "compile_fail" in info or any(w in before for w in ("erroneous", "error", "fail", "invalid", "wrong"))
            ignored = "ignore" in info or bool(info) and not info.startswith(("rust", "compile_fail", "edition", "no_run", "E0"))
            blocks.append(Block("\n".join(code_lines) + "\n", failing, ignored))
            code_lines = None
            continue
        if code_lines is not None:
            code_lines.append(line)
        else:
            if line.strip():
                para.append(line.strip())
            elif para:
                prose.append(" ".join(para))
                para = []
    if para:
        prose.append(" ".join(para))
    return Page(code, "\n\n".join(prose), blocks)


def _strip_hidden(src: str) -> str:
    """Drop rustdoc's hidden-line markers (`# ` prefixes) but keep the lines: they are needed to compile."""
    out = []
    for ln in src.splitlines():
        s = ln.lstrip()
        if s == "#":
            out.append("")
        elif s.startswith("# ") and not s.startswith("#["):
            out.append(ln.replace("# ", "", 1))
        else:
            out.append(ln)
    return "\n".join(out).rstrip() + "\n"


def pairs(page: Page) -> list[tuple[int, str, str]]:
    """(example number, erroneous snippet, corrected snippet or "") for a page."""
    out = []
    usable = [b for b in page.blocks if not b.ignored]
    for i, b in enumerate(usable):
        if not b.failing:
            continue
        fix = next((x.code for x in usable[i + 1:] if not x.failing), "")
        out.append((i, _strip_hidden(b.code), _strip_hidden(fix) if fix else ""))
    return out


def rustc_message(code: str, src: str, tmp: Path) -> str | None:
    """The first error message rustc gives for `src` with error `code` (checked as a 2021 crate,
    metadata only), or None."""
    rustc = shutil.which("rustc")
    f = tmp / f"{code}-{abs(hash(src))}.rs"
    f.write_text(src if "fn main" in src else src + "\nfn main() {}\n")
    try:
        p = subprocess.run([rustc, "--edition", "2021", "--error-format=json", "--emit=metadata", "--crate-type",
                            "bin", "-o", str(f.with_suffix(".rmeta")), str(f)], capture_output=True, text=True,
                           timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = None
    for line in p.stderr.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        if d.get("level") != "error":
            continue
        c = (d.get("code") or {}).get("code")
        if c == code:
            return d["message"]
        first = first or d["message"]
    return first


def seed_records(progress: Callable[[str], None] | None = None, *, compile_messages: bool = True
                 ) -> list[tuple[str, Record]]:
    """Build (seed key, Record) pairs from the toolchain's error index. Seed keys are `CODE#N` (N =
    the erroneous example's position), stable across runs of one toolchain."""
    d = docs_dir()
    pages = list(pages_from_docs(d)) if d else list(pages_from_explain(progress))
    if progress:
        progress(f"{len(pages)} error codes from {'the rust-docs pages' if d else 'rustc --explain'}")
    items: list[tuple[str, Page, str, str]] = []
    for page in pages:
        for n, before, after in pairs(page):
            items.append((f"{page.code}#{n}", page, before, after))
    messages: dict[str, str | None] = {}
    if compile_messages and shutil.which("rustc"):
        with tempfile.TemporaryDirectory(prefix="ferrofix-seed-") as tmp, \
                cf.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as ex:
            futs = {ex.submit(rustc_message, page.code, before, Path(tmp)): key for key, page, before, _ in items}
            for i, fut in enumerate(cf.as_completed(futs)):
                messages[futs[fut]] = fut.result()
                if progress and i % 50 == 0:
                    progress(f"compiled {i}/{len(items)} examples")
    out = []
    for key, page, before, after in items:
        msg = messages.get(key) or _first_sentence(page.prose)
        explanation = page.prose[:4000]
        out.append((key, Record(code=page.code, message=msg, before=before, after=after, explanation=explanation,
                                tags=["seed"], source="rustc-error-index", status="approved")))
    return out


def _first_sentence(prose: str) -> str:
    s = prose.strip().split("\n", 1)[0]
    return html.unescape(s.split(". ")[0])[:200]
