//! Metric names rendered from the macros' templates: at compile time by `const` evaluation for
//! a template applied to a named type, at run time (once per type) for a set applied to a
//! generic type.
//!
//! A template is split by the macro into pieces. Type names and `{type_snake}` are known at the
//! application site, `module_path!()` only as a string literal inside the expansion, so names are
//! rendered by `const` evaluation into a `static [u8; N]` (N computed by `rendered_len`), with
//! `::` of the module path mapped to `.`. Nothing is formatted at run time.

use crate::descriptor::{Descriptor, StaticMetric, TypeLabel};
use crate::metric::Unit;

/// One piece of a name template.
#[derive(Debug, Clone, Copy)]
pub enum Piece {
    /// Literal text.
    Lit(&'static str),
    /// `{}` or `{type}`: the type's name.
    Type,
    /// `{type_snake}`: the type's name in `snake_case`.
    TypeSnake,
    /// `{module}`: `module_path!()` of the application site, `::` mapped to `.`.
    Module,
}

/// One metric of a group, as the macros describe it.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The name template.
    pub name: &'static [Piece],
    /// The name template without the type's segment; empty if no type label was asked for.
    pub family: &'static [Piece],
    /// The type label's key.
    pub type_key: &'static str,
    /// Help text.
    pub help: &'static str,
    /// Unit, if one was given (a timer's is seconds regardless).
    pub unit: Option<Unit>,
}

/// What the pieces are rendered with.
#[derive(Debug, Clone, Copy)]
pub struct Cx {
    /// The type's name.
    pub ty: &'static str,
    /// The type's name in `snake_case`.
    pub ty_snake: &'static str,
    /// `module_path!()` of the application site.
    pub module: &'static str,
}

const fn module_len(m: &str) -> usize {
    let b = m.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        if i + 1 < b.len() && b[i] == b':' && b[i + 1] == b':' {
            i += 2;
        } else {
            i += 1;
        }
        n += 1;
    }
    n
}

const fn pieces_len(pieces: &[Piece], cx: &Cx) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < pieces.len() {
        n += match pieces[i] {
            Piece::Lit(s) => s.len(),
            Piece::Type => cx.ty.len(),
            Piece::TypeSnake => cx.ty_snake.len(),
            Piece::Module => module_len(cx.module),
        };
        i += 1;
    }
    n
}

/// String `k` of a group: the name of metric `k / 2` if `k` is even, its family if odd.
const fn string_pieces(specs: &[Spec], k: usize) -> &'static [Piece] {
    if k.is_multiple_of(2) {
        specs[k / 2].name
    } else {
        specs[k / 2].family
    }
}

/// Bytes needed for every name and family of `specs`.
#[must_use]
pub const fn rendered_len(specs: &[Spec], cx: &Cx) -> usize {
    let mut k = 0;
    let mut n = 0;
    while k < specs.len() * 2 {
        n += pieces_len(string_pieces(specs, k), cx);
        k += 1;
    }
    n
}

const fn copy(buf: &mut [u8], mut at: usize, s: &[u8]) -> usize {
    let mut i = 0;
    while i < s.len() {
        buf[at] = s[i];
        at += 1;
        i += 1;
    }
    at
}

/// Copies a module path with each `::` written as `.`.
const fn copy_module(buf: &mut [u8], mut at: usize, m: &[u8]) -> usize {
    let mut j = 0;
    while j < m.len() {
        if j + 1 < m.len() && m[j] == b':' && m[j + 1] == b':' {
            buf[at] = b'.';
            j += 2;
        } else {
            buf[at] = m[j];
            j += 1;
        }
        at += 1;
    }
    at
}

/// Writes `pieces` rendered with `cx` into `buf` from `at`; returns where it stopped.
const fn write_pieces(buf: &mut [u8], mut at: usize, pieces: &[Piece], cx: &Cx) -> usize {
    let mut i = 0;
    while i < pieces.len() {
        at = match pieces[i] {
            Piece::Lit(s) => copy(buf, at, s.as_bytes()),
            Piece::Type => copy(buf, at, cx.ty.as_bytes()),
            Piece::TypeSnake => copy(buf, at, cx.ty_snake.as_bytes()),
            Piece::Module => copy_module(buf, at, cx.module.as_bytes()),
        };
        i += 1;
    }
    at
}

/// Every name and family of `specs`, back to back.
#[must_use]
pub const fn render<const N: usize>(specs: &[Spec], cx: &Cx) -> [u8; N] {
    let mut buf = [0u8; N];
    let mut at = 0;
    let mut k = 0;
    while k < specs.len() * 2 {
        at = write_pieces(&mut buf, at, string_pieces(specs, k), cx);
        k += 1;
    }
    buf
}

/// One template rendered at run time, by the same rule (for a set applied to a generic type,
/// whose name is only known from `type_name`).
pub(crate) fn render_one(pieces: &[Piece], cx: &Cx) -> String {
    let mut buf = vec![0; pieces_len(pieces, cx)];
    write_pieces(&mut buf, 0, pieces, cx);
    // Pieces are whole `str`s and `::` is ASCII, so every boundary is a char boundary.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// String `k` (the name of metric `k / 2`, or its family if `k` is odd) out of the buffer.
///
/// # Panics
/// If `buf` was not rendered by [`render`] from the same `specs` and `cx`: it runs in `const`
/// evaluation, so such a mistake in the macros is a compile error, never a run-time panic.
#[must_use]
pub const fn string_at(buf: &'static [u8], specs: &[Spec], cx: &Cx, k: usize) -> &'static str {
    let mut start = 0;
    let mut j = 0;
    while j < k {
        start += pieces_len(string_pieces(specs, j), cx);
        j += 1;
    }
    let len = pieces_len(string_pieces(specs, k), cx);
    let (_, rest) = buf.split_at(start);
    let (bytes, _) = rest.split_at(len);
    match ::core::str::from_utf8(bytes) {
        Ok(s) => s,
        // Pieces are whole `str`s and `::` is ASCII, so every boundary is a char boundary.
        Err(_) => panic!("metered: a rendered name is not UTF-8"),
    }
}

/// The `N` names of a group, in declaration order.
#[must_use]
pub const fn names<const N: usize>(
    buf: &'static [u8],
    specs: &[Spec],
    cx: &Cx,
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = string_at(buf, specs, cx, 2 * i);
        i += 1;
    }
    out
}

/// The descriptor of metric `i` of a group.
#[must_use]
pub const fn descriptor(
    metric: StaticMetric,
    specs: &[Spec],
    i: usize,
    buf: &'static [u8],
    cx: &Cx,
    file: &'static str,
    line: u32,
) -> Descriptor {
    let name = string_at(buf, specs, cx, 2 * i);
    let family = string_at(buf, specs, cx, 2 * i + 1);
    from_spec(metric, &specs[i], name, family, cx.ty).location(cx.module, file, line)
}

/// The descriptor of a metric from its spec and its rendered name and family (the family is
/// only read if the spec asks for a type label), without a location.
pub(crate) const fn from_spec(
    metric: StaticMetric,
    spec: &Spec,
    name: &'static str,
    family: &'static str,
    ty: &'static str,
) -> Descriptor {
    let mut d = Descriptor::new(name, metric).help(spec.help);
    if let Some(unit) = spec.unit {
        d = d.unit(unit);
    }
    if !spec.family.is_empty() {
        d = d.type_label(TypeLabel {
            family,
            key: spec.type_key,
            value: ty,
        });
    }
    d
}

/// `type_name` without module paths and spaces: `alloc::vec::Vec<u8>` gives `Vec<u8>`.
#[must_use]
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut seg_start = 0;
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.truncate(seg_start);
            }
            ' ' => {
                if !out.ends_with(',') && !out.ends_with(';') {
                    out.push('_');
                }
                seg_start = out.len();
            }
            c if c.is_alphanumeric() || c == '_' => out.push(c),
            c => {
                out.push(c);
                seg_start = out.len();
            }
        }
    }
    out
}

/// `MyHTTPHandler` gives `my_http_handler` (the macros use the same rule).
#[must_use]
pub fn snake_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(char::is_lowercase),
                _ => false,
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_type_names() {
        assert_eq!(
            short_type_name("a::b::Foo<alloc::string::String, u8>"),
            "Foo<String,u8>"
        );
        assert_eq!(short_type_name("&mut a::B"), "&mut_B");
        assert_eq!(short_type_name("(u8, a::C)"), "(u8,C)");
    }

    #[test]
    fn snake() {
        assert_eq!(snake_case("MyImplHandler"), "my_impl_handler");
        assert_eq!(snake_case("HTTPServer2Go"), "http_server2_go");
        assert_eq!(snake_case("Foo<Bar>"), "foo<bar>");
    }

    #[test]
    fn const_rendering() {
        const SPECS: &[Spec] = &[
            Spec {
                name: &[
                    Piece::Lit("a."),
                    Piece::Module,
                    Piece::Lit("."),
                    Piece::Type,
                ],
                family: &[Piece::Lit("a."), Piece::Module],
                type_key: "type",
                help: "",
                unit: None,
            },
            Spec {
                name: &[Piece::TypeSnake, Piece::Lit(".x")],
                family: &[],
                type_key: "",
                help: "",
                unit: None,
            },
        ];
        const CX: Cx = Cx {
            ty: "MyT",
            ty_snake: "my_t",
            module: "k::m",
        };
        const LEN: usize = rendered_len(SPECS, &CX);
        static BUF: [u8; LEN] = render(SPECS, &CX);
        static NAMES: [&str; 2] = names(&BUF, SPECS, &CX);
        assert_eq!(NAMES, ["a.k.m.MyT", "my_t.x"]);
        assert_eq!(string_at(&BUF, SPECS, &CX, 1), "a.k.m");
    }
}
