//! statvent's pipes: each process's stats in `/tmp/stats-pipe/<pid>.stats`, readable with
//! `cat`, and the reader that sums every process on the host (feature `statvent`, Unix only).
//!
//! - [`Pipe::start`] creates the calling process's named pipe (a FIFO) in a directory
//!   ([`DEFAULT_DIR`] unless [`Config::dir`] says otherwise) and starts a thread that waits for
//!   a reader. Each time one opens the pipe, the thread takes a fresh snapshot of the registry,
//!   writes it in the statvent text form
//!   ([`metered_runtime::statvent::text`](metered_runtime_core::statvent::text)) and closes, so
//!   `cat /tmp/stats-pipe/<pid>.stats` prints the stats of that moment. Nothing is rendered
//!   while nobody reads. [`Kind::File`] writes a plain file every interval instead, for readers
//!   that cannot read FIFOs.
//! - [`read_dir`] reads every pipe and file of a directory at once, within one timeout, and
//!   [`Host::combined`] sums them by the documented
//!   [`Combine`](metered_runtime_core::statvent::Combine) rule; [`HostCollector`] does the same at
//!   every snapshot of a registry, so the host view reaches `/metrics`, JSON and the push
//!   reporters like any metric. The JSON service of `python -m statvent.web` is
//!   `metered_runtime::http::statvent` (feature `statvent-web`).
//!
//! # Behaviour
//! - The instrumented program never waits: the pipe's thread alone blocks (in `open`, until a
//!   reader comes) and renders; recording never touches it.
//! - After a reader has opened the pipe, the thread puts a new FIFO in its place (made beside
//!   it and renamed over it) before writing, so a reader that keeps the pipe open after the end
//!   of its snapshot never sees a second one, and a reader that comes meanwhile finds the new
//!   pipe waiting. Two readers opening within the same few microseconds may share one snapshot.
//! - Dropping the [`Pipe`] (or [`Pipe::stop`]) stops the thread and removes the pipe. A process
//!   that dies without that (SIGKILL, `std::process::exit` with the pipe in a static) leaves a
//!   pipe with no writer: a *stale* pipe. [`read_dir`] opens every pipe non-blocking and waits
//!   at most its [`timeout`](ReadOptions::timeout) for all of them together, so a stale pipe
//!   never hangs a reader; when the process of the name's pid is gone (`kill(pid, 0)` says so),
//!   the stale pipe is removed, as statvent's web service does.
//! - A reader that closes the pipe before the end makes the thread's write fail with `EPIPE`,
//!   which it ignores. Rust programs ignore `SIGPIPE` from the start; a program of another
//!   language that embeds this and keeps the default `SIGPIPE` action would be stopped by it.
//! - The stale-pipe detection relies on Linux's FIFO semantics (a reader opened without
//!   blocking sees no hang-up before a writer has come and gone); other Unixes are untested.
//! - Errors are [`Error`](metered_runtime_core::Error) values with the path: a directory that
//!   cannot be created, a pipe that cannot be made there (not writable), a second pipe of one
//!   process in one directory.
//!
//! ```
//! use metered_push::statvent::{Config, Pipe, ReadOptions, read_dir};
//! use metered_runtime_core::statvent::{Combine, Number};
//!
//! let dir = std::env::temp_dir().join(format!("statvent-doc-{}", std::process::id()));
//! let registry: &'static metered_runtime_core::Registry =
//!     Box::leak(Box::new(metered_runtime_core::Registry::new()));
//! registry.counter("jobs.done").unwrap().add(3);
//! let pipe = Pipe::start(Config::new().dir(&dir).registry(registry))?;
//! assert_eq!(pipe.path(), dir.join(format!("{}.stats", std::process::id())));
//!
//! // What `cat` prints, read here with a timeout:
//! let host = read_dir(&dir, &ReadOptions::default())?;
//! assert_eq!(host.processes.len(), 1);
//! assert_eq!(host.combined(Combine::ByStatistic)["jobs.done"], Number::Int(3));
//!
//! drop(pipe); // removes the pipe
//! assert!(read_dir(&dir, &ReadOptions::default())?.processes.is_empty());
//! # std::fs::remove_dir(&dir).unwrap();
//! # Ok::<(), metered_runtime_core::Error>(())
//! ```

mod pipe;
mod read;

pub use pipe::{Config, DEFAULT_DIR, Kind, Pipe};
pub use read::{Host, HostCollector, Process, ReadOptions, read_dir};
