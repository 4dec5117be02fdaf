//! A tiny error collector: every mistake of one item is reported together.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

#[derive(Default)]
pub struct Diag {
    errors: Option<syn::Error>,
}

impl Diag {
    pub fn push(&mut self, e: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(e),
            None => self.errors = Some(e),
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

    pub fn has_errors(&self) -> bool {
        self.errors.is_some()
    }

    pub fn finish(self) -> syn::Result<()> {
        self.errors.map_or(Ok(()), Err)
    }

    /// The collected errors as `compile_error!` invocations (none if there are none).
    pub fn into_compile_errors(self) -> TokenStream {
        self.errors
            .map(syn::Error::into_compile_error)
            .unwrap_or_default()
    }
}
