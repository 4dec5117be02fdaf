//! Point-in-time snapshots of a registry: the flat list of values (`model`, read by `take`),
//! the nested view and its JSON text (`tree`), and the walk family by family (`visit`).

mod collected;
mod model;
mod take;
mod tree;
mod visit;

pub use model::{MetricSnapshot, Snapshot, Value};
pub use tree::Node;
pub use visit::{FamilyHeader, FamilySnapshot, Series, Visit};
