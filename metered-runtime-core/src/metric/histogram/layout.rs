//! The bucket layout: base-2 exponential buckets at schema 6, the layout of Prometheus native
//! histograms and OpenTelemetry exponential histograms.
//!
//! At schema `s`, bucket `i` holds the values in `(2^((i-1)/2^s), 2^(i/2^s)]` (Prometheus'
//! indexing; OpenTelemetry numbers the same bucket `i - 1`). Recording uses schema [`SCHEMA`] = 6:
//! 64 buckets per power of two.
//!
//! Finding the bucket of an `f64` takes no logarithm. Write `v = 2^e * (1 + m / 2^52)` with the
//! 52-bit mantissa `m`; the buckets of the power of two `(2^e, 2^(e+1)]` end at
//! `2^e * 2^(k/64)` for `k = 1..=64`, and `2^e` itself (`m = 0`) is the last value of the bucket
//! below. So the bucket is `64 e + k`, where `k` is the smallest with `m <= BOUND[k]`, and
//! `BOUND[k] = floor((2^(k/64) - 1) * 2^52)` is a table of 65 integers (exact: for `k` not a
//! multiple of 64 the boundary is irrational, so no `f64` lies on it). The boundaries are not
//! evenly spaced in `m`, but any two are more than `2^52 / 128` apart, so the top 7 bits of `m`
//! pick one of 128 cells holding at most one boundary: a second table gives the first `k` whose
//! boundary is at or past the cell's start, packed with that boundary in one `u64` (one load),
//! and one comparison with the boundary corrects it.
//!
//! The range recorded is `(ZERO_THRESHOLD, 2^64]` with [`ZERO_THRESHOLD`] `= 2^-40` (about
//! 9.1e-13): 104 powers of two, 6,656 buckets, indices [`MIN_INDEX`]`..=`[`MAX_INDEX`]. That is
//! 1 ns to 584 years in seconds and 1e-12 to 1.8e19 in any unit. Values at or below the zero
//! threshold, zero included, are counted in the zero bucket (Prometheus' and OpenTelemetry's
//! zero bucket with that threshold); values above `2^64` in the highest bucket.

/// The schema (OpenTelemetry: scale) of recorded buckets: `2^6 = 64` buckets per power of two.
pub const SCHEMA: i32 = 6;
/// Values in `[0, ZERO_THRESHOLD]` are counted in the zero bucket: `2^-40`.
pub const ZERO_THRESHOLD: f64 = f64::from_bits(((1023 + MIN_EXP) as u64) << 52);
/// Buckets per power of two at [`SCHEMA`].
pub(super) const PER_OCTAVE: usize = 64;
/// The exponent of [`ZERO_THRESHOLD`]: the first bucket is `(2^MIN_EXP, 2^(MIN_EXP + 1/64)]`.
const MIN_EXP: i32 = -40;
/// The exponent of the largest upper bound, `2^64`.
const MAX_EXP: i32 = 64;
/// The index of the lowest bucket, `(2^-40, 2^(-40 + 1/64)]`.
pub const MIN_INDEX: i32 = MIN_EXP * (1 << SCHEMA) + 1;
/// The index of the highest bucket, whose upper bound is `2^64`.
pub const MAX_INDEX: i32 = MAX_EXP * (1 << SCHEMA);
/// Buckets in the recorded range: the storage positions are `0..POSITIONS`.
pub(super) const POSITIONS: usize = 104 * PER_OCTAVE;
const _: () = assert!(MAX_INDEX - MIN_INDEX + 1 == 6656 && POSITIONS == 6656);

/// `BOUND[k] = floor((2^(k/64) - 1) * 2^52)`: the largest mantissa whose value `1 + m / 2^52` is
/// at most `2^(k/64)`. Computed with 80-digit decimal arithmetic; `bounds_match_the_definition`
/// checks them against `f64::powf`.
/// Padded to 128 entries (with `2^52`) so that any 7-bit `k` indexes it without a check.
const BOUND: [u64; 128] = pad(&[
    0x0000_0000_0000_0000,
    0x0000_2C9A_3E77_8060,
    0x0000_59B0_D315_8574,
    0x0000_8745_1875_9BC8,
    0x0000_B558_6CF9_890F,
    0x0000_E3EC_32D3_D1A2,
    0x0001_1301_D012_5B50,
    0x0001_429A_AEA9_2DDF,
    0x0001_72B8_3C7D_517A,
    0x0001_A35B_EB6F_CB75,
    0x0001_D487_3168_B9AA,
    0x0002_063B_8862_8CD6,
    0x0002_387A_6E75_6238,
    0x0002_6B45_65E2_7CDD,
    0x0002_9E9D_F51F_DEE1,
    0x0002_D285_A6E4_030B,
    0x0003_06FE_0A31_B715,
    0x0003_3C08_B264_16FF,
    0x0003_71A7_373A_A9CA,
    0x0003_A7DB_34E5_9FF6,
    0x0003_DEA6_4C12_3422,
    0x0004_160A_21F7_2E29,
    0x0004_4E08_6061_892D,
    0x0004_86A2_B5C1_3CD0,
    0x0004_BFDA_D536_2A27,
    0x0004_F9B2_769D_2CA6,
    0x0005_342B_569D_4F81,
    0x0005_6F47_36B5_27DA,
    0x0005_AB07_DD48_5429,
    0x0005_E76F_15AD_2148,
    0x0006_247E_B03A_5584,
    0x0006_6238_8255_2224,
    0x0006_A09E_667F_3BCC,
    0x0006_DFB2_3C65_1A2E,
    0x0007_1F75_E8EC_5F73,
    0x0007_5FEB_5642_67C8,
    0x0007_A114_73EB_0186,
    0x0007_E2F3_36CF_4E62,
    0x0008_2589_994C_CE12,
    0x0008_68D9_9B44_92EC,
    0x0008_ACE5_422A_A0DB,
    0x0008_F1AE_9915_7736,
    0x0009_3737_B0CD_C5E4,
    0x0009_7D82_9FDE_4E4F,
    0x0009_C491_82A3_F090,
    0x000A_0C66_7B5D_E564,
    0x000A_5503_B23E_255C,
    0x000A_9E6B_5579_FDBF,
    0x000A_E89F_995A_D3AD,
    0x000B_33A2_B84F_15FA,
    0x000B_7F76_F2FB_5E46,
    0x000B_CC1E_904B_C1D2,
    0x000C_199B_DD85_529C,
    0x000C_67F1_2E57_D14B,
    0x000C_B720_DCEF_9069,
    0x000D_072D_4A07_897B,
    0x000D_5818_DCFB_A487,
    0x000D_A9E6_03DB_3285,
    0x000D_FC97_337B_9B5E,
    0x000E_502E_E78B_3FF6,
    0x000E_A4AF_A2A4_90D9,
    0x000E_FA1B_EE61_5A27,
    0x000F_5076_5B6E_4540,
    0x000F_A7C1_819E_90D8,
    0x0010_0000_0000_0000,
]);

const fn pad(bounds: &[u64; PER_OCTAVE + 1]) -> [u64; 128] {
    let mut out = [1 << 52; 128];
    let mut k = 0;
    while k <= PER_OCTAVE {
        out[k] = bounds[k];
        k += 1;
    }
    out
}

/// Width of a cell of the first lookup: the top 7 mantissa bits.
const CELL_SHIFT: u32 = 45;
/// `CELL[c]`: the smallest `k` with `BOUND[k] >= c << CELL_SHIFT`, packed with that boundary
/// as `k << 56 | BOUND[k]`, so that the lookup is one load and the correction needs no second.
const CELL: [u64; 128] = cells();

const fn cells() -> [u64; 128] {
    let mut out = [0u64; 128];
    let mut c = 0;
    let mut k = 0;
    while c < 128 {
        while BOUND[k] < (c as u64) << CELL_SHIFT {
            k += 1;
        }
        out[c] = (k as u64) << 56 | BOUND[k];
        c += 1;
    }
    out
}

/// The bucket of `1 + m / 2^52` within its power of two: the smallest `k` in `0..=64` with
/// `m <= BOUND[k]` (0 only for `m = 0`, an exact power of two).
#[inline]
const fn sub_index(m: u64) -> usize {
    #[allow(clippy::cast_possible_truncation, reason = "the top 7 of 52 bits")]
    let cell = CELL[(m >> CELL_SHIFT) as usize & 127];
    // `k <= 64`; `BOUND[64] = 2^52` is never exceeded.
    #[allow(clippy::cast_possible_truncation, reason = "k <= 64")]
    let k = (cell >> 56) as usize;
    #[allow(clippy::cast_lossless, reason = "`usize::from` is not const")]
    let above = (m > cell & ((1 << 56) - 1)) as usize;
    k + above
}

/// The storage position of a finite non-negative `v`: `index - MIN_INDEX`, negative for the
/// zero bucket (values up to [`ZERO_THRESHOLD`]), and possibly past `POSITIONS - 1` for values
/// above `2^64` (callers clamp).
#[inline]
pub(super) const fn position(v: f64) -> i64 {
    let bits = v.to_bits();
    #[allow(clippy::cast_possible_wrap, reason = "11 exponent bits")]
    let biased = (bits >> 52) as i64;
    #[allow(clippy::cast_possible_wrap, reason = "at most 64")]
    let k = sub_index(bits & ((1 << 52) - 1)) as i64;
    (biased - 1023 - MIN_EXP as i64) * 64 + k - 1
}

/// Timers' buckets, found from the nanoseconds' own leading bits.
///
/// A timer records `ns` in the bucket that [`position`] gives its duration in seconds rounded to
/// an `f64`, `ns as f64 / 1e9` (what `Histogram::record` of the seconds records), without the
/// division. Write `ns = m * 2^(E - 63)` with `E` the index of its leading one and `m` the
/// normalized 64-bit mantissa (`2^63 <= m < 2^64`). The rounded quotient is at most the `f64`
/// `B = 2^e * (1 + BOUND[k] / 2^52)` (the last one in bucket `k` of the power of two `2^e`)
/// exactly when the exact quotient lies below the midpoint between `B` and the next `f64`
/// (never on it: that would take `5^9 * 2^54` ns, more than `u64` holds). In `m`, that midpoint
/// is `1e9 * (2^53 + 2 BOUND[k] + 1) * 2^(s - 53)`, with `s = 33` for the midpoints of
/// `e = E - 30` and `s = 34` for those of `e = E - 29`: 64 integers (rounded down) in
/// `[2^63, 2^64)`, the same for every `E`. So the position is `64 (E + 10) + 6` plus the count of
/// these thresholds below `m`, which one load from a table of cells (the top 7 bits of `m`
/// below its leading one) and one compare give, as [`sub_index`] does for an `f64`.
///
/// That is one leading-zero count and one shift before the load, where dividing by `1e9` in
/// fixed point first took a 64 x 64-bit multiply and a double shift: the chain from a timer's
/// clock read to its store is shorter by those (a timed call waits for the chain).
const NANOS_THRESHOLDS: [u64; 64] = nanos_thresholds();

/// The midpoint threshold for bucket `k` at shift `s` (see [`NANOS_THRESHOLDS`]), rounded down.
const fn nanos_threshold(k: usize, s: u32) -> u128 {
    (1_000_000_000 * ((1u128 << 53) + 2 * BOUND[k] as u128 + 1)) >> (53 - s)
}

const fn nanos_thresholds() -> [u64; 64] {
    let mut out = [0u64; 64];
    let mut j = 0;
    // Ascending: the midpoints of `e = E - 30` from bucket 7 on, then those of `e = E - 29` up
    // to bucket 6; the others fall outside `[2^63, 2^64)`.
    let mut s = 33;
    while s <= 34 {
        let mut k = 0;
        while k < PER_OCTAVE {
            let t = nanos_threshold(k, s);
            if t >= 1 << 63 && t < 1 << 64 {
                #[allow(clippy::cast_possible_truncation, reason = "below 2^64")]
                let t = t as u64;
                out[j] = t;
                j += 1;
            }
            k += 1;
        }
        s += 1;
    }
    assert!(
        j == 64,
        "one threshold per bucket boundary of a power of two"
    );
    let mut i = 1;
    while i < 64 {
        // Ascending, and more than one cell apart: at most one in a cell.
        assert!(out[i] - out[i - 1] > 1 << NANOS_CELL_SHIFT);
        i += 1;
    }
    out
}

/// The cells of the nanoseconds' lookup: the 7 bits of `m` below its leading one.
const NANOS_CELL_SHIFT: u32 = 56;
/// Low bits of a packed cell: the threshold's bits below the cell's (its top 8 are the cell's).
const LOW_56: u64 = (1 << NANOS_CELL_SHIFT) - 1;
/// `NANOS_CELL[c]`: the count of thresholds below the cell's start, packed (`<< 56`) with the
/// low 56 bits of the threshold in the cell, or all ones if none is (no `m` exceeds that).
const NANOS_CELL: [u64; 128] = nanos_cells();

const fn nanos_cells() -> [u64; 128] {
    let mut out = [0u64; 128];
    let mut c = 0;
    let mut j = 0;
    while c < 128 {
        let start = (1u64 << 63) + ((c as u64) << NANOS_CELL_SHIFT);
        while j < 64 && NANOS_THRESHOLDS[j] < start {
            j += 1;
        }
        let in_cell = j < 64 && NANOS_THRESHOLDS[j] - start <= LOW_56;
        let low = if in_cell {
            NANOS_THRESHOLDS[j] & LOW_56
        } else {
            LOW_56
        };
        out[c] = (j as u64) << NANOS_CELL_SHIFT | low;
        c += 1;
    }
    out
}

/// The storage position of `ns` nanoseconds as seconds: that of `ns as f64 / 1e9` (exactly, for
/// `ns` below 2^53, where that quotient rounds once; above, that of the quotient of the exact
/// `ns`, rounded once), computed in integers: see [`NANOS_THRESHOLDS`]. `-1` (the zero bucket)
/// for 0 ns; otherwise from 646 (1 ns) to 4742 (`u64::MAX` ns), always a valid position.
#[cfg(any(test, feature = "multiprocess"))]
#[inline]
pub(super) fn position_of_nanos(ns: u64) -> i64 {
    match nanos_parts(ns) {
        #[allow(clippy::cast_possible_wrap, reason = "below 6,656")]
        Some(NanosPosition { chunk, offset }) => (chunk * 32 + offset) as i64,
        None => -1,
    }
}

/// A nonzero duration's storage position `32 chunk + offset`, in two parts: `chunk` (a multiple
/// of 32 positions) comes from the leading-zero count alone, early on a timer's chain, and
/// `offset` (6 to 70) after the table lookup. A shard looks up the counters of the three
/// 32-position runs `offset` can fall in while the lookup runs (see `Shard::counter_near`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NanosPosition {
    /// `146 - 2 lz`: the position's first 32-position run, at most two runs below its own.
    pub(super) chunk: usize,
    /// `6 + j`, `j` the count of thresholds below the mantissa (0 to 64).
    pub(super) offset: usize,
}

/// [`position_of_nanos`] in its two parts; `None` for 0 ns (the zero bucket).
#[inline]
pub(super) fn nanos_parts(ns: u64) -> Option<NanosPosition> {
    if ns == 0 {
        return None;
    }
    let lz = ns.leading_zeros();
    let m = ns << lz;
    #[allow(clippy::cast_possible_truncation, reason = "7 bits")]
    let cell = NANOS_CELL[(m >> NANOS_CELL_SHIFT) as usize & 127];
    let above = u64::from(m & LOW_56 > cell & LOW_56);
    #[allow(clippy::cast_possible_truncation, reason = "at most 64")]
    let j = ((cell >> NANOS_CELL_SHIFT) + above) as usize;
    // `E = 63 - lz`: the position is `64 (E + 10) + 6 + j = 32 (146 - 2 lz) + 6 + j`.
    Some(NanosPosition {
        chunk: 146 - 2 * lz as usize,
        offset: 6 + j,
    })
}

/// The schema-6 bucket index of a position in `0..POSITIONS`.
#[inline]
pub(super) fn index_of(position: usize) -> i32 {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "below 6,656"
    )]
    let p = position as i32;
    p + MIN_INDEX
}

/// The bucket index at schema [`SCHEMA`] of a finite `v > 0`, as recorded: `None` for values in
/// the zero bucket (at most [`ZERO_THRESHOLD`]); values above `2^64` give [`MAX_INDEX`].
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::metric::histogram::{bucket_edges, bucket_index};
/// assert_eq!(bucket_index(1.0), Some(0)); // (2^(-1/64), 1]: upper bounds are inclusive
/// assert_eq!(bucket_index(1.000_000_1), Some(1));
/// assert_eq!(bucket_index(2.0), Some(64));
/// assert_eq!(bucket_index(0.0), None);
/// let (lower, upper) = bucket_edges(6, 1);
/// assert!(lower == 1.0 && (upper - 2f64.powf(1.0 / 64.0)).abs() < 1e-15);
/// ```
#[must_use]
pub fn bucket_index(v: f64) -> Option<i32> {
    let p = position(v.abs());
    let p = usize::try_from(p).ok()?;
    Some(index_of(p.min(POSITIONS - 1)))
}

/// The lower (exclusive) and upper (inclusive) edge of bucket `index` at `schema`:
/// `(2^((index-1)/2^schema), 2^(index/2^schema)]`. Schemas from -4 to 8 are Prometheus'.
#[must_use]
pub fn bucket_edges(schema: i32, index: i32) -> (f64, f64) {
    (edge(schema, index - 1), edge(schema, index))
}

/// `2^(i / 2^schema)`.
fn edge(schema: i32, i: i32) -> f64 {
    (f64::from(i) * (-f64::from(schema)).exp2()).exp2()
}

/// The geometric midpoint of bucket `index` at `schema`, `2^((index - 1/2) / 2^schema)`: within
/// `2^(1/2^(schema+1)) - 1` (0.54 % at schema 6) of every value in the bucket.
#[must_use]
pub(super) fn midpoint(schema: i32, index: i32) -> f64 {
    ((f64::from(index) - 0.5) * (-f64::from(schema)).exp2()).exp2()
}

/// The index at `schema - by` of the bucket that holds bucket `index` of `schema`:
/// `ceil(index / 2^by)`. Bucket `i` ends at `2^(i / 2^s)`; bucket `j` of `s - 1` ends at
/// `2^(2j / 2^s)`, so it holds `2j - 1` and `2j`: `j = ceil(i / 2)`.
#[must_use]
pub(super) fn downscaled(index: i32, by: u32) -> i32 {
    let by = by.min(40);
    // Floor division by 2^by of `index + 2^by - 1`, with an arithmetic shift (exact for negatives).
    let i = i64::from(index) + (1i64 << by) - 1;
    #[allow(clippy::cast_possible_truncation, reason = "|result| <= |index| + 1")]
    let j = (i >> by) as i32;
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: the smallest `k` with `m <= BOUND[k]`, by linear search.
    fn sub_index_linear(m: u64) -> usize {
        (0..=PER_OCTAVE).find(|&k| m <= BOUND[k]).unwrap()
    }

    /// A small deterministic generator.
    fn xorshift(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    #[test]
    fn bounds_match_the_definition() {
        assert_eq!((BOUND[0], BOUND[PER_OCTAVE]), (0, 1 << 52));
        for k in 1..PER_OCTAVE {
            #[allow(clippy::cast_precision_loss, reason = "small integers")]
            let x = 2f64.powf(k as f64 / 64.0);
            let m = x.to_bits() & ((1 << 52) - 1);
            assert!(
                m.abs_diff(BOUND[k]) <= 1,
                "k={k}: {m:#x} vs {:#x}",
                BOUND[k]
            );
            // Any two boundaries are more than a cell apart: one correction compare suffices.
            assert!(BOUND[k] - BOUND[k - 1] > 1 << CELL_SHIFT, "k={k}");
        }
        assert!(BOUND[PER_OCTAVE] - BOUND[PER_OCTAVE - 1] > 1 << CELL_SHIFT);
    }

    #[test]
    fn table_lookup_equals_the_linear_search() {
        for &b in &BOUND[..=PER_OCTAVE] {
            for m in [b.saturating_sub(1), b, b + 1] {
                if m < 1 << 52 {
                    assert_eq!(sub_index(m), sub_index_linear(m), "m={m:#x}");
                }
            }
        }
        for c in 0..128u64 {
            for m in [c << CELL_SHIFT, ((c + 1) << CELL_SHIFT) - 1] {
                assert_eq!(sub_index(m), sub_index_linear(m), "m={m:#x}");
            }
        }
        let mut x = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            let m = xorshift(&mut x) >> 12;
            assert_eq!(sub_index(m), sub_index_linear(m), "m={m:#x}");
        }
        assert_eq!(sub_index(0), 0);
        assert_eq!(sub_index(1), 1);
        assert_eq!(sub_index((1 << 52) - 1), 64);
    }

    #[test]
    fn index_is_the_ceiling_of_64_log2() {
        let mut x = 0x1234_5678_9ABC_DEF1;
        let mut checked = 0;
        for _ in 0..200_000 {
            // Values spread over the whole range, 2^-40 to 2^64.
            let bits = ((1023 - 40) << 52) + xorshift(&mut x) % (104 << 52);
            let v = f64::from_bits(bits);
            let exact = 64.0 * v.log2();
            // Away from a boundary the float logarithm decides unambiguously.
            if (exact - exact.round()).abs() > 1e-6 {
                #[allow(clippy::cast_possible_truncation, reason = "|exact| < 4097")]
                let want = exact.ceil() as i32;
                assert_eq!(bucket_index(v), Some(want), "{v}");
                let (lower, upper) = bucket_edges(SCHEMA, want);
                assert!(lower < v && v <= upper, "{v} not in ({lower}, {upper}]");
                let mid = midpoint(SCHEMA, want);
                assert!((mid - v).abs() / v <= 2f64.powf(1.0 / 128.0) - 1.0 + 1e-12);
                checked += 1;
            }
        }
        assert!(checked > 190_000);
    }

    #[test]
    fn powers_of_two_end_their_bucket() {
        for j in -39..=64 {
            let p = 2f64.powi(j);
            assert_eq!(bucket_index(p), Some(64 * j), "2^{j}");
            let above = f64::from_bits(p.to_bits() + 1);
            assert_eq!(
                bucket_index(above),
                Some((64 * j + 1).min(MAX_INDEX)),
                "2^{j}+"
            );
            let below = f64::from_bits(p.to_bits() - 1);
            assert_eq!(bucket_index(below), Some(64 * j), "2^{j}-");
        }
    }

    #[test]
    fn nanosecond_positions_are_those_of_seconds() {
        #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
        let float = |ns: u64| position(ns as f64 / 1e9).max(-1);
        let mut x = 0x0DDB_1A5E_5BAD_5EEDu64;
        let mut values = vec![0, 1, 2, 999, 1000, 1_000_000, 3_600_000_000_000];
        for j in 0..=22 {
            // 2^j seconds and its neighbours; 2^-j seconds where that is a whole number of ns.
            let p = 1_000_000_000u64 << j;
            values.extend([p - 1, p, p + 1]);
            if 1_000_000_000 % (1u64 << j.min(9)) == 0 && j <= 9 {
                let q = 1_000_000_000 >> j;
                values.extend([q - 1, q, q + 1]);
            }
        }
        for _ in 0..300_000 {
            values.push(xorshift(&mut x) >> (x % 40 + 12)); // 2^12 to 2^52 ns
        }
        for ns in values {
            assert_eq!(position_of_nanos(ns), float(ns), "{ns} ns");
        }
        assert_eq!(position_of_nanos(1_000_000_000), position(1.0));
        assert_eq!(position_of_nanos(1_000_000_001), position(1.0) + 1);
        assert_eq!(position_of_nanos(0), -1);
        assert!(position_of_nanos(u64::MAX) < 6656);
    }

    /// Around every bucket boundary of every power of two of seconds from 1 ns to 2^53 ns, the
    /// durations nearest to it land where their seconds do: the cases a division in fixed point
    /// could round across a boundary.
    #[test]
    fn nanos_next_to_every_boundary_land_with_their_seconds() {
        #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
        let float = |ns: u64| position(ns as f64 / 1e9).max(-1);
        let mut tried = 0;
        for index in -1920..=1472 {
            // The boundary in nanoseconds, 1e9 * 2^(index / 64), from 1 ns to 2^53 ns.
            let edge = 1e9 * (f64::from(index) / 64.0).exp2();
            if !(1.0..9.0e15).contains(&edge) {
                continue;
            }
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "in range"
            )]
            let near = edge as u64;
            for ns in near.saturating_sub(3)..=near + 3 {
                assert_eq!(position_of_nanos(ns), float(ns), "{ns} ns");
                tried += 1;
            }
        }
        assert!(tried > 20_000, "{tried}");
        // The table's rows: every threshold and its neighbours, at every shift.
        for lz in 0..63 {
            for &t in &NANOS_THRESHOLDS {
                for m in [t - 1, t, t + 1] {
                    let ns = m >> lz;
                    if ns < 1 << 53 {
                        assert_eq!(position_of_nanos(ns), float(ns), "{ns} ns");
                    }
                }
            }
        }
        assert_eq!(position_of_nanos(1), 646);
        assert_eq!(position_of_nanos(u64::MAX), 4742);
    }

    #[test]
    fn range_ends_and_zero_bucket() {
        assert_eq!(bucket_index(0.0), None);
        assert_eq!(bucket_index(f64::from_bits(1)), None); // subnormal
        assert_eq!(bucket_index(ZERO_THRESHOLD), None);
        let above = f64::from_bits(ZERO_THRESHOLD.to_bits() + 1);
        assert_eq!(bucket_index(above), Some(MIN_INDEX));
        assert_eq!(position(above), 0);
        assert_eq!(bucket_index(2f64.powi(64)), Some(MAX_INDEX));
        assert_eq!(bucket_index(f64::MAX), Some(MAX_INDEX));
        assert_eq!(index_of(POSITIONS - 1), MAX_INDEX);
        assert_eq!((MIN_INDEX, MAX_INDEX, POSITIONS), (-2559, 4096, 6656));
        assert_eq!(ZERO_THRESHOLD, 2f64.powi(-40));
        assert_eq!(bucket_edges(SCHEMA, MIN_INDEX).0, ZERO_THRESHOLD);
        assert_eq!(bucket_edges(SCHEMA, MAX_INDEX).1, 2f64.powi(64));
        // One nanosecond and one hour, in seconds.
        assert!(bucket_index(1e-9).is_some_and(|i| i > MIN_INDEX));
        assert!(bucket_index(3600.0).is_some_and(|i| i < MAX_INDEX));
    }

    #[test]
    fn downscaling_sums_neighbours() {
        for i in -300..300 {
            // ceil(i / 2^by), computed in floats.
            for by in 0..8 {
                #[allow(clippy::cast_possible_truncation, reason = "small")]
                let want = (f64::from(i) / f64::from(1 << by)).ceil() as i32;
                assert_eq!(downscaled(i, by), want, "i={i} by={by}");
            }
            // The coarser bucket holds the finer one.
            let (l, u) = bucket_edges(SCHEMA, i);
            let (cl, cu) = bucket_edges(SCHEMA - 1, downscaled(i, 1));
            assert!(cl <= l * (1.0 + 1e-12) && u <= cu * (1.0 + 1e-12), "{i}");
        }
        assert_eq!(
            (downscaled(1, 1), downscaled(2, 1), downscaled(3, 1)),
            (1, 1, 2)
        );
        assert_eq!(
            (downscaled(0, 1), downscaled(-1, 1), downscaled(-2, 1)),
            (0, 0, -1)
        );
        assert_eq!(downscaled(MAX_INDEX, 100), 1);
        assert_eq!(downscaled(MIN_INDEX, 100), 0);
    }
}
