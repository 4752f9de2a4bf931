//! Unit tests of the cache (no Python needed: `cargo test --no-default-features`).

use super::*;
use std::borrow::Cow;

fn f(x: f64) -> FieldValue<'static> {
    FieldValue::Float(x)
}

/// `size` recounted from the tables, to check the running total.
fn recount(c: &Cache) -> usize {
    c.tables
        .iter()
        .map(|(m, t)| TABLE_BYTES + m.len() + t.size())
        .sum()
}

#[test]
fn overwrite_merges_fields_newest_wins() {
    let mut c = Cache::default();
    c.insert(b"cpu", 2, 10, &[(b"v", f(1.0))]);
    c.insert(
        b"cpu",
        1,
        20,
        &[(b"s", FieldValue::String(Cow::Borrowed(b"a")))],
    );
    c.insert(b"cpu", 2, 10, &[(b"w", FieldValue::Integer(5))]);
    c.insert(b"cpu", 2, 10, &[(b"v", f(3.0))]);
    c.insert(b"cpu", 2, 5, &[(b"v", f(0.5))]);
    let t = &c.tables[&b"cpu"[..]];
    let s = t.snapshot(None, i64::MIN, i64::MAX);
    assert_eq!(s.series, vec![1, 2, 2]);
    assert_eq!(s.times, vec![20, 5, 10]);
    let v = &s.columns[0];
    assert_eq!(v.name, b"v");
    assert_eq!(v.valid, vec![false, true, true]);
    match &v.values {
        Values::Float(x) => assert_eq!(x[1..], [0.5, 3.0]),
        _ => panic!(),
    }
    assert_eq!(s.columns[2].valid, vec![false, false, true]); // w kept from the middle write
    let only1 = t.snapshot(Some(&[1].into_iter().collect()), 0, 100);
    assert_eq!(only1.series, vec![1]);
    assert_eq!(t.snapshot(None, 6, 15).times, vec![10]);
    assert_eq!(c.delete(b"cpu", Some(&[2].into_iter().collect()), 0, 9), 1);
    assert_eq!((c.points, c.size), (4, recount(&c)));
    assert_eq!(
        c.tables[&b"cpu"[..]]
            .snapshot(None, i64::MIN, i64::MAX)
            .times,
        vec![20, 10]
    );
    assert_eq!(c.delete(b"cpu", None, i64::MIN, i64::MAX), 4);
    assert!(c.tables.is_empty() && c.points == 0 && c.size == 0);
}

#[test]
fn a_sparse_wide_table_holds_and_counts_only_its_values() {
    let mut c = Cache::default();
    let names: Vec<Vec<u8>> = (0..1000).map(|k| format!("f{k:03}").into_bytes()).collect();
    for i in 0..3000u32 {
        c.insert(
            b"wide",
            1,
            i as i64,
            &[(&names[i as usize % 1000], f(i as f64))],
        );
    }
    let t = &c.tables[&b"wide"[..]];
    for col in &t.columns {
        assert_eq!(col.values.len(), 3);
        assert_eq!(col.rows.len(), 3);
        assert!(matches!(col.rows, Rows::List(_)));
    }
    let want = TABLE_BYTES + 4 + 3000 * ROW_BYTES + 1000 * (COLUMN_BYTES + 2 * 4) + 3000 * (8 + 4);
    assert_eq!(c.size, want);
    assert_eq!(c.size, recount(&c));
    let s = t.snapshot(None, 0, 1999);
    assert_eq!(s.times.len(), 2000);
    let col = &s.columns[7];
    assert_eq!(col.valid.iter().filter(|&&v| v).count(), 2);
    assert!(col.valid[7] && col.valid[1007]);
    match &col.values {
        Values::Float(x) => assert_eq!((x.len(), x[7], x[1007], x[8]), (2000, 7.0, 1007.0, 0.0)),
        _ => panic!(),
    }
}

#[test]
fn a_dense_column_keeps_no_row_numbers_until_a_row_lacks_it() {
    let mut c = Cache::default();
    let s = |b: &'static [u8]| FieldValue::String(Cow::Borrowed(b));
    c.insert(b"m", 1, 1, &[(b"a", f(1.0))]);
    c.insert(b"m", 1, 2, &[(b"a", f(2.0)), (b"b", s(b"xy"))]);
    c.insert(b"m", 1, 3, &[(b"a", f(3.0)), (b"b", s(b"z"))]);
    let t = &c.tables[&b"m"[..]];
    assert_eq!(t.columns[0].rows, Rows::Run { start: 0, len: 3 });
    assert_eq!(t.columns[1].rows, Rows::Run { start: 1, len: 2 });
    let dense =
        TABLE_BYTES + 1 + 3 * ROW_BYTES + 2 * (COLUMN_BYTES + 2) + 3 * 8 + (8 + 2) + (8 + 1);
    assert_eq!(c.size, dense);
    c.insert(b"m", 1, 4, &[(b"b", s(b""))]);
    c.insert(b"m", 1, 5, &[(b"a", f(5.0))]);
    let t = &c.tables[&b"m"[..]];
    assert_eq!(t.columns[0].rows, Rows::List(vec![0, 1, 2, 4]));
    assert_eq!(t.columns[1].rows, Rows::Run { start: 1, len: 3 });
    assert_eq!(c.size, dense + 2 * ROW_BYTES + 8 + 8 + 4 * 4);
    // deleting the row without `a` makes `a` a run again
    assert_eq!(c.delete(b"m", None, 4, 4), 1);
    let t = &c.tables[&b"m"[..]];
    assert_eq!(t.columns[0].rows, Rows::Run { start: 0, len: 4 });
    assert_eq!(t.columns[1].rows, Rows::Run { start: 1, len: 2 });
    assert_eq!(c.size, recount(&c));
    assert_eq!(c.size, dense + ROW_BYTES + 8);
    // a column left without values stays (a snapshot still shows it) and costs its overhead
    assert_eq!(c.delete(b"m", None, 2, 3), 2);
    let t = &c.tables[&b"m"[..]];
    assert!(t.columns[1].rows.is_empty() && t.columns[1].values.is_empty());
    assert_eq!(
        t.snapshot(None, i64::MIN, i64::MAX).columns[1].valid,
        vec![false, false]
    );
    assert_eq!(c.size, recount(&c));
    c.insert(b"m", 1, 9, &[(b"b", s(b"q"))]);
    assert_eq!(
        c.tables[&b"m"[..]].columns[1].rows,
        Rows::Run { start: 2, len: 1 }
    );
    assert_eq!(c.size, recount(&c));
}

#[test]
fn a_repeated_field_keeps_its_last_value_and_a_wrong_type_is_left_out() {
    let mut c = Cache::default();
    c.insert(b"m", 1, 1, &[(b"a", f(1.0)), (b"a", f(2.0))]);
    c.insert(b"m", 1, 2, &[(b"a", FieldValue::Integer(3))]);
    let t = &c.tables[&b"m"[..]];
    assert_eq!(t.columns[0].rows, Rows::Run { start: 0, len: 1 });
    match &t.columns[0].values {
        Values::Float(x) => assert_eq!(x, &[2.0]),
        _ => panic!(),
    }
    assert_eq!(
        c.size,
        TABLE_BYTES + 1 + 2 * ROW_BYTES + COLUMN_BYTES + 2 + 8
    );
}

#[test]
fn field_types_are_sorted_by_measurement_then_field() {
    let mut c = Cache::default();
    c.insert(b"mem", 1, 1, &[(b"z", FieldValue::Boolean(true))]);
    c.insert(
        b"cpu",
        1,
        1,
        &[(b"v", f(1.0)), (b"n", FieldValue::Unsigned(2))],
    );
    c.insert(b"cpu", 1, 2, &[(b"a", FieldValue::Integer(1))]);
    assert_eq!(
        c.field_types(),
        vec![
            (&b"cpu"[..], &b"a"[..], FieldType::Integer),
            (&b"cpu"[..], &b"n"[..], FieldType::Unsigned),
            (&b"cpu"[..], &b"v"[..], FieldType::Float),
            (&b"mem"[..], &b"z"[..], FieldType::Boolean),
        ]
    );
    c.clear();
    assert!(c.field_types().is_empty() && c.size == 0);
}

#[test]
fn a_selected_copy_snapshots_as_the_filtered_table() {
    let mut c = Cache::default();
    for i in 0..200i64 {
        let s = (i * 7 % 13) as u64;
        let t = i * 37 % 50; // repeats: overwrites merge
        if i % 3 == 0 {
            c.insert(b"m", s, t, &[(b"a", f(i as f64))]);
        } else {
            c.insert(
                b"m",
                s,
                t,
                &[(
                    b"b",
                    FieldValue::String(Cow::Owned(format!("x{i}").into_bytes())),
                )],
            );
        }
    }
    let t = &c.tables[&b"m"[..]];
    let some: HashSet<u64> = [1, 4, 12].into_iter().collect();
    for (series, tmin, tmax) in [
        (None, i64::MIN, i64::MAX),
        (Some(&some), i64::MIN, i64::MAX),
        (None, 10, 30),
        (Some(&some), 5, 20),
        (Some(&some), 60, 70),
    ] {
        let want = t.snapshot(series, tmin, tmax);
        let part = t.selected(series, tmin, tmax);
        assert!(part.len() <= t.len());
        let got = part.snapshot(None, i64::MIN, i64::MAX);
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
    }
    assert_eq!(t.selected(Some(&some), 60, 70).len(), 0);
}
