//! Unit tests driving the expanders with `syn::parse_quote!`, without rustc.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly on purpose"
)]

use crate::diag::Diag;
use crate::expand;
use crate::template::{self, Context, Part};
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

fn derive(item: &syn::DeriveInput) -> String {
    expand::derive(quote!(#item)).to_string()
}

fn metered(args: TokenStream, item: &syn::Item) -> String {
    expand::metered(args, quote!(#item)).to_string()
}

fn errors(out: &str) -> usize {
    out.matches("compile_error").count()
}

#[test]
fn derive_generates_accessors_names_and_registration() {
    let out = derive(&syn::parse_quote! {
        #[metrics(latency: Timer = "app.{}.latency", hits: Counter = "app.{type_snake}.hits")]
        pub struct MyImplHandler;
    });
    assert_eq!(errors(&out), 0, "{out}");
    assert!(out.starts_with("const _ : () ="), "{out}");
    assert!(
        out.contains("pub fn latency () -> & 'static :: metered_runtime :: __private :: Timer")
    );
    assert!(out.contains("pub fn hits () -> & 'static :: metered_runtime :: __private :: Counter"));
    assert!(out.contains("pub fn metric_names ()"));
    assert!(out.contains(":: metered_runtime :: __private :: submit !"));
    // Names the macro can render are written out: no `const` rendering in the user's crate.
    assert!(out.contains("\"app.MyImplHandler.latency\""), "{out}");
    assert!(out.contains("\"app.my_impl_handler.hits\""), "{out}");
    assert!(!out.contains("rendered_len"), "{out}");
    assert!(!out.contains("allow (dead_code)] impl MyImplHandler"));
}

#[test]
fn derive_renders_module_templates_by_const_evaluation() {
    let out = derive(&syn::parse_quote! {
        #[metrics(latency: Timer = "{module}.{}.latency")]
        pub struct MyImplHandler;
    });
    assert_eq!(errors(&out), 0, "{out}");
    assert!(out.contains("rendered_len"), "{out}");
    assert!(out.contains("ty : \"MyImplHandler\""), "{out}");
    assert!(out.contains("ty_snake : \"my_impl_handler\""), "{out}");
}

#[test]
fn derive_with_set_and_crate_path() {
    let out = derive(&syn::parse_quote! {
        #[metrics(set = sets::Http, crate = my::rt)]
        struct H<T: Clone>(T);
    });
    assert_eq!(errors(&out), 0, "{out}");
    assert!(out.contains(
        "impl < T : Clone > my :: rt :: __private :: HasMetrics < sets :: Http > for H < T >"
    ));
    assert!(!out.contains("metered_runtime"), "{out}");
}

#[test]
fn derive_per_instantiation_adds_static_bound() {
    let out = derive(&syn::parse_quote! {
        #[metrics(per_instantiation, hits: Counter = "app.{}.hits")]
        struct H<T>(T);
    });
    assert!(out.contains("where Self : 'static"), "{out}");
    assert!(
        out.contains("per_type :: < __MeteredMetrics , Self >"),
        "{out}"
    );
}

#[test]
fn derive_reports_every_mistake_together() {
    let out = derive(&syn::parse_quote! {
        #[metrics(a: Stopwatch = "x.{}", b: Timer = "x.{nope}", b: Timer = "", colour = 1)]
        struct H;
    });
    assert_eq!(errors(&out), 5, "{out}");
    assert!(out.contains("unknown metric kind `Stopwatch`"));
    assert!(out.contains("unknown placeholder `{nope}`"));
    assert!(out.contains("duplicate metric `b`"));
    assert!(out.contains("unknown `metrics` argument `colour`"));
}

#[test]
fn derive_builds_histogram_configs_in_const() {
    let out = derive(&syn::parse_quote! {
        #[metrics(
            age: Histogram = "app.{}.age" (buckets = [1, 3.5, 1e3], window = "5m"),
            latency: Timer = "app.{}.latency" (cumulative),
            hits: Counter = "app.{}.hits",
        )]
        struct H;
    });
    assert_eq!(errors(&out), 0, "{out}");
    assert!(
        out.contains(
            "age : :: metered_runtime :: __private :: Histogram :: with_config (:: metered_runtime :: __private :: HistogramConfig :: new () . bounds (& [1.0 , 3.5 , 1000.0]) . window (:: metered_runtime :: __private :: core :: time :: Duration :: from_millis (300000)))"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "latency : :: metered_runtime :: __private :: Timer :: with_config (:: metered_runtime :: __private :: HistogramConfig :: new () . cumulative ())"
        ),
        "{out}"
    );
    assert!(out.contains("hits : :: metered_runtime :: __private :: Counter :: new ()"));
}

#[test]
fn derive_keeps_what_it_understood_beside_errors() {
    let out = derive(&syn::parse_quote! {
        #[metrics(
            latency: Timer = "app.{nope}.latency" (buckets = [2.0, 1.0]),
            hits: Counter = "app.{}.hits" (window = "1m"),
            hits: Counter = "app.{}.hits2",
            broken: Stopwatch = "app.{}.broken",
        )]
        struct H;
    });
    assert_eq!(errors(&out), 5, "{out}");
    assert!(out.contains("fn latency ()"), "{out}");
    assert!(out.contains("fn hits ()"), "{out}");
    assert_eq!(out.matches("fn hits ()").count(), 1, "{out}");
    assert!(!out.contains("fn broken ()"), "{out}");
    assert!(out.contains("fn metric_names ()"), "{out}");
    // The broken template gives a placeholder name, the broken bounds no configuration.
    assert!(out.contains("Descriptor :: new (\"latency\""), "{out}");
    assert!(!out.contains("with_config"), "{out}");
}

#[test]
fn metric_set_keeps_known_fields_beside_errors() {
    let out = expand::metric_set(quote! {
        pub Endpoint {
            latency: Timer = "app.{}.latency" (window = "soon"),
            broken: Stopwatch = "app.{}.broken",
        }
    })
    .to_string();
    assert_eq!(errors(&out), 2, "{out}");
    assert!(out.contains("pub struct Endpoint"), "{out}");
    assert!(
        out.contains("pub latency : :: metered_runtime :: __private :: Timer"),
        "{out}"
    );
    assert!(!out.contains("broken :"), "{out}");
}

#[test]
fn derive_rejects_unions_and_missing_attribute() {
    let out = derive(&syn::parse_quote! {
        #[metrics(a: Timer = "x.{}")]
        union U { a: u8 }
    });
    assert!(out.contains("does not support unions"), "{out}");
    let out = derive(&syn::parse_quote!(
        struct Bare;
    ));
    assert!(out.contains("needs `#[metrics(...)]`"), "{out}");
}

#[test]
fn metric_set_declares_the_struct() {
    let out = expand::metric_set(quote! {
        /// Docs.
        #[metrics(type_label = "handler")]
        pub HttpEndpoint {
            /// Time spent.
            latency: Timer = "my.http.{}.latency",
            error_rate: Meter = "my.http.{}.error_rate",
        }
    })
    .to_string();
    assert_eq!(errors(&out), 0, "{out}");
    assert!(out.contains("pub struct HttpEndpoint"));
    assert!(out.contains(
        "# [doc = \"Time spent.\"] pub latency : :: metered_runtime :: __private :: Timer"
    ));
    assert!(out.contains("type_key : \"handler\""));
    assert!(out.contains("pub const __METERED_COUNT : usize = 2usize"));
}

#[test]
fn metered_instruments_methods_but_not_skipped_ones() {
    let out = metered(
        quote!(),
        &syn::parse_quote! {
            impl Db {
                fn get(&self) -> Result<u8, ()> { Ok(1) }
                #[metered(skip)]
                fn raw(&self) -> u8 { 1 }
                async fn load(&self) {}
            }
        },
    );
    assert_eq!(errors(&out), 0, "{out}");
    assert_eq!(out.matches("Call :: start").count(), 2, "{out}");
    assert!(out.contains("\"Db.get.latency\""), "{out}");
    assert!(!out.contains("rendered_len"), "{out}");
    assert!(out.contains("async move"), "{out}");
    assert!(!out.contains("metered (skip)"), "{out}");
}

#[test]
fn metered_falls_back_to_the_item_on_error() {
    let out = metered(
        quote!(colour = 1),
        &syn::parse_quote! {
            impl Db {
                const fn zero() -> u8 { 0 }
                #[metered(skip)]
                fn raw(&self) {}
            }
        },
    );
    assert_eq!(errors(&out), 2, "{out}");
    assert!(out.contains("cannot instrument a `const fn`"));
    assert!(out.contains("const fn zero () -> u8 { 0 }"), "{out}");
    assert!(
        !out.contains("metered (skip)"),
        "stripped on fallback: {out}"
    );
    assert!(!out.contains("Call :: start"));
}

#[test]
fn metered_rejects_other_items() {
    let out = metered(
        quote!(),
        &syn::parse_quote!(
            struct S;
        ),
    );
    assert!(
        out.contains("goes on an `impl` block or a `fn`, not on a struct"),
        "{out}"
    );
    assert!(out.contains("struct S ;"), "{out}");
}

fn parse(t: &str, cx: Context) -> Result<Vec<Part>, String> {
    let mut diag = Diag::default();
    let lit = LitStr::new(t, proc_macro2::Span::call_site());
    template::parse(&lit, cx, &mut diag)
        .map(|t| t.parts)
        .ok_or_else(|| diag.finish().unwrap_err().to_string())
}

#[test]
fn templates() {
    assert_eq!(
        parse("a.{}.b", Context::Type).unwrap(),
        [Part::Lit("a.".into()), Part::Type, Part::Lit(".b".into())]
    );
    assert!(
        parse("a.{fn}", Context::Type)
            .unwrap_err()
            .contains("unknown placeholder `{fn}`")
    );
    assert!(
        parse("a.{type}", Context::FreeFn)
            .unwrap_err()
            .contains("unknown placeholder")
    );
    assert!(
        parse("a.{", Context::Type)
            .unwrap_err()
            .contains("unclosed `{`")
    );
    assert!(
        parse("a.}", Context::Type)
            .unwrap_err()
            .contains("unmatched `}`")
    );
    assert!(parse("", Context::Type).unwrap_err().contains("is empty"));
    assert!(
        parse(".a", Context::Type)
            .unwrap_err()
            .contains("empty segment")
    );
    let parts = parse("my.{module}.{type}.latency", Context::Type).unwrap();
    assert_eq!(
        template::family(&parts).unwrap(),
        [
            Part::Lit("my.".into()),
            Part::Module,
            Part::Lit(".latency".into())
        ]
    );
    assert!(template::family(&parse("a.x{}.b", Context::Type).unwrap()).is_none());
    assert_eq!(template::snake_case("MyHTTPHandler2"), "my_http_handler2");
}

#[test]
fn derive_fn_gauge_calls_the_named_function() {
    let out = derive(&syn::parse_quote! {
        #[metrics(queue: FnGauge = "app.{}.queue" (value = stats::queue_depth))]
        pub struct Jobs;
    });
    assert_eq!(errors(&out), 0, "{out}");
    assert!(
        out.contains(
            "queue : :: metered_runtime :: __private :: FnGauge :: new (stats :: queue_depth)"
        ),
        "{out}"
    );
    assert!(out.contains("StaticMetric :: FnGauge"), "{out}");
    assert!(
        out.contains("pub fn queue () -> & 'static :: metered_runtime :: __private :: FnGauge"),
        "{out}"
    );
}

#[test]
fn derive_fn_gauge_errors_keep_the_accessor() {
    // Missing `value`, `Self` in a derive, and `value` on a counter: one error each, and the
    // accessors are still generated (a placeholder function stands in).
    let out = derive(&syn::parse_quote! {
        #[metrics(
            a: FnGauge = "app.{}.a",
            b: FnGauge = "app.{}.b" (value = Self::depth),
            c: Counter = "app.{}.c" (value = depth),
        )]
        pub struct Jobs;
    });
    assert_eq!(errors(&out), 3, "{out}");
    assert!(out.contains("write `Jobs::depth`"), "{out}");
    assert!(out.contains("__metered_placeholder"), "{out}");
    assert!(out.contains("pub fn a ()"), "{out}");
    assert!(out.contains("pub fn b ()"), "{out}");
}
