//! Which shard each point of a batch goes to: InfluxDB's `MapShards`/`ShardFor`.

use crate::lineproto::Parsed;

/// Go's zero time (year 1) in ns since the Unix epoch: beyond i64.
const GO_ZERO: i128 = -62_135_596_800_000_000_000;

/// Sorted distinct starts of the shard groups (of `duration` ns, > 0, aligned as Go's
/// `Time.Truncate`) the points with time >= `min_time` fall in.
pub fn group_starts(parsed: &Parsed, duration: i64, min_time: i64) -> Vec<i64> {
    let mut starts: Vec<i64> = parsed
        .points
        .iter()
        .filter(|p| p.time >= min_time)
        .map(|p| {
            let off = (p.time as i128 - GO_ZERO).rem_euclid(duration as i128) as i64;
            p.time - off
        })
        .collect();
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// Where the points of a batch go.
#[derive(Debug, Default, PartialEq)]
pub struct Split {
    /// Per group, per shard: the indices of its points.
    pub shards: Vec<Vec<Vec<usize>>>,
    /// Points before `min_time` (outside retention).
    pub dropped: usize,
    /// Points in no group.
    pub unplaced: Vec<usize>,
}

/// Splits a batch (`buf` is its body) by shard: `groups` is `[(start, end, shard count ≥ 1)]`,
/// sorted and disjoint. A point goes to the group holding its time and, within it, to shard
/// `fnv1a64(key) % count` (InfluxDB's ShardFor).
pub fn split_by_shard(
    parsed: &Parsed,
    buf: &[u8],
    groups: &[(i64, i64, usize)],
    min_time: i64,
) -> Split {
    assert!(groups.iter().all(|g| g.2 > 0), "a group without shards");
    let mut out = Split {
        shards: groups.iter().map(|g| vec![Vec::new(); g.2]).collect(),
        ..Split::default()
    };
    for (i, p) in parsed.points.iter().enumerate() {
        if p.time < min_time {
            out.dropped += 1;
            continue;
        }
        let g = groups.partition_point(|g| g.1 <= p.time);
        if g >= groups.len() || groups[g].0 > p.time {
            out.unplaced.push(i);
            continue;
        }
        let n = groups[g].2;
        let s = if n == 1 {
            0
        } else {
            (crate::hash::fnv1a64(parsed.key(buf, i)) % n as u64) as usize
        };
        out.shards[g][s].push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lineproto::{parse, ParseOptions, Precision};

    const HOUR: i64 = 3_600_000_000_000;

    fn parsed(body: &[u8]) -> Parsed {
        let opts = ParseOptions {
            precision: Precision::Nanosecond,
            default_time: 0,
            unsigned: false,
        };
        parse(body, &opts)
    }

    #[test]
    fn groups_start_where_go_truncates() {
        let body = format!("m v=1 {}\nm v=1 {}\nm v=1 -1\n", HOUR + 5, 3 * HOUR);
        let p = parsed(body.as_bytes());
        assert_eq!(group_starts(&p, HOUR, 0), vec![HOUR, 3 * HOUR]);
        // weeks start on Monday (Go's zero time is one): 1969-12-29
        assert_eq!(group_starts(&p, 7 * 24 * HOUR, -10), vec![-3 * 24 * HOUR]);
    }

    #[test]
    fn points_go_to_their_group_and_hashed_shard() {
        let body: Vec<u8> = (0..200)
            .flat_map(|i| format!("cpu,host=h{i} v=1 {i}\n").into_bytes())
            .collect();
        let p = parsed(&body);
        let split = split_by_shard(&p, &body, &[(10, 100, 3), (100, 150, 1)], 20);
        assert_eq!(split.dropped, 20);
        assert_eq!(split.unplaced, (150..200).collect::<Vec<_>>());
        assert_eq!(split.shards[1][0], (100..150).collect::<Vec<_>>());
        let mut seen = 0;
        for (s, idx) in split.shards[0].iter().enumerate() {
            for &i in idx {
                assert!((20..100).contains(&i));
                assert_eq!(crate::hash::fnv1a64(p.key(&body, i)) % 3, s as u64);
                seen += 1;
            }
        }
        assert_eq!(seen, 80);
    }
}
