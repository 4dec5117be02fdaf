//! Framework-agnostic serving: one call from a request's `Accept` and `Accept-Encoding`
//! headers to the response's `Content-Type`, `Content-Encoding` and body.

use super::model::{Options, Scrape};
use crate::registry::Registry;
use crate::snapshot::Snapshot;
use std::borrow::Cow;

/// A format [`render`] can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Prometheus text 0.0.4.
    #[cfg(feature = "prometheus")]
    Prometheus,
    /// OpenMetrics 1.0 text.
    #[cfg(feature = "openmetrics")]
    OpenMetrics,
    /// The Prometheus protobuf exposition: delimited `MetricFamily` messages, with native
    /// histograms (feature `protobuf`).
    #[cfg(feature = "protobuf")]
    Protobuf,
}

impl Format {
    /// The exact, versioned `Content-Type` of the format.
    #[must_use]
    pub const fn content_type(self) -> &'static str {
        match self {
            #[cfg(feature = "prometheus")]
            Format::Prometheus => super::prometheus::CONTENT_TYPE,
            #[cfg(feature = "openmetrics")]
            Format::OpenMetrics => super::openmetrics::CONTENT_TYPE,
            #[cfg(feature = "protobuf")]
            Format::Protobuf => super::protobuf::CONTENT_TYPE,
        }
    }

    /// Appends `scrape` in this format to `out` (UTF-8 text for the text formats).
    pub fn encode(self, scrape: &Scrape, opts: &Options, out: &mut Vec<u8>) {
        let text = |encode: fn(&Scrape, &Options, &mut String), out: &mut Vec<u8>| {
            let mut text = String::new();
            encode(scrape, opts, &mut text);
            if out.is_empty() {
                *out = text.into_bytes();
            } else {
                out.extend_from_slice(text.as_bytes());
            }
        };
        match self {
            #[cfg(feature = "prometheus")]
            Format::Prometheus => text(super::prometheus::encode, out),
            #[cfg(feature = "openmetrics")]
            Format::OpenMetrics => text(super::openmetrics::encode, out),
            #[cfg(feature = "protobuf")]
            Format::Protobuf => super::protobuf::encode(scrape, opts, out),
        }
    }

    /// Appends `registry`, read now, in this format to `out`: the same bytes as
    /// [`encode`](Self::encode) of [`Scrape::of`]`(registry)`, the text formats without the
    /// snapshot.
    pub fn encode_registry(self, registry: &Registry, opts: &Options, out: &mut Vec<u8>) {
        let text = |encode: fn(&Registry, &Options, &mut String), out: &mut Vec<u8>| {
            let mut text = String::new();
            encode(registry, opts, &mut text);
            if out.is_empty() {
                *out = text.into_bytes();
            } else {
                out.extend_from_slice(text.as_bytes());
            }
        };
        match self {
            #[cfg(feature = "prometheus")]
            Format::Prometheus => text(super::prometheus::encode_registry, out),
            #[cfg(feature = "openmetrics")]
            Format::OpenMetrics => text(super::openmetrics::encode_registry, out),
            #[cfg(feature = "protobuf")]
            Format::Protobuf => self.encode(&Scrape::of(registry), opts, out),
        }
    }
}

/// What [`render`] answers: the response headers' values and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The format chosen.
    pub format: Format,
    /// The `Content-Type` header value (exact and versioned).
    pub content_type: &'static str,
    /// The `Content-Encoding` header value, `None` for an uncompressed body.
    pub content_encoding: Option<&'static str>,
    /// The body (gzip-compressed when `content_encoding` says so).
    pub body: Vec<u8>,
}

/// What [`render`] can read: a [`Registry`] (read now, overflow counts included), a
/// [`Snapshot`] or a [`Scrape`].
pub trait Source {
    /// The scrape to encode.
    fn scrape(&self) -> Cow<'_, Scrape>;

    /// Appends this source in `format` to `out` (by default, of [`scrape`](Self::scrape)).
    fn encode(&self, format: Format, opts: &Options, out: &mut Vec<u8>) {
        format.encode(&self.scrape(), opts, out);
    }
}

impl Source for Registry {
    fn scrape(&self) -> Cow<'_, Scrape> {
        Cow::Owned(Scrape::of(self))
    }

    /// Reads the registry where its values live, as
    /// [`Format::encode_registry`] does.
    fn encode(&self, format: Format, opts: &Options, out: &mut Vec<u8>) {
        format.encode_registry(self, opts, out);
    }
}

impl Source for Snapshot {
    fn scrape(&self) -> Cow<'_, Scrape> {
        Cow::Owned(Scrape::from(self.clone()))
    }
}

impl Source for Scrape {
    fn scrape(&self) -> Cow<'_, Scrape> {
        Cow::Borrowed(self)
    }
}

impl<T: Source + ?Sized> Source for &T {
    fn scrape(&self) -> Cow<'_, Scrape> {
        (**self).scrape()
    }

    fn encode(&self, format: Format, opts: &Options, out: &mut Vec<u8>) {
        (**self).encode(format, opts, out);
    }
}

/// One media range of an `Accept` header.
struct MediaRange<'a> {
    /// `type/subtype`.
    media: &'a str,
    /// The `version` parameter.
    version: Option<&'a str>,
    /// The `proto` and `encoding` parameters (the protobuf exposition's).
    #[cfg_attr(
        not(feature = "protobuf"),
        allow(dead_code, reason = "only the protobuf type has these parameters")
    )]
    proto: Option<&'a str>,
    #[cfg_attr(
        not(feature = "protobuf"),
        allow(dead_code, reason = "only the protobuf type has these parameters")
    )]
    encoding: Option<&'a str>,
    /// The q-value, clamped into `[0, 1]` (0 when it does not parse).
    q: f64,
}

fn media_ranges(accept: &str) -> impl Iterator<Item = MediaRange<'_>> {
    accept.split(',').filter_map(|range| {
        let mut parts = range.split(';');
        let media = parts.next()?.trim();
        if media.is_empty() {
            return None;
        }
        let mut out = MediaRange {
            media,
            version: None,
            proto: None,
            encoding: None,
            q: 1.0,
        };
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim() {
                k if k.eq_ignore_ascii_case("q") => out.q = v.parse().unwrap_or(0.0),
                k if k.eq_ignore_ascii_case("version") => out.version = Some(v),
                k if k.eq_ignore_ascii_case("proto") => out.proto = Some(v),
                k if k.eq_ignore_ascii_case("encoding") => out.encoding = Some(v),
                _ => {}
            }
        }
        out.q = if out.q.is_finite() {
            out.q.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some(out)
    })
}

/// The format an `Accept` header asks for: OpenMetrics when it gives
/// `application/openmetrics-text` (version 1.0.0, 0.0.1 or none) a higher q-value than
/// anything that 0.0.4 text satisfies (`text/plain` of version 0.0.4 or none, `text/*`,
/// `*/*`); text 0.0.4 otherwise, including without an `Accept` header or when nothing
/// matches (a scrape is answered rather than refused). With only one of the two text format
/// features enabled, that format.
///
/// With the `protobuf` feature, [`Format::Protobuf`] when the header gives
/// `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily` and
/// `encoding=delimited` (both required: the other encodings are the retired text forms) a
/// higher q-value than both text formats, as Prometheus does when native histograms are enabled.
/// `*/*` never selects it: a client that can read protobuf says so.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// # #[cfg(all(feature = "prometheus", feature = "openmetrics"))] {
/// use metered_runtime::export::render::{Format, negotiate};
/// let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
///     version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(negotiate(Some(prometheus)), Format::OpenMetrics);
/// assert_eq!(negotiate(Some("text/plain;q=0.9,application/openmetrics-text;q=0.5")), Format::Prometheus);
/// assert_eq!(negotiate(None), Format::Prometheus);
/// # }
/// # #[cfg(all(feature = "protobuf", feature = "openmetrics"))] {
/// use metered_runtime::export::render::{Format, negotiate};
/// // Prometheus 2.42 with --enable-feature=native-histograms:
/// let native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
///     encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
///     application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(negotiate(Some(native)), Format::Protobuf);
/// # }
/// ```
#[must_use]
pub fn negotiate(accept: Option<&str>) -> Format {
    let (mut om, mut text, mut pb) = (0.0_f64, 0.0_f64, 0.0_f64);
    for r in media_ranges(accept.unwrap_or("")) {
        if r.media.eq_ignore_ascii_case("application/openmetrics-text") {
            if matches!(r.version, None | Some("1.0.0" | "0.0.1")) {
                om = om.max(r.q);
            }
        } else if r.media.eq_ignore_ascii_case("text/plain") {
            if matches!(r.version, None | Some("0.0.4")) {
                text = text.max(r.q);
            }
        } else if r.media.eq_ignore_ascii_case("text/*") || r.media == "*/*" {
            text = text.max(r.q);
        } else if r
            .media
            .eq_ignore_ascii_case("application/vnd.google.protobuf")
            && r.proto == Some("io.prometheus.client.MetricFamily")
            && r.encoding
                .is_some_and(|e| e.eq_ignore_ascii_case("delimited"))
        {
            pb = pb.max(r.q);
        }
    }
    choose(om, text, pb)
}

/// The format of the highest q-value among those compiled in; text 0.0.4 on ties.
#[allow(
    clippy::needless_return,
    reason = "each return ends a block that only some feature sets compile"
)]
fn choose(om: f64, text: f64, pb: f64) -> Format {
    #[cfg(feature = "protobuf")]
    if pb > om.max(text) {
        return Format::Protobuf;
    }
    #[cfg(all(feature = "prometheus", feature = "openmetrics"))]
    if om > text {
        return Format::OpenMetrics;
    }
    let _ = (om, text, pb);
    #[cfg(feature = "prometheus")]
    return Format::Prometheus;
    #[cfg(not(feature = "prometheus"))]
    return Format::OpenMetrics;
}

/// Whether an `Accept-Encoding` header accepts gzip (`gzip` or `*` with a q-value above 0).
#[must_use]
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.unwrap_or("").split(',').any(|coding| {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(1.0, |(_, v)| v.trim().parse::<f64>().unwrap_or(0.0));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && q > 0.0
    })
}

/// Renders `source` for a scrape with these request headers: the format from
/// [`negotiate`]`(accept)`, gzip when `accept_encoding` [accepts it](accepts_gzip) and the
/// `gzip` feature is on.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// # #[cfg(feature = "openmetrics")] {
/// use metered_runtime::{Registry, export::render::render};
/// let r = Registry::new();
/// r.counter("jobs.done").unwrap().add(2);
/// let out = render(&r, Some("application/openmetrics-text; version=1.0.0"), None);
/// assert_eq!(out.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
/// assert_eq!(out.content_encoding, None);
/// assert!(String::from_utf8(out.body).unwrap().contains("\njobs_done_total 2\n"));
/// # }
/// ```
pub fn render(
    source: impl Source,
    accept: Option<&str>,
    accept_encoding: Option<&str>,
) -> Rendered {
    render_with(source, &Options::new(), accept, accept_encoding)
}

/// [`render`] with [`Options`].
pub fn render_with(
    source: impl Source,
    opts: &Options,
    accept: Option<&str>,
    accept_encoding: Option<&str>,
) -> Rendered {
    let format = negotiate(accept);
    let mut body = Vec::new();
    source.encode(format, opts, &mut body);
    let (content_encoding, body) = encode_body(body, accept_encoding);
    Rendered {
        format,
        content_type: format.content_type(),
        content_encoding,
        body,
    }
}

#[cfg(feature = "gzip")]
fn encode_body(body: Vec<u8>, accept_encoding: Option<&str>) -> (Option<&'static str>, Vec<u8>) {
    use std::io::Write as _;
    if accepts_gzip(accept_encoding) {
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::fast(),
        );
        // Writing into a Vec cannot fail; fall back to the plain body if it ever did.
        if gz.write_all(&body).is_ok()
            && let Ok(zipped) = gz.finish()
        {
            return (Some("gzip"), zipped);
        }
    }
    (None, body)
}

#[cfg(not(feature = "gzip"))]
fn encode_body(body: Vec<u8>, accept_encoding: Option<&str>) -> (Option<&'static str>, Vec<u8>) {
    let _ = accept_encoding;
    (None, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(all(feature = "prometheus", feature = "openmetrics"))]
    #[test]
    fn negotiation_honours_q_values() {
        let cases = [
            (None, Format::Prometheus),
            (Some(""), Format::Prometheus),
            (Some("*/*"), Format::Prometheus),
            (Some("application/openmetrics-text"), Format::OpenMetrics),
            (
                Some("Application/OpenMetrics-Text; Version=1.0.0"),
                Format::OpenMetrics,
            ),
            (
                Some("application/openmetrics-text;version=2.0.0"),
                Format::Prometheus,
            ),
            (
                Some("application/openmetrics-text;q=0.5,*/*;q=0.6"),
                Format::Prometheus,
            ),
            (
                Some("application/openmetrics-text;q=0.7,*/*;q=0.6"),
                Format::OpenMetrics,
            ),
            (
                Some("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;q=0.5"),
                Format::Prometheus,
            ),
            (Some("application/openmetrics-text;q=0"), Format::Prometheus),
            (Some("application/json"), Format::Prometheus),
            (
                Some("application/openmetrics-text;q=nonsense"),
                Format::Prometheus,
            ),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(accept), expected, "{accept:?}");
        }
    }

    /// What Prometheus 2.42 sends with `--enable-feature=native-histograms` (captured).
    #[cfg(feature = "protobuf")]
    const NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
        encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
        application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

    #[cfg(feature = "protobuf")]
    #[test]
    fn negotiation_of_the_protobuf_exposition() {
        const PB: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily";
        let cases = [
            (NATIVE_ACCEPT.to_owned(), Format::Protobuf),
            (format!("{PB};encoding=delimited"), Format::Protobuf),
            (
                "Application/Vnd.Google.Protobuf; Proto=\"io.prometheus.client.MetricFamily\"; \
                 Encoding=\"Delimited\""
                    .to_owned(),
                Format::Protobuf,
            ),
            // Both parameters are needed, and only the delimited encoding is served.
            (PB.to_owned(), Format::Prometheus),
            (
                "application/vnd.google.protobuf;encoding=delimited".to_owned(),
                Format::Prometheus,
            ),
            (format!("{PB};encoding=text"), Format::Prometheus),
            (format!("{PB};encoding=compact-text"), Format::Prometheus),
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.Other;encoding=delimited"
                    .to_owned(),
                Format::Prometheus,
            ),
            // q-values: text wins ties, */* never selects protobuf, q=0 refuses it.
            (
                format!("{PB};encoding=delimited;q=0.5,text/plain;version=0.0.4;q=0.5"),
                Format::Prometheus,
            ),
            (
                format!("{PB};encoding=delimited;q=0.6,text/plain;version=0.0.4;q=0.5"),
                Format::Protobuf,
            ),
            (format!("{PB};encoding=delimited;q=0"), Format::Prometheus),
            ("*/*".to_owned(), Format::Prometheus),
            (
                format!("text/plain;version=0.0.4,{PB};encoding=delimited;q=0.9"),
                Format::Prometheus,
            ),
        ];
        for (accept, expected) in cases {
            assert_eq!(negotiate(Some(&accept)), expected, "{accept:?}");
        }
    }

    #[cfg(all(feature = "protobuf", feature = "openmetrics"))]
    #[test]
    fn protobuf_against_openmetrics() {
        const PB: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";
        // Prometheus 2.42 without the native histograms feature.
        let plain = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
            version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(negotiate(Some(plain)), Format::OpenMetrics);
        assert_eq!(
            negotiate(Some(&format!(
                "{PB};q=0.7,application/openmetrics-text;q=0.8"
            ))),
            Format::OpenMetrics
        );
        assert_eq!(
            negotiate(Some(&format!(
                "{PB};q=0.9,application/openmetrics-text;q=0.8"
            ))),
            Format::Protobuf
        );
        assert_eq!(
            negotiate(Some(&format!(
                "{PB};q=0.8,application/openmetrics-text;q=0.8"
            ))),
            Format::OpenMetrics
        );
    }

    #[cfg(feature = "protobuf")]
    #[test]
    fn render_answers_protobuf_with_its_content_type() {
        let r = Registry::new();
        r.counter("jobs.done").unwrap().add(2);
        let out = render(&r, Some(NATIVE_ACCEPT), None);
        assert_eq!(out.format, Format::Protobuf);
        assert_eq!(
            out.content_type,
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; \
             encoding=delimited"
        );
        assert_eq!(out.content_encoding, None);
        assert_eq!(
            out.body,
            super::super::protobuf::to_vec(&Scrape::of(&r), &Options::new())
        );
        // The first message's name.
        assert_eq!(&out.body[1..18], b"\x0a\x0fjobs_done_total");
        // Other clients are answered as before.
        let text = render(&r, Some("text/plain;version=0.0.4"), None);
        assert_eq!(
            text.content_type,
            "text/plain; version=0.0.4; charset=utf-8"
        );
    }

    #[cfg(all(feature = "gzip", feature = "protobuf"))]
    #[test]
    fn gzip_protobuf_body_decodes_to_the_messages() {
        use std::io::Read as _;
        let r = Registry::new();
        r.histogram("rows").unwrap().record(3.0).unwrap();
        let plain = render(&r, Some(NATIVE_ACCEPT), None);
        let zipped = render(&r, Some(NATIVE_ACCEPT), Some("gzip"));
        assert_eq!(zipped.format, Format::Protobuf);
        assert_eq!(zipped.content_encoding, Some("gzip"));
        let mut body = Vec::new();
        flate2::read::GzDecoder::new(zipped.body.as_slice())
            .read_to_end(&mut body)
            .unwrap();
        assert_eq!(body, plain.body);
        assert_ne!(zipped.body, plain.body);
    }

    #[cfg(feature = "prometheus")]
    #[test]
    fn encode_appends_to_what_the_buffer_holds() {
        let r = Registry::new();
        r.counter("jobs.done").unwrap().add(2);
        let scrape = Scrape::of(&r);
        let mut out = b"prefix\n".to_vec();
        Format::Prometheus.encode(&scrape, &Options::new(), &mut out);
        let text = super::super::prometheus::to_string(&scrape, &Options::new());
        assert_eq!(out, [b"prefix\n".as_slice(), text.as_bytes()].concat());
    }

    #[test]
    fn gzip_tokens() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("deflate, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("br, deflate")));
        assert!(!accepts_gzip(None));
    }

    #[cfg(all(feature = "gzip", feature = "prometheus"))]
    #[test]
    fn gzip_body_decodes_to_the_text() {
        use std::io::Read as _;
        let r = Registry::new();
        r.counter("jobs.done").unwrap().add(2);
        let plain = render(&r, None, None);
        let zipped = render(&r, None, Some("gzip"));
        assert_eq!(zipped.content_encoding, Some("gzip"));
        assert_eq!(
            zipped.content_type,
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(zipped.body.as_slice())
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, plain.body);
    }
}
