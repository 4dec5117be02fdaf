//! Point-in-time snapshots of a registry: the flat list of values (`model`, read by `take`)
//! and the walk family by family (`visit`). The JSON views are written beside the other
//! encoders ([`export::json`](crate::export::json)); [`Node`] is re-exported here.

mod collected;
mod model;
mod take;
mod visit;

pub use crate::export::json::Node;
pub use model::{MetricSnapshot, Snapshot, Value};
pub use visit::{FamilyHeader, FamilySnapshot, Series, Visit};
