//! What the macros generate code against: metric sets applied to types, and how the return
//! value of an instrumented call is classified as an error.

/// A type that owns an instance of the metric set `S`, made by `#[derive(Metered)]` with
/// `#[metrics(set = S)]` (see `metered_runtime::metric_set!` for the whole pattern, with a trait
/// whose default methods record into the implementing type's metrics).
///
/// Each type that applies a set gets its own `static` instance with its own names. Written by
/// hand, an implementation is a `static` per type:
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{HasMetrics, Timer};
///
/// struct Endpoint { latency: Timer }
///
/// trait Handler: HasMetrics<Endpoint> {
///     fn get(&self) -> u32 {
///         let _t = self.metrics().latency.time();
///         self.get_impl()
///     }
///     fn get_impl(&self) -> u32;
/// }
///
/// struct Users;
/// static USERS: Endpoint = Endpoint { latency: Timer::new() };
/// impl HasMetrics<Endpoint> for Users {
///     fn metric_set() -> &'static Endpoint { &USERS }
///     fn metrics(&self) -> &'static Endpoint { &USERS }
/// }
/// impl Handler for Users {
///     fn get_impl(&self) -> u32 { 7 }
/// }
///
/// assert_eq!(Users.get(), 7);
/// assert_eq!(Users::metric_set().latency.count(), 1);
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
/// # extern crate metered_runtime_core as metered_runtime;
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
