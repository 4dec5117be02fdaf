//! Labelled families (work in progress).
