//! What is emitted when a macro finds mistakes: the user's item unchanged beside the errors,
//! so the rest of the crate keeps compiling and only the real mistakes are reported.

use proc_macro2::TokenStream;
use quote::quote;

pub fn with_item(item: &TokenStream, errors: syn::Error) -> TokenStream {
    let errors = errors.into_compile_error();
    quote! {
        #errors
        #item
    }
}
