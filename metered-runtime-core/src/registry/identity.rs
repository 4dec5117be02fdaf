//! Exported identity: the family each registered metric is exported in, under which exposition
//! name, and the clashes that would give two families one name or two series one identity.
//!
//! A metric is exported in a family of its own, except the members of a type-label family
//! (one metric per type, declared with a [`TypeLabel`](crate::TypeLabel)): they are one family,
//! named after the template without the type's segment, with the type as a label. The members
//! must agree on kind, unit, help and label keys, and carry distinct types.

use super::entry::{Entry, Origin};
use crate::error::Error;
use crate::metric::{MetricKind, Unit};
use crate::name::exposition::{
    exposition_label_key, exposition_name, reserved_label_keys, sample_names,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the members of one exported family share.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    kind: MetricKind,
    unit: Unit,
    help: Arc<str>,
    /// Label keys in exposition form: constant labels, then the type label's key or the
    /// family's keys.
    keys: Vec<String>,
    /// Whether members join it one per type.
    typed: bool,
}

/// One exported family and the metrics it holds.
#[derive(Debug)]
struct Exported {
    shape: Shape,
    /// The first member's dotted name and origin, for messages.
    first: (Arc<str>, Origin),
    /// By type (for a type-label family; `""` for the one member of any other): the member's
    /// dotted name and origin.
    members: BTreeMap<&'static str, (Arc<str>, Origin)>,
}

/// Every exported family of a registry, by exposition name, and every name its samples take.
#[derive(Debug, Default)]
pub(super) struct Identities {
    families: BTreeMap<Arc<str>, Exported>,
    /// Sample name (and family name) to the exposition name of the family that takes it.
    taken: BTreeMap<String, Arc<str>>,
    /// The dotted family name of every type-label family to its exposition name, so that a
    /// member of another kind or unit (which would map to another exposition name) is refused
    /// instead of starting a second family from the same template.
    typed: BTreeMap<&'static str, Arc<str>>,
}

/// Where `entry` would be exported, checked against the families registered so far: what
/// [`Identities::commit`] records once the entry is in.
#[derive(Debug)]
pub(super) struct Placement {
    exposition: Arc<str>,
    shape: Shape,
    member: &'static str,
    joins: bool,
    /// The dotted family name, for a member of a type-label family.
    template: Option<&'static str>,
}

impl Placement {
    /// The exposition name of the family the entry is exported in.
    pub(super) fn exposition(&self) -> &Arc<str> {
        &self.exposition
    }

    /// The label keys of the entry's series in exposition form.
    pub(super) fn keys(&self) -> &[String] {
        &self.shape.keys
    }
}

fn clash(entry: &Entry, existing: &(Arc<str>, Origin), reason: String) -> Error {
    Error::ExpositionClash {
        name: entry.name.to_string(),
        origin: entry.origin.to_string(),
        existing: existing.0.to_string(),
        existing_origin: existing.1.to_string(),
        reason,
    }
}

/// The first way in which two shapes of one exported family differ.
fn difference(a: &Shape, b: &Shape) -> String {
    if a.typed != b.typed {
        "only one of them is a member of a family labelled by type".into()
    } else if a.kind != b.kind {
        format!("they are a {} and a {}", a.kind, b.kind)
    } else if a.unit != b.unit {
        format!(
            "their units differ ({:?}, {:?})",
            a.unit.as_str(),
            b.unit.as_str()
        )
    } else if a.help != b.help {
        format!("their help texts differ ({:?}, {:?})", a.help, b.help)
    } else {
        format!(
            "their label keys differ ([{}], [{}])",
            a.keys.join(", "),
            b.keys.join(", ")
        )
    }
}

/// The entry's family, shape and member key, with its label keys checked.
fn shape_of(entry: &Entry) -> Result<(String, Shape, &'static str), Error> {
    let kind = entry.kind();
    let mut keys: Vec<String> = entry
        .labels
        .iter()
        .map(|(k, _)| exposition_label_key(k))
        .collect();
    let (family, typed, member) = if let Some(t) = entry.type_label {
        keys.push(exposition_label_key(t.key));
        (t.family, true, t.value)
    } else {
        keys.extend(
            entry
                .metric
                .label_keys()
                .iter()
                .map(|k| exposition_label_key(k)),
        );
        (&*entry.name, false, "")
    };
    let bad = |reason: String| Error::InvalidLabel {
        family: entry.name.to_string(),
        reason,
    };
    for (i, k) in keys.iter().enumerate() {
        if keys[..i].contains(k) {
            return Err(bad(format!("two label keys export as {k:?}")));
        }
        if reserved_label_keys(kind).contains(&k.as_str()) {
            return Err(bad(format!(
                "label key {k:?} is reserved for the samples of a {kind}"
            )));
        }
    }
    let shape = Shape {
        kind,
        unit: entry.unit,
        help: Arc::clone(&entry.help),
        keys,
        typed,
    };
    Ok((exposition_name(family, kind, entry.unit), shape, member))
}

impl Identities {
    /// Where `entry` would be exported, or the clash that forbids it.
    pub(super) fn place(&self, entry: &Entry) -> Result<Placement, Error> {
        let (exposition, shape, member) = shape_of(entry)?;
        let template = entry.type_label.map(|t| t.family);
        if let Some(t) = template
            && let Some(owner) = self.typed.get(t)
            && **owner != *exposition
        {
            let family = &self.families[owner];
            let reason = format!(
                "both are members of the family {t:?}, but {}",
                difference(&family.shape, &shape)
            );
            return Err(clash(entry, &family.first, reason));
        }
        if let Some(family) = self.families.get(exposition.as_str()) {
            let first = &family.first;
            if family.shape != shape {
                let reason = format!(
                    "both are exported in the family {exposition:?}, but {}",
                    difference(&family.shape, &shape)
                );
                return Err(clash(entry, first, reason));
            }
            if let Some(same) = family.members.get(member) {
                let reason = if shape.typed {
                    format!(
                        "both are exported in the family {exposition:?} with the type {member:?}"
                    )
                } else {
                    format!("both are exported as {exposition:?}")
                };
                return Err(clash(entry, same, reason));
            }
            return Ok(Placement {
                exposition: exposition.into(),
                shape,
                member,
                joins: true,
                template,
            });
        }
        for sample in sample_names(&exposition, shape.kind) {
            if let Some(owner) = self.taken.get(&sample) {
                let first = &self.families[owner].first;
                let reason = format!(
                    "{exposition:?} exports the name {sample:?}, which the family {owner:?} \
                     exports too"
                );
                return Err(clash(entry, first, reason));
            }
        }
        Ok(Placement {
            exposition: exposition.into(),
            shape,
            member,
            joins: false,
            template,
        })
    }

    /// The first name that a family exported as `exposition` with samples of a `kind` would
    /// share with a registered family, with that family's exposition name.
    pub(super) fn meets(&self, exposition: &str, kind: MetricKind) -> Option<(String, &str)> {
        sample_names(exposition, kind)
            .into_iter()
            .find_map(|sample| {
                let owner = self.taken.get(&sample)?;
                Some((sample, &**owner))
            })
    }

    /// Records a placement made by [`place`](Self::place) for an entry now registered.
    pub(super) fn commit(&mut self, placement: Placement, entry: &Entry) {
        let member = (Arc::clone(&entry.name), entry.origin);
        if placement.joins {
            if let Some(family) = self.families.get_mut(&placement.exposition) {
                family.members.insert(placement.member, member);
            }
            return;
        }
        for sample in sample_names(&placement.exposition, placement.shape.kind) {
            self.taken.insert(sample, Arc::clone(&placement.exposition));
        }
        if let Some(t) = placement.template {
            self.typed.insert(t, Arc::clone(&placement.exposition));
        }
        self.families.insert(
            placement.exposition,
            Exported {
                shape: placement.shape,
                first: member.clone(),
                members: BTreeMap::from([(placement.member, member)]),
            },
        );
    }
}
