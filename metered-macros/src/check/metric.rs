//! The rules of a list of metrics (a derive's or a set's): kinds, templates, options and
//! their combinations, producing the validated [`Metric`]s.

use super::{family_or_error, type_label_key};
use crate::attr::{Buckets, MetricArg, MetricsArgs};
use crate::diag::Diag;
use crate::kw;
use crate::model::{Family, HistConfig, Kind, Metric, Unit, Window};
use crate::template::{self, Context, Known, Part};
use proc_macro2::TokenStream;
use std::collections::HashMap;
use syn::{Ident, LitStr, Path};

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
fn check_bounds(b: &Buckets, diag: &mut Diag) -> Option<Vec<f64>> {
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

/// The unit of `unit = ".."` on a metric of kind `kind`.
fn check_unit(lit: &LitStr, kind: Kind, diag: &mut Diag) -> Option<Unit> {
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
        "seconds" => Some(Unit::Seconds),
        "bytes" => Some(Unit::Bytes),
        "ratio" => Some(Unit::Ratio),
        "" => {
            diag.error(lit, "`unit` is empty; expected `seconds`, `bytes`, `ratio` or a plural unit name like \"requests\"");
            None
        }
        other if other.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
            Some(Unit::Other(other.to_owned()))
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
) -> Option<Family> {
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
                    kw::list(Kind::ALL.map(Kind::name))
                ),
            );
        }
        let config = check_config(m, kind, diag);
        let value = check_value(m, kind, ty, diag);
        let unit = match (m.unit.get(), kind) {
            (Some(u), Some(k)) => check_unit(u, k, diag),
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
