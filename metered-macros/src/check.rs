//! Cross-field rules over model and arguments. Pushes every problem; never returns early.

use crate::args::{MetricArg, MetricsArgs, Once, TypeLabel};
use crate::diag::Diag;
use crate::kw;
use crate::template::{self, Context, Known, Part};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use std::collections::HashMap;
use syn::{Ident, LitStr, Path};

/// A metric kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Timer,
    Meter,
    Counter,
    Gauge,
    UpDownCounter,
    FloatGauge,
    FnGauge,
    Histogram,
}

impl Kind {
    fn from_ident(i: &Ident) -> Option<Kind> {
        Some(match i.to_string().as_str() {
            "Timer" => Kind::Timer,
            "Meter" => Kind::Meter,
            "Counter" => Kind::Counter,
            "Gauge" => Kind::Gauge,
            "UpDownCounter" => Kind::UpDownCounter,
            "FloatGauge" => Kind::FloatGauge,
            "FnGauge" => Kind::FnGauge,
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
            Kind::UpDownCounter => "UpDownCounter",
            Kind::FloatGauge => "FloatGauge",
            Kind::FnGauge => "FnGauge",
            Kind::Histogram => "Histogram",
        };
        Ident::new(name, Span::call_site())
    }

    /// Whether the kind is a histogram underneath and takes `buckets`, `window`, `cumulative`.
    fn is_histogram(self) -> bool {
        matches!(self, Kind::Timer | Kind::Histogram)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Timer => "timer",
            Kind::Meter => "meter",
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::UpDownCounter => "up-down counter",
            Kind::FloatGauge => "float gauge",
            Kind::FnGauge => "function gauge",
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
    /// The histogram configuration of a `Histogram` or `Timer`, if options were given.
    pub config: Option<HistConfig>,
    /// The function of an `FnGauge` (`None` beside an error: a placeholder is generated).
    pub value: Option<Path>,
}

/// A validated `HistogramConfig`: classic bounds (finite, strictly increasing, non-empty) and
/// the quantile window.
#[derive(Debug, Clone, PartialEq)]
pub struct HistConfig {
    pub bounds: Option<Vec<f64>>,
    pub window: Option<Window>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `window = "..."`, in milliseconds (never zero).
    Millis(u64),
    /// `cumulative`.
    Cumulative,
}

/// `"250ms"`, `"60s"`, `"5m"`, `"1h"` in milliseconds; `None` (with an error) otherwise.
fn window_millis(lit: &LitStr, diag: &mut Diag) -> Option<u64> {
    let v = lit.value();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let per_unit: Option<u64> = match unit {
        "ms" => Some(1),
        "s" => Some(1_000),
        "m" => Some(60_000),
        "h" => Some(3_600_000),
        _ => None,
    };
    let Some(per_unit) = per_unit.filter(|_| !digits.is_empty()) else {
        diag.error(
            lit,
            format_args!("`window` {v:?} is not a duration; expected a whole number and a unit `ms`, `s`, `m` or `h`, like \"60s\" or \"5m\""),
        );
        return None;
    };
    let Some(ms) = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(per_unit))
    else {
        diag.error(
            lit,
            format_args!("`window` {v:?} is too long; it must fit in `u64` milliseconds"),
        );
        return None;
    };
    if ms == 0 {
        diag.error(
            lit,
            "`window` is zero; for quantiles over everything recorded write `cumulative`",
        );
        return None;
    }
    Some(ms)
}

/// The bounds of `buckets`: non-empty, finite, not negative and strictly increasing.
fn check_bounds(b: &crate::args::Buckets, diag: &mut Diag) -> Option<Vec<f64>> {
    if b.bounds.is_empty() {
        diag.error(
            &b.list,
            "`buckets` is empty; give at least one upper bound, like `buckets = [0.1, 1.0, 10.0]`, or remove it",
        );
        return None;
    }
    let mut ok = true;
    let mut prev: Option<(f64, &TokenStream)> = None;
    for bound in &b.bounds {
        let v = bound.value;
        let shown = bound.tokens.to_string().replace(' ', "");
        if !v.is_finite() {
            diag.error(
                &bound.tokens,
                format_args!("bucket bound `{shown}` is not finite; bounds are finite numbers, `+Inf` is always added"),
            );
            ok = false;
            continue;
        }
        if v < 0.0 {
            diag.error(
                &bound.tokens,
                format_args!(
                    "bucket bound `{shown}` is negative; histograms record values of 0 and above"
                ),
            );
            ok = false;
        }
        if let Some((p, p_tokens)) = prev
            && v <= p
        {
            let p_shown = p_tokens.to_string().replace(' ', "");
            diag.error(
                &bound.tokens,
                format_args!("bucket bound `{shown}` is not above the bound before it, `{p_shown}`; bounds must be strictly increasing"),
            );
            ok = false;
        }
        prev = Some((v, &bound.tokens));
    }
    // `-0.0` is 0: the generated literal is never negative.
    ok.then(|| b.bounds.iter().map(|b| b.value + 0.0).collect())
}

/// The `buckets`, `window` and `cumulative` options of `m`, whose kind is `kind` (if known).
/// `None` if none is given, or if one is wrong (reported).
fn check_config(m: &MetricArg, kind: Option<Kind>, diag: &mut Diag) -> Option<HistConfig> {
    let keys = [m.buckets.key(), m.window.key(), m.cumulative.key()];
    if keys.iter().all(Option::is_none) {
        return None;
    }
    if kind.is_some_and(|k| !k.is_histogram()) {
        for key in keys.into_iter().flatten() {
            diag.error(
                key,
                format_args!(
                    "`{key}` applies to `Histogram` and `Timer` metrics, not `{}`",
                    m.kind
                ),
            );
        }
        return None;
    }
    let mut ok = true;
    let bounds = match m.buckets.get() {
        Some(b) => {
            let bounds = check_bounds(b, diag);
            ok &= bounds.is_some();
            bounds
        }
        None => None,
    };
    let window = match (m.window.get(), m.cumulative.key()) {
        (Some(_), Some(key)) => {
            diag.error(
                key,
                "`cumulative` and `window` exclude each other; keep one of them",
            );
            ok = false;
            None
        }
        (Some(lit), None) => {
            let ms = window_millis(lit, diag);
            ok &= ms.is_some();
            ms.map(Window::Millis)
        }
        (None, Some(_)) => Some(Window::Cumulative),
        (None, None) => None,
    };
    if ok && kind.is_some() {
        Some(HistConfig { bounds, window })
    } else {
        None
    }
}

/// The `value = path` of `m`, whose kind is `kind` (if known): required on an `FnGauge`, refused
/// on any other kind. In a derive (`ty` known) a path starting with `Self` is refused: the
/// function is named inside the hidden set struct, where `Self` is that struct, not the type.
fn check_value(
    m: &MetricArg,
    kind: Option<Kind>,
    ty: Option<&str>,
    diag: &mut Diag,
) -> Option<Path> {
    let kind = kind?;
    if kind != Kind::FnGauge {
        if let Some(key) = m.value.key() {
            diag.error(
                key,
                format_args!("`{key}` applies to `FnGauge` metrics, not `{}`", m.kind),
            );
        }
        return None;
    }
    let path = match m.value.get() {
        Some(Some(path)) => path,
        // Malformed: reported where it was parsed.
        Some(None) => return None,
        None => {
            diag.error(
                &m.kind,
                format_args!(
                    "`FnGauge` metric `{}` needs `value = path` naming a `fn() -> f64`, like `{}: FnGauge = \"...\" (value = queue_depth)`",
                    m.ident, m.ident
                ),
            );
            return None;
        }
    };
    if let (Some(ty), Some(first)) = (ty, path.segments.first())
        && path.leading_colon.is_none()
        && first.ident == "Self"
    {
        let ty = ty.strip_prefix("r#").unwrap_or(ty);
        let rest: Vec<String> = path
            .segments
            .iter()
            .skip(1)
            .map(|s| s.ident.to_string())
            .collect();
        let suggestion = if rest.is_empty() {
            ty.to_owned()
        } else {
            format!("{ty}::{}", rest.join("::"))
        };
        diag.error(
            &first.ident,
            format_args!("`Self` in `value` would name the metric set the derive generates, not `{ty}`; write `{suggestion}`"),
        );
        return None;
    }
    Some(path.clone())
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

/// The family and key of a metric's type label (its own, else the set's), if asked for.
fn metric_type_label(
    m: &MetricArg,
    args: &MetricsArgs,
    default_label: Option<&String>,
    parts: &[Part],
    diag: &mut Diag,
) -> Option<(Vec<Part>, String)> {
    let own_label = m
        .type_label
        .get()
        .map(|tl| (m.type_label.key(), type_label_key(tl, diag)));
    match (own_label, default_label) {
        (Some((Some(key), Some(label))), _) => {
            family_or_error(parts, key, &m.template, diag).map(|f| (f, label))
        }
        (None, Some(label)) => args
            .type_label
            .key()
            .and_then(|key| family_or_error(parts, key, &m.template, diag))
            .map(|f| (f, label.clone())),
        (Some(_), _) | (None, None) => None,
    }
}

/// `help = ".."`, else the doc comments joined.
fn help_text(m: &MetricArg) -> String {
    match m.help.get() {
        Some(h) => h.value(),
        None => m
            .docs
            .iter()
            .map(|d| d.value().trim().to_owned())
            .collect::<Vec<_>>()
            .join(" ")
            .trim()
            .to_owned(),
    }
}

/// Checks the metrics listed in `args`. `ty` is the type's name where it is known (a derive),
/// `None` for `metric_set!`.
///
/// Returns every metric whose accessor and kind were understood (the first of a duplicated
/// accessor), also when its template or options are wrong: beside the errors, the expansion
/// still generates their accessors, so code using them shows no errors of its own. A wrong
/// template gives a placeholder name, a wrong option is left out.
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
        let config = check_config(m, kind, diag);
        let value = check_value(m, kind, ty, diag);
        let unit = match (m.unit.get(), kind) {
            (Some(u), Some(k)) => unit_tokens(u, k, diag),
            _ => None,
        };
        let (parts, type_label) = if let Some(t) = template::parse(&m.template, Context::Type, diag)
        {
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
            let type_label = metric_type_label(m, args, default_label.as_ref(), &t.parts, diag);
            (t.parts, type_label)
        } else {
            // Reported. The accessor is still generated, named after itself, so code calling
            // it compiles and shows no further errors.
            let placeholder = ident_s.strip_prefix("r#").unwrap_or(&ident_s).to_owned();
            (vec![Part::Lit(placeholder)], None)
        };
        // A duplicate accessor is left out: the first one of that name is generated.
        if let (Some(kind), false) = (kind, duplicate) {
            out.push(Metric {
                ident: m.ident.clone(),
                kind,
                template: m.template.clone(),
                parts,
                type_label,
                help: help_text(m),
                unit,
                config,
                value,
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
