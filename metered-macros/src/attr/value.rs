//! The values after a key: `= "text"`, `= path`, `= [numbers]`, or nothing for a flag. A value
//! of the wrong shape is reported on the value (a missing one on the key) and read as `None`;
//! only tokens that cannot be read on at all end the list with a syntax error.

use super::{Bound, Buckets, TypeLabel};
use crate::diag::Diag;
use crate::kw;
use quote::ToTokens;
use syn::parse::ParseStream;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path, Token};

/// A key with neither `=` nor a separator after it: a syntax error at the next token.
fn missing_eq(input: ParseStream, key: &Ident) -> syn::Result<()> {
    if input.is_empty() || input.peek(Token![,]) {
        Ok(())
    } else {
        Err(input.error(format_args!("expected `=` after `{key}`")))
    }
}

/// Skips `= value` or `(...)` after an unknown key.
pub fn skip(input: ParseStream) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?;
    } else if input.peek(syn::token::Paren) {
        input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// `= value`, where `pick` takes the expressions of the expected shape: `noun` (with an example
/// in `like`) names that shape in the messages for a missing and for a wrong value.
fn after_eq<T>(
    input: ParseStream,
    key: &Ident,
    (noun, like): (&str, &str),
    diag: &mut Diag,
    pick: impl FnOnce(&Expr) -> Option<T>,
) -> syn::Result<Option<T>> {
    if !input.peek(Token![=]) {
        missing_eq(input, key)?;
        diag.error(key, format_args!("`{key}` needs a value: {noun}{like}"));
        return Ok(None);
    }
    input.parse::<Token![=]>()?;
    let value: Expr = input.parse()?;
    let picked = pick(&value);
    if picked.is_none() {
        diag.error(value, format_args!("expected {noun} for `{key}`{like}"));
    }
    Ok(picked)
}

fn lit_str(e: &Expr) -> Option<LitStr> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.clone()),
        _ => None,
    }
}

/// `= "text"`.
pub fn string(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<LitStr>> {
    let like = format!(", like `{key} = \"...\"`");
    after_eq(input, key, ("a string literal", &like), diag, lit_str)
}

/// `= "60s"` (the text is checked later).
pub fn duration(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<LitStr>> {
    let noun = "a duration string like `window = \"60s\"` (units `ms`, `s`, `m`, `h`)";
    after_eq(input, key, (noun, ""), diag, lit_str)
}

/// `= path`.
pub fn path(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<Path>> {
    let example = if key == kw::CRATE {
        "::metered_runtime"
    } else if key == kw::SET {
        "HttpEndpoint"
    } else if key == kw::VALUE {
        "queue_depth"
    } else {
        "my_fn"
    };
    let like = format!(", like `{key} = {example}`");
    after_eq(input, key, ("a path", &like), diag, |e| match e {
        Expr::Path(p) if p.qself.is_none() && p.attrs.is_empty() => Some(p.path.clone()),
        _ => None,
    })
}

/// A key that takes no value: `Some(())` if none was given.
pub fn flag(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<()>> {
    let msg = format!("`{key}` takes no value; write just `{key}`");
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        diag.error(value, msg);
        return Ok(None);
    }
    if input.peek(syn::token::Paren) {
        let group: proc_macro2::Group = input.parse()?;
        diag.error_at(group.span(), msg);
        return Ok(None);
    }
    Ok(Some(()))
}

/// `type_label` or `type_label = "key"`.
pub fn type_label(
    input: ParseStream,
    key: &Ident,
    diag: &mut Diag,
) -> syn::Result<Option<TypeLabel>> {
    if input.peek(Token![=]) {
        Ok(string(input, key, diag)?.map(TypeLabel::Key))
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
pub fn buckets(input: ParseStream, key: &Ident, diag: &mut Diag) -> syn::Result<Option<Buckets>> {
    let like = format!(", like `{key} = [0.1, 1.0, 10.0]`");
    let pick = |e: &Expr| match e {
        Expr::Array(arr) => Some(arr.clone()),
        _ => None,
    };
    let Some(arr) = after_eq(input, key, ("a list of numbers", &like), diag, pick)? else {
        return Ok(None);
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
