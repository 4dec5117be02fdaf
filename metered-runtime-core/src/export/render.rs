//! Framework-agnostic serving: one call from a request's `Accept` and `Accept-Encoding`
//! headers to the response's `Content-Type`, `Content-Encoding` and body.

use super::model::{Options, Scrape};
use crate::registry::Registry;
use crate::snapshot::Snapshot;
use std::borrow::Cow;

/// A text format [`render`] can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Prometheus text 0.0.4.
    #[cfg(feature = "prometheus")]
    Prometheus,
    /// OpenMetrics 1.0 text.
    #[cfg(feature = "openmetrics")]
    OpenMetrics,
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
        }
    }

    /// Appends `scrape` in this format to `out`.
    pub fn encode(self, scrape: &Scrape, opts: &Options, out: &mut String) {
        match self {
            #[cfg(feature = "prometheus")]
            Format::Prometheus => super::prometheus::encode(scrape, opts, out),
            #[cfg(feature = "openmetrics")]
            Format::OpenMetrics => super::openmetrics::encode(scrape, opts, out),
        }
    }

    /// Appends `registry`, read now, in this format to `out` (the same text as
    /// [`encode`](Self::encode) of [`Scrape::of`]`(registry)`, without the snapshot).
    pub fn encode_registry(self, registry: &Registry, opts: &Options, out: &mut String) {
        match self {
            #[cfg(feature = "prometheus")]
            Format::Prometheus => super::prometheus::encode_registry(registry, opts, out),
            #[cfg(feature = "openmetrics")]
            Format::OpenMetrics => super::openmetrics::encode_registry(registry, opts, out),
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

    /// Appends the text of this source in `format` to `out` (by default, of
    /// [`scrape`](Self::scrape)).
    fn encode(&self, format: Format, opts: &Options, out: &mut String) {
        format.encode(&self.scrape(), opts, out);
    }
}

impl Source for Registry {
    fn scrape(&self) -> Cow<'_, Scrape> {
        Cow::Owned(Scrape::of(self))
    }

    /// Reads the registry where its values live, as
    /// [`Format::encode_registry`] does.
    fn encode(&self, format: Format, opts: &Options, out: &mut String) {
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

    fn encode(&self, format: Format, opts: &Options, out: &mut String) {
        (**self).encode(format, opts, out);
    }
}

/// One media range of an `Accept` header: `(type/subtype, version parameter, q)`.
fn media_ranges(accept: &str) -> impl Iterator<Item = (&str, Option<&str>, f64)> {
    accept.split(',').filter_map(|range| {
        let mut parts = range.split(';');
        let media = parts.next()?.trim();
        if media.is_empty() {
            return None;
        }
        let mut version = None;
        let mut q = 1.0;
        for p in parts {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"');
            match k.trim() {
                k if k.eq_ignore_ascii_case("q") => q = v.parse().unwrap_or(0.0),
                k if k.eq_ignore_ascii_case("version") => version = Some(v),
                _ => {}
            }
        }
        Some((media, version, q))
    })
}

/// The format an `Accept` header asks for: OpenMetrics when it gives
/// `application/openmetrics-text` (version 1.0.0, 0.0.1 or none) a higher q-value than
/// anything that 0.0.4 text satisfies (`text/plain` of version 0.0.4 or none, `text/*`,
/// `*/*`); text 0.0.4 otherwise, including without an `Accept` header or when nothing
/// matches (a scrape is answered rather than refused). With only one of the two format
/// features enabled, that format.
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
/// ```
#[must_use]
pub fn negotiate(accept: Option<&str>) -> Format {
    #[cfg(all(feature = "prometheus", feature = "openmetrics"))]
    {
        let (mut om, mut text) = (0.0_f64, 0.0_f64);
        for (media, version, q) in media_ranges(accept.unwrap_or("")) {
            let q = if q.is_finite() {
                q.clamp(0.0, 1.0)
            } else {
                0.0
            };
            if media.eq_ignore_ascii_case("application/openmetrics-text") {
                if matches!(version, None | Some("1.0.0" | "0.0.1")) {
                    om = om.max(q);
                }
            } else if media.eq_ignore_ascii_case("text/plain") {
                if matches!(version, None | Some("0.0.4")) {
                    text = text.max(q);
                }
            } else if media.eq_ignore_ascii_case("text/*") || media == "*/*" {
                text = text.max(q);
            }
        }
        if om > text {
            Format::OpenMetrics
        } else {
            Format::Prometheus
        }
    }
    #[cfg(not(all(feature = "prometheus", feature = "openmetrics")))]
    {
        let _ = (accept, media_ranges);
        #[cfg(feature = "prometheus")]
        return Format::Prometheus;
        #[cfg(not(feature = "prometheus"))]
        return Format::OpenMetrics;
    }
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
    let mut text = String::new();
    source.encode(format, opts, &mut text);
    let (content_encoding, body) = encode_body(text, accept_encoding);
    Rendered {
        format,
        content_type: format.content_type(),
        content_encoding,
        body,
    }
}

#[cfg(feature = "gzip")]
fn encode_body(text: String, accept_encoding: Option<&str>) -> (Option<&'static str>, Vec<u8>) {
    use std::io::Write as _;
    if accepts_gzip(accept_encoding) {
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(text.len() / 4),
            flate2::Compression::fast(),
        );
        // Writing into a Vec cannot fail; fall back to the plain body if it ever did.
        if gz.write_all(text.as_bytes()).is_ok()
            && let Ok(body) = gz.finish()
        {
            return (Some("gzip"), body);
        }
    }
    (None, text.into_bytes())
}

#[cfg(not(feature = "gzip"))]
fn encode_body(text: String, accept_encoding: Option<&str>) -> (Option<&'static str>, Vec<u8>) {
    let _ = accept_encoding;
    (None, text.into_bytes())
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
