"""Parser plumbing: token scanning with unscan, bound parameters, small productions."""

from __future__ import annotations

from .ast_expr import RegexLiteral
from .errors import ParseError
from .params import bind_params
from .regex import GoRegexError, check_go_regex
from .scanner import BufScanner, EOF_CH, is_whitespace
from .tokens import Tok, tok_name, tokstr
from .util import ErrInvalidDuration, go_digits, parse_duration, quote_ident

__all__ = ["ParserBase", "INT32_MAX"]

INT32_MAX = (1 << 31) - 1
INT64_MAX = (1 << 63) - 1


def unexpected(tok: Tok, lit: str, expected: list[str], pos) -> ParseError:
    return ParseError(found=tokstr(tok, lit), expected=expected, pos=pos)


class ParserBase:
    def __init__(self, text: str, params: dict | None = None) -> None:
        self.s = BufScanner(text)
        self.params = bind_params(params)

    # -- scanning ---------------------------------------------------------------
    def _bind(self, t):
        tok, pos, lit = t
        if tok == Tok.BOUNDPARAM and len(lit) > 1 and lit[1:] in self.params:
            btok, blit = self.params[lit[1:]]
            return (btok, pos, blit)
        return t

    def scan(self):
        return self._bind(self.s.scan())

    def scan_regex(self):
        return self._bind(self.s.scan_regex())

    def scan_ignore_ws(self):
        while True:
            t = self.scan()
            if t[0] not in (Tok.WS, Tok.COMMENT):
                return t

    def unscan(self) -> None:
        self.s.unscan()

    def peek_rune(self) -> str:
        return self.s.peek_rune()

    def consume_whitespace(self) -> None:
        if self.scan()[0] != Tok.WS:
            self.unscan()

    def accept(self, tok: Tok) -> bool:
        """Consume the next non-space token if it is `tok`, else leave it."""
        if self.scan_ignore_ws()[0] == tok:
            return True
        self.unscan()
        return False

    def expect_tokens(self, *toks: Tok) -> None:
        for expected in toks:
            tok, pos, lit = self.scan_ignore_ws()
            if tok != expected:
                raise unexpected(tok, lit, [tok_name(expected)], pos)

    # -- small productions --------------------------------------------------------
    def parse_ident(self) -> str:
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.IDENT:
            raise unexpected(tok, lit, ["identifier"], pos)
        return lit

    def parse_ident_list(self) -> list[str]:
        idents = [self.parse_ident()]
        while self.accept(Tok.COMMA):
            idents.append(self.parse_ident())
        return idents

    def parse_string(self) -> str:
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.STRING:
            raise unexpected(tok, lit, ["string"], pos)
        return lit

    def parse_string_list(self) -> list[str]:
        out = [self.parse_string()]
        while self.accept(Tok.COMMA):
            out.append(self.parse_string())
        return out

    def parse_int(self, lo: int, hi: int) -> int:
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.INTEGER:
            raise unexpected(tok, lit, ["integer"], pos)
        n = go_digits(lit)
        if n > INT64_MAX:
            raise ParseError(f'strconv.Atoi: parsing "{lit}": value out of range', pos=pos)
        if not lo <= n <= hi:
            raise ParseError(f"invalid value {n}: must be {lo} <= n <= {hi}", pos=pos)
        return n

    def parse_uint64(self) -> int:
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.INTEGER:
            raise unexpected(tok, lit, ["integer"], pos)
        n = go_digits(lit)
        if n >= 1 << 64:
            raise ParseError(f'strconv.ParseUint: parsing "{lit}": value out of range', pos=pos)
        return n

    def parse_duration(self) -> int:
        tok, pos, lit = self.scan_ignore_ws()
        if tok not in (Tok.DURATIONVAL, Tok.INF):
            raise unexpected(tok, lit, ["duration"], pos)
        if tok == Tok.INF:
            return 0
        try:
            return parse_duration(lit)
        except ErrInvalidDuration as e:
            raise ParseError(str(e), pos=pos) from None

    def parse_optional_token_and_int(self, t: Tok) -> int:
        if not self.accept(t):
            return 0
        tok, pos, lit = self.scan_ignore_ws()
        if tok != Tok.INTEGER:
            raise unexpected(tok, lit, ["integer"], pos)
        n = go_digits(lit)
        return min(n, INT64_MAX)  # Go's ParseInt saturates; the error is ignored

    def parse_segmented_idents(self) -> list[str]:
        idents = [self.parse_ident()]
        while True:
            if self.scan()[0] != Tok.DOT:
                self.unscan()
                break
            ch = self.peek_rune()
            if ch in ("/", ":"):
                break
            if ch == ".":
                idents.append("")
                continue
            idents.append(self.parse_ident())
        if len(idents) > 3:
            raise ParseError("too many segments in " + quote_ident(*idents), pos=(0, 0))
        return idents

    def parse_regex(self) -> RegexLiteral | None:
        """A /regex/ if one starts here (or a bound regex parameter), else None."""
        if is_whitespace(self.peek_rune()):
            self.consume_whitespace()
        nxt = self.peek_rune()
        if nxt == "$":
            tok = self.scan()[0]
            self.unscan()
            if tok != Tok.REGEX:
                return None
        elif nxt != "/":
            return None
        tok, pos, lit = self.scan_regex()
        if tok == Tok.BADESCAPE:
            raise ParseError(f"bad escape: {lit}", pos=pos)
        if tok == Tok.BADREGEX:
            raise ParseError(f"bad regex: {lit}", pos=pos)
        if tok != Tok.REGEX:
            raise unexpected(tok, lit, ["regex"], pos)
        return compile_regex_literal(lit, pos)


def compile_regex_literal(lit: str, pos) -> RegexLiteral:
    try:
        check_go_regex(lit)
    except GoRegexError as e:
        raise ParseError(str(e), pos=pos) from None
    return RegexLiteral(lit)


__all__ += ["unexpected", "compile_regex_literal", "EOF_CH"]
