//! The annotated items as typed models over syn nodes.

use crate::diag::Diag;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Data, DeriveInput, Generics, Ident, Item, ItemFn, ItemImpl, Type, Visibility};

/// The type a `#[derive(Metered)]` is on.
pub struct TypeModel<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a Generics,
}

/// The struct or enum of a derive; a union is reported on its `union` token.
pub fn from_derive<'a>(input: &'a DeriveInput, diag: &mut Diag) -> Option<TypeModel<'a>> {
    if let Data::Union(u) = &input.data {
        diag.error(
            u.union_token,
            "`#[derive(Metered)]` does not support unions; use a struct or an enum",
        );
        return None;
    }
    Some(TypeModel {
        ident: &input.ident,
        vis: &input.vis,
        generics: &input.generics,
    })
}

/// What `#[metered]` can go on.
pub enum MeteredItem {
    Impl(ItemImpl),
    Fn(ItemFn),
}

/// Parses the item under `#[metered]`; anything else is reported on its leading keyword.
pub fn parse_metered_item(tokens: TokenStream, diag: &mut Diag) -> Option<MeteredItem> {
    let item: Item = match syn::parse2(tokens) {
        Ok(item) => item,
        Err(e) => {
            diag.push(e);
            return None;
        }
    };
    let (token, noun, hint): (&dyn ToTokens, &str, &str) = match &item {
        Item::Impl(i) => return Some(MeteredItem::Impl(i.clone())),
        Item::Fn(f) => return Some(MeteredItem::Fn(f.clone())),
        Item::Struct(s) => (
            &s.struct_token,
            "a struct",
            "; for per-type metrics use `#[derive(Metered)]`",
        ),
        Item::Enum(e) => (
            &e.enum_token,
            "an enum",
            "; for per-type metrics use `#[derive(Metered)]`",
        ),
        Item::Union(u) => (&u.union_token, "a union", ""),
        Item::Trait(t) => (
            &t.trait_token,
            "a trait declaration",
            "; put it on each `impl Trait for T` block",
        ),
        Item::Mod(m) => (&m.mod_token, "a module", ""),
        Item::Const(c) => (&c.const_token, "a const item", ""),
        Item::Static(s) => (&s.static_token, "a static item", ""),
        Item::Type(t) => (&t.type_token, "a type alias", ""),
        Item::Use(u) => (&u.use_token, "a `use` item", ""),
        Item::ForeignMod(f) => (&f.abi, "an `extern` block", ""),
        Item::Macro(m) => (&m.mac.path, "a macro invocation", ""),
        other => (other, "this item", ""),
    };
    diag.error(
        token,
        format_args!("`#[metered]` goes on an `impl` block or a `fn`, not on {noun}{hint}"),
    );
    None
}

/// The name a self type is known by in templates: the last segment of its path.
pub fn type_ident(ty: &Type) -> Option<&Ident> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| &s.ident),
        Type::Reference(r) => type_ident(&r.elem),
        Type::Group(g) => type_ident(&g.elem),
        Type::Paren(p) => type_ident(&p.elem),
        _ => None,
    }
}
