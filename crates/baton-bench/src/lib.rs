//! Side-by-side benchmark harness: one small embedding trait ([`Wasm`]) with an
//! implementation for Baton, wasmi and wasm3, plus helpers to find corpus files.
//!
//! The criterion driver lives in `benches/engines.rs`; this library only knows
//! how to instantiate a module, look up a typed export, call it, and touch the
//! linear memory, the same way on every engine, so each workload is written once.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

/// Root of the shared corpus (`<workspace>/../shared/corpus`).
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// A file of the shared corpus, or `None` (with a printed note) if it is missing.
pub fn corpus_file(rel: &str) -> Option<PathBuf> {
    let p = corpus_dir().join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("note: corpus file {rel} not found under {}; skipping its workloads", corpus_dir().display());
        None
    }
}

/// A vendored `.wat` file of this crate (`crates/baton-bench/wat/`), as wasm binary.
pub fn vendored_wat(name: &str) -> Result<Vec<u8>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("wat").join(name);
    let text = std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    wat::parse_str(&text).with_context(|| format!("parsing {}", p.display()))
}

/// `BATON_BENCH_QUICK=1`: shrink inputs and measurement time to validate the harness.
pub fn quick() -> bool {
    std::env::var("BATON_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Engines selected with `BATON_BENCH_ENGINES=baton,wasmi,wasm3` (default: all).
pub fn engine_enabled(name: &str) -> bool {
    match std::env::var("BATON_BENCH_ENGINES") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|e| e.trim() == name),
        _ => true,
    }
}

/// Scripted `env.clock_ms` for CoreMark.
///
/// CoreMark calibrates its iteration count on the clock: it runs 10, 100, ...
/// iterations until one second has passed, then `10 * (1 + 10 / secs)` more and
/// checks that those took at least 10 s. Feeding it a scripted clock instead of
/// the wall clock fixes the amount of work per `run()` call, so the wall time of
/// `run()` measures the engine: the first timed pair reads `calib_ms` apart
/// (ending the calibration after 10 iterations) and every later pair 10 s
/// apart (so the score passes its own 10 s check). With `calib_ms = 1000`,
/// one `run()` performs 10 + 110 = 120 CoreMark iterations.
#[derive(Clone)]
pub struct Clock {
    calls: Arc<AtomicU64>,
    calib_ms: i64,
}

impl Clock {
    pub fn new(calib_ms: i64) -> Self {
        Clock { calls: Arc::new(AtomicU64::new(0)), calib_ms }
    }
    /// Restart the script (before each `run()`).
    pub fn reset(&self) {
        self.calls.store(0, Ordering::Relaxed);
    }
    /// Next reading in milliseconds.
    pub fn next_ms(&self) -> i64 {
        let n = self.calls.fetch_add(1, Ordering::Relaxed) as i64;
        match n {
            0 => 0,
            1 | 2 => self.calib_ms,
            _ => self.calib_ms + (n - 2) * 10_000,
        }
    }
    /// Number of CoreMark iterations one `run()` performs with this script.
    pub fn coremark_iterations(&self) -> u64 {
        let secs = (self.calib_ms / 1000).max(1) as u64;
        10 + 10 * (1 + 10 / secs)
    }
}

/// Parameter shapes a benchmark passes to a typed export.
pub trait Args: baton::WasmParams + wasmi::WasmParams + wasm3::WasmArgs + Copy + 'static {
    /// Call a wasm3 function of this parameter shape.
    fn call_wasm3<R: wasm3::WasmType>(f: &wasm3::Function<'_, Self, R>, args: Self) -> wasm3::error::Result<R>;
}

impl Args for () {
    fn call_wasm3<R: wasm3::WasmType>(f: &wasm3::Function<'_, Self, R>, _: Self) -> wasm3::error::Result<R> {
        f.call()
    }
}

macro_rules! single_args {
    ($($t:ty),*) => {$(
        impl Args for $t {
            fn call_wasm3<R: wasm3::WasmType>(f: &wasm3::Function<'_, Self, R>, a: Self) -> wasm3::error::Result<R> {
                f.call(a)
            }
        }
    )*};
}
single_args!(i32, i64, f32, f64);

impl Args for (i32, i32, i32) {
    fn call_wasm3<R: wasm3::WasmType>(f: &wasm3::Function<'_, Self, R>, a: Self) -> wasm3::error::Result<R> {
        f.call(a.0, a.1, a.2)
    }
}
impl Args for (i32, i32, i32, i32) {
    fn call_wasm3<R: wasm3::WasmType>(f: &wasm3::Function<'_, Self, R>, a: Self) -> wasm3::error::Result<R> {
        f.call(a.0, a.1, a.2, a.3)
    }
}

/// Result shapes (none or one value: wasm3 0.4 returns at most one).
pub trait Rets: baton::WasmResults + wasmi::WasmResults + wasm3::WasmType + 'static {}
impl<T: baton::WasmResults + wasmi::WasmResults + wasm3::WasmType + 'static> Rets for T {}

/// The embedding operations a workload needs, implemented once per engine.
pub trait Wasm: Sized {
    /// Name used as criterion function id (`baton`, `wasmi`, `wasm3`).
    const NAME: &'static str;
    /// A typed export handle.
    type Func<P: Args, R: Rets>;
    /// A compilation context (engine) for translation benchmarks.
    type Engine;

    /// Compile and instantiate `wasm` with the engine's default configuration,
    /// providing `env.clock_ms: () -> i64` from `clock` if the module imports it.
    fn instantiate(wasm: &[u8], clock: &Clock) -> Result<Self>;
    /// Look up a typed export.
    fn func<P: Args, R: Rets>(&mut self, name: &str) -> Result<Self::Func<P, R>>;
    /// Call a typed export of this instance.
    fn call<P: Args, R: Rets>(&mut self, f: &Self::Func<P, R>, args: P) -> Result<R>;
    /// Grow the exported memory `mem` by `pages`.
    fn memory_grow(&mut self, mem: &str, pages: u32) -> Result<()>;
    /// Write `bytes` at `offset` of the exported memory `mem`.
    fn memory_write(&mut self, mem: &str, offset: usize, bytes: &[u8]) -> Result<()>;
    /// Read `len` bytes at `offset` of the exported memory `mem`.
    fn memory_read(&mut self, mem: &str, offset: usize, len: usize) -> Result<Vec<u8>>;

    /// An engine configured for eager or lazy translation; `None` if the engine
    /// has no such mode.
    fn engine(lazy: bool) -> Result<Option<Self::Engine>>;
    /// Module bytes to a ready-to-run instance (imports stubbed with functions
    /// that fail if called). Returns the time of that, excluding drops.
    fn translate(engine: &Self::Engine, wasm: &[u8]) -> Result<Duration>;
}

// ---------------------------------------------------------------------------
// Baton
// ---------------------------------------------------------------------------

/// Baton with its default configuration.
pub struct Baton {
    store: baton::Store<()>,
    instance: baton::Instance,
}

fn baton_err(e: baton::Error) -> anyhow::Error {
    anyhow!("baton: {e}")
}

impl Baton {
    fn memory(&self, mem: &str) -> Result<baton::Memory> {
        self.instance.get_memory(&self.store, mem).ok_or_else(|| anyhow!("no memory export {mem:?}"))
    }
}

impl Wasm for Baton {
    const NAME: &'static str = "baton";
    type Func<P: Args, R: Rets> = baton::TypedFunc<P, R>;
    type Engine = baton::Engine;

    fn instantiate(wasm: &[u8], clock: &Clock) -> Result<Self> {
        let engine = baton::Engine::default();
        let module = baton::Module::new(&engine, wasm).map_err(baton_err)?;
        let mut store = baton::Store::new(&engine, ());
        let mut linker = baton::Linker::new(&engine);
        let clock = clock.clone();
        linker.func_wrap("env", "clock_ms", move || clock.next_ms()).map_err(baton_err)?;
        let instance = linker.instantiate(&mut store, &module).map_err(baton_err)?;
        Ok(Baton { store, instance })
    }
    fn func<P: Args, R: Rets>(&mut self, name: &str) -> Result<Self::Func<P, R>> {
        self.instance.get_typed_func::<P, R>(&self.store, name).map_err(baton_err)
    }
    fn call<P: Args, R: Rets>(&mut self, f: &Self::Func<P, R>, args: P) -> Result<R> {
        f.call(&mut self.store, args).map_err(baton_err)
    }
    fn memory_grow(&mut self, mem: &str, pages: u32) -> Result<()> {
        let m = self.memory(mem)?;
        m.grow(&mut self.store, pages).map_err(baton_err)?;
        Ok(())
    }
    fn memory_write(&mut self, mem: &str, offset: usize, bytes: &[u8]) -> Result<()> {
        let m = self.memory(mem)?;
        m.write(&mut self.store, offset, bytes).map_err(|_| anyhow!("baton: memory write out of bounds"))
    }
    fn memory_read(&mut self, mem: &str, offset: usize, len: usize) -> Result<Vec<u8>> {
        let m = self.memory(mem)?;
        let mut buf = vec![0; len];
        m.read(&self.store, offset, &mut buf).map_err(|_| anyhow!("baton: memory read out of bounds"))?;
        Ok(buf)
    }
    fn engine(lazy: bool) -> Result<Option<Self::Engine>> {
        let mut config = baton::Config::default();
        config.lazy_translation(lazy);
        Ok(Some(baton::Engine::new(&config)))
    }
    fn translate(engine: &Self::Engine, wasm: &[u8]) -> Result<Duration> {
        let start = Instant::now();
        let module = baton::Module::new(engine, wasm).map_err(baton_err)?;
        let mut store = baton::Store::new(engine, ());
        let mut linker = baton::Linker::<()>::new(engine);
        for import in module.imports() {
            match import.ty() {
                baton::ExternType::Func(ty) => {
                    linker
                        .func_new(import.module(), import.name(), ty.clone(), |_, _, _| {
                            Err(baton::Error::host("stub import called"))
                        })
                        .map_err(baton_err)?;
                }
                other => bail!("baton: cannot stub import {other:?}"),
            }
        }
        let instance = linker.instantiate(&mut store, &module).map_err(baton_err)?;
        let elapsed = start.elapsed();
        drop((instance, store, module));
        Ok(elapsed)
    }
}

// ---------------------------------------------------------------------------
// wasmi
// ---------------------------------------------------------------------------

/// wasmi with its default configuration.
pub struct Wasmi {
    store: wasmi::Store<()>,
    instance: wasmi::Instance,
}

fn wasmi_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("wasmi: {e}")
}

impl Wasmi {
    fn memory(&self, mem: &str) -> Result<wasmi::Memory> {
        self.instance.get_memory(&self.store, mem).ok_or_else(|| anyhow!("no memory export {mem:?}"))
    }
}

impl Wasm for Wasmi {
    const NAME: &'static str = "wasmi";
    type Func<P: Args, R: Rets> = wasmi::TypedFunc<P, R>;
    type Engine = wasmi::Engine;

    fn instantiate(wasm: &[u8], clock: &Clock) -> Result<Self> {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, wasm).map_err(wasmi_err)?;
        let mut store = wasmi::Store::new(&engine, ());
        let mut linker = wasmi::Linker::<()>::new(&engine);
        let clock = clock.clone();
        linker.func_wrap("env", "clock_ms", move || clock.next_ms()).map_err(wasmi_err)?;
        let instance = linker.instantiate_and_start(&mut store, &module).map_err(wasmi_err)?;
        Ok(Wasmi { store, instance })
    }
    fn func<P: Args, R: Rets>(&mut self, name: &str) -> Result<Self::Func<P, R>> {
        self.instance.get_typed_func::<P, R>(&self.store, name).map_err(wasmi_err)
    }
    fn call<P: Args, R: Rets>(&mut self, f: &Self::Func<P, R>, args: P) -> Result<R> {
        f.call(&mut self.store, args).map_err(wasmi_err)
    }
    fn memory_grow(&mut self, mem: &str, pages: u32) -> Result<()> {
        let m = self.memory(mem)?;
        m.grow(&mut self.store, u64::from(pages)).map_err(wasmi_err)?;
        Ok(())
    }
    fn memory_write(&mut self, mem: &str, offset: usize, bytes: &[u8]) -> Result<()> {
        let m = self.memory(mem)?;
        m.write(&mut self.store, offset, bytes).map_err(wasmi_err)
    }
    fn memory_read(&mut self, mem: &str, offset: usize, len: usize) -> Result<Vec<u8>> {
        let m = self.memory(mem)?;
        let mut buf = vec![0; len];
        m.read(&self.store, offset, &mut buf).map_err(wasmi_err)?;
        Ok(buf)
    }
    fn engine(lazy: bool) -> Result<Option<Self::Engine>> {
        let mut config = wasmi::Config::default();
        // Lazy: wasmi's default mode (eager validation, translation on first
        // call), the same contract as Baton's lazy translation.
        config.compilation_mode(if lazy {
            wasmi::CompilationMode::LazyTranslation
        } else {
            wasmi::CompilationMode::Eager
        });
        Ok(Some(wasmi::Engine::new(&config)))
    }
    fn translate(engine: &Self::Engine, wasm: &[u8]) -> Result<Duration> {
        let start = Instant::now();
        let module = wasmi::Module::new(engine, wasm).map_err(wasmi_err)?;
        let mut store = wasmi::Store::new(engine, ());
        let mut linker = wasmi::Linker::<()>::new(engine);
        for import in module.imports() {
            match import.ty() {
                wasmi::ExternType::Func(ty) => {
                    linker
                        .func_new(import.module(), import.name(), ty.clone(), |_, _, _| {
                            Err(wasmi::Error::new("stub import called"))
                        })
                        .map_err(wasmi_err)?;
                }
                other => bail!("wasmi: cannot stub import {other:?}"),
            }
        }
        let instance = linker.instantiate_and_start(&mut store, &module).map_err(wasmi_err)?;
        let elapsed = start.elapsed();
        drop((instance, store, module));
        Ok(elapsed)
    }
}

/// wasmi's fully lazy mode (`CompilationMode::Lazy`: validation deferred too),
/// reported beside the other engines in the lazy translation groups.
pub struct WasmiLazyUnchecked;

impl WasmiLazyUnchecked {
    pub const NAME: &'static str = "wasmi-lazy-unchecked";
    pub fn engine() -> wasmi::Engine {
        let mut config = wasmi::Config::default();
        config.compilation_mode(wasmi::CompilationMode::Lazy);
        wasmi::Engine::new(&config)
    }
}

// ---------------------------------------------------------------------------
// wasm3
// ---------------------------------------------------------------------------

/// Stack given to each wasm3 runtime, in bytes.
const WASM3_STACK: u32 = 4 << 20;

/// wasm3 (C sources through the `wasm3` crate). Its compiler is lazy: a
/// function is compiled on its first call.
pub struct Wasm3 {
    // Boxed so that its address, which `Wasm3Func` handles refer to, is stable.
    rt: Box<wasm3::Runtime>,
}

/// A wasm3 function handle. The `'static` is a lie told to the borrow checker;
/// [`Wasm3::call`] checks that the handle belongs to the runtime it is called on,
/// which is alive for the duration of the call.
pub struct Wasm3Func<P, R> {
    func: wasm3::Function<'static, P, R>,
    rt: *const wasm3::Runtime,
}

fn w3_err(e: wasm3::error::Error) -> anyhow::Error {
    anyhow!("wasm3: {e}")
}

impl Wasm3 {
    fn memory_slice(&mut self) -> &mut [u8] {
        // SAFETY: the runtime is alive and owned by `self`; we hold `&mut self`,
        // so no wasm code runs and nothing else refers to the memory while the
        // slice lives. wasm3 returns a (possibly empty) valid slice.
        unsafe { &mut *self.rt.memory_mut() }
    }
}

impl Wasm for Wasm3 {
    const NAME: &'static str = "wasm3";
    type Func<P: Args, R: Rets> = Wasm3Func<P, R>;
    type Engine = wasm3::Environment;

    fn instantiate(wasm: &[u8], clock: &Clock) -> Result<Self> {
        let env = wasm3::Environment::new().map_err(w3_err)?;
        let rt = Box::new(env.create_runtime(WASM3_STACK).map_err(w3_err)?);
        {
            let mut module = rt.parse_and_load_module(wasm.to_vec()).map_err(w3_err)?;
            let clock = clock.clone();
            match module.link_closure::<(), i64, _>("env", "clock_ms", move |_, ()| Ok(clock.next_ms())) {
                Ok(()) | Err(wasm3::error::Error::FunctionNotFound) => {}
                Err(e) => return Err(w3_err(e)),
            }
        }
        Ok(Wasm3 { rt })
    }
    fn func<P: Args, R: Rets>(&mut self, name: &str) -> Result<Self::Func<P, R>> {
        let func = self.rt.find_function::<P, R>(name).map_err(w3_err)?;
        // SAFETY: only the lifetime changes. The handle records the runtime's
        // address and `call` refuses it on any other runtime, so it is only
        // used while `self.rt` (boxed, never moved out) is alive.
        let func: wasm3::Function<'static, P, R> = unsafe { std::mem::transmute(func) };
        Ok(Wasm3Func { func, rt: &*self.rt })
    }
    fn call<P: Args, R: Rets>(&mut self, f: &Self::Func<P, R>, args: P) -> Result<R> {
        if !std::ptr::eq(f.rt, &*self.rt) {
            bail!("wasm3: function handle used on another runtime");
        }
        P::call_wasm3(&f.func, args).map_err(w3_err)
    }
    fn memory_grow(&mut self, _mem: &str, pages: u32) -> Result<()> {
        let now = self.memory_slice().len() / baton::PAGE_SIZE;
        self.rt.resize_memory(now as u32 + pages).map_err(w3_err)
    }
    fn memory_write(&mut self, _mem: &str, offset: usize, bytes: &[u8]) -> Result<()> {
        let mem = self.memory_slice();
        let dst = offset
            .checked_add(bytes.len())
            .and_then(|end| mem.get_mut(offset..end))
            .ok_or_else(|| anyhow!("wasm3: memory write out of bounds"))?;
        dst.copy_from_slice(bytes);
        Ok(())
    }
    fn memory_read(&mut self, _mem: &str, offset: usize, len: usize) -> Result<Vec<u8>> {
        let mem = self.memory_slice();
        offset
            .checked_add(len)
            .and_then(|end| mem.get(offset..end))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| anyhow!("wasm3: memory read out of bounds"))
    }
    fn engine(lazy: bool) -> Result<Option<Self::Engine>> {
        if !lazy {
            return Ok(None);
        }
        Ok(Some(wasm3::Environment::new().map_err(w3_err)?))
    }
    fn translate(engine: &Self::Engine, wasm: &[u8]) -> Result<Duration> {
        // wasm3 keeps the module bytes alive itself; the copy is part of its cost.
        let start = Instant::now();
        let rt = engine.create_runtime(WASM3_STACK).map_err(w3_err)?;
        rt.parse_and_load_module(wasm.to_vec()).map_err(w3_err)?;
        let elapsed = start.elapsed();
        drop(rt);
        Ok(elapsed)
    }
}
