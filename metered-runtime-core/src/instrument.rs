//! What an instrumented call (`#[metered]`) runs: the guard that times it, counts it in flight
//! and marks its errors, and how its return value is classified as an error.

use crate::metric::meter::Meter;
use crate::metric::timer::{Timer, TimerGuard};
use crate::metric::up_down::{UpDownCounter, UpDownGuard};

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

/// Held for the duration of an instrumented call: times it, counts it in flight, and marks the
/// error meter for an error result or a panic. A future dropped before completion is timed and
/// leaves the in-flight count, and is not an error.
#[must_use]
#[derive(Debug)]
pub struct Call<'a> {
    _timer: TimerGuard<'a>,
    _in_flight: UpDownGuard<'a>,
    errors: &'a Meter,
    finished: bool,
}

impl<'a> Call<'a> {
    /// Starts timing a call and counts it in flight.
    #[inline]
    pub fn start(timer: &'a Timer, in_flight: &'a UpDownCounter, errors: &'a Meter) -> Self {
        Call {
            _in_flight: in_flight.track(),
            _timer: timer.time(),
            errors,
            finished: false,
        }
    }

    /// Ends a call that returned; `is_error` marks the error meter.
    #[inline]
    pub fn finish(mut self, is_error: bool) {
        if is_error {
            self.errors.mark();
        }
        self.finished = true;
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if !self.finished && std::thread::panicking() {
            self.errors.mark();
        }
    }
}

/// Runs the body of an instrumented sync fn as a closure, so `return` and `?` land here.
#[inline]
pub fn call<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Classification by autoref: [`Classify`] if the type implements it, else never an error.
/// The generated code calls `Probe(&ret).__metered_is_error()` with both traits in scope; method
/// resolution picks [`ProbeClassify`] when it applies, [`ProbeDefault`] (one autoref further)
/// otherwise.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> std::fmt::Debug for Probe<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

/// The classification of a return type that implements [`Classify`].
pub trait ProbeClassify {
    /// What [`Classify::is_error`] says.
    fn __metered_is_error(&self) -> bool;
}

impl<T: Classify + ?Sized> ProbeClassify for Probe<'_, T> {
    #[inline]
    fn __metered_is_error(&self) -> bool {
        self.0.is_error()
    }
}

/// The classification of any other return type: never an error.
pub trait ProbeDefault {
    /// Always `false`.
    fn __metered_is_error(&self) -> bool;
}

impl<T: ?Sized> ProbeDefault for &Probe<'_, T> {
    #[inline]
    fn __metered_is_error(&self) -> bool {
        false
    }
}
