//! The `WriteRequest` bytes written straight from the series as they are visited, without
//! building the [`proto`](super::proto) structs first (which costs an allocation per label):
//! the same bytes prost writes for those structs, field by field in tag order with proto3's
//! defaults left out, which a unit test checks on every kind.

use super::proto;
use prost::encoding::{encode_varint, encoded_len_varint};

/// `WriteRequest.timeseries` (1), `TimeSeries.labels` (1), `Label.name` (1): length-delimited.
const KEY_1_LEN: u8 = (1 << 3) | 2;
/// `TimeSeries.samples` (2), `Label.value` (2): length-delimited.
const KEY_2_LEN: u8 = (2 << 3) | 2;
/// `Sample.value` (1): 64-bit.
const KEY_1_FIXED64: u8 = (1 << 3) | 1;
/// `Sample.timestamp` (2): varint.
const KEY_2_VARINT: u8 = 2 << 3;

fn len_u64(n: usize) -> u64 {
    n as u64
}

/// The length of a length-delimited field of `len` bytes, key included.
fn delimited(len: usize) -> usize {
    1 + encoded_len_varint(len_u64(len)) + len
}

fn label_len(name: &str, value: &str) -> usize {
    let mut n = 0;
    if !name.is_empty() {
        n += delimited(name.len());
    }
    if !value.is_empty() {
        n += delimited(value.len());
    }
    n
}

fn labels_len(labels: &[(&str, &str)]) -> usize {
    labels.iter().map(|(k, v)| delimited(label_len(k, v))).sum()
}

fn put_str(buf: &mut Vec<u8>, key: u8, s: &str) {
    if !s.is_empty() {
        buf.push(key);
        encode_varint(len_u64(s.len()), buf);
        buf.extend_from_slice(s.as_bytes());
    }
}

fn put_labels(buf: &mut Vec<u8>, labels: &[(&str, &str)]) {
    for (k, v) in labels {
        buf.push(KEY_1_LEN);
        encode_varint(len_u64(label_len(k, v)), buf);
        put_str(buf, KEY_1_LEN, k);
        put_str(buf, KEY_2_LEN, v);
    }
}

/// The timestamp as prost writes an `int64`: the two's complement as a `u64` varint.
fn timestamp_bits(timestamp: i64) -> u64 {
    timestamp.cast_unsigned()
}

fn sample_len(value: f64, timestamp: i64) -> usize {
    let mut n = 0;
    if value != 0.0 {
        n += 9;
    }
    if timestamp != 0 {
        n += 1 + encoded_len_varint(timestamp_bits(timestamp));
    }
    n
}

/// Appends one `TimeSeries` (as a `WriteRequest.timeseries` field) with one float sample.
pub(super) fn put_float_series(buf: &mut Vec<u8>, labels: &[(&str, &str)], value: f64, ts: i64) {
    let sample = sample_len(value, ts);
    let series = labels_len(labels) + delimited(sample);
    buf.push(KEY_1_LEN);
    encode_varint(len_u64(series), buf);
    put_labels(buf, labels);
    buf.push(KEY_2_LEN);
    encode_varint(len_u64(sample), buf);
    if value != 0.0 {
        buf.push(KEY_1_FIXED64);
        buf.extend_from_slice(&value.to_le_bytes());
    }
    if ts != 0 {
        buf.push(KEY_2_VARINT);
        encode_varint(timestamp_bits(ts), buf);
    }
}

/// Appends one `TimeSeries` with one native histogram (`TimeSeries.histograms`, 4), the
/// histogram itself written by prost.
pub(super) fn put_histogram_series(
    buf: &mut Vec<u8>,
    labels: &[(&str, &str)],
    h: &proto::Histogram,
) {
    let series = labels_len(labels) + prost::encoding::message::encoded_len(4, h);
    buf.push(KEY_1_LEN);
    encode_varint(len_u64(series), buf);
    put_labels(buf, labels);
    prost::encoding::message::encode(4, h, buf);
}
