//! Why a line was rejected, worded exactly as InfluxDB 1.x words it.

use super::time::{MAX_NANO_TIME, MIN_NANO_TIME};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    MissingMeasurement,
    MissingFields,
    MissingTagKey,
    MissingTagValue,
    InvalidTagFormat,
    DuplicateTags,
    MissingFieldKey,
    MissingFieldValue,
    InvalidFieldFormat,
    UnbalancedQuotes,
    InvalidNumber,
    InvalidFloat,
    InvalidBoolean,
    IntegerOutOfRange(Vec<u8>),
    UnsignedOutOfRange(Vec<u8>),
    BadTimestamp,
    TimestampSyntax(Vec<u8>),
    TimestampOutOfRange(Vec<u8>),
    TimeOutsideRange,
    PointIsInvalid,
    MaxKeyLength(usize),
    InvalidValue(Vec<u8>),
}

impl Reason {
    /// Appends the reason text (the part after `unable to parse '<line>': `).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let fixed: &str = match self {
            Reason::MissingMeasurement => "missing measurement",
            Reason::MissingFields => "missing fields",
            Reason::MissingTagKey => "missing tag key",
            Reason::MissingTagValue => "missing tag value",
            Reason::InvalidTagFormat => "invalid tag format",
            Reason::DuplicateTags => "duplicate tags",
            Reason::MissingFieldKey => "missing field key",
            Reason::MissingFieldValue => "missing field value",
            Reason::InvalidFieldFormat => "invalid field format",
            Reason::UnbalancedQuotes => "unbalanced quotes",
            Reason::InvalidNumber => "invalid number",
            Reason::InvalidFloat => "invalid float",
            Reason::InvalidBoolean => "invalid boolean",
            Reason::BadTimestamp => "bad timestamp",
            Reason::PointIsInvalid => "point is invalid",
            Reason::TimeOutsideRange => {
                out.extend_from_slice(
                    format!("time outside range {MIN_NANO_TIME} - {MAX_NANO_TIME}").as_bytes(),
                );
                return;
            }
            Reason::MaxKeyLength(n) => {
                out.extend_from_slice(format!("max key length exceeded: {n} > 65535").as_bytes());
                return;
            }
            Reason::IntegerOutOfRange(t) => {
                out.extend_from_slice(b"unable to parse integer ");
                out.extend_from_slice(t);
                out.extend_from_slice(b": ");
                go_num_error(out, "ParseInt", t, "value out of range");
                return;
            }
            Reason::UnsignedOutOfRange(t) => {
                out.extend_from_slice(b"unable to parse unsigned ");
                out.extend_from_slice(t);
                out.extend_from_slice(b": ");
                go_num_error(out, "ParseUint", t, "value out of range");
                return;
            }
            Reason::TimestampSyntax(t) => {
                go_num_error(out, "ParseInt", t, "invalid syntax");
                return;
            }
            Reason::TimestampOutOfRange(t) => {
                go_num_error(out, "ParseInt", t, "value out of range");
                return;
            }
            Reason::InvalidValue(k) => {
                out.extend_from_slice(b"invalid value: field-key=");
                out.extend_from_slice(k);
                return;
            }
        };
        out.extend_from_slice(fixed.as_bytes());
    }
}

/// Go's `*strconv.NumError` text: `strconv.<Func>: parsing "<text>": <err>` (the text holds only
/// digits and `-` here, so Go's quoting adds nothing).
fn go_num_error(out: &mut Vec<u8>, func: &str, text: &[u8], err: &str) {
    out.extend_from_slice(b"strconv.");
    out.extend_from_slice(func.as_bytes());
    out.extend_from_slice(b": parsing \"");
    out.extend_from_slice(text);
    out.extend_from_slice(b"\": ");
    out.extend_from_slice(err.as_bytes());
}

/// A rejected line: where it is in the input and why.
#[derive(Debug, Clone)]
pub struct LineError {
    pub line_start: usize,
    pub line_end: usize,
    pub reason: Reason,
}

impl LineError {
    /// `unable to parse '<line>': <reason>`, as InfluxDB reports one bad line.
    pub fn message(&self, buf: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.line_end - self.line_start + 40);
        out.extend_from_slice(b"unable to parse '");
        out.extend_from_slice(&buf[self.line_start..self.line_end]);
        out.extend_from_slice(b"': ");
        self.reason.write_to(&mut out);
        out
    }
}
