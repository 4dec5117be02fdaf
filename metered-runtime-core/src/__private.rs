//! Used by the code the macros generate. Not public API: it changes without notice.
#![doc(hidden)]
#![allow(
    missing_docs,
    missing_debug_implementations,
    clippy::missing_panics_doc
)]

pub use crate::descriptor::{Descriptor, Location, Registration, StaticMetric, TypeLabel};
pub use crate::metric::Unit;
pub use crate::metric::counter::Counter;
pub use crate::metric::gauge::{FloatGauge, FnGauge, Gauge};
pub use crate::metric::histogram::{Histogram, HistogramConfig};
pub use crate::metric::meter::Meter;
pub use crate::metric::timer::{Timer, TimerGuard};
pub use crate::metric::up_down::UpDownCounter;
pub use crate::set::{Classify, HasMetrics};
pub use ::core;
pub use ::std;
pub use inventory;
pub use inventory::submit;

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

/// What `inventory` collects for a group of metrics declared together (a metric set applied to
/// a type, or the three metrics of a `#[metered]` call), in declaration order.
#[derive(Debug)]
pub struct Registrations(pub &'static [Descriptor]);

inventory::collect!(Registrations);

// ---------------------------------------------------------------------------------------------
// Names rendered at compile time.
//
// A template is split by the macro into pieces. Type names and `{type_snake}` are known at the
// application site, `module_path!()` only as a string literal inside the expansion, so names are
// rendered by `const` evaluation into a `static [u8; N]` (N computed by `rendered_len`), with
// `::` of the module path mapped to `.`. Nothing is formatted at run time.

/// One piece of a name template.
#[derive(Debug, Clone, Copy)]
pub enum Piece {
    /// Literal text.
    Lit(&'static str),
    /// `{}` or `{type}`: the type's name.
    Type,
    /// `{type_snake}`: the type's name in `snake_case`.
    TypeSnake,
    /// `{module}`: `module_path!()` of the application site, `::` mapped to `.`.
    Module,
}

/// One metric of a group, as the macros describe it.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The name template.
    pub name: &'static [Piece],
    /// The name template without the type's segment; empty if no type label was asked for.
    pub family: &'static [Piece],
    /// The type label's key.
    pub type_key: &'static str,
    /// Help text.
    pub help: &'static str,
    /// Unit, if one was given (a timer's is seconds regardless).
    pub unit: Option<Unit>,
}

/// What the pieces are rendered with.
#[derive(Debug, Clone, Copy)]
pub struct Cx {
    pub ty: &'static str,
    pub ty_snake: &'static str,
    pub module: &'static str,
}

const fn module_len(m: &str) -> usize {
    let b = m.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if i + 1 < b.len() && b[i] == b':' && b[i + 1] == b':' {
            i += 2;
        } else {
            i += 1;
        }
        n += 1;
    }
    n
}

const fn pieces_len(pieces: &[Piece], cx: &Cx) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < pieces.len() {
        n += match pieces[i] {
            Piece::Lit(s) => s.len(),
            Piece::Type => cx.ty.len(),
            Piece::TypeSnake => cx.ty_snake.len(),
            Piece::Module => module_len(cx.module),
        };
        i += 1;
    }
    n
}

/// String `k` of a group: the name of metric `k / 2` if `k` is even, its family if odd.
const fn string_pieces(specs: &[Spec], k: usize) -> &'static [Piece] {
    if k.is_multiple_of(2) {
        specs[k / 2].name
    } else {
        specs[k / 2].family
    }
}

/// Bytes needed for every name and family of `specs`.
#[must_use]
pub const fn rendered_len(specs: &[Spec], cx: &Cx) -> usize {
    let mut k = 0;
    let mut n = 0;
    while k < specs.len() * 2 {
        n += pieces_len(string_pieces(specs, k), cx);
        k += 1;
    }
    n
}

const fn copy<const N: usize>(buf: &mut [u8; N], mut at: usize, s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        buf[at] = s[i];
        at += 1;
        i += 1;
    }
    at
}

/// Every name and family of `specs`, back to back.
#[must_use]
pub const fn render<const N: usize>(specs: &[Spec], cx: &Cx) -> [u8; N] {
    let mut buf = [0u8; N];
    let mut at = 0;
    let mut k = 0;
    while k < specs.len() * 2 {
        let pieces = string_pieces(specs, k);
        let mut i = 0;
        while i < pieces.len() {
            at = match pieces[i] {
                Piece::Lit(s) => copy(&mut buf, at, s.as_bytes()),
                Piece::Type => copy(&mut buf, at, cx.ty.as_bytes()),
                Piece::TypeSnake => copy(&mut buf, at, cx.ty_snake.as_bytes()),
                Piece::Module => {
                    let m = cx.module.as_bytes();
                    let mut j = 0;
                    while j < m.len() {
                        if j + 1 < m.len() && m[j] == b':' && m[j + 1] == b':' {
                            buf[at] = b'.';
                            j += 2;
                        } else {
                            buf[at] = m[j];
                            j += 1;
                        }
                        at += 1;
                    }
                    at
                }
            };
            i += 1;
        }
        k += 1;
    }
    buf
}

/// String `k` (the name of metric `k / 2`, or its family if `k` is odd) out of the buffer.
#[must_use]
pub const fn string_at(buf: &'static [u8], specs: &[Spec], cx: &Cx, k: usize) -> &'static str {
    let mut start = 0;
    let mut j = 0;
    while j < k {
        start += pieces_len(string_pieces(specs, j), cx);
        j += 1;
    }
    let len = pieces_len(string_pieces(specs, k), cx);
    let (_, rest) = buf.split_at(start);
    let (bytes, _) = rest.split_at(len);
    match ::core::str::from_utf8(bytes) {
        Ok(s) => s,
        // Pieces are whole `str`s and `::` is ASCII, so every boundary is a char boundary.
        Err(_) => panic!("metered: a rendered name is not UTF-8"),
    }
}

/// The `N` names of a group, in declaration order.
#[must_use]
pub const fn names<const N: usize>(
    buf: &'static [u8],
    specs: &[Spec],
    cx: &Cx,
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = string_at(buf, specs, cx, 2 * i);
        i += 1;
    }
    out
}

/// The descriptor of metric `i` of a group.
#[must_use]
pub const fn descriptor(
    metric: StaticMetric,
    specs: &[Spec],
    i: usize,
    buf: &'static [u8],
    cx: &Cx,
    file: &'static str,
    line: u32,
) -> Descriptor {
    let spec = &specs[i];
    let mut d = Descriptor::new(string_at(buf, specs, cx, 2 * i), metric).help(spec.help);
    if let Some(unit) = spec.unit {
        d = d.unit(unit);
    }
    if !spec.family.is_empty() {
        d = d.type_label(TypeLabel {
            family: string_at(buf, specs, cx, 2 * i + 1),
            key: spec.type_key,
            value: cx.ty,
        });
    }
    d.location(cx.module, file, line)
}

// ---------------------------------------------------------------------------------------------
// Metric sets, and per-instantiation instances created at run time.

/// Implemented by every metric set (`metric_set!` and the hidden set of an inline derive).
pub trait SetDef: Sized + Send + Sync + 'static {
    /// The metrics, in declaration order.
    const SPECS: &'static [Spec];
    /// A new instance, every metric at zero.
    fn fresh() -> Self;
    /// Metric `i` of this instance.
    fn metric(&'static self, i: usize) -> StaticMetric;
}

/// The instances of one set per concrete type, for `per_instantiation`.
pub struct PerType(RwLock<BTreeMap<TypeId, &'static (dyn Any + Send + Sync)>>);

/// One concrete type's instance of a set, with its names in declaration order.
pub struct Instance<S> {
    pub set: S,
    pub names: &'static [&'static str],
}

impl PerType {
    #[must_use]
    pub const fn new() -> Self {
        PerType(RwLock::new(BTreeMap::new()))
    }
}

impl Default for PerType {
    fn default() -> Self {
        Self::new()
    }
}

/// The instance of `S` for the concrete type `T`: created, named after `type_name::<T>()` (paths
/// removed) and registered on the first call for `T`; afterwards one read lock and one map
/// look-up. The instance and its names are leaked: once per type and set.
pub fn per_type<S: SetDef, T: ?Sized + 'static>(
    cache: &'static PerType,
    module: &'static str,
    file: &'static str,
    line: u32,
) -> &'static Instance<S> {
    let id = TypeId::of::<T>();
    let found = |m: &BTreeMap<TypeId, &'static (dyn Any + Send + Sync)>| {
        m.get(&id).and_then(|a| a.downcast_ref::<Instance<S>>())
    };
    if let Some(s) = found(&cache.0.read().unwrap_or_else(PoisonError::into_inner)) {
        return s;
    }
    let mut map = cache.0.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(s) = found(&map) {
        return s;
    }
    let ty: &'static str = short_type_name(std::any::type_name::<T>()).leak();
    let snake = snake_case(ty);
    let module_dotted = module.replace("::", ".");
    let render = |pieces: &[Piece]| -> &'static str {
        let mut s = String::new();
        for p in pieces {
            match p {
                Piece::Lit(l) => s.push_str(l),
                Piece::Type => s.push_str(ty),
                Piece::TypeSnake => s.push_str(&snake),
                Piece::Module => s.push_str(&module_dotted),
            }
        }
        s.leak()
    };
    let names: Vec<&'static str> = S::SPECS.iter().map(|spec| render(spec.name)).collect();
    let instance: &'static Instance<S> = Box::leak(Box::new(Instance {
        set: S::fresh(),
        names: names.leak(),
    }));
    for (i, spec) in S::SPECS.iter().enumerate() {
        let mut d = Descriptor::new(instance.names[i], instance.set.metric(i)).help(spec.help);
        if let Some(unit) = spec.unit {
            d = d.unit(unit);
        }
        if !spec.family.is_empty() {
            d = d.type_label(TypeLabel {
                family: render(spec.family),
                key: spec.type_key,
                value: ty,
            });
        }
        let d: &'static Descriptor = Box::leak(Box::new(d.location(module, file, line)));
        // A clash is reported by `self_check().problems`; the instance still records.
        crate::registry().register_or_note(d);
    }
    map.insert(id, instance);
    instance
}

/// `type_name` without module paths and spaces: `alloc::vec::Vec<u8>` gives `Vec<u8>`.
#[must_use]
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut seg_start = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.truncate(seg_start);
            }
            ' ' => {
                if !out.ends_with(',') && !out.ends_with(';') {
                    out.push('_');
                }
                seg_start = out.len();
            }
            c if c.is_alphanumeric() || c == '_' => out.push(c),
            c => {
                out.push(c);
                seg_start = out.len();
            }
        }
    }
    out
}

/// `MyHTTPHandler` gives `my_http_handler` (the macros use the same rule).
#[must_use]
pub fn snake_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// `#[metered]` calls.

/// Held for the duration of an instrumented call: times it, counts it in flight, and marks the
/// error meter for an error result or a panic. A future dropped before completion is timed and
/// leaves the in-flight count, and is not an error.
#[must_use]
pub struct Call<'a> {
    _timer: TimerGuard<'a>,
    _in_flight: crate::metric::up_down::UpDownGuard<'a>,
    errors: &'a Meter,
    finished: bool,
}

impl<'a> Call<'a> {
    #[inline]
    pub fn start(timer: &'a Timer, in_flight: &'a UpDownCounter, errors: &'a Meter) -> Self {
        Call {
            _in_flight: in_flight.track(),
            _timer: timer.time(),
            errors,
            finished: false,
        }
    }

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
pub struct Probe<'a, T: ?Sized>(pub &'a T);

pub trait ProbeClassify {
    fn __metered_is_error(&self) -> bool;
}

impl<T: Classify + ?Sized> ProbeClassify for Probe<'_, T> {
    #[inline]
    fn __metered_is_error(&self) -> bool {
        self.0.is_error()
    }
}

pub trait ProbeDefault {
    fn __metered_is_error(&self) -> bool;
}

impl<T: ?Sized> ProbeDefault for &Probe<'_, T> {
    #[inline]
    fn __metered_is_error(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names() {
        assert_eq!(
            short_type_name("a::b::Foo<alloc::string::String, u8>"),
            "Foo<String,u8>"
        );
        assert_eq!(short_type_name("&mut a::B"), "&mut_B");
        assert_eq!(short_type_name("(u8, a::C)"), "(u8,C)");
    }

    #[test]
    fn snake() {
        assert_eq!(snake_case("MyImplHandler"), "my_impl_handler");
        assert_eq!(snake_case("HTTPServer2Go"), "http_server2_go");
        assert_eq!(snake_case("Foo<Bar>"), "foo<bar>");
    }

    #[test]
    fn const_rendering() {
        const SPECS: &[Spec] = &[
            Spec {
                name: &[
                    Piece::Lit("a."),
                    Piece::Module,
                    Piece::Lit("."),
                    Piece::Type,
                ],
                family: &[Piece::Lit("a."), Piece::Module],
                type_key: "type",
                help: "",
                unit: None,
            },
            Spec {
                name: &[Piece::TypeSnake, Piece::Lit(".x")],
                family: &[],
                type_key: "",
                help: "",
                unit: None,
            },
        ];
        const CX: Cx = Cx {
            ty: "MyT",
            ty_snake: "my_t",
            module: "k::m",
        };
        const LEN: usize = rendered_len(SPECS, &CX);
        static BUF: [u8; LEN] = render(SPECS, &CX);
        static NAMES: [&str; 2] = names(&BUF, SPECS, &CX);
        assert_eq!(NAMES, ["a.k.m.MyT", "my_t.x"]);
        assert_eq!(string_at(&BUF, SPECS, &CX, 1), "a.k.m");
    }
}
