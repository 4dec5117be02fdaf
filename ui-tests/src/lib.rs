//! Compile-pass and compile-fail tests of the metered macros; see `tests/ui.rs`.
