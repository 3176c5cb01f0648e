//! End-to-end tests of the `baton` binary: real C programs (built with clang +
//! wasi-libc by `programs/build.sh`, committed as .wasm) and the CLI's error paths.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BATON: &str = env!("CARGO_BIN_EXE_baton");

fn program(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs").join(name)
}

fn baton(args: &[&str]) -> Output {
    Command::new(BATON).args(args).output().expect("spawn baton")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh temporary directory, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "baton-cli-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn demo() -> String {
    program("wasi-demo.wasm").to_str().unwrap().to_string()
}

/// Asserts a failed run printed exactly one `Error: ...` line containing `needle`.
fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "expected one line, got: {err}");
    assert!(err.starts_with("Error: "), "{err}");
    assert!(err.contains(needle), "expected `{needle}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn hello_world() {
    let o = baton(&["run", &demo(), "hello"]);
    assert_eq!(stdout(&o), "hello, world\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn shorthand_without_run() {
    let o = baton(&[&demo(), "hello"]);
    assert_eq!(stdout(&o), "hello, world\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn args_and_env() {
    let d = demo();
    let o = baton(&["run", "--env", "GREETING=hi there", &d, "args", "a", "--b", "c d"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expect = format!("argc=5\nargv[0]={d}\nargv[1]=args\nargv[2]=a\nargv[3]=--b\nargv[4]=c d\nGREETING=hi there\n");
    assert_eq!(stdout(&o), expect);
    let o = baton(&["run", &d, "args"]);
    assert!(stdout(&o).ends_with("GREETING=(unset)\n"));
}

#[test]
fn flags_after_file_go_to_the_guest() {
    let d = demo();
    let o = baton(&[&d, "args", "--help", "-V", "--dir", "x"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("argv[2]=--help\nargv[3]=-V\nargv[4]=--dir\nargv[5]=x\n"), "{}", stdout(&o));
}

#[test]
fn exit_codes() {
    for code in ["0", "3", "42"] {
        let o = baton(&[&demo(), "exit", code]);
        assert_eq!(o.status.code(), Some(code.parse().unwrap()));
    }
    // main's return value is the exit status too.
    let o = baton(&[&demo(), "no-such-command"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "unknown command no-such-command\n");
}

#[test]
fn stdin_to_stdout() {
    let mut child = Command::new(BATON)
        .args([&demo(), "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello\nwasi world\n").unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(stdout(&o), "HELLO\nWASI WORLD\n");
    assert_eq!(stderr(&o), "read 17 bytes\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn clocks_sleep_and_random() {
    let o = baton(&[&demo(), "clock"]);
    assert_eq!(stdout(&o), "slept ok\nrealtime ok\nrandom ok\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn trap_prints_code_and_backtrace() {
    let o = baton(&[&demo(), "trap"]);
    assert_eq!(o.status.code(), Some(134));
    let err = stderr(&o);
    assert!(err.starts_with("Error: wasm trap: unreachable\nwasm backtrace:\n"), "{err}");
    assert!(err.contains("crash_here"), "{err}");
    assert!(err.contains("_start"), "{err}");
}

fn fs_roundtrip(guest: &str, arg: &str) {
    let dir = TempDir::new("fs");
    let spec = format!("{}::{guest}", dir.path().display());
    let o = baton(&["run", "--dir", &spec, &demo(), "fs", arg]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "stdout: {out}\nstderr: {}", stderr(&o));
    assert!(!out.contains("FAILED"), "{out}");
    assert!(out.contains("readdir: . .. link moved.txt\n"), "{out}");
    for step in ["create", "read back", "seek+read", "pwrite", "rename", "symlink", "readlink", "unlink file", "rmdir"]
    {
        assert!(out.contains(&format!("{step}: ok\n")), "{step} missing in {out}");
    }
    let mut left: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    left.sort();
    assert_eq!(left, ["kept.txt"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("kept.txt")).unwrap(), "kept\n");
}

#[test]
fn file_io_in_absolute_preopen() {
    fs_roundtrip("/sandbox", "/sandbox");
}

#[test]
fn file_io_in_dot_preopen() {
    fs_roundtrip(".", ".");
}

#[cfg(unix)]
#[test]
fn sandbox_escapes_fail() {
    let root = TempDir::new("escape");
    let secret = root.file("secret.txt", "top secret\n");
    let boxed = root.path().join("box");
    std::fs::create_dir(&boxed).unwrap();
    std::os::unix::fs::symlink("../secret.txt", boxed.join("link-out")).unwrap();
    std::os::unix::fs::symlink(&secret, boxed.join("abs-link")).unwrap();
    let spec = format!("{}::/sandbox", boxed.display());
    let o = baton(&["run", "--dir", &spec, &demo(), "escape", "/sandbox"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(out.lines().count(), 9, "{out}");
    for line in out.lines() {
        assert!(line.ends_with("blocked (Capabilities insufficient)"), "{line}");
    }
    assert!(!root.path().join("escaped.txt").exists());
    assert!(!root.path().join("x").exists());
    assert!(!boxed.join("new-link").exists());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "top secret\n");
}

#[test]
fn file_io_without_preopen_fails_cleanly() {
    let o = baton(&[&demo(), "fs", "/sandbox"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("create: FAILED"));
}

// ---- error paths ----

#[test]
fn missing_file() {
    let o = baton(&["run", "/no/such/file.wasm"]);
    assert_one_line_error(&o, "cannot read `/no/such/file.wasm`");
}

#[test]
fn malformed_binary_module() {
    let t = TempDir::new("bad");
    let p = t.path().join("bad.wasm");
    std::fs::write(&p, b"\0asm\x01\0\0\0\x01").unwrap();
    let o = baton(&[p.to_str().unwrap()]);
    assert_one_line_error(&o, "cannot load");
}

#[test]
fn malformed_text_module() {
    let t = TempDir::new("bad");
    let p = t.file("bad.wat", "(module (func (export \"f\") (i32.bogus)))\n");
    let o = baton(&[&p]);
    assert_one_line_error(&o, "bad.wat:1:");
}

#[test]
fn invalid_module() {
    let t = TempDir::new("bad");
    let p = t.file("inv.wat", "(module (func (export \"f\") (result i32)))");
    let o = baton(&[&p]);
    assert_one_line_error(&o, "invalid module");
}

#[test]
fn missing_import() {
    let t = TempDir::new("imp");
    let p = t.file("imp.wat", r#"(module (import "env" "nope" (func)) (func (export "_start") call 0))"#);
    let o = baton(&[&p]);
    assert_one_line_error(&o, "unknown import: `env::nope`");
}

const ADD: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "mul64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul)
  (func (export "half") (param f64) (result f64) local.get 0 f64.const 0.5 f64.mul)
  (func (export "pair") (param f32) (result f32 i32) local.get 0 i32.const -1)
  (func (export "boom") (result i32) unreachable))"#;

#[test]
fn bad_invoke_argument() {
    let t = TempDir::new("inv");
    let p = t.file("add.wat", ADD);
    assert_one_line_error(
        &baton(&["run", "--invoke", "add", &p, "1", "x"]),
        "invalid argument `x` for parameter 2 (i32)",
    );
    assert_one_line_error(&baton(&["run", "--invoke", "add", &p, "1"]), "takes 2 argument(s)");
    assert_one_line_error(&baton(&["run", "--invoke", "add", &p, "1", "99999999999"]), "out of range for i32");
    assert_one_line_error(&baton(&["run", "--invoke", "nope", &p]), "no exported function named `nope`");
    assert_one_line_error(&baton(&["run", "--invoke", "add @3 1", &p]), "refers to step 3");
    assert_one_line_error(&baton(&[&p]), "exports no `_start`");
    assert_one_line_error(&baton(&["run", "--dir", "/no/such/dir", &p]), "cannot preopen `/no/such/dir`");
    assert_one_line_error(&baton(&["run", "--env", "=x", &p]), "invalid --env");
}

#[test]
fn usage_error_exits_2() {
    let o = baton(&["run", "--no-such-flag", "x.wasm"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn invoke_prints_typed_results() {
    let t = TempDir::new("inv");
    let p = t.file("add.wat", ADD);
    let o = baton(&["run", "--invoke", "add", &p, "2", "-5"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("-3\n", Some(0)), "{}", stderr(&o));
    let o = baton(&["run", "--invoke", "mul64", &p, "0x100000000", "3"]);
    assert_eq!(stdout(&o), "12884901888\n");
    let o = baton(&["run", "--invoke", "half", &p, "2.5"]);
    assert_eq!(stdout(&o), "1.25\n");
    let o = baton(&["run", "--invoke", "pair", &p, "1.5"]);
    assert_eq!(stdout(&o), "1.5\n-1\n");
    // Steps with result references.
    let o = baton(&[
        "run",
        "--invoke",
        "add 1 2",
        "--invoke",
        "add @1 @1",
        "--invoke",
        "pair 0.25",
        "--invoke",
        "add @3.2 @2",
        &p,
    ]);
    assert_eq!(stdout(&o), "3\n6\n0.25\n-1\n5\n", "{}", stderr(&o));
}

#[test]
fn invoke_trap() {
    let t = TempDir::new("inv");
    let p = t.file("add.wat", ADD);
    let o = baton(&["run", "--invoke", "boom", &p]);
    assert_eq!(o.status.code(), Some(134));
    assert!(stderr(&o).starts_with("Error: wasm trap: unreachable\n"), "{}", stderr(&o));
}

#[test]
fn memory_steps() {
    let t = TempDir::new("mem");
    let wat = t.file(
        "sum.wat",
        r#"(module
          (memory (export "memory") 1)
          (func (export "setup") (param i32) (result i32) i32.const 1024)
          (func (export "input_ptr") (param i32) (result i32) local.get 0 i32.const 16 i32.add)
          ;; sum of the bytes at [ptr+16, ptr+16+len), and writes them upper-cased at ptr+512
          (func (export "run") (param $p i32) (param $len i32) (result i64)
            (local $i i32) (local $s i64) (local $b i32)
            (block $done (loop $l
              (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
              (local.set $b (i32.load8_u offset=16 (i32.add (local.get $p) (local.get $i))))
              (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $b))))
              (i32.store8 offset=512 (i32.add (local.get $p) (local.get $i))
                (select (i32.sub (local.get $b) (i32.const 32)) (local.get $b)
                  (i32.and (i32.ge_u (local.get $b) (i32.const 97)) (i32.le_u (local.get $b) (i32.const 122)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l)))
            local.get $s)
          (func (export "output_ptr") (param i32) (result i32) local.get 0 i32.const 512 i32.add))"#,
    );
    let input = t.file("in.txt", "abc");
    let out = t.path().join("out.txt");
    let read_spec = format!("@5:size:{input}:{}", out.display());
    let size = format!("setup size:{input}");
    let write = format!("@2:{input}");
    let o = baton(&[
        "run",
        "--invoke",
        &size,
        "--invoke",
        "input_ptr @1",
        "--write-memory",
        &write,
        "--invoke",
        &format!("run @1 size:{input}"),
        "--invoke",
        "output_ptr @1",
        "--read-memory",
        &read_spec,
        &wat,
    ]);
    assert_eq!(stdout(&o), "1024\n1040\n294\n1536\n", "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "ABC");
    // Out-of-bounds memory steps are errors, not panics.
    let o = baton(&["run", "--invoke", "setup 0", "--write-memory", &format!("0xffff0:{input}"), &wat]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("fall outside guest memory"), "{}", stderr(&o));
}

#[test]
fn host_clock_is_provided_when_imported() {
    let t = TempDir::new("clock");
    let p = t.file(
        "c.wat",
        r#"(module (import "env" "clock_ms" (func $c (result i64)))
             (func (export "now") (result i32) call $c i64.const 1600000000000 i64.gt_s))"#,
    );
    let o = baton(&["run", "--invoke", "now", &p]);
    assert_eq!(stdout(&o), "1\n", "{}", stderr(&o));
    let p = t.file(
        "c32.wat",
        r#"(module (import "env" "clock_ms" (func $c (result i32)))
             (func (export "now") (result i32) call $c i32.const 10000 i32.lt_s))"#,
    );
    let o = baton(&["run", "--invoke", "now", &p]);
    assert_eq!(stdout(&o), "1\n", "{}", stderr(&o));
}

#[test]
fn fuel_flag_is_wired() {
    let t = TempDir::new("fuel");
    let p = t.file("loop.wat", r#"(module (func (export "spin") (loop $l (br $l))))"#);
    let o = baton(&["run", "--fuel", "10000", "--invoke", "spin", &p]);
    // Either the engine meters fuel (a trap) or it reports fuel as unsupported: never hangs, never panics.
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(o.status.code(), Some(0), "{err}");
}

#[test]
fn run_help_documents_steps() {
    let o = baton(&["run", "--help"]);
    let out = stdout(&o);
    for needle in ["--invoke", "--write-memory", "--read-memory", "@N", "size:FILE", "env.clock_ms", "134"] {
        assert!(out.contains(needle), "help lacks {needle}");
    }
}
