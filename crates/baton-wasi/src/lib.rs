//! WASI preview1 (`wasi_snapshot_preview1`) host functions for Baton.
//!
//! Build a [`WasiCtx`] with [`WasiCtxBuilder`], keep it in the store's data,
//! and register the functions with [`add_to_linker`]:
//!
//! ```no_run
//! use baton::{Engine, Linker, Module, Store};
//! use baton_wasi::{WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "hello.wasm").unwrap();
//! let mut linker: Linker<WasiCtx> = Linker::new(&engine);
//! baton_wasi::add_to_linker(&mut linker, |ctx| ctx).unwrap();
//! let wasi = WasiCtxBuilder::new().inherit_stdio().arg("hello").preopened_dir(".", ".").build().unwrap();
//! let mut store = Store::new(&engine, wasi);
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
//! match start.call(&mut store, ()) {
//!     Ok(()) => {}
//!     Err(e) if e.i32_exit_status().is_some() => std::process::exit(e.i32_exit_status().unwrap()),
//!     Err(e) => panic!("{e}"),
//! }
//! ```
//!
//! Filesystem access is confined to the preopened directories: paths are
//! resolved component by component (see the `path` module), so absolute
//! paths, `..` above a directory descriptor and symlinks leading out all fail
//! with `ENOTCAPABLE`. Every guest pointer is bounds-checked (`EFAULT`).
//! Sockets are not offered (`ENOTSUP`).

mod ctx;
mod host;
mod mem;
mod path;
pub mod types;

pub use ctx::{BuildError, InputPipe, OutputPipe, WasiCtx, WasiCtxBuilder};
pub use types::Errno;

use baton::{Caller, Extern, Linker};
use mem::GuestMem;

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Runs `f` on the WASI context and the caller's exported `memory`; an errno
/// becomes the function's `i32` result.
fn with<T>(
    caller: &mut Caller<'_, T>,
    get: impl Fn(&mut T) -> &mut WasiCtx,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMem) -> Result<(), Errno>,
) -> baton::Result<i32> {
    let Some(memory) = caller.get_export("memory").and_then(Extern::into_memory) else {
        return Err(baton::Error::host("WASI call from a module that exports no memory named `memory`"));
    };
    let (bytes, data) = memory.data_and_store_mut(caller);
    let mut mem = GuestMem::new(bytes);
    Ok(match f(get(data), &mut mem) {
        Ok(()) => 0,
        Err(e) => i32::from(e.0),
    })
}

macro_rules! wasi {
    ($linker:ident, $get:ident, $name:literal, |$ctx:ident, $m:ident $(, $arg:ident : $ty:ty)*| $body:expr) => {
        $linker.func_wrap(MODULE, $name, move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> baton::Result<i32> {
            #[allow(unused_variables)]
            with(&mut caller, $get, |$ctx: &mut WasiCtx, $m: &mut GuestMem| $body)
        })?;
    };
}

/// Defines every `wasi_snapshot_preview1` function in `linker`; `get` finds
/// the [`WasiCtx`] in the store's data.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
) -> baton::Result<()> {
    wasi!(linker, get, "args_get", |c, m, a: u32, b: u32| c.args_get(m, a, b));
    wasi!(linker, get, "args_sizes_get", |c, m, a: u32, b: u32| c.args_sizes_get(m, a, b));
    wasi!(linker, get, "environ_get", |c, m, a: u32, b: u32| c.environ_get(m, a, b));
    wasi!(linker, get, "environ_sizes_get", |c, m, a: u32, b: u32| c.environ_sizes_get(m, a, b));
    wasi!(linker, get, "clock_res_get", |c, m, id: u32, out: u32| c.clock_res_get(m, id, out));
    wasi!(linker, get, "clock_time_get", |c, m, id: u32, p: u64, out: u32| c.clock_time_get(m, id, p, out));
    wasi!(linker, get, "random_get", |c, m, buf: u32, len: u32| c.random_get(m, buf, len));
    wasi!(linker, get, "fd_advise", |c, m, fd: u32, o: u64, l: u64, a: u32| c.fd_advise(fd, o, l, a as u8));
    wasi!(linker, get, "fd_allocate", |c, m, fd: u32, o: u64, l: u64| c.fd_allocate(fd, o, l));
    wasi!(linker, get, "fd_close", |c, m, fd: u32| c.fd_close(fd));
    wasi!(linker, get, "fd_datasync", |c, m, fd: u32| c.fd_sync(fd, true));
    wasi!(linker, get, "fd_sync", |c, m, fd: u32| c.fd_sync(fd, false));
    wasi!(linker, get, "fd_fdstat_get", |c, m, fd: u32, out: u32| c.fd_fdstat_get(m, fd, out));
    wasi!(linker, get, "fd_fdstat_set_flags", |c, m, fd: u32, f: u32| c.fd_fdstat_set_flags(fd, f as u16));
    wasi!(linker, get, "fd_fdstat_set_rights", |c, m, fd: u32, b: u64, i: u64| c.fd_fdstat_set_rights(fd, b, i));
    wasi!(linker, get, "fd_filestat_get", |c, m, fd: u32, out: u32| c.fd_filestat_get(m, fd, out));
    wasi!(linker, get, "fd_filestat_set_size", |c, m, fd: u32, s: u64| c.fd_filestat_set_size(fd, s));
    wasi!(linker, get, "fd_filestat_set_times", |c, m, fd: u32, a: u64, t: u64, f: u32| c
        .fd_filestat_set_times(fd, a, t, f as u16));
    wasi!(linker, get, "fd_pread", |c, m, fd: u32, iovs: u32, n: u32, off: u64, out: u32| c
        .fd_pread(m, fd, iovs, n, off, out));
    wasi!(linker, get, "fd_pwrite", |c, m, fd: u32, iovs: u32, n: u32, off: u64, out: u32| c
        .fd_pwrite(m, fd, iovs, n, off, out));
    wasi!(linker, get, "fd_read", |c, m, fd: u32, iovs: u32, n: u32, out: u32| c.fd_read(m, fd, iovs, n, out));
    wasi!(linker, get, "fd_write", |c, m, fd: u32, iovs: u32, n: u32, out: u32| c.fd_write(m, fd, iovs, n, out));
    wasi!(linker, get, "fd_prestat_get", |c, m, fd: u32, out: u32| c.fd_prestat_get(m, fd, out));
    wasi!(linker, get, "fd_prestat_dir_name", |c, m, fd: u32, p: u32, l: u32| c.fd_prestat_dir_name(m, fd, p, l));
    wasi!(linker, get, "fd_readdir", |c, m, fd: u32, b: u32, l: u32, ck: u64, out: u32| c
        .fd_readdir(m, fd, b, l, ck, out));
    wasi!(linker, get, "fd_renumber", |c, m, from: u32, to: u32| c.fd_renumber(from, to));
    wasi!(linker, get, "fd_seek", |c, m, fd: u32, off: u64, wh: u32, out: u32| c
        .fd_seek(m, fd, off as i64, wh as u8, out));
    wasi!(linker, get, "fd_tell", |c, m, fd: u32, out: u32| c.fd_tell(m, fd, out));
    wasi!(linker, get, "path_create_directory", |c, m, fd: u32, p: u32, l: u32| c.path_create_directory(m, fd, p, l));
    wasi!(linker, get, "path_filestat_get", |c, m, fd: u32, fl: u32, p: u32, l: u32, out: u32| c
        .path_filestat_get(m, fd, fl, p, l, out));
    wasi!(linker, get, "path_filestat_set_times", |c, m, fd: u32, fl: u32, p: u32, l: u32, a: u64, t: u64, f: u32| c
        .path_filestat_set_times(m, fd, fl, p, l, a, t, f as u16));
    wasi!(linker, get, "path_link", |c, m, ofd: u32, ofl: u32, op: u32, ol: u32, nfd: u32, np: u32, nl: u32| c
        .path_link(m, ofd, ofl, op, ol, nfd, np, nl));
    wasi!(linker, get, "path_open", |c,
                                     m,
                                     fd: u32,
                                     dirflags: u32,
                                     p: u32,
                                     l: u32,
                                     of: u32,
                                     base: u64,
                                     inh: u64,
                                     ff: u32,
                                     out: u32| c
        .path_open(m, fd, dirflags, p, l, of as u16, base, inh, ff as u16, out));
    wasi!(linker, get, "path_readlink", |c, m, fd: u32, p: u32, l: u32, b: u32, bl: u32, out: u32| c
        .path_readlink(m, fd, p, l, b, bl, out));
    wasi!(linker, get, "path_remove_directory", |c, m, fd: u32, p: u32, l: u32| c.path_remove_directory(m, fd, p, l));
    wasi!(linker, get, "path_rename", |c, m, fd: u32, op: u32, ol: u32, nfd: u32, np: u32, nl: u32| c
        .path_rename(m, fd, op, ol, nfd, np, nl));
    wasi!(linker, get, "path_symlink", |c, m, op: u32, ol: u32, fd: u32, np: u32, nl: u32| c
        .path_symlink(m, op, ol, fd, np, nl));
    wasi!(linker, get, "path_unlink_file", |c, m, fd: u32, p: u32, l: u32| c.path_unlink_file(m, fd, p, l));
    wasi!(linker, get, "poll_oneoff", |c, m, i: u32, o: u32, n: u32, out: u32| c.poll_oneoff(m, i, o, n, out));
    wasi!(linker, get, "proc_raise", |c, m, _sig: u32| Err(Errno::NOSYS));
    wasi!(linker, get, "sock_accept", |c, m, _fd: u32, _f: u32, _out: u32| Err(Errno::NOTSUP));
    wasi!(linker, get, "sock_recv", |c, m, _fd: u32, _d: u32, _dl: u32, _f: u32, _o1: u32, _o2: u32| Err(
        Errno::NOTSUP
    ));
    wasi!(linker, get, "sock_send", |c, m, _fd: u32, _d: u32, _dl: u32, _f: u32, _o: u32| Err(Errno::NOTSUP));
    wasi!(linker, get, "sock_shutdown", |c, m, _fd: u32, _how: u32| Err(Errno::NOTSUP));
    linker.func_wrap(MODULE, "sched_yield", || -> i32 {
        std::thread::yield_now();
        0
    })?;
    linker.func_wrap(MODULE, "proc_exit", move |mut caller: Caller<'_, T>, code: i32| -> baton::Result<()> {
        get(caller.data_mut()).exit_code = Some(code);
        Err(baton::Error::i32_exit(code))
    })?;
    Ok(())
}
