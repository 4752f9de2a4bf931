"""The encoder: ``Point(...).to_line()`` parses back to an equal point, for every value."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from influxlite import Point, parse_points

import lpgen

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12)
TRICKY = st.text(alphabet=st.sampled_from(list(",= \"\\\t\x00#\nabcé€i1-.") + ["\udcff"]), min_size=1, max_size=8)
NAMES = st.one_of(TEXT, TRICKY)
VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from(list('\\"\n,= x')), max_size=10),
)


def _build(name, tags, fields, time):
    try:
        return Point(name, tags, fields, time)
    except ValueError:
        return None  # refused: line protocol cannot carry it (asserted separately below)


@settings(max_examples=400, deadline=None)
@given(name=NAMES, tags=st.dictionaries(NAMES, NAMES, max_size=4),
       fields=st.dictionaries(NAMES, VALUES, min_size=1, max_size=4),
       time=st.one_of(st.none(), st.integers(min_value=-(2**63) + 2, max_value=2**63 - 2)))
def test_point_round_trips_through_a_line(name, tags, fields, time):
    p = _build(name, tags, fields, time)
    assume(p is not None)
    batch = parse_points(p.to_line().encode("utf-8", "surrogateescape"), now=123, unsigned=True)
    assert batch.errors == []
    (q,) = batch.points
    assert q.name == p.name and q.tags == p.tags and q.key == p.key
    assert q.field_types == p.field_types
    for k, v in p.fields.items():
        if isinstance(v, float):
            assert q.fields[k] == v and math.copysign(1, q.fields[k]) == math.copysign(1, v)
        else:
            assert q.fields[k] == v
    assert q.time == (123 if time is None else time)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_unsigned_round_trips(n):
    p = Point("m", None, {"u": n}, 5, field_types={"u": "unsigned"})
    assert p.to_line() == f"m u={n}u 5"
    assert parse_points(p.to_line().encode(), unsigned=True).points == [p]


def test_plain_names_are_always_accepted():
    """Everything without backslashes, newlines or a leading '#'/tab/NUL is representable."""
    p = Point("cpu load,x=y", {"host name": "a,b=c", "\"q\"": "\"v\""}, {"f=1,\"x\"": 'str "q" \\ end'}, 1)
    assert p.to_line() == 'cpu\\ load\\,x=y,"q"="v",host\\ name=a\\,b\\=c f\\=1\\,\\"x\\"="str \\"q\\" \\\\ end" 1'
    assert parse_points(p.to_line().encode()).points == [p]


@pytest.mark.parametrize("kwargs", [
    dict(name="#cpu"), dict(name="\tcpu"), dict(name="cpu\\"), dict(name="a\nb"),
    dict(tags={"k": "v\\"}), dict(tags={"k\n": "v"}), dict(fields={"\tf": 1}), dict(fields={"f\\": 1}),
])
def test_unrepresentable_points_are_refused(kwargs):
    args = dict(name="m", tags=None, fields={"v": 1})
    args.update(kwargs)
    with pytest.raises(ValueError):
        Point(args["name"], args["tags"], args["fields"], 1)


def test_backslashes_are_kept_where_they_can_be():
    p = Point("a\\b", {"k\\x": "v\\=w"}, {"f\\g": "s"}, 1)
    assert parse_points(p.to_line().encode()).points == [p]


@settings(max_examples=100, deadline=None)
@given(st.randoms(use_true_random=False))
def test_parsed_points_round_trip(rnd):
    """parse -> to_line -> parse gives the same points, for whatever the parser accepted."""
    body = lpgen.body(rnd, 30)
    first = []
    for p in parse_points(body, now=7, unsigned=True).points:
        try:
            p.to_line()
            first.append(p)
        except ValueError:  # a key no line can carry (see the two tests below)
            assert any("\\" in k for k in p.fields) or b"\\" in p.key
    again = parse_points("\n".join(p.to_line() for p in first).encode("utf-8", "surrogateescape"),
                         now=7, unsigned=True)
    assert again.errors == []
    assert len(again.points) == len(first)
    for a, b in zip(first, again.points):
        assert (a.key, a.name, a.tags, a.field_types, a.time) == (b.key, b.name, b.tags, b.field_types, b.time)
        assert repr(a.fields) == repr(b.fields)


def test_constructor_checks():
    with pytest.raises(ValueError, match="NaN is an unsupported value for field v"):
        Point("m", None, {"v": float("nan")})
    with pytest.raises(ValueError, match=r"\+/-Inf is an unsupported value for field v"):
        Point("m", None, {"v": float("-inf")})
    with pytest.raises(ValueError, match="point without fields is unsupported"):
        Point("m", {"a": "b"}, {})
    with pytest.raises(ValueError, match="out of range"):
        Point("m", None, {"v": 2**63})
    with pytest.raises(ValueError, match="out of range"):
        Point("m", None, {"v": -1}, field_types={"v": "unsigned"})
    with pytest.raises(TypeError):
        Point("m", None, {"v": [1]})
    with pytest.raises(ValueError, match="missing measurement"):
        Point("", None, {"v": 1})
    with pytest.raises(ValueError, match="max key length exceeded"):
        Point("m" * 65536, None, {"v": 1})


def test_constructor_conveniences():
    p = Point("m", {"b": "2", "a": "1", "empty": ""}, {"i": 3, "f": 2, "s": b"x"}, field_types={"f": "float"},
              time=dt.datetime(2020, 1, 1, 0, 0, 0, 5, tzinfo=dt.timezone.utc))
    assert p.tags == {"a": "1", "b": "2"}  # sorted; empty tag values dropped, as InfluxDB does
    assert p.fields == {"i": 3, "f": 2.0, "s": "x"}
    assert p.field_types == {"i": "integer", "f": "float", "s": "string"}
    assert p.time == 1_577_836_800_000_005_000
    assert p.to_line("s") == "m,a=1,b=2 i=3i,f=2.0,s=\"x\" 1577836800"
    assert Point("m", None, {"v": True}).to_line() == "m v=true"


def test_to_line_precision_rounds_down():
    p = Point("m", None, {"v": 1}, -1)
    assert p.to_line("s") == "m v=1i -1"
    with pytest.raises(ValueError, match="invalid precision"):
        p.to_line("x")


def test_unwritable_parsed_field_key():
    """InfluxDB's scanner accepts this line, but its field key (a backslash before '=') has no
    escaped form that parses back to it: to_line refuses instead of writing another point."""
    (p,) = parse_points(rb"host a\\=1,b=2 0").points
    assert p.fields == {"a\\=1,b": 2.0}
    with pytest.raises(ValueError, match="cannot be written"):
        p.to_line()


def test_key_that_would_swallow_the_line_end():
    """InfluxDB's parser takes this line (its key scanner sees an escaped space, its line
    splitter an unescaped one, then a quote): followed by more lines, the newline after it is
    read as inside a string. to_line refuses to write it rather than merge two lines."""
    line = rb'b,1i\t1=value,\\ =zz,\t"1=host,b=host,value=-"aa a=true -3931509561972801659'
    (p,) = parse_points(line).points
    with pytest.raises(ValueError, match="swallow the line end"):
        p.to_line()
