//! The hashes InfluxDB 1.x uses: FNV-1a 64 (`Point.HashID()`, which picks a shard) and XXH64
//! (`xxhash.Sum64`, which picks a series-file and a TSI partition).

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

/// XXH64 with seed 0 (cespare/xxhash's `Sum64`).
#[inline]
pub fn xxh64(data: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(data, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
        assert_eq!(xxh64(b""), 0xef46db3751d8e999);
        assert_eq!(xxh64(b"a"), 0xd24ec4f1a98c6e5b);
    }
}
