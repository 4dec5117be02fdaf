//! Used by the code the macros generate. Not public API: it changes without notice.
#![doc(hidden)]

pub use crate::descriptor::{Descriptor, Location, Registration, StaticMetric, TypeLabel};
pub use inventory;
pub use inventory::submit;
