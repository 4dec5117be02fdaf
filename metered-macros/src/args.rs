//! Attribute arguments as typed values, with no validation beyond syntax. Every argument is
//! stored through [`Once`], the one place duplicates are detected.

use crate::diag::Diag;
use crate::kw;
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Path, Token};

/// An argument given at most once: the key (for spans) and its value.
pub struct Once<T> {
    value: Option<(Ident, T)>,
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Once { value: None }
    }
}

impl<T> Once<T> {
    /// Stores `value`, or reports `key` as a duplicate.
    pub fn set(&mut self, key: &Ident, value: T, diag: &mut Diag) {
        if self.value.is_some() {
            diag.error(
                key,
                format_args!("duplicate `{key}` argument; give it once"),
            );
        } else {
            self.value = Some((key.clone(), value));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    pub fn key(&self) -> Option<&Ident> {
        self.value.as_ref().map(|(k, _)| k)
    }

    pub fn is_set(&self) -> bool {
        self.value.is_some()
    }
}

/// `type_label` or `type_label = "key"`.
#[derive(Clone)]
pub enum TypeLabel {
    Flag,
    Key(LitStr),
}

/// One number of `buckets = [..]`: its value and its tokens (for spans).
pub struct Bound {
    pub value: f64,
    pub tokens: TokenStream,
}

/// `buckets = [1.0, 3.0, 7]`: the numbers, and the whole list (for spans).
pub struct Buckets {
    pub list: TokenStream,
    pub bounds: Vec<Bound>,
}

/// One metric: `/// help` `name: Kind = "template" (help = "..", unit = "..", type_label,
/// buckets = [..], window = "..", cumulative, value = path)`.
pub struct MetricArg {
    pub docs: Vec<LitStr>,
    pub ident: Ident,
    pub kind: Ident,
    pub template: LitStr,
    pub help: Once<LitStr>,
    pub unit: Once<LitStr>,
    pub type_label: Once<TypeLabel>,
    pub buckets: Once<Buckets>,
    pub window: Once<LitStr>,
    pub cumulative: Once<()>,
    /// The function of an `FnGauge`; `None` if the value was malformed (reported).
    pub value: Once<Option<Path>>,
}

/// The contents of `#[metrics(...)]` (on a derive, or inside `metric_set!`).
#[derive(Default)]
pub struct MetricsArgs {
    pub metrics: Vec<MetricArg>,
    pub set: Once<Path>,
    pub type_label: Once<TypeLabel>,
    pub per_instantiation: Once<()>,
    pub krate: Once<Path>,
}

/// The arguments of `#[metered(...)]`, on an item or on a method.
#[derive(Default)]
pub struct MeteredArgs {
    pub name: Once<LitStr>,
    pub error: Once<Path>,
    pub type_label: Once<TypeLabel>,
    pub krate: Once<Path>,
    pub skip: Once<()>,
}

fn unknown(key: &Ident, what: &str, accepted: &[&str], diag: &mut Diag) {
    diag.error(
        key,
        format_args!(
            "unknown {what} `{key}`; expected one of {}",
            kw::list(accepted)
        ),
    );
}

/// A key with neither `=` nor a separator after it: a syntax error at the next token.
fn missing_eq(input: ParseStream, key: &Ident) -> syn::Result<()> {
    if input.is_empty() || input.peek(Token![,]) {
        Ok(())
    } else {
        Err(input.error(format_args!("expected `=` after `{key}`")))
    }
}

/// Skips `= value` or `(...)` after an unknown key.
fn skip_value(input: ParseStream) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?;
    } else if input.peek(syn::token::Paren) {
        input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// `= "text"`.
fn str_value(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<LitStr>> {
    if !input.peek(Token![=]) {
        missing_eq(input, key)?;
        diag.error(
            key,
            format_args!("`{key}` needs a value: a string literal, like `{key} = \"...\"`"),
        );
        return Ok(None);
    }
    input.parse::<Token![=]>()?;
    match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            diag.error(
                other,
                format_args!("expected a string literal for `{key}`, like `{key} = \"...\"`"),
            );
            Ok(None)
        }
    }
}

/// `= path`.
fn path_value(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<Path>> {
    let example = if key == kw::CRATE {
        "::metered_runtime"
    } else if key == kw::SET {
        "HttpEndpoint"
    } else if key == kw::VALUE {
        "queue_depth"
    } else {
        "my_fn"
    };
    if !input.peek(Token![=]) {
        missing_eq(input, key)?;
        diag.error(
            key,
            format_args!("`{key}` needs a value: a path, like `{key} = {example}`"),
        );
        return Ok(None);
    }
    input.parse::<Token![=]>()?;
    match input.parse::<Expr>()? {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Ok(Some(p.path)),
        other => {
            diag.error(
                other,
                format_args!("expected a path for `{key}`, like `{key} = {example}`"),
            );
            Ok(None)
        }
    }
}

/// A key that takes no value.
fn flag(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<bool> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        diag.error(
            value,
            format_args!("`{key}` takes no value; write just `{key}`"),
        );
        return Ok(false);
    }
    if input.peek(syn::token::Paren) {
        let group: proc_macro2::Group = input.parse()?;
        diag.error_at(
            group.span(),
            format_args!("`{key}` takes no value; write just `{key}`"),
        );
        return Ok(false);
    }
    Ok(true)
}

/// `type_label` or `type_label = "key"`.
fn type_label_value(
    input: ParseStream,
    key: &Ident,
    diag: &mut Diag,
) -> syn::Result<Option<TypeLabel>> {
    if input.peek(Token![=]) {
        Ok(str_value(input, key, diag)?.map(TypeLabel::Key))
    } else {
        Ok(Some(TypeLabel::Flag))
    }
}

/// A number literal (integer or float, no suffix but `f64`), or one negated with `-`.
fn number(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Float(f), ..
        }) if matches!(f.suffix(), "" | "f64") => f.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) if matches!(i.suffix(), "" | "f64") => i.base10_parse::<f64>().ok(),
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) if matches!(**expr, Expr::Lit(_)) => number(expr).map(|v| -v),
        Expr::Group(g) => number(&g.expr),
        _ => None,
    }
}

/// `= [1.0, 3.0, 7]`.
fn buckets_value(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<Buckets>> {
    if !input.peek(Token![=]) {
        missing_eq(input, key)?;
        diag.error(
            key,
            format_args!(
                "`{key}` needs a value: a list of numbers, like `{key} = [0.1, 1.0, 10.0]`"
            ),
        );
        return Ok(None);
    }
    input.parse::<Token![=]>()?;
    let arr = match input.parse::<Expr>()? {
        Expr::Array(arr) => arr,
        other => {
            diag.error(
                other,
                format_args!(
                    "expected a list of numbers for `{key}`, like `{key} = [0.1, 1.0, 10.0]`"
                ),
            );
            return Ok(None);
        }
    };
    let mut bounds = Vec::with_capacity(arr.elems.len());
    let mut ok = true;
    for e in &arr.elems {
        if let Some(value) = number(e) {
            bounds.push(Bound {
                value,
                tokens: e.to_token_stream(),
            });
        } else {
            diag.error(
                e,
                format_args!("expected a number literal in `{key}`, like `0.5` or `10`"),
            );
            ok = false;
        }
    }
    Ok(ok.then(|| Buckets {
        list: arr.to_token_stream(),
        bounds,
    }))
}

/// `= "60s"` (the text is checked later).
fn window_value(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<LitStr>> {
    let hint = "a duration string like `window = \"60s\"` (units `ms`, `s`, `m`, `h`)";
    if !input.peek(Token![=]) {
        missing_eq(input, key)?;
        diag.error(key, format_args!("`{key}` needs a value: {hint}"));
        return Ok(None);
    }
    input.parse::<Token![=]>()?;
    match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            diag.error(other, format_args!("expected {hint} for `{key}`"));
            Ok(None)
        }
    }
}

/// The options in parentheses after a metric.
fn parse_metric_options(
    tokens: TokenStream,
    m: &mut MetricArg,
    diag: &mut Diag,
) -> syn::Result<()> {
    let parser = syn::meta::parser(|meta| {
        let Some(key) = meta.path.get_ident().cloned() else {
            diag.error(
                &meta.path,
                format_args!(
                    "unknown metric option; expected one of {}",
                    kw::list(kw::METRIC_KEYS)
                ),
            );
            return skip_value(meta.input);
        };
        if key == kw::HELP {
            if let Some(v) = str_value(meta.input, &key, diag)? {
                m.help.set(&key, v, diag);
            }
        } else if key == kw::UNIT {
            if let Some(v) = str_value(meta.input, &key, diag)? {
                m.unit.set(&key, v, diag);
            }
        } else if key == kw::TYPE_LABEL {
            if let Some(v) = type_label_value(meta.input, &key, diag)? {
                m.type_label.set(&key, v, diag);
            }
        } else if key == kw::BUCKETS {
            if let Some(v) = buckets_value(meta.input, &key, diag)? {
                m.buckets.set(&key, v, diag);
            }
        } else if key == kw::WINDOW {
            if let Some(v) = window_value(meta.input, &key, diag)? {
                m.window.set(&key, v, diag);
            }
        } else if key == kw::CUMULATIVE {
            if flag(meta.input, &key, diag)? {
                m.cumulative.set(&key, (), diag);
            }
        } else if key == kw::VALUE {
            // Stored also when malformed (reported), so the kind check does not add
            // "missing `value`" beside it.
            let v = path_value(meta.input, &key, diag)?;
            m.value.set(&key, v, diag);
        } else {
            unknown(&key, "metric option", kw::METRIC_KEYS, diag);
            skip_value(meta.input)?;
        }
        Ok(())
    });
    parser.parse2(tokens)
}

/// Parses the contents of one `#[metrics(...)]`: metrics and the keys in `accepted`.
pub fn parse_metrics(
    input: ParseStream,
    args: &mut MetricsArgs,
    accepted: &[&str],
    diag: &mut Diag,
) -> syn::Result<()> {
    while !input.is_empty() {
        let attrs = input.call(Attribute::parse_outer)?;
        if !input.peek(Ident::peek_any) {
            return Err(input.error(format_args!(
                "expected a metric like `latency: Timer = \"app.{{}}.latency\"` or one of {}",
                kw::list(accepted)
            )));
        }
        let key = input.call(Ident::parse_any)?;
        if input.peek(Ident) {
            return Err(input.error(format_args!(
                "expected `:` between the metric `{key}` and its kind, like `{key}: Timer = \"app.{{}}.{key}\"`"
            )));
        }
        if input.peek(Token![:]) && !input.peek(Token![::]) {
            input.parse::<Token![:]>()?;
            let kind: Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            let template: LitStr = input.parse()?;
            let mut docs = Vec::new();
            for attr in &attrs {
                match &attr.meta {
                    syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => {
                        if let Expr::Lit(ExprLit { lit: Lit::Str(s), .. }) = &nv.value {
                            docs.push(s.clone());
                        }
                    }
                    _ => diag.error(
                        attr,
                        "only doc comments are accepted on a metric; give options in parentheses after the template",
                    ),
                }
            }
            let mut metric = MetricArg {
                docs,
                ident: key,
                kind,
                template,
                help: Once::default(),
                unit: Once::default(),
                type_label: Once::default(),
                buckets: Once::default(),
                window: Once::default(),
                cumulative: Once::default(),
                value: Once::default(),
            };
            if input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in input);
                parse_metric_options(content.parse()?, &mut metric, diag)?;
            }
            args.metrics.push(metric);
        } else {
            if let Some(attr) = attrs.first() {
                diag.error(attr, "doc comments are accepted only before a metric");
            }
            let name = key.to_string();
            if accepted.is_empty() {
                diag.error(
                    &key,
                    format_args!("expected a metric like `{key}: Timer = \"app.{{}}.{key}\"`; options of the set go in `#[metrics(...)]` above it"),
                );
                skip_value(input)?;
            } else if !accepted.contains(&name.as_str()) {
                unknown(&key, "`metrics` argument", accepted, diag);
                skip_value(input)?;
            } else if key == kw::SET {
                if let Some(v) = path_value(input, &key, diag)? {
                    args.set.set(&key, v, diag);
                }
            } else if key == kw::CRATE {
                if let Some(v) = path_value(input, &key, diag)? {
                    args.krate.set(&key, v, diag);
                }
            } else if key == kw::TYPE_LABEL {
                if let Some(v) = type_label_value(input, &key, diag)? {
                    args.type_label.set(&key, v, diag);
                }
            } else if flag(input, &key, diag)? {
                args.per_instantiation.set(&key, (), diag);
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// Parses `#[metered(...)]` arguments; `accepted` tells the item's keys from a method's.
pub fn parse_metered(
    tokens: TokenStream,
    args: &mut MeteredArgs,
    accepted: &[&str],
    diag: &mut Diag,
) -> syn::Result<()> {
    let parser = syn::meta::parser(|meta| parse_metered_key(&meta, args, accepted, diag));
    parser.parse2(tokens)
}

/// One `#[metered(...)]` key (also used with `Attribute::parse_nested_meta`).
pub fn parse_metered_key(
    meta: &syn::meta::ParseNestedMeta<'_>,
    args: &mut MeteredArgs,
    accepted: &[&str],
    diag: &mut Diag,
) -> syn::Result<()> {
    let Some(key) = meta.path.get_ident().cloned() else {
        diag.error(
            &meta.path,
            format_args!(
                "unknown `metered` argument; expected one of {}",
                kw::list(accepted)
            ),
        );
        return skip_value(meta.input);
    };
    let name = key.to_string();
    let input = meta.input;
    if !accepted.contains(&name.as_str()) {
        unknown(&key, "`metered` argument", accepted, diag);
        skip_value(input)?;
    } else if key == kw::NAME {
        if let Some(v) = str_value(input, &key, diag)? {
            args.name.set(&key, v, diag);
        }
    } else if key == kw::ERROR {
        if let Some(v) = path_value(input, &key, diag)? {
            args.error.set(&key, v, diag);
        }
    } else if key == kw::CRATE {
        if let Some(v) = path_value(input, &key, diag)? {
            args.krate.set(&key, v, diag);
        }
    } else if key == kw::TYPE_LABEL {
        if let Some(v) = type_label_value(input, &key, diag)? {
            args.type_label.set(&key, v, diag);
        }
    } else if flag(input, &key, diag)? {
        args.skip.set(&key, (), diag);
    }
    Ok(())
}
