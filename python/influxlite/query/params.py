"""Bound parameters (influxql params.go, 1.8): `$name` replaced at the token level."""

from __future__ import annotations

import json

from .tokens import Tok
from .util import format_duration

__all__ = ["BoundValue", "bind_value", "bind_params", "load_params_json"]

BoundValue = tuple  # (Tok, literal text); Tok.BOUNDPARAM carries an error text


def _go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'f', -1, 64)."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    from decimal import Decimal
    s = format(Decimal(repr(f)), "f")
    return s[:-2] if s.endswith(".0") else s


def _go_type(v) -> str:
    if v is None:
        return "<nil>"
    if isinstance(v, list):
        return "[]interface {}"
    return type(v).__name__


def _object(m: dict) -> BoundValue:
    if len(m) != 1:
        return (Tok.BOUNDPARAM, "bound object parameter value must have exactly one entry")
    (k, v), = m.items()
    if k in ("ident", "identifier"):
        return (Tok.IDENT, v) if isinstance(v, str) else (Tok.BOUNDPARAM, "identifier must be a string value")
    if k == "regex":
        return (Tok.REGEX, v) if isinstance(v, str) else (Tok.BOUNDPARAM, "regex literal must be a string value")
    if k == "string":
        return (Tok.STRING, v) if isinstance(v, str) else (Tok.BOUNDPARAM, "string literal must be a string value")
    if k in ("float", "number"):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return (Tok.NUMBER, _go_float(float(v)))
        return (Tok.BOUNDPARAM, "number literal must be a float value")
    if k in ("int", "integer"):
        if isinstance(v, int) and not isinstance(v, bool):
            return (Tok.INTEGER, str(v))
        return (Tok.BOUNDPARAM, "integer literal must be an integer value")
    if k == "duration":
        if isinstance(v, str):
            return (Tok.DURATIONVAL, v)
        if isinstance(v, int) and not isinstance(v, bool):
            return (Tok.DURATIONVAL, format_duration(v))
        return (Tok.BOUNDPARAM, "duration literal must be a string or integer value")
    return (Tok.BOUNDPARAM, f"unknown bind object type: {k}")


def bind_value(v) -> BoundValue:
    """The token a JSON value stands for (BindValue). Python ints are JSON integers."""
    if isinstance(v, bool):
        return (Tok.TRUE if v else Tok.FALSE, "")
    if isinstance(v, float):
        return (Tok.NUMBER, _go_float(v))
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 63):
            return (Tok.BOUNDPARAM, f'strconv.ParseInt: parsing "{v}": value out of range')
        return (Tok.INTEGER, str(v))
    if isinstance(v, str):
        return (Tok.STRING, v)
    if isinstance(v, dict):
        return _object(v)
    return (Tok.BOUNDPARAM, f"unable to bind parameter with type {_go_type(v)}")


def bind_params(params: dict | None) -> dict[str, BoundValue]:
    return {k: bind_value(v) for k, v in (params or {}).items()}


def load_params_json(text: str) -> dict:
    """Decode the HTTP `params` value: numbers with '.' are floats, others ints (UseNumber)."""
    return json.loads(text, parse_float=float, parse_int=int)
