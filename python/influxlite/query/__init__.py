"""InfluxQL (InfluxDB 1.8's query language) in pure Python: lexer, AST, parser, rendering.

    from influxlite.query import parse_query, ParseError
    q = parse_query("SELECT mean(usage) FROM cpu WHERE time > now() - 1h GROUP BY time(5m)")
    str(q.statements[0])      # InfluxDB's String() of the statement

Errors are `ParseError` whose str() is InfluxDB's text (the HTTP API prefixes it with
`error parsing query: `).
"""

from .ast_expr import *  # noqa: F401,F403
from .ast_select import *  # noqa: F401,F403
from .ast_statements import *  # noqa: F401,F403
from .errors import ParseError
from .parser import Parser, parse_expr, parse_query, parse_statement
from .timerange import TimeRange, condition_expr, now_ns, string_to_time_ns
from .tokens import Tok
from .util import format_duration, parse_duration, quote_ident, quote_string

__all__ = ["ParseError", "Parser", "parse_query", "parse_statement", "parse_expr", "Tok",
           "TimeRange", "condition_expr", "now_ns", "string_to_time_ns", "format_duration",
           "parse_duration", "quote_ident", "quote_string"]
