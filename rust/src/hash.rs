//! FNV-1a 64-bit, the hash InfluxDB's `Point.HashID()` takes of a series key to pick a shard.

const OFFSET: u64 = 14695981039346656037;
const PRIME: u64 = 1099511628211;

#[inline]
pub fn fnv1a64(data: &[u8]) -> u64 {
    let mut h = OFFSET;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(PRIME);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }
}
