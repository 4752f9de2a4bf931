//! Unit tests of the shard write pass (no Python needed: `cargo test --no-default-features`).

use std::borrow::Cow;

use super::*;
use crate::lineproto::{parse, ParseOptions, Precision};
use crate::wal::{Entry, PointOut, Stop};

fn parsed(body: &[u8]) -> Parsed {
    let p = parse(
        body,
        &ParseOptions {
            precision: Precision::Nanosecond,
            default_time: 0,
            unsigned: true,
        },
    );
    assert!(p.errors.is_empty(), "test bodies parse cleanly");
    p
}

fn all(p: &Parsed) -> Vec<usize> {
    (0..p.points.len()).collect()
}

fn known(entries: &[(&[u8], &[u8], FieldType)]) -> Types {
    let mut t = Types::default();
    for (m, f, ft) in entries {
        t.entry(m.to_vec()).or_default().insert(f.to_vec(), *ft);
    }
    t
}

/// Checks the points of `body` against `types`: `(accepted indices, outcome)`.
fn check(body: &[u8], types: &mut Types) -> (Vec<usize>, Outcome) {
    let p = parsed(body);
    let (prep, out) = prepare(&p, body, &all(&p), Some(types), 0);
    assert_eq!(prep.len(), prep.accepted().len());
    (prep.accepted().to_vec(), out)
}

/// A decoded WAL point, owned: (measurement, series id, time, fields).
type Owned = (Vec<u8>, u64, i64, Vec<(Vec<u8>, FieldValue<'static>)>);

/// The points of a WAL buffer, owned.
fn wal_points(buf: &[u8]) -> Vec<Owned> {
    let mut got = Vec::new();
    let (valid, stop) = crate::wal::scan(buf, |e| match e {
        Entry::Points(ps) => got.extend(ps.into_iter().map(|p: PointOut<'_>| {
            let fields = p
                .fields
                .into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        FieldValue::String(s) => FieldValue::String(Cow::Owned(s.into_owned())),
                        FieldValue::Float(x) => FieldValue::Float(x),
                        FieldValue::Integer(x) => FieldValue::Integer(x),
                        FieldValue::Unsigned(x) => FieldValue::Unsigned(x),
                        FieldValue::Boolean(x) => FieldValue::Boolean(x),
                    };
                    (k.to_vec(), v)
                })
                .collect();
            (p.measurement.to_vec(), p.series_id, p.time, fields)
        })),
        Entry::Delete(_) => panic!("no deletes written"),
    });
    assert_eq!((valid, stop), (buf.len(), Stop::End));
    got
}

#[test]
fn a_time_tag_drops_the_point() {
    let body = b"cpu,host=a v=1 10\ncpu,time=1,host=b v=1 20\nmem,time=x n=1i 30\n";
    let mut types = Types::default();
    let (acc, out) = check(body, &mut types);
    assert_eq!(acc, vec![0]);
    assert_eq!(out.dropped, 2);
    assert_eq!(
        out.reason.as_deref(),
        Some("invalid tag key: input tag \"time\" on measurement \"cpu\" is invalid")
    );
    // a dropped point adds no field types
    assert_eq!(
        out.new_fields,
        vec![(b"cpu".to_vec(), b"v".to_vec(), FieldType::Float)]
    );
    assert!(!types.contains_key(&b"mem"[..]));
}

#[test]
fn a_time_field_is_skipped_and_a_point_with_only_it_dropped() {
    let body = b"mem time=1 8\nmem b=t,time=3i 7\n";
    let p = parsed(body);
    let (prep, out) = prepare(&p, body, &all(&p), Some(&mut Types::default()), 0);
    assert_eq!(prep.accepted(), &[1]);
    assert_eq!(out.dropped, 1);
    assert_eq!(
        out.reason.as_deref(),
        Some("invalid field name: input field \"time\" on measurement \"mem\" is invalid")
    );
    // `time` is neither a new field nor written
    assert_eq!(
        out.new_fields,
        vec![(b"mem".to_vec(), b"b".to_vec(), FieldType::Boolean)]
    );
    let got = wal_points(&prep.encode_wal(&[9]));
    assert_eq!(got[0].3, vec![(b"b".to_vec(), FieldValue::Boolean(true))]);
}

#[test]
fn type_conflicts_use_influxdbs_text() {
    // against the known types
    let mut types = known(&[(b"cpu", b"v", FieldType::Float)]);
    let (acc, out) = check(b"cpu v=\"str\" 30\ncpu v=2 31\n", &mut types);
    assert_eq!((acc, out.dropped), (vec![1], 1));
    assert_eq!(
        out.reason.as_deref(),
        Some("field type conflict: input field \"v\" on measurement \"cpu\" is type string, already exists as type float")
    );
    assert!(out.new_fields.is_empty());
    // against an earlier point of the batch: the first type seen wins
    let mut types = Types::default();
    let (acc, out) = check(b"m n=1i 1\nm n=1 2\nm n=2i,s=\"x\" 3\n", &mut types);
    assert_eq!(acc, vec![0, 2]);
    assert_eq!(
        out.reason.as_deref(),
        Some("field type conflict: input field \"n\" on measurement \"m\" is type float, already exists as type integer")
    );
    assert_eq!(
        out.new_fields,
        vec![
            (b"m".to_vec(), b"n".to_vec(), FieldType::Integer),
            (b"m".to_vec(), b"s".to_vec(), FieldType::String)
        ]
    );
    assert_eq!(types[&b"m"[..]][&b"s"[..]], FieldType::String);
    // within one point (InfluxDB 1.6.7): the point is dropped and its types not kept
    let mut types = Types::default();
    let (acc, out) = check(b"fresh a=1i,a=2 40\n", &mut types);
    assert!(acc.is_empty() && out.new_fields.is_empty() && types.is_empty());
    assert_eq!(
        out.reason.as_deref(),
        Some("field type conflict: input field \"a\" on measurement \"fresh\" is type float, already exists as type integer")
    );
    // another measurement's field of the same name is no conflict
    let mut types = known(&[(b"cpu", b"v", FieldType::Float)]);
    assert_eq!(check(b"mem v=1i 1\n", &mut types).0, vec![0]);
}

#[test]
fn without_checks_every_point_is_kept() {
    let body = b"cpu,time=1 v=1 5\ncpu v=1i 6\n";
    let p = parsed(body);
    let (prep, out) = prepare(&p, body, &all(&p), None, 0);
    assert_eq!(prep.accepted(), &[0, 1]);
    assert_eq!(out, Outcome::default());
}

#[test]
fn a_repeated_field_keeps_its_first_place_and_last_value() {
    let body = b"cpu v=1.5,time=3i,n=-3i,v=2.5 -5\n";
    let p = parsed(body);
    let (prep, out) = prepare(&p, body, &all(&p), Some(&mut Types::default()), 0);
    assert_eq!(out.new_fields.len(), 2);
    let mut fields = Vec::new();
    prep.fields(0, &mut fields);
    assert_eq!(
        fields,
        vec![
            (&b"v"[..], FieldValue::Float(2.5)),
            (&b"n"[..], FieldValue::Integer(-3))
        ]
    );
}

#[test]
fn wal_entry_round_trips_through_scan() {
    let body =
        b"cpu,host=a v=1.5,s=\"x \\\"y\\\"\",u=3u 10\nmem ok=true,n=-2i -5\ncpu,host=b v=2 11\n";
    let p = parsed(body);
    let sel = [2, 0, 1];
    let (prep, _) = prepare(&p, body, &sel, Some(&mut Types::default()), 0);
    assert_eq!(prep.accepted(), &sel);
    let got = wal_points(&prep.encode_wal(&[7, 300, u64::MAX]));
    let s = |b: &'static [u8]| FieldValue::String(Cow::Borrowed(b));
    assert_eq!(
        got,
        vec![
            (
                b"cpu".to_vec(),
                7,
                11,
                vec![(b"v".to_vec(), FieldValue::Float(2.0))]
            ),
            (
                b"cpu".to_vec(),
                300,
                10,
                vec![
                    (b"v".to_vec(), FieldValue::Float(1.5)),
                    (b"s".to_vec(), s(b"x \"y\"")),
                    (b"u".to_vec(), FieldValue::Unsigned(3))
                ]
            ),
            (
                b"mem".to_vec(),
                u64::MAX,
                -5,
                vec![
                    (b"ok".to_vec(), FieldValue::Boolean(true)),
                    (b"n".to_vec(), FieldValue::Integer(-2))
                ]
            ),
        ]
    );
}

#[test]
fn series_keys_and_cache_rows() {
    let body = b"cpu,host=a,region=w v=1 10\ncpu v=2 20\n";
    let p = parsed(body);
    let (prep, _) = prepare(&p, body, &all(&p), None, 0);
    let mut want = Vec::new();
    crate::serieskey::append_series_key(&mut want, b"cpu", &[("host", "a"), ("region", "w")]);
    let keys: Vec<&[u8]> = prep.series_key_iter().collect();
    assert_eq!(keys[0], want.as_slice());
    let mut plain = Vec::new();
    crate::serieskey::append_series_key::<&[u8], &[u8]>(&mut plain, b"cpu", &[]);
    assert_eq!(keys[1], plain.as_slice());
    let mut cache = Cache::default();
    prep.insert_into(&mut cache, &[4, 5]);
    let snap = cache.tables[&b"cpu"[..]].snapshot(None, i64::MIN, i64::MAX);
    assert_eq!((snap.series, snap.times), (vec![4, 5], vec![10, 20]));
}

#[test]
fn tsi_partitions_follow_make_key_with_sorted_tags() {
    // `a-` sorts before `a\,z` escaped, after `a,z` unescaped: the pass must re-sort
    let body = b"m,a\\,z=1,a-=2 v=1 1\ncpu,host=a,region=w v=1 2\nm v=1 3\n";
    let p = parsed(body);
    let n = 256;
    let (prep, _) = prepare(&p, body, &all(&p), None, n);
    let part = |text: &[u8]| (crate::hash::xxh64(text) & (n as u64 - 1)) as u8;
    let want = [
        part(b"m,a\\,z=1,a-=2"),
        part(b"cpu,host=a,region=w"),
        part(b"m"),
    ];
    assert_eq!(prep.tsi, want);
    assert_ne!(
        want[0],
        part(b"m,a-=2,a\\,z=1"),
        "the key order matters here"
    );
    let groups = prep.tsi_groups(&[11, 12, 13]).unwrap();
    assert_eq!(groups.len(), n);
    for (j, id) in [11u64, 12, 13].iter().enumerate() {
        let g = &groups[want[j] as usize];
        assert!(g.chunks_exact(8).any(|c| c == id.to_le_bytes()));
    }
    let total: usize = groups.iter().map(|g| g.len()).sum();
    assert_eq!(total, 24);
    assert!(prepare(&p, body, &all(&p), None, 0)
        .0
        .tsi_groups(&[1, 2, 3])
        .is_none());
    assert!(valid_tsi_partition_n(0) && valid_tsi_partition_n(8) && valid_tsi_partition_n(256));
    assert!(!valid_tsi_partition_n(6) && !valid_tsi_partition_n(512));
}

#[test]
fn type_names_round_trip() {
    for t in [
        FieldType::Float,
        FieldType::Integer,
        FieldType::Unsigned,
        FieldType::String,
        FieldType::Boolean,
    ] {
        assert_eq!(type_from_name(t.name()), Some(t));
    }
    assert_eq!(type_from_name("empty"), None);
}
