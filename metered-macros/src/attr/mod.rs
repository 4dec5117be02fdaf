//! The attribute grammar: `#[metrics(...)]`, `metric_set!`'s body and `#[metered(...)]` as
//! typed values, with no validation beyond syntax. Every key is parsed through one table of
//! [`Key`]s per place, and every value stored through [`Once`], the one place duplicates are
//! detected.

mod value;

use crate::ast::SetInput;
use crate::diag::Diag;
use crate::kw;
use proc_macro2::TokenStream;
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
    /// Some input could not be read as metrics (reported): a syntax error ended a list early,
    /// or metrics stood where only options go. The rule that reports a missing metric keeps
    /// quiet then.
    pub misread: bool,
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

/// One accepted key of an argument list: its name, and how its value is read into `A`.
pub struct Key<A> {
    pub name: &'static str,
    read: fn(ParseStream<'_>, &Ident, &mut A, &mut Diag) -> syn::Result<()>,
}

/// Stores a value read for `key`, unless it was malformed (`None`, reported).
fn store<T>(
    slot: &mut Once<T>,
    key: &Ident,
    read: syn::Result<Option<T>>,
    diag: &mut Diag,
) -> syn::Result<()> {
    if let Some(v) = read? {
        slot.set(key, v, diag);
    }
    Ok(())
}

/// The entry of key `$name`, whose value `$read` reads into the field `$field`.
macro_rules! key {
    ($name:expr, $field:ident, $read:path) => {
        Key {
            name: $name,
            read: |i, k, args, d| store(&mut args.$field, k, $read(i, k, d), d),
        }
    };
}

mod point;
pub use point::{
    PointArgs, PointFieldArgs, parse_field as parse_point_field, parse_struct as parse_point,
};

/// The options in parentheses after a metric.
const METRIC_OPTIONS: &[Key<MetricArg>] = &[
    key!(kw::HELP, help, value::string),
    key!(kw::UNIT, unit, value::string),
    key!(kw::TYPE_LABEL, type_label, value::type_label),
    key!(kw::BUCKETS, buckets, value::buckets),
    key!(kw::WINDOW, window, value::duration),
    key!(kw::CUMULATIVE, cumulative, value::flag),
    Key {
        name: kw::VALUE,
        // Stored also when malformed (reported), so the kind check does not add "missing
        // `value`" beside it.
        read: |i, k, m, d| {
            let v = value::path(i, k, d)?;
            m.value.set(k, v, d);
            Ok(())
        },
    },
];

const SET_TYPE_LABEL: Key<MetricsArgs> = key!(kw::TYPE_LABEL, type_label, value::type_label);
const SET_CRATE: Key<MetricsArgs> = key!(kw::CRATE, krate, value::path);

/// `#[metrics(...)]` on a derive, beside metrics.
const DERIVE_KEYS: &[Key<MetricsArgs>] = &[
    key!(kw::SET, set, value::path),
    SET_TYPE_LABEL,
    key!(kw::PER_INSTANTIATION, per_instantiation, value::flag),
    SET_CRATE,
];
/// `#[metrics(...)]` on a `metric_set!`.
const SET_KEYS: &[Key<MetricsArgs>] = &[SET_TYPE_LABEL, SET_CRATE];

const NAME: Key<MeteredArgs> = key!(kw::NAME, name, value::string);
const ERROR: Key<MeteredArgs> = key!(kw::ERROR, error, value::path);
const METERED_TYPE_LABEL: Key<MeteredArgs> = key!(kw::TYPE_LABEL, type_label, value::type_label);

/// `#[metered(...)]` on an `impl` block or a `fn`.
const METERED_KEYS: &[Key<MeteredArgs>] = &[
    NAME,
    ERROR,
    METERED_TYPE_LABEL,
    key!(kw::CRATE, krate, value::path),
];
/// `#[metered(...)]` on a method inside an instrumented `impl` block.
const METHOD_KEYS: &[Key<MeteredArgs>] = &[
    key!(kw::SKIP, skip, value::flag),
    NAME,
    ERROR,
    METERED_TYPE_LABEL,
];

/// The names of `keys`, for messages.
fn names<A>(keys: &[Key<A>]) -> String {
    kw::list(keys.iter().map(|k| k.name))
}

/// Reads the value of the key `path` into `args` by the entry of `keys` of that name: the one
/// dispatch of every argument list. A key no entry names is reported on the key, as an unknown
/// `what`, and its value is skipped.
fn dispatch<A>(
    keys: &[Key<A>],
    what: &str,
    path: &Path,
    input: ParseStream,
    args: &mut A,
    diag: &mut Diag,
) -> syn::Result<()> {
    let Some(key) = path.get_ident() else {
        diag.error(
            path,
            format_args!("unknown {what}; expected one of {}", names(keys)),
        );
        return value::skip(input);
    };
    if let Some(k) = keys.iter().find(|k| key == k.name) {
        return (k.read)(input, key, args, diag);
    }
    diag.error(
        key,
        format_args!("unknown {what} `{key}`; expected one of {}", names(keys)),
    );
    value::skip(input)
}

/// The doc comments of a metric; any other attribute on it is reported.
fn metric_docs(attrs: &[Attribute], diag: &mut Diag) -> Vec<LitStr> {
    let mut docs = Vec::new();
    for attr in attrs {
        match &attr.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => {
                if let Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) = &nv.value
                {
                    docs.push(s.clone());
                }
            }
            _ => diag.error(
                attr,
                "only doc comments are accepted on a metric; give options in parentheses after the template",
            ),
        }
    }
    docs
}

/// `: Kind = "template" (options)` after the metric's accessor `ident`.
fn parse_metric(
    input: ParseStream,
    attrs: &[Attribute],
    ident: Ident,
    diag: &mut Diag,
) -> syn::Result<MetricArg> {
    input.parse::<Token![:]>()?;
    let kind: Ident = input.parse()?;
    input.parse::<Token![=]>()?;
    let template: LitStr = input.parse()?;
    let mut metric = MetricArg {
        docs: metric_docs(attrs, diag),
        ident,
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
        let options = content.parse::<TokenStream>()?;
        syn::meta::parser(|meta| {
            dispatch(
                METRIC_OPTIONS,
                "metric option",
                &meta.path,
                meta.input,
                &mut metric,
                diag,
            )
        })
        .parse2(options)?;
    }
    Ok(metric)
}

/// Parses a list of metrics and the keys in `keys` (none: `metric_set!`'s body).
fn parse_metrics(
    input: ParseStream,
    args: &mut MetricsArgs,
    keys: &[Key<MetricsArgs>],
    diag: &mut Diag,
) -> syn::Result<()> {
    while !input.is_empty() {
        let attrs = input.call(Attribute::parse_outer)?;
        if !input.peek(Ident::peek_any) {
            return Err(input.error(format_args!(
                "expected a metric like `latency: Timer = \"app.{{}}.latency\"` or one of {}",
                names(keys)
            )));
        }
        let key = input.call(Ident::parse_any)?;
        if input.peek(Ident) {
            return Err(input.error(format_args!(
                "expected `:` between the metric `{key}` and its kind, like `{key}: Timer = \"app.{{}}.{key}\"`"
            )));
        }
        if input.peek(Token![:]) && !input.peek(Token![::]) {
            args.metrics.push(parse_metric(input, &attrs, key, diag)?);
        } else {
            if let Some(attr) = attrs.first() {
                diag.error(attr, "doc comments are accepted only before a metric");
            }
            if keys.is_empty() {
                diag.error(
                    &key,
                    format_args!("expected a metric like `{key}: Timer = \"app.{{}}.{key}\"`; options of the set go in `#[metrics(...)]` above it"),
                );
                value::skip(input)?;
            } else {
                let path = Path::from(key);
                dispatch(keys, "`metrics` argument", &path, input, args, diag)?;
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// Parses the `#[metrics(...)]` attributes of a derive; `None` if there is none.
pub fn parse_derive(attrs: &[Attribute], diag: &mut Diag) -> Option<MetricsArgs> {
    let mut args = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident(kw::METRICS)) {
        let args = args.get_or_insert_with(MetricsArgs::default);
        let parsed =
            attr.parse_args_with(|s: ParseStream| parse_metrics(s, args, DERIVE_KEYS, diag));
        if let Err(e) = parsed {
            diag.push(e);
            args.misread = true;
        }
    }
    args
}

/// Parses a `metric_set!`: its options from `#[metrics(...)]` and its metrics from the braces.
/// Returns the arguments and the set's other attributes.
pub fn parse_set(input: SetInput, diag: &mut Diag) -> (MetricsArgs, Vec<Attribute>) {
    let mut args = MetricsArgs::default();
    let mut attrs = Vec::new();
    for attr in input.attrs {
        if attr.path().is_ident(kw::METRICS) {
            let parsed =
                attr.parse_args_with(|s: ParseStream| parse_metrics(s, &mut args, SET_KEYS, diag));
            if let Err(e) = parsed {
                diag.push(e);
                args.misread = true;
            }
            if let Some(m) = args.metrics.first() {
                diag.error(
                    &m.ident,
                    "metrics go inside the braces of `metric_set!`, not in `#[metrics(...)]`",
                );
                args.metrics.clear();
                args.misread = true;
            }
        } else {
            attrs.push(attr);
        }
    }
    let parsed = (|s: ParseStream| parse_metrics(s, &mut args, &[], diag)).parse2(input.body);
    if let Err(e) = parsed {
        diag.push(e);
        args.misread = true;
    }
    (args, attrs)
}

/// Parses the arguments of `#[metered(...)]` on an `impl` block or a `fn`.
pub fn parse_metered(tokens: TokenStream, diag: &mut Diag) -> MeteredArgs {
    let mut args = MeteredArgs::default();
    let parsed = syn::meta::parser(|meta| {
        let what = "`metered` argument";
        dispatch(METERED_KEYS, what, &meta.path, meta.input, &mut args, diag)
    })
    .parse2(tokens);
    if let Err(e) = parsed {
        diag.push(e);
    }
    args
}

/// Removes a method's `#[metered(...)]` attributes and parses them.
pub fn take_method_args(attrs: &mut Vec<Attribute>, diag: &mut Diag) -> MeteredArgs {
    let mut args = MeteredArgs::default();
    let mut kept = Vec::new();
    for attr in std::mem::take(attrs) {
        if !attr.path().is_ident(kw::METERED) {
            kept.push(attr);
            continue;
        }
        let parsed = match &attr.meta {
            syn::Meta::Path(_) => Ok(()),
            _ => attr.parse_nested_meta(|meta| {
                let what = "`metered` argument";
                dispatch(METHOD_KEYS, what, &meta.path, meta.input, &mut args, diag)
            }),
        };
        if let Err(e) = parsed {
            diag.push(e);
        }
    }
    *attrs = kept;
    args
}
