//! Dotted metric names: validation here, rendering from the macros' templates in `template`,
//! the mapping to exposition names in `exposition`.

pub(crate) mod exposition;
pub(crate) mod template;

use crate::error::{Error, Result};

/// Checks a dotted metric name such as `my.http.endpoints.MyImplHandler.latency`.
///
/// A name is one or more non-empty segments separated by `.`; it holds no whitespace and no
/// control characters. Any other Unicode is allowed here; each exporter maps names to what its
/// format accepts.
///
/// # Errors
/// [`Error::InvalidName`] saying what is wrong.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// assert!(metered_runtime::validate_name("a.b.c").is_ok());
/// let err = metered_runtime::validate_name("a..c").unwrap_err();
/// assert_eq!(err.to_string(), r#"invalid metric name "a..c": empty segment at byte 2"#);
/// ```
pub fn validate_name(name: &str) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("the name is empty".into());
    }
    if name.len() > 1024 {
        return bad(format!(
            "the name is {} bytes long; at most 1024 are allowed",
            name.len()
        ));
    }
    let mut segment_start = 0;
    for (i, c) in name.char_indices() {
        if c.is_control() {
            return bad(format!("control character {c:?} at byte {i}"));
        }
        if c.is_whitespace() {
            return bad(format!("whitespace {c:?} at byte {i}"));
        }
        if c == '.' {
            if i == segment_start {
                return bad(format!("empty segment at byte {i}"));
            }
            segment_start = i + 1;
        }
    }
    if segment_start == name.len() {
        return bad("the name ends with '.'".into());
    }
    Ok(())
}

/// Whether `a` and `b` collide in the nested view: one is a dotted prefix of the other.
pub(crate) fn overlaps(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.len() > short.len() && long.starts_with(short) && long.as_bytes()[short.len()] == b'.'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dotted_names() {
        for n in [
            "a",
            "a.b",
            "my.http.endpoints.MyImplHandler.latency",
            "ünï.cødé",
            "a_b-c:d",
        ] {
            assert_eq!(validate_name(n), Ok(()), "{n}");
        }
    }

    #[test]
    fn rejects_with_reason() {
        let cases = [
            ("", "the name is empty"),
            (".a", "empty segment at byte 0"),
            ("a.", "the name ends with '.'"),
            ("a..b", "empty segment at byte 2"),
            ("a b", "whitespace ' ' at byte 1"),
            ("a\u{7}b", "control character '\\u{7}' at byte 1"),
        ];
        for (n, reason) in cases {
            match validate_name(n) {
                Err(Error::InvalidName { reason: r, .. }) => assert_eq!(r, reason, "{n:?}"),
                other => panic!("{n:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn overlap_is_on_dot_boundaries_only() {
        assert!(overlaps("a.b", "a.b.c"));
        assert!(overlaps("a.b.c", "a.b"));
        assert!(!overlaps("a.b", "a.bc"));
        assert!(!overlaps("a.b", "a.b"));
    }
}
