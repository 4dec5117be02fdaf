//! What a collector yields: families of gauges, counters and histograms, each with its label
//! sets, checked as they are written.

use crate::error::{Error, Result};
use crate::metric::family::validate_label_key;
use crate::metric::histogram::{HistogramSnapshot, Quantiles};
use crate::metric::{MetricKind, Unit};
use crate::name::exposition::reserved_label_keys;
use crate::name::validate_name;
use crate::snapshot::Value;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// One family yielded by a collector.
#[derive(Debug, Clone)]
pub(crate) struct Collected {
    pub(crate) name: String,
    pub(crate) kind: MetricKind,
    pub(crate) help: String,
    pub(crate) unit: Unit,
    pub(crate) keys: Vec<String>,
    /// By label values (one per key, `""` where a label set leaves a key out).
    pub(crate) series: BTreeMap<Vec<String>, Value>,
}

/// The families a [`Collector`](super::Collector) yields in one run, in the order written.
///
/// Each family is declared with its name, help text and label keys
/// ([`gauge`](Self::gauge), [`float_gauge`](Self::float_gauge), [`counter`](Self::counter),
/// [`float_counter`](Self::float_counter), [`histogram`](Self::histogram)), then given one value per label set. A label set names its
/// keys, so it can carry only some of the family's keys: the others take the empty value.
/// Prometheus treats a label whose value is empty as absent, so `{task_type="build",
/// backend=""}` is the series `{task_type="build"}`; an encoder may write the empty label or
/// leave it out, and Prometheus 2 and 3 and the `OpenMetrics` parsers accept both.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::collector::Collection;
/// let mut out = Collection::default();
/// let mut workers = out.gauge("workers", "Workers by state.", &["state", "pool"])?;
/// workers.set(&[("state", "idle"), ("pool", "amd64")], 3)?;
/// workers.set(&[("state", "busy")], 1)?; // no pool: the empty value
/// assert!(workers.set(&[("state", "busy"), ("pool", "")], 2).is_err()); // the same series
/// assert!(workers.set(&[("colour", "red")], 2).is_err()); // not a key of the family
/// assert!(out.gauge("workers", "Again.", &[]).is_err()); // one family per name
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug, Default, Clone)]
pub struct Collection {
    pub(crate) families: Vec<Collected>,
}

/// The value types a family's series take: `i64` for integer gauges, `f64` for floating-point
/// gauges and counters, `u64` for integer counters.
pub trait SampleValue: sealed::Sealed {
    /// The snapshot value in a family of kind `kind`, or why the value is refused.
    #[doc(hidden)]
    fn into_value(self, kind: MetricKind, family: &str) -> Result<Value>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i64 {}
    impl Sealed for f64 {}
    impl Sealed for u64 {}
}

impl SampleValue for i64 {
    fn into_value(self, _: MetricKind, _: &str) -> Result<Value> {
        Ok(Value::Gauge(self))
    }
}

impl SampleValue for f64 {
    fn into_value(self, kind: MetricKind, family: &str) -> Result<Value> {
        let counter = kind == MetricKind::Counter;
        if !self.is_finite() || (counter && self.is_sign_negative() && self != 0.0) {
            let what = if counter { "counter" } else { "gauge" };
            return Err(Error::InvalidValue {
                what: format!("collected {what} {family:?}"),
                value: self.to_string(),
            });
        }
        Ok(if counter {
            // -0.0 reads as 0.
            Value::FloatCounter(self.max(0.0))
        } else {
            Value::FloatGauge(self)
        })
    }
}

impl SampleValue for u64 {
    fn into_value(self, _: MetricKind, _: &str) -> Result<Value> {
        Ok(Value::Counter(self))
    }
}

/// Writes the series of one gauge or counter family of a [`Collection`].
#[derive(Debug)]
pub struct FamilyWriter<'a, V> {
    family: &'a mut Collected,
    value: PhantomData<fn(V)>,
}

/// Writes the series of one histogram family of a [`Collection`].
#[derive(Debug)]
pub struct HistogramWriter<'a> {
    family: &'a mut Collected,
    /// Finite upper bounds, strictly increasing; `+Inf` follows.
    bounds: Vec<f64>,
}

impl Collection {
    fn declare(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
        kind: MetricKind,
    ) -> Result<&mut Collected> {
        validate_name(name)?;
        if self.families.iter().any(|f| f.name == name) {
            return Err(Error::InvalidConfig {
                reason: format!("the collector yields the family {name:?} twice"),
            });
        }
        let bad = |reason: String| Error::InvalidLabel {
            family: name.to_owned(),
            reason,
        };
        for (i, k) in keys.iter().enumerate() {
            validate_label_key(name, k)?;
            if keys[..i].contains(k) {
                return Err(bad(format!("label key {k:?} appears twice")));
            }
            if reserved_label_keys(kind).contains(k) {
                return Err(bad(format!(
                    "label key {k:?} is reserved for the samples of a {kind}"
                )));
            }
        }
        self.families.push(Collected {
            name: name.to_owned(),
            kind,
            help: help.to_owned(),
            unit: Unit::None,
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            series: BTreeMap::new(),
        });
        let last = self.families.len() - 1;
        Ok(&mut self.families[last])
    }

    fn writer<V: SampleValue>(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
        kind: MetricKind,
    ) -> Result<FamilyWriter<'_, V>> {
        Ok(FamilyWriter {
            family: self.declare(name, help, keys, kind)?,
            value: PhantomData,
        })
    }

    /// Declares a family of integer gauges named `name` (a dotted name, as for registered
    /// metrics) with label keys `keys`.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::InvalidLabel`] for a bad or repeated key,
    /// [`Error::InvalidConfig`] if this collection has a family of that name already.
    pub fn gauge(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
    ) -> Result<FamilyWriter<'_, i64>> {
        self.writer(name, help, keys, MetricKind::Gauge)
    }

    /// Declares a family of floating-point gauges; see [`gauge`](Self::gauge).
    ///
    /// # Errors
    /// As [`gauge`](Self::gauge).
    pub fn float_gauge(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
    ) -> Result<FamilyWriter<'_, f64>> {
        self.writer(name, help, keys, MetricKind::FloatGauge)
    }

    /// Declares a family of counters (values that only grow between runs, such as CPU time);
    /// see [`gauge`](Self::gauge). A trailing `_total` is the sample's suffix, as for
    /// registered counters ([`exposition_name`](crate::exposition_name)).
    ///
    /// # Errors
    /// As [`gauge`](Self::gauge).
    pub fn counter(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
    ) -> Result<FamilyWriter<'_, u64>> {
        self.writer(name, help, keys, MetricKind::Counter)
    }

    /// Declares a family of counters with fractional values (finite, not negative), for
    /// totals kept as fractions: CPU seconds at the clock tick's resolution. Exported as
    /// counters, as [`counter`](Self::counter)'s are; read as
    /// [`Value::FloatCounter`](crate::snapshot::Value::FloatCounter).
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::collector::Collection;
    /// let mut out = Collection::default();
    /// let mut cpu = out.float_counter("process.cpu_seconds_total", "CPU time, in seconds.", &[])?;
    /// cpu.set(&[], 1.37)?;
    /// assert!(cpu.set(&[], -1.0).is_err() && cpu.set(&[], f64::NAN).is_err());
    /// # Ok::<(), metered_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`gauge`](Self::gauge).
    pub fn float_counter(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
    ) -> Result<FamilyWriter<'_, f64>> {
        self.writer(name, help, keys, MetricKind::Counter)
    }

    /// Declares a family of histograms with the upper bounds `bounds` (finite and strictly
    /// increasing; a last `+Inf` may be given or left out, it is always there). Each series is
    /// given its counts per bucket or cumulative, and the sum of the values.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::collector::Collection;
    /// let mut out = Collection::default();
    /// let days = [1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0, f64::INFINITY];
    /// let mut h = out.histogram("user_activity", "Users by days since last activity.", &[], &days)?;
    /// h.per_bucket(&[], &[4, 2, 0, 1, 0, 0, 3, 5], 3100.0)?; // 8 buckets, +Inf last
    /// assert!(h.cumulative(&[], &[1, 2], 3.0).is_err()); // 2 counts for 8 buckets
    /// # Ok::<(), metered_runtime::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`gauge`](Self::gauge) (`le` and `quantile` are reserved keys), and
    /// [`Error::InvalidConfig`] for bounds that are not finite and strictly increasing.
    pub fn histogram(
        &mut self,
        name: &str,
        help: &str,
        keys: &[&str],
        bounds: &[f64],
    ) -> Result<HistogramWriter<'_>> {
        let finite = match bounds.split_last() {
            Some((last, rest)) if *last == f64::INFINITY => rest,
            _ => bounds,
        };
        let increasing = finite.windows(2).all(|w| w[0] < w[1]);
        if !increasing || finite.iter().any(|b| !b.is_finite()) {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "the bounds of the histogram {name:?} must be finite and strictly \
                     increasing (a last +Inf aside): {bounds:?}"
                ),
            });
        }
        Ok(HistogramWriter {
            family: self.declare(name, help, keys, MetricKind::Histogram)?,
            bounds: finite.to_vec(),
        })
    }
}

impl Collected {
    /// The values of `labels` in key order, `""` for the keys it leaves out.
    fn values_of(&self, labels: &[(&str, &str)]) -> Result<Vec<String>> {
        let bad = |reason: String| Error::InvalidLabel {
            family: self.name.clone(),
            reason,
        };
        let mut values = vec![None; self.keys.len()];
        for (k, v) in labels {
            let Some(i) = self.keys.iter().position(|key| key == k) else {
                return Err(bad(format!(
                    "label key {k:?} is not one of the family's keys [{}]",
                    self.keys.join(", ")
                )));
            };
            if values[i].replace(*v).is_some() {
                return Err(bad(format!(
                    "label key {k:?} is given twice in one label set"
                )));
            }
        }
        Ok(values
            .into_iter()
            .map(|v| v.unwrap_or("").to_owned())
            .collect())
    }

    fn insert(&mut self, labels: &[(&str, &str)], value: Value) -> Result<()> {
        let values = self.values_of(labels)?;
        if self.series.contains_key(&values) {
            let set: Vec<String> = self
                .keys
                .iter()
                .zip(&values)
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            return Err(Error::InvalidLabel {
                family: self.name.clone(),
                reason: format!(
                    "the label set {{{}}} is given twice (a missing key is the empty value)",
                    set.join(", ")
                ),
            });
        }
        self.series.insert(values, value);
        Ok(())
    }
}

impl<V: SampleValue> FamilyWriter<'_, V> {
    /// Sets the family's unit (none by default): its name becomes the exposition suffix, as
    /// for registered metrics.
    pub fn unit(&mut self, unit: Unit) -> &mut Self {
        self.family.unit = unit;
        self
    }

    /// Gives the series of `labels` (pairs of key and value, in any order, any subset of the
    /// family's keys) the value `value`.
    ///
    /// # Errors
    /// [`Error::InvalidLabel`] for a key the family does not have, a key given twice, or a
    /// label set given before (keys left out count as empty values);
    /// [`Error::InvalidValue`] for a NaN or infinite floating-point value, or a negative one in
    /// a counter family.
    pub fn set(&mut self, labels: &[(&str, &str)], value: V) -> Result<&mut Self> {
        let value = value.into_value(self.family.kind, &self.family.name)?;
        self.family.insert(labels, value)?;
        Ok(self)
    }
}

impl HistogramWriter<'_> {
    /// Sets the family's unit; see [`FamilyWriter::unit`].
    pub fn unit(&mut self, unit: Unit) -> &mut Self {
        self.family.unit = unit;
        self
    }

    /// The series of `labels`, from cumulative counts (values `<=` each bound, `+Inf` last,
    /// so the last is the total count) and the sum of the values.
    ///
    /// # Errors
    /// As [`FamilyWriter::set`], and [`Error::InvalidValue`] when the number of counts is not
    /// one per bound plus one for `+Inf`, the counts decrease, or the sum is NaN or infinite.
    pub fn cumulative(
        &mut self,
        labels: &[(&str, &str)],
        counts: &[u64],
        sum: f64,
    ) -> Result<&mut Self> {
        let what = || format!("collected histogram {:?}", self.family.name);
        if counts.len() != self.bounds.len() + 1 {
            return Err(Error::InvalidValue {
                what: what(),
                value: format!(
                    "of {} counts ({} bounds and +Inf need {})",
                    counts.len(),
                    self.bounds.len(),
                    self.bounds.len() + 1
                ),
            });
        }
        if counts.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::InvalidValue {
                what: what(),
                value: format!("{counts:?} (cumulative counts must not decrease)"),
            });
        }
        if !sum.is_finite() {
            return Err(Error::InvalidValue {
                what: what(),
                value: format!("{sum} as a sum"),
            });
        }
        let count = counts.last().copied().unwrap_or(0);
        let buckets = self
            .bounds
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(counts.iter().copied())
            .collect();
        #[allow(
            clippy::cast_precision_loss,
            reason = "a mean is approximate above 2^53 values anyway"
        )]
        let mean = if count == 0 { 0.0 } else { sum / count as f64 };
        let unknown = f64::NAN;
        let snapshot = HistogramSnapshot {
            count,
            sum,
            min: unknown,
            max: unknown,
            mean,
            stddev: unknown,
            quantiles: Quantiles {
                q50: unknown,
                q75: unknown,
                q95: unknown,
                q98: unknown,
                q99: unknown,
                q999: unknown,
            },
            buckets,
            window_count: count,
            ..HistogramSnapshot::default()
        };
        self.family.insert(labels, Value::Histogram(snapshot))?;
        Ok(self)
    }

    /// The series of `labels`, from counts per bucket (values in `(previous bound, bound]`,
    /// `+Inf` last) and the sum of the values.
    ///
    /// # Errors
    /// As [`cumulative`](Self::cumulative), and [`Error::InvalidValue`] when the total count
    /// overflows `u64`.
    pub fn per_bucket(
        &mut self,
        labels: &[(&str, &str)],
        counts: &[u64],
        sum: f64,
    ) -> Result<&mut Self> {
        let mut total = 0u64;
        let mut cumulative = Vec::with_capacity(counts.len());
        for c in counts {
            total = total.checked_add(*c).ok_or_else(|| Error::InvalidValue {
                what: format!("collected histogram {:?}", self.family.name),
                value: format!("{counts:?} (the total count overflows)"),
            })?;
            cumulative.push(total);
        }
        self.cumulative(labels, &cumulative, sum)
    }
}
