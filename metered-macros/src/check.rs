//! Cross-field rules over model and arguments. Pushes every problem; never returns early.

use crate::args::{MetricsArgs, Once, TypeLabel};
use crate::diag::Diag;
use crate::kw;
use crate::template::{self, Context, Known, Part};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::HashMap;
use syn::{Ident, LitStr};

/// A metric kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Timer,
    Meter,
    Counter,
    Gauge,
    FloatGauge,
    Histogram,
}

impl Kind {
    fn from_ident(i: &Ident) -> Option<Kind> {
        Some(match i.to_string().as_str() {
            "Timer" => Kind::Timer,
            "Meter" => Kind::Meter,
            "Counter" => Kind::Counter,
            "Gauge" => Kind::Gauge,
            "FloatGauge" => Kind::FloatGauge,
            "Histogram" => Kind::Histogram,
            _ => return None,
        })
    }

    /// The runtime type and `StaticMetric` variant share this name.
    pub fn ident(self) -> Ident {
        let name = match self {
            Kind::Timer => "Timer",
            Kind::Meter => "Meter",
            Kind::Counter => "Counter",
            Kind::Gauge => "Gauge",
            Kind::FloatGauge => "FloatGauge",
            Kind::Histogram => "Histogram",
        };
        Ident::new(name, Span::call_site())
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Timer => "timer",
            Kind::Meter => "meter",
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::FloatGauge => "float gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A validated metric of a set.
pub struct Metric {
    pub ident: Ident,
    pub kind: Kind,
    pub template: LitStr,
    pub parts: Vec<Part>,
    /// Family pieces and label key, if a type label was asked for.
    pub type_label: Option<(Vec<Part>, String)>,
    pub help: String,
    /// `Unit` expression tokens (relative to `#krate::__private`), if a unit was given.
    pub unit: Option<TokenStream>,
}

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

fn unit_tokens(lit: &LitStr, kind: Kind, diag: &mut Diag) -> Option<TokenStream> {
    let v = lit.value();
    if kind == Kind::Timer {
        if v != "seconds" {
            diag.error(
                lit,
                "a `Timer` is always in seconds; remove `unit` or write `unit = \"seconds\"`",
            );
        }
        return None;
    }
    match v.as_str() {
        "seconds" => Some(quote!(Unit::Seconds)),
        "bytes" => Some(quote!(Unit::Bytes)),
        "ratio" => Some(quote!(Unit::Ratio)),
        "" => {
            diag.error(lit, "`unit` is empty; expected `seconds`, `bytes`, `ratio` or a plural unit name like \"requests\"");
            None
        }
        other if other.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            Some(quote!(Unit::Other(#other)))
        }
        _ => {
            diag.error(lit, "`unit` must be lower-case letters and `_`, like `seconds`, `bytes`, `ratio` or \"requests\"");
            None
        }
    }
}

/// Checks the metrics listed in `args`. `ty` is the type's name where it is known (a derive),
/// `None` for `metric_set!`.
pub fn check_metrics(args: &MetricsArgs, ty: Option<&str>, diag: &mut Diag) -> Vec<Metric> {
    let default_label = args
        .type_label
        .get()
        .and_then(|tl| type_label_key(tl, diag));
    let mut accessors: HashMap<String, &Ident> = HashMap::new();
    let mut names: HashMap<String, &Ident> = HashMap::new();
    let mut out = Vec::new();
    for m in &args.metrics {
        let ident_s = m.ident.to_string();
        let duplicate = accessors.contains_key(&ident_s);
        if duplicate {
            diag.error(
                &m.ident,
                format_args!(
                    "duplicate metric `{ident_s}`; every metric needs its own accessor name"
                ),
            );
        } else {
            accessors.insert(ident_s.clone(), &m.ident);
        }
        let kind = Kind::from_ident(&m.kind);
        if kind.is_none() {
            diag.error(
                &m.kind,
                format_args!(
                    "unknown metric kind `{}`; expected one of {}",
                    m.kind,
                    kw::list(kw::KINDS)
                ),
            );
        }
        let Some(t) = template::parse(&m.template, Context::Type, diag) else {
            continue;
        };
        let rendered = template::render(
            &t.parts,
            &Known {
                ty,
                func: None,
                trait_: None,
            },
        );
        if duplicate {
            // Already reported.
        } else if let Some(first) = names.get(&rendered) {
            diag.error(
                &m.template,
                format_args!("metric `{}` renders the same name {rendered:?} as metric `{first}`; give it another template", m.ident),
            );
        } else {
            names.insert(rendered, &m.ident);
        }
        let own_label = m
            .type_label
            .get()
            .map(|tl| (m.type_label.key(), type_label_key(tl, diag)));
        let type_label = match (own_label, &default_label) {
            (Some((Some(key), Some(label))), _) => {
                family_or_error(&t.parts, key, &m.template, diag).map(|f| (f, label))
            }
            (None, Some(label)) => args
                .type_label
                .key()
                .and_then(|key| family_or_error(&t.parts, key, &m.template, diag))
                .map(|f| (f, label.clone())),
            (Some(_), _) | (None, None) => None,
        };
        let help = match m.help.get() {
            Some(h) => h.value(),
            None => m
                .docs
                .iter()
                .map(|d| d.value().trim().to_owned())
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_owned(),
        };
        let unit = match (m.unit.get(), kind) {
            (Some(u), Some(k)) => unit_tokens(u, k, diag),
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(Metric {
                ident: m.ident.clone(),
                kind,
                template: m.template.clone(),
                parts: t.parts,
                type_label,
                help,
                unit,
            });
        }
    }
    out
}

/// Reports `key` of an argument that is not allowed together with another one.
pub fn conflict<T>(arg: &Once<T>, msg: &str, diag: &mut Diag) {
    if let Some(key) = arg.key() {
        diag.error(key, msg);
    }
}
