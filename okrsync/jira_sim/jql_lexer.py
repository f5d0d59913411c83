"""Lexer for the simulator's JQL engine (see ``jql.py`` for the public interface).

Produces a flat list of :class:`Token`; keywords (AND, OR, NOT, IN, IS, EMPTY, ...) are ordinary
unquoted ``WORD`` tokens that the parser recognises case-insensitively, so quoting a keyword makes it
a plain value, as in Jira.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = ["JqlError", "Token", "TokenKind", "tokenize"]


class JqlError(ValueError):
    """A JQL query could not be parsed or validated; ``messages`` are Jira-style error texts."""

    def __init__(self, messages: str | Sequence[str]) -> None:
        msgs = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("; ".join(msgs))
        self.messages: list[str] = msgs


class TokenKind(Enum):
    WORD = "word"  # unquoted string: keyword, field name, value, function name, number
    STRING = "string"  # quoted string (single or double quotes)
    OP = "op"  # = != ~ !~ < <= > >= ! & && | ||
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "eof"


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str  # unescaped value
    raw: str  # the characters as written in the query
    line: int  # 1-based
    column: int  # 1-based character in the line

    @property
    def where(self) -> str:
        return f"(line {self.line}, character {self.column})"


# Characters that end an unquoted word.
_DELIMITERS = frozenset(" \t\r\n=!<>~(),\"'&|")
_OPERATORS = ("!=", "!~", "<=", ">=", "&&", "||", "=", "~", "<", ">", "!", "&", "|")
_SIMPLE_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    " ": " ",
}


def _syntax(message: str, line: int, column: int) -> JqlError:
    return JqlError(f"Error in the JQL Query: {message} (line {line}, character {column})")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0

    def column(self, pos: int) -> int:
        return pos - self.line_start + 1

    def escape(self) -> str:
        """Consume a backslash escape at ``self.pos`` (pointing at the backslash)."""
        text = self.text
        nxt = text[self.pos + 1 : self.pos + 2]
        if nxt in _SIMPLE_ESCAPES:
            self.pos += 2
            return _SIMPLE_ESCAPES[nxt]
        if nxt == "u":
            digits = text[self.pos + 2 : self.pos + 6]
            if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                self.pos += 6
                return chr(int(digits, 16))
        shown = text[self.pos : self.pos + 2]
        raise _syntax(f"The escape sequence '{shown}' is illegal.", self.line, self.column(self.pos))

    def quoted(self, quote: str) -> Token:
        text = self.text
        start = self.pos
        line, col = self.line, self.column(start)
        self.pos += 1
        out: list[str] = []
        while True:
            if self.pos >= len(text):
                raise _syntax(f"The quoted string '{text[start + 1 :]}' has not been completed.", line, col)
            ch = text[self.pos]
            if ch == quote:
                self.pos += 1
                break
            if ch == "\\":
                out.append(self.escape())
                continue
            if ch == "\n":
                self.line += 1
                self.line_start = self.pos + 1
            out.append(ch)
            self.pos += 1
        return Token(TokenKind.STRING, "".join(out), text[start : self.pos], line, col)

    def word(self) -> Token:
        text = self.text
        start = self.pos
        col = self.column(start)
        out: list[str] = []
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in _DELIMITERS:
                break
            if ch == "\\":
                out.append(self.escape())
                continue
            out.append(ch)
            self.pos += 1
        return Token(TokenKind.WORD, "".join(out), text[start : self.pos], self.line, col)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``EOF`` token."""
    sc = _Scanner(text)
    tokens: list[Token] = []
    n = len(text)
    while True:
        # skip whitespace
        while sc.pos < n and text[sc.pos] in " \t\r\n":
            if text[sc.pos] == "\n":
                sc.line += 1
                sc.line_start = sc.pos + 1
            sc.pos += 1
        if sc.pos >= n:
            tokens.append(Token(TokenKind.EOF, "", "", sc.line, sc.column(sc.pos)))
            return tokens
        ch = text[sc.pos]
        col = sc.column(sc.pos)
        if ch in "\"'":
            tokens.append(sc.quoted(ch))
        elif ch == "(":
            tokens.append(Token(TokenKind.LPAREN, ch, ch, sc.line, col))
            sc.pos += 1
        elif ch == ")":
            tokens.append(Token(TokenKind.RPAREN, ch, ch, sc.line, col))
            sc.pos += 1
        elif ch == ",":
            tokens.append(Token(TokenKind.COMMA, ch, ch, sc.line, col))
            sc.pos += 1
        elif ch in "=!<>~&|":
            for op in _OPERATORS:
                if text.startswith(op, sc.pos):
                    tokens.append(Token(TokenKind.OP, op, op, sc.line, col))
                    sc.pos += len(op)
                    break
        else:
            tokens.append(sc.word())
