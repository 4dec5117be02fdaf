//! The generated set: a struct of metrics with its `const` constructor, specs and descriptors,
//! and what a type applying a set gets (its instance, names and registration).

use super::krate_tokens;
use crate::ast::TypeModel;
use crate::model::{HistConfig, Kind, Metric, Set, Unit, Window};
use crate::template::{self, Known};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Attribute, Ident, Visibility};

/// `metric_set!`: the set's struct, declared as the user wrote it.
pub fn expand(set: &Set) -> TokenStream {
    let krate = krate_tokens(set.krate.as_ref());
    set_definition(&set.attrs, &set.vis, &set.ident, &set.metrics, &krate)
}

/// A `Unit` expression.
fn unit_tokens(u: &Unit, krate: &TokenStream) -> TokenStream {
    match u {
        Unit::Seconds => quote!(#krate::__private::Unit::Seconds),
        Unit::Bytes => quote!(#krate::__private::Unit::Bytes),
        Unit::Ratio => quote!(#krate::__private::Unit::Ratio),
        Unit::Other(name) => quote!(#krate::__private::Unit::Other(#name)),
    }
}

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
            |u| {
                let u = unit_tokens(u, krate);
                quote!(#krate::__private::core::option::Option::Some(#u))
            },
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

pub fn application(
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
pub struct LiteralDescriptor<'a> {
    pub name: String,
    pub family: Option<(String, &'a str)>,
    pub metric: TokenStream,
    pub help: &'a str,
    pub unit: Option<&'a Unit>,
}

pub fn literal_descriptor(
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
    let unit = unit.map(|u| {
        let u = unit_tokens(u, krate);
        quote!(.unit(#u))
    });
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
pub fn literal_application(
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
