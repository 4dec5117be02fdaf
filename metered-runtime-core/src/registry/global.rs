//! The global registry: every statically declared metric of every linked crate, collected
//! through `inventory` on first access, and the self-check that tells "inventory unavailable
//! here" from "nothing declared".

use super::store::Registry;
use crate::collect;
use crate::error::Error;
use std::sync::OnceLock;

/// The global registry: every statically declared metric of every linked crate, collected
/// through `inventory` on first access (before any of them records anything), plus metrics
/// created at run time by name.
///
/// A crate that is only a dependency and whose items are never referenced may not be linked;
/// write `use that_crate as _;` in the binary. In a staticlib, link with `-Wl,--whole-archive`,
/// or call [`Registry::register`] for each descriptor; [`self_check`] says whether collection
/// works on this target.
#[must_use]
pub fn registry() -> &'static Registry {
    GLOBAL.get_or_init(|| {
        let r = Registry::new();
        for d in collect::declared() {
            r.register_or_note(d);
        }
        r
    })
}

static GLOBAL: OnceLock<Registry> = OnceLock::new();

/// Whether `r` is the global registry (made already: `false` while it is being made).
#[cfg_attr(
    not(feature = "multiprocess"),
    allow(dead_code, reason = "used by the multi-process mode only")
)]
pub(crate) fn is_global(r: &Registry) -> bool {
    GLOBAL.get().is_some_and(|g| std::ptr::eq(g, r))
}

/// What [`self_check`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfCheck {
    /// Whether `inventory` collected metered-runtime's own sentinel: `false` means static
    /// metrics are invisible on this target (use [`Registry::register`]).
    pub inventory_works: bool,
    /// How many statically declared metrics were collected.
    pub static_metrics: usize,
    /// Problems among the collected declarations (for example one name rendered by two types).
    pub problems: Vec<Error>,
}

/// Tells "inventory unavailable here" from "nothing declared", and reports clashing
/// declarations with their locations.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// let check = metered_runtime::self_check();
/// assert!(check.inventory_works);
/// ```
#[must_use]
pub fn self_check() -> SelfCheck {
    let r = registry();
    SelfCheck {
        inventory_works: collect::sentinel_collected(),
        static_metrics: collect::declared().count(),
        problems: r.problems(),
    }
}
