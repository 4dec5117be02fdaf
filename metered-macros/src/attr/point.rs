//! `#[point(...)]` of `#[derive(Point)]`: on the struct (`series = "..."`, `crate = path`) and
//! on its fields (`tag`, `field`, `timestamp`, `skip`, `name = "..."`).

use super::{Key, Once, dispatch, store, value};
use crate::diag::Diag;
use crate::kw;
use syn::parse::ParseStream;
use syn::{Attribute, Ident, LitStr, Path};

/// `#[point(...)]` on the struct.
#[derive(Default)]
pub struct PointArgs {
    pub series: Once<LitStr>,
    pub krate: Once<Path>,
}

/// `#[point(...)]` on a field.
#[derive(Default)]
pub struct PointFieldArgs {
    /// The role keys (`tag`, `field`, `timestamp`) in the order written, repeats included:
    /// the rules report all but the first.
    pub roles: Vec<Ident>,
    pub skip: Once<()>,
    pub name: Once<LitStr>,
}

/// A role key: a flag, kept in the order written.
fn role(
    input: ParseStream<'_>,
    key: &Ident,
    args: &mut PointFieldArgs,
    diag: &mut Diag,
) -> syn::Result<()> {
    if value::flag(input, key, diag)?.is_some() {
        args.roles.push(key.clone());
    }
    Ok(())
}

const STRUCT_KEYS: &[Key<PointArgs>] = &[
    key!(kw::SERIES, series, value::string),
    key!(kw::CRATE, krate, value::path),
];

const FIELD_KEYS: &[Key<PointFieldArgs>] = &[
    Key {
        name: kw::TAG,
        read: role,
    },
    Key {
        name: kw::FIELD,
        read: role,
    },
    Key {
        name: kw::TIMESTAMP,
        read: role,
    },
    key!(kw::NAME, name, value::string),
    key!(kw::SKIP, skip, value::flag),
];

/// Parses every `#[point(...)]` among `attrs` through `keys` into one `A`.
fn parse<A: Default>(attrs: &[Attribute], keys: &[Key<A>], diag: &mut Diag) -> A {
    let mut args = A::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident(kw::POINT)) {
        if let syn::Meta::Path(_) = attr.meta {
            continue;
        }
        let parsed = attr.parse_nested_meta(|meta| {
            dispatch(
                keys,
                "`point` argument",
                &meta.path,
                meta.input,
                &mut args,
                diag,
            )
        });
        if let Err(e) = parsed {
            diag.push(e);
        }
    }
    args
}

/// The struct's `#[point(...)]`.
pub fn parse_struct(attrs: &[Attribute], diag: &mut Diag) -> PointArgs {
    parse(attrs, STRUCT_KEYS, diag)
}

/// A field's `#[point(...)]`.
pub fn parse_field(attrs: &[Attribute], diag: &mut Diag) -> PointFieldArgs {
    parse(attrs, FIELD_KEYS, diag)
}
