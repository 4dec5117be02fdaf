//! A tiny error collector: every mistake of one item is reported together.
//!
//! The errors must be taken out, with [`Diag::finish`] or [`Diag::into_compile_errors`], before
//! the collector is dropped; dropping it with its errors still inside is a bug in this crate
//! (the user's mistakes would vanish), and panics, as `serde_derive`'s `Ctxt` does. Code that
//! pushes errors therefore never asks whether there are any: it goes on, and the one place
//! that finishes the collector decides what is emitted.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

pub struct Diag {
    /// `None` once taken.
    errors: Option<Vec<syn::Error>>,
}

impl Default for Diag {
    fn default() -> Self {
        Diag {
            errors: Some(Vec::new()),
        }
    }
}

impl Diag {
    pub fn push(&mut self, e: syn::Error) {
        if let Some(errors) = &mut self.errors {
            errors.push(e);
        }
    }

    /// An error spanning `tokens`.
    pub fn error(&mut self, tokens: impl ToTokens, msg: impl Display) {
        self.push(syn::Error::new_spanned(tokens.into_token_stream(), msg));
    }

    /// An error at `span`.
    pub fn error_at(&mut self, span: proc_macro2::Span, msg: impl Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// Takes the errors, combined into one.
    pub fn finish(mut self) -> syn::Result<()> {
        let errors = self.errors.take().unwrap_or_default();
        errors
            .into_iter()
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .map_or(Ok(()), Err)
    }

    /// Takes the errors as `compile_error!` invocations (none if there are none).
    pub fn into_compile_errors(self) -> TokenStream {
        self.finish()
            .err()
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}

impl Drop for Diag {
    fn drop(&mut self) {
        // A collector dropped with its errors unread is a bug in this crate, whatever the user
        // wrote; every unit and ui test would show it.
        assert!(
            self.errors.is_none() || std::thread::panicking(),
            "metered-macros: an error collector was dropped before its errors were taken"
        );
    }
}
