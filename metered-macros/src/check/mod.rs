//! The rules: from the syntax tree and the attribute arguments to the validated [`model`].
//! Every problem is pushed to the [`Diag`], and checking goes on after it, so one compile
//! shows every mistake; what was understood still goes into the model.
//!
//! [`model`]: crate::model

mod metric;
mod point;

use crate::ast::TypeModel;
use crate::attr::{MeteredArgs, MetricsArgs, Once, TypeLabel};
use crate::diag::Diag;
use crate::model::{Derive, Family, Instrumented, Metrics, Set, Site};
use crate::template::{self, Context, Known, Part, Template};
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ImplItemFn, LitStr, Path, Signature, Type, Visibility};

pub use metric::check_metrics;
pub use point::check_point;

/// The label key of a `type_label` argument; `None` (with an error) if it is unusable.
pub fn type_label_key(tl: &TypeLabel, diag: &mut Diag) -> Option<String> {
    match tl {
        TypeLabel::Flag => Some("type".to_owned()),
        TypeLabel::Key(lit) => {
            let v = lit.value();
            let valid = v
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if valid {
                Some(v)
            } else {
                diag.error(
                    lit,
                    format_args!("`type_label` key {v:?} is not a label name; expected letters, digits and `_`, like \"handler\""),
                );
                None
            }
        }
    }
}

/// The family of `parts` for a type label asked for at `key`, or an error there.
pub fn family_or_error(
    parts: &[Part],
    key: &Ident,
    template: &LitStr,
    diag: &mut Diag,
) -> Option<Vec<Part>> {
    let fam = template::family(parts);
    if fam.is_none() {
        diag.error(
            key,
            format_args!(
                "`type_label` needs a segment of the template {:?} that is exactly `{{}}` or `{{type}}`, like \"app.{{}}.latency\"",
                template.value()
            ),
        );
    }
    fam
}

/// Reports `key` of an argument that is not allowed together with another one.
pub fn conflict<T>(arg: &Once<T>, msg: &str, diag: &mut Diag) {
    if let Some(key) = arg.key() {
        diag.error(key, msg);
    }
}

/// The rules of `#[derive(Metered)]`, given its `#[metrics(...)]` arguments (`None`: no such
/// attribute).
pub fn check_derive<'a>(
    ty: TypeModel<'a>,
    args: Option<&MetricsArgs>,
    diag: &mut Diag,
) -> Option<Derive<'a>> {
    let Some(args) = args else {
        diag.error(
            ty.ident,
            "`#[derive(Metered)]` needs `#[metrics(...)]` listing metrics like `latency: Timer = \"app.{}.latency\"`, or naming a set like `#[metrics(set = HttpEndpoint)]`",
        );
        return None;
    };
    let ty_name = ty.ident.to_string();
    let metrics = check_metrics(args, Some(&ty_name), diag);
    let metrics = if let Some(set) = args.set.get() {
        if let Some(first) = args.metrics.first() {
            diag.error(
                &first.ident,
                "metrics cannot be listed beside `set = ...`; add them to the set's `metric_set!`",
            );
        }
        conflict(
            &args.type_label,
            "`type_label` goes on the set's declaration in `metric_set!`, not beside `set = ...`",
            diag,
        );
        Metrics::Set(set.clone())
    } else {
        if args.metrics.is_empty() && !args.misread {
            diag.error(
                ty.ident,
                "`#[metrics(...)]` lists no metric; expected metrics like `latency: Timer = \"app.{}.latency\"` or `set = HttpEndpoint`",
            );
        }
        Metrics::Inline(metrics)
    };
    Some(Derive {
        ty,
        krate: args.krate.get().cloned(),
        per_instantiation: args.per_instantiation.is_set(),
        metrics,
    })
}

/// The rules of `metric_set!`, given its arguments and its other attributes.
pub fn check_set(
    ident: &Ident,
    vis: &Visibility,
    args: &MetricsArgs,
    attrs: Vec<Attribute>,
    diag: &mut Diag,
) -> Set {
    let metrics = check_metrics(args, None, diag);
    if args.metrics.is_empty() && !args.misread {
        diag.error(
            ident,
            "`metric_set!` declares no metric; expected metrics like `latency: Timer = \"app.{}.latency\"`",
        );
    }
    Set {
        attrs,
        vis: vis.clone(),
        ident: ident.clone(),
        krate: args.krate.get().cloned(),
        metrics,
    }
}

/// `const fn`s cannot be instrumented: reported on `const`.
fn reject_const(sig: &Signature, diag: &mut Diag) -> bool {
    if let Some(c) = &sig.constness {
        diag.error(
            c,
            "`#[metered]` cannot instrument a `const fn`; remove `const` or mark the method `#[metered(skip)]`",
        );
        return true;
    }
    false
}

/// The rules of `#[metered]` on a free fn.
pub fn check_fn(
    args: &MeteredArgs,
    sig: &Signature,
    diag: &mut Diag,
) -> Option<(Site, Instrumented)> {
    // `skip` needs no rule here: only a method's key table accepts it, so on an item it is
    // reported as an unknown argument.
    reject_const(sig, diag);
    conflict(
        &args.type_label,
        "`type_label` needs a type; use it on `#[metered]` on an `impl` block",
        diag,
    );
    let default = LitStr::new("{module}.{fn}", proc_macro2::Span::call_site());
    let lit = args.name.get().unwrap_or(&default);
    let t = template::parse(lit, Context::FreeFn, diag)?;
    let site = Site {
        krate: args.krate.get().cloned(),
        ty: None,
        trait_: None,
    };
    let plan = Instrumented {
        parts: t.parts,
        type_label: None,
        error: args.error.get().cloned(),
    };
    Some((site, plan))
}

/// The rules of `#[metered]` on an `impl` block: what the block's arguments give every method,
/// then [`ImplRules::method`] for each method in turn.
pub struct ImplRules<'a> {
    args: &'a MeteredArgs,
    self_ty: &'a Type,
    site: Site,
    cx: Context,
    base_lit: LitStr,
    base: Option<Template>,
    /// The names rendered so far, and the method each came from.
    names: HashMap<String, Ident>,
    /// Set after a mistake that every further method would repeat.
    stopped: bool,
}

impl<'a> ImplRules<'a> {
    /// For the block `impl [trait_ for] self_ty`.
    pub fn new(
        args: &'a MeteredArgs,
        self_ty: &'a Type,
        trait_: Option<&Path>,
        diag: &mut Diag,
    ) -> Self {
        let site = Site {
            krate: args.krate.get().cloned(),
            ty: crate::ast::type_ident(self_ty).map(|i| {
                let s = i.to_string();
                s.strip_prefix("r#").unwrap_or(&s).to_owned()
            }),
            trait_: trait_
                .and_then(|p| p.segments.last())
                .map(|s| s.ident.to_string()),
        };
        let cx = if site.trait_.is_some() {
            Context::TraitMethod
        } else {
            Context::Method
        };
        let default = LitStr::new("{type}.{fn}", self_ty.span());
        let base_lit = args.name.get().cloned().unwrap_or(default);
        let base = template::parse(&base_lit, cx, diag);
        ImplRules {
            args,
            self_ty,
            site,
            cx,
            base_lit,
            base,
            names: HashMap::new(),
            stopped: false,
        }
    }

    /// The rules of one method, whose own `#[metered(...)]` arguments are `m`: `None` if it is
    /// skipped or wrong (reported).
    pub fn method(
        &mut self,
        m: &MeteredArgs,
        method: &ImplItemFn,
        diag: &mut Diag,
    ) -> Option<Instrumented> {
        if self.stopped || m.skip.is_set() || reject_const(&method.sig, diag) {
            return None;
        }
        let own;
        let (lit, parts) = match m.name.get() {
            Some(lit) => {
                own = template::parse(lit, self.cx, diag)?.parts;
                (lit, own.as_slice())
            }
            None => (&self.base_lit, self.base.as_ref()?.parts.as_slice()),
        };
        if self.site.ty.is_none()
            && parts
                .iter()
                .any(|p| matches!(p, Part::Type | Part::TypeSnake))
        {
            diag.error(
                self.self_ty,
                "`{type}` needs a self type named by a path; give a template without it, like `#[metered(name = \"app.{fn}\")]`",
            );
            self.stopped = true;
            return None;
        }
        let fname = method.sig.ident.to_string();
        let rendered = template::render(
            parts,
            &Known {
                ty: self.site.ty.as_deref(),
                func: Some(&fname),
                trait_: self.site.trait_.as_deref(),
            },
        );
        if let Some(first) = self.names.get(&rendered) {
            diag.error(
                lit,
                format_args!("method `{fname}` renders the same metric names {rendered:?} as method `{first}`; give it another `name`"),
            );
        } else {
            self.names.insert(rendered, method.sig.ident.clone());
        }
        let label_args = if m.type_label.is_set() { m } else { self.args };
        let type_label = method_type_label(label_args, parts, lit, diag);
        Some(Instrumented {
            parts: parts.to_vec(),
            type_label,
            error: m.error.get().or(self.args.error.get()).cloned(),
        })
    }

    /// What every method is named after.
    pub fn into_site(self) -> Site {
        self.site
    }
}

/// The type label of a method, from its own arguments or the block's.
fn method_type_label(
    args: &MeteredArgs,
    parts: &[Part],
    template: &LitStr,
    diag: &mut Diag,
) -> Option<Family> {
    let tl = args.type_label.get()?;
    let key = args.type_label.key()?;
    let label = type_label_key(tl, diag)?;
    family_or_error(parts, key, template, diag).map(|f| (f, label))
}
