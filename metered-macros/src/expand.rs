//! Code generation from validated models.

use crate::args::{self, MeteredArgs, MetricsArgs};
use crate::check::{self, HistConfig, Kind, Metric, Window};
use crate::diag::Diag;
use crate::fallback;
use crate::kw;
use crate::model::{self, MeteredItem, TypeModel};
use crate::template::{self, Context, Known, Part};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{
    Attribute, Block, DeriveInput, Expr, Ident, ImplItem, ItemFn, LitStr, Path, ReturnType,
    Signature, Stmt, Token, Type, Visibility,
};

fn krate_tokens(p: Option<&Path>) -> TokenStream {
    p.map_or_else(|| quote!(::metered_runtime), |p| quote!(#p))
}

// ---------------------------------------------------------------------------------------------
// Sets.

/// `Spec` tokens for a set's metrics.
fn specs(metrics: &[Metric], krate: &TokenStream) -> TokenStream {
    let none = Known {
        ty: None,
        func: None,
        trait_: None,
    };
    let specs = metrics.iter().map(|m| {
        let name = template::to_pieces(&m.parts, krate, &none);
        let (family, key) = match &m.type_label {
            Some((f, k)) => (template::to_pieces(f, krate, &none), k.clone()),
            None => (quote!(&[]), String::new()),
        };
        let help = &m.help;
        let unit = m.unit.as_ref().map_or_else(
            || quote!(#krate::__private::core::option::Option::None),
            |u| quote!(#krate::__private::core::option::Option::Some(#krate::__private::#u)),
        );
        quote! {
            #krate::__private::Spec { name: #name, family: #family, type_key: #key, help: #help, unit: #unit }
        }
    });
    quote!(&[#(#specs),*])
}

/// A const `HistogramConfig` expression.
fn config_tokens(c: &HistConfig, krate: &TokenStream) -> TokenStream {
    let mut out = quote!(#krate::__private::HistogramConfig::new());
    if let Some(bounds) = &c.bounds {
        // Checked finite (`f64_unsuffixed` would panic on NaN or infinity) and not negative.
        let lits = bounds
            .iter()
            .filter(|v| v.is_finite())
            .map(|v| proc_macro2::Literal::f64_unsuffixed(*v));
        out = quote!(#out.bounds(&[#(#lits),*]));
    }
    match c.window {
        Some(Window::Millis(ms)) => {
            let ms = proc_macro2::Literal::u64_unsuffixed(ms);
            out = quote!(#out.window(#krate::__private::core::time::Duration::from_millis(#ms)));
        }
        Some(Window::Cumulative) => out = quote!(#out.cumulative()),
        None => {}
    }
    out
}

/// The `field: value` initialising metric `m` in the set's `const fn`.
fn field_init(m: &Metric, krate: &TokenStream) -> TokenStream {
    let f = &m.ident;
    let ty = m.kind.ident();
    if m.kind == Kind::FnGauge {
        // The user's path keeps its spans, so a function of the wrong type is reported on it.
        // Without one (only beside an error) a placeholder keeps the set compiling.
        let value = m.value.as_ref().map_or_else(
            || {
                quote!({
                    fn __metered_placeholder() -> #krate::__private::core::primitive::f64 {
                        0.0
                    }
                    __metered_placeholder
                })
            },
            |p| quote!(#p),
        );
        quote!(#f: #krate::__private::#ty::new(#value))
    } else if let Some(c) = &m.config {
        let config = config_tokens(c, krate);
        quote!(#f: #krate::__private::#ty::with_config(#config))
    } else {
        quote!(#f: #krate::__private::#ty::new())
    }
}

/// The set struct, its const constructor, specs and descriptors, and its `SetDef` impl.
fn set_definition(
    attrs: &[Attribute],
    vis: &Visibility,
    ident: &Ident,
    metrics: &[Metric],
    krate: &TokenStream,
) -> TokenStream {
    let count = metrics.len();
    let fields = metrics.iter().map(|m| {
        let f = &m.ident;
        let ty = m.kind.ident();
        let doc = if m.help.is_empty() {
            format!(
                "The {} named from `{}`.",
                m.kind.describe(),
                m.template.value()
            )
        } else {
            m.help.clone()
        };
        quote!(#[doc = #doc] pub #f: #krate::__private::#ty)
    });
    let inits = metrics.iter().map(|m| field_init(m, krate));
    let static_metric = |m: &Metric| {
        let f = &m.ident;
        let v = m.kind.ident();
        quote!(#krate::__private::StaticMetric::#v(&self.#f))
    };
    let descriptors = metrics.iter().enumerate().map(|(i, m)| {
        let sm = static_metric(m);
        quote!(#krate::__private::descriptor(#sm, Self::__METERED_SPECS, #i, buf, cx, file, line))
    });
    let mut arms: Vec<TokenStream> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let sm = static_metric(m);
            if i + 1 == count {
                quote!(_ => #sm)
            } else {
                quote!(#i => #sm)
            }
        })
        .collect();
    if arms.is_empty() {
        // Only beside errors (a set declares at least one metric): never called.
        arms.push(quote!(_ => #krate::__private::core::unreachable!()));
    }
    let specs = specs(metrics, krate);
    quote! {
        #(#attrs)*
        #[derive(::core::fmt::Debug)]
        #vis struct #ident {
            #(#fields,)*
        }

        #[automatically_derived]
        impl #ident {
            #[doc(hidden)]
            pub const __METERED_COUNT: usize = #count;
            #[doc(hidden)]
            pub const __METERED_SPECS: &'static [#krate::__private::Spec] = #specs;

            #[doc(hidden)]
            #[must_use]
            pub const fn __metered_new() -> Self {
                Self { #(#inits,)* }
            }

            #[doc(hidden)]
            #[must_use]
            pub const fn __metered_descriptors(
                &'static self,
                buf: &'static [u8],
                cx: &#krate::__private::Cx,
                file: &'static str,
                line: u32,
            ) -> [#krate::__private::Descriptor; #count] {
                [#(#descriptors),*]
            }
        }

        #[automatically_derived]
        impl #krate::__private::SetDef for #ident {
            const SPECS: &'static [#krate::__private::Spec] = Self::__METERED_SPECS;
            fn fresh() -> Self {
                Self::__metered_new()
            }
            fn metric(&'static self, i: usize) -> #krate::__private::StaticMetric {
                match i {
                    #(#arms,)*
                }
            }
        }
    }
}

/// The hidden struct of an inline derive whose names are literals: its fields and its const
/// constructor, without the specs, descriptors and `SetDef` that name rendering needs.
fn lean_set_definition(ident: &Ident, metrics: &[Metric], krate: &TokenStream) -> TokenStream {
    let fields = metrics.iter().map(|m| {
        let (f, ty) = (&m.ident, m.kind.ident());
        quote!(#f: #krate::__private::#ty)
    });
    let inits = metrics.iter().map(|m| field_init(m, krate));
    quote! {
        #[allow(dead_code)]
        struct #ident {
            #(#fields,)*
        }

        #[automatically_derived]
        impl #ident {
            const fn __metered_new() -> Self {
                Self { #(#inits,)* }
            }
        }
    }
}

/// What a type applying a set gets, inside `const _`: the instance (a static, or per concrete
/// type), registration, `HasMetrics` (for a named set) and `metric_names()`.
struct Application {
    items: TokenStream,
    /// An expression of type `&'static Set` usable inside the type's impls.
    instance: TokenStream,
    /// An expression of type `&'static [&'static str]`.
    names: TokenStream,
    /// Extra where-clause predicate for impls (per instantiation: `Self: 'static`).
    bound: TokenStream,
}

fn application(
    set: &TokenStream,
    ty: &TypeModel<'_>,
    per_instantiation: bool,
    krate: &TokenStream,
) -> Application {
    let span = ty.ident.span();
    let file = quote_spanned!(span=> #krate::__private::core::file!());
    let line = quote_spanned!(span=> #krate::__private::core::line!());
    let module = quote!(#krate::__private::core::module_path!());
    if per_instantiation {
        return Application {
            items: quote! {
                static __METERED_CACHE: #krate::__private::PerType = #krate::__private::PerType::new();
            },
            instance: quote! {
                &#krate::__private::per_type::<#set, Self>(&__METERED_CACHE, #module, #file, #line).set
            },
            names: quote! {
                #krate::__private::per_type::<#set, Self>(&__METERED_CACHE, #module, #file, #line).names
            },
            bound: quote!(Self: 'static,),
        };
    }
    let ty_name = ty.ident.to_string();
    let ty_name = ty_name.strip_prefix("r#").unwrap_or(&ty_name).to_owned();
    let snake = template::snake_case(&ty_name);
    Application {
        items: quote! {
            static __METERED_SET: #set = <#set>::__metered_new();
            const __METERED_CX: #krate::__private::Cx = #krate::__private::Cx {
                ty: #ty_name,
                ty_snake: #snake,
                module: #module,
            };
            const __METERED_LEN: usize =
                #krate::__private::rendered_len(<#set>::__METERED_SPECS, &__METERED_CX);
            static __METERED_BUF: [u8; __METERED_LEN] =
                #krate::__private::render(<#set>::__METERED_SPECS, &__METERED_CX);
            static __METERED_DESCRIPTORS: [#krate::__private::Descriptor; <#set>::__METERED_COUNT] =
                __METERED_SET.__metered_descriptors(&__METERED_BUF, &__METERED_CX, #file, #line);
            static __METERED_NAMES: [&str; <#set>::__METERED_COUNT] =
                #krate::__private::names(&__METERED_BUF, <#set>::__METERED_SPECS, &__METERED_CX);
            #krate::__private::submit! {
                #krate::__private::Registrations(&__METERED_DESCRIPTORS)
            }
        },
        instance: quote!(&__METERED_SET),
        names: quote!(&__METERED_NAMES),
        bound: TokenStream::new(),
    }
}

/// A descriptor built from a name the macro rendered itself (no `const` evaluation needed).
struct LiteralDescriptor<'a> {
    name: String,
    family: Option<(String, &'a str)>,
    metric: TokenStream,
    help: &'a str,
    unit: Option<&'a TokenStream>,
}

fn literal_descriptor(
    d: &LiteralDescriptor<'_>,
    ty_name: &str,
    file: &TokenStream,
    line: &TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let LiteralDescriptor {
        name,
        family,
        metric,
        help,
        unit,
    } = d;
    let unit = unit.map(|u| quote!(.unit(#krate::__private::#u)));
    let type_label = family.as_ref().map(|(family, key)| {
        quote!(.type_label(#krate::__private::TypeLabel { family: #family, key: #key, value: #ty_name }))
    });
    quote! {
        #krate::__private::Descriptor::new(#name, #metric)
            .help(#help)
            #unit
            #type_label
            .location(#krate::__private::core::module_path!(), #file, #line)
    }
}

/// The application of an inline derive whose every name the macro can render now: the same
/// items as [`application`], with the names and descriptors written out as literals.
fn literal_application(
    ty: &TypeModel<'_>,
    metrics: &[Metric],
    per_instantiation: bool,
    krate: &TokenStream,
) -> Option<Application> {
    if per_instantiation {
        return None;
    }
    let ty_name = ty.ident.to_string();
    let ty_name = ty_name.strip_prefix("r#").unwrap_or(&ty_name).to_owned();
    let known = Known {
        ty: Some(&ty_name),
        func: None,
        trait_: None,
    };
    let descriptors = metrics
        .iter()
        .map(|m| {
            let family = match &m.type_label {
                Some((f, key)) => Some((template::literal(f, &known)?, key.as_str())),
                None => None,
            };
            let (field, kind) = (&m.ident, m.kind.ident());
            Some(LiteralDescriptor {
                name: template::literal(&m.parts, &known)?,
                family,
                metric: quote!(#krate::__private::StaticMetric::#kind(&__METERED_SET.#field)),
                help: &m.help,
                unit: m.unit.as_ref(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let span = ty.ident.span();
    let file = quote_spanned!(span=> #krate::__private::core::file!());
    let line = quote_spanned!(span=> #krate::__private::core::line!());
    let count = descriptors.len();
    let names = descriptors.iter().map(|d| &d.name);
    let descriptors = descriptors
        .iter()
        .map(|d| literal_descriptor(d, &ty_name, &file, &line, krate));
    Some(Application {
        items: quote! {
            static __METERED_SET: __MeteredMetrics = <__MeteredMetrics>::__metered_new();
            static __METERED_DESCRIPTORS: [#krate::__private::Descriptor; #count] = [#(#descriptors),*];
            static __METERED_NAMES: [&str; #count] = [#(#names),*];
            #krate::__private::submit! {
                #krate::__private::Registrations(&__METERED_DESCRIPTORS)
            }
        },
        instance: quote!(&__METERED_SET),
        names: quote!(&__METERED_NAMES),
        bound: TokenStream::new(),
    })
}

fn impl_header(ty: &TypeModel<'_>, bound: &TokenStream) -> (TokenStream, TokenStream, TokenStream) {
    let (impl_generics, ty_generics, where_clause) = ty.generics.split_for_impl();
    let ident = ty.ident;
    let preds = where_clause.map(|w| {
        let p = &w.predicates;
        quote!(#p,)
    });
    let where_tokens = if preds.is_some() || !bound.is_empty() {
        quote!(where #preds #bound)
    } else {
        TokenStream::new()
    };
    (
        quote!(#impl_generics),
        quote!(#ident #ty_generics),
        where_tokens,
    )
}

// ---------------------------------------------------------------------------------------------
// #[derive(Metered)]

pub fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let mut diag = Diag::default();
    let Some(ty) = model::from_derive(&input, &mut diag) else {
        return diag.into_compile_errors();
    };
    let mut args = MetricsArgs::default();
    let mut seen = false;
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident(kw::METRICS))
    {
        seen = true;
        let parsed = attr.parse_args_with(|s: ParseStream| {
            args::parse_metrics(s, &mut args, kw::DERIVE_KEYS, &mut diag)
        });
        if let Err(e) = parsed {
            diag.push(e);
        }
    }
    if !seen {
        diag.error(
            ty.ident,
            "`#[derive(Metered)]` needs `#[metrics(...)]` listing metrics like `latency: Timer = \"app.{}.latency\"`, or naming a set like `#[metrics(set = HttpEndpoint)]`",
        );
        return diag.into_compile_errors();
    }
    let krate = krate_tokens(args.krate.get());
    let ty_name = ty.ident.to_string();
    let metrics = check::check_metrics(&args, Some(&ty_name), &mut diag);
    // Beside any errors, everything that was understood is still generated (accessors,
    // `metric_names`, `HasMetrics`), so code using it shows only the real mistakes.
    if let Some(set) = args.set.get() {
        if let Some(first) = args.metrics.first() {
            diag.error(
                &first.ident,
                "metrics cannot be listed beside `set = ...`; add them to the set's `metric_set!`",
            );
        }
        check::conflict(
            &args.type_label,
            "`type_label` goes on the set's declaration in `metric_set!`, not beside `set = ...`",
            &mut diag,
        );
        let out = derive_set(&ty, &quote!(#set), args.per_instantiation.is_set(), &krate);
        let errors = diag.into_compile_errors();
        return quote!(#errors #out);
    }
    if args.metrics.is_empty() && !diag.has_errors() {
        diag.error(
            ty.ident,
            "`#[metrics(...)]` lists no metric; expected metrics like `latency: Timer = \"app.{}.latency\"` or `set = HttpEndpoint`",
        );
    }
    let out = derive_inline(&ty, &metrics, args.per_instantiation.is_set(), &krate);
    let errors = diag.into_compile_errors();
    quote!(#errors #out)
}

fn derive_set(
    ty: &TypeModel<'_>,
    set: &TokenStream,
    per_instantiation: bool,
    krate: &TokenStream,
) -> TokenStream {
    let app = application(set, ty, per_instantiation, krate);
    let (impl_generics, self_ty, where_tokens) = impl_header(ty, &app.bound);
    let Application {
        items,
        instance,
        names,
        ..
    } = app;
    let vis = ty.vis;
    quote! {
        const _: () = {
            #items

            #[automatically_derived]
            impl #impl_generics #krate::__private::HasMetrics<#set> for #self_ty #where_tokens {
                fn metric_set() -> &'static #set {
                    #instance
                }
                fn metrics(&self) -> &'static #set {
                    #instance
                }
            }

            // No `#[allow(dead_code)]` here: an allowed inherent item would keep the user's
            // type alive for rustc. The accessors are spanned at the derive instead, and rustc
            // does not report unused items made entirely by a macro.
            #[automatically_derived]
            impl #impl_generics #self_ty #where_tokens {
                /// The names of this type's metrics, in declaration order.
                #[must_use]
                #vis fn metric_names() -> &'static [&'static str] {
                    #names
                }
            }
        };
    }
}

fn derive_inline(
    ty: &TypeModel<'_>,
    metrics: &[Metric],
    per_instantiation: bool,
    krate: &TokenStream,
) -> TokenStream {
    let set_ident = format_ident!("__MeteredMetrics");
    let set = quote!(#set_ident);
    let (set_def, app) = match literal_application(ty, metrics, per_instantiation, krate) {
        // Names written out: the hidden struct needs nothing but its fields and constructor.
        Some(app) => (lean_set_definition(&set_ident, metrics, krate), app),
        None => (
            set_definition(
                &[syn::parse_quote!(#[allow(dead_code)])],
                &Visibility::Inherited,
                &set_ident,
                metrics,
                krate,
            ),
            application(&set, ty, per_instantiation, krate),
        ),
    };
    let (impl_generics, self_ty, where_tokens) = impl_header(ty, &app.bound);
    let Application {
        items,
        instance,
        names,
        ..
    } = app;
    let vis = ty.vis;
    let ty_name = ty.ident.to_string();
    let accessors = metrics.iter().map(|m| {
        let f = &m.ident;
        let accessor = Ident::new(&f.to_string(), Span::call_site());
        let kind = m.kind.ident();
        let mut doc = format!(
            "The `{}` {} of `{ty_name}`, named from `{}`.",
            m.ident,
            m.kind.describe(),
            m.template.value()
        );
        if !m.help.is_empty() {
            doc = format!("{doc} {}", m.help);
        }
        quote! {
            #[doc = #doc]
            #[must_use]
            #[inline]
            #vis fn #accessor() -> &'static #krate::__private::#kind {
                let __metered_set: &'static #set = #instance;
                &__metered_set.#f
            }
        }
    });
    quote! {
        const _: () = {
            #set_def
            #items

            // No `#[allow(dead_code)]` here: an allowed inherent item would keep the user's
            // type alive for rustc. The accessors are spanned at the derive instead, and rustc
            // does not report unused items made entirely by a macro.
            #[automatically_derived]
            impl #impl_generics #self_ty #where_tokens {
                #(#accessors)*

                /// The names of this type's metrics, in declaration order.
                #[must_use]
                #vis fn metric_names() -> &'static [&'static str] {
                    #names
                }
            }
        };
    }
}

// ---------------------------------------------------------------------------------------------
// metric_set!

struct SetInput {
    attrs: Vec<Attribute>,
    vis: Visibility,
    ident: Ident,
    body: TokenStream,
}

impl Parse for SetInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        if input.peek(Token![struct]) {
            input.parse::<Token![struct]>()?;
        }
        let ident: Ident = input.parse()?;
        let content;
        syn::braced!(content in input);
        let body: TokenStream = content.parse()?;
        if !input.is_empty() {
            return Err(
                input.error("unexpected tokens after the set; `metric_set!` declares one set")
            );
        }
        Ok(SetInput {
            attrs,
            vis,
            ident,
            body,
        })
    }
}

pub fn metric_set(input: TokenStream) -> TokenStream {
    let input: SetInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let mut diag = Diag::default();
    let mut args = MetricsArgs::default();
    let mut attrs = Vec::new();
    for attr in input.attrs {
        if attr.path().is_ident(kw::METRICS) {
            let parsed = attr.parse_args_with(|s: ParseStream| {
                args::parse_metrics(s, &mut args, kw::SET_KEYS, &mut diag)
            });
            if let Err(e) = parsed {
                diag.push(e);
            }
            if let Some(m) = args.metrics.first() {
                diag.error(
                    &m.ident,
                    "metrics go inside the braces of `metric_set!`, not in `#[metrics(...)]`",
                );
                args.metrics.clear();
            }
        } else {
            attrs.push(attr);
        }
    }
    let body = input.body;
    let parsed = (|s: ParseStream| args::parse_metrics(s, &mut args, &[], &mut diag)).parse2(body);
    if let Err(e) = parsed {
        diag.push(e);
    }
    let metrics = check::check_metrics(&args, None, &mut diag);
    if args.metrics.is_empty() && !diag.has_errors() {
        diag.error(&input.ident, "`metric_set!` declares no metric; expected metrics like `latency: Timer = \"app.{}.latency\"`");
    }
    // Beside any errors the set is still declared, with the fields whose kind is known, so
    // code using it shows only the real mistakes.
    let krate = krate_tokens(args.krate.get());
    let out = set_definition(&attrs, &input.vis, &input.ident, &metrics, &krate);
    let errors = diag.into_compile_errors();
    quote!(#errors #out)
}

// ---------------------------------------------------------------------------------------------
// #[metered]

/// What an instrumented fn is named from and records.
struct Instrument<'a> {
    krate: &'a TokenStream,
    ty: Option<String>,
    trait_: Option<String>,
    parts: &'a [Part],
    type_label: Option<(Vec<Part>, String)>,
    error: Option<&'a Path>,
}

fn is_unit(ret: &ReturnType) -> bool {
    match ret {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    }
}

/// The `Call` guard with its statics and registration.
#[allow(
    clippy::too_many_lines,
    reason = "one literal and one `const`-rendered form of the same items"
)]
fn call_guard(ins: &Instrument<'_>, func: &Ident) -> TokenStream {
    let krate = ins.krate;
    let fname = func.to_string();
    let fname = fname.strip_prefix("r#").unwrap_or(&fname).to_owned();
    let known = Known {
        ty: ins.ty.as_deref(),
        func: Some(&fname),
        trait_: ins.trait_.as_deref(),
    };
    // Labelled by type, the members of a family share one help text: the type is the label.
    let who = match &ins.ty {
        Some(t) if ins.type_label.is_none() => format!("`{t}::{fname}`"),
        _ => format!("`{fname}`"),
    };
    let metrics = [
        (
            "latency",
            format!("Duration of calls to {who}."),
            quote!(Timer),
            quote!(__METERED_LATENCY),
        ),
        (
            "errors",
            format!("Calls to {who} that returned an error or panicked."),
            quote!(Meter),
            quote!(__METERED_ERRORS),
        ),
        (
            "in_flight",
            format!("Calls to {who} in progress."),
            quote!(UpDownCounter),
            quote!(__METERED_IN_FLIGHT),
        ),
    ];
    let span = func.span();
    let file = quote_spanned!(span=> #krate::__private::core::file!());
    let line = quote_spanned!(span=> #krate::__private::core::line!());
    let statics = quote! {
        static __METERED_LATENCY: #krate::__private::Timer = #krate::__private::Timer::new();
        static __METERED_ERRORS: #krate::__private::Meter = #krate::__private::Meter::new();
        static __METERED_IN_FLIGHT: #krate::__private::UpDownCounter = #krate::__private::UpDownCounter::new();
    };
    let start = quote! {
        #krate::__private::Call::start(&__METERED_LATENCY, &__METERED_IN_FLIGHT, &__METERED_ERRORS)
    };
    // The common case: every name is known now, so it is written as a literal.
    let literal = metrics
        .iter()
        .map(|(suffix, help, kind, stat)| {
            let suffix = format!(".{suffix}");
            let family = match &ins.type_label {
                Some((f, key)) => Some((
                    template::literal(&template::with_suffix(f, &suffix), &known)?,
                    key.as_str(),
                )),
                None => None,
            };
            Some(LiteralDescriptor {
                name: template::literal(&template::with_suffix(ins.parts, &suffix), &known)?,
                family,
                metric: quote!(#krate::__private::StaticMetric::#kind(&#stat)),
                help,
                unit: None,
            })
        })
        .collect::<Option<Vec<_>>>();
    if let Some(literal) = literal {
        let ty_name = ins.ty.clone().unwrap_or_default();
        let descriptors = literal
            .iter()
            .map(|d| literal_descriptor(d, &ty_name, &file, &line, krate));
        return quote! {
            {
                #statics
                static __METERED_DESCRIPTORS: [#krate::__private::Descriptor; 3] = [#(#descriptors),*];
                #krate::__private::submit! {
                    #krate::__private::Registrations(&__METERED_DESCRIPTORS)
                }
                #start
            }
        };
    }
    let mut specs = Vec::new();
    let mut descriptors = Vec::new();
    for (i, (suffix, help, kind, stat)) in metrics.iter().enumerate() {
        let name = template::to_pieces(
            &template::with_suffix(ins.parts, &format!(".{suffix}")),
            krate,
            &known,
        );
        let (family, key) = match &ins.type_label {
            Some((f, k)) => (
                template::to_pieces(
                    &template::with_suffix(f, &format!(".{suffix}")),
                    krate,
                    &known,
                ),
                k.clone(),
            ),
            None => (quote!(&[]), String::new()),
        };
        specs.push(quote! {
            #krate::__private::Spec {
                name: #name, family: #family, type_key: #key, help: #help,
                unit: #krate::__private::core::option::Option::None,
            }
        });
        descriptors.push(quote! {
            #krate::__private::descriptor(
                #krate::__private::StaticMetric::#kind(&#stat),
                __METERED_SPECS, #i, &__METERED_BUF, &__METERED_CX, #file, #line,
            )
        });
    }
    let ty = ins.ty.clone().unwrap_or_default();
    let snake = template::snake_case(&ty);
    quote! {
        {
            #statics
            const __METERED_SPECS: &[#krate::__private::Spec] = &[#(#specs),*];
            const __METERED_CX: #krate::__private::Cx = #krate::__private::Cx {
                ty: #ty,
                ty_snake: #snake,
                module: #krate::__private::core::module_path!(),
            };
            const __METERED_LEN: usize = #krate::__private::rendered_len(__METERED_SPECS, &__METERED_CX);
            static __METERED_BUF: [u8; __METERED_LEN] = #krate::__private::render(__METERED_SPECS, &__METERED_CX);
            static __METERED_DESCRIPTORS: [#krate::__private::Descriptor; 3] = [#(#descriptors),*];
            #krate::__private::submit! {
                #krate::__private::Registrations(&__METERED_DESCRIPTORS)
            }
            #start
        }
    }
}

fn classify(ins: &Instrument<'_>) -> TokenStream {
    let krate = ins.krate;
    if let Some(path) = ins.error {
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

/// The return type with every `impl Trait` replaced by `_`, usable as a `let` annotation (so a
/// body that only panics or only uses `?` still has a known type).
fn let_type(ty: &Type) -> Type {
    let mut ty = ty.clone();
    infer_impl_traits(&mut ty);
    ty
}

fn infer_impl_traits(ty: &mut Type) {
    match ty {
        Type::ImplTrait(_) => {
            *ty = Type::Infer(syn::TypeInfer {
                underscore_token: Token![_](Span::call_site()),
            });
        }
        Type::Reference(r) => infer_impl_traits(&mut r.elem),
        Type::Paren(p) => infer_impl_traits(&mut p.elem),
        Type::Group(g) => infer_impl_traits(&mut g.elem),
        Type::Slice(s) => infer_impl_traits(&mut s.elem),
        Type::Array(a) => infer_impl_traits(&mut a.elem),
        Type::Ptr(p) => infer_impl_traits(&mut p.elem),
        Type::Tuple(t) => t.elems.iter_mut().for_each(infer_impl_traits),
        Type::Path(p) => {
            for seg in &mut p.path.segments {
                if let syn::PathArguments::AngleBracketed(a) = &mut seg.arguments {
                    for arg in &mut a.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            infer_impl_traits(t);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The `Output = R` of a `Pin<Box<dyn Future<Output = R> + ..>>` return type.
fn future_output(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Path(p) => path_output(&p.path),
        Type::TraitObject(o) => o.bounds.iter().find_map(|b| match b {
            syn::TypeParamBound::Trait(t) => path_output(&t.path),
            _ => None,
        }),
        Type::Paren(p) => future_output(&p.elem),
        Type::Group(g) => future_output(&g.elem),
        _ => None,
    }
}

fn path_output(path: &Path) -> Option<&Type> {
    path.segments.iter().find_map(|seg| match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::AssocType(at) if at.ident == "Output" => Some(&at.ty),
            syn::GenericArgument::Type(t) => future_output(t),
            _ => None,
        }),
        _ => None,
    })
}

/// `Box::pin(async move { .. })`, the body `#[async_trait]` leaves (when it expanded first).
fn async_trait_body(block: &mut Block) -> Option<&mut syn::ExprAsync> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    if func.path.segments.last().is_none_or(|s| s.ident != "pin") || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(Expr::Async(a)) => Some(a),
        _ => None,
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
            let ty = let_type(ty);
            quote!(: #ty)
        }
        ReturnType::Default => TokenStream::new(),
    };
    if sig.asyncness.is_some() {
        let unit = is_unit(&sig.output);
        let inner = &*block;
        let new: Block = if unit {
            syn::parse_quote!({
                let __metered_call = #guard;
                async move #inner.await;
                __metered_call.finish(false);
            })
        } else {
            syn::parse_quote!({
                let __metered_call = #guard;
                let __metered_ret #ret_ty = async move #inner.await;
                let __metered_error = #classify;
                __metered_call.finish(__metered_error);
                __metered_ret
            })
        };
        *block = new;
        return;
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => future_output(ty).map(|t| {
            let t = let_type(t);
            quote!(: #t)
        }),
        ReturnType::Default => None,
    };
    if let Some(fut) = async_trait_body(block) {
        let inner = fut.block.clone();
        let output = output.unwrap_or_default();
        fut.block = syn::parse_quote!({
            let __metered_call = #guard;
            let __metered_ret #output = async move #inner.await;
            let __metered_error = #classify;
            __metered_call.finish(__metered_error);
            __metered_ret
        });
        return;
    }
    let inner = &*block;
    let never = matches!(&sig.output, ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)));
    let new: Block = if never {
        // A diverging body never returns a value to classify: the guard records the panic or
        // whatever ends it.
        syn::parse_quote!({
            let __metered_call = #guard;
            #inner
        })
    } else if is_unit(&sig.output) {
        syn::parse_quote!({
            let __metered_call = #guard;
            #krate::__private::call(move || #inner);
            __metered_call.finish(false);
        })
    } else {
        syn::parse_quote!({
            let __metered_call = #guard;
            let __metered_ret #ret_ty = #krate::__private::call(move || #inner);
            let __metered_error = #classify;
            __metered_call.finish(__metered_error);
            __metered_ret
        })
    };
    *block = new;
}

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

pub fn metered(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut diag = Diag::default();
    let mut margs = MeteredArgs::default();
    if let Err(e) = args::parse_metered(args, &mut margs, kw::METERED_KEYS, &mut diag) {
        diag.push(e);
    }
    let mut original = item.clone();
    let out = match model::parse_metered_item(item, &mut diag) {
        Some(MeteredItem::Impl(imp)) => {
            // On error the impl is re-emitted without the methods' `#[metered(..)]`, which
            // would otherwise expand on their own and repeat the errors.
            let mut stripped = imp.clone();
            for item in &mut stripped.items {
                if let ImplItem::Fn(m) = item {
                    m.attrs.retain(|a| !a.path().is_ident(kw::METERED));
                }
            }
            original = quote!(#stripped);
            metered_impl(&margs, imp, &mut diag)
        }
        Some(MeteredItem::Fn(f)) => metered_fn(&margs, f, &mut diag),
        None => TokenStream::new(),
    };
    match diag.finish() {
        Ok(()) => out,
        Err(e) => fallback::with_item(&original, e),
    }
}

fn label_for(
    margs: &MeteredArgs,
    parts: &[Part],
    template: &LitStr,
    diag: &mut Diag,
) -> Option<(Vec<Part>, String)> {
    let tl = margs.type_label.get()?;
    let key = margs.type_label.key()?;
    let label = check::type_label_key(tl, diag)?;
    check::family_or_error(parts, key, template, diag).map(|f| (f, label))
}

fn metered_fn(margs: &MeteredArgs, mut f: ItemFn, diag: &mut Diag) -> TokenStream {
    let krate = krate_tokens(margs.krate.get());
    reject_const(&f.sig, diag);
    check::conflict(
        &margs.skip,
        "`skip` goes on a method inside a `#[metered]` `impl` block",
        diag,
    );
    check::conflict(
        &margs.type_label,
        "`type_label` needs a type; use it on `#[metered]` on an `impl` block",
        diag,
    );
    let default = LitStr::new("{module}.{fn}", Span::call_site());
    let lit = margs.name.get().unwrap_or(&default);
    let Some(t) = template::parse(lit, Context::FreeFn, diag) else {
        return TokenStream::new();
    };
    if diag.has_errors() {
        return TokenStream::new();
    }
    let ins = Instrument {
        krate: &krate,
        ty: None,
        trait_: None,
        parts: &t.parts,
        type_label: None,
        error: margs.error.get(),
    };
    instrument_body(&ins, &f.sig, &mut f.block);
    quote!(#f)
}

/// Removes a method's `#[metered(...)]` attributes and parses them.
fn take_method_args(attrs: &mut Vec<Attribute>, diag: &mut Diag) -> MeteredArgs {
    let mut m = MeteredArgs::default();
    let mut kept = Vec::new();
    for attr in std::mem::take(attrs) {
        if attr.path().is_ident(kw::METERED) {
            let parsed = match &attr.meta {
                syn::Meta::Path(_) => Ok(()),
                _ => attr.parse_nested_meta(|meta| {
                    args::parse_metered_key(&meta, &mut m, kw::METHOD_KEYS, diag)
                }),
            };
            if let Err(e) = parsed {
                diag.push(e);
            }
        } else {
            kept.push(attr);
        }
    }
    *attrs = kept;
    m
}

fn metered_impl(margs: &MeteredArgs, mut imp: syn::ItemImpl, diag: &mut Diag) -> TokenStream {
    let krate = krate_tokens(margs.krate.get());
    check::conflict(
        &margs.skip,
        "`skip` goes on a method inside a `#[metered]` `impl` block",
        diag,
    );
    let ty = model::type_ident(&imp.self_ty).map(|i| {
        let s = i.to_string();
        s.strip_prefix("r#").unwrap_or(&s).to_owned()
    });
    let trait_ = imp
        .trait_
        .as_ref()
        .and_then(|(_, p, _)| p.segments.last())
        .map(|s| s.ident.to_string());
    let cx = if trait_.is_some() {
        Context::TraitMethod
    } else {
        Context::Method
    };
    let default = LitStr::new("{type}.{fn}", imp.self_ty.span());
    let base_lit = margs.name.get().cloned().unwrap_or(default);
    let base = template::parse(&base_lit, cx, diag);
    let mut names: std::collections::HashMap<String, Ident> = std::collections::HashMap::new();
    for item in &mut imp.items {
        let ImplItem::Fn(method) = item else { continue };
        let m = take_method_args(&mut method.attrs, diag);
        if m.skip.is_set() {
            continue;
        }
        if reject_const(&method.sig, diag) {
            continue;
        }
        let own;
        let (lit, parts) = match m.name.get() {
            Some(lit) => {
                let Some(t) = template::parse(lit, cx, diag) else {
                    continue;
                };
                own = t.parts;
                (lit.clone(), own.as_slice())
            }
            None => match &base {
                Some(t) => (base_lit.clone(), t.parts.as_slice()),
                None => continue,
            },
        };
        if ty.is_none()
            && parts
                .iter()
                .any(|p| matches!(p, Part::Type | Part::TypeSnake))
        {
            diag.error(
                &imp.self_ty,
                "`{type}` needs a self type named by a path; give a template without it, like `#[metered(name = \"app.{fn}\")]`",
            );
            return TokenStream::new();
        }
        let fname = method.sig.ident.to_string();
        let rendered = template::render(
            parts,
            &Known {
                ty: ty.as_deref(),
                func: Some(&fname),
                trait_: trait_.as_deref(),
            },
        );
        if let Some(first) = names.get(&rendered) {
            diag.error(
                &lit,
                format_args!("method `{fname}` renders the same metric names {rendered:?} as method `{first}`; give it another `name`"),
            );
        } else {
            names.insert(rendered, method.sig.ident.clone());
        }
        let label_args = if m.type_label.is_set() { &m } else { margs };
        let type_label = label_for(label_args, parts, &lit, diag);
        let error = m.error.get().or(margs.error.get());
        let ins = Instrument {
            krate: &krate,
            ty: ty.clone(),
            trait_: trait_.clone(),
            parts,
            type_label,
            error,
        };
        instrument_body(&ins, &method.sig, &mut method.block);
    }
    if diag.has_errors() {
        return TokenStream::new();
    }
    quote!(#imp)
}
