//! Procedural macros of `metered-runtime`. Depend on `metered-runtime`, which re-exports them.
