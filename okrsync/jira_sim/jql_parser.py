"""Recursive-descent parser for JQL: tokens -> AST.

Grammar (keywords case-insensitive; NOT binds tighter than AND, AND tighter than OR)::

    query    := [or] [ORDER BY sort (',' sort)*] EOF
    or       := and ((OR | '|' | '||') and)*
    and      := not ((AND | '&' | '&&') not)*
    not      := (NOT | '!') not | '(' or ')' | clause
    clause   := field op operand
    op       := '=' | '!=' | '~' | '!~' | '<' | '<=' | '>' | '>=' | IN | NOT IN | IS | IS NOT
    operand  := EMPTY | NULL | value | function | '(' item (',' item)* ')'
    item     := EMPTY | NULL | value | function
    function := WORD '(' [value (',' value)*] ')'
    sort     := field [ASC | DESC]
"""

from __future__ import annotations

from dataclasses import dataclass

from okrsync.jira_sim.jql_lexer import JqlError, Token, TokenKind, tokenize

__all__ = [
    "And",
    "Clause",
    "EmptyOperand",
    "FunctionOperand",
    "ListOperand",
    "Node",
    "Not",
    "Operand",
    "Or",
    "ParsedQuery",
    "SortSpec",
    "ValueOperand",
    "parse",
]

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"})
COMPARISON_OPS = frozenset({"=", "!=", "~", "!~", "<", "<=", ">", ">="})
_UNSUPPORTED_OPS = frozenset({"was", "changed"})
_VALID_OPS_TEXT = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
)


@dataclass(frozen=True, slots=True)
class ValueOperand:
    text: str
    quoted: bool
    raw: str


@dataclass(frozen=True, slots=True)
class EmptyOperand:
    raw: str


@dataclass(frozen=True, slots=True)
class FunctionOperand:
    name: str
    args: tuple[str, ...]
    raw: str


@dataclass(frozen=True, slots=True)
class ListOperand:
    items: tuple[ValueOperand | EmptyOperand | FunctionOperand, ...]
    raw: str


Operand = ValueOperand | EmptyOperand | FunctionOperand | ListOperand


@dataclass(frozen=True, slots=True)
class Clause:
    field: str  # field name as written (unescaped)
    op: str  # normalised: '=', '!=', '~', '!~', '<', '<=', '>', '>=', 'in', 'not in', 'is', 'is not'
    operand: Operand


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True, slots=True)
class SortSpec:
    field: str
    descending: bool


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    where: Node | None
    order_by: tuple[SortSpec, ...]


def _err(message: str, tok: Token) -> JqlError:
    if tok.kind is TokenKind.EOF:
        return JqlError(f"Error in the JQL Query: {message}")
    return JqlError(f"Error in the JQL Query: {message} {tok.where}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # -- token helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind is not TokenKind.EOF:
            self.i += 1
        return tok

    @staticmethod
    def is_kw(tok: Token, *words: str) -> bool:
        return tok.kind is TokenKind.WORD and tok.text.lower() in words

    def expecting(self, what: str, tok: Token | None = None) -> JqlError:
        tok = tok or self.tok
        if tok.kind is TokenKind.EOF:
            return _err(f"Expecting {what} before the end of the query.", tok)
        return _err(f"Expecting {what} but got '{tok.raw}'.", tok)

    def reserved(self, tok: Token) -> JqlError:
        return _err(
            f"'{tok.text}' is a reserved JQL word. "
            "You must surround it in quotation marks to use it in a query.",
            tok,
        )

    # -- grammar -------------------------------------------------------------------------------
    def parse(self) -> ParsedQuery:
        where: Node | None = None
        if self.tok.kind is not TokenKind.EOF and not self.is_kw(self.tok, "order"):
            where = self.parse_or()
        order_by: tuple[SortSpec, ...] = ()
        if self.is_kw(self.tok, "order"):
            order_by = self.parse_order_by()
        if self.tok.kind is not TokenKind.EOF:
            if where is None:
                raise self.expecting("a field name")
            raise self.expecting("either 'OR' or 'AND'")
        return ParsedQuery(where, order_by)

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.is_kw(self.tok, "or") or (self.tok.kind is TokenKind.OP and self.tok.text in ("|", "||")):
            self.advance()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_not()]
        while self.is_kw(self.tok, "and") or (self.tok.kind is TokenKind.OP and self.tok.text in ("&", "&&")):
            self.advance()
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_not(self) -> Node:
        tok = self.tok
        if self.is_kw(tok, "not") or (tok.kind is TokenKind.OP and tok.text == "!"):
            self.advance()
            return Not(self.parse_not())
        if tok.kind is TokenKind.LPAREN:
            self.advance()
            node = self.parse_or()
            if self.tok.kind is not TokenKind.RPAREN:
                raise self.expecting("')'")
            self.advance()
            return node
        return self.parse_clause()

    def parse_field(self) -> str:
        tok = self.tok
        if tok.kind is TokenKind.STRING:
            self.advance()
            return tok.text
        if tok.kind is TokenKind.WORD:
            if tok.text.lower() in KEYWORDS:
                raise self.reserved(tok)
            self.advance()
            return tok.text
        raise self.expecting("a field name")

    def parse_operator(self) -> str:
        tok = self.tok
        if tok.kind is TokenKind.OP and tok.text in COMPARISON_OPS:
            self.advance()
            return tok.text
        if self.is_kw(tok, "in"):
            self.advance()
            return "in"
        if self.is_kw(tok, "not") and self.is_kw(self.peek(), "in"):
            self.advance()
            self.advance()
            return "not in"
        if self.is_kw(tok, "is"):
            self.advance()
            if self.is_kw(self.tok, "not"):
                self.advance()
                return "is not"
            return "is"
        if tok.kind is TokenKind.WORD and tok.text.lower() in _UNSUPPORTED_OPS:
            raise JqlError(
                f"The operator '{tok.text.lower()}' is not supported by the Jira simulator "
                "(it keeps no change history)."
            )
        if tok.kind is TokenKind.EOF:
            raise _err(f"Expecting operator before the end of the query. {_VALID_OPS_TEXT}", tok)
        raise _err(f"Expecting operator but got '{tok.raw}'. {_VALID_OPS_TEXT}", tok)

    def parse_clause(self) -> Clause:
        field = self.parse_field()
        op = self.parse_operator()
        start = self.tok
        if op in ("is", "is not"):
            if not self.is_kw(start, "empty", "null"):
                raise self.expecting("'EMPTY' or 'NULL'")
            self.advance()
            return Clause(field, op, EmptyOperand(start.raw))
        if start.kind is TokenKind.LPAREN:
            return Clause(field, op, self.parse_list())
        return Clause(field, op, self.parse_item())

    def parse_list(self) -> ListOperand:
        start = self.advance()  # '('
        items = [self.parse_item()]
        while self.tok.kind is TokenKind.COMMA:
            self.advance()
            items.append(self.parse_item())
        if self.tok.kind is not TokenKind.RPAREN:
            raise self.expecting("either ',' or ')'")
        end = self.advance()
        raw = self.text_between(start, end)
        return ListOperand(tuple(items), raw)

    def text_between(self, start: Token, end: Token) -> str:
        lines = self.text.split("\n")
        if start.line == end.line:
            return lines[start.line - 1][start.column - 1 : end.column - 1 + len(end.raw)]
        return start.raw + "..." + end.raw

    def parse_item(self) -> ValueOperand | EmptyOperand | FunctionOperand:
        tok = self.tok
        if tok.kind is TokenKind.STRING:
            self.advance()
            return ValueOperand(tok.text, True, tok.raw)
        if tok.kind is TokenKind.WORD:
            low = tok.text.lower()
            if self.peek().kind is TokenKind.LPAREN:
                return self.parse_function()
            if low in ("empty", "null"):
                self.advance()
                return EmptyOperand(tok.raw)
            if low in KEYWORDS:
                raise self.reserved(tok)
            self.advance()
            return ValueOperand(tok.text, False, tok.raw)
        raise self.expecting("either a value, list or function")

    def parse_function(self) -> FunctionOperand:
        name_tok = self.advance()
        self.advance()  # '('
        args: list[str] = []
        if self.tok.kind is not TokenKind.RPAREN:
            while True:
                tok = self.tok
                if tok.kind not in (TokenKind.WORD, TokenKind.STRING):
                    raise self.expecting("a function argument")
                args.append(tok.text)
                self.advance()
                if self.tok.kind is TokenKind.COMMA:
                    self.advance()
                    continue
                break
        if self.tok.kind is not TokenKind.RPAREN:
            raise self.expecting("either ',' or ')'")
        end = self.advance()
        return FunctionOperand(name_tok.text, tuple(args), self.text_between(name_tok, end))

    def parse_order_by(self) -> tuple[SortSpec, ...]:
        self.advance()  # ORDER
        if not self.is_kw(self.tok, "by"):
            raise self.expecting("'BY'")
        self.advance()
        specs: list[SortSpec] = []
        while True:
            field = self.parse_field()
            descending = False
            if self.is_kw(self.tok, "asc", "desc"):
                descending = self.advance().text.lower() == "desc"
            specs.append(SortSpec(field, descending))
            if self.tok.kind is TokenKind.COMMA:
                self.advance()
                continue
            break
        if self.tok.kind is not TokenKind.EOF:
            raise self.expecting("either ',' or the end of the query")
        return tuple(specs)


def parse(text: str) -> ParsedQuery:
    """Parse a JQL string; raises :class:`JqlError` on syntax errors."""
    return _Parser(text).parse()
