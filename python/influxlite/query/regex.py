"""Go (RE2) regular expressions: InfluxDB's syntax errors, and a Python translation.

InfluxDB compiles /regex/ literals with Go's regexp package; a bad one is a parse
error `error parsing regexp: <code>: `<text>``. The checker below reports the
common codes with Go's wording; `compile_go_regex` gives a Python `re` pattern
with the same (unanchored, RE2) meaning for the constructs Python shares.
"""

from __future__ import annotations

import functools
import re

__all__ = ["GoRegexError", "check_go_regex", "compile_go_regex"]

_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
          "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ",
          "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}
_NAMED = re.compile(r"\(\?P<\w+>")
_FLAGS = re.compile(r"\(\?([imsU]*(?:-[imsU]+)?)\)")
_REPEAT = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")


class GoRegexError(ValueError):
    def __init__(self, code: str, text: str) -> None:
        super().__init__(f"error parsing regexp: {code}: `{text}`")


def _class_end(s: str, i: int) -> int:
    """Index just past the ']' closing the class opened at s[i]; -1 if none."""
    j = i + 1
    if j < len(s) and s[j] == "^":
        j += 1
    first = True
    while j < len(s):
        c = s[j]
        if c == "]" and not first:
            return j + 1
        if c == "[" and s.startswith("[:", j):
            k = s.find(":]", j + 2)
            if k != -1:
                j = k + 2
                first = False
                continue
        if c == "\\":
            j += 1
        j += 1
        first = False
    return -1


_CLASS_ESCAPES = {"a": 7, "f": 12, "t": 9, "n": 10, "r": 13, "v": 11}
_HEX = "0123456789abcdefABCDEF"


def _hex_escape(s: str, i: int) -> tuple[int, int]:
    """The rune and end of Go's `\\xHH` or `\\x{H...}` at s[i]; Go's error, quoting what it read."""
    j = i + 2
    if s.startswith("{", j):
        r = n = 0
        k = j + 1
        while k < len(s):
            c, k = s[k], k + 1
            if c == "}" and n:
                return r, k
            if c not in _HEX or r * 16 + int(c, 16) > 0x10FFFF:
                break
            r, n = r * 16 + int(c, 16), n + 1
        raise GoRegexError("invalid escape sequence", s[i:k])
    if len(s) >= j + 2 and s[j] in _HEX and s[j + 1] in _HEX:
        return int(s[j:j + 2], 16), j + 2
    raise GoRegexError("invalid escape sequence", s[i:j + 2])


def _escape(s: str, i: int, letters: str) -> tuple[int | None, int]:
    """The rune of the escape at s[i] and its end, as Go's parseEscape reads it; None for the
    classes and assertions Go's parser takes before it (``letters``: those allowed here)."""
    if i + 1 >= len(s):
        raise GoRegexError("trailing backslash at end of expression", "")
    c = s[i + 1]
    if c == "x":
        return _hex_escape(s, i)
    if c == "0" or (c in "1234567" and s[i + 2:i + 3] in tuple("01234567")):
        k = i + 2
        while k < min(len(s), i + 4) and s[k] in "01234567":
            k += 1
        return int(s[i + 1:k], 8), k
    if c in letters:
        if c in "pP":
            k = s.find("}", i + 2) if s.startswith("{", i + 2) else i + 2
            return None, (len(s) if k == -1 else k + 1)
        return None, i + 2
    if c in _CLASS_ESCAPES:
        return _CLASS_ESCAPES[c], i + 2
    if c.isascii() and not c.isalnum():
        return ord(c), i + 2
    raise GoRegexError("invalid escape sequence", s[i:i + 2])


def _class_char(s: str, j: int) -> tuple[int | None, int]:
    """The rune at s[j] in a class and the index after it; None for a class (\\d, \\pL)."""
    if s[j] != "\\":
        return ord(s[j]), j + 1
    return _escape(s, j, "dDsSwWpP")


def _check_class_ranges(s: str, i: int, end: int) -> None:
    """Go's invalid character class range (`z-a`) in the class s[i:end]."""
    j, stop = i + 1, end - 1  # stop: the closing ]
    if j < stop and s[j] == "^":
        j += 1
    while j < stop:
        k = s.find(":]", j + 2) if s.startswith("[:", j) else -1
        if k != -1 and k + 2 <= stop:
            j = k + 2
            continue
        start = j
        lo, j = _class_char(s, j)
        if lo is not None and j + 1 < stop and s[j] == "-":
            hi_start = j + 1
            hi, j = _class_char(s, hi_start)
            if hi is None:  # `[a-\d]`: no class can end a range
                raise GoRegexError("invalid escape sequence", s[hi_start:hi_start + 2])
            if hi is not None and hi < lo:
                raise GoRegexError("invalid character class range", s[start:j])


def _check_escape(s: str, i: int) -> int:
    if s.startswith("Q", i + 1):  # \Q...\E: all literal, to the first \E
        k = s.find("\\E", i + 2)
        return len(s) if k == -1 else k + 2
    return _escape(s, i, "dDsSwWpPbBAz")[1]


def _repeat_count(digits: str) -> int:
    """A {n,m} count; Go's regexp/syntax gives up past 8 digits (an invalid count), and
    CPython's int() past 4,300."""
    return int(digits) if len(digits) <= 8 else 1 << 30


def _check_repeat(s: str, i: int, prev: str | None, start: int) -> tuple[int, str]:
    """Validate a repetition operator at s[i]; returns (next index, op text)."""
    m = _REPEAT.match(s, i) if s[i] == "{" else None
    if s[i] == "{" and m is None:
        return i + 1, ""  # a literal '{'
    end = m.end() if m else i + 1
    if end < len(s) and s[end] == "?":
        end += 1
    op = s[i:end]
    if m:
        lo = _repeat_count(m.group(1))
        hi = m.group(3)
        if lo > 1000 or (hi and (_repeat_count(hi) > 1000 or _repeat_count(hi) < lo)):
            raise GoRegexError("invalid repeat count", op)
    if prev is None:
        raise GoRegexError("missing argument to repetition operator", op)
    if prev == "repeat":
        raise GoRegexError("invalid nested repetition operator", s[start:end])
    return end, op


def _perl_group(s: str, i: int) -> tuple[int, bool]:
    """Where the `(?...` at s[i] ends and whether it only sets flags (`(?i)`, `(?)`); a
    GoRegexError where Go's parsePerlFlags refuses it, quoting up to the refused rune."""
    m = _NAMED.match(s, i)
    if m:
        return m.end(), False
    negated = saw_flag = False
    j = i + 2
    while j < len(s):
        c = s[j]
        if c in "imsU":
            saw_flag = True
        elif c == "-" and not negated:
            negated, saw_flag = True, False
        elif c in ":)" and (saw_flag or not negated):
            return j + 1, c == ")"
        else:
            break
        j += 1
    raise GoRegexError("invalid or unsupported Perl syntax", s[i:j + 1])


def check_go_regex(s: str) -> None:
    """Raise GoRegexError, worded as Go's regexp/syntax, for the usual mistakes."""
    depth, i = 0, 0
    prev: str | None = None  # None: nothing to repeat; "atom"; "repeat"
    rep_start = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            i, prev = _check_escape(s, i), "atom"
        elif c == "[":
            end = _class_end(s, i)
            if end == -1:
                raise GoRegexError("missing closing ]", s[i:])
            _check_class_ranges(s, i, end)
            i, prev = end, "atom"
        elif c == "(":
            end, flags_only = _perl_group(s, i) if s.startswith("(?", i) else (i + 1, False)
            if not flags_only:  # (?i) sets flags for what follows in its group and opens none
                depth += 1
            i, prev = end, None
        elif c == ")":
            if depth == 0:
                raise GoRegexError("unexpected )", s)
            depth, i, prev = depth - 1, i + 1, "atom"
        elif c == "|":
            i, prev = i + 1, None
        elif c in "*+?{":
            start = rep_start if prev == "repeat" else i
            nxt, op = _check_repeat(s, i, prev, start)
            if op:
                rep_start, prev = (start if prev == "repeat" else i), "repeat"
            else:
                prev = "atom"
            i = nxt
        else:
            i, prev = i + 1, "atom"
    if depth:
        raise GoRegexError("missing closing )", s)


def _translate(s: str) -> str:
    out = s
    for name, body in _POSIX.items():
        out = out.replace(f"[:{name}:]", body).replace(f"[:^{name}:]", "")
    # one pass over the escapes, left to right, so that `\\\\Q` is a backslash and a Q
    out = re.sub(r"\\(?:Q(.*?)(?:\\E|$)|(x\{[0-9A-Fa-f]+\}|[0-7]{1,3}|.))", _go_escape, out, flags=re.S)
    return _scoped_flags(out)


def _go_escape(m: re.Match) -> str:
    """Go's `\\Q...\\E`, `\\z`, `\\x{41}` and octal `\\12` (a group reference to Python) for Python."""
    if m.group(1) is not None:
        return re.escape(m.group(1))
    e = m.group(2)
    if e == "z":
        return "\\Z"
    if e.startswith("x{"):
        return "\\U%08x" % int(e[2:-1], 16)
    if e[0] in "01234567":
        return "\\U%08x" % int(e, 8)
    return m.group(0)


def _scoped_flags(s: str) -> str:
    """Go's `(?flags)` holds to the end of its group, across `|`; Python takes such flags only
    at the start of a pattern. Each becomes a scoped `(?flags:...)`, closed and opened again at
    every `|` of its group and closed where the group ends; `(?)` sets nothing and goes. An
    assertion under a repetition (`^*`, `\\b+`) goes in a group, which Python can repeat."""
    out: list[str] = []
    stack: list[list[str]] = [[]]  # for each open group: the flag sets opened in it
    i = 0
    while i < len(s):
        c = s[i]
        m = _FLAGS.match(s, i) if c == "(" else None
        if m:
            if m.group(1):
                out.append(f"(?{m.group(1)}:")
                stack[-1].append(m.group(1))
            i = m.end()
            continue
        end = i + 2 if c == "\\" else (_class_end(s, i) if c == "[" else i + 1)
        end = len(s) if end == -1 else end
        if (c in "^$" or s[i:end] in ("\\b", "\\B", "\\A", "\\Z")) and s[end:end + 1] in tuple("*+?{"):
            out.append(f"(?:{s[i:end]})")  # Go repeats an assertion (`^*`); Python: nothing to repeat
        elif c == "|":
            opened = stack[-1]
            out.append(")" * len(opened) + "|" + "".join(f"(?{f}:" for f in opened))
        elif c == ")" and len(stack) > 1:
            out.append(")" * len(stack.pop()) + ")")
        else:
            out.append(s[i:end])
            if c == "(":
                stack.append([])
        i = end
    return "".join(out) + ")" * len(stack[0])


@functools.lru_cache(maxsize=1024)
def compile_go_regex(s: str) -> re.Pattern:
    """A Python pattern matching what Go's regexp.MustCompile(s) matches (best effort)."""
    check_go_regex(s)
    return re.compile(_translate(s))
