// Every member kind of `#[derive(Point)]`, under strict lints, and the line it encodes to.
#![deny(warnings, missing_docs, unused, unreachable_pub, rust_2018_idioms)]
//! A crate with strict lints.

use metered_runtime::Point;
use metered_runtime::push::points::TagValue;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A user's tag type.
#[derive(Clone, Copy)]
pub enum Kind {
    /// One kind.
    Batch,
}

impl TagValue for Kind {
    fn tag_value(&self) -> Cow<'_, str> {
        match self {
            Kind::Batch => Cow::Borrowed("batch"),
        }
    }
}

/// Every member kind.
#[derive(Point)]
#[point(series = "everything", crate = ::metered_runtime)]
pub struct Everything<'a> {
    /// A string tag.
    #[point(tag)]
    pub owned: String,
    /// A borrowed tag.
    #[point(tag)]
    pub borrowed: &'a str,
    /// A copy-on-write tag.
    #[point(tag, name = "cow tag")]
    pub cow: Cow<'a, str>,
    /// An integer tag.
    #[point(tag)]
    pub status_code: u16,
    /// A user's tag type.
    #[point(tag)]
    pub kind: Kind,
    /// An optional tag.
    #[point(tag)]
    pub maybe: Option<Arc<str>>,
    /// Integers.
    pub int: i64,
    /// Unsigned.
    #[point(field)]
    pub unsigned: u64,
    /// Floats.
    pub float: f64,
    /// Narrow floats.
    pub narrow: f32,
    /// Booleans.
    pub flag: bool,
    /// Strings.
    pub text: String,
    /// Borrowed strings.
    pub text_ref: &'a str,
    /// Durations, as seconds.
    pub took: Duration,
    /// An optional field, left out while `None`.
    pub absent: Option<i32>,
    /// An optional field that is there.
    pub present: Option<f64>,
    /// A raw identifier.
    pub r#type: char,
    /// Not in the point.
    #[point(skip)]
    pub scratch: Vec<u8>,
    /// The event time.
    #[point(timestamp)]
    pub at: SystemTime,
}

/// Nanosecond timestamps.
#[derive(Point)]
#[point(series = "ns")]
pub struct Nanos {
    /// A field.
    pub v: u8,
    /// The event time, in nanoseconds.
    #[point(timestamp)]
    pub ns: u64,
}

/// Generic members need their bound on the struct.
#[derive(Point)]
#[point(series = "generic")]
pub struct Generic<T: TagValue> {
    /// A generic tag.
    #[point(tag)]
    pub t: T,
    /// A field.
    pub v: i32,
}

fn main() {
    let e = Everything {
        owned: "o".into(),
        borrowed: "b",
        cow: Cow::Borrowed("c"),
        status_code: 201,
        kind: Kind::Batch,
        maybe: None,
        int: -1,
        unsigned: 2,
        float: 0.5,
        narrow: 0.25,
        flag: true,
        text: "t".into(),
        text_ref: "r",
        took: Duration::from_millis(20),
        absent: None,
        present: Some(1.0),
        r#type: 'x',
        scratch: Vec::new(),
        at: SystemTime::UNIX_EPOCH + Duration::from_secs(2),
    };
    assert_eq!(Everything::SERIES, "everything");
    assert_eq!(
        e.to_point().to_line(SystemTime::UNIX_EPOCH).unwrap(),
        "everything,borrowed=b,cow\\ tag=c,kind=batch,owned=o,status_code=201 \
         int=-1i,unsigned=2i,float=0.5,narrow=0.25,flag=true,text=\"t\",text_ref=\"r\",took=0.02,present=1,type=\"x\" 2000000000"
    );
    assert!(e.scratch.is_empty());
    assert_eq!(
        Nanos { v: 1, ns: 7 }.to_point().to_line(SystemTime::now()).unwrap(),
        "ns v=1i 7"
    );
    let g = Generic { t: 3_u8, v: 4 };
    assert_eq!(
        g.to_point().to_line(SystemTime::UNIX_EPOCH).unwrap(),
        "generic,t=3 v=4i 0"
    );
}
