//! InfluxDB 1.x line protocol: parsing request bodies into batches of points.

pub mod error;
pub mod parse;
pub mod point;
pub mod scan;
pub mod time;

pub use error::{LineError, Reason};
pub use parse::{parse, ParseOptions, Parsed, PointRef};
pub use point::{FieldIter, FieldType, FieldValue, RawField};
pub use time::Precision;

#[cfg(test)]
mod tests;
