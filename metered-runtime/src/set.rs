//! What the macros generate code against: metric sets applied to types, and how the return
//! value of an instrumented call is classified as an error.

/// A type that owns an instance of the metric set `S`, made by `#[derive(Metered)]` with
/// `#[metrics(set = S)]`.
///
/// Each type that applies a set gets its own `static` instance with its own names, so a trait's
/// default method can record into the implementing type's metrics:
///
/// ```
/// use metered_runtime::{HasMetrics, Metered, metric_set};
///
/// metric_set! {
///     pub HttpEndpoint {
///         /// Time spent handling a request.
///         latency: Timer = "doc.has_metrics.{}.latency",
///     }
/// }
///
/// trait Endpoint: HasMetrics<HttpEndpoint> {
///     fn get(&self) -> u32 {
///         let _t = self.metrics().latency.time();
///         self.get_impl()
///     }
///     fn get_impl(&self) -> u32;
/// }
///
/// #[derive(Metered)]
/// #[metrics(set = HttpEndpoint)]
/// struct Users;
/// impl Endpoint for Users {
///     fn get_impl(&self) -> u32 { 7 }
/// }
///
/// assert_eq!(Users.get(), 7);
/// assert_eq!(Users::metric_set().latency.count(), 1);
/// assert_eq!(Users::metric_names(), ["doc.has_metrics.Users.latency"]);
/// ```
pub trait HasMetrics<S: 'static> {
    /// This type's instance of the set.
    fn metric_set() -> &'static S
    where
        Self: Sized;

    /// This type's instance of the set, from a value (usable in trait default methods and
    /// through `dyn` references).
    fn metrics(&self) -> &'static S;
}

/// Tells whether the return value of a `#[metered]` call is an error, to mark the call's error
/// meter. Implemented for `Result` (`Err`); implement it for your own return types. Calls
/// returning a type without an implementation are never errors (a panic always is). `Option` is
/// deliberately not an error type: a lookup that finds nothing has not failed; where `None` does
/// mean failure, say so with `#[metered(error = Option::is_none)]`.
///
/// ```
/// use metered_runtime::Classify;
/// struct Status(u16);
/// impl Classify for Status {
///     fn is_error(&self) -> bool { self.0 >= 500 }
/// }
/// assert!(Status(503).is_error());
/// assert!(Err::<(), ()>(()).is_error());
/// assert!(!Ok::<(), ()>(()).is_error());
/// ```
pub trait Classify {
    /// Whether the value reports a failure.
    fn is_error(&self) -> bool;
}

impl<T, E> Classify for Result<T, E> {
    fn is_error(&self) -> bool {
        self.is_err()
    }
}

impl<T: Classify + ?Sized> Classify for &T {
    fn is_error(&self) -> bool {
        (**self).is_error()
    }
}

impl<T: Classify + ?Sized> Classify for Box<T> {
    fn is_error(&self) -> bool {
        (**self).is_error()
    }
}
