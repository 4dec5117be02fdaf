//! The rules of `#[derive(Point)]`: a series, one role per field, at most one timestamp, keys
//! that are non-empty and distinct, and at least one field.

use crate::ast::PointItem;
use crate::attr::{self, PointArgs, PointFieldArgs};
use crate::diag::Diag;
use crate::kw;
use crate::model::{PointDerive, PointMember, Role};
use std::collections::HashMap;
use syn::Ident;

/// The role a field's arguments give it (`None`: skipped), reporting every role key after the
/// first, and `skip` beside other arguments, on its key.
fn role(args: &PointFieldArgs, diag: &mut Diag) -> Option<Role> {
    let first = args.roles.first();
    for key in args.roles.iter().skip(1) {
        if first.is_some_and(|f| f == key) {
            diag.error(
                key,
                format_args!("duplicate `{key}` argument; give it once"),
            );
        } else if let Some(first) = first {
            diag.error(
                key,
                format_args!(
                    "`{key}` cannot be combined with `{first}`: a member is one of {}",
                    kw::list([kw::TAG, kw::FIELD, kw::TIMESTAMP])
                ),
            );
        }
    }
    if let Some(skip) = args.skip.key() {
        if first.is_some() || args.name.is_set() {
            diag.error(
                skip,
                "`skip` leaves the member out of the point; remove its other arguments",
            );
        }
        return None;
    }
    Some(match first {
        Some(k) if k == kw::TAG => Role::Tag,
        Some(k) if k == kw::TIMESTAMP => Role::Timestamp,
        _ => Role::Field,
    })
}

/// The rules of `#[derive(Point)]`.
pub fn check_point<'a>(item: &PointItem<'a>, diag: &mut Diag) -> PointDerive<'a> {
    let args: PointArgs = attr::parse_point(item.attrs, diag);
    let series = if let Some(lit) = args.series.get() {
        let v = lit.value();
        if v.is_empty() {
            diag.error(
                lit,
                "`series` is empty; name the measurement, like `series = \"requests\"`",
            );
        }
        v
    } else {
        diag.error(
            item.ident,
            "`#[derive(Point)]` needs `#[point(series = \"...\")]` naming the measurement, like `#[point(series = \"requests\")]`",
        );
        String::new()
    };
    let mut members = Vec::new();
    let mut timestamp: Option<&Ident> = None;
    let mut keys: HashMap<String, &Ident> = HashMap::new();
    for f in &item.fields {
        let fargs = attr::parse_point_field(&f.attrs, diag);
        let Some(ident) = &f.ident else { continue };
        let Some(role) = role(&fargs, diag) else {
            continue;
        };
        if role == Role::Timestamp {
            if let (Some(first), Some(key)) = (timestamp, fargs.roles.first()) {
                diag.error(
                    key,
                    format_args!(
                        "a second `timestamp`: `{first}` is already the point's event time"
                    ),
                );
                continue;
            }
            timestamp = Some(ident);
            if let Some(name) = fargs.name.key() {
                diag.error(
                    name,
                    "the timestamp is not written under a key; remove `name`",
                );
            }
        }
        let key = if let Some(lit) = fargs.name.get() {
            let v = lit.value();
            if v.is_empty() {
                diag.error(
                    lit,
                    "empty key; InfluxDB stores no tag or field without one",
                );
            }
            v
        } else {
            let s = ident.to_string();
            s.strip_prefix("r#").unwrap_or(&s).to_owned()
        };
        if role != Role::Timestamp {
            if let Some(first) = keys.get(&key) {
                let at: &dyn quote::ToTokens = match fargs.name.get() {
                    Some(lit) => lit,
                    None => ident,
                };
                diag.error(
                    at,
                    format_args!("the key {key:?} is taken by `{first}`; a point's tags and fields have distinct keys, give one another `name`"),
                );
            } else {
                keys.insert(key.clone(), ident);
            }
        }
        members.push(PointMember {
            ident,
            ty: &f.ty,
            key,
            role,
        });
    }
    if item.named && !members.iter().any(|m| m.role == Role::Field) {
        diag.error(
            item.ident,
            "a point needs a field (InfluxDB stores no point without one); members not marked `tag` or `timestamp` are fields",
        );
    }
    PointDerive {
        ident: item.ident,
        vis: item.vis,
        generics: item.generics,
        series,
        krate: args.krate.get().cloned(),
        members,
    }
}
