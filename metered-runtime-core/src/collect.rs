//! What `inventory` collects at link time: the declared metrics, and a sentinel that tells an
//! empty collection from a target where `inventory` collects nothing.

use crate::descriptor::Descriptor;

/// What `inventory` collects: one per statically declared metric.
#[derive(Debug)]
pub struct Registration(pub &'static Descriptor);

inventory::collect!(Registration);

/// What `inventory` collects for a group of metrics declared together (a metric set applied to
/// a type, or the three metrics of a `#[metered]` call), in declaration order.
#[derive(Debug)]
pub struct Registrations(pub &'static [Descriptor]);

inventory::collect!(Registrations);

/// Submitted once by metered-runtime itself, so an empty collection can be told apart from a
/// target where `inventory` collects nothing.
#[derive(Debug)]
struct Sentinel;

inventory::collect!(Sentinel);
inventory::submit!(Sentinel);

/// Every descriptor collected through `inventory`: the single ones, then the groups.
pub(crate) fn declared() -> impl Iterator<Item = &'static Descriptor> {
    let groups = inventory::iter::<Registrations>
        .into_iter()
        .flat_map(|g| g.0.iter());
    inventory::iter::<Registration>
        .into_iter()
        .map(|r| r.0)
        .chain(groups)
}

/// Whether `inventory` collected metered-runtime's own sentinel.
pub(crate) fn sentinel_collected() -> bool {
    inventory::iter::<Sentinel>.into_iter().next().is_some()
}
