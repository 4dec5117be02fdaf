//! The generated set: a struct of metrics with its `const` constructor, specs and descriptors,
//! and what a type applying a set gets (its instance, names and registration).

use super::krate_tokens;
use super::register::{self, Entry, Origin, Registration, Source};
use crate::ast::TypeModel;
use crate::model::{HistConfig, Kind, Metric, Set, Window};
use crate::template::Known;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Ident, Visibility};

/// `metric_set!`: the set's struct, declared as the user wrote it.
pub fn expand(set: &Set) -> TokenStream {
    let krate = krate_tokens(set.krate.as_ref());
    set_definition(&set.attrs, &set.vis, &set.ident, &set.metrics, &krate)
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
pub fn set_definition(
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
    let entries: Vec<Entry> = metrics
        .iter()
        .map(|m| Entry::of(m, &quote!(self), krate))
        .collect();
    let descriptors = register::descriptor_calls(
        &entries,
        krate,
        &quote!(Self::__METERED_SPECS),
        &[quote!(buf), quote!(cx), quote!(file), quote!(line)],
    );
    let mut arms: Vec<TokenStream> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let sm = &e.metric;
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
    let none = Known {
        ty: None,
        func: None,
        trait_: None,
    };
    let specs = register::specs(&entries, krate, &none);
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

/// The hidden struct of an inline derive: its fields and its const constructor, without the
/// specs, descriptors and `SetDef` that only a set applied elsewhere needs.
pub fn lean_set_definition(ident: &Ident, metrics: &[Metric], krate: &TokenStream) -> TokenStream {
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
pub struct Application {
    pub items: TokenStream,
    /// An expression of type `&'static Set` usable inside the type's impls.
    pub instance: TokenStream,
    /// An expression of type `&'static [&'static str]`.
    pub names: TokenStream,
    /// Extra where-clause predicate for impls (per instantiation: `Self: 'static`).
    pub bound: TokenStream,
}

/// What a type applying a set (its own hidden one, or a named one) gets.
pub fn application(
    set: &TokenStream,
    source: &Source<'_>,
    ty: &TypeModel<'_>,
    per_instantiation: bool,
    krate: &TokenStream,
) -> Application {
    let ty_name = ty.ident.to_string();
    let ty_name = ty_name.strip_prefix("r#").unwrap_or(&ty_name);
    let origin = Origin {
        krate,
        known: Known {
            ty: Some(ty_name),
            func: None,
            trait_: None,
        },
        span: ty.ident.span(),
    };
    if per_instantiation {
        // Registered at first use, per concrete type, by the runtime.
        let (file, line) = origin.location();
        let module = quote!(#krate::__private::core::module_path!());
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
    let Registration { items, names } = register::register(source, &origin, true);
    Application {
        items: quote! {
            static __METERED_SET: #set = <#set>::__metered_new();
            #items
        },
        instance: quote!(&__METERED_SET),
        names,
        bound: TokenStream::new(),
    }
}
