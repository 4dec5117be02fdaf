//! Labelled families: one metric per combination of label values, with a cap on how many.

use crate::error::{Error, Result};
use crate::metric::counter::Counter;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

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

/// A family of metrics of one kind keyed by label values, such as
/// `work_requests{task_type, status, scope}`.
///
/// [`get`](Family::get) returns the child for a set of values, creating it on first use. Keep
/// the returned `Arc` where the labels are fixed: the lookup takes a read lock and hashes the
/// values, the child's record path does not. Label values are arbitrary UTF-8; escaping them is
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
    children: RwLock<HashMap<Box<[String]>, Arc<M>>>,
    overflow: OnceLock<Arc<M>>,
    overflowed: Counter,
}

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
            children: RwLock::new(HashMap::new()),
            overflow: OnceLock::new(),
            overflowed: Counter::new(),
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
        let key: Box<[String]> = values.iter().map(|v| (*v).to_owned()).collect();
        if let Some(child) = self
            .children
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(child));
        }
        let mut map = self
            .children
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(child) = map.get(&key) {
            return Ok(Arc::clone(child));
        }
        if map.len() >= self.max_children {
            self.overflowed.inc();
            return Ok(Arc::clone(
                self.overflow.get_or_init(|| Arc::new(M::default())),
            ));
        }
        let child = Arc::new(M::default());
        map.insert(key, Arc::clone(&child));
        Ok(child)
    }
}

impl<M> Family<M> {
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

    /// Every child with its label values, sorted by values; the overflow child last, if used.
    #[must_use]
    pub fn children(&self) -> Vec<(Vec<String>, Arc<M>)> {
        let map = self.children.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<_> = map
            .iter()
            .map(|(k, v)| (k.to_vec(), Arc::clone(v)))
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
