//! The layout of a per-process file: a header, then records appended by a bump pointer.
//!
//! Everything is 8-byte cells in the machine's byte order (files are read on the host that
//! wrote them). Header cells:
//!
//! | cell | content |
//! |------|---------|
//! | 0 | [`MAGIC`] |
//! | 1 | [`VERSION`] in the low 32 bits; bit 32 set for a compacted file |
//! | 2 | the writer's pid (informational: liveness is the file lock, never the pid) |
//! | 3 | the writer's incarnation: a random 64-bit id chosen when the file was made |
//! | 4 | when the file was made, in nanoseconds since the Unix epoch |
//! | 5 | cells in use: records end there (published with release ordering after each record) |
//! | 6 | capacity in cells |
//! | 7 | reserved |
//!
//! A record starts with a tag cell ([`tag`]: a check pattern, the record type, its length in
//! cells including the tag) and is published by storing its tag, then the new cells-in-use
//! count, after its payload: a reader that loads cells-in-use with acquire ordering sees every
//! record below it whole. Types:
//! - [`CHUNK`]: 80 cells: the tag, the arena (`slot << 32 | chunk number`), 14 reserved, then
//!   the 64 cells of one arena chunk, starting on a 128-byte boundary of the file (cells of two
//!   threads never share a cache line);
//! - [`SERIES`]: a metric's identity and where its cells are: the tag, the first id, a second id
//!   (a timer's count), the payload's length in bytes, then the payload ([`Identity::encode`]);
//! - [`PAD`]: skipped (aligns the next chunk);
//! - [`INCLUDED`]: in a compacted file, the incarnations whose counts it holds.

use crate::metric::{MetricKind, Unit};
use std::sync::atomic::{AtomicU64, Ordering};

/// `b"metered\x01"` as a little-endian integer.
pub(super) const MAGIC: u64 = u64::from_le_bytes(*b"metered\x01");
/// The layout version.
pub(super) const VERSION: u64 = 1;
/// Bit of header cell 1 marking a compacted file.
pub(super) const COMPACTED: u64 = 1 << 32;
/// Header cells.
pub(super) const HEADER: usize = 8;
pub(super) const H_PID: usize = 2;
pub(super) const H_INCARNATION: usize = 3;
pub(super) const H_START: usize = 4;
pub(super) const H_USED: usize = 5;
pub(super) const H_CAPACITY: usize = 6;

pub(super) const CHUNK: u64 = 1;
pub(super) const SERIES: u64 = 2;
pub(super) const PAD: u64 = 3;
pub(super) const INCLUDED: u64 = 4;

/// Cells of a chunk record, and where its data starts in it.
pub(super) const CHUNK_RECORD: usize = 80;
pub(super) const CHUNK_DATA: usize = 16;

const CHECK: u64 = 0x6D74_7200; // "mtr\0"

/// The tag of a record of `kind` that is `len` cells long.
pub(super) fn tag(kind: u64, len: usize) -> u64 {
    CHECK << 32 | kind << 24 | (len as u64 & 0xFF_FFFF)
}

/// `(type, length)` of a tag, or `None` if it is not one.
pub(super) fn untag(t: u64) -> Option<(u64, usize)> {
    if t >> 32 != CHECK {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, reason = "24 bits")]
    let len = (t & 0xFF_FFFF) as usize;
    Some(((t >> 24) & 0xFF, len))
}

/// What a file says about a series: everything a snapshot needs besides its values.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Identity {
    pub(crate) kind: MetricKind,
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: String,
    pub(crate) labels: Vec<(String, String)>,
    pub(crate) from_family: bool,
    /// `(family, key, value)` of a type label.
    pub(crate) type_label: Option<(String, String, String)>,
    pub(crate) exposition: String,
    pub(crate) keys: Vec<String>,
    /// Classic bounds of a histogram or timer (empty when none).
    pub(crate) bounds: Vec<f64>,
}

pub(super) fn kind_code(k: MetricKind) -> u8 {
    match k {
        MetricKind::Counter => 1,
        MetricKind::Gauge => 2,
        MetricKind::UpDownCounter => 3,
        MetricKind::FloatGauge => 4,
        MetricKind::FnGauge => 5,
        MetricKind::Meter => 6,
        MetricKind::Histogram => 7,
        MetricKind::Timer => 8,
    }
}

fn kind_of(c: u8) -> Option<MetricKind> {
    Some(match c {
        1 => MetricKind::Counter,
        2 => MetricKind::Gauge,
        3 => MetricKind::UpDownCounter,
        4 => MetricKind::FloatGauge,
        5 => MetricKind::FnGauge,
        6 => MetricKind::Meter,
        7 => MetricKind::Histogram,
        8 => MetricKind::Timer,
        _ => return None,
    })
}

/// The unit named `s` (interned for [`Unit::Other`]).
pub(super) fn unit_of(s: &str) -> Unit {
    match s {
        "" => Unit::None,
        "seconds" => Unit::Seconds,
        "bytes" => Unit::Bytes,
        "ratio" => Unit::Ratio,
        other => Unit::Other(intern(other)),
    }
}

/// A `&'static` copy of `s`, made once per distinct string (units and type labels, which
/// snapshots hold as `&'static str`; there are few of them).
pub(super) fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, PoisonError};
    static STRINGS: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut g = STRINGS.lock().unwrap_or_else(PoisonError::into_inner);
    let set = g.get_or_insert_with(HashSet::new);
    if let Some(&s) = set.get(s) {
        return s;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

impl Identity {
    /// The payload bytes of a series record.
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + self.name.len() * 2);
        b.push(kind_code(self.kind));
        b.push(u8::from(self.from_family) | u8::from(self.type_label.is_some()) << 1);
        for s in [&self.name, &self.help, &self.unit, &self.exposition] {
            put_str(&mut b, s);
        }
        put_len(&mut b, self.labels.len());
        for (k, v) in &self.labels {
            put_str(&mut b, k);
            put_str(&mut b, v);
        }
        put_len(&mut b, self.keys.len());
        for k in &self.keys {
            put_str(&mut b, k);
        }
        if let Some((f, k, v)) = &self.type_label {
            put_str(&mut b, f);
            put_str(&mut b, k);
            put_str(&mut b, v);
        }
        put_len(&mut b, self.bounds.len());
        for x in &self.bounds {
            b.extend_from_slice(&x.to_bits().to_le_bytes());
        }
        b
    }

    /// Decodes a payload, refusing anything malformed.
    pub(super) fn decode(b: &[u8]) -> Result<Identity, String> {
        let mut r = Reader { b, at: 0 };
        let kind = kind_of(r.byte()?).ok_or("unknown metric kind")?;
        let flags = r.byte()?;
        let name = r.string()?;
        let help = r.string()?;
        let unit = r.string()?;
        let exposition = r.string()?;
        let n = r.len()?;
        let mut labels = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            labels.push((r.string()?, r.string()?));
        }
        let n = r.len()?;
        let mut keys = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            keys.push(r.string()?);
        }
        let type_label = if flags & 2 != 0 {
            Some((r.string()?, r.string()?, r.string()?))
        } else {
            None
        };
        let n = r.len()?;
        let mut bounds = Vec::with_capacity(n.min(64));
        for _ in 0..n {
            bounds.push(f64::from_bits(u64::from_le_bytes(
                r.take(8)?.try_into().map_err(|_| "short bound")?,
            )));
        }
        Ok(Identity {
            kind,
            name,
            help,
            unit,
            labels,
            from_family: flags & 1 != 0,
            type_label,
            exposition,
            keys,
            bounds,
        })
    }
}

fn put_len(b: &mut Vec<u8>, n: usize) {
    b.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_len(b, s.len());
    b.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or("series record ends early")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn len(&mut self) -> Result<usize, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
    fn string(&mut self) -> Result<String, String> {
        let n = self.len()?;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| "a string is not UTF-8".to_owned())
    }
}

/// Stores `bytes` into `cells`, 8 per cell (the last zero-padded).
pub(super) fn store_bytes(cells: &[AtomicU64], bytes: &[u8]) {
    for (cell, chunk) in cells.iter().zip(bytes.chunks(8)) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        cell.store(u64::from_ne_bytes(w), Ordering::Relaxed);
    }
}

/// The first `n` bytes held by `cells`.
pub(super) fn load_bytes(cells: &[AtomicU64], n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 8);
    for c in cells {
        if out.len() >= n {
            break;
        }
        out.extend_from_slice(&c.load(Ordering::Relaxed).to_ne_bytes());
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_and_garbage_is_refused() {
        let id = Identity {
            kind: MetricKind::Timer,
            name: "app.handle".into(),
            help: "handling time".into(),
            unit: "seconds".into(),
            labels: vec![("route".into(), "/a".into())],
            from_family: true,
            type_label: Some(("app".into(), "type".into(), "Handler".into())),
            exposition: "app_handle_seconds".into(),
            keys: vec!["route".into()],
            bounds: vec![0.1, 1.0],
        };
        let b = id.encode();
        assert_eq!(Identity::decode(&b).unwrap(), id);
        assert!(Identity::decode(&b[..b.len() - 3]).is_err());
        assert!(Identity::decode(&[9, 0, 0]).is_err());
        assert_eq!(untag(tag(SERIES, 12)), Some((SERIES, 12)));
        assert_eq!(untag(0x1234), None);
    }
}
