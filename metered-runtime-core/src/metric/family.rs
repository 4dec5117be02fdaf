//! Labelled families: one metric per combination of label values, with a cap on how many.
//!
//! # Memory
//!
//! What a series costs, for a family of `N` label sets of kind `M`, each recorded from `T`
//! threads. Nothing in it depends on the number of CPUs.
//!
//! ```text
//! bytes per series = entry + (16 + size_of::<M>()) + cells(M, T)
//!
//! entry          = 17 / load                        label values that encode in 7 bytes
//!                = 25 / load                        ... in 15 bytes (one value: its length)
//!                = 25 / load + sum of value lengths + number of values      longer values
//!   load         = N / next_power_of_two(8 N / 7), between 0.44 and 0.875 (the hash map's)
//! 16 + size_of   = the child's `Arc` (rounded up to 8): 24 B for a counter, an up-down counter
//!                  or a gauge, 144 B for a meter, 144 B for a histogram, 264 B for a timer
//! cells(M, T)    = 8 T                               Counter, UpDownCounter, Meter
//!                = 0                                 Gauge, FloatGauge
//!                = T node(shard(spread))             Histogram, Timer
//!   node(x)      = 16 + x rounded up to a multiple of 64 (list links and the thread's state
//!                  on cache lines of their own): 192 B plus the bucket chunks for a histogram
//! ```
//!
//! For example a counter series of a family of 10,000, from one thread: 17 / 0.61 + 24 + 8 +
//! 0.8 (the table) = 61 B, as measured below.
//!
//! - A counter's cells live in per-thread arenas, in chunks of 64 cells (512 B, allocated when
//!   the thread first records into any of 64 consecutive ids) under a table of 8 KiB per 65,536
//!   ids. The 8 T holds when each thread records into most of a chunk's counters, as it does when
//!   it records the series of a family built in a row; a thread that records one counter in 64
//!   pays the whole chunk for it. Each thread that ever recorded (at the peak of live threads,
//!   since slots are reused) also holds a 2 KiB arena header.
//! - A histogram or timer shard sits in a list node: 16 B of links and the histogram's
//!   per-thread state on whole cache lines, and its bucket storage grows with the spread of the values that
//!   thread recorded (see [`Histogram`](crate::Histogram)).
//!
//! Measured by `cargo bench -p metered-runtime --bench memory` (a counting allocator, each case
//! in a fresh process; label values `0`, `1`, ...), beside prometheus-client 0.25's families built
//! the same way:
//!
//! | series | recording threads | metered | prometheus-client, `Vec<(String, String)>` labels | prometheus-client, derived labels |
//! |---|---|---|---|---|
//! | counter, 10,000 series | 1 | 61 B | 132 B | 82 B |
//! | counter, 10,000 series | 2 | 70 B | 132 B | 82 B |
//! | counter, 100,000 series | 1 | 54 B | 122 B | 72 B |
//! | counter, 100,000 series | 2 | 63 B | 122 B | 72 B |
//!
//! Before this layout, every recorded metric held a slot table of `4 x CPUs` pointers and a
//! 128-byte cache-padded shard per thread: a counter series cost 541 B (669 B from two threads)
//! in the same benchmark on this 2-CPU machine, and its table alone would be 2 KiB on a 64-CPU
//! one. Of the designs weighed, per-thread arenas of cells indexed by metric id (the Linux
//! per-CPU counter, per thread) give the floor: 8 B per recording thread, never a cache line
//! shared between two writers, and a record that stays a plain load and store (`Counter::inc`
//! at 0.25x to 0.28x of a bare atomic add in the runs of `benches/hot_path.rs` here, 0.3x of
//! the shared atomic with two threads). LongAdder-style striping (one inline cell that spreads
//! into padded cells where a compare-and-swap fails) records with the same locked instruction
//! as the bare atomic add on its uncontended path, so it cannot be cheaper than 1.0x, and pays a
//! padded cell per stripe once it spreads. A small list of per-thread shards found by slot,
//! which histograms and timers use, costs a cache-line-aligned node per thread and a walk of one
//! node per earlier recording thread on each record.

use crate::error::{Error, Result};
use crate::metric::counter::Counter;
use std::any::Any;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

/// The value every label takes in a family's overflow child.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// How many label sets a family holds by default before new ones go to the overflow child.
pub const DEFAULT_MAX_CHILDREN: usize = 1000;

/// Checks a label key: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved), which every
/// exporter can carry unchanged.
///
/// # Errors
/// [`Error::InvalidLabel`] saying what is wrong.
pub fn validate_label_key(family: &str, key: &str) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::InvalidLabel {
            family: family.to_owned(),
            reason,
        })
    };
    let mut chars = key.chars();
    match chars.next() {
        None => return bad("a label key is empty".into()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            return bad(format!("label key {key:?} must start with a letter or '_'"));
        }
        Some(_) => {}
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return bad(format!(
            "label key {key:?} holds {c:?}; use letters, digits and '_'"
        ));
    }
    if key.starts_with("__") {
        return bad(format!(
            "label key {key:?} starts with '__', which is reserved"
        ));
    }
    Ok(())
}

/// The family's name and label keys checked, the keys owned (one copy of this for every kind).
fn checked_keys(name: &str, keys: &[&str]) -> Result<Arc<[String]>> {
    crate::name::validate_name(name)?;
    for (i, k) in keys.iter().enumerate() {
        validate_label_key(name, k)?;
        if keys[..i].contains(k) {
            return Err(Error::InvalidLabel {
                family: name.to_owned(),
                reason: format!("label key {k:?} appears twice"),
            });
        }
    }
    Ok(keys.iter().map(|k| (*k).to_owned()).collect())
}

/// A sequence of label values, however stored: what the children map hashes and compares, so
/// that a lookup can borrow the caller's `&[&str]` instead of building a key.
trait Values {
    /// The `i`-th value, `None` past the last.
    fn value(&self, i: usize) -> Option<&str>;
}

impl Hash for dyn Values + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // `str::hash` ends each value with a marker byte, so ("ab", "c") and ("a", "bc") differ.
        let mut i = 0;
        while let Some(v) = self.value(i) {
            v.hash(state);
            i += 1;
        }
    }
}

impl PartialEq for dyn Values + '_ {
    fn eq(&self, other: &Self) -> bool {
        let mut i = 0;
        loop {
            match (self.value(i), other.value(i)) {
                (None, None) => return true,
                (a, b) if a != b => return false,
                _ => i += 1,
            }
        }
    }
}

impl Eq for dyn Values + '_ {}

/// The caller's values, looked up without copying them.
struct Borrowed<'a>(&'a [&'a str]);

impl Values for Borrowed<'_> {
    fn value(&self, i: usize) -> Option<&str> {
        self.0.get(i).copied()
    }
}

/// The label values of one child in one allocation: the byte lengths of every value but the last
/// in decimal, separated by `,` and ended by `;`, then the values one after another. One value
/// `"ok"` is `";ok"`; the values `"build"`, `"ok"` are `"5;buildok"`; no values (a family
/// without keys) is `""`. The map entry is a 16-byte
/// pointer and length; the allocation is the values' bytes plus a few.
struct Key(Box<str>);

impl Key {
    fn new(values: &[&str]) -> Self {
        if values.is_empty() {
            return Key(Box::from(""));
        }
        let mut s = String::with_capacity(values.iter().map(|v| v.len() + 4).sum());
        for (i, v) in values
            .iter()
            .enumerate()
            .take(values.len().saturating_sub(1))
        {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{}", v.len());
        }
        s.push(';');
        for v in values {
            s.push_str(v);
        }
        Key(s.into_boxed_str())
    }

    fn to_vec(&self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(v) = self.value(out.len()) {
            out.push(v.to_owned());
        }
        out
    }
}

impl Values for Key {
    fn value(&self, i: usize) -> Option<&str> {
        // Lengths are digits and commas, so the first `;` ends them.
        let (lengths, body) = self.0.split_once(';')?;
        let mut start = 0;
        let mut n = 0;
        for len in lengths.split(',').filter(|l| !l.is_empty()) {
            let len: usize = len.parse().ok()?;
            if n == i {
                return body.get(start..start + len);
            }
            start += len;
            n += 1;
        }
        if n == i { body.get(start..) } else { None }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn Values).hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        // The encoding is one-to-one, so equal values are equal bytes.
        self.0 == other.0
    }
}

impl Eq for Key {}

impl<'a> Borrow<dyn Values + 'a> for Key {
    fn borrow(&self) -> &(dyn Values + 'a) {
        self
    }
}

/// Label values packed into `N` bytes, the length in the last byte: the [`Key`] encoding of the
/// values (one value: without its leading `;`, flagged by the length's top bit) when it fits in
/// `N - 1` bytes and every length but the last has one digit. With `N = 8` (a `u64`): one value
/// of up to 7 bytes, two of up to 5 together...: status codes, methods, small ids. With `N = 16`
/// (two `u64`s): one value of up to 15 bytes (host names, worker names, short paths). Such children
/// need no key allocation.
fn pack<const N: usize>(values: &[&str]) -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    let mut len = 0;
    let mut push = |bytes: &[u8]| -> Option<()> {
        let end = len + bytes.len();
        buf.get_mut(len..end)
            .filter(|_| end < N)?
            .copy_from_slice(bytes);
        len = end;
        Some(())
    };
    let mut flag = 0;
    match values {
        [one] => {
            push(one.as_bytes())?;
            flag = 0x80;
        }
        _ => {
            if let Some((last, rest)) = values.split_last() {
                for (i, v) in rest.iter().enumerate() {
                    if i > 0 {
                        push(b",")?;
                    }
                    let digit = u8::try_from(v.len()).ok().filter(|l| *l <= 9)?;
                    push(&[b'0' + digit])?;
                }
                push(b";")?;
                for v in rest {
                    push(v.as_bytes())?;
                }
                push(last.as_bytes())?;
            }
        }
    }
    buf[N - 1] = u8::try_from(len).ok()? | flag;
    Some(buf)
}

/// The values in a `u64`, if they fit (see [`pack`]).
fn short_key(values: &[&str]) -> Option<u64> {
    pack::<8>(values).map(u64::from_le_bytes)
}

/// The values in two `u64`s (not a `u128`, whose 16-byte alignment would pad the map entry),
/// if they fit (see [`pack`]).
fn medium_key(values: &[&str]) -> Option<[u64; 2]> {
    pack::<16>(values).map(|b| {
        let (lo, hi) = b.split_at(8);
        [
            u64::from_le_bytes(lo.try_into().unwrap_or_default()),
            u64::from_le_bytes(hi.try_into().unwrap_or_default()),
        ]
    })
}

/// The [`Key`] that [`pack`] packed into `bytes`.
fn unpack<const N: usize>(bytes: [u8; N]) -> Key {
    let tag = bytes[N - 1];
    let len = usize::from(tag & 0x7f).min(N - 1);
    let body = String::from_utf8_lossy(&bytes[..len]);
    if tag & 0x80 == 0 {
        Key(body.into())
    } else {
        Key(format!(";{body}").into())
    }
}

/// The [`Key`] a [`short_key`] packs.
fn unpack_short(packed: u64) -> Key {
    unpack(packed.to_le_bytes())
}

/// The [`Key`] a [`medium_key`] packs.
fn unpack_medium(packed: [u64; 2]) -> Key {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&packed[0].to_le_bytes());
    bytes[8..].copy_from_slice(&packed[1].to_le_bytes());
    unpack(bytes)
}

/// A family's children: those with short label values keyed by a packed `u64`, the others by a
/// [`Key`].
struct Children<M> {
    short: HashMap<u64, Arc<M>>,
    medium: HashMap<[u64; 2], Arc<M>>,
    long: HashMap<Key, Arc<M>>,
}

impl<M> Children<M> {
    fn get(&self, values: &[&str]) -> Option<&Arc<M>> {
        if let Some(packed) = short_key(values) {
            self.short.get(&packed)
        } else if let Some(packed) = medium_key(values) {
            self.medium.get(&packed)
        } else {
            self.long.get(&Borrowed(values) as &dyn Values)
        }
    }

    fn insert(&mut self, values: &[&str], child: Arc<M>) {
        if let Some(packed) = short_key(values) {
            self.short.insert(packed, child);
        } else if let Some(packed) = medium_key(values) {
            self.medium.insert(packed, child);
        } else {
            self.long.insert(Key::new(values), child);
        }
    }

    fn len(&self) -> usize {
        self.short.len() + self.medium.len() + self.long.len()
    }
}

/// A family of metrics of one kind keyed by label values, such as
/// `work_requests{task_type, status, scope}`.
///
/// [`get`](Family::get) returns the child for a set of values, creating it on first use. Keep
/// the returned `Arc` where the labels are fixed: the lookup takes a read lock and hashes the
/// values (it allocates nothing for a label set that exists), the child's record path does not. Label values are arbitrary UTF-8; escaping them is
/// the exporters' job.
///
/// At most `max_children` label sets are kept (1000 by default). Past that, new label sets all
/// share one overflow child whose every label is `"__overflow__"`, and
/// [`overflowed`](Family::overflowed) counts the calls that landed there: memory stays bounded
/// whatever the label values.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Counter, metric::family::Family};
/// let requests = Family::<Counter>::new("work.requests", &["task_type", "status"]).unwrap()
///     .with_max_children(2);
/// requests.get(&["build", "ok"]).unwrap().inc();
/// requests.get(&["build", "ok"]).unwrap().inc();
/// requests.get(&["test", "err"]).unwrap().inc();
/// requests.get(&["lint", "ok"]).unwrap().inc(); // a third label set: goes to the overflow child
/// assert_eq!(requests.get(&["build", "ok"]).unwrap().get(), 2);
/// assert_eq!(requests.overflowed(), 1);
/// assert!(requests.get(&["only-one"]).is_err()); // wrong number of values
/// ```
pub struct Family<M> {
    name: String,
    keys: Arc<[String]>,
    max_children: usize,
    children: RwLock<Children<M>>,
    overflow: OnceLock<Arc<M>>,
    overflowed: Counter,
    /// What an exporter derived from the children when it last read them (the text encoders'
    /// rendered label sets, see `crate::export`), kept until a label set is added.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    exported: Mutex<Option<Arc<dyn Any + Send + Sync>>>,
    /// Called with each new child before anyone can record into it (the multi-process mode
    /// names children there).
    on_child: OnceLock<ChildHook<M>>,
}

/// See [`Family::set_child_hook`].
type ChildHook<M> = Box<dyn Fn(&[&str], &Arc<M>) + Send + Sync>;

impl<M: Default> Family<M> {
    /// A family named `name` with the given label keys.
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a bad name, [`Error::InvalidLabel`] for a bad or repeated key.
    pub fn new(name: &str, keys: &[&str]) -> Result<Self> {
        Ok(Family {
            name: name.to_owned(),
            keys: checked_keys(name, keys)?,
            max_children: DEFAULT_MAX_CHILDREN,
            children: RwLock::new(Children {
                short: HashMap::new(),
                medium: HashMap::new(),
                long: HashMap::new(),
            }),
            overflow: OnceLock::new(),
            overflowed: Counter::new(),
            exported: Mutex::new(None),
            on_child: OnceLock::new(),
        })
    }

    /// Sets how many label sets are kept before the overflow child takes new ones.
    #[must_use]
    pub fn with_max_children(mut self, max: usize) -> Self {
        self.max_children = max;
        self
    }

    /// The child for `values` (one per key, in key order), created if absent, or the overflow
    /// child when the family is full.
    ///
    /// # Errors
    /// [`Error::InvalidLabel`] when the number of values differs from the number of keys.
    pub fn get(&self, values: &[&str]) -> Result<Arc<M>> {
        if values.len() != self.keys.len() {
            return Err(Error::InvalidLabel {
                family: self.name.clone(),
                reason: format!(
                    "expected {} label values ({}), got {}",
                    self.keys.len(),
                    self.keys.join(", "),
                    values.len()
                ),
            });
        }
        if let Some(child) = self
            .children
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(values)
        {
            return Ok(Arc::clone(child));
        }
        let mut map = self
            .children
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(child) = map.get(values) {
            return Ok(Arc::clone(child));
        }
        if map.len() >= self.max_children {
            self.overflowed.inc();
            return Ok(Arc::clone(self.overflow.get_or_init(|| {
                let child = Arc::new(M::default());
                if let Some(hook) = self.on_child.get() {
                    let values = vec![OVERFLOW_VALUE; self.keys.len()];
                    hook(&values, &child);
                }
                child
            })));
        }
        let child = Arc::new(M::default());
        if let Some(hook) = self.on_child.get() {
            hook(values, &child);
        }
        map.insert(values, Arc::clone(&child));
        Ok(child)
    }
}

impl<M> Family<M> {
    /// Sets the function called with every child created from now on (with its label values),
    /// under the family's lock, before the child is handed to anyone; `false` if one is set.
    #[cfg_attr(
        not(feature = "multiprocess"),
        allow(dead_code, reason = "used by the multi-process mode only")
    )]
    pub(crate) fn set_child_hook(&self, hook: ChildHook<M>) -> bool {
        self.on_child.set(hook).is_ok()
    }

    /// The family's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The label keys.
    #[must_use]
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// How many label sets went to the overflow child because the family was full.
    #[must_use]
    pub fn overflowed(&self) -> u64 {
        self.overflowed.get()
    }

    /// How many label sets there are, the overflow child counted if used: it only grows, so an
    /// exporter's derived state is current while this is unchanged.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn label_sets(&self) -> usize {
        let n = self
            .children
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        n + usize::from(self.overflow.get().is_some())
    }

    /// Where an exporter keeps what it derived from the children (see `exported`).
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn export_cache(&self) -> &Mutex<Option<Arc<dyn Any + Send + Sync>>> {
        &self.exported
    }

    /// Every child with its label values, sorted by values; the overflow child last, if used.
    #[must_use]
    pub fn children(&self) -> Vec<(Vec<String>, Arc<M>)> {
        let map = self.children.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<_> = map
            .short
            .iter()
            .map(|(k, v)| (unpack_short(*k).to_vec(), Arc::clone(v)))
            .chain(
                map.medium
                    .iter()
                    .map(|(k, v)| (unpack_medium(*k).to_vec(), Arc::clone(v))),
            )
            .chain(map.long.iter().map(|(k, v)| (k.to_vec(), Arc::clone(v))))
            .collect();
        drop(map);
        out.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(o) = self.overflow.get() {
            out.push((
                vec![OVERFLOW_VALUE.to_owned(); self.keys.len()],
                Arc::clone(o),
            ));
        }
        out
    }
}

impl<M> fmt::Debug for Family<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("name", &self.name)
            .field("keys", &self.keys)
            .field("max_children", &self.max_children)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the expected values are exact")]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated() {
        let err = |keys: &[&str]| Family::<Counter>::new("f", keys).unwrap_err().to_string();
        assert_eq!(
            err(&["a", "a"]),
            r#"invalid labels for "f": label key "a" appears twice"#
        );
        assert_eq!(
            err(&["1a"]),
            r#"invalid labels for "f": label key "1a" must start with a letter or '_'"#
        );
        assert_eq!(
            err(&["a-b"]),
            r#"invalid labels for "f": label key "a-b" holds '-'; use letters, digits and '_'"#
        );
        assert_eq!(
            err(&["__x"]),
            r#"invalid labels for "f": label key "__x" starts with '__', which is reserved"#
        );
        assert_eq!(
            err(&[""]),
            r#"invalid labels for "f": a label key is empty"#
        );
    }

    #[test]
    fn values_are_arbitrary_utf8_and_children_are_shared() {
        let f = Family::<Counter>::new("f", &["path"]).unwrap();
        let weird = "a\"b\\c\nd ünï";
        f.get(&[weird]).unwrap().add(2);
        assert_eq!(f.get(&[weird]).unwrap().get(), 2);
        assert!(Arc::ptr_eq(
            &f.get(&[weird]).unwrap(),
            &f.get(&[weird]).unwrap()
        ));
        assert_eq!(f.children().len(), 1);
    }

    #[test]
    fn keys_decode_to_their_values() {
        let cases: [&[&str]; 6] = [
            &[],
            &[""],
            &["ok"],
            &["build", "ok"],
            &["12;3", "", "4,5;", "ünï"],
            &["", ""],
        ];
        for values in cases {
            let key = Key::new(values);
            assert_eq!(key.to_vec(), values, "{:?}", key.0);
            let borrowed: &dyn Values = &Borrowed(values);
            assert!(<Key as Borrow<dyn Values>>::borrow(&key) == borrowed);
            let hash = |v: &dyn Values| {
                let mut h = std::hash::DefaultHasher::new();
                v.hash(&mut h);
                h.finish()
            };
            assert_eq!(hash(&key), hash(borrowed));
        }
        assert_eq!(&*Key::new(&["build", "ok"]).0, "5;buildok");
        // Short ones pack into a u64 and back.
        for values in [
            &[][..],
            &[""],
            &["200"],
            &["GET", "ok"],
            &["1234567"],
            &["a", "b", "c"],
            &["abc", "d"],
        ] {
            let packed = short_key(values).unwrap();
            assert_eq!(unpack_short(packed).to_vec(), values);
            assert_eq!(unpack_short(packed).0, Key::new(values).0);
        }
        for values in [&["12345678"][..], &["abcd", "ef"], &["a", "b", "c", "d"]] {
            assert_eq!(short_key(values), None, "{values:?}");
        }
        // Up to 15 bytes pack into a u128 and back.
        for values in [
            &["worker-00000001"][..],
            &["12345678"],
            &["GET", "/api/v1/x"],
            &["a", "b", "c", "d", "e"],
            &["5;ab5;ab"],
        ] {
            assert_eq!(short_key(values), None, "{values:?}");
            let packed = medium_key(values).unwrap();
            assert_eq!(unpack_medium(packed).to_vec(), values);
            assert_eq!(unpack_medium(packed).0, Key::new(values).0);
        }
        for values in [
            &["worker-000000001"][..],
            &["abcdefghij", "k"],
            &["GET", "/api/v1/xyz"],
        ] {
            assert_eq!(medium_key(values), None, "{values:?}");
        }
        // One value is flagged: "1;ab" alone is not ("a", "b").
        assert_ne!(medium_key(&["1;ab"]), medium_key(&["ab", "c"]));
        assert_ne!(short_key(&["1;ab"]), short_key(&["a", "b"]));
        assert_ne!(short_key(&["ab", "c"]), short_key(&["a", "bc"]));
        assert_eq!(&*Key::new(&["a", "bc", "d"]).0, "1,2;abcd");
        // Boundaries count: ("ab", "c") is not ("a", "bc").
        assert!(Key::new(&["ab", "c"]) != Key::new(&["a", "bc"]));
        let ab_c: &dyn Values = &Borrowed(&["ab", "c"]);
        assert!(<Key as Borrow<dyn Values>>::borrow(&Key::new(&["a", "bc"])) != ab_c);
    }

    #[test]
    fn a_family_without_keys_has_one_child() {
        let f = Family::<Counter>::new("f", &[]).unwrap();
        f.get(&[]).unwrap().inc();
        f.get(&[]).unwrap().inc();
        let children = f.children();
        assert_eq!(children.len(), 1);
        assert!(children[0].0.is_empty());
        assert_eq!(children[0].1.get(), 2);
    }

    #[test]
    fn cardinality_is_capped() {
        let f = Family::<Counter>::new("f", &["id"])
            .unwrap()
            .with_max_children(10);
        for i in 0..100 {
            f.get(&[&i.to_string()]).unwrap().inc();
        }
        let children = f.children();
        assert_eq!(children.len(), 11);
        assert_eq!(children[10].0, vec![OVERFLOW_VALUE.to_owned()]);
        assert_eq!(children[10].1.get(), 90);
        assert_eq!(f.overflowed(), 90);
        // Known label sets still reach their own child.
        f.get(&["3"]).unwrap().inc();
        assert_eq!(f.get(&["3"]).unwrap().get(), 2);
    }
}
