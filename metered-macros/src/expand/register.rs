//! Registration: the descriptors of a group of metrics, submitted to the registry. The form of
//! the names is decided here, once for every macro: a name the macro can render completely is
//! written as a string literal, and any other is rendered by `const` evaluation from specs.

use crate::model::{Family, Metric, Unit};
use crate::template::{self, Known, Part};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

/// One metric to describe to the registry.
pub struct Entry<'a> {
    /// The name template.
    pub parts: Vec<Part>,
    /// The family and key of its type label, if it has one.
    pub family: Option<&'a Family>,
    /// A `StaticMetric` expression.
    pub metric: TokenStream,
    pub help: &'a str,
    pub unit: Option<&'a Unit>,
}

impl<'a> Entry<'a> {
    /// The entry of metric `m` of a set, whose fields are reached through `place` (like
    /// `self` or `__METERED_SET`).
    pub fn of(m: &'a Metric, place: &TokenStream, krate: &TokenStream) -> Self {
        let (f, kind) = (&m.ident, m.kind.ident());
        Entry {
            parts: m.parts.clone(),
            family: m.type_label.as_ref(),
            metric: quote!(#krate::__private::StaticMetric::#kind(&#place.#f)),
            help: &m.help,
            unit: m.unit.as_ref(),
        }
    }
}

/// Where a group of metrics is declared.
pub struct Origin<'a> {
    pub krate: &'a TokenStream,
    /// What is known about the names at expansion (the type, the fn, the trait).
    pub known: Known<'a>,
    /// Where the descriptors' `file!()` and `line!()` point.
    pub span: Span,
}

impl Origin<'_> {
    /// `file!()` and `line!()`, spanned at the origin.
    pub fn location(&self) -> (TokenStream, TokenStream) {
        let krate = self.krate;
        (
            quote_spanned!(self.span=> #krate::__private::core::file!()),
            quote_spanned!(self.span=> #krate::__private::core::line!()),
        )
    }
}

/// The metrics to register.
pub enum Source<'a> {
    /// Metrics the macro sees: their names are literals where every one can be rendered now.
    Entries(&'a [Entry<'a>]),
    /// The metrics of a set declared with `metric_set!` (possibly in another crate), by the
    /// set's path: rendered from its specs.
    Set(&'a TokenStream),
}

/// The items registering a group of metrics, and (if asked for) an expression of type
/// `&'static [&'static str]` naming them.
pub struct Registration {
    pub items: TokenStream,
    pub names: TokenStream,
}

/// Registers `source`, declared at `origin`; with `with_names`, also a static of the names.
pub fn register(source: &Source<'_>, origin: &Origin<'_>, with_names: bool) -> Registration {
    let krate = origin.krate;
    let (descriptors, names) = match source {
        Source::Entries(entries) => match literal_names(entries, &origin.known) {
            Some(literal) => literal_descriptors(entries, &literal, origin, with_names),
            None => rendered_descriptors(source, origin, with_names),
        },
        Source::Set(_) => rendered_descriptors(source, origin, with_names),
    };
    Registration {
        items: quote! {
            #descriptors
            #krate::__private::submit! {
                #krate::__private::Registrations(&__METERED_DESCRIPTORS)
            }
        },
        names,
    }
}

/// Every name and family of `entries` rendered now, or `None` if one needs the compiler
/// (`{module}`).
fn literal_names(
    entries: &[Entry<'_>],
    known: &Known<'_>,
) -> Option<Vec<(String, Option<String>)>> {
    entries
        .iter()
        .map(|e| {
            let family = match e.family {
                Some((f, _)) => Some(template::literal(f, known)?),
                None => None,
            };
            Some((template::literal(&e.parts, known)?, family))
        })
        .collect()
}

/// A `Unit` expression.
pub fn unit_tokens(u: &Unit, krate: &TokenStream) -> TokenStream {
    match u {
        Unit::Seconds => quote!(#krate::__private::Unit::Seconds),
        Unit::Bytes => quote!(#krate::__private::Unit::Bytes),
        Unit::Ratio => quote!(#krate::__private::Unit::Ratio),
        Unit::Other(name) => quote!(#krate::__private::Unit::Other(#name)),
    }
}

/// The descriptors (and names) written out as literals: no `const` evaluation in the user's
/// crate.
fn literal_descriptors(
    entries: &[Entry<'_>],
    literal: &[(String, Option<String>)],
    origin: &Origin<'_>,
    with_names: bool,
) -> (TokenStream, TokenStream) {
    let krate = origin.krate;
    let (file, line) = origin.location();
    let ty_name = origin.known.ty.unwrap_or_default();
    let descriptors = entries.iter().zip(literal).map(|(e, (name, family))| {
        let metric = &e.metric;
        let help = e.help;
        let unit = e.unit.map(|u| {
            let u = unit_tokens(u, krate);
            quote!(.unit(#u))
        });
        let type_label = e.family.zip(family.as_ref()).map(|((_, key), family)| {
            quote!(.type_label(#krate::__private::TypeLabel { family: #family, key: #key, value: #ty_name }))
        });
        quote! {
            #krate::__private::Descriptor::new(#name, #metric)
                .help(#help)
                #unit
                #type_label
                .location(#krate::__private::core::module_path!(), #file, #line)
        }
    });
    let count = entries.len();
    let names = literal.iter().map(|(name, _)| name);
    let (names_static, names) = names_items(with_names, &quote!(#count), &quote!([#(#names),*]));
    let descriptors = quote! {
        static __METERED_DESCRIPTORS: [#krate::__private::Descriptor; #count] = [#(#descriptors),*];
        #names_static
    };
    (descriptors, names)
}

/// The static `__METERED_NAMES` of `count` names given by `value`, and the expression of it.
fn names_items(
    with_names: bool,
    count: &TokenStream,
    value: &TokenStream,
) -> (TokenStream, TokenStream) {
    if with_names {
        (
            quote!(static __METERED_NAMES: [&str; #count] = #value;),
            quote!(&__METERED_NAMES),
        )
    } else {
        (TokenStream::new(), TokenStream::new())
    }
}

/// The descriptors (and names) rendered by `const` evaluation from the specs, into a static
/// buffer.
fn rendered_descriptors(
    source: &Source<'_>,
    origin: &Origin<'_>,
    with_names: bool,
) -> (TokenStream, TokenStream) {
    let krate = origin.krate;
    let (file, line) = origin.location();
    let (specs_items, specs, count, descriptors) = match source {
        Source::Entries(entries) => {
            let specs = specs(entries, krate, &origin.known);
            let count = entries.len();
            let specs_path = quote!(__METERED_SPECS);
            let calls = descriptor_calls(
                entries,
                krate,
                &specs_path,
                &[quote!(&__METERED_BUF), quote!(&__METERED_CX), file, line],
            );
            (
                quote!(const __METERED_SPECS: &[#krate::__private::Spec] = #specs;),
                specs_path,
                quote!(#count),
                quote!([#(#calls),*]),
            )
        }
        Source::Set(set) => (
            TokenStream::new(),
            quote!(<#set>::__METERED_SPECS),
            quote!(<#set>::__METERED_COUNT),
            quote!(__METERED_SET.__metered_descriptors(&__METERED_BUF, &__METERED_CX, #file, #line)),
        ),
    };
    let ty_name = origin.known.ty.unwrap_or_default();
    let snake = template::snake_case(ty_name);
    let (names_static, names) = names_items(
        with_names,
        &count,
        &quote!(#krate::__private::names(&__METERED_BUF, #specs, &__METERED_CX)),
    );
    let items = quote! {
        #specs_items
        const __METERED_CX: #krate::__private::Cx = #krate::__private::Cx {
            ty: #ty_name,
            ty_snake: #snake,
            module: #krate::__private::core::module_path!(),
        };
        const __METERED_LEN: usize = #krate::__private::rendered_len(#specs, &__METERED_CX);
        static __METERED_BUF: [u8; __METERED_LEN] = #krate::__private::render(#specs, &__METERED_CX);
        static __METERED_DESCRIPTORS: [#krate::__private::Descriptor; #count] = #descriptors;
        #names_static
    };
    (items, names)
}

/// The `Spec`s of `entries`: their templates as the runtime's pieces (`{fn}` and `{trait}`
/// rendered now).
pub fn specs(entries: &[Entry<'_>], krate: &TokenStream, known: &Known<'_>) -> TokenStream {
    let specs = entries.iter().map(|e| {
        let name = pieces(&e.parts, krate, known);
        let (family, key) = match e.family {
            Some((f, k)) => (pieces(f, krate, known), k.as_str()),
            None => (quote!(&[]), ""),
        };
        let help = e.help;
        let unit = e.unit.map_or_else(
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

/// The `descriptor(..)` call of each of `entries`, rendered from `specs` with the arguments
/// `buf, cx, file, line`.
pub fn descriptor_calls(
    entries: &[Entry<'_>],
    krate: &TokenStream,
    specs: &TokenStream,
    [buf, cx, file, line]: &[TokenStream; 4],
) -> Vec<TokenStream> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let metric = &e.metric;
            quote!(#krate::__private::descriptor(#metric, #specs, #i, #buf, #cx, #file, #line))
        })
        .collect()
}

/// The runtime's `Piece`s of a template; `{fn}` and `{trait}` are rendered now from `known`.
fn pieces(parts: &[Part], krate: &TokenStream, known: &Known<'_>) -> TokenStream {
    let pieces = template::resolve(parts, known)
        .into_iter()
        .map(|p| match p {
            Part::Lit(s) => quote!(#krate::__private::Piece::Lit(#s)),
            Part::Type => quote!(#krate::__private::Piece::Type),
            Part::TypeSnake => quote!(#krate::__private::Piece::TypeSnake),
            // Resolved away but `{module}`.
            Part::Module | Part::Fn | Part::Trait => quote!(#krate::__private::Piece::Module),
        });
    quote!(&[#(#pieces),*])
}
