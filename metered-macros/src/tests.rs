//! Unit tests driving the expanders without rustc: golden expansions of representative
//! inputs, compared exactly with the files in `golden/`, and the template rules.
//!
//! After a deliberate change to the generated code, re-bless the goldens with
//! `BLESS=1 cargo test -p metered-macros` and read the `git diff` of `golden/` before committing.
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
use std::path::PathBuf;
use syn::LitStr;

/// Compares `out`, pretty-printed, with `golden/{name}.expanded` (writes it under `BLESS=1`).
fn golden(name: &str, out: &TokenStream) {
    let file: syn::File = syn::parse2(out.clone())
        .unwrap_or_else(|e| panic!("{name}: the expansion is not a list of items ({e}): {out}"));
    let text = prettyplease::unparse(&file);
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "golden",
        &format!("{name}.expanded"),
    ]
    .iter()
    .collect();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with `BLESS=1 cargo test -p metered-macros`",
            path.display()
        )
    });
    assert!(
        expected == text,
        "{name}: the expansion differs from {}; if the change is meant, re-bless with `BLESS=1 \
         cargo test -p metered-macros` and read the diff\n--- expected\n{expected}\n--- actual\n{text}",
        path.display()
    );
}

#[test]
fn golden_derive_literal_names() {
    // Every name is known at expansion: written as literals, with a lean hidden struct.
    golden(
        "derive-literal",
        &expand::derive(quote! {
            #[metrics(
                /// Time spent.
                latency: Timer = "app.{}.latency",
                hits: Counter = "app.{type_snake}.hits" (help = "Hits.", unit = "requests", type_label),
                age: Histogram = "app.{}.age" (buckets = [1, 3.5, 1e3], window = "5m"),
                queue: FnGauge = "app.{}.queue" (value = stats::queue_depth),
            )]
            pub struct MyImplHandler;
        }),
    );
}

#[test]
fn golden_derive_module_names() {
    // `{module}` is known only to the compiler: the names are rendered by `const` evaluation.
    golden(
        "derive-module",
        &expand::derive(quote! {
            #[metrics(
                type_label = "handler",
                latency: Timer = "{module}.{}.latency" (cumulative),
                hits: Counter = "app.{}.hits",
            )]
            pub(crate) struct MyImplHandler;
        }),
    );
}

#[test]
fn golden_derive_applying_a_set() {
    golden(
        "derive-set",
        &expand::derive(quote! {
            #[metrics(set = sets::Http, crate = my::rt)]
            struct H<T: Clone>(T) where T: Send;
        }),
    );
}

#[test]
fn golden_derive_per_instantiation() {
    golden(
        "derive-per-instantiation",
        &expand::derive(quote! {
            #[metrics(per_instantiation, hits: Counter = "app.{}.hits")]
            struct H<T>(T);
        }),
    );
}

#[test]
fn golden_derive_keeps_what_it_understood_beside_errors() {
    // A broken template gives a placeholder name, broken bounds no configuration, a duplicate
    // accessor and an unknown kind no accessor; everything else is generated.
    golden(
        "derive-errors",
        &expand::derive(quote! {
            #[metrics(
                latency: Timer = "app.{nope}.latency" (buckets = [2.0, 1.0]),
                hits: Counter = "app.{}.hits" (window = "1m"),
                hits: Counter = "app.{}.hits2",
                broken: Stopwatch = "app.{}.broken",
                a: FnGauge = "app.{}.a",
                b: FnGauge = "app.{}.b" (value = Self::depth),
                colour = 1,
            )]
            struct H;
        }),
    );
}

#[test]
fn golden_derive_listing_no_metric() {
    // An unknown key and a wrong value are reported, and so is the missing metric: the list
    // was read to its end.
    golden(
        "derive-no-metric",
        &expand::derive(quote! {
            #[metrics(colour = 1, crate = "rt")]
            struct H;
        }),
    );
}

#[test]
fn golden_derive_on_a_union() {
    golden(
        "derive-union",
        &expand::derive(quote! {
            #[metrics(hits: Counter = "app.{}.hits")]
            union Bits { a: u8 }
        }),
    );
}

#[test]
fn golden_point() {
    // Each member through its trait on its own type tokens; keys renamed or without `r#`;
    // the skipped member left out; the timestamp applied only when it gives a time.
    golden(
        "point",
        &expand::derive_point(quote! {
            #[point(series = "requests")]
            pub struct Request<'a> {
                #[point(tag)]
                service: &'a str,
                #[point(tag, name = "status_code")]
                status: u16,
                request_id: String,
                r#type: Option<f64>,
                #[point(skip)]
                scratch: Vec<u8>,
                #[point(timestamp)]
                at: std::time::SystemTime,
            }
        }),
    );
}

#[test]
fn golden_point_keeps_what_it_understood_beside_errors() {
    // No series (an empty placeholder), an unknown key, a second timestamp (left out): the
    // errors first, then `SERIES` and `to_point` with the members understood.
    golden(
        "point-errors",
        &expand::derive_point(quote! {
            #[point(measurement = "x")]
            struct E {
                #[point(tag, colour)]
                a: String,
                #[point(timestamp)]
                t1: u64,
                #[point(timestamp)]
                t2: u64,
                n: i32,
            }
        }),
    );
}

#[test]
fn golden_metric_set() {
    golden(
        "set",
        &expand::metric_set(quote! {
            /// Docs.
            #[metrics(type_label = "handler")]
            pub HttpEndpoint {
                /// Time spent.
                latency: Timer = "my.http.{}.latency" (buckets = [0.1, 1]),
                error_rate: Meter = "my.http.{type_snake}.error_rate" (unit = "ratio"),
            }
        }),
    );
}

#[test]
fn golden_metric_set_keeps_known_fields_beside_errors() {
    golden(
        "set-errors",
        &expand::metric_set(quote! {
            pub Endpoint {
                latency: Timer = "app.{}.latency" (window = "soon"),
                broken: Stopwatch = "app.{}.broken",
            }
        }),
    );
}

#[test]
fn golden_metered_impl() {
    golden(
        "metered-impl",
        &expand::metered(
            quote!(error = is_bad),
            quote! {
                impl Db {
                    fn get(&self) -> Result<u8, ()> { Ok(1) }
                    #[metered(skip)]
                    fn raw(&self) -> u8 { 1 }
                    #[metered(name = "{module}.{type}.{fn}", type_label)]
                    async fn load(&self) {}
                    fn stop(&self) -> ! { loop {} }
                }
            },
        ),
    );
}

#[test]
fn golden_metered_trait_impl() {
    golden(
        "metered-trait-impl",
        &expand::metered(
            quote!(name = "app.{trait}.{fn}"),
            quote! {
                impl Store for Db {
                    fn get(&self) -> impl Iterator<Item = u8> { [1].into_iter() }
                    fn load<'a>(&'a self) -> Pin<Box<dyn Future<Output = u8> + Send + 'a>> {
                        Box::pin(async move { 1 })
                    }
                }
            },
        ),
    );
}

#[test]
fn golden_metered_fn() {
    golden(
        "metered-fn",
        &expand::metered(
            quote!(crate = my::rt),
            quote!(
                pub fn work(n: u8) -> u8 {
                    n
                }
            ),
        ),
    );
}

#[test]
fn golden_metered_falls_back_to_the_item_on_error() {
    golden(
        "metered-errors",
        &expand::metered(
            quote!(colour = 1),
            quote! {
                impl Db {
                    const fn zero() -> u8 { 0 }
                    #[metered(skip)]
                    fn raw(&self) {}
                }
            },
        ),
    );
}

#[test]
fn golden_metered_on_a_struct() {
    golden(
        "metered-struct",
        &expand::metered(
            quote!(),
            quote!(
                struct S;
            ),
        ),
    );
}

fn parse(t: &str, cx: Context) -> Result<Vec<Part>, String> {
    let mut diag = Diag::default();
    let lit = LitStr::new(t, proc_macro2::Span::call_site());
    let parsed = template::parse(&lit, cx, &mut diag);
    match (parsed, diag.finish()) {
        (Some(t), Ok(())) => Ok(t.parts),
        (None, Err(e)) => Err(e.to_string()),
        (t, e) => panic!("a template is parsed exactly when no error is reported: {t:?} {e:?}"),
    }
}

#[test]
fn templates() {
    assert_eq!(
        parse("a.{}.b", Context::Type).unwrap(),
        [Part::Lit("a.".into()), Part::Type, Part::Lit(".b".into())]
    );
    let refused = [
        (
            "a.{fn}",
            Context::Type,
            "unknown placeholder `{fn}` in metric name template; expected one of `{}`, `{type}`, `{type_snake}`, `{module}`",
        ),
        (
            "a.{type}",
            Context::FreeFn,
            "unknown placeholder `{type}` in metric name template; expected one of `{fn}`, `{module}`",
        ),
        (
            "a.{",
            Context::Type,
            "unclosed `{` in metric name template \"a.{\"; placeholders are written `{}`, `{type}`, `{type_snake}`, `{module}`",
        ),
        (
            "a.}",
            Context::Method,
            "unmatched `}` in metric name template \"a.}\"; placeholders are written `{type}`, `{type_snake}`, `{fn}`, `{module}`",
        ),
        (
            "",
            Context::Type,
            "metric name template is empty; expected a dotted name like \"app.{}.latency\"",
        ),
        (
            ".a",
            Context::Type,
            "metric name template \".a\" has an empty segment; expected segments separated by single dots, like \"app.{}.latency\"",
        ),
    ];
    for (text, cx, message) in refused {
        assert_eq!(parse(text, cx).unwrap_err(), message, "{text:?}");
    }
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
#[should_panic(expected = "dropped before its errors were taken")]
fn a_collector_dropped_with_its_errors_inside_panics() {
    let mut diag = Diag::default();
    diag.error_at(proc_macro2::Span::call_site(), "lost");
}

#[test]
fn a_finished_collector_gives_every_error_in_order() {
    let mut diag = Diag::default();
    diag.error_at(proc_macro2::Span::call_site(), "first");
    diag.error_at(proc_macro2::Span::call_site(), "second");
    let messages: Vec<String> = diag
        .finish()
        .unwrap_err()
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(messages, ["first", "second"]);
    assert!(Diag::default().finish().is_ok());
}
