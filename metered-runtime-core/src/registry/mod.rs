//! Registries: every metric by name, for listing, by-name access and export. The record path
//! never touches a registry.
//!
//! `model` is the type-erased metric model, `entry` a registered metric with its metadata,
//! `identity` the exported identity of each (families, exposition names, clashes), `store` the
//! [`Registry`] itself, `global` the registry that `inventory` fills, `shorthand`
//! the one-liners on it.

mod entry;
mod global;
mod identity;
mod model;
mod shorthand;
mod store;

pub use entry::{Entry, Origin};
pub use global::{SelfCheck, registry, self_check};
pub use model::{FamilyMember, FamilyRef, Handle, Metric, MetricRef};
pub use shorthand::{incr, record, set};
pub use store::Registry;
