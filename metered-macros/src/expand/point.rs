//! `#[derive(Point)]`: `SERIES` and `to_point()`, building the runtime's `Point` through the
//! `TagValue`, `PointField` and `PointTime` traits, each called on the member's own type
//! tokens so that a type of the wrong kind is reported there.

use super::krate_tokens;
use crate::model::{PointDerive, Role};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub fn expand(d: &PointDerive<'_>) -> proc_macro2::TokenStream {
    let krate = krate_tokens(d.krate.as_ref());
    let p = quote!(#krate::__private);
    let ident = d.ident;
    let vis = d.vis;
    let series = &d.series;
    let (impl_generics, ty_generics, where_clause) = d.generics.split_for_impl();
    let steps = d.members.iter().map(|m| {
        let (f, ty, key) = (m.ident, m.ty, &m.key);
        match m.role {
            Role::Tag => quote_spanned! {ty.span()=>
                let __point = __point.tag(#key, &<#ty as #p::TagValue>::tag_value(&self.#f));
            },
            Role::Field => quote_spanned! {ty.span()=>
                let __point = __point.field_opt(#key, <#ty as #p::PointField>::field_value(&self.#f));
            },
            Role::Timestamp => quote_spanned! {ty.span()=>
                let __point = match <#ty as #p::PointTime>::point_time(&self.#f) {
                    #p::core::option::Option::Some(__time) => __point.at(__time),
                    #p::core::option::Option::None => __point,
                };
            },
        }
    });
    let series_doc = format!("The series (measurement) of `{ident}` points, `{series}`.");
    let to_point_doc = format!(
        "This `{ident}` as a point of `{series}`, for `PointWriter::emit`; add tags and fields of the moment with `Point::tag` and `Point::field` before emitting."
    );
    quote! {
        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            #[doc = #series_doc]
            #vis const SERIES: &'static str = #series;

            #[doc = #to_point_doc]
            #[must_use]
            #vis fn to_point(&self) -> #p::Point {
                let __point = #p::Point::new(#series);
                #(#steps)*
                __point
            }
        }
    }
}
