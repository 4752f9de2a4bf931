//! Unit tests of the core parser (no Python needed: `cargo test --no-default-features`).

use super::*;
use crate::hash::fnv1a64;

fn opts() -> ParseOptions {
    ParseOptions {
        precision: Precision::Nanosecond,
        default_time: 0,
        unsigned: false,
    }
}

fn errors(buf: &[u8], o: &ParseOptions) -> Vec<String> {
    let p = parse(buf, o);
    p.errors
        .iter()
        .map(|e| String::from_utf8(e.message(buf)).unwrap())
        .collect()
}

fn reason(line: &str) -> String {
    let errs = errors(line.as_bytes(), &opts());
    assert_eq!(errs.len(), 1, "{line}");
    let prefix = format!("unable to parse '{line}': ");
    errs[0].strip_prefix(&prefix).unwrap().to_string()
}

fn fields(buf: &[u8]) -> Vec<(Vec<u8>, FieldType, String)> {
    let p = parse(buf, &opts());
    assert!(p.errors.is_empty(), "{:?}", errors(buf, &opts()));
    FieldIter::new(p.fields(buf, 0))
        .map(|f| (f.key.to_vec(), f.ftype, format!("{:?}", f.value().unwrap())))
        .collect()
}

#[test]
fn parses_a_point() {
    let buf =
        b"cpu,host=a,region=west usage=1.5,n=3i,ok=t,s=\"hi \\\"x\\\"\" 1500000000000000000\n";
    let p = parse(buf, &opts());
    assert!(p.errors.is_empty());
    assert_eq!(p.points.len(), 1);
    assert_eq!(p.key(buf, 0), b"cpu,host=a,region=west");
    assert_eq!(p.points[0].time, 1_500_000_000_000_000_000);
    let f = fields(buf);
    assert_eq!(
        f[0],
        (b"usage".to_vec(), FieldType::Float, "Float(1.5)".into())
    );
    assert_eq!(
        f[1],
        (b"n".to_vec(), FieldType::Integer, "Integer(3)".into())
    );
    assert_eq!(
        f[2],
        (b"ok".to_vec(), FieldType::Boolean, "Boolean(true)".into())
    );
    assert_eq!(f[3].1, FieldType::String);
    assert!(f[3].2.contains("[104, 105, 32, 34, 120, 34]")); // hi "x"
}

#[test]
fn sorts_tags_into_the_arena() {
    let buf = b"cpu,zz=1,aa=2,mm=3 v=1 4";
    let p = parse(buf, &opts());
    assert!(p.points[0].key_in_arena);
    assert_eq!(p.key(buf, 0), b"cpu,aa=2,mm=3,zz=1");
    let mut tags = vec![];
    point::walk_tags(p.key(buf, 0), |k, v| tags.push((k.to_vec(), v.to_vec())));
    assert_eq!(tags[0], (b"aa".to_vec(), b"2".to_vec()));
}

#[test]
fn rejection_texts() {
    assert_eq!(reason(",cpu v=1"), "missing measurement");
    assert_eq!(reason("cpu"), "missing fields");
    assert_eq!(reason("cpu, v=1"), "missing tag key");
    assert_eq!(reason("cpu,host v=1"), "missing tag value");
    assert_eq!(reason("cpu,host=a=b v=1"), "invalid tag format");
    assert_eq!(reason("cpu,b=2,c=3,b=1 v=1"), "duplicate tags");
    assert_eq!(reason("cpu =1"), "missing field key");
    assert_eq!(reason("cpu v="), "missing field value");
    assert_eq!(reason("cpu v=1,b"), "invalid field format");
    assert_eq!(reason("cpu v=\"abc"), "unbalanced quotes");
    assert_eq!(reason("cpu v=1.1.1"), "invalid number");
    assert_eq!(reason("cpu v=1u"), "invalid number");
    assert_eq!(reason("cpu v=1e500"), "invalid float");
    assert_eq!(reason("cpu v=tRUE"), "invalid boolean");
    assert_eq!(reason("cpu v=1 1.5"), "bad timestamp");
    assert_eq!(reason("cpu v=1 12 13"), "point is invalid");
    assert_eq!(
        reason("cpu v=1 -"),
        "strconv.ParseInt: parsing \"-\": invalid syntax"
    );
    assert_eq!(
        reason("cpu v=1 9223372036854775808"),
        "strconv.ParseInt: parsing \"9223372036854775808\": value out of range"
    );
    assert_eq!(
        reason("cpu v=1 -9223372036854775807"),
        "time outside range -9223372036854775806 - 9223372036854775806"
    );
    assert_eq!(
        reason("cpu v=9223372036854775808i"),
        "unable to parse integer 9223372036854775808: strconv.ParseInt: parsing \"9223372036854775808\": value out of range"
    );
}

#[test]
fn unsigned_when_enabled() {
    let o = ParseOptions {
        unsigned: true,
        ..opts()
    };
    let buf = b"m v=18446744073709551615u";
    let p = parse(buf, &o);
    let f: Vec<_> = FieldIter::new(p.fields(buf, 0)).collect();
    assert_eq!(f[0].value().unwrap(), FieldValue::Unsigned(u64::MAX));
    assert_eq!(
        errors(b"m v=18446744073709551616u", &o)[0],
        "unable to parse 'm v=18446744073709551616u': unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
    );
}

#[test]
fn precisions_and_default_time() {
    let cases = [
        (
            Precision::Microsecond,
            "946730096789012",
            946730096789012000i64,
        ),
        (Precision::Millisecond, "946730096789", 946730096789000000),
        (Precision::Second, "946730096", 946730096000000000),
        (Precision::Minute, "15778834", 946730040000000000),
        (Precision::Hour, "262980", 946728000000000000),
    ];
    for (prec, ts, want) in cases {
        let o = ParseOptions {
            precision: prec,
            ..opts()
        };
        let buf = format!("cpu v=1 {ts}");
        assert_eq!(parse(buf.as_bytes(), &o).points[0].time, want);
    }
    let o = ParseOptions {
        precision: Precision::Hour,
        default_time: 946730096789012345,
        unsigned: false,
    };
    assert_eq!(parse(b"cpu v=1", &o).points[0].time, 946728000000000000);
}

#[test]
fn comments_blank_lines_and_crlf() {
    let buf = b"# c\n\n   \ncpu v=1 1\r\n\tcpu v=2 2\n";
    let p = parse(buf, &opts());
    assert!(p.errors.is_empty());
    assert_eq!(p.points.len(), 2);
}

#[test]
fn hundred_tags() {
    let mut line = b"m".to_vec();
    for i in 0..100 {
        line.extend_from_slice(format!(",t{i:03}=x").as_bytes());
    }
    line.extend_from_slice(b" v=1");
    assert_eq!(parse(&line, &opts()).points.len(), 1);
}

#[test]
fn rejects_what_influxdb_cannot_store() {
    // InfluxDB's field iterator splits this differently from its scanner.
    assert_eq!(reason("b,x=. \\\\=\"=e1true\" 1"), "invalid boolean");
    assert_eq!(reason("cpu \t=1 1"), "missing field key");
}

#[test]
fn fnv_of_key() {
    let buf = b"cpu,host=a v=1";
    let p = parse(buf, &opts());
    assert_eq!(fnv1a64(p.key(buf, 0)), fnv1a64(b"cpu,host=a"));
}
