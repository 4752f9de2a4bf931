//! Go's `encoding/binary` unsigned varints (LEB128), with Go's exact error conventions.

/// Appends `v` as a uvarint.
#[inline]
pub fn put_uvarint(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

/// Bytes `v` takes as a uvarint.
#[inline]
pub fn uvarint_size(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Go's `binary.Uvarint`: (value, bytes read); n == 0 if the buffer ends first, n < 0 (minus
/// the bytes read) if the value overflows 64 bits.
#[inline]
pub fn uvarint(buf: &[u8]) -> (u64, isize) {
    let mut x: u64 = 0;
    let mut s: u32 = 0;
    for (i, &b) in buf.iter().enumerate() {
        if i == 10 {
            return (0, -(i as isize + 1));
        }
        if b < 0x80 {
            if i == 9 && b > 1 {
                return (0, -(i as isize + 1));
            }
            return (x | (b as u64) << s, i as isize + 1);
        }
        x |= ((b & 0x7f) as u64) << s;
        s += 7;
    }
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut b = vec![];
            put_uvarint(&mut b, v);
            assert_eq!(b.len(), uvarint_size(v));
            assert_eq!(uvarint(&b), (v, b.len() as isize));
            assert_eq!(uvarint(&b[..b.len() - 1]).1, 0);
        }
        assert_eq!(uvarint(&[0xff; 11]).1, -11);
        assert_eq!(
            uvarint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).1,
            -10
        );
    }
}
