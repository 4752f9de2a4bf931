//! Timestamps: precisions, InfluxDB's representable range, default-time truncation.

/// `math.MinInt64 + 2`: the smallest time InfluxDB accepts.
pub const MIN_NANO_TIME: i64 = i64::MIN + 2;
/// `math.MaxInt64 - 1`: the largest time InfluxDB accepts.
pub const MAX_NANO_TIME: i64 = i64::MAX - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Nanosecond,
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
}

impl Precision {
    /// Accepts InfluxDB's names (`n ns u ms s m h`, plus `us` and `""` for nanoseconds' sake
    /// of v2 clients and omitted parameters).
    pub fn from_name(name: &str) -> Option<Precision> {
        Some(match name {
            "" | "n" | "ns" => Precision::Nanosecond,
            "u" | "us" => Precision::Microsecond,
            "ms" => Precision::Millisecond,
            "s" => Precision::Second,
            "m" => Precision::Minute,
            "h" => Precision::Hour,
            _ => return None,
        })
    }

    pub fn multiplier(self) -> i64 {
        match self {
            Precision::Nanosecond => 1,
            Precision::Microsecond => 1_000,
            Precision::Millisecond => 1_000_000,
            Precision::Second => 1_000_000_000,
            Precision::Minute => 60_000_000_000,
            Precision::Hour => 3_600_000_000_000,
        }
    }

    /// A timestamp written in this precision, in nanoseconds, if InfluxDB can represent it.
    pub fn to_nanos(self, ts: i64) -> Option<i64> {
        let t = ts.checked_mul(self.multiplier())?;
        if (MIN_NANO_TIME..=MAX_NANO_TIME).contains(&t) {
            Some(t)
        } else {
            None
        }
    }

    /// The default time truncated (towards the past) to this precision, as Go's
    /// `Time.Truncate` does for points without a timestamp.
    pub fn truncate(self, t: i64) -> i64 {
        let m = self.multiplier();
        t - t.rem_euclid(m)
    }
}
