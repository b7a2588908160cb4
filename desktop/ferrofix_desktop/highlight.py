"""Rust syntax highlighting for QTextDocuments, from pygments' RustLexer tokens."""

from __future__ import annotations

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
