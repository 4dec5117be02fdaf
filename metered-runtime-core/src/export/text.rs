//! What the two text formats share: numbers, escaping, label sets and sample lines.

use super::live::{Lines, Readings};
use super::model::{Family, Sample, Series, Type};
use std::fmt::Write as _;

/// The two-digit decimal texts of 0 to 99, one after another.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `n` in decimal.
pub(crate) fn push_u64(out: &mut String, mut n: u64) {
    if n < 10 {
        // `n` is below 10, so the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation, reason = "a digit fits in a u8")]
        out.push(char::from(b'0' + n as u8));
        return;
    }
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    while n >= 100 {
        #[allow(clippy::cast_possible_truncation, reason = "below 100")]
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    #[allow(clippy::cast_possible_truncation, reason = "below 100")]
    let n = n as usize;
    if n >= 10 {
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[n * 2..n * 2 + 2]);
    } else {
        i -= 1;
        #[allow(clippy::cast_possible_truncation, reason = "a digit fits in a u8")]
        let digit = n as u8;
        buf[i] = b'0' + digit;
    }
    // A few ASCII digits: pushed one by one (inlined), cheaper than a copy call for so few.
    for &b in &buf[i..] {
        out.push(char::from(b));
    }
}

/// Appends `n` in decimal, with a `-` when negative.
pub(crate) fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends `v` as both formats spell it: `NaN`, `+Inf`, `-Inf`, or the shortest decimal that
/// reads back as the same `f64` (`0.5`, `1.0`, `1e-7`).
pub(crate) fn push_f64(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v == f64::INFINITY {
        out.push_str("+Inf");
    } else if v == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else if v == 0.0 {
        // The sum of a histogram nothing was recorded in.
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
    } else if !push_short_decimal(out, v) {
        let _ = write!(out, "{v:?}");
    }
}

/// Appends `v` as `{v:?}` would when it is a decimal of at most four places whose digits fit
/// in 15 (sums of recorded values usually are), without the shortest-digits search: such a
/// decimal that reads back as `v` is the only one of at most 15 significant digits that does,
/// so it is the shortest. Returns whether it did.
fn push_short_decimal(out: &mut String, v: f64) -> bool {
    const POWERS: [f64; 5] = [1.0, 10.0, 100.0, 1e3, 1e4];
    let a = v.abs();
    if !(1e-4..1e11).contains(&a) {
        return false;
    }
    for (places, &p) in POWERS.iter().enumerate() {
        // The nearest integer (a conversion, not a call to `round`): below 10^15.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a non-negative number below 10^15"
        )]
        let m = (a * p + 0.5) as u64;
        // Integers below 2^53 are exact, and the division is correctly rounded: it is `v`
        // exactly when the decimal `m / 10^places` reads back as `v` (both positive: equal
        // bits are equal values).
        #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
        if (m as f64 / p).to_bits() == a.to_bits() {
            let scale = 10u64.pow(u32::try_from(places).unwrap_or(0));
            if v.is_sign_negative() {
                out.push('-');
            }
            push_u64(out, m / scale);
            out.push('.');
            let frac = m % scale;
            if places == 0 {
                out.push('0');
            } else {
                // The fraction's digits, zero-padded to `places`: `frac` has no trailing zero
                // (a shorter `places` would have matched).
                let mut digits = [b'0'; 4];
                let mut f = frac;
                for d in digits[..places].iter_mut().rev() {
                    #[allow(clippy::cast_possible_truncation, reason = "a digit")]
                    let digit = (f % 10) as u8;
                    *d = b'0' + digit;
                    f /= 10;
                }
                for &d in &digits[..places] {
                    out.push(char::from(d));
                }
            }
            return true;
        }
    }
    false
}

/// Appends a label value escaped for both formats: `\` as `\\`, `"` as `\"`, newline as `\n`;
/// everything else (any UTF-8) as it is.
pub(crate) fn push_label_value(out: &mut String, v: &str) {
    if !v.bytes().any(|b| b == b'\\' || b == b'"' || b == b'\n') {
        out.push_str(v);
        return;
    }
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Appends help text: `\` as `\\` and newline as `\n`, and `"` as `\"` when `quotes`
/// (OpenMetrics).
pub(crate) fn push_help(out: &mut String, help: &str, quotes: bool) {
    if !help
        .bytes()
        .any(|b| b == b'\\' || b == b'\n' || (quotes && b == b'"'))
    {
        out.push_str(help);
        return;
    }
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// The bytes appended at once by [`push_over`]: a copy of a size known when compiling is a
/// few vector moves inlined, where a copy of a length known only at run time is a call to
/// `memcpy` (a text exposition is mostly such short copies).
pub(crate) const CHUNK: usize = 32;

/// `CHUNK` spaces: what a [`Padded`] text and a buffer for [`push_over`] end with.
pub(crate) const PADDING: &str = "                                ";

/// Appends `text[..len]` to `out` (`len` a character boundary of `text`) by copies of
/// [`CHUNK`] bytes, cutting off again what was copied past `len` (padding, or the next text of
/// a [`Texts`]). The rest is appended as it is where a chunk would end inside a character or
/// past the end of `text`.
#[inline(always)]
#[allow(
    clippy::inline_always,
    reason = "a few moves in place of a call to `memcpy`: a call would cost what it saves"
)]
pub(crate) fn push_over(out: &mut String, text: &str, len: usize) {
    let (mut rest, mut left) = (text, len);
    while left > 0 {
        let Some((chunk, tail)) = rest.split_at_checked(CHUNK) else {
            out.push_str(rest.get(..left).unwrap_or_default());
            return;
        };
        out.push_str(chunk);
        if left <= CHUNK {
            // The byte at the new end is `text[len]`: a character boundary.
            out.truncate(out.len() - (CHUNK - left));
            return;
        }
        left -= CHUNK;
        rest = tail;
    }
}

/// A text to append: the first `len` bytes of `rest`, whatever follows them in `rest` being
/// what [`push_over`] may copy past them.
#[derive(Clone, Copy)]
pub(crate) struct Piece<'a> {
    rest: &'a str,
    len: usize,
}

#[cfg(test)]
impl<'a> Piece<'a> {
    /// The text.
    pub(crate) fn as_str(self) -> &'a str {
        self.rest.get(..self.len).unwrap_or_default()
    }
}

impl Piece<'_> {
    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }

    /// Appends the text to `out`.
    #[inline]
    pub(crate) fn push_to(self, out: &mut String) {
        push_over(out, self.rest, self.len);
    }
}

/// Where a text is in [`Texts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    len: usize,
}

/// Texts kept one after another in one buffer, padding last: appended by [`push_over`]
/// (copying past a text's end copies the start of the next, cut off again), and read in
/// memory order by a pass that appends them in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct Texts(String);

impl Texts {
    /// Adds `text`.
    pub(crate) fn add(&mut self, text: &str) -> Span {
        let start = self.0.len();
        self.0.push_str(text);
        Span {
            start,
            len: text.len(),
        }
    }

    /// Ends the buffer with padding, once every text is added.
    pub(crate) fn finish(&mut self) {
        self.0.push_str(PADDING);
    }

    /// The text at `span`.
    #[inline]
    pub(crate) fn get(&self, span: Span) -> Piece<'_> {
        Piece {
            rest: self.0.get(span.start..).unwrap_or_default(),
            len: span.len,
        }
    }
}

/// A text followed by [`CHUNK`] bytes of padding, appended by [`push_over`].
pub(crate) struct Padded(String);

impl Padded {
    fn new(text: &str) -> Padded {
        let mut s = String::with_capacity(text.len() + CHUNK);
        s.push_str(text);
        s.push_str(PADDING);
        Padded(s)
    }

    pub(crate) fn piece(&self) -> Piece<'_> {
        Piece {
            rest: &self.0,
            len: self.0.len() - CHUNK,
        }
    }
}

/// The `le` texts of the bounds written last, reused while bounds repeat (histograms usually
/// share their bounds), so that each is formatted once.
#[derive(Default)]
pub(crate) struct LeTexts {
    bounds: Vec<u64>,
    text: Vec<String>,
    /// Each of `text` followed by `"} ` (the end of a bucket line's label set).
    closed: Vec<Padded>,
}

/// What an exposition's lines are written with besides the output: the `le` texts, the values
/// read and buffers reused from series to series.
#[derive(Default)]
pub(crate) struct LeCache {
    pub(crate) texts: LeTexts,
    /// The live values of an exposition, read before its lines are written.
    pub(crate) readings: Readings,
    /// The start of a series' bucket lines, a buffer reused from series to series.
    pub(crate) head: String,
    /// The end of a series' `_sum` and `_count` lines' names (its label set and a space), a
    /// buffer reused from series to series.
    pub(crate) tail: String,
}

impl LeCache {
    /// The `le` text of bound `i`.
    pub(crate) fn get(&mut self, i: usize, bound: f64) -> &str {
        self.texts.get(i, bound)
    }
}

impl LeTexts {
    /// The `le` text of bound `i`.
    pub(crate) fn get(&mut self, i: usize, bound: f64) -> &str {
        let bits = bound.to_bits();
        if self.bounds.get(i) != Some(&bits) {
            let mut t = String::new();
            push_f64(&mut t, bound);
            let closed = Padded::new(&format!("{t}\"}} "));
            if i < self.bounds.len() {
                self.bounds[i] = bits;
                self.text[i] = t;
                self.closed[i] = closed;
            } else {
                self.bounds.push(bits);
                self.text.push(t);
                self.closed.push(closed);
            }
        }
        &self.text[i]
    }

    /// The `le` text of bound `i` followed by `"} `.
    #[inline]
    pub(crate) fn get_closed(&mut self, i: usize, bound: f64) -> &Padded {
        if self.bounds.get(i) != Some(&bound.to_bits()) {
            self.get(i, bound);
        }
        &self.closed[i]
    }
}

/// The format of a text exposition, an index into what is kept for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Prometheus text 0.0.4.
    Prometheus = 0,
    /// OpenMetrics 1.0 text.
    OpenMetrics = 1,
}

/// Appends the header lines of a family named `name` in `format`: `# HELP`, `# TYPE`, and
/// for OpenMetrics `# UNIT` when `unit` is not empty.
pub(crate) fn push_header(
    out: &mut String,
    format: Format,
    name: &str,
    ty: Type,
    help: &str,
    unit: &str,
) {
    // 0.0.4 tools expect a counter's family name with its `_total`.
    let total = if format == Format::Prometheus && ty == Type::Counter {
        "_total"
    } else {
        ""
    };
    out.push_str("# HELP ");
    out.push_str(name);
    out.push_str(total);
    out.push(' ');
    push_help(out, help, format == Format::OpenMetrics);
    out.push_str("\n# TYPE ");
    out.push_str(name);
    out.push_str(total);
    out.push(' ');
    out.push_str(type_word(ty));
    out.push('\n');
    if format == Format::OpenMetrics && !unit.is_empty() {
        out.push_str("# UNIT ");
        out.push_str(name);
        out.push(' ');
        out.push_str(unit);
        out.push('\n');
    }
}

/// Appends the label set of `s` plus `extra` (`le` or `quantile`, already formatted), with
/// braces, or nothing when there are no labels.
fn push_labels(out: &mut String, s: &Series<'_>, extra: Option<(&str, &str)>) {
    let mut first = true;
    let mut sep = |out: &mut String| {
        out.push(if first { '{' } else { ',' });
        first = false;
    };
    // Keys are the registry's, in exposition form already.
    if let Some((k, v)) = &s.pre {
        sep(out);
        out.push_str(k);
        out.push_str("=\"");
        push_label_value(out, v);
        out.push('"');
    }
    for (k, (_, v)) in s.keys.iter().zip(s.labels) {
        sep(out);
        out.push_str(k);
        out.push_str("=\"");
        push_label_value(out, v);
        out.push('"');
    }
    if let Some((k, v)) = s.post {
        sep(out);
        out.push_str(k);
        out.push_str("=\"");
        push_label_value(out, v);
        out.push('"');
    }
    if let Some((k, v)) = extra {
        sep(out);
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(v);
        out.push('"');
    }
    if !first {
        out.push('}');
    }
}

/// The label set of `s` as [`push_labels`] writes it, without the braces (`""` for none).
pub(crate) fn label_block(s: &Series<'_>) -> String {
    let mut out = String::new();
    push_labels(&mut out, s, None);
    if out.len() >= 2 {
        out.pop();
        out.remove(0);
    }
    out
}

fn push_line_start(out: &mut String, name: &str, suffix: &str) {
    out.push_str(name);
    out.push_str(suffix);
}

/// Appends every sample line of `f` (the same in both formats).
pub(crate) fn push_samples(out: &mut String, f: &Family<'_>, le: &mut LeCache) {
    push_series(out, f, le);
    if let Some(live) = f.live {
        // Every family written live has its header kept (see `model::Builder::add_live`).
        let name = match f.header {
            Some((h, texts)) => texts.get(h.padded),
            None => Piece {
                rest: &f.name,
                len: f.name.len(),
            },
        };
        live.write(&mut Lines {
            out,
            name,
            total: f.ty == Type::Counter,
            le,
        });
    }
}

/// Reads every live value of `families` into `le`, in the order they are written.
pub(crate) fn read_live(families: &[Family<'_>], le: &mut LeCache) {
    le.readings.clear();
    for f in families {
        if let Some(live) = f.live {
            live.read(&mut le.readings);
        }
    }
}

/// Appends the sample lines of the series `f` holds.
fn push_series(out: &mut String, f: &Family<'_>, le: &mut LeCache) {
    // A counter's sample is `_total`; gauges (the only integer samples) have no suffix.
    let scalar_suffix = if f.ty == Type::Counter { "_total" } else { "" };
    let scalar = |out: &mut String, s: &Series<'_>| {
        push_line_start(out, &f.name, scalar_suffix);
        push_labels(out, s, None);
        out.push(' ');
    };
    for s in &f.series {
        match &s.sample {
            Sample::Uint(n) => {
                scalar(out, s);
                push_u64(out, *n);
                out.push('\n');
            }
            Sample::Int(n) => {
                scalar(out, s);
                push_i64(out, *n);
                out.push('\n');
            }
            Sample::Float(v) => {
                scalar(out, s);
                push_f64(out, *v);
                out.push('\n');
            }
            Sample::Histogram { buckets, sum, .. } => {
                for (i, &(bound, count)) in buckets.iter().enumerate() {
                    push_line_start(out, &f.name, "_bucket");
                    push_labels(out, s, Some(("le", le.get(i, bound))));
                    out.push(' ');
                    push_u64(out, count);
                    out.push('\n');
                }
                push_line_start(out, &f.name, "_sum");
                push_labels(out, s, None);
                out.push(' ');
                push_f64(out, *sum);
                out.push('\n');
                push_line_start(out, &f.name, "_count");
                push_labels(out, s, None);
                out.push(' ');
                push_u64(out, buckets.last().map_or(0, |b| b.1));
                out.push('\n');
            }
            Sample::Summary(quantiles) => {
                for &(q, v) in quantiles {
                    let mut level = String::new();
                    push_f64(&mut level, q);
                    push_line_start(out, &f.name, "");
                    push_labels(out, s, Some(("quantile", &level)));
                    out.push(' ');
                    push_f64(out, v);
                    out.push('\n');
                }
            }
        }
    }
}

/// The `# TYPE` word of a family (the same in both formats).
pub(crate) fn type_word(ty: Type) -> &'static str {
    match ty {
        Type::Counter => "counter",
        Type::Gauge => "gauge",
        Type::Histogram => "histogram",
        Type::Summary => "summary",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_escapes() {
        let mut out = String::new();
        for n in [0, 7, 10, 1_234_567_890, u64::MAX] {
            push_u64(&mut out, n);
            out.push(' ');
        }
        push_i64(&mut out, -42);
        out.push(' ');
        push_i64(&mut out, i64::MIN);
        assert_eq!(
            out,
            "0 7 10 1234567890 18446744073709551615 -42 -9223372036854775808"
        );
        out.clear();
        for v in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.5,
            1.0,
            1e-7,
            -2.25,
        ] {
            push_f64(&mut out, v);
            out.push(' ');
        }
        assert_eq!(out, "NaN +Inf -Inf 0.5 1.0 1e-7 -2.25 ");
        // The short-decimal path writes what `{:?}` writes, whatever the value.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut cases: Vec<f64> = vec![
            0.0,
            -0.0,
            1e-4,
            0.0001,
            0.00015,
            1e-5,
            0.1 + 0.2,
            1e11,
            99_999_999_999.999_9,
            1e10,
            123.456,
            2.3875,
            0.3,
            1e15,
            1e16,
            5e-324,
            -7.5,
            42.0,
            0.0125,
            1.0 / 3.0,
        ];
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            #[allow(clippy::cast_precision_loss, reason = "test values")]
            let int = (x % 100_000_000) as f64;
            #[allow(clippy::cast_possible_truncation, reason = "below 6")]
            let places = (x >> 40) % 6;
            cases.push(int / 10f64.powi(i32::try_from(places).unwrap()));
            cases.push(f64::from_bits(x >> 2));
        }
        for v in cases {
            out.clear();
            push_f64(&mut out, v);
            assert_eq!(out, format!("{v:?}"), "{v:e}");
        }
        out.clear();
        push_label_value(&mut out, "a\\b\"c\nd ünï");
        assert_eq!(out, r#"a\\b\"c\nd ünï"#);
        out.clear();
        push_help(&mut out, "x \"q\" \\ \n", false);
        out.push('|');
        push_help(&mut out, "x \"q\"", true);
        assert_eq!(out, "x \"q\" \\\\ \\n|x \\\"q\\\"");
    }

    #[test]
    fn texts_are_appended_whole_whatever_follows_them() {
        // Texts of every length around the chunk's, with multi-byte characters where a chunk
        // would end inside one, one after another in one buffer.
        let mut texts = Texts::default();
        let mut want = Vec::new();
        for len in [0, 1, 5, 31, 32, 33, 63, 64, 65, 100] {
            for fill in ["a", "é", "ü€", "x\"y"] {
                let t: String = fill.chars().cycle().take(len).collect();
                want.push((texts.add(&t), t));
            }
        }
        texts.finish();
        let mut out = String::from("start:");
        let mut expected = out.clone();
        for (span, t) in &want {
            let piece = texts.get(*span);
            assert_eq!(piece.as_str(), t);
            assert_eq!(piece.is_empty(), t.is_empty());
            piece.push_to(&mut out);
            expected.push_str(t);
            assert_eq!(out, expected);
        }
        // Without padding after it (the last text of a buffer never finished).
        let mut bare = Texts::default();
        let span = bare.add("ends here without room");
        bare.get(span).push_to(&mut out);
        expected.push_str("ends here without room");
        assert_eq!(out, expected);
        // A bound's `le` text with its end, as the bucket lines take it.
        let mut le = LeCache::default();
        assert_eq!(le.texts.get_closed(0, 0.25).piece().as_str(), "0.25\"} ");
        assert_eq!(le.texts.get_closed(0, 1e-7).piece().as_str(), "1e-7\"} ");
        assert_eq!(le.get(0, 1e-7), "1e-7");
    }
}
