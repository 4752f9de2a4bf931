"""InfluxQL lexer (influxql scanner.go, 1.8), positions as 0-based (line, char).

The reader keeps InfluxDB's three-rune unread buffer and its way of counting
positions (the first EOF read advances the column once), so error positions,
printed 1-based, match InfluxDB's exactly.
"""

from __future__ import annotations

from .tokens import Tok, lookup

__all__ = ["Scanner", "BufScanner", "EOF_CH", "is_whitespace", "is_ident_char",
           "is_ident_first_char", "is_digit", "is_letter"]

EOF_CH = "\0"
Pos = tuple  # (line, char), 0-based


def is_whitespace(ch: str) -> bool:
    return ch in (" ", "\t", "\n")


def is_letter(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def is_ident_char(ch: str) -> bool:
    return is_letter(ch) or is_digit(ch) or ch == "_"


def is_ident_first_char(ch: str) -> bool:
    return is_letter(ch) or ch == "_"


class _Reader:
    """A rune reader with InfluxDB's 3-slot unread ring and position rules."""

    __slots__ = ("text", "off", "i", "n", "line", "char", "buf", "seen_eof")

    def __init__(self, text: str) -> None:
        self.text = text
        self.off = 0
        self.i = 0
        self.n = 0
        self.line = 0
        self.char = 0
        self.buf: list[tuple[str, tuple[int, int]]] = [("", (0, 0))] * 3
        self.seen_eof = False

    def _next_raw(self) -> str:
        text, off = self.text, self.off
        if off >= len(text):
            return EOF_CH
        ch = text[off]
        self.off = off + 1
        if ch == "\r":
            if self.off < len(text) and text[self.off] == "\n":
                self.off += 1
            ch = "\n"
        return ch

    def read(self) -> tuple[str, tuple[int, int]]:
        if self.n > 0:
            self.n -= 1
            return self.curr()
        ch = self._next_raw()
        self.i = (self.i + 1) % 3
        self.buf[self.i] = (ch, (self.line, self.char))
        if ch == "\n":
            self.line += 1
            self.char = 0
        elif not self.seen_eof:
            self.char += 1
        if ch == EOF_CH:  # a literal NUL counts as EOF too, as in InfluxDB
            self.seen_eof = True
        return self.buf[self.i]

    def unread(self) -> None:
        self.n += 1

    def curr(self) -> tuple[str, tuple[int, int]]:
        return self.buf[(self.i - self.n + 3) % 3]

    def read_rune(self) -> str:
        """io.RuneScanner view: EOF comes back as EOF_CH."""
        return self.read()[0]

    def at_eof(self) -> bool:
        return self.curr()[0] == EOF_CH and self.seen_eof


class BadString(Exception):
    pass


class BadEscape(Exception):
    pass


def _scan_string(r: _Reader) -> str:
    """Read a quoted string; the opening quote is the next rune."""
    ending = r.read_rune()
    if ending == EOF_CH:
        raise BadString("")
    out: list[str] = []
    while True:
        ch0 = r.read_rune()
        if ch0 == ending:
            return "".join(out)
        if ch0 == EOF_CH or ch0 == "\n":
            raise BadString("".join(out))
        if ch0 == "\\":
            ch1 = r.read_rune()
            esc = {"n": "\n", "\\": "\\", '"': '"', "'": "'"}.get(ch1)
            if esc is None:
                raise BadEscape(ch0 + (ch1 if ch1 != EOF_CH else "\0"))
            out.append(esc)
        else:
            out.append(ch0)


def _scan_bare_ident(r: _Reader) -> str:
    out: list[str] = []
    while True:
        ch = r.read_rune()
        if ch == EOF_CH:
            break
        if not is_ident_char(ch):
            r.unread()
            break
        out.append(ch)
    return "".join(out)


def _scan_delimited_regex(r: _Reader) -> str:
    """Scan /.../ with only '\\/' as an escape (others pass through)."""
    ch = r.read_rune()
    if ch != "/":
        raise BadString("")
    out: list[str] = []
    while True:
        ch0 = r.read_rune()
        if ch0 == "/":
            return "".join(out)
        if ch0 == EOF_CH:
            raise BadString("")
        if ch0 == "\n":
            raise BadString("")
        if ch0 == "\\":
            ch1 = r.read_rune()
            if ch1 == EOF_CH:
                raise BadString("")
            if ch1 == "/":
                out.append("/")
            else:
                r.unread()
                out.append("\\")
        else:
            out.append(ch0)


_SINGLE = {"+": Tok.ADD, "*": Tok.MUL, "%": Tok.MOD, "&": Tok.BITWISE_AND,
           "|": Tok.BITWISE_OR, "^": Tok.BITWISE_XOR, "(": Tok.LPAREN,
           ")": Tok.RPAREN, ",": Tok.COMMA, ";": Tok.SEMICOLON}
# first rune -> ((second rune, token), ...), fallback token (None: ILLEGAL)
_DOUBLE = {
    "=": ((("~", Tok.EQREGEX),), Tok.EQ),
    "!": ((("=", Tok.NEQ), ("~", Tok.NEQREGEX)), None),
    ">": ((("=", Tok.GTE),), Tok.GT),
    "<": ((("=", Tok.LTE), (">", Tok.NEQ)), Tok.LT),
    ":": (((":", Tok.DOUBLECOLON),), Tok.COLON),
}

Token3 = tuple  # (Tok, (line, char), lit)


class Scanner:
    """Turns text into (token, pos, literal) triples, one at a time."""

    def __init__(self, text: str) -> None:
        self.r = _Reader(text)

    def scan(self) -> Token3:
        r = self.r
        ch0, pos = r.read()
        if is_whitespace(ch0):
            return self._scan_whitespace()
        if is_letter(ch0) or ch0 == "_" or ch0 == '"':
            r.unread()
            return self._scan_ident(True)
        if is_digit(ch0):
            return self._scan_number()
        if ch0 == EOF_CH:
            return (Tok.EOF, pos, "")
        if ch0 in _SINGLE:
            return (_SINGLE[ch0], pos, "")
        if ch0 in _DOUBLE:
            return self._scan_double(ch0, pos)
        return self._scan_other(ch0, pos)

    def _scan_double(self, ch0: str, pos) -> Token3:
        pairs, fallback = _DOUBLE[ch0]
        ch1 = self.r.read_rune()
        for second, tok in pairs:
            if ch1 == second:
                return (tok, pos, "")
        self.r.unread()
        if fallback is None:
            return (Tok.ILLEGAL, pos, ch0)
        return (fallback, pos, "")

    def _scan_other(self, ch0: str, pos) -> Token3:
        r = self.r
        if ch0 == "'":
            return self._scan_string()
        if ch0 == ".":
            ch1 = r.read_rune()
            r.unread()
            if is_digit(ch1):
                return self._scan_number()
            return (Tok.DOT, pos, "")
        if ch0 == "$":
            tok, _, lit = self._scan_ident(False)
            if tok != Tok.IDENT:
                return (tok, pos, "$" + lit)
            return (Tok.BOUNDPARAM, pos, "$" + lit)
        if ch0 == "-":
            if r.read_rune() == "-":
                self._skip_until_newline()
                return (Tok.COMMENT, pos, "")
            r.unread()
            return (Tok.SUB, pos, "")
        if ch0 == "/":
            if r.read_rune() == "*":
                if not self._skip_until_end_comment():
                    return (Tok.ILLEGAL, pos, "")
                return (Tok.COMMENT, pos, "")
            r.unread()
            return (Tok.DIV, pos, "")
        return (Tok.ILLEGAL, pos, ch0)

    def _scan_whitespace(self) -> Token3:
        r = self.r
        ch, pos = r.curr()
        buf = [ch]
        while True:
            ch = r.read_rune()
            if ch == EOF_CH:
                break
            if not is_whitespace(ch):
                r.unread()
                break
            buf.append(ch)
        return (Tok.WS, pos, "".join(buf))

    def _skip_until_newline(self) -> None:
        while True:
            ch = self.r.read_rune()
            if ch == "\n" or ch == EOF_CH:
                return

    def _skip_until_end_comment(self) -> bool:
        r = self.r
        while True:
            ch1 = r.read_rune()
            if ch1 == EOF_CH:
                return False
            if ch1 != "*":
                continue
            while True:
                ch2 = r.read_rune()
                if ch2 == "/":
                    return True
                if ch2 == EOF_CH:
                    return False
                if ch2 != "*":
                    break

    def _scan_ident(self, lookup_kw: bool) -> Token3:
        r = self.r
        _, pos = r.read()
        r.unread()
        buf: list[str] = []
        while True:
            ch = r.read_rune()
            if ch == EOF_CH:
                break
            if ch == '"':
                tok0, pos0, lit0 = self._scan_string()
                if tok0 in (Tok.BADSTRING, Tok.BADESCAPE):
                    return (tok0, pos0, lit0)
                return (Tok.IDENT, pos, lit0)
            if is_ident_char(ch):
                r.unread()
                buf.append(_scan_bare_ident(r))
            else:
                r.unread()
                break
        lit = "".join(buf)
        if lookup_kw:
            tok = lookup(lit)
            if tok != Tok.IDENT:
                return (tok, pos, "")
        return (Tok.IDENT, pos, lit)

    def _scan_string(self) -> Token3:
        r = self.r
        r.unread()
        _, pos = r.curr()
        try:
            return (Tok.STRING, pos, _scan_string(r))
        except BadString as e:
            return (Tok.BADSTRING, pos, e.args[0])
        except BadEscape as e:
            _, pos = r.curr()
            return (Tok.BADESCAPE, pos, e.args[0])

    def scan_regex(self) -> Token3:
        r = self.r
        _, pos = r.curr()
        try:
            return (Tok.REGEX, pos, _scan_delimited_regex(r))
        except BadString:
            return (Tok.BADREGEX, pos, "")

    def _scan_number(self) -> Token3:
        r = self.r
        ch, pos = r.curr()
        if ch == ".":
            ch1 = r.read_rune()
            r.unread()
            if not is_digit(ch1):
                return (Tok.ILLEGAL, pos, ".")
        r.unread()
        buf = [self._scan_digits()]
        ch0 = r.read_rune()
        if ch0 == ".":
            ch1 = r.read_rune()
            if is_digit(ch1):
                buf += [ch0, ch1, self._scan_digits()]
            else:
                r.unread()
            return (Tok.NUMBER, pos, "".join(buf))
        r.unread()
        ch0 = r.read_rune()
        if is_letter(ch0) or ch0 == "\u00b5":
            buf.append(ch0)
            self._scan_duration_tail(buf)
            return (Tok.DURATIONVAL, pos, "".join(buf))
        r.unread()
        return (Tok.INTEGER, pos, "".join(buf))

    def _scan_duration_tail(self, buf: list[str]) -> None:
        r = self.r
        while True:
            ch1 = r.read_rune()
            if not is_letter(ch1) and ch1 != "\u00b5":
                r.unread()
                break
            buf.append(ch1)
        while True:
            ch0 = r.read_rune()
            if is_letter(ch0) or ch0 == "\u00b5" or is_digit(ch0):
                buf.append(ch0)
            else:
                r.unread()
                break

    def _scan_digits(self) -> str:
        r = self.r
        buf: list[str] = []
        while True:
            ch = r.read_rune()
            if not is_digit(ch):
                r.unread()
                break
            buf.append(ch)
        return "".join(buf)


class BufScanner:
    """A scanner with a 3-token unscan ring, as the parser uses it."""

    def __init__(self, text: str) -> None:
        self.s = Scanner(text)
        self.i = 0
        self.n = 0
        self.buf: list[Token3] = [(Tok.ILLEGAL, (0, 0), "")] * 3

    def _scan_with(self, fn) -> Token3:
        if self.n > 0:
            self.n -= 1
            return self.curr()
        self.i = (self.i + 1) % 3
        self.buf[self.i] = fn()
        return self.buf[self.i]

    def scan(self) -> Token3:
        return self._scan_with(self.s.scan)

    def scan_regex(self) -> Token3:
        return self._scan_with(self.s.scan_regex)

    def unscan(self) -> None:
        self.n += 1

    def curr(self) -> Token3:
        return self.buf[(self.i - self.n + 3) % 3]

    def peek_rune(self) -> str:
        ch = self.s.r.read_rune()
        if ch != EOF_CH:
            self.s.r.unread()
        return ch
