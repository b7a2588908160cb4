"""Highlighting for QTextDocuments: Rust from pygments' RustLexer tokens, and unified diffs coloured as a
diff tool does (added and removed lines, hunk headers, and the changed characters within a changed line)."""

from __future__ import annotations

import difflib

from pygments.lexers import RustLexer
from pygments.token import Comment, Keyword, Name, Number, Operator, String, Token
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat

_STYLES = [
    (Comment, "#6a737d", False, True),
    (Keyword, "#d73a49", True, False),
    (String, "#032f62", False, False),
    (Number, "#005cc5", False, False),
    (Name.Function, "#6f42c1", False, False),
    (Name.Class, "#6f42c1", True, False),
    (Name.Builtin, "#005cc5", False, False),
    (Name.Attribute, "#22863a", False, False),
    (Operator, "#d73a49", False, False),
]


def _format(color: str, bold: bool, italic: bool) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


class RustHighlighter(QSyntaxHighlighter):
    """Highlights a whole document line by line (pygments lexes each block; multi-line comments and
    strings are rare in the snippets this shows)."""

    def __init__(self, document) -> None:
        super().__init__(document)
        self.lexer = RustLexer(stripnl=False, ensurenl=False)
        self.formats = [(tok, _format(*rest)) for tok, *rest in _STYLES]

    def _for(self, ttype) -> QTextCharFormat | None:
        while ttype is not Token:
            for tok, fmt in self.formats:
                if ttype is tok:
                    return fmt
            ttype = ttype.parent
        return None

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt API)
        pos = 0
        for ttype, value in self.lexer.get_tokens(text):
            fmt = self._for(ttype)
            n = len(value.encode("utf-16-le")) // 2
            if fmt is not None:
                self.setFormat(pos, n, fmt)
            pos += n


#: Diff colours: line backgrounds for removed/added lines, stronger ones for the changed characters
#: inside them, and the hunk header's foreground (GitHub's light palette).
DIFF_COLORS = {"removed": "#ffebe9", "added": "#e6ffec", "removed_chars": "#ffb3ad", "added_chars": "#9be9a8",
               "hunk": "#0550ae", "file": "#57606a"}


def changed_chars(diff: str) -> dict[int, list[tuple[int, int]]]:
    """For a unified diff's text: line index → (start, length) spans, in UTF-16 code units of that line,
    of the characters that changed, for each removed line paired with an added one (the i-th `-` line of
    a run with the i-th `+` line right after it; `difflib.SequenceMatcher` on the two lines without
    their marker). Lines without a partner get no spans (the whole line is new or gone)."""
    lines = diff.split("\n")
    out: dict[int, list[tuple[int, int]]] = {}
    i = 0

    def u16(text: str, a: int, b: int) -> tuple[int, int]:
        return len(text[:a].encode("utf-16-le")) // 2, len(text[a:b].encode("utf-16-le")) // 2

    while i < len(lines):
        if not (lines[i].startswith("-") and not lines[i].startswith("---")):
            i += 1
            continue
        rem = i
        while i < len(lines) and lines[i].startswith("-") and not lines[i].startswith("---"):
            i += 1
        add = i
        while i < len(lines) and lines[i].startswith("+") and not lines[i].startswith("+++"):
            i += 1
        for k in range(min(add - rem, i - add)):
            a, b = lines[rem + k][1:], lines[add + k][1:]
            sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
            if sm.ratio() < 0.4:  # rewritten rather than edited: marking characters would be noise
                continue
            for tag, a0, a1, b0, b1 in sm.get_opcodes():
                if tag == "equal":
                    continue
                if a1 > a0:
                    s0, n = u16(a, a0, a1)
                    out.setdefault(rem + k, []).append((1 + s0, n))
                if b1 > b0:
                    s0, n = u16(b, b0, b1)
                    out.setdefault(add + k, []).append((1 + s0, n))
    return out


class DiffHighlighter(QSyntaxHighlighter):
    """Colours a unified diff: removed lines on red, added on green, the changed characters within a
    changed line stronger (`changed_chars`), `@@` hunk headers blue, `---`/`+++` file lines grey bold.
    The spans are recomputed whenever the document's text changes."""

    def __init__(self, document) -> None:
        super().__init__(document)
        c = DIFF_COLORS
        self.formats = {}
        for kind in ("removed", "added", "removed_chars", "added_chars"):
            f = QTextCharFormat()
            f.setBackground(QColor(c[kind]))
            self.formats[kind] = f
        self.formats["hunk"] = _format(c["hunk"], False, False)
        self.formats["file"] = _format(c["file"], True, False)
        self.spans: dict[int, list[tuple[int, int]]] = {}
        self._revision = -1

    def _spans(self) -> dict[int, list[tuple[int, int]]]:
        """`changed_chars` of the document as it is now (recomputed once per document revision: the
        highlighter runs on `contentsChange`, before any slot on `contentsChanged` would)."""
        doc = self.document()
        if doc.revision() != self._revision:
            self._revision = doc.revision()
            self.spans = changed_chars(doc.toPlainText())
        return self.spans

    def highlightBlock(self, text: str) -> None:  # noqa: N802 (Qt API)
        n = len(text.encode("utf-16-le")) // 2
        if text.startswith(("---", "+++")):
            self.setFormat(0, n, self.formats["file"])
            return
        if text.startswith("@@"):
            self.setFormat(0, n, self.formats["hunk"])
            return
        kind = "removed" if text.startswith("-") else "added" if text.startswith("+") else None
        if kind is None:
            return
        self.setFormat(0, n, self.formats[kind])
        for start, length in self._spans().get(self.currentBlock().blockNumber(), ()):
            self.setFormat(start, length, self.formats[kind + "_chars"])
