// `FnGauge` metrics: a function evaluated at snapshot time, named by a free path, a path into a
// module, an associated function of the type, and in a set (where `Self` is the set); inline,
// applied and per instantiation. The set is `static`, so the gauge is built in `const`.
#![deny(warnings, clippy::pedantic)]

use metered_runtime::{FnGauge, HasMetrics, Metered, metric_set};

fn queue_depth() -> f64 {
    7.0
}

mod sensors {
    pub fn temperature() -> f64 {
        21.5
    }
}

#[derive(Metered)]
#[metrics(
    /// Jobs waiting.
    queue: FnGauge = "pass.fn_gauge.{}.queue" (value = queue_depth),
    temperature: FnGauge = "pass.fn_gauge.{}.temperature" (value = sensors::temperature, unit = "celsius"),
    ratio: FnGauge = "pass.fn_gauge.{}.ratio" (value = Inline::current_ratio, unit = "ratio", type_label),
    hits: Counter = "pass.fn_gauge.{}.hits",
)]
struct Inline;

impl Inline {
    fn current_ratio() -> f64 {
        0.25
    }
}

metric_set! {
    pub Pool {
        idle: FnGauge = "pass.fn_gauge.set.{}.idle" (value = Self::idle),
        busy: FnGauge = "pass.fn_gauge.set.{}.busy" (value = crate::queue_depth),
    }
}

impl Pool {
    fn idle() -> f64 {
        3.0
    }
}

#[derive(Metered)]
#[metrics(set = Pool)]
struct Applied;

#[derive(Metered)]
#[metrics(per_instantiation, depth: FnGauge = "pass.fn_gauge.{}.depth" (value = queue_depth))]
struct PerType<T>(T);

fn main() {
    let g: &'static FnGauge = Inline::queue();
    assert_eq!(g.get(), Ok(7.0));
    assert_eq!(Inline::temperature().get(), Ok(21.5));
    assert_eq!(Inline::ratio().get(), Ok(0.25));
    Inline::hits().inc();

    let set = Applied::metric_set();
    assert_eq!(set.idle.get(), Ok(3.0));
    assert_eq!(set.busy.get(), Ok(7.0));

    assert_eq!(PerType::<u8>::depth().get(), Ok(7.0));
    assert_eq!(PerType::<u16>::depth().get(), Ok(7.0));
    let _ = PerType(0).0;
}
