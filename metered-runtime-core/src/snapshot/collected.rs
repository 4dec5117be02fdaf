//! The collectors' part of a snapshot: their families as ordinary series, checked against the
//! registered families and each other, and the toolkit's own series for their failures.

use super::model::{Exported, MetricSnapshot, Value};
use crate::collector::collection::Collected;
use crate::collector::{ERRORS_FAMILY, FAILURE_FAMILY};
use crate::metric::{MetricKind, Unit};
use crate::name::exposition::{exposition_name, sample_names};
use crate::name::overlaps;
use crate::registry::Registry;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The families the collectors have placed so far in one snapshot.
#[derive(Default)]
struct Placed {
    /// Sample names to (collector, exposition name).
    taken: BTreeMap<String, (String, Arc<str>)>,
    /// Dotted names to their collector.
    names: Vec<(String, String)>,
}

impl Placed {
    /// Why the family `name` of `collector` cannot be exported beside those placed already.
    fn clash(
        &self,
        collector: &str,
        name: &str,
        exposition: &str,
        kind: MetricKind,
    ) -> Option<String> {
        if let Some((_, other)) = self
            .names
            .iter()
            .find(|(n, _)| n == name || overlaps(n, name))
        {
            return Some(format!(
                "{name:?} meets a family of the collector {other:?} of that name or a dotted \
                 prefix of it"
            ));
        }
        sample_names(exposition, kind).into_iter().find_map(|s| {
            let (other, owner) = self.taken.get(&s)?;
            let whose = if other == collector {
                "its own"
            } else {
                "the collector's"
            };
            Some(format!(
                "{exposition:?} exports the name {s:?}, which {whose} family {owner:?} \
                 ({other:?}) exports too"
            ))
        })
    }

    fn place(&mut self, collector: &str, name: &str, exposition: &Arc<str>, kind: MetricKind) {
        for s in sample_names(exposition, kind) {
            self.taken
                .insert(s, (collector.to_owned(), Arc::clone(exposition)));
        }
        self.names.push((name.to_owned(), collector.to_owned()));
    }
}

/// The series of one family, as the snapshot lists them.
fn series_of(
    f: &Collected,
    exposition: &Arc<str>,
) -> impl Iterator<Item = (MetricSnapshot, Exported)> {
    let keys: Arc<[String]> = f.keys.clone().into();
    let exposition = Arc::clone(exposition);
    f.series.iter().map(move |(values, value)| {
        let metric = MetricSnapshot {
            name: f.name.clone(),
            kind: f.kind,
            help: f.help.clone(),
            unit: f.unit,
            labels: keys.iter().cloned().zip(values.iter().cloned()).collect(),
            from_family: !keys.is_empty(),
            type_label: None,
            value: value.clone(),
        };
        let exported = Exported {
            exposition: Arc::clone(&exposition),
            keys: Arc::clone(&keys),
        };
        (metric, exported)
    })
}

/// One series of the toolkit's own families about collectors.
fn own_series(
    name: &str,
    kind: MetricKind,
    help: &str,
    collector: &str,
    value: Value,
) -> Collected {
    Collected {
        name: name.to_owned(),
        kind,
        help: help.to_owned(),
        unit: Unit::None,
        keys: vec!["collector".to_owned()],
        series: BTreeMap::from([(vec![collector.to_owned()], value)]),
    }
}

impl Registry {
    /// Runs (or reuses) every collector and returns their series, then the toolkit's own
    /// series about them: `metered.collector.errors{collector}` for each, and
    /// `metered.collector.failure{collector}` with the message for each whose output is
    /// missing from this snapshot in whole or in part.
    pub(super) fn collected(&self) -> Vec<(MetricSnapshot, Exported)> {
        let (collectors, now) = self.collectors_now();
        let mut out = Vec::new();
        let mut placed = Placed::default();
        let mut own = Vec::new();
        for c in &collectors {
            let (outcome, fresh) = c.outcome(now);
            let mut failures = Vec::new();
            match &*outcome {
                Ok(collection) => {
                    for f in &collection.families {
                        let exposition: Arc<str> = exposition_name(&f.name, f.kind, f.unit).into();
                        let clash = self
                            .foreign_clash(&f.name, &exposition, f.kind)
                            .or_else(|| placed.clash(&c.name, &f.name, &exposition, f.kind));
                        if let Some(reason) = clash {
                            failures.push(format!("family {:?} left out: {reason}", f.name));
                            continue;
                        }
                        placed.place(&c.name, &f.name, &exposition, f.kind);
                        out.extend(series_of(f, &exposition));
                    }
                    if fresh && !failures.is_empty() {
                        c.count_error();
                    }
                }
                Err(message) => failures.push(message.clone()),
            }
            own.push(own_series(
                ERRORS_FAMILY,
                MetricKind::Counter,
                "Runs of a collector that failed (an error, a panic, a family refused).",
                &c.name,
                Value::Counter(c.errors()),
            ));
            if !failures.is_empty() {
                own.push(own_series(
                    FAILURE_FAMILY,
                    MetricKind::Gauge,
                    "Why a collector's output is missing from this snapshot (JSON view only).",
                    &c.name,
                    Value::Error(failures.join("; ")),
                ));
            }
        }
        // The toolkit's own families: left out where a registered metric or a collector's
        // family holds their names (there is nowhere else to report that).
        let free = |name: &str, kind: MetricKind| {
            let exposition = exposition_name(name, kind, Unit::None);
            self.foreign_clash(name, &exposition, kind).is_none()
                && placed.clash("", name, &exposition, kind).is_none()
        };
        let errors_free = free(ERRORS_FAMILY, MetricKind::Counter);
        let failure_free = free(FAILURE_FAMILY, MetricKind::Gauge);
        for f in &own {
            let ok = if f.name == ERRORS_FAMILY {
                errors_free
            } else {
                failure_free
            };
            if ok {
                let exposition: Arc<str> = exposition_name(&f.name, f.kind, f.unit).into();
                out.extend(series_of(f, &exposition));
            }
        }
        out
    }
}
