//! baton-wasi through the embedding API: captured stdio, exit status, guest
//! pointer bounds checks (EFAULT, never a panic) and the preopen capability
//! checks exercised directly on `path_*` calls (no wasi-libc in between).

use std::path::{Path, PathBuf};

use baton::{Engine, Instance, Linker, Module, Store};
use baton_wasi::{InputPipe, OutputPipe, WasiCtx, WasiCtxBuilder};

const EFAULT: i32 = 21;
const EBADF: i32 = 8;
const ENOENT: i32 = 44;
const ENOTCAPABLE: i32 = 76;
const ELOOP: i32 = 32;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../baton-cli/tests/programs/wasi-demo.wasm")
}

fn instantiate(module: &Module, ctx: WasiCtx) -> (Store<WasiCtx>, Instance) {
    let mut linker: Linker<WasiCtx> = Linker::new(module.engine());
    baton_wasi::add_to_linker(&mut linker, |c| c).unwrap();
    let mut store = Store::new(module.engine(), ctx);
    let inst = linker.instantiate(&mut store, module).unwrap();
    (store, inst)
}

#[test]
fn captured_stdio_and_exit_status() {
    let engine = Engine::default();
    let module = Module::from_file(&engine, demo()).unwrap();
    let out = OutputPipe::new();
    let err = OutputPipe::new();
    let ctx = WasiCtxBuilder::new()
        .args(["demo", "cat"])
        .stdin(InputPipe::new("shout\n"))
        .stdout(out.clone())
        .stderr(err.clone())
        .build()
        .unwrap();
    let (mut store, inst) = instantiate(&module, ctx);
    let start = inst.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let r = start.call(&mut store, ());
    // wasi-libc's _start calls proc_exit only for a non-zero status.
    assert!(r.is_ok() || r.as_ref().err().and_then(|e| e.i32_exit_status()) == Some(0));
    assert_eq!(out.contents(), b"SHOUT\n");
    assert_eq!(err.contents(), b"read 6 bytes\n");

    let ctx = WasiCtxBuilder::new().args(["demo", "exit", "9"]).build().unwrap();
    let (mut store, inst) = instantiate(&module, ctx);
    let start = inst.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let e = start.call(&mut store, ()).unwrap_err();
    assert_eq!(e.i32_exit_status(), Some(9));
    assert_eq!(store.data().exit_code(), Some(9));
}

/// A module exposing raw WASI calls; memory is one page (64 KiB).
const RAW: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $pdn (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $stat (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "fd_write") (param i32 i32 i32 i32) (result i32)
    (call $fd_write (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "fd_read") (param i32 i32 i32 i32) (result i32)
    (call $fd_read (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "args_get") (param i32 i32) (result i32) (call $args_get (local.get 0) (local.get 1)))
  (func (export "args_sizes_get") (param i32 i32) (result i32) (call $args_sizes_get (local.get 0) (local.get 1)))
  (func (export "random_get") (param i32 i32) (result i32) (call $random_get (local.get 0) (local.get 1)))
  (func (export "clock_time_get") (param i32 i32) (result i32) (call $clock (local.get 0) (i64.const 0) (local.get 1)))
  (func (export "poll_oneoff") (param i32 i32 i32 i32) (result i32)
    (call $poll (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "prestat_dir_name") (param i32 i32 i32) (result i32) (call $pdn (local.get 0) (local.get 1) (local.get 2)))
  ;; open(dirfd, lookupflags, path, len, oflags) -> errno; the new fd lands at address 0
  (func (export "open") (param i32 i32 i32 i32 i32) (result i32)
    (call $path_open (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
  (func (export "mkdir") (param i32 i32 i32) (result i32) (call $mkdir (local.get 0) (local.get 1) (local.get 2)))
  (func (export "unlink") (param i32 i32 i32) (result i32) (call $unlink (local.get 0) (local.get 1) (local.get 2)))
  (func (export "rename") (param i32 i32 i32 i32 i32 i32) (result i32)
    (call $rename (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "stat") (param i32 i32 i32 i32 i32) (result i32)
    (call $stat (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4)))
  (func (export "symlink") (param i32 i32 i32 i32 i32) (result i32)
    (call $symlink (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4))))"#;

struct Raw {
    store: Store<WasiCtx>,
    inst: Instance,
}

impl Raw {
    fn new(ctx: WasiCtx) -> Raw {
        let engine = Engine::default();
        let module = Module::new(&engine, RAW).unwrap();
        let (store, inst) = instantiate(&module, ctx);
        Raw { store, inst }
    }
    fn call(&mut self, name: &str, args: &[i32]) -> i32 {
        let f = self.inst.get_func(&self.store, name).unwrap();
        let params: Vec<baton::Val> = args.iter().map(|&a| baton::Val::I32(a)).collect();
        let mut out = [baton::Val::I32(0)];
        f.call(&mut self.store, &params, &mut out).unwrap();
        out[0].i32().unwrap()
    }
    fn poke(&mut self, addr: usize, bytes: &[u8]) {
        let mem = self.inst.get_memory(&self.store, "memory").unwrap();
        mem.write(&mut self.store, addr, bytes).unwrap();
    }
    fn peek_u32(&self, addr: usize) -> u32 {
        let mem = self.inst.get_memory(&self.store, "memory").unwrap();
        let mut b = [0u8; 4];
        mem.read(&self.store, addr, &mut b).unwrap();
        u32::from_le_bytes(b)
    }
    /// Writes `path` at 1024 and returns (ptr, len).
    fn path(&mut self, path: &str) -> (i32, i32) {
        self.poke(1024, path.as_bytes());
        (1024, path.len() as i32)
    }
    fn open(&mut self, path: &str, follow: bool, oflags: i32) -> i32 {
        let (p, l) = self.path(path);
        self.call("open", &[3, follow as i32, p, l, oflags])
    }
}

#[test]
fn guest_pointers_are_bounds_checked() {
    let out = OutputPipe::new();
    let mut raw = Raw::new(WasiCtxBuilder::new().arg("prog").stdout(out.clone()).build().unwrap());
    let end = 65536;
    // iovec array outside memory, iovec buffer outside memory, result pointer outside memory.
    assert_eq!(raw.call("fd_write", &[1, end - 4, 1, 0]), EFAULT);
    raw.poke(16, &(end as u32 - 2).to_le_bytes());
    raw.poke(20, &8u32.to_le_bytes());
    assert_eq!(raw.call("fd_write", &[1, 16, 1, 0]), EFAULT);
    raw.poke(16, &100u32.to_le_bytes());
    raw.poke(20, &2u32.to_le_bytes());
    raw.poke(100, b"ok");
    assert_eq!(raw.call("fd_write", &[1, 16, 1, end]), EFAULT);
    assert_eq!(raw.call("fd_write", &[1, 16, 0x7fff_ffff, 0]), EFAULT);
    assert_eq!(raw.call("fd_write", &[1, 16, 1, 0]), 0);
    assert_eq!(raw.peek_u32(0), 2);
    assert_eq!(out.contents(), b"ok");
    assert_eq!(raw.call("fd_read", &[1234, 16, 1, 0]), EBADF);
    assert_eq!(raw.call("args_sizes_get", &[end, 0]), EFAULT);
    assert_eq!(raw.call("args_get", &[0, end - 2]), EFAULT);
    assert_eq!(raw.call("args_get", &[-4, 100]), EFAULT);
    assert_eq!(raw.call("random_get", &[end - 8, 16]), EFAULT);
    assert_eq!(raw.call("random_get", &[0, 16]), 0);
    assert_eq!(raw.call("clock_time_get", &[0, end - 4]), EFAULT);
    assert_eq!(raw.call("clock_time_get", &[99, 0]), 28);
    assert_eq!(raw.call("poll_oneoff", &[0, 0, -1, 0]), EFAULT);
    assert_eq!(raw.call("poll_oneoff", &[end - 8, 0, 1, 0]), EFAULT);
    assert_eq!(raw.call("prestat_dir_name", &[3, 0, 10]), EBADF);
}

struct Sandbox(PathBuf);
impl Sandbox {
    fn new() -> Sandbox {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "baton-wasi-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("box/sub")).unwrap();
        std::fs::write(p.join("secret"), "s").unwrap();
        std::fs::write(p.join("box/file"), "f").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("../secret", p.join("box/out")).unwrap();
            std::os::unix::fs::symlink(p.join("secret"), p.join("box/abs")).unwrap();
            std::os::unix::fs::symlink("../file", p.join("box/sub/up")).unwrap();
            std::os::unix::fs::symlink("..", p.join("box/sub/parent")).unwrap();
        }
        Sandbox(p)
    }
}
impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn path_calls_stay_inside_the_preopen() {
    let sb = Sandbox::new();
    let ctx = WasiCtxBuilder::new().preopened_dir(sb.0.join("box"), "/box").build().unwrap();
    let mut raw = Raw::new(ctx);
    // The preopen is fd 3 and reports its guest name.
    assert_eq!(raw.call("prestat_dir_name", &[3, 200, 4]), 0);
    assert_eq!(raw.call("prestat_dir_name", &[3, 200, 2]), 37);

    assert_eq!(raw.open("file", true, 0), 0);
    assert_eq!(raw.open("sub/../file", true, 0), 0);
    assert_eq!(raw.open("./sub/./../file", true, 0), 0);
    assert_eq!(raw.open("missing", true, 0), ENOENT);
    assert_eq!(raw.open("..", true, 0), ENOTCAPABLE);
    assert_eq!(raw.open("../secret", true, 0), ENOTCAPABLE);
    assert_eq!(raw.open("sub/../../secret", true, 0), ENOTCAPABLE);
    assert_eq!(raw.open("/etc/passwd", true, 0), ENOTCAPABLE);
    assert_eq!(raw.open("../box/file", true, 0), ENOTCAPABLE);
    assert_eq!(raw.open("../new", true, 1), ENOTCAPABLE); // O_CREAT outside
    assert!(!sb.0.join("new").exists());
    #[cfg(unix)]
    {
        assert_eq!(raw.open("out", true, 0), ENOTCAPABLE);
        assert_eq!(raw.open("out", false, 0), ELOOP); // O_NOFOLLOW on a symlink
        assert_eq!(raw.open("abs", true, 0), ENOTCAPABLE);
        assert_eq!(raw.open("sub/up", true, 0), 0); // a symlink that stays inside
        assert_eq!(raw.open("sub/parent/file", true, 0), 0);
        assert_eq!(raw.open("sub/parent/../secret", true, 0), ENOTCAPABLE);
        assert_eq!(raw.open("out/x", true, 1), ENOTCAPABLE);
        // Creating symlinks to absolute paths is refused; relative ones are allowed but still confined.
        let (p, l) = raw.path("/etc/passwd");
        raw.poke(2048, b"abs2");
        assert_eq!(raw.call("symlink", &[p, l, 3, 2048, 4]), ENOTCAPABLE);
        let (p, l) = raw.path("../../secret");
        raw.poke(2048, b"sub/rel");
        assert_eq!(raw.call("symlink", &[p, l, 3, 2048, 7]), 0);
        assert_eq!(raw.open("sub/rel", true, 0), ENOTCAPABLE);
    }
    // mkdir/unlink/rename/stat outside the preopen.
    let (p, l) = raw.path("../made");
    assert_eq!(raw.call("mkdir", &[3, p, l]), ENOTCAPABLE);
    let (p, l) = raw.path("../secret");
    assert_eq!(raw.call("unlink", &[3, p, l]), ENOTCAPABLE);
    assert_eq!(raw.call("stat", &[3, 1, p, l, 4096]), ENOTCAPABLE);
    raw.poke(2048, b"file");
    assert_eq!(raw.call("rename", &[3, 2048, 4, 3, p, l]), ENOTCAPABLE);
    assert_eq!(raw.call("rename", &[3, p, l, 3, 2048, 4]), ENOTCAPABLE);
    assert!(sb.0.join("secret").exists() && sb.0.join("box/file").exists() && !sb.0.join("made").exists());
    // An unknown directory fd and a non-directory fd.
    let (p, l) = raw.path("file");
    assert_eq!(raw.call("open", &[77, 1, p, l, 0]), EBADF);
    assert_eq!(raw.call("open", &[0, 1, p, l, 0]), 54);
}
