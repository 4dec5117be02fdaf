//! The `Authorization: Basic` header value, shared by the push sinks that send it and the
//! endpoint that checks it.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::auth::basic_authorization;
//! assert_eq!(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
//! ```

/// The value of an `Authorization` header for HTTP Basic authentication (RFC 7617):
/// `Basic ` and the base64 of `user:password`.
#[must_use]
pub fn basic_authorization(user: &str, password: &str) -> String {
    let mut out = String::from("Basic ");
    base64_into(format!("{user}:{password}").as_bytes(), &mut out);
    out
}

/// Appends standard base64 with padding (RFC 4648) of `input` to `out`.
fn base64_into(input: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64(input: &[u8]) -> String {
        let mut out = String::new();
        base64_into(input, &mut out);
        out
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
