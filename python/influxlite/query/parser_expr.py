"""Expressions: binary operators by precedence, unary terms, calls, var refs."""

from __future__ import annotations

from .ast_expr import (BinaryExpr, BooleanLiteral, Call, DataType, Distinct, DurationLiteral,
                       Expr, IntegerLiteral, NumberLiteral, ParenExpr, StringLiteral,
                       UnsignedLiteral, VarRef, Wildcard)
from .errors import ParseError
from .parser_base import ParserBase, compile_regex_literal, unexpected
from .tokens import Tok, is_operator, precedence
from .util import ErrInvalidDuration, go_digits, parse_duration

__all__ = ["ExprParser"]

_CASTS = {"float": DataType.FLOAT, "integer": DataType.INTEGER, "unsigned": DataType.UNSIGNED,
          "string": DataType.STRING, "boolean": DataType.BOOLEAN}
_INT64_MIN = -(1 << 63)


def _go_float(lit: str) -> float | None:
    v = float(lit)
    return None if v in (float("inf"), float("-inf")) else v


class ExprParser(ParserBase):
    def parse_expr(self) -> Expr:
        root = BinaryExpr(Tok.ILLEGAL, None, self.parse_unary_expr())  # type: ignore[arg-type]
        while True:
            op = self.scan_ignore_ws()[0]
            if not is_operator(op):
                self.unscan()
                return root.rhs
            if op in (Tok.EQREGEX, Tok.NEQREGEX):
                rhs = self.parse_regex()
                if rhs is None:
                    tok, pos, lit = self.scan_ignore_ws()
                    raise unexpected(tok, lit, ["regex"], pos)
            else:
                rhs = self.parse_unary_expr()
            node = root
            while True:
                r = node.rhs
                if not isinstance(r, BinaryExpr) or precedence(r.op) >= precedence(op):
                    node.rhs = BinaryExpr(op, node.rhs, rhs)
                    break
                node = r

    def parse_unary_expr(self) -> Expr:
        if self.scan_ignore_ws()[0] == Tok.LPAREN:
            expr = self.parse_expr()
            tok, pos, lit = self.scan_ignore_ws()
            if tok != Tok.RPAREN:
                raise unexpected(tok, lit, [")"], pos)
            return ParenExpr(expr)
        self.unscan()
        tok, pos, lit = self.scan_ignore_ws()
        if tok == Tok.IDENT:
            if self.scan()[0] == Tok.LPAREN:
                return self.parse_call(lit)
            self.unscan()
            self.unscan()
            return self.parse_var_ref()
        if tok == Tok.DISTINCT:
            return self._parse_distinct()
        if tok in (Tok.ADD, Tok.SUB):
            return self._parse_signed(tok)
        return self._parse_literal(tok, pos, lit)

    def _parse_literal(self, tok: Tok, pos, lit: str) -> Expr:
        if tok == Tok.STRING:
            return StringLiteral(lit)
        if tok == Tok.NUMBER:
            v = _go_float(lit)
            if v is None:
                raise ParseError("unable to parse number", pos=pos)
            return NumberLiteral(v)
        if tok == Tok.INTEGER:
            n = go_digits(lit)
            if n < 1 << 63:
                return IntegerLiteral(n)
            if n < 1 << 64:
                return UnsignedLiteral(n)
            raise ParseError("unable to parse integer", pos=pos)
        if tok in (Tok.TRUE, Tok.FALSE):
            return BooleanLiteral(tok == Tok.TRUE)
        if tok == Tok.DURATIONVAL:
            try:
                return DurationLiteral(parse_duration(lit))
            except ErrInvalidDuration as e:
                raise ParseError(str(e)) from None
        if tok == Tok.MUL:
            return self._parse_wildcard()
        if tok == Tok.REGEX:
            return compile_regex_literal(lit, pos)
        if tok == Tok.BOUNDPARAM:
            k = lit[1:] if lit.startswith("$") else lit
            if not k:
                raise ParseError("empty bound parameter")
            if k not in self.params:
                raise ParseError(f"missing parameter: {k}")
            raise ParseError(self.params[k][1])
        raise unexpected(tok, lit, ["identifier", "string", "number", "bool"], pos)

    def _parse_wildcard(self) -> Wildcard:
        wc = Wildcard()
        if self.scan()[0] == Tok.DOUBLECOLON:
            tok, pos, lit = self.scan()
            if tok not in (Tok.FIELD, Tok.TAG):
                raise unexpected(tok, lit, ["field", "tag"], pos)
            wc.type = tok
        else:
            self.unscan()
        return wc

    def _parse_distinct(self) -> Expr:
        tok0, pos, lit = self.scan()
        if tok0 == Tok.LPAREN:
            return self.parse_call("distinct")
        if tok0 == Tok.WS:
            tok1, pos1, lit1 = self.scan_ignore_ws()
            if tok1 != Tok.IDENT:
                raise unexpected(tok1, lit1, ["identifier"], pos1)
            return Distinct(lit1)
        raise unexpected(tok0, lit, ["(", "identifier"], pos)

    def _parse_signed(self, sign: Tok) -> Expr:
        tok0, pos0, lit0 = self.scan_ignore_ws()
        if tok0 not in (Tok.NUMBER, Tok.INTEGER, Tok.DURATIONVAL, Tok.LPAREN, Tok.IDENT):
            raise unexpected(tok0, lit0, ["identifier", "number", "duration", "("], pos0)
        self.unscan()
        e = self.parse_unary_expr()
        neg = sign == Tok.SUB
        if isinstance(e, NumberLiteral):
            return NumberLiteral(-e.val) if neg else e
        if isinstance(e, IntegerLiteral):
            return IntegerLiteral(_neg64(e.val)) if neg else e
        if isinstance(e, UnsignedLiteral):
            if not neg:
                return e
            if e.val == 1 << 63:
                return IntegerLiteral(_INT64_MIN)
            raise ParseError(f"constant -{e.val} underflows int64")
        if isinstance(e, DurationLiteral):
            return DurationLiteral(_neg64(e.val)) if neg else e
        return BinaryExpr(Tok.MUL, IntegerLiteral(-1 if neg else 1), e)

    def parse_call(self, name: str) -> Call:
        name = name.lower()
        args: list[Expr] = []
        re_ = self.parse_regex()
        if re_ is not None:
            args.append(re_)
        else:
            if self.scan()[0] == Tok.RPAREN:
                return Call(name)
            self.unscan()
            args.append(self.parse_expr())
        while self.accept(Tok.COMMA):
            re_ = self.parse_regex()
            args.append(re_ if re_ is not None else self.parse_expr())
        tok, pos, lit = self.scan()
        if tok != Tok.RPAREN:
            raise unexpected(tok, lit, [")"], pos)
        return Call(name, args)

    def parse_var_ref(self) -> VarRef:
        segments = self.parse_segmented_idents()
        dtype = DataType.UNKNOWN
        if self.scan()[0] == Tok.DOUBLECOLON:
            tok, pos, lit = self.scan()
            if tok == Tok.IDENT and lit.lower() in _CASTS:
                dtype = _CASTS[lit.lower()]
            elif tok == Tok.IDENT:
                raise unexpected(tok, lit, ["float", "integer", "unsigned", "string", "boolean",
                                            "field", "tag"], pos)
            elif tok == Tok.FIELD:
                dtype = DataType.ANYFIELD
            elif tok == Tok.TAG:
                dtype = DataType.TAG
            else:
                raise unexpected(tok, lit, ["float", "integer", "string", "boolean", "field",
                                            "tag"], pos)
        else:
            self.unscan()
        return VarRef(".".join(segments), dtype)


def _neg64(v: int) -> int:
    return ((-v + (1 << 63)) % (1 << 64)) - (1 << 63)
