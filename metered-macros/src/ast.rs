//! The syntax tree as the user wrote it: the annotated items, borrowing or owning syn nodes,
//! and the questions the expansion asks of their types. Nothing here is validated.

use crate::diag::Diag;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, Block, Data, DeriveInput, Expr, Generics, Ident, Item, ItemFn, ItemImpl, Path,
    ReturnType, Stmt, Token, Type, Visibility,
};

/// The type a `#[derive(Metered)]` is on.
pub struct TypeModel<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a Generics,
}

/// The struct or enum of a derive. A union is reported on its `union` token, and still
/// modelled: what the derive understood is generated beside the error, as for any mistake, so
/// code calling the accessors shows only that error.
pub fn from_derive<'a>(input: &'a DeriveInput, diag: &mut Diag) -> TypeModel<'a> {
    if let Data::Union(u) = &input.data {
        diag.error(
            u.union_token,
            "`#[derive(Metered)]` does not support unions; use a struct or an enum",
        );
    }
    TypeModel {
        ident: &input.ident,
        vis: &input.vis,
        generics: &input.generics,
    }
}

/// The struct a `#[derive(Point)]` is on, with its named fields. An enum, a union, a tuple or
/// unit struct is reported (on its keyword, or its field list) and modelled with no fields.
pub struct PointItem<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a Generics,
    pub attrs: &'a [Attribute],
    pub fields: Vec<&'a syn::Field>,
    /// Whether the item is a struct with named fields (when not, no rule about the fields
    /// applies: it was reported).
    pub named: bool,
}

pub fn from_point_derive<'a>(input: &'a DeriveInput, diag: &mut Diag) -> PointItem<'a> {
    const SHAPE: &str = "`#[derive(Point)]` goes on a struct with named fields, whose names are the tag and field keys";
    let mut fields = Vec::new();
    let mut named = false;
    match &input.data {
        Data::Struct(s) => match &s.fields {
            syn::Fields::Named(f) => {
                fields.extend(f.named.iter());
                named = true;
            }
            syn::Fields::Unnamed(f) => {
                diag.error(f, format_args!("{SHAPE}, not on a tuple struct"));
            }
            syn::Fields::Unit => {
                diag.error(&input.ident, format_args!("{SHAPE}, not on a unit struct"));
            }
        },
        Data::Enum(e) => diag.error(e.enum_token, format_args!("{SHAPE}, not on an enum")),
        Data::Union(u) => diag.error(u.union_token, format_args!("{SHAPE}, not on a union")),
    }
    PointItem {
        ident: &input.ident,
        vis: &input.vis,
        generics: &input.generics,
        attrs: &input.attrs,
        fields,
        named,
    }
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

/// The input of `metric_set!`: `#[attrs] vis Name { metrics }`, the body left to the
/// attribute grammar.
pub struct SetInput {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub body: TokenStream,
}

impl Parse for SetInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if input.peek(Token![struct]) {
            input.parse::<Token![struct]>()?;
        }
        let ident: Ident = input.parse()?;
        let content;
        syn::braced!(content in input);
        let body: TokenStream = content.parse()?;
        if !input.is_empty() {
            return Err(
                input.error("unexpected tokens after the set; `metric_set!` declares one set")
            );
        }
        Ok(SetInput {
            attrs,
            vis,
            ident,
            body,
        })
    }
}

/// Whether a fn returns `()`.
pub fn is_unit(ret: &ReturnType) -> bool {
    match ret {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    }
}

/// The return type with every `impl Trait` replaced by `_`, usable as a `let` annotation (so a
/// body that only panics or only uses `?` still has a known type).
pub fn let_type(ty: &Type) -> Type {
    let mut ty = ty.clone();
    infer_impl_traits(&mut ty);
    ty
}

fn infer_impl_traits(ty: &mut Type) {
    match ty {
        Type::ImplTrait(_) => {
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: Token![_](Span::call_site()),
            });
        }
        Type::Reference(r) => infer_impl_traits(&mut r.elem),
        Type::Paren(p) => infer_impl_traits(&mut p.elem),
        Type::Group(g) => infer_impl_traits(&mut g.elem),
        Type::Slice(s) => infer_impl_traits(&mut s.elem),
        Type::Array(a) => infer_impl_traits(&mut a.elem),
        Type::Ptr(p) => infer_impl_traits(&mut p.elem),
        Type::Tuple(t) => t.elems.iter_mut().for_each(infer_impl_traits),
        Type::Path(p) => {
            for seg in &mut p.path.segments {
                if let syn::PathArguments::AngleBracketed(a) = &mut seg.arguments {
                    for arg in &mut a.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            infer_impl_traits(t);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The `Output = R` of a `Pin<Box<dyn Future<Output = R> + ..>>` return type.
pub fn future_output(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Path(p) => path_output(&p.path),
        Type::TraitObject(o) => o.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(t) => path_output(&t.path),
            _ => None,
        }),
        Type::Paren(p) => future_output(&p.elem),
        Type::Group(g) => future_output(&g.elem),
        _ => None,
    }
}

fn path_output(path: &Path) -> Option<&Type> {
    path.segments.iter().find_map(|seg| match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(at) if at.ident == "Output" => Some(&at.ty),
            syn::GenericArgument::Type(t) => future_output(t),
            _ => None,
        }),
        _ => None,
    })
}

/// `Box::pin(async move { .. })`, the body `#[async_trait]` leaves (when it expanded first).
pub fn async_trait_body(block: &mut Block) -> Option<&mut syn::ExprAsync> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    if func.path.segments.last().is_none_or(|s| s.ident != "pin") || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(Expr::Async(a)) => Some(a),
        _ => None,
    }
}
