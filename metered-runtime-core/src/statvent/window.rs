//! statvent's `record(name, value)`: the latest values of each name in a window, reported as
//! function gauges named from a template.

use crate::error::{Error, Result};
use crate::name::validate_name;
use crate::registry::{Registry, registry};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// The window size a name gets unless [`Recorder::set_window`] says otherwise: statvent's 100.
pub const DEFAULT_WINDOW: usize = 100;

/// The statistics [`Recorder::record`] reports, in this order, as the template's `{0}`.
pub const LABELS: [&str; 5] = ["median", "95th", "99th", "100th", "mean"];

/// The statistics of one window.
///
/// Quantiles are statvent's: of the `n` values sorted, the p-th percentile is the value at
/// index `floor(n * p / 100) - 1` (the first one when that is below 0), so `100th` is the
/// largest, and `median` of `[1, 2, 3, 4]` is `2`. `mean` is the plain average.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// The 50th percentile.
    pub median: f64,
    /// The 95th percentile.
    pub p95: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The largest value.
    pub p100: f64,
    /// The average.
    pub mean: f64,
    /// How many values the window holds.
    pub len: usize,
}

impl WindowStats {
    fn of(values: &VecDeque<f64>) -> Option<WindowStats> {
        if values.is_empty() {
            return None;
        }
        let mut sorted: Vec<f64> = values.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let at = |p: usize| sorted[(n * p / 100).saturating_sub(1).min(n - 1)];
        #[allow(
            clippy::cast_precision_loss,
            reason = "a window holds far fewer than 2^52 values"
        )]
        let mean = sorted.iter().sum::<f64>() / n as f64;
        Some(WindowStats {
            median: at(50),
            p95: at(95),
            p99: at(99),
            p100: at(100),
            mean,
            len: n,
        })
    }

    fn by_label(&self, i: usize) -> f64 {
        [self.median, self.p95, self.p99, self.p100, self.mean][i]
    }
}

#[derive(Debug)]
struct Window {
    values: Mutex<VecDeque<f64>>,
    size: std::sync::atomic::AtomicUsize,
}

impl Window {
    fn push(&self, v: f64) {
        let size = self.size.load(std::sync::atomic::Ordering::Relaxed);
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        while values.len() >= size {
            values.pop_front();
        }
        values.push_back(v);
    }

    fn resize(&self, size: usize) {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        self.size.store(size, std::sync::atomic::Ordering::Relaxed);
        while values.len() > size {
            values.pop_front();
        }
    }

    fn stats(&self) -> Option<WindowStats> {
        WindowStats::of(&self.values.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// How a name's statistics are named.
type Format = fn(&str, &str) -> String;

#[derive(Debug, Default)]
struct State {
    windows: HashMap<String, Arc<Window>>,
    /// Sizes asked for before first use.
    sizes: HashMap<String, usize>,
}

/// Windows of recent values, one per name, reported through function gauges of a registry.
///
/// [`record`](Self::record)`(name, v)` appends `v` to the window of `name` (the latest
/// [`DEFAULT_WINDOW`] values unless [`set_window`](Self::set_window) says otherwise). On a
/// name's first use, five function gauges are registered, named by rendering `name` with each
/// of [`LABELS`] for its `{0}`: `median`, `95th`, `99th`, `100th` and `mean`, computed from the
/// window at each snapshot (see [`WindowStats`]). Every exporter then reports them: the
/// statvent text form, JSON, Prometheus.
///
/// Unlike statvent, a window's size can be changed at any time, before or after first use;
/// shrinking keeps the newest values.
///
/// Cost: a record takes a read lock on the name table and the window's mutex (no allocation
/// once the window is full). For a hot path, hold a [`metered_runtime::Histogram`](crate::Histogram)
/// instead: it is lock-free and its quantiles cover a time window.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, statvent::Recorder};
/// let registry = Registry::new();
/// let recorder = Recorder::new(&registry);
/// recorder.set_window("jobs.{0}.seconds", 3)?;
/// for v in [9.0, 1.0, 2.0, 3.0] {
///     recorder.record("jobs.{0}.seconds", v)?; // keeps 1, 2, 3
/// }
/// let text = metered_runtime::statvent::text::encode(&registry.snapshot());
/// assert_eq!(text, "jobs.100th.seconds: 3.000000\njobs.95th.seconds: 2.000000\n\
///                   jobs.99th.seconds: 2.000000\njobs.mean.seconds: 2.000000\n\
///                   jobs.median.seconds: 1.000000\n");
///
/// let err = recorder.record("jobs.seconds", 1.0).unwrap_err();
/// assert!(err.to_string().contains("no `{0}`"));
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct Recorder<'r> {
    registry: &'r Registry,
    default_window: usize,
    state: RwLock<State>,
}

impl<'r> Recorder<'r> {
    /// A recorder registering its gauges in `registry`, windows of [`DEFAULT_WINDOW`] values.
    #[must_use]
    pub fn new(registry: &'r Registry) -> Self {
        Recorder {
            registry,
            default_window: DEFAULT_WINDOW,
            state: RwLock::new(State::default()),
        }
    }

    /// A recorder whose windows hold `size` values unless told otherwise.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a size of 0.
    pub fn with_window(registry: &'r Registry, size: usize) -> Result<Self> {
        check_size(size)?;
        Ok(Recorder {
            default_window: size,
            ..Recorder::new(registry)
        })
    }

    /// Appends `v` to the window of `name`, a template holding `{0}` where the statistic goes
    /// (`{{` and `}}` are literal braces), creating the window and its gauges on first use.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for NaN or an infinity; [`Error::InvalidName`] for a template
    /// without `{0}`, with another placeholder or an unmatched brace, or whose rendered names
    /// are not valid metric names; the registry's errors (a rendered name registered already as
    /// another metric).
    pub fn record(&self, name: &str, v: f64) -> Result<()> {
        self.append(name, v, render_template, true)
    }

    /// As [`record`](Self::record), the names of the statistics made by `format(name, label)`
    /// instead of from a template (statvent's `format_func`), for names where braces mean
    /// something else. The function of a name's first use stays.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{Registry, statvent::Recorder};
    /// let registry = Registry::new();
    /// let recorder = Recorder::new(&registry);
    /// recorder.record_with("db", 2.0, |name, label| format!("{name}.latency.{label}"))?;
    /// assert!(registry.get("db.latency.95th").is_some());
    /// # Ok::<(), metered_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`record`](Self::record); the template rules do not apply.
    pub fn record_with(&self, name: &str, v: f64, format: Format) -> Result<()> {
        self.append(name, v, format, false)
    }

    fn append(&self, name: &str, v: f64, format: Format, template: bool) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::InvalidValue {
                what: format!("statvent record {name:?}"),
                value: v.to_string(),
            });
        }
        if let Some(w) = self
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .windows
            .get(name)
        {
            w.push(v);
            return Ok(());
        }
        let window = self.create(name, format, template)?;
        window.push(v);
        Ok(())
    }

    fn create(&self, name: &str, format: Format, template: bool) -> Result<Arc<Window>> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = state.windows.get(name) {
            return Ok(Arc::clone(w));
        }
        if template {
            check_template(name)?;
        }
        let rendered: Vec<String> = LABELS.iter().map(|l| format(name, l)).collect();
        for (i, r) in rendered.iter().enumerate() {
            validate_name(r)?;
            if rendered[..i].contains(r) {
                return Err(Error::InvalidName {
                    name: name.to_owned(),
                    reason: format!("two statistics are both named {r:?}"),
                });
            }
            if self.registry.get(r).is_some() {
                return Err(Error::InvalidName {
                    name: r.clone(),
                    reason: format!("the name is registered already (recording {name:?})"),
                });
            }
        }
        let size = state.sizes.remove(name).unwrap_or(self.default_window);
        let window = Arc::new(Window {
            values: Mutex::new(VecDeque::with_capacity(size.min(4096))),
            size: std::sync::atomic::AtomicUsize::new(size),
        });
        for (i, r) in rendered.iter().enumerate() {
            let w = Arc::clone(&window);
            self.registry
                .fn_gauge(r, move || w.stats().map_or(0.0, |s| s.by_label(i)))?;
        }
        state.windows.insert(name.to_owned(), Arc::clone(&window));
        Ok(window)
    }

    /// Sets the window of `name` to its latest `size` values, now (dropping the oldest) or, for
    /// a name not recorded yet, from its first use.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a size of 0.
    pub fn set_window(&self, name: &str, size: usize) -> Result<()> {
        check_size(size)?;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(w) = state.windows.get(name) {
            w.resize(size);
        } else {
            state.sizes.insert(name.to_owned(), size);
        }
        Ok(())
    }

    /// The statistics of `name`'s window now, if it was recorded.
    #[must_use]
    pub fn stats(&self, name: &str) -> Option<WindowStats> {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .windows
            .get(name)?
            .stats()
    }
}

fn check_size(size: usize) -> Result<()> {
    if size == 0 {
        return Err(Error::InvalidConfig {
            reason: "a statvent record window must hold at least 1 value".into(),
        });
    }
    Ok(())
}

/// Checks a `record` template: `{0}` at least once, `{{`/`}}` escapes, nothing else in braces.
fn check_template(template: &str) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::InvalidName {
            name: template.to_owned(),
            reason,
        })
    };
    let mut placeholders = 0;
    let mut rest = template;
    let mut at = 0;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        let step = if tail.starts_with("{{") || tail.starts_with("}}") {
            2
        } else if tail.starts_with("{0}") {
            placeholders += 1;
            3
        } else if tail.starts_with('}') {
            return bad(format!("unmatched `}}` at byte {}", at + i));
        } else {
            let shown = tail.find('}').map_or(tail, |end| &tail[..=end]);
            return bad(format!(
                "`{shown}` at byte {}: a record template takes only `{{0}}` (and `{{{{`, `}}}}` for braces)",
                at + i
            ));
        };
        rest = &tail[step..];
        at += i + step;
    }
    if placeholders == 0 {
        return bad(format!(
            "no `{{0}}` in the record template, where the statistic ({}) goes",
            LABELS.join(", ")
        ));
    }
    Ok(())
}

/// Renders a template checked by [`check_template`] (an unchecked one renders as best it can).
fn render_template(template: &str, label: &str) -> String {
    template
        .replace("{0}", "\u{0}")
        .replace("{{", "{")
        .replace("}}", "}")
        .replace('\u{0}', label)
}

/// The recorder of the global [`registry`](crate::registry()), for [`record`] and
/// [`set_window`].
pub fn global() -> &'static Recorder<'static> {
    static GLOBAL: OnceLock<Recorder<'static>> = OnceLock::new();
    GLOBAL.get_or_init(|| Recorder::new(registry()))
}

/// statvent's `record(name, value)` on the global registry: see [`Recorder::record`].
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::statvent;
/// statvent::set_window("doc.record.{0}", 10)?;
/// for v in 1..=20 {
///     statvent::record("doc.record.{0}", f64::from(v))?; // the window keeps 11..=20
/// }
/// let s = statvent::global().stats("doc.record.{0}").unwrap();
/// assert_eq!((s.median, s.p95, s.p100, s.mean, s.len), (15.0, 19.0, 20.0, 15.5, 10));
/// # Ok::<(), metered_runtime::Error>(())
/// ```
///
/// # Errors
/// As [`Recorder::record`].
pub fn record(name: &str, v: f64) -> Result<()> {
    global().record(name, v)
}

/// Sets the window of a global [`record`] name: see [`Recorder::set_window`].
///
/// # Errors
/// As [`Recorder::set_window`].
pub fn set_window(name: &str, size: usize) -> Result<()> {
    global().set_window(name, size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::Value;

    #[test]
    fn statvent_percentiles() {
        let w = |vals: &[f64]| WindowStats::of(&vals.iter().copied().collect()).unwrap();
        let s = w(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!(
            (s.median, s.p95, s.p99, s.p100, s.mean),
            (2.0, 3.0, 3.0, 4.0, 2.5)
        );
        let s = w(&[7.0]);
        assert_eq!(
            (s.median, s.p95, s.p99, s.p100, s.mean),
            (7.0, 7.0, 7.0, 7.0, 7.0)
        );
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = w(&hundred);
        assert_eq!(
            (s.median, s.p95, s.p99, s.p100, s.mean),
            (50.0, 95.0, 99.0, 100.0, 50.5)
        );
        assert!(WindowStats::of(&VecDeque::new()).is_none());
    }

    #[test]
    fn the_window_slides_and_resizes_after_first_use() {
        let r = Registry::new();
        let rec = Recorder::new(&r);
        for v in 1..=150 {
            rec.record("w.{0}", f64::from(v)).unwrap();
        }
        // The default window keeps the latest 100: 51..=150.
        let s = rec.stats("w.{0}").unwrap();
        assert_eq!(
            (s.len, s.median, s.p100, s.mean),
            (100, 100.0, 150.0, 100.5)
        );
        rec.set_window("w.{0}", 4).unwrap();
        let s = rec.stats("w.{0}").unwrap();
        assert_eq!((s.len, s.median, s.p100), (4, 148.0, 150.0));
        rec.record("w.{0}", 1.0).unwrap();
        let s = rec.stats("w.{0}").unwrap();
        assert_eq!((s.len, s.median, s.p100, s.mean), (4, 148.0, 150.0, 112.0));
        rec.set_window("w.{0}", 6).unwrap();
        for v in [2.0, 3.0] {
            rec.record("w.{0}", v).unwrap();
        }
        assert_eq!(rec.stats("w.{0}").unwrap().len, 6);
        let snap = r.snapshot();
        assert_eq!(snap.get("w.median").unwrap().value, Value::FloatGauge(3.0));
        assert_eq!(snap.get("w.100th").unwrap().value, Value::FloatGauge(150.0));
        let names: Vec<&str> = snap.metrics().iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["w.100th", "w.95th", "w.99th", "w.mean", "w.median"]);
    }

    #[test]
    fn per_metric_windows_and_default_size() {
        let r = Registry::new();
        let rec = Recorder::with_window(&r, 2).unwrap();
        rec.set_window("b.{0}", 3).unwrap();
        for v in [1.0, 2.0, 3.0, 4.0] {
            rec.record("a.{0}", v).unwrap();
            rec.record("b.{0}", v).unwrap();
        }
        assert_eq!(rec.stats("a.{0}").unwrap().mean, 3.5);
        assert_eq!(rec.stats("b.{0}").unwrap().mean, 3.0);
        assert!(rec.stats("c.{0}").is_none());
    }

    #[test]
    fn templates_render_and_bad_ones_are_errors() {
        assert_eq!(render_template("a{{x}}.{0}.{0}", "mean"), "a{x}.mean.mean");
        let r = Registry::new();
        let rec = Recorder::new(&r);
        rec.record("foo->baz->{0}", 1.0).unwrap();
        assert!(r.get("foo->baz->99th").is_some());
        let msg = |t: &str| rec.record(t, 1.0).unwrap_err().to_string();
        assert_eq!(
            msg("plain"),
            "invalid metric name \"plain\": no `{0}` in the record template, where the \
             statistic (median, 95th, 99th, 100th, mean) goes"
        );
        assert_eq!(
            msg("a.{1}.b"),
            "invalid metric name \"a.{1}.b\": `{1}` at byte 2: a record template takes only \
             `{0}` (and `{{`, `}}` for braces)"
        );
        assert_eq!(
            msg("a.{0}}"),
            "invalid metric name \"a.{0}}\": unmatched `}` at byte 5"
        );
        assert_eq!(
            msg("a b.{0}"),
            "invalid metric name \"a b.median\": whitespace ' ' at byte 1"
        );
        r.counter("taken.median").unwrap();
        assert_eq!(
            msg("taken.{0}"),
            "invalid metric name \"taken.median\": the name is registered already (recording \"taken.{0}\")"
        );
        // Nothing of a refused template was registered.
        assert!(r.get("taken.mean").is_none());
        assert_eq!(
            rec.record("v.{0}", f64::NAN).unwrap_err().to_string(),
            "statvent record \"v.{0}\" rejects the value NaN"
        );
        assert_eq!(
            rec.set_window("v.{0}", 0).unwrap_err().to_string(),
            "invalid configuration: a statvent record window must hold at least 1 value"
        );
        let same = rec.record_with("s", 1.0, |_, _| "same".into()).unwrap_err();
        assert_eq!(
            same.to_string(),
            "invalid metric name \"s\": two statistics are both named \"same\""
        );
    }
}
