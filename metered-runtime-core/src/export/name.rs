//! The one mapping from dotted metric names (and label keys) to exposition names.

/// Maps a dotted name (or a label key) to a Prometheus name, character by character:
///
/// - ASCII lower-case letters, digits and `_` stay as they are;
/// - an ASCII upper-case letter becomes lower case, with a `_` before it when it follows a
///   lower-case letter or a digit (`MyImplHandler` becomes `my_impl_handler`, `HTTPServer`
///   becomes `httpserver`), because Prometheus names are snake case;
/// - every other character (`.`, `-`, `:`, whitespace, any non-ASCII character) becomes `_`;
/// - a name that would start with a digit gets a leading `_`.
///
/// Unit and `_total` suffixes are added afterwards by the encoders (see the
/// [module docs](super)). Two names that map to the same result are reported as a clash, never
/// exported twice.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::export::exposition_name;
/// assert_eq!(exposition_name("my.http.endpoints.latency"), "my_http_endpoints_latency");
/// assert_eq!(exposition_name("Api.getUser-v2"), "api_get_user_v2");
/// assert_eq!(exposition_name("5xx.count"), "_5xx_count");
/// assert_eq!(exposition_name("temp.°c"), "temp__c");
/// ```
#[must_use]
pub fn exposition_name(dotted: &str) -> String {
    let mut out = String::with_capacity(dotted.len() + 1);
    push_exposition_name(&mut out, dotted);
    out
}

/// Appends [`exposition_name`]`(dotted)` to `out` without allocating.
pub(crate) fn push_exposition_name(out: &mut String, dotted: &str) {
    crate::name::exposition::sanitize(dotted, out);
}

/// Whether `key` is already its own exposition name (the common case: no work at render time).
pub(crate) fn is_plain(key: &str) -> bool {
    !key.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_class_of_character() {
        let cases = [
            ("a.b.c", "a_b_c"),
            ("a_b.c", "a_b_c"),
            ("MyImplHandler", "my_impl_handler"),
            ("v2Api", "v2_api"),
            ("HTTP", "http"),
            ("a:b-c d", "a_b_c_d"),
            ("9lives", "_9lives"),
            ("ünï", "_n_"),
            ("_x", "_x"),
        ];
        for (input, expected) in cases {
            assert_eq!(exposition_name(input), expected, "{input}");
        }
        assert!(is_plain("task_type"));
        assert!(!is_plain("taskType"));
        assert!(!is_plain("1a"));
    }
}
