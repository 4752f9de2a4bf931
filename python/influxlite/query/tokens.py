"""InfluxQL tokens, keywords and operator precedence (influxql token.go, 1.8)."""

from __future__ import annotations

import enum

__all__ = ["Tok", "KEYWORDS", "lookup", "precedence", "is_operator", "tokstr", "tok_name"]


class Tok(enum.IntEnum):
    """Token kinds, in InfluxDB's order (ranges matter: operators, keywords)."""

    ILLEGAL = 0
    EOF = enum.auto()
    WS = enum.auto()
    COMMENT = enum.auto()
    IDENT = enum.auto()
    BOUNDPARAM = enum.auto()
    NUMBER = enum.auto()
    INTEGER = enum.auto()
    DURATIONVAL = enum.auto()
    STRING = enum.auto()
    BADSTRING = enum.auto()
    BADESCAPE = enum.auto()
    TRUE = enum.auto()
    FALSE = enum.auto()
    REGEX = enum.auto()
    BADREGEX = enum.auto()
    # operators
    ADD = enum.auto()
    SUB = enum.auto()
    MUL = enum.auto()
    DIV = enum.auto()
    MOD = enum.auto()
    BITWISE_AND = enum.auto()
    BITWISE_OR = enum.auto()
    BITWISE_XOR = enum.auto()
    AND = enum.auto()
    OR = enum.auto()
    EQ = enum.auto()
    NEQ = enum.auto()
    EQREGEX = enum.auto()
    NEQREGEX = enum.auto()
    LT = enum.auto()
    LTE = enum.auto()
    GT = enum.auto()
    GTE = enum.auto()
    # punctuation
    LPAREN = enum.auto()
    RPAREN = enum.auto()
    COMMA = enum.auto()
    COLON = enum.auto()
    DOUBLECOLON = enum.auto()
    SEMICOLON = enum.auto()
    DOT = enum.auto()
    # keywords
    ALL = enum.auto()
    ALTER = enum.auto()
    ANALYZE = enum.auto()
    ANY = enum.auto()
    AS = enum.auto()
    ASC = enum.auto()
    BEGIN = enum.auto()
    BY = enum.auto()
    CARDINALITY = enum.auto()
    CREATE = enum.auto()
    CONTINUOUS = enum.auto()
    DATABASE = enum.auto()
    DATABASES = enum.auto()
    DEFAULT = enum.auto()
    DELETE = enum.auto()
    DESC = enum.auto()
    DESTINATIONS = enum.auto()
    DIAGNOSTICS = enum.auto()
    DISTINCT = enum.auto()
    DROP = enum.auto()
    DURATION = enum.auto()
    END = enum.auto()
    EVERY = enum.auto()
    EXACT = enum.auto()
    EXPLAIN = enum.auto()
    FIELD = enum.auto()
    FOR = enum.auto()
    FROM = enum.auto()
    GRANT = enum.auto()
    GRANTS = enum.auto()
    GROUP = enum.auto()
    GROUPS = enum.auto()
    IN = enum.auto()
    INF = enum.auto()
    INSERT = enum.auto()
    INTO = enum.auto()
    KEY = enum.auto()
    KEYS = enum.auto()
    KILL = enum.auto()
    LIMIT = enum.auto()
    MEASUREMENT = enum.auto()
    MEASUREMENTS = enum.auto()
    NAME = enum.auto()
    OFFSET = enum.auto()
    ON = enum.auto()
    ORDER = enum.auto()
    PASSWORD = enum.auto()
    POLICY = enum.auto()
    POLICIES = enum.auto()
    PRIVILEGES = enum.auto()
    QUERIES = enum.auto()
    QUERY = enum.auto()
    READ = enum.auto()
    REPLICATION = enum.auto()
    RESAMPLE = enum.auto()
    RETENTION = enum.auto()
    REVOKE = enum.auto()
    SELECT = enum.auto()
    SERIES = enum.auto()
    SET = enum.auto()
    SHOW = enum.auto()
    SHARD = enum.auto()
    SHARDS = enum.auto()
    SLIMIT = enum.auto()
    SOFFSET = enum.auto()
    STATS = enum.auto()
    SUBSCRIPTION = enum.auto()
    SUBSCRIPTIONS = enum.auto()
    TAG = enum.auto()
    TO = enum.auto()
    USER = enum.auto()
    USERS = enum.auto()
    VALUES = enum.auto()
    WHERE = enum.auto()
    WITH = enum.auto()
    WRITE = enum.auto()


_SYMBOLS = {
    Tok.ADD: "+", Tok.SUB: "-", Tok.MUL: "*", Tok.DIV: "/", Tok.MOD: "%",
    Tok.BITWISE_AND: "&", Tok.BITWISE_OR: "|", Tok.BITWISE_XOR: "^",
    Tok.EQ: "=", Tok.NEQ: "!=", Tok.EQREGEX: "=~", Tok.NEQREGEX: "!~",
    Tok.LT: "<", Tok.LTE: "<=", Tok.GT: ">", Tok.GTE: ">=",
    Tok.LPAREN: "(", Tok.RPAREN: ")", Tok.COMMA: ",", Tok.COLON: ":",
    Tok.DOUBLECOLON: "::", Tok.SEMICOLON: ";", Tok.DOT: ".",
}
# InfluxDB's token table has no text for these (they print as "").
_NAMELESS = {Tok.COMMENT, Tok.BOUNDPARAM, Tok.INTEGER, Tok.BADREGEX}


def tok_name(tok: Tok) -> str:
    """The text InfluxDB's Token.String() gives for a token."""
    if tok in _SYMBOLS:
        return _SYMBOLS[tok]
    if tok in _NAMELESS:
        return ""
    return tok.name


def is_operator(tok: Tok) -> bool:
    return Tok.ADD <= tok <= Tok.GTE


def is_keyword(tok: Tok) -> bool:
    return tok >= Tok.ALL


KEYWORDS: dict[str, Tok] = {t.name.lower(): t for t in Tok if t >= Tok.ALL}
KEYWORDS.update({"and": Tok.AND, "or": Tok.OR, "true": Tok.TRUE, "false": Tok.FALSE})

_PRECEDENCE = {Tok.OR: 1, Tok.AND: 2}
_PRECEDENCE.update({t: 3 for t in (Tok.EQ, Tok.NEQ, Tok.EQREGEX, Tok.NEQREGEX,
                                   Tok.LT, Tok.LTE, Tok.GT, Tok.GTE)})
_PRECEDENCE.update({t: 4 for t in (Tok.ADD, Tok.SUB, Tok.BITWISE_OR, Tok.BITWISE_XOR)})
_PRECEDENCE.update({t: 5 for t in (Tok.MUL, Tok.DIV, Tok.MOD, Tok.BITWISE_AND)})


def precedence(tok: Tok) -> int:
    return _PRECEDENCE.get(tok, 0)


def lookup(ident: str) -> Tok:
    """Keyword token for an identifier (case-insensitive), else IDENT."""
    return KEYWORDS.get(ident.lower(), Tok.IDENT) if ident.isascii() else Tok.IDENT


def tokstr(tok: Tok, lit: str) -> str:
    """The literal if any, else the token's name: what errors print as 'found'."""
    return lit if lit != "" else tok_name(tok)
