//! Optional authentication, compared in constant time.

/// Who may read the endpoint.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// `Authorization: Basic <base64 of user:password>`.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        match self {
            Auth::Bearer(_) => f.write_str("Auth::Bearer(..)"),
            Auth::Basic { user, .. } => write!(f, "Auth::Basic {{ user: {user:?}, .. }}"),
        }
    }
}

impl Auth {
    /// The exact `Authorization` header value a request must carry.
    pub(crate) fn expected_header(&self) -> Vec<u8> {
        match self {
            Auth::Bearer(token) => format!("Bearer {token}").into_bytes(),
            Auth::Basic { user, password } => {
                metered_runtime_core::auth::basic_authorization(user, password).into_bytes()
            }
        }
    }

    /// The `WWW-Authenticate` challenge for a refused request.
    pub(crate) fn challenge(&self) -> &'static str {
        match self {
            Auth::Bearer(_) => "Bearer realm=\"metrics\"",
            Auth::Basic { .. } => "Basic realm=\"metrics\", charset=\"UTF-8\"",
        }
    }
}

/// Whether `given` equals `expected`, in time that depends on their lengths only, not on
/// where they first differ.
pub(crate) fn constant_time_eq(given: &[u8], expected: &[u8]) -> bool {
    let len = given.len().max(expected.len());
    let mut diff = u8::from(given.len() != expected.len());
    for i in 0..len {
        let a = given.get(i).copied().unwrap_or(0);
        let b = expected.get(i).copied().unwrap_or(0);
        diff |= a ^ b;
    }
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_is_the_rfc_7617_example() {
        let auth = Auth::Basic {
            user: "Aladdin".into(),
            password: "open sesame".into(),
        };
        assert_eq!(
            auth.expected_header(),
            b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn comparison() {
        assert!(constant_time_eq(b"Bearer abc", b"Bearer abc"));
        assert!(!constant_time_eq(b"Bearer abd", b"Bearer abc"));
        assert!(!constant_time_eq(b"Bearer ab", b"Bearer abc"));
        assert!(!constant_time_eq(b"", b"Bearer abc"));
        assert_eq!(
            format!("{:?}", Auth::Bearer("secret".into())),
            "Auth::Bearer(..)"
        );
    }
}
