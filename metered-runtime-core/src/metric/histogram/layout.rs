//! The bucket layout: which bucket a value falls in, and each bucket's edges.

/// Powers of two covered by the log-linear buckets: `[2^-40, 2^63)`.
pub const OCTAVES: usize = 103;
/// Buckets per power of two.
pub const SUB_BUCKETS: usize = 64;
/// Number of log-linear buckets (the zero bucket not included).
pub const BUCKETS: usize = OCTAVES * SUB_BUCKETS;
/// `bits >> 46` of `2^-40`: the first bucket's key.
const FIRST_KEY: u64 = (1023 - 40) << 6;
/// `bits >> 46` one past the last bucket (`2^63`).
const END_KEY: u64 = (1023 + 63) << 6;

/// The bucket index (`0..BUCKETS`) of a positive value (clamped into the covered range).
#[inline]
pub(super) fn bucket_of(v: f64) -> usize {
    // Positive values only: `bits >> 46` is then below 2^17 and fits every target's usize.
    #[allow(clippy::cast_possible_truncation)]
    let key = ((v.to_bits() >> 46).clamp(FIRST_KEY, END_KEY - 1) - FIRST_KEY) as usize;
    key
}

/// The `(power of two, sub-bucket)` of a positive integer, computed on the integer: the same
/// bucket as `bucket_of(v as f64)` whenever `v` is exactly representable as an `f64` (below 2^53
/// and many values above). Above 2^53 the conversion to `f64` may round up into the next
/// bucket; this truncates, so the bucket always holds `v` itself.
///
/// The power of two depends on the leading zeros alone, so the load of its counters starts
/// before the sub-bucket is known, and the clamp of values `>= 2^63` is a branch (never taken
/// by durations), not a data dependency.
#[inline]
pub(super) fn bucket_of_u64(v: u64) -> (usize, usize) {
    debug_assert!(v > 0);
    // `v = 2^e * 1.m`, `e = 63 - lz`: the octave index is `e + 40`, and the six bits after the
    // leading one are the sub-bucket, exactly the top six mantissa bits of the `f64`.
    let lz = v.leading_zeros();
    if lz == 0 {
        return (OCTAVES - 1, SUB_BUCKETS - 1);
    }
    #[allow(clippy::cast_possible_truncation)] // six bits
    let sub = ((v << lz) >> 57) as usize & (SUB_BUCKETS - 1);
    (103 - lz as usize, sub)
}

/// The lower and upper edge of bucket `index` (in recorded units).
#[must_use]
pub fn bucket_edges(index: u32) -> (f64, f64) {
    let key = u64::from(index).min(BUCKETS as u64 - 1) + FIRST_KEY;
    (f64::from_bits(key << 46), f64::from_bits((key + 1) << 46))
}

pub(super) fn midpoint(index: u32) -> f64 {
    let (l, u) = bucket_edges(index);
    l + (u - l) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bucket_edges_and_indices_agree() {
        for v in [1e-12, 1.0, 1.5, 2.0, 3.0, 1234.5678, 3.6e12, 1e18] {
            let i = bucket_of(v);
            let (l, u) = bucket_edges(u32::try_from(i).unwrap());
            assert!(l <= v && v < u, "{v} not in [{l}, {u})");
            assert!((u - l) / l <= 1.0 / 64.0 + 1e-15);
        }
        assert_eq!(bucket_of(1.0), 40 * 64);
        assert_eq!(bucket_of(1e-300), 0);
        assert_eq!(bucket_of(f64::MAX), BUCKETS - 1);
        assert_eq!(bucket_edges(0).0, 2f64.powi(-40));
    }

    #[test]
    fn integer_bucket_index_equals_float_bucket_index() {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let check = |v: u64| {
            let float = bucket_of(v as f64);
            let (octave, sub) = bucket_of_u64(v);
            let int = octave * SUB_BUCKETS + sub;
            // Equal whenever `v` converts exactly; otherwise the conversion may round up.
            if (v as f64) as u128 == u128::from(v) {
                assert_eq!(int, float, "{v}");
            } else {
                assert!(int == float || int + 1 == float, "{v}: {int} vs {float}");
            }
            if int < BUCKETS - 1 {
                let (lower, upper) = bucket_edges(u32::try_from(int).unwrap());
                assert!(
                    lower <= v as f64 && (v as f64) < upper || v >= 1 << 53,
                    "{v}"
                );
            }
        };
        for v in [
            1,
            2,
            3,
            63,
            64,
            65,
            127,
            128,
            1000,
            1 << 52,
            1 << 53,
            (1 << 53) + 1,
        ] {
            check(v);
        }
        for v in [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) - 1,
            (1 << 62) + 12_345,
        ] {
            check(v);
        }
        assert_eq!(bucket_of_u64(u64::MAX), (OCTAVES - 1, SUB_BUCKETS - 1));
        assert_eq!(bucket_of_u64(1 << 63), (OCTAVES - 1, SUB_BUCKETS - 1));
        assert_eq!(bucket_of_u64(1), (40, 0));
        for shift in 0..64 {
            let p = 1u64 << shift;
            for v in [p, p - 1, p + 1, p | (p >> 1), p | (p >> 6), p | (p >> 7)] {
                if v > 0 {
                    check(v);
                }
            }
        }
        // Every integer up to 2^16, then pseudo-random ones of every magnitude.
        for v in 1..=1 << 16 {
            check(v);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check((x >> (x % 64)).max(1));
        }
    }
}
