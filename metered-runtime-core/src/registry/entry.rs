//! A registered metric with its metadata, and where it came from.

use super::model::MetricRef;
use crate::descriptor::{Descriptor, Location, TypeLabel};
use crate::metric::{MetricKind, Unit};
use std::sync::Arc;

/// Where a registered metric came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Declared in a `static` (by a macro or by hand) at this location.
    Static(Location),
    /// Created at run time by name.
    Dynamic,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Static(l) => l.fmt(f),
            Origin::Dynamic => f.write_str("created at run time"),
        }
    }
}

/// A registered metric with its metadata.
#[derive(Debug, Clone)]
pub struct Entry {
    pub(super) name: Arc<str>,
    pub(super) help: Arc<str>,
    pub(super) unit: Unit,
    pub(super) labels: Arc<[(String, String)]>,
    pub(super) type_label: Option<TypeLabel>,
    pub(super) origin: Origin,
    pub(super) metric: MetricRef,
    /// The address of the static, for a declared metric: registering the same static twice is
    /// a no-op, two statics under one name a duplicate.
    pub(super) static_addr: Option<usize>,
    /// The exposition name of the family it is exported in, set when it is registered.
    pub(super) exposition: Arc<str>,
    /// The label keys of its series in exposition form, set when it is registered.
    pub(super) exposition_keys: Arc<[String]>,
}

impl Entry {
    /// A metric created at run time by name.
    pub(super) fn dynamic(name: &str, metric: MetricRef) -> Self {
        // As `Descriptor::new` does: a timer is in seconds.
        let unit = if metric.kind() == MetricKind::Timer {
            Unit::Seconds
        } else {
            Unit::None
        };
        Entry {
            name: name.into(),
            help: "".into(),
            unit,
            labels: Arc::new([]),
            type_label: None,
            origin: Origin::Dynamic,
            metric,
            static_addr: None,
            exposition: "".into(),
            exposition_keys: Arc::new([]),
        }
    }

    /// A metric declared in a static.
    pub(super) fn declared(d: &'static Descriptor) -> Self {
        Entry {
            name: d.name().into(),
            help: d.help_text().into(),
            unit: d.unit_of(),
            labels: d
                .label_pairs()
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            type_label: d.type_label_of(),
            origin: Origin::Static(d.location_of()),
            metric: MetricRef::from_static(d.metric()),
            static_addr: Some(d.metric().addr()),
            exposition: "".into(),
            exposition_keys: Arc::new([]),
        }
    }

    /// The full dotted name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The kind.
    #[must_use]
    pub fn kind(&self) -> MetricKind {
        self.metric.kind()
    }
    /// The help text (`""` if none).
    #[must_use]
    pub fn help(&self) -> &str {
        &self.help
    }
    /// The unit.
    #[must_use]
    pub fn unit(&self) -> Unit {
        self.unit
    }
    /// Constant labels.
    #[must_use]
    pub fn labels(&self) -> &[(String, String)] {
        &self.labels
    }
    /// The label keys of a family (empty for a single metric).
    #[must_use]
    pub fn label_keys(&self) -> &[String] {
        self.metric.label_keys()
    }
    /// How to export it as a family labelled by type, if declared so.
    #[must_use]
    pub fn type_label(&self) -> Option<TypeLabel> {
        self.type_label
    }
    /// The exposition name of the family it is exported in (its own, or its type-label
    /// family's), computed once at registration by
    /// [`exposition_name`](crate::exposition_name).
    #[must_use]
    pub fn exposition_name(&self) -> &str {
        &self.exposition
    }
    /// The label keys of its series in exposition form
    /// ([`exposition_label_key`](crate::exposition_label_key)), in the order of the series'
    /// label values: constant labels, then the type label's key or the family's keys.
    #[must_use]
    pub fn exposition_label_keys(&self) -> &[String] {
        &self.exposition_keys
    }
    /// The exposition name and label keys, shared (for snapshots).
    pub(crate) fn exported(&self) -> (Arc<str>, Arc<[String]>) {
        (
            Arc::clone(&self.exposition),
            Arc::clone(&self.exposition_keys),
        )
    }
    /// Where it came from.
    #[must_use]
    pub fn origin(&self) -> Origin {
        self.origin
    }
    /// The metric itself.
    #[must_use]
    pub fn metric(&self) -> &MetricRef {
        &self.metric
    }
}
