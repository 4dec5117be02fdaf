//! `Family::get` of an existing label set allocates nothing, counted by a global allocator that
//! counts the allocations of the calling thread only (so that other tests cannot disturb it).
#![allow(unsafe_code, reason = "a counting global allocator is an unsafe impl")]

use metered_runtime::{Counter, Family, Histogram};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; only a thread-local count is updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, which `System.alloc` shares.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.get();
    f();
    ALLOCATIONS.get() - before
}

#[test]
fn get_of_an_existing_label_set_allocates_nothing() {
    // Short values (packed keys) and long ones (an allocated key), one label and several.
    let one = Family::<Counter>::new("t.one", &["status"]).unwrap();
    let three = Family::<Counter>::new("t.three", &["method", "path", "status"]).unwrap();
    let long_path = "/api/v1/orders/{id}/items";
    for _ in 0..3 {
        one.get(&["200"]).unwrap().inc();
        one.get(&["a much longer status value"]).unwrap().inc();
        three.get(&["GET", long_path, "200"]).unwrap().inc();
        three.get(&["a", "b", "c"]).unwrap().inc();
    }
    let n = allocations_in(|| {
        for _ in 0..100 {
            one.get(&["200"]).unwrap().inc();
            one.get(&["a much longer status value"]).unwrap().inc();
            three.get(&["GET", long_path, "200"]).unwrap().inc();
            three.get(&["a", "b", "c"]).unwrap().inc();
        }
    });
    assert_eq!(n, 0);
    assert_eq!(one.get(&["200"]).unwrap().get(), 103);
    assert_eq!(three.get(&["GET", long_path, "200"]).unwrap().get(), 103);
    // A new label set does allocate (its child, and a key when the values are long).
    assert!(allocations_in(|| one.get(&["404"]).unwrap().inc()) > 0);
    // So does a histogram child on its first record, but not on later lookups and records of
    // values in buckets it already holds.
    let h = Family::<Histogram>::new("t.h", &["route"]).unwrap();
    h.get(&["/"]).unwrap().record(1.0).unwrap();
    assert_eq!(
        allocations_in(|| h.get(&["/"]).unwrap().record(1.0).unwrap()),
        0
    );
}

#[test]
fn children_come_back_with_their_values_whatever_the_key_form() {
    let f = Family::<Counter>::new("t.forms", &["a", "b"]).unwrap();
    let sets: [[&str; 2]; 4] = [["1", "2"], ["", ""], ["long-enough", "x"], [";", ","]];
    for (i, set) in sets.iter().enumerate() {
        f.get(set).unwrap().add(u64::try_from(i).unwrap() + 1);
    }
    let got: Vec<(Vec<String>, u64)> = f
        .children()
        .into_iter()
        .map(|(v, c)| (v, c.get()))
        .collect();
    let want: Vec<(Vec<String>, u64)> = vec![
        (vec![String::new(), String::new()], 2),
        (vec!["1".into(), "2".into()], 1),
        (vec![";".into(), ",".into()], 4),
        (vec!["long-enough".into(), "x".into()], 3),
    ];
    assert_eq!(got, want);
}
