//! Resource limits, fuel and interruption: a hostile guest gets a clear error or
//! trap, never a host crash, a hang or unbounded memory use.
//!
//! The translation tests build hostile function bodies directly in the binary
//! format (huge nesting, huge `br_table`s, 50k locals, deep operand stacks) and
//! check that they translate, run, and that translation's allocations (bytes,
//! calls and peak) grow linearly. Those counts are exact, so the checks do
//! not depend on the machine's load; translation speed is `cargo bench`'s.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use baton::{Config, Engine, Error, Linker, Module, Store, StoreLimits, TrapCode};

/// Counts, per thread, the bytes allocated and the peak of live bytes, so that
/// the hostile-module tests can check memory use deterministically.
struct CountingAlloc;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static TOTAL: Cell<usize> = const { Cell::new(0) };
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(n: usize) {
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + n);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
    let _ = TOTAL.try_with(|t| t.set(t.get() + n));
    let _ = CALLS.try_with(|c| c.set(c.get() + 1));
}

fn note_free(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

// SAFETY: forwards every call to the system allocator unchanged; the counters
// are const-initialised thread locals, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_free(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_free(layout.size());
        note_alloc(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// (bytes allocated in total, allocation calls, peak of bytes live above the
/// starting point) while `f` runs on this thread.
fn measure_alloc(f: impl FnOnce()) -> (usize, usize, usize) {
    let live0 = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(live0));
    let (total0, calls0) = (TOTAL.with(Cell::get), CALLS.with(Cell::get));
    f();
    (TOTAL.with(Cell::get) - total0, CALLS.with(Cell::get) - calls0, PEAK.with(Cell::get) - live0)
}

fn instantiate(engine: &Engine, store: &mut Store<()>, wat_or_wasm: impl AsRef<[u8]>) -> baton::Instance {
    let module = Module::new(engine, wat_or_wasm).expect("module compiles");
    Linker::new(engine).instantiate(store, &module).expect("module instantiates")
}

fn trap_of<R: std::fmt::Debug>(r: Result<R, Error>) -> TrapCode {
    match r {
        Err(e) => e.trap_code().unwrap_or_else(|| panic!("expected a trap, got error {e:?}")),
        Ok(v) => panic!("expected a trap, got {v:?}"),
    }
}

// ---------------------------------------------------------------------------
// Call depth and value stack
// ---------------------------------------------------------------------------

const RECURSE: &str = r#"(module
    (func $f (export "f") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1)))))))
    (func $inf (export "inf") (call $inf)))"#;

#[test]
fn call_depth_limit_small() {
    let mut config = Config::default();
    config.max_call_depth(100);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, RECURSE);
    let f = inst.get_typed_func::<i32, i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, 90).unwrap(), 90);
    let err = f.call(&mut store, 150).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(err.to_string(), "call stack exhausted");
    assert!(!err.backtrace().is_empty());
    // The store is still usable afterwards.
    assert_eq!(f.call(&mut store, 10).unwrap(), 10);
}

#[test]
fn call_depth_limit_default() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, RECURSE);
    let inf = inst.get_typed_func::<(), ()>(&store, "inf").unwrap();
    assert_eq!(trap_of(inf.call(&mut store, ())), TrapCode::StackOverflow);
    let f = inst.get_typed_func::<i32, i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, 10_000).unwrap(), 10_000);
    assert_eq!(trap_of(f.call(&mut store, 1_000_000)), TrapCode::StackOverflow);
    assert_eq!(f.call(&mut store, 3).unwrap(), 3);
}

#[test]
fn value_stack_limit() {
    // Each frame of $f holds 200 locals: 1024 slots run out long before the
    // default call depth does.
    let wat = r#"(module
        (func $f (export "f") (param i32) (result i32)
            (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
                   i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
            (if (result i32) (i32.eqz (local.get 0))
                (then (i32.const 0))
                (else (i32.add (i32.const 1) (call $f (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let mut config = Config::default();
    config.max_stack_slots(1024);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, wat);
    let f = inst.get_typed_func::<i32, i32>(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, 3).unwrap(), 3);
    assert_eq!(trap_of(f.call(&mut store, 10)), TrapCode::StackOverflow);
    assert_eq!(f.call(&mut store, 2).unwrap(), 2);

    // A single frame larger than the whole value stack traps on entry.
    let big = module_bytes(&[], &[], 2000, &[0x41, 0, 0x1a], 0);
    let inst = instantiate(&engine, &mut store, big);
    let run = inst.get_typed_func::<(), ()>(&store, "run").unwrap();
    // Twice: the second call starts at the entry the first one cached.
    for _ in 0..2 {
        assert_eq!(trap_of(run.call(&mut store, ())), TrapCode::StackOverflow);
    }

    // The same without locals (the host entry starts such a function past
    // its `enter_params` cell when the frame fits): an operand stack of
    // `depth` values needs about `depth` slots, so 1000 fit in 1024 and
    // 1100 do not, whether called from the host or from the guest.
    for (depth, fits) in [(1000, true), (1100, false)] {
        let body = format!("{}{}", "(local.get 0) ".repeat(depth), "i32.add ".repeat(depth - 1));
        let wat = format!(
            r#"(module
                (func $f (export "f") (param i32) (result i32) {body})
                (func (export "g") (param i32) (result i32) (call $f (local.get 0))))"#
        );
        let inst = instantiate(&engine, &mut store, wat);
        for name in ["f", "g", "f", "g"] {
            let f = inst.get_typed_func::<i32, i32>(&store, name).unwrap();
            match f.call(&mut store, 3) {
                Ok(v) => assert!(fits && v == 3 * depth as i32, "{name}({depth}): {v}"),
                Err(e) => assert!(!fits && e.trap_code() == Some(TrapCode::StackOverflow), "{name}({depth}): {e}"),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Memories, tables, instances
// ---------------------------------------------------------------------------

fn limits(f: impl FnOnce(&mut StoreLimits)) -> StoreLimits {
    let mut l = StoreLimits::default();
    f(&mut l);
    l
}

#[test]
fn memory_pages_limit() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    store.set_limits(limits(|l| l.max_memory_pages = 4));
    let inst = instantiate(
        &engine,
        &mut store,
        r#"(module (memory (export "mem") 1)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            (func (export "size") (result i32) (memory.size))
            (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 7))))"#,
    );
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    let size = inst.get_typed_func::<(), i32>(&store, "size").unwrap();
    let poke = inst.get_typed_func::<i32, ()>(&store, "poke").unwrap();
    assert_eq!(grow.call(&mut store, 2).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 2).unwrap(), -1, "5 pages exceed the limit of 4");
    assert_eq!(grow.call(&mut store, 1).unwrap(), 3);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    assert_eq!(grow.call(&mut store, -1).unwrap(), -1);
    assert_eq!(size.call(&mut store, ()).unwrap(), 4);
    poke.call(&mut store, 4 * 65536 - 1).unwrap();
    assert_eq!(trap_of(poke.call(&mut store, 4 * 65536)), TrapCode::MemoryOutOfBounds);
    // The host is held to the same limit.
    let mem = inst.get_memory(&store, "mem").unwrap();
    assert!(matches!(mem.grow(&mut store, 1), Err(Error::Limit(_))));

    // Declaring more initial pages than allowed fails to instantiate.
    let module = Module::new(&engine, "(module (memory 5))").unwrap();
    let err = Linker::new(&engine).instantiate(&mut store, &module).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
    assert!(matches!(baton::Memory::new(&mut store, baton::MemoryType::new(5, None)), Err(Error::Limit(_))));
}

#[test]
fn table_elements_limit() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    store.set_limits(limits(|l| l.max_table_elements = 10));
    let inst = instantiate(
        &engine,
        &mut store,
        r#"(module (table (export "t") 2 funcref)
            (func (export "grow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
            (func (export "size") (result i32) (table.size)))"#,
    );
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    let size = inst.get_typed_func::<(), i32>(&store, "size").unwrap();
    assert_eq!(grow.call(&mut store, 8).unwrap(), 2);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
    assert_eq!(grow.call(&mut store, -1).unwrap(), -1);
    assert_eq!(size.call(&mut store, ()).unwrap(), 10);
    let t = inst.get_table(&store, "t").unwrap();
    assert!(matches!(t.grow(&mut store, 1, baton::Val::FuncRef(None)), Err(Error::Limit(_))));

    let module = Module::new(&engine, "(module (table 11 funcref))").unwrap();
    let err = Linker::new(&engine).instantiate(&mut store, &module).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
}

#[test]
fn instance_count_limit() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    store.set_limits(limits(|l| l.max_instances = 3));
    let module = Module::new(&engine, r#"(module (func (export "f") (result i32) (i32.const 1)))"#).unwrap();
    let linker = Linker::new(&engine);
    for _ in 0..3 {
        linker.instantiate(&mut store, &module).unwrap();
    }
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
}

#[test]
fn entity_count_limit() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    store.set_limits(limits(|l| l.max_entities = 3));
    let module = Module::new(&engine, "(module (global i32 (i32.const 0)) (global i32 (i32.const 0)))").unwrap();
    let linker = Linker::new(&engine);
    linker.instantiate(&mut store, &module).unwrap();
    let err = linker.instantiate(&mut store, &module).unwrap_err();
    assert!(matches!(err, Error::Limit(_)), "{err:?}");
}

// ---------------------------------------------------------------------------
// Hostile modules for the translator
// ---------------------------------------------------------------------------

fn leb(mut x: u64, out: &mut Vec<u8>) {
    loop {
        let b = (x & 0x7f) as u8;
        x >>= 7;
        if x == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn section(id: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    leb(payload.len() as u64, out);
    out.extend_from_slice(payload);
}

/// A module with one function `run` of type `params -> results`, exported,
/// whose body is `code` (without the final `end`) with `n_i32_locals` extra
/// i32 locals, and a memory of `pages` pages if `pages > 0`.
fn module_bytes(params: &[u8], results: &[u8], n_i32_locals: u32, code: &[u8], pages: u32) -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    let mut ty = vec![1, 0x60];
    leb(params.len() as u64, &mut ty);
    ty.extend_from_slice(params);
    leb(results.len() as u64, &mut ty);
    ty.extend_from_slice(results);
    section(1, &ty, &mut m);
    section(3, &[1, 0], &mut m);
    if pages > 0 {
        let mut mem = vec![1, 0];
        leb(pages as u64, &mut mem);
        section(5, &mem, &mut m);
    }
    section(7, &[1, 3, b'r', b'u', b'n', 0, 0], &mut m);
    let mut body = Vec::new();
    if n_i32_locals > 0 {
        body.push(1);
        leb(n_i32_locals as u64, &mut body);
        body.push(0x7f);
    } else {
        body.push(0);
    }
    body.extend_from_slice(code);
    body.push(0x0b);
    let mut code_sec = vec![1];
    leb(body.len() as u64, &mut code_sec);
    code_sec.extend_from_slice(&body);
    section(10, &code_sec, &mut m);
    m
}

fn eager() -> Engine {
    let mut config = Config::default();
    config.lazy_translation(false);
    Engine::new(&config)
}

/// Runs `run` of a module built by `module_bytes` with no params.
fn run_i32(engine: &Engine, bytes: &[u8]) -> Result<i32, Error> {
    let mut store = Store::new(engine, ());
    let module = Module::new(engine, bytes)?;
    let inst = Linker::new(engine).instantiate(&mut store, &module)?;
    inst.get_typed_func::<(), i32>(&store, "run")?.call(&mut store, ())
}

/// Asserts that compiling `make(8n)` costs about 8 times what compiling
/// `make(n)` does, not 64, in what can be counted exactly: bytes allocated,
/// allocation calls and peak live bytes (bound: 16x each). A superlinear
/// scan in the translator shows up in its buffers' growth; time is not
/// asserted here (tests are not timed), only printed, and `cargo bench`
/// measures translation speed.
fn assert_linear(what: &str, n: u32, make: impl Fn(u32) -> Vec<u8>) {
    let engine = eager();
    let (small_bytes, large_bytes) = (make(n), make(8 * n));
    let compile = |b: &[u8]| {
        let t = Instant::now();
        let (total, calls, peak) = measure_alloc(|| drop(Module::new(&engine, b).expect("module compiles")));
        (total, calls, peak, t.elapsed())
    };
    let (small_total, small_calls, small_peak, small_time) = compile(&small_bytes);
    let (large_total, large_calls, large_peak, large_time) = compile(&large_bytes);
    eprintln!(
        "{what}: n={n}: allocated {small_total} B in {small_calls} calls (peak {small_peak} B), {small_time:?}; \
         8n: {large_total} B in {large_calls} calls (peak {large_peak} B), {large_time:?}"
    );
    assert!(large_total < 16 * small_total, "{what}: allocation grows superlinearly: {small_total} -> {large_total}");
    assert!(
        large_calls < 16 * small_calls,
        "{what}: allocation calls grow superlinearly: {small_calls} -> {large_calls}"
    );
    assert!(large_peak < 16 * small_peak, "{what}: peak memory grows superlinearly: {small_peak} -> {large_peak}");
}

/// `n` nested `block (result i32)`s around `i32.const 7`, each ending with
/// a `br_if 0` on its own value (so branches carry values through every level).
fn nested_blocks(n: u32) -> Vec<u8> {
    let mut code = Vec::new();
    for _ in 0..n {
        code.extend_from_slice(&[0x02, 0x7f]);
    }
    code.extend_from_slice(&[0x41, 7]);
    for _ in 0..n {
        // (value) local.get 0 br_if 0 end
        code.extend_from_slice(&[0x20, 0, 0x0d, 0, 0x0b]);
    }
    module_bytes(&[], &[0x7f], 1, &code, 0)
}

#[test]
fn hostile_deep_nesting() {
    let engine = eager();
    assert_eq!(run_i32(&engine, &nested_blocks(100_000)).unwrap(), 7);
    // Nested loops and ifs too.
    let n = 100_000;
    let mut code = Vec::new();
    for _ in 0..n {
        code.extend_from_slice(&[0x03, 0x40, 0x41, 1, 0x04, 0x40]); // loop, i32.const 1, if
    }
    for _ in 0..n {
        code.extend_from_slice(&[0x0b, 0x0b]);
    }
    code.extend_from_slice(&[0x41, 9]);
    assert_eq!(run_i32(&engine, &module_bytes(&[], &[0x7f], 0, &code, 0)).unwrap(), 9);
    assert_linear("nested blocks", 10_000, nested_blocks);
}

/// A `br_table` with `n` entries spread over 64 nested blocks that each take
/// an i32 result, selected by the parameter; every block adds its depth.
fn big_br_table(n: u32) -> Vec<u8> {
    let depth = 64u32;
    let mut code = Vec::new();
    for _ in 0..depth {
        code.extend_from_slice(&[0x02, 0x7f]);
    }
    code.extend_from_slice(&[0x41, 0, 0x20, 0, 0x0e]); // i32.const 0 (value), local.get 0, br_table
    leb(n as u64, &mut code);
    for k in 0..n {
        leb((k % depth) as u64, &mut code);
    }
    leb(0, &mut code);
    for d in 0..depth {
        // end of block d (innermost first): add its index
        code.push(0x0b);
        code.extend_from_slice(&[0x41]);
        leb(d as u64, &mut code);
        code.push(0x6a);
    }
    module_bytes(&[0x7f], &[0x7f], 0, &code, 0)
}

/// The most `br_table` targets wasmparser's validator accepts
/// (`MAX_WASM_BR_TABLE_SIZE` of wasmparser 0.228, as in wasmi 2.0).
const MAX_BR_TABLE: u32 = 128 * 1024;

#[test]
fn hostile_huge_br_table() {
    let engine = eager();
    // Beyond the validator's limit: a typed error, not a panic or a blow-up.
    match Module::new(&engine, big_br_table(1_000_000)) {
        Err(Error::Invalid(msg)) => assert!(msg.contains("br_table size is out of bounds"), "{msg}"),
        other => panic!("expected an Invalid error for a 1M-target br_table, got {other:?}"),
    }
    // The largest accepted table translates and runs correctly.
    let bytes = big_br_table(MAX_BR_TABLE);
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, &bytes);
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    // Branching to depth d skips the additions of blocks 0..d (innermost first).
    let sum = |from: i32| (from..64).sum::<i32>();
    assert_eq!(run.call(&mut store, 0).unwrap(), sum(0));
    assert_eq!(run.call(&mut store, 5).unwrap(), sum(5));
    assert_eq!(run.call(&mut store, 64 + 3).unwrap(), sum(3));
    assert_eq!(run.call(&mut store, -1).unwrap(), sum(0), "out of range takes the default");
    assert_linear("br_table", MAX_BR_TABLE / 8, big_br_table);
}

/// 50k locals (wasmparser's limit), summed through a deep operand stack:
/// `n` `local.get`s of distinct locals, then `n - 1` `i32.add`s.
fn many_locals(n: u32) -> Vec<u8> {
    let mut code = Vec::new();
    // local[i] = i for a few locals so the sum is checkable.
    for i in 0..4u32 {
        code.extend_from_slice(&[0x41]);
        leb(i as u64 + 1, &mut code);
        code.push(0x21);
        leb(i as u64 * 1000, &mut code);
    }
    for i in 0..n {
        code.push(0x20);
        leb((i % 50_000) as u64, &mut code);
    }
    code.extend(std::iter::repeat_n(0x6a, n as usize - 1)); // i32.add
    module_bytes(&[], &[0x7f], 50_000, &code, 0)
}

#[test]
fn too_many_locals_is_invalid() {
    let engine = eager();
    assert!(Module::new(&engine, module_bytes(&[], &[], 50_000, &[], 0)).is_ok());
    let err = Module::new(&engine, module_bytes(&[], &[], 50_001, &[], 0)).unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
}

#[test]
fn hostile_many_locals_and_deep_stack() {
    let engine = eager();
    // Locals 0, 1000, 2000, 3000 hold 1..=4 and are read once each; 50 000
    // locals + a 15 000-deep operand stack still fit a frame.
    assert_eq!(run_i32(&engine, &many_locals(15_000)).unwrap(), 10);
    // A 60k-deep operand stack of constants.
    let deep = |n: u32| {
        let mut code = Vec::new();
        for _ in 0..n {
            code.extend_from_slice(&[0x41, 1]);
        }
        code.extend(std::iter::repeat_n(0x6a, n as usize - 1));
        module_bytes(&[], &[0x7f], 0, &code, 0)
    };
    assert_eq!(run_i32(&engine, &deep(60_000)).unwrap(), 60_000);
    // Handlers address slots with 16-bit fields (as wasmi and wasm3 limit
    // frames too): a frame of more than 65 535 slots is a limit error, at
    // compile time when eager and at the first call when lazy.
    for bytes in [deep(100_000), many_locals(50_000)] {
        let err = run_i32(&engine, &bytes).unwrap_err();
        assert!(matches!(&err, Error::Limit(m) if m.contains("value slots")), "{err:?}");
        let err = run_i32(&Engine::default(), &bytes).unwrap_err();
        assert!(matches!(&err, Error::Limit(m) if m.contains("value slots")), "{err:?}");
    }
    assert_linear("locals + operand stack", 1_500, many_locals);
}

/// `n` `local.get`s left on the stack, then `n` nested blocks, each of which
/// writes the local (block entry must preserve the values read before it).
fn gets_then_blocks(n: u32) -> Vec<u8> {
    let mut code = Vec::new();
    for _ in 0..n {
        code.extend_from_slice(&[0x20, 0]);
    }
    for _ in 0..n {
        code.extend_from_slice(&[0x02, 0x40, 0x20, 0, 0x41, 1, 0x6a, 0x21, 0]); // block; l0 += 1
    }
    code.extend(std::iter::repeat_n(0x0b, n as usize)); // end
                                                        // Sum the n saved copies (all 5) and add the final local value (5 + n).
    code.extend(std::iter::repeat_n(0x6a, n as usize - 1));
    code.extend_from_slice(&[0x20, 0, 0x6a]);
    let mut with_init = vec![0x41, 5, 0x21, 0];
    with_init.extend_from_slice(&code);
    module_bytes(&[], &[0x7f], 1, &with_init, 0)
}

#[test]
fn hostile_local_gets_then_nested_blocks() {
    let engine = eager();
    let n = 20_000;
    assert_eq!(run_i32(&engine, &gets_then_blocks(n)).unwrap(), 5 * n as i32 + 5 + n as i32);
    assert_linear("local.gets then blocks", 5_000, gets_then_blocks);
}

// ---------------------------------------------------------------------------
// Fuel
// ---------------------------------------------------------------------------

const LOOPS: &str = r#"(module
    (func (export "spin") (loop (br 0)))
    (func (export "count") (param i32) (result i32)
        (local i32)
        (block (loop
            (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (br 0)))
        (local.get 1)))"#;

fn fuel_engine() -> Engine {
    let mut config = Config::default();
    config.consume_fuel(true);
    Engine::new(&config)
}

#[test]
fn fuel_stops_an_infinite_loop() {
    let engine = fuel_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, LOOPS);
    let spin = inst.get_typed_func::<(), ()>(&store, "spin").unwrap();
    store.set_fuel(1_000_000).unwrap();
    let err = spin.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::OutOfFuel));
    assert_eq!(err.to_string(), "all fuel consumed");
    assert_eq!(store.get_fuel().unwrap(), 0);
    // No fuel at all: traps right away.
    assert_eq!(trap_of(spin.call(&mut store, ())), TrapCode::OutOfFuel);
}

#[test]
fn fuel_consumption_grows_with_work() {
    let engine = fuel_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, LOOPS);
    let count = inst.get_typed_func::<i32, i32>(&store, "count").unwrap();
    let mut used = |n: i32| {
        store.set_fuel(u64::MAX).unwrap();
        assert_eq!(count.call(&mut store, n).unwrap(), n);
        u64::MAX - store.get_fuel().unwrap()
    };
    let (u0, u1, u2, u4) = (used(0), used(1000), used(2000), used(4000));
    assert!(u0 > 0, "even an empty run costs fuel");
    assert!(u0 < u1 && u1 < u2 && u2 < u4, "{u0} {u1} {u2} {u4}");
    // Linear in the iteration count: the same cost per iteration.
    assert_eq!(u2 - u1, u1 - u0);
    assert_eq!(u4 - u2, 2 * (u2 - u1));
    assert!((u1 - u0) >= 1000, "at least one unit per iteration");
    // Deterministic.
    assert_eq!(used(1000), u1);

    // Exactly enough fuel succeeds, one less traps.
    store.set_fuel(u1).unwrap();
    assert_eq!(count.call(&mut store, 1000).unwrap(), 1000);
    assert_eq!(store.get_fuel().unwrap(), 0);
    store.set_fuel(u1 - 1).unwrap();
    assert_eq!(trap_of(count.call(&mut store, 1000)), TrapCode::OutOfFuel);
}

#[test]
fn fuel_set_get_round_trip() {
    let engine = fuel_engine();
    let mut store = Store::new(&engine, ());
    assert_eq!(store.get_fuel().unwrap(), 0);
    for f in [0, 1, 12345, u64::MAX] {
        store.set_fuel(f).unwrap();
        assert_eq!(store.get_fuel().unwrap(), f);
    }
}

#[test]
fn fuel_disabled_is_an_error() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
    // And guests run unmetered.
    let inst = instantiate(&engine, &mut store, LOOPS);
    let count = inst.get_typed_func::<i32, i32>(&store, "count").unwrap();
    assert_eq!(count.call(&mut store, 100_000).unwrap(), 100_000);
}

// ---------------------------------------------------------------------------
// Interruption
// ---------------------------------------------------------------------------

fn interruptible_engine() -> Engine {
    let mut config = Config::default();
    config.interruptible(true);
    Engine::new(&config)
}

/// Calls `name` on a fresh instance of `wat` and interrupts it from another
/// thread after 50 ms; returns the trap and how long the call ran.
fn interrupt_after_50ms(wat: &str, name: &str) -> (TrapCode, Duration) {
    let engine = interruptible_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, wat);
    let f = inst.get_typed_func::<(), ()>(&store, name).unwrap();
    let handle = store.interrupt_handle();
    let t = Instant::now();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    let r = f.call(&mut store, ());
    let elapsed = t.elapsed();
    stopper.join().unwrap();
    (trap_of(r), elapsed)
}

#[test]
fn interrupt_stops_an_infinite_loop() {
    let (code, elapsed) = interrupt_after_50ms(LOOPS, "spin");
    assert_eq!(code, TrapCode::Interrupted);
    assert!(elapsed >= Duration::from_millis(40), "{elapsed:?}");
}

#[test]
fn interrupt_stops_an_infinite_recursion() {
    // Depth stays small (at most 64) but the call tree never ends: only the
    // checks at function entries can stop it (there is no loop).
    let wat = r#"(module
        (func $tree (param i32)
            (if (i32.eqz (local.get 0)) (then (return)))
            (call $tree (i32.sub (local.get 0) (i32.const 1)))
            (call $tree (i32.sub (local.get 0) (i32.const 1))))
        (func (export "run") (call $tree (i32.const 64))))"#;
    let (code, _) = interrupt_after_50ms(wat, "run");
    assert_eq!(code, TrapCode::Interrupted);
}

#[test]
fn interrupted_store_runs_again() {
    let engine = interruptible_engine();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&engine, &mut store, LOOPS);
    let count = inst.get_typed_func::<i32, i32>(&store, "count").unwrap();
    store.interrupt_handle().interrupt();
    assert_eq!(trap_of(count.call(&mut store, 10)), TrapCode::Interrupted);
    // The request was consumed by that trap.
    assert_eq!(count.call(&mut store, 10).unwrap(), 10);
}

/// Loops of the shapes of the native loops (a reduction, a rotation, a byte
/// scan; see README "Native loops") stop like any loop when the engine is
/// interruptible: its loops start with the interrupt check, which no native
/// loop's shape matches. Each never ends (a step of 0; the scan's byte stays
/// in the class).
#[test]
fn interrupt_stops_native_loop_shapes() {
    let wat = r#"(module (memory 1)
        (func (export "reduce") (local $i i32) (local $s i64)
          (loop $l
            (local.set $s (i64.add (i64.load8_u (local.get $i)) (local.get $s)))
            (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 0))) (i32.const 1)))))
        (func (export "rotate") (local $a i64) (local $b i64) (local $t i64) (local $i i32)
          (loop $l
            (local.set $t (i64.add (local.get $a) (local.get $b)))
            (local.set $a (local.get $b))
            (local.set $b (local.get $t))
            (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 0))) (i32.const 1)))))
        (func (export "scan") (local $i i32) (local $c i32) (local $x i32) (local $p i32)
          (block $stop
            (loop $l
              (local.set $c (i32.load8_u (i32.add (local.get $i) (i32.const 0))))
              (br_if $stop (i32.gt_u (local.tee $x (i32.sub (local.get $c) (i32.const 9))) (i32.const 23)))
              (br_if $stop (i32.eqz (i32.and (i32.shl (i32.const 1) (local.get $x)) (i32.const 8388627))))
              (i32.store offset=100 (local.get $p) (local.tee $i (i32.add (local.get $i) (i32.const 0))))
              (br_if $l (i32.ne (i32.const 1) (local.get $i)))))))"#;
    for name in ["reduce", "rotate"] {
        let (code, _) = interrupt_after_50ms(wat, name);
        assert_eq!(code, TrapCode::Interrupted, "{name}");
    }
    // The scan needs a byte in its class at address 0 (a tab: 9 - 9 = 0).
    let wat = wat.replace("(memory 1)", "(memory 1) (data (i32.const 0) \"\\09\")");
    let (code, _) = interrupt_after_50ms(&wat, "scan");
    assert_eq!(code, TrapCode::Interrupted, "scan");
}
