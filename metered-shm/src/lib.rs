//! Shared memory-mapped files seen as slices of [`AtomicU64`]: the one place of
//! [metered-runtime](https://docs.rs/metered-runtime)'s multi-process mode that needs `unsafe`.
//!
//! A [`Mapping`] maps a whole regular file with `MAP_SHARED`, so that every store into one of its
//! cells lands in the page cache at once: another process mapping or reading the file sees it,
//! and it outlives the process, even one killed with `SIGKILL` an instant later (the kernel
//! owns the page; nothing is buffered in the process).
//!
//! # Invariants (why the `unsafe` blocks below are sound)
//!
//! 1. **Alignment and size.** `mmap` returns a page-aligned address, and the mapped length is
//!    rounded down to a multiple of 8 bytes before it becomes a slice, so every cell is an
//!    aligned, in-bounds `AtomicU64`.
//! 2. **Aliasing.** The memory is only ever reached as `&[AtomicU64]` (shared references to
//!    interior-mutable atomics), never as `&mut` or as plain integers, so other threads and other
//!    processes writing it concurrently are data-race free in the Rust model: each access is an
//!    atomic operation of the hardware on the shared page.
//! 3. **Lifetime.** The slice borrows the [`Mapping`]; `munmap` runs in its `Drop`, after every
//!    borrow ended. [`Mapping::leak`] gives up the unmapping to hand out `&'static` cells, for a
//!    writer whose cells live as long as its process.
//! 4. **The file's size.** Touching a mapped page beyond the end of its file raises `SIGBUS`.
//!    A mapping is made no longer than the file is when mapped, and the files of the
//!    multi-process mode are created at their final size and never shrunk by the toolkit. A
//!    file that someone else truncates *while* it is mapped can still raise `SIGBUS`; a file
//!    truncated before it is mapped is only shorter, which the reader checks.
//! 5. **Validity.** Every bit pattern is a valid `u64`, so whatever the file holds (garbage
//!    included) is a valid cell value; interpreting it is the reader's job, done without
//!    trusting it.
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::AtomicU64;

/// A shared mapping of a whole file as atomic 8-byte cells; unmapped when dropped.
#[derive(Debug)]
pub struct Mapping {
    ptr: *mut libc::c_void,
    /// Mapped bytes (a multiple of 8, at least 8).
    len: usize,
}

// SAFETY: the mapping is reached only as `&[AtomicU64]` (invariant 2), which is `Send + Sync`;
// the raw pointer is just where it starts.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps all of `file` (its length now, rounded down to 8 bytes) for reading, or for reading
    /// and writing with `writable` (the file must then be open for writing).
    ///
    /// # Errors
    /// The file's metadata or `mmap` failing, or a file shorter than 8 bytes.
    pub fn new(file: &File, writable: bool) -> io::Result<Mapping> {
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| io::Error::other("file too large to map"))?
            & !7;
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shorter than one cell",
            ));
        }
        let prot = if writable {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh mapping chosen by the kernel (null hint), of a valid open descriptor;
        // no existing memory is affected. The result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { ptr, len })
    }

    /// The cells, borrowed from the mapping.
    #[must_use]
    pub fn cells(&self) -> &[AtomicU64] {
        // SAFETY: invariants 1 (aligned, in bounds, len / 8 cells), 2 (only atomic access) and 3
        // (the borrow of `self` keeps the mapping alive).
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<AtomicU64>(), self.len / 8) }
    }

    /// Gives up unmapping: the cells stay mapped until the process exits.
    #[must_use]
    pub fn leak(self) -> &'static [AtomicU64] {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: as in `cells`; the mapping is never unmapped (no `Drop` runs), so it lives as
        // long as the process.
        unsafe { std::slice::from_raw_parts(this.ptr.cast::<AtomicU64>(), this.len / 8) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are exactly what `mmap` returned; no borrow of the cells outlives
        // `self` (invariant 3). A failure leaves the mapping in place, which is harmless.
        unsafe {
            libc::munmap(self.ptr, self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::atomic::Ordering;

    fn temp(name: &str, bytes: &[u8]) -> (std::path::PathBuf, File) {
        let path = std::env::temp_dir().join(format!("metered-shm-{}-{name}", std::process::id()));
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        f.write_all(bytes).unwrap();
        (path, f)
    }

    #[test]
    fn writes_through_one_mapping_are_seen_in_the_file_and_another_mapping() {
        let (path, f) = temp("rw", &[0u8; 4096]);
        let w = Mapping::new(&f, true).unwrap();
        w.cells()[3].store(0x0102_0304_0506_0708, Ordering::Relaxed);
        let r = Mapping::new(&File::open(&path).unwrap(), false).unwrap();
        assert_eq!(r.cells().len(), 512);
        assert_eq!(r.cells()[3].load(Ordering::Relaxed), 0x0102_0304_0506_0708);
        drop(w);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[24..32], 0x0102_0304_0506_0708u64.to_ne_bytes());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn short_files_are_rounded_down_or_refused() {
        let (path, f) = temp("short", &[1u8; 13]);
        assert_eq!(Mapping::new(&f, false).unwrap().cells().len(), 1);
        let (path2, f2) = temp("empty", &[1u8; 7]);
        assert!(Mapping::new(&f2, false).is_err());
        std::fs::remove_file(path).unwrap();
        std::fs::remove_file(path2).unwrap();
    }
}
