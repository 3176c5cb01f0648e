//! The per-store WASI state ([`WasiCtx`]): arguments, environment, clocks and
//! the descriptor table; and [`WasiCtxBuilder`], which sets it up.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::types::rights;

/// An in-memory output stream: what the guest writes to stdout or stderr can be
/// read back from any clone.
#[derive(Clone, Default, Debug)]
pub struct OutputPipe(Arc<Mutex<Vec<u8>>>);

impl OutputPipe {
    pub fn new() -> Self {
        Self::default()
    }
    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn write(&self, data: &[u8]) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(data);
    }
}

/// An in-memory input stream for the guest's stdin.
#[derive(Debug, Clone, Default)]
pub struct InputPipe {
    data: Arc<Mutex<io::Cursor<Vec<u8>>>>,
}

impl InputPipe {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        InputPipe { data: Arc::new(Mutex::new(io::Cursor::new(bytes.into()))) }
    }
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.data.lock().unwrap_or_else(|e| e.into_inner()).read(buf)
    }
}

/// Where a standard stream goes.
#[derive(Debug, Clone)]
pub(crate) enum Stdio {
    /// The host process's own stream.
    Inherit,
    /// Nothing: reads see end of file, writes are discarded.
    Null,
    /// An in-memory output buffer.
    Output(OutputPipe),
    /// An in-memory input buffer.
    Input(InputPipe),
}

impl Stdio {
    pub(crate) fn read(&self, stream: u32, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stdio::Inherit if stream == 0 => io::stdin().read(buf),
            Stdio::Input(p) => p.read(buf),
            _ => Ok(0),
        }
    }
    pub(crate) fn write(&self, stream: u32, data: &[u8]) -> io::Result<usize> {
        match self {
            Stdio::Inherit if stream == 1 => {
                let mut out = io::stdout().lock();
                out.write_all(data)?;
                out.flush()?;
            }
            Stdio::Inherit if stream == 2 => {
                let mut out = io::stderr().lock();
                out.write_all(data)?;
            }
            Stdio::Output(p) => p.write(data),
            _ => {}
        }
        Ok(data.len())
    }
}

/// What an open descriptor refers to.
pub(crate) enum Kind {
    /// A standard stream: where it goes, and which one it is (0, 1 or 2),
    /// which survives `fd_renumber`.
    Stdio(Stdio, u32),
    /// A regular file (or anything else that is not a directory).
    File { file: File, read: bool, write: bool },
    /// A directory. `host` is its host path, free of symlinks (resolution
    /// expanded them); `guest_name` is set for preopens.
    Dir { host: PathBuf, guest_name: Option<String> },
}

/// An entry of the descriptor table.
pub(crate) struct Fd {
    pub(crate) kind: Kind,
    pub(crate) rights_base: u64,
    pub(crate) rights_inheriting: u64,
    pub(crate) flags: u16,
}

/// The WASI state of one store.
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) fds: BTreeMap<u32, Fd>,
    pub(crate) start: Instant,
    pub(crate) exit_code: Option<i32>,
}

impl WasiCtx {
    /// Starts a builder.
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// The lowest free descriptor number.
    pub(crate) fn alloc_fd(&self) -> Option<u32> {
        let mut next = 0u32;
        for &k in self.fds.keys() {
            if k != next {
                break;
            }
            next = next.checked_add(1)?;
        }
        Some(next)
    }

    /// The status the guest passed to `proc_exit`, if it did.
    pub fn exit_code(&self) -> Option<i32> {
        self.exit_code
    }
}

/// Builds a [`WasiCtx`]: arguments, environment, standard streams and preopened directories.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdio: [Stdio; 3],
    preopens: Vec<(PathBuf, String)>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

/// A failure while building the context (a preopen that is not a directory, ...).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot preopen `{}`: {source}", path.display())]
    Preopen { path: PathBuf, source: io::Error },
    #[error("cannot preopen `{}`: not a directory", .0.display())]
    NotADirectory(PathBuf),
    #[error("{0} contains a NUL byte")]
    Nul(String),
}

impl WasiCtxBuilder {
    /// No arguments, no environment, standard streams discarded, no preopens.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdio: [Stdio::Null, Stdio::Null, Stdio::Null],
            preopens: Vec::new(),
        }
    }
    /// Appends one argument (the first is conventionally the program name).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }
    /// Appends arguments.
    pub fn args<S: Into<String>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
    /// Adds an environment variable.
    pub fn env(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push((key.into(), value.into()));
        self
    }
    /// Uses the host process's stdin, stdout and stderr.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.stdio = [Stdio::Inherit, Stdio::Inherit, Stdio::Inherit];
        self
    }
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdio[0] = Stdio::Inherit;
        self
    }
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdio[1] = Stdio::Inherit;
        self
    }
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stdio[2] = Stdio::Inherit;
        self
    }
    /// Feeds stdin from a buffer.
    pub fn stdin(&mut self, pipe: InputPipe) -> &mut Self {
        self.stdio[0] = Stdio::Input(pipe);
        self
    }
    /// Captures stdout into a buffer.
    pub fn stdout(&mut self, pipe: OutputPipe) -> &mut Self {
        self.stdio[1] = Stdio::Output(pipe);
        self
    }
    /// Captures stderr into a buffer.
    pub fn stderr(&mut self, pipe: OutputPipe) -> &mut Self {
        self.stdio[2] = Stdio::Output(pipe);
        self
    }
    /// Preopens host directory `host` under the guest name `guest` (e.g. `"."` or `"/data"`).
    pub fn preopened_dir(&mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> &mut Self {
        self.preopens.push((host.as_ref().to_path_buf(), guest.into()));
        self
    }

    /// Builds the context; preopened directories are checked (and canonicalised) here.
    pub fn build(&self) -> Result<WasiCtx, BuildError> {
        let mut fds = BTreeMap::new();
        for (i, s) in self.stdio.iter().enumerate() {
            fds.insert(
                i as u32,
                Fd {
                    kind: Kind::Stdio(s.clone(), i as u32),
                    rights_base: rights::STDIO,
                    rights_inheriting: 0,
                    flags: 0,
                },
            );
        }
        for (host, guest) in &self.preopens {
            let canon =
                std::fs::canonicalize(host).map_err(|source| BuildError::Preopen { path: host.clone(), source })?;
            let meta =
                std::fs::metadata(&canon).map_err(|source| BuildError::Preopen { path: host.clone(), source })?;
            if !meta.is_dir() {
                return Err(BuildError::NotADirectory(host.clone()));
            }
            let fd = fds.len() as u32;
            fds.insert(
                fd,
                Fd {
                    kind: Kind::Dir { host: canon, guest_name: Some(guest.clone()) },
                    rights_base: rights::DIRECTORY,
                    rights_inheriting: rights::DIRECTORY | rights::FILE,
                    flags: 0,
                },
            );
        }
        let mut args = Vec::new();
        for a in &self.args {
            args.push(nul_terminated(a, "an argument")?);
        }
        let mut env = Vec::new();
        for (k, v) in &self.env {
            env.push(nul_terminated(&format!("{k}={v}"), "an environment variable")?);
        }
        Ok(WasiCtx { args, env, fds, start: Instant::now(), exit_code: None })
    }
}

fn nul_terminated(s: &str, what: &str) -> Result<Vec<u8>, BuildError> {
    if s.contains('\0') {
        return Err(BuildError::Nul(what.to_string()));
    }
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    Ok(v)
}
