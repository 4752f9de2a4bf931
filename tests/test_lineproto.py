"""Line-protocol behaviour, case by case (InfluxDB 1.x's own test cases and error texts)."""

from __future__ import annotations

import math

import pytest

import influxlite
from influxlite import parse_points


def one(line: bytes, **kw):
    batch = parse_points(line, now=kw.pop("now", 0), **kw)
    assert batch.errors == [], batch.errors
    assert len(batch) == 1
    return batch.points[0]


def reason(line: bytes, **kw) -> str:
    batch = parse_points(line, now=0, **kw)
    assert len(batch) == 0
    assert len(batch.errors) == 1
    prefix = f"unable to parse '{line.decode('utf-8', 'replace').strip()}': "
    assert batch.errors[0].startswith(prefix), batch.errors[0]
    return batch.errors[0][len(prefix):]


def test_basic_point():
    p = one(b"cpu,host=serverA,region=us-west value=1.0,n=3i,ok=t,s=\"x\" 1000000000")
    assert p.name == "cpu"
    assert p.tags == {"host": "serverA", "region": "us-west"}
    assert p.fields == {"value": 1.0, "n": 3, "ok": True, "s": "x"}
    assert p.field_types == {"value": "float", "n": "integer", "ok": "boolean", "s": "string"}
    assert p.time == 1_000_000_000
    assert p.key == b"cpu,host=serverA,region=us-west"


def test_empty_and_comment_bodies():
    for body in [b"", b" ", b"\n\n", b"# comment", b"   # indented\n\t# tab\n"]:
        batch = parse_points(body)
        assert len(batch) == 0 and batch.errors == []
    batch = parse_points(b"# c\ncpu v=1 1\n# d\n")
    assert len(batch) == 1


def test_tags_are_sorted_in_key():
    p = one(b"cpu,last=1,first=2 value=1i")
    assert p.key == b"cpu,first=2,last=1"
    assert list(p.tags) == ["first", "last"]


@pytest.mark.parametrize("line,expected", [
    (b",cpu v=1", "missing measurement"),
    (b"cpu", "missing fields"),
    (b"cpu,host=a", "missing fields"),
    (b"cpu, v=1", "missing tag key"),
    (b"cpu,host=serverA,=us-east value=1i", "missing tag key"),
    (b"cpu,host v=1", "missing tag value"),
    (b"cpu,host= v=1", "missing tag value"),
    (b"cpu,host=a=b v=1", "invalid tag format"),
    (b"cpu,host=a,host=b v=1", "duplicate tags"),
    (b"cpu,b=2,c=3,b=1 v=1", "duplicate tags"),
    (b"cpu =1", "missing field key"),
    (b"cpu value=123i,=456i", "missing field key"),
    (b"cpu v=", "missing field value"),
    (b"cpu value=,value2=1i", "missing field value"),
    (b"cpu v=1,", "invalid field format"),
    (b"cpu v=1,b", "invalid field format"),
    (b"tab\tv=1 1", "invalid field format"),
    (b"tab\tv=1", "missing fields"),
    (b'cpu v="abc', "unbalanced quotes"),
    (b'cpu value="test""', "unbalanced quotes"),
    (b"cpu v=1a", "invalid number"),
    (b"cpu v=1.1.1", "invalid number"),
    (b"cpu v=NaN", "invalid number"),
    (b"cpu v=-Inf", "invalid number"),
    (b"cpu v=1u", "invalid number"),
    (b"cpu v=0x10", "invalid number"),
    (b"cpu v=1i2", "invalid number"),
    (b"cpu v=1e500", "invalid float"),
    (b"cpu v=1e", "invalid float"),
    (b"cpu v=tru", "invalid boolean"),
    (b"cpu v=Inf", "invalid boolean"),
    (b"cpu v=+1", "invalid boolean"),
    (b"cpu v=TRUE,w=True,x=tRUE", "invalid boolean"),
    (b"cpu v=1 abc", "bad timestamp"),
    (b"cpu v=1 1.5", "bad timestamp"),
    (b"cpu v=1 12 13", "point is invalid"),
    (b"cpu v=1 -", 'strconv.ParseInt: parsing "-": invalid syntax'),
    (b"cpu v=1 9223372036854775808", 'strconv.ParseInt: parsing "9223372036854775808": value out of range'),
    (b"cpu v=1 -9223372036854775807", "time outside range -9223372036854775806 - 9223372036854775806"),
    (b"cpu,host=serverA,region=us-west value=9223372036854775808i",
     'unable to parse integer 9223372036854775808: strconv.ParseInt: parsing "9223372036854775808": value out of range'),
])
def test_rejections_worded_as_influxdb(line, expected):
    assert reason(line) == expected


def test_timestamp_out_of_range_after_precision():
    assert reason(b"cpu v=1 1500000000", precision="m").startswith("time outside range")


def test_partial_batch_keeps_good_points_and_errors_in_order():
    batch = parse_points(b"cpu v=1 1\nbad\ncpu v=2 2\ncpu,x v=3\n", now=0)
    assert [p.fields["v"] for p in batch.points] == [1.0, 2.0]
    assert batch.errors == ["unable to parse 'bad': missing fields",
                            "unable to parse 'cpu,x v=3': missing tag value"]
    assert batch.error_text() == "\n".join(batch.errors)
    assert batch.write_error_text() == (
        "partial write: unable to parse 'bad': missing fields\n"
        "unable to parse 'cpu,x v=3': missing tag value dropped=0")
    only_bad = parse_points(b"cpu,host=a\n")
    assert only_bad.write_error_text() == "unable to parse 'cpu,host=a': missing fields"
    assert parse_points(b"cpu v=1\n").write_error_text() is None


@pytest.mark.parametrize("text,value", [
    (b"1", 1.0), (b"-1.0", -1.0), (b".1", 0.1), (b"1.", 1.0), (b"1e4", 1e4), (b"1E4", 1e4),
    (b"1.0e-4", 1e-4), (b"6.632243e+06", 6632243.0), (b".5e3", 500.0),
    (b"1.7976931348623157e308", 1.7976931348623157e308), (b"0000000000000000000000001.5", 1.5),
    (b"1e-400", 0.0),
])
def test_floats(text, value):
    p = one(b"m v=" + text + b" 1")
    assert p.field_types["v"] == "float" and p.fields["v"] == value


def test_negative_zero_keeps_its_sign():
    assert math.copysign(1, one(b"m v=-0 1").fields["v"]) == -1


def test_integers_and_unsigned():
    assert one(b"m v=9223372036854775807i").fields["v"] == 2**63 - 1
    assert one(b"m v=-9223372036854775808i").fields["v"] == -(2**63)
    assert one(b"m v=0009223372036854775807i").fields["v"] == 2**63 - 1
    p = one(b"m v=18446744073709551615u", unsigned=True)
    assert p.fields["v"] == 2**64 - 1 and p.field_types["v"] == "unsigned"
    assert reason(b"m v=18446744073709551616u", unsigned=True) == (
        'unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing '
        '"18446744073709551616": value out of range')
    assert reason(b"m v=-1u", unsigned=True) == "invalid number"


def test_every_boolean_spelling():
    p = one(b"b a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE 1")
    assert list(p.fields.values()) == [True] * 5 + [False] * 5


def test_strings_and_escapes():
    assert one(b'm s="foo \\" bar" 1').fields["s"] == 'foo " bar'
    assert one(b'm s="foo\\,bar" 1').fields["s"] == "foo\\,bar"
    assert one(b'm s="test\\\\" 1').fields["s"] == "test\\"
    assert one(b'm s="a\nb" 1').fields["s"] == "a\nb"
    assert one(b'm s="{Hello\\"{,}\\" World}" 1').fields["s"] == '{Hello"{,}" World}'


def test_names_tags_and_keys_unescape_as_influxdb():
    assert one(b"foo\\,bar value=1i").name == "foo,bar"
    assert one(b"cpu\\ load,region=east value=1.0").name == "cpu load"
    assert one(b"cpu=load,region=east value=1.0").name == "cpu=load"
    assert one(b"cpu\\=x,a=1 v=1").name == "cpu=x"
    assert one(b"cpu,region\\,zone=east value=1.0").tags == {"region,zone": "east"}
    assert one(b"cpu,reg\\\\=ion=east value=1.0").tags == {"reg\\=ion": "east"}
    assert one(b"cpu,regions=\\\\,\\,\\=east value=1.0").tags == {"regions": "\\,,=east"}
    assert one(b"cpu,regions=eas\\t value=1.0").tags == {"regions": "eas\\t"}
    assert one(b"cpu,regions=east value\\,ms=1.0").fields == {"value,ms": 1.0}
    assert one(b'"cpu","host"="serverA" "f"=1').tags == {'"host"': '"serverA"'}
    p = one(b"weird\\,m,k\\=x=v\\ 1 f\\ g=1 7")
    assert (p.name, p.tags, p.fields, p.key) == ("weird,m", {"k=x": "v 1"}, {"f g": 1.0}, b"weird\\,m,k\\=x=v\\ 1")


def test_duplicate_fields_last_wins():
    assert one(b"dup a=1,a=2 6").fields == {"a": 2.0}


def test_default_time_truncated_to_precision():
    now = 946_730_096_789_012_345
    assert one(b"cpu v=1", now=now).time == now
    assert one(b"cpu v=1", now=now, precision="u").time == 946_730_096_789_012_000
    assert one(b"cpu v=1", now=now, precision="h").time == 946_728_000_000_000_000
    assert one(b"cpu v=1", now=-1, precision="s").time == -1_000_000_000


@pytest.mark.parametrize("ts,precision,ns", [
    (b"946730096789012345", "n", 946730096789012345), (b"946730096789012", "u", 946730096789012000),
    (b"946730096789", "ms", 946730096789000000), (b"946730096", "s", 946730096000000000),
    (b"15778834", "m", 946730040000000000), (b"262980", "h", 946728000000000000),
    (b"-1", "n", -1), (b"9223372036854775806", "n", 9223372036854775806),
])
def test_precisions(ts, precision, ns):
    assert one(b"cpu v=1 " + ts, precision=precision).time == ns


def test_crlf_line_ends_are_line_ends():
    """A deliberate difference: InfluxDB keeps the \\r and rejects the line."""
    batch = parse_points(b"cpu v=1 1000000000\r\ncpu v=2\r\n\r\n# c\r\n", now=5)
    assert batch.errors == []
    assert [(p.fields["v"], p.time) for p in batch.points] == [(1.0, 1_000_000_000), (2.0, 5)]
    # a \r that does not end a line is still data, as in InfluxDB
    assert reason(b"cpu v=1\r 1") == "invalid number"


def test_hundred_tags_parse():
    """InfluxDB before 1.8.10 panics (HTTP 500) on exactly 100 tags; the intent is to accept."""
    for n in (99, 100, 101, 1000):
        line = b"many," + b",".join(b"t%04d=x" % i for i in range(n)) + b" v=0 1"
        assert len(one(line).tags) == n


def test_key_length_limits():
    assert one(b"k" * 65530 + b" v=1").key == b"k" * 65530
    assert reason(b"k" * 65531 + b" v=1") == "max key length exceeded: 65536 > 65535"
    assert reason(b"k" * 65536 + b" v=1") == "max key length exceeded: 65536 > 65535"
    base = b"k" * (65535 - len("value") - 4)
    assert len(one(base + b" value=1,ok=2.0").fields) == 2
    assert reason(base + b"k value=1,ok=2.0") == "max key length exceeded: 65536 > 65535"


def test_undecodable_value_is_rejected():
    """InfluxDB accepts this line (its iterator splits it differently from its scanner) and
    then fails to store it; influxlite rejects it."""
    assert reason(b'b,x=. \\\\="=e1true" 1') == "invalid boolean"
    assert reason(b'\xc3\xa9cpu,\\\\,\\=\x00==\\i,value=host \\t\\\\="falsei1" -1') != ""


def test_empty_field_key_is_rejected():
    """InfluxDB skips the tab as whitespace and stores a field named ""; influxlite rejects it."""
    assert reason(b"cpu \t=1 1") == "missing field key"
    assert reason(b"cpu \x00=1") == "missing field key"


def test_hash_is_fnv1a_of_key():
    batch = parse_points(b"cpu,host=a v=1 1\nmem v=1 1\n")
    def fnv(data: bytes) -> int:
        h = 14695981039346656037
        for b in data:
            h = ((h ^ b) * 1099511628211) % 2**64
        return h
    assert batch.hashes() == [fnv(b"cpu,host=a"), fnv(b"mem")]


def test_non_utf8_bytes_survive():
    p = one(b"m\xff,t\xfa=v\xfb f\xfc=\"\xfd\" 2")
    assert p.name.encode("utf-8", "surrogateescape") == b"m\xff"
    assert p.key == b"m\xff,t\xfa=v\xfb"
    assert p.fields["f\udcfc"].encode("utf-8", "surrogateescape") == b"\xfd"


def test_many_lines_in_one_body():
    body = b"".join(b"cpu,host=h%d v=%di %d\n" % (i % 7, i, i) for i in range(10_000))
    batch = parse_points(body)
    assert len(batch) == 10_000 and batch.times()[-1] == 9_999
    assert len(set(batch.keys())) == 7
    assert batch[5000].fields == {"v": 5000}


def test_implementation_name(impl):
    assert influxlite.implementation == impl
