//! `#[metered]`: the body of an instrumented fn, wrapped in a call guard that records its
//! latency, errors and calls in flight.

use super::krate_tokens;
use super::register::{self, Entry, Origin, Source};
use crate::ast;
use crate::model::{Family, Instrumented, Site};
use crate::template::{self, Known};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Block, Ident, ImplItem, ItemFn, ItemImpl, ReturnType, Signature, Type};

/// An instrumented free fn.
pub fn expand_fn(mut f: ItemFn, site: &Site, plan: &Instrumented) -> TokenStream {
    let krate = krate_tokens(site.krate.as_ref());
    let ins = Instrument {
        krate: &krate,
        site,
        plan,
    };
    instrument_body(&ins, &f.sig, &mut f.block);
    quote!(#f)
}

/// An instrumented `impl` block: `methods` are the items to instrument, by index.
pub fn expand_impl(
    mut imp: ItemImpl,
    site: &Site,
    methods: &[(usize, Instrumented)],
) -> TokenStream {
    let krate = krate_tokens(site.krate.as_ref());
    for (i, plan) in methods {
        if let Some(ImplItem::Fn(method)) = imp.items.get_mut(*i) {
            let ins = Instrument {
                krate: &krate,
                site,
                plan,
            };
            instrument_body(&ins, &method.sig, &mut method.block);
        }
    }
    quote!(#imp)
}

/// What an instrumented fn is named from and records.
struct Instrument<'a> {
    krate: &'a TokenStream,
    site: &'a Site,
    plan: &'a Instrumented,
}

/// The `Call` guard with its statics and registration.
fn call_guard(ins: &Instrument<'_>, func: &Ident) -> TokenStream {
    let krate = ins.krate;
    let fname = func.to_string();
    let fname = fname.strip_prefix("r#").unwrap_or(&fname).to_owned();
    // Labelled by type, the members of a family share one help text: the type is the label.
    let who = match &ins.site.ty {
        Some(t) if ins.plan.type_label.is_none() => format!("`{t}::{fname}`"),
        _ => format!("`{fname}`"),
    };
    let metrics = [
        (
            ".latency",
            format!("Duration of calls to {who}."),
            quote!(Timer),
            quote!(__METERED_LATENCY),
        ),
        (
            ".errors",
            format!("Calls to {who} that returned an error or panicked."),
            quote!(Meter),
            quote!(__METERED_ERRORS),
        ),
        (
            ".in_flight",
            format!("Calls to {who} in progress."),
            quote!(UpDownCounter),
            quote!(__METERED_IN_FLIGHT),
        ),
    ];
    let families: Vec<Option<Family>> = metrics
        .iter()
        .map(|(suffix, ..)| {
            let (f, key) = ins.plan.type_label.as_ref()?;
            Some((template::with_suffix(f, suffix), key.clone()))
        })
        .collect();
    let entries: Vec<Entry> = metrics
        .iter()
        .zip(&families)
        .map(|((suffix, help, kind, stat), family)| Entry {
            parts: template::with_suffix(&ins.plan.parts, suffix),
            family: family.as_ref(),
            metric: quote!(#krate::__private::StaticMetric::#kind(&#stat)),
            help,
            unit: None,
        })
        .collect();
    let origin = Origin {
        krate,
        known: Known {
            ty: ins.site.ty.as_deref(),
            func: Some(&fname),
            trait_: ins.site.trait_.as_deref(),
        },
        span: func.span(),
    };
    let registration = register::register(&Source::Entries(&entries), &origin, false).items;
    quote! {
        {
            static __METERED_LATENCY: #krate::__private::Timer = #krate::__private::Timer::new();
            static __METERED_ERRORS: #krate::__private::Meter = #krate::__private::Meter::new();
            static __METERED_IN_FLIGHT: #krate::__private::UpDownCounter = #krate::__private::UpDownCounter::new();
            #registration
            #krate::__private::Call::start(&__METERED_LATENCY, &__METERED_IN_FLIGHT, &__METERED_ERRORS)
        }
    }
}

fn classify(ins: &Instrument<'_>) -> TokenStream {
    let krate = ins.krate;
    if let Some(path) = &ins.plan.error {
        return quote!(#path(&__metered_ret));
    }
    {
        quote! {
            {
                #[allow(unused_imports)]
                use #krate::__private::{ProbeClassify as _, ProbeDefault as _};
                let __metered_probe = #krate::__private::Probe(&__metered_ret);
                let __metered_probe = &__metered_probe;
                __metered_probe.__metered_is_error()
            }
        }
    }
}

/// The body of an instrumented fn. The new body keeps the original braces' spans, so the item
/// still spans the user's tokens and rustc's `dead_code` lint still reports it.
fn instrument_body(ins: &Instrument<'_>, sig: &Signature, block: &mut Block) {
    let braces = block.brace_token;
    instrument_block(ins, sig, block);
    block.brace_token = braces;
}

fn instrument_block(ins: &Instrument<'_>, sig: &Signature, block: &mut Block) {
    let krate = ins.krate;
    let guard = call_guard(ins, &sig.ident);
    let classify = classify(ins);
    let ret_ty = match &sig.output {
        ReturnType::Type(_, ty) => {
            let ty = ast::let_type(ty);
            quote!(: #ty)
        }
        ReturnType::Default => TokenStream::new(),
    };
    let unit = ast::is_unit(&sig.output);
    if sig.asyncness.is_some() {
        let inner = &*block;
        *block = guarded(
            &guard,
            &quote!(async move #inner.await),
            &ret_ty,
            unit,
            &classify,
        );
        return;
    }
    if let Some(fut) = ast::async_trait_body(block) {
        let output = match &sig.output {
            ReturnType::Type(_, ty) => ast::future_output(ty).map(|t| {
                let t = ast::let_type(t);
                quote!(: #t)
            }),
            ReturnType::Default => None,
        };
        let inner = &fut.block;
        let run = quote!(async move #inner.await);
        fut.block = guarded(&guard, &run, &output.unwrap_or_default(), false, &classify);
        return;
    }
    let inner = &*block;
    if matches!(&sig.output, ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_))) {
        // A diverging body never returns a value to classify: the guard records the panic or
        // whatever ends it.
        *block = syn::parse_quote!({
            let __metered_call = #guard;
            #inner
        });
        return;
    }
    let run = quote!(#krate::__private::call(move || #inner));
    *block = guarded(&guard, &run, &ret_ty, unit, &classify);
}

/// A body that starts the call guard `guard`, evaluates `run` (the original body), and
/// finishes the guard: with no error for a `()` body (`unit`), else with what `classify`
/// says of the value, which is then returned (its `let` annotated with `ret_ty`).
fn guarded(
    guard: &TokenStream,
    run: &TokenStream,
    ret_ty: &TokenStream,
    unit: bool,
    classify: &TokenStream,
) -> Block {
    if unit {
        syn::parse_quote!({
            let __metered_call = #guard;
            #run;
            __metered_call.finish(false);
        })
    } else {
        syn::parse_quote!({
            let __metered_call = #guard;
            let __metered_ret #ret_ty = #run;
            let __metered_error = #classify;
            __metered_call.finish(__metered_error);
            __metered_ret
        })
    }
}
