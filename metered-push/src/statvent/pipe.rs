//! The writer: one process's named pipe (or file) and the thread that fills it.

use metered_runtime_core::statvent::text;
use metered_runtime_core::{Error, Registry, Result};
use nix::sys::stat::Mode;
use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// statvent's directory for the pipes: `/tmp/stats-pipe`.
pub const DEFAULT_DIR: &str = "/tmp/stats-pipe";

/// How long dropping a [`Pipe`] waits for its thread.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// What is written at `<dir>/<pid>.stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Kind {
    /// A named pipe (FIFO), written with a fresh snapshot each time a reader opens it.
    #[default]
    Fifo,
    /// A plain file, rewritten (atomically, by rename) every interval: for readers that cannot
    /// read pipes; it costs a snapshot per interval whether or not anyone reads.
    File {
        /// How often the file is rewritten.
        every: Duration,
    },
}

#[derive(Debug, Clone)]
enum Target {
    Global,
    Static(&'static Registry),
    Shared(Arc<Registry>),
}

impl Target {
    fn render(&self) -> String {
        let snapshot = match self {
            Target::Global => metered_runtime_core::registry().snapshot(),
            Target::Static(r) => r.snapshot(),
            Target::Shared(r) => r.snapshot(),
        };
        text::encode(&snapshot)
    }
}

/// Where and how a [`Pipe`] writes.
///
/// ```
/// use metered_push::statvent::{Config, Kind};
/// use std::time::Duration;
/// let config = Config::new().dir("/run/myapp/stats").kind(Kind::File { every: Duration::from_secs(10) });
/// assert_eq!(config.path_for(42), std::path::Path::new("/run/myapp/stats/42.stats"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    dir: PathBuf,
    kind: Kind,
    target: Target,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// [`DEFAULT_DIR`], a FIFO, the global registry.
    #[must_use]
    pub fn new() -> Self {
        Config {
            dir: PathBuf::from(DEFAULT_DIR),
            kind: Kind::Fifo,
            target: Target::Global,
        }
    }

    /// The directory of the pipes (created if missing).
    #[must_use]
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// A FIFO (the default) or a file.
    #[must_use]
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// Report `registry` instead of the global one.
    #[must_use]
    pub fn registry(mut self, registry: &'static Registry) -> Self {
        self.target = Target::Static(registry);
        self
    }

    /// Report a shared `registry` instead of the global one.
    #[must_use]
    pub fn shared_registry(mut self, registry: Arc<Registry>) -> Self {
        self.target = Target::Shared(registry);
        self
    }

    /// The path of process `pid`'s pipe: `<dir>/<pid>.stats`.
    #[must_use]
    pub fn path_for(&self, pid: u32) -> PathBuf {
        self.dir.join(format!("{pid}.stats"))
    }
}

/// The paths of the pipes open in this process (one per directory).
static OPEN: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn io_error(context: String, e: &dyn std::fmt::Display) -> Error {
    Error::Io {
        context,
        message: e.to_string(),
    }
}

fn make_fifo(path: &Path) -> Result<()> {
    nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o644)).map_err(|e| {
        io_error(
            format!("cannot create the stats pipe {}", path.display()),
            &e.desc(),
        )
    })
}

/// The calling process's stats pipe (or file) and its thread; dropping it stops the thread and
/// removes the pipe. See the [module docs](super).
#[derive(Debug)]
pub struct Pipe {
    path: PathBuf,
    kind: Kind,
    stop: Option<Sender<()>>,
    done: Receiver<()>,
}

impl Pipe {
    /// Creates `<dir>/<pid>.stats` and starts the thread that writes it.
    ///
    /// A FIFO or file left at that path (by a dead process that had the same pid) is replaced.
    ///
    /// # Errors
    /// [`Error::Io`] when the directory cannot be created, the pipe cannot be made or replaced
    /// there (for example the directory is not writable), or the thread cannot start;
    /// [`Error::InvalidConfig`] when this process has a pipe open at that path already.
    pub fn start(config: Config) -> Result<Pipe> {
        let Config { dir, kind, target } = config;
        if let Kind::File { every } = kind
            && every.is_zero()
        {
            return Err(Error::InvalidConfig {
                reason: "a statvent stats file needs a rewrite interval above zero".into(),
            });
        }
        fs::create_dir_all(&dir).map_err(|e| {
            io_error(
                format!("cannot create the stats directory {}", dir.display()),
                &e,
            )
        })?;
        let path = dir.join(format!("{}.stats", std::process::id()));
        {
            let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
            let open = open.get_or_insert_with(HashSet::new);
            if open.contains(&path) {
                return Err(Error::InvalidConfig {
                    reason: format!(
                        "this process has a statvent pipe open at {} already",
                        path.display()
                    ),
                });
            }
            open.insert(path.clone());
        }
        let started = Self::create(&path, kind, target);
        if started.is_err() {
            forget(&path);
        }
        let (stop, done) = started?;
        Ok(Pipe {
            path,
            kind,
            stop: Some(stop),
            done,
        })
    }

    fn create(path: &Path, kind: Kind, target: Target) -> Result<(Sender<()>, Receiver<()>)> {
        match fs::symlink_metadata(path) {
            Ok(_) => fs::remove_file(path).map_err(|e| {
                io_error(
                    format!("cannot replace the stale stats pipe {}", path.display()),
                    &e,
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(format!("cannot inspect {}", path.display()), &e)),
        }
        let tmp = path.with_extension("stats.new");
        match kind {
            Kind::Fifo => make_fifo(path)?,
            Kind::File { .. } => write_file(path, &tmp, &target.render())?,
        }
        let (stop, stopped) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let thread_path = path.to_owned();
        let spawned = std::thread::Builder::new()
            .name("metered-statvent".into())
            .spawn(move || {
                match kind {
                    Kind::Fifo => serve_fifo(&thread_path, &tmp, &target, &stopped),
                    Kind::File { every } => {
                        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                            let _ = write_file(&thread_path, &tmp, &target.render());
                        }
                    }
                }
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            let _ = fs::remove_file(path);
            return Err(io_error("cannot start the statvent pipe thread".into(), &e));
        }
        Ok((stop, done))
    }

    /// The pipe's path, `<dir>/<pid>.stats`.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the thread and removes the pipe (as dropping does).
    pub fn stop(self) {}
}

fn forget(path: &Path) {
    if let Some(open) = OPEN.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
        open.remove(path);
    }
}

fn write_file(path: &Path, tmp: &Path, text: &str) -> Result<()> {
    fs::write(tmp, text)
        .and_then(|()| fs::rename(tmp, path))
        .map_err(|e| {
            io_error(
                format!("cannot write the stats file {}", path.display()),
                &e,
            )
        })
}

/// The FIFO thread: wait for a reader, put a new FIFO in place, write a snapshot, close.
fn serve_fifo(path: &Path, tmp: &Path, target: &Target, stopped: &Receiver<()>) {
    let stopping = || matches!(stopped.try_recv(), Err(TryRecvError::Disconnected));
    while !stopping() {
        // Blocks until a reader opens the pipe.
        let file = match OpenOptions::new().write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => {
                // Removed or replaced by someone else: make it again, never spin.
                if !stopping() {
                    std::thread::sleep(Duration::from_millis(100));
                    if !fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo()) {
                        let _ = fs::remove_file(path);
                        let _ = make_fifo(path);
                    }
                }
                continue;
            }
        };
        if stopping() {
            break;
        }
        // The next reader gets a new pipe, and this reader sees the end after one snapshot.
        let _ = fs::remove_file(tmp);
        if make_fifo(tmp).is_ok() && fs::rename(tmp, path).is_err() {
            let _ = fs::remove_file(tmp);
        }
        let mut file = file;
        // A reader that left early makes this fail (EPIPE): nothing to do.
        let _ = file.write_all(target.render().as_bytes());
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        drop(self.stop.take());
        // Wake a thread blocked in `open` by being its reader until it has gone.
        let poke = match self.kind {
            Kind::Fifo => OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_NONBLOCK)
                .open(&self.path)
                .ok(),
            Kind::File { .. } => None,
        };
        let _ = self.done.recv_timeout(STOP_WAIT);
        drop(poke);
        let _ = fs::remove_file(&self.path);
        forget(&self.path);
    }
}
