//! `cargo bench -p baton-bench`: the same workloads on Baton, wasmi and wasm3,
//! one criterion group per workload with one function per engine, so the
//! medians of a group are directly comparable.
//!
//! Each timed iteration covers only the measured call (setup, input copying,
//! teardown and result checks run outside the clock, through `iter_custom`).
//! Every engine runs one checked iteration before measuring; an engine that
//! fails it (unsupported feature, Baton's "not yet" stub, wrong result) is
//! skipped in that group with a printed note instead of aborting the run.
//!
//! After criterion has measured a group, a paired pass (see [`paired`]) runs
//! the same runners again, the engines taking turns sample by sample, and
//! records the median per-round ratios; `scripts/bench-table.py` shows both.
//!
//! Environment: `BATON_BENCH_QUICK=1` shrinks inputs and measurement time;
//! `BATON_BENCH_ENGINES=wasmi,wasm3` restricts the engines;
//! `BATON_BENCH_PAIRED=0` skips the paired pass, `BATON_BENCH_PAIRED_ONLY=1`
//! runs only it and adds to the last run's results. A positional
//! regex (`cargo bench -p baton-bench -- 'fib|rust/'`) restricts the groups.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use baton_bench::{
    corpus_file, engine_enabled, quick, vendored_wat, Args, Baton, Clock, Rets, Wasm, Wasm3, Wasmi, WasmiLazyUnchecked,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode};

/// One timed iteration; returns the measured time.
type Runner = Box<dyn FnMut() -> Result<Duration>>;

/// A workload: prepares a runner for any engine (instantiating, checking one run).
trait Workload {
    fn id(&self) -> String;
    fn prepare<E: Wasm + 'static>(&self) -> Result<Runner>;
}

/// Object-safe memory access, for workload hooks.
trait Mem {
    fn grow(&mut self, pages: u32) -> Result<()>;
    fn write(&mut self, offset: usize, bytes: &[u8]) -> Result<()>;
    fn read(&mut self, offset: usize, len: usize) -> Result<Vec<u8>>;
}

/// A `Mem` over an engine instance and the name of its exported memory.
struct MemOf<'a, E>(&'a mut E, &'a str);

impl<E: Wasm> Mem for MemOf<'_, E> {
    fn grow(&mut self, pages: u32) -> Result<()> {
        self.0.memory_grow(self.1, pages)
    }
    fn write(&mut self, offset: usize, bytes: &[u8]) -> Result<()> {
        self.0.memory_write(self.1, offset, bytes)
    }
    fn read(&mut self, offset: usize, len: usize) -> Result<Vec<u8>> {
        self.0.memory_read(self.1, offset, len)
    }
}

/// Where a module comes from.
#[derive(Clone, Copy)]
enum Src {
    /// `crates/baton-bench/wat/<name>`.
    Vendored(&'static str),
    /// A file of the shared corpus (binary or text).
    Corpus(&'static str),
}

impl Src {
    fn load(self) -> Result<Vec<u8>> {
        match self {
            Src::Vendored(name) => vendored_wat(name),
            Src::Corpus(rel) => {
                let path = corpus_file(rel).ok_or_else(|| anyhow!("corpus file {rel} missing"))?;
                let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                if rel.ends_with(".wat") {
                    Ok(wat::parse_bytes(&bytes)?.into_owned())
                } else {
                    Ok(bytes)
                }
            }
        }
    }
    fn available(self) -> bool {
        match self {
            Src::Vendored(_) => true,
            Src::Corpus(rel) => corpus_file(rel).is_some(),
        }
    }
}

type Hook = fn(&mut dyn Mem) -> Result<()>;

/// One call of an export per iteration, with an optional expected result and
/// optional memory preparation (before instantiating's first call) and check.
struct Call<P, R> {
    id: &'static str,
    src: Src,
    export: &'static str,
    args: P,
    expect: Option<R>,
    mem: &'static str,
    prepare: Option<Hook>,
    check: Option<Hook>,
}

impl<P: Args, R: Rets + PartialEq + Debug + Clone> Workload for Call<P, R> {
    fn id(&self) -> String {
        self.id.to_string()
    }
    fn prepare<E: Wasm + 'static>(&self) -> Result<Runner> {
        let wasm = self.src.load()?;
        let mut inst = E::instantiate(&wasm, &Clock::new(1000))?;
        if let Some(hook) = self.prepare {
            hook(&mut MemOf(&mut inst, self.mem))?;
        }
        let f = inst.func::<P, R>(self.export)?;
        let got = inst.call(&f, self.args)?;
        if let Some(want) = &self.expect {
            ensure!(&got == want, "{}: got {got:?}, expected {want:?}", self.export);
        }
        if let Some(hook) = self.check {
            hook(&mut MemOf(&mut inst, self.mem))?;
        }
        let args = self.args;
        Ok(Box::new(move || {
            let start = Instant::now();
            let r = inst.call(&f, args)?;
            let elapsed = start.elapsed();
            std::hint::black_box(r);
            Ok(elapsed)
        }))
    }
}

/// `br_table(k)` for k in 0..16, `reps` times (host-to-wasm calls of a small body).
struct BrTable {
    reps: u32,
}

impl Workload for BrTable {
    fn id(&self) -> String {
        "br_table".into()
    }
    fn prepare<E: Wasm + 'static>(&self) -> Result<Runner> {
        let wasm = Src::Vendored("br_table.wat").load()?;
        let mut inst = E::instantiate(&wasm, &Clock::new(1000))?;
        let f = inst.func::<i32, i32>("br_table")?;
        for k in 0..16 {
            let got = inst.call(&f, k)?;
            ensure!(got == -10 * (k + 1), "br_table({k}) = {got}");
        }
        let reps = self.reps;
        Ok(Box::new(move || {
            let start = Instant::now();
            for _ in 0..reps {
                for k in 0..16 {
                    std::hint::black_box(inst.call(&f, std::hint::black_box(k))?);
                }
            }
            Ok(start.elapsed())
        }))
    }
}

/// CoreMark (minimal build) with a scripted clock: a fixed number of CoreMark
/// iterations per `run()` (see [`Clock`]).
struct CoreMark {
    calib_ms: i64,
}

impl Workload for CoreMark {
    fn id(&self) -> String {
        "coremark".into()
    }
    fn prepare<E: Wasm + 'static>(&self) -> Result<Runner> {
        let wasm = Src::Corpus("bench/coremark/coremark-minimal.wasm").load()?;
        let clock = Clock::new(self.calib_ms);
        let mut inst = E::instantiate(&wasm, &clock)?;
        let f = inst.func::<(), f32>("run")?;
        let score = inst.call(&f, ())?;
        // With the scripted clock the score is iterations / 10 s; a value <= 0
        // (or NaN) is CoreMark's own failure report (CRC mismatch, too short).
        let want = (clock.coremark_iterations() - 10) as f32 / 10.0;
        ensure!(score > 0.0, "coremark run() reported failure: {score}");
        if (score - want).abs() > 0.01 * want {
            eprintln!("note: coremark/{}: score {score} (expected {want} with the scripted clock)", E::NAME);
        }
        Ok(Box::new(move || {
            clock.reset();
            let start = Instant::now();
            let r = inst.call(&f, ())?;
            let elapsed = start.elapsed();
            if r <= 0.0 {
                bail!("coremark run() reported failure: {r}");
            }
            Ok(elapsed)
        }))
    }
}

/// The argument of a Rust benchmark's `setup`.
#[derive(Clone, Copy)]
enum SetupArg {
    None,
    I32(i32),
    I64(i64),
}

/// A result check of a Rust benchmark (after the first run, before teardown).
#[derive(Clone, Copy)]
enum Check {
    I64(&'static str, i64),
    I32(&'static str, i32),
    F64(&'static str, f64),
    /// `memory[output_ptr(ptr) ..]` equals the file (relative to the corpus).
    Output(&'static str, &'static str),
}

/// A program of `bench/rust-benchmarks/cases` (setup -> run -> teardown).
struct RustCase {
    name: &'static str,
    setup: SetupArg,
    /// Corpus file written at `input_ptr(ptr)` after setup (its length is the setup argument).
    input: Option<&'static str>,
    /// Checked once, only when the setup argument is the canonical one of RUNSPECS.
    checks: Vec<Check>,
}

impl Workload for RustCase {
    fn id(&self) -> String {
        format!("rust/{}", self.name)
    }
    fn prepare<E: Wasm + 'static>(&self) -> Result<Runner> {
        let rel = format!("bench/rust-benchmarks/cases/{}/out.wasm", self.name);
        let path = corpus_file(&rel).ok_or_else(|| anyhow!("{rel} missing"))?;
        let wasm = std::fs::read(path)?;
        let input = match self.input {
            Some(rel) => {
                let p = corpus_file(rel).ok_or_else(|| anyhow!("{rel} missing"))?;
                Some(std::fs::read(p)?)
            }
            None => None,
        };
        let mut inst = E::instantiate(&wasm, &Clock::new(1000))?;
        let setup_none = matches!(self.setup, SetupArg::None).then(|| inst.func::<(), i32>("setup")).transpose()?;
        let setup_i32 = matches!(self.setup, SetupArg::I32(_)).then(|| inst.func::<i32, i32>("setup")).transpose()?;
        let setup_i64 = matches!(self.setup, SetupArg::I64(_)).then(|| inst.func::<i64, i32>("setup")).transpose()?;
        let input_ptr = input.is_some().then(|| inst.func::<i32, i32>("input_ptr")).transpose()?;
        let run = inst.func::<i32, ()>("run")?;
        let teardown = inst.func::<i32, ()>("teardown")?;
        let setup_arg = self.setup;
        // Everything but `run` is untimed.
        let setup = move |inst: &mut E| -> Result<i32> {
            let ptr = match (setup_arg, &setup_none, &setup_i32, &setup_i64) {
                (SetupArg::None, Some(f), _, _) => inst.call(f, ())?,
                (SetupArg::I32(a), _, Some(f), _) => inst.call(f, a)?,
                (SetupArg::I64(a), _, _, Some(f)) => inst.call(f, a)?,
                _ => bail!("setup signature mismatch"),
            };
            if let (Some(data), Some(f)) = (&input, &input_ptr) {
                let at = inst.call(f, ptr)?;
                inst.memory_write("memory", at as u32 as usize, data)?;
            }
            Ok(ptr)
        };
        // First run, checked.
        let ptr = setup(&mut inst)?;
        inst.call(&run, ptr)?;
        for check in &self.checks {
            match *check {
                Check::I64(name, want) => {
                    let f = inst.func::<i32, i64>(name)?;
                    let got = inst.call(&f, ptr)?;
                    ensure!(got == want, "{name}: got {got}, expected {want}");
                }
                Check::I32(name, want) => {
                    let f = inst.func::<i32, i32>(name)?;
                    let got = inst.call(&f, ptr)?;
                    ensure!(got == want, "{name}: got {got}, expected {want}");
                }
                Check::F64(name, want) => {
                    let f = inst.func::<i32, f64>(name)?;
                    let got = inst.call(&f, ptr)?;
                    ensure!(got == want, "{name}: got {got}, expected {want}");
                }
                Check::Output(name, file) => {
                    let want = std::fs::read(corpus_file(file).ok_or_else(|| anyhow!("{file} missing"))?)?;
                    let f = inst.func::<i32, i32>(name)?;
                    let at = inst.call(&f, ptr)?;
                    let got = inst.memory_read("memory", at as u32 as usize, want.len())?;
                    ensure!(got == want, "{name}: output differs from {file}");
                }
            }
        }
        inst.call(&teardown, ptr)?;
        Ok(Box::new(move || {
            let ptr = setup(&mut inst)?;
            let start = Instant::now();
            inst.call(&run, ptr)?;
            let elapsed = start.elapsed();
            inst.call(&teardown, ptr)?;
            Ok(elapsed)
        }))
    }
}

/// Module bytes to a ready-to-run instance.
struct Translate {
    name: &'static str,
    src: Src,
    lazy: bool,
}

impl Translate {
    fn id(&self) -> String {
        format!("translate-{}/{}", if self.lazy { "lazy" } else { "eager" }, self.name)
    }
}

fn translate_runner<E: Wasm + 'static>(t: &Translate) -> Result<Option<Runner>> {
    let Some(engine) = E::engine(t.lazy)? else { return Ok(None) };
    let wasm = t.src.load()?;
    E::translate(&engine, &wasm)?;
    Ok(Some(Box::new(move || E::translate(&engine, &wasm))))
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

/// Group filter from the command line (criterion's own filter still applies).
fn selected(id: &str) -> bool {
    // Criterion takes one positional regex; alternatives `a|b` are honoured here
    // as plain substrings, so unselected groups are not even instantiated.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .flat_map(|a| a.split('|').map(str::to_string).collect::<Vec<_>>())
        .collect();
    filters.is_empty() || filters.iter().any(|f| id.contains(f.as_str()))
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    if quick() {
        g.warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_millis(300));
    } else {
        g.warm_up_time(Duration::from_millis(1000)).measurement_time(Duration::from_secs(3));
    }
}

fn measure(g: &mut BenchmarkGroup<'_, WallTime>, group: &str, engine: &str, runner: &mut Runner) {
    g.bench_function(engine, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += run_checked(group, engine, runner);
            }
            total
        })
    });
}

/// One timed iteration of a runner that already passed its checked run.
fn run_checked(group: &str, engine: &str, runner: &mut Runner) -> Duration {
    match runner() {
        Ok(d) => d,
        // Already passed one checked run: a failure now is a bug worth stopping for.
        Err(e) => panic!("{group}/{engine}: {e:#}"),
    }
}

/// The directory criterion writes to, where the extra result files go too.
fn criterion_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("criterion")
}

/// Where skipped (group, engine, reason) lines are recorded for scripts/bench-table.py.
fn skips_file() -> std::path::PathBuf {
    criterion_dir().join("baton-bench-skips.txt")
}

/// Where the paired results (see [`paired`]) are recorded for scripts/bench-table.py.
fn paired_file() -> std::path::PathBuf {
    criterion_dir().join("baton-bench-paired.txt")
}

fn append_line(path: &std::path::Path, line: &str) {
    let _ = std::fs::create_dir_all(path.parent().unwrap_or(std::path::Path::new(".")));
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        use std::io::Write;
        let _ = writeln!(f, "{line}");
    }
}

fn skip(group: &str, engine: &str, e: &anyhow::Error) {
    let line = format!("{group}/{engine}: {e:#}");
    eprintln!("skip {line}");
    append_line(&skips_file(), &line);
}

/// The median of `xs` (not empty).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The paired pass, after criterion has measured a group: the engines take
/// turns sample by sample (`ROUNDS` rounds, the order rotating every round),
/// so a change in the machine's speed during the run (other tenants of the
/// host, frequency) hits every engine alike instead of whichever engine
/// criterion happened to be measuring. Each sample runs an engine's
/// iteration as often as fits in about 40 ms (at least once). Recorded per
/// engine: the median time per iteration and the median over the rounds of
/// the per-round ratio peer time / Baton time. `BATON_BENCH_PAIRED=0` skips it.
fn paired(group: &str, runners: &mut [(&'static str, Runner)]) {
    if std::env::var("BATON_BENCH_PAIRED").is_ok_and(|v| v == "0") || runners.len() < 2 || runners[0].0 != "baton" {
        return;
    }
    let (budget, rounds) = if quick() { (0.005, 5) } else { (0.04, 15) };
    let iters: Vec<u32> = runners
        .iter_mut()
        .map(|(name, r)| {
            let t = run_checked(group, name, r).as_secs_f64();
            (budget / t.max(1e-9)).ceil().clamp(1.0, 1e6) as u32
        })
        .collect();
    let n = runners.len();
    let mut samples = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for j in 0..n {
            let e = (round + j) % n;
            let (name, r) = &mut runners[e];
            let total: Duration = (0..iters[e]).map(|_| run_checked(group, name, r)).sum();
            samples[e].push(total.as_secs_f64() / iters[e] as f64);
        }
    }
    let mut report = format!("paired {group} ({rounds} rounds):");
    for (e, (name, _)) in runners.iter().enumerate() {
        let ratios: Vec<f64> = (0..rounds).map(|k| samples[e][k] / samples[0][k]).collect();
        let (t, ratio) = (median(samples[e].clone()), median(ratios));
        let process = std::process::id();
        append_line(&paired_file(), &format!("{group}\t{name}\t{:.1}\t{ratio:.4}\t{process}", t * 1e9));
        if e > 0 {
            report += &format!("  {name}/baton {ratio:.2}x");
        }
    }
    eprintln!("{report}");
}

/// Adds engine `name`'s runner for `group`, if preparing it worked (else
/// records why it is skipped; `Ok(None)`: the engine has no such mode).
fn add_runner(runners: &mut Vec<(&'static str, Runner)>, group: &str, name: &'static str, r: Result<Option<Runner>>) {
    match r {
        Ok(Some(r)) => runners.push((name, r)),
        Ok(None) => {}
        Err(e) => skip(group, name, &e),
    }
}

fn add<E: Wasm + 'static, W: Workload>(runners: &mut Vec<(&'static str, Runner)>, w: &W) {
    if engine_enabled(E::NAME) {
        add_runner(runners, &w.id(), E::NAME, w.prepare::<E>().map(Some));
    }
}

/// Measures the runners of one group with criterion, then in the paired pass.
/// With `BATON_BENCH_PAIRED_ONLY=1` only the paired pass runs, and its
/// results are added to the file of the previous run (a repeat in a new
/// process: see `scripts/bench-table.py`).
fn measure_group(c: &mut Criterion, id: &str, mut runners: Vec<(&'static str, Runner)>) {
    if !paired_only() {
        let mut g = c.benchmark_group(id);
        configure(&mut g);
        for (name, r) in &mut runners {
            measure(&mut g, id, name, r);
        }
        g.finish();
    }
    paired(id, &mut runners);
}

fn paired_only() -> bool {
    std::env::var("BATON_BENCH_PAIRED_ONLY").is_ok_and(|v| v == "1")
}

fn group<W: Workload>(c: &mut Criterion, w: &W) {
    let id = w.id();
    if !selected(&id) {
        return;
    }
    let mut runners = Vec::new();
    add::<Baton, W>(&mut runners, w);
    add::<Wasmi, W>(&mut runners, w);
    add::<Wasm3, W>(&mut runners, w);
    measure_group(c, &id, runners);
}

fn translate_group(c: &mut Criterion, t: &Translate) {
    let id = t.id();
    if !selected(&id) || !t.src.available() {
        return;
    }
    let mut runners: Vec<(&'static str, Runner)> = Vec::new();
    fn add<E: Wasm + 'static>(runners: &mut Vec<(&'static str, Runner)>, id: &str, t: &Translate) {
        if engine_enabled(E::NAME) {
            add_runner(runners, id, E::NAME, translate_runner::<E>(t));
        }
    }
    add::<Baton>(&mut runners, &id, t);
    add::<Wasmi>(&mut runners, &id, t);
    if t.lazy && engine_enabled("wasmi") {
        let engine = WasmiLazyUnchecked::engine();
        let runner = t
            .src
            .load()
            .and_then(|wasm| Wasmi::translate(&engine, &wasm).map(|_| wasm))
            .map(|wasm| Some(Box::new(move || Wasmi::translate(&engine, &wasm)) as Runner));
        add_runner(&mut runners, &id, WasmiLazyUnchecked::NAME, runner);
    }
    add::<Wasm3>(&mut runners, &id, t);
    measure_group(c, &id, runners);
}

/// Wrapping Fibonacci, as `fibonacci-iter.wat` computes it.
fn fib_iter(n: i64) -> i64 {
    let (mut a, mut b) = (0i64, 1i64);
    for _ in 0..n {
        let t = a.wrapping_add(b);
        a = b;
        b = t;
    }
    a
}

fn fib(n: i64) -> i64 {
    fib_iter(n)
}

/// What `calls.wat`'s `indirect` computes.
fn calls_indirect(mut n: i64) -> i64 {
    let mut acc = 0i64;
    while n != 0 {
        acc = if n & 1 == 0 { acc.wrapping_add(n) } else { (acc ^ n).wrapping_mul(3) };
        n -= 1;
    }
    acc
}

const MEM_SUM_LEN: usize = 1_000_000;
const MEM_SUM_LEN_QUICK: usize = 100_000;
const VEC_LEN: usize = 100_000;

fn mem_sum_len() -> usize {
    if quick() {
        MEM_SUM_LEN_QUICK
    } else {
        MEM_SUM_LEN
    }
}

fn mem_sum_prepare(m: &mut dyn Mem) -> Result<()> {
    let len = mem_sum_len();
    m.grow((len / baton::PAGE_SIZE) as u32)?;
    let bytes: Vec<u8> = (0..len).map(|n| (n % 256) as u8).collect();
    m.write(0, &bytes)
}

fn mem_fill_prepare(m: &mut dyn Mem) -> Result<()> {
    m.grow((mem_sum_len() / baton::PAGE_SIZE) as u32)
}

fn mem_fill_check(m: &mut dyn Mem) -> Result<()> {
    let got = m.read(0x100, mem_sum_len())?;
    ensure!(got.iter().all(|&b| b == 0x42), "memory-fill: bytes not filled");
    Ok(())
}

const VEC_RESULT: usize = 10;
const VEC_A: usize = VEC_RESULT + 8 * VEC_LEN;
const VEC_B: usize = VEC_A + 4 * VEC_LEN;

fn vec_add_prepare(m: &mut dyn Mem) -> Result<()> {
    m.grow(25)?;
    let a: Vec<u8> = (0..VEC_LEN).flat_map(|i| ((i * i) as i32).to_le_bytes()).collect();
    let b: Vec<u8> = (0..VEC_LEN).flat_map(|i| ((i * 10) as i32).to_le_bytes()).collect();
    m.write(VEC_A, &a)?;
    m.write(VEC_B, &b)
}

fn vec_add_check(m: &mut dyn Mem) -> Result<()> {
    let got = m.read(VEC_RESULT, 8 * VEC_LEN)?;
    for (i, chunk) in got.chunks_exact(8).enumerate() {
        let v = i64::from_le_bytes(chunk.try_into()?);
        let want = i64::from((i * i) as i32) + i64::from((i * 10) as i32);
        ensure!(v == want, "vec_add: result[{i}] = {v}, expected {want}");
    }
    Ok(())
}

fn execution(c: &mut Criterion) {
    let q = quick();
    let fib_n = if q { 25 } else { 30 };
    group(
        c,
        &Call {
            id: "fib-recursive",
            src: Src::Vendored("fibonacci-rec.wat"),
            export: "run",
            args: fib_n,
            expect: Some(fib(fib_n)),
            mem: "",
            prepare: None,
            check: None,
        },
    );
    let iter_n = if q { 200_000 } else { 2_000_000 };
    group(
        c,
        &Call {
            id: "fib-iterative",
            src: Src::Vendored("fibonacci-iter.wat"),
            export: "run",
            args: iter_n,
            expect: Some(fib_iter(iter_n)),
            mem: "",
            prepare: None,
            check: None,
        },
    );
    group(
        c,
        &Call {
            id: "counter-loop",
            src: Src::Vendored("counter-local.wat"),
            export: "count-via-locals",
            args: if q { 1_000_000 } else { 10_000_000 },
            expect: Some(0),
            mem: "",
            prepare: None,
            check: None,
        },
    );
    let len = mem_sum_len();
    group(
        c,
        &Call {
            id: "memory-sum",
            src: Src::Vendored("memory-sum.wat"),
            export: "sum_bytes",
            args: len as i32,
            expect: Some((0..len).map(|n| (n % 256) as i64).sum::<i64>()),
            mem: "mem",
            prepare: Some(mem_sum_prepare),
            check: None,
        },
    );
    group(
        c,
        &Call {
            id: "memory-fill",
            src: Src::Vendored("memory-fill.wat"),
            export: "fill_bytes",
            args: (0x100, len as i32, 0x42),
            expect: None::<()>,
            mem: "mem",
            prepare: Some(mem_fill_prepare),
            check: Some(mem_fill_check),
        },
    );
    group(
        c,
        &Call {
            id: "memory-vec-add",
            src: Src::Vendored("memory-vec-add.wat"),
            export: "vec_add",
            args: (VEC_RESULT as i32, VEC_A as i32, VEC_B as i32, VEC_LEN as i32),
            expect: None::<()>,
            mem: "mem",
            prepare: Some(vec_add_prepare),
            check: Some(vec_add_check),
        },
    );
    let calls_n: i64 = if q { 100_000 } else { 1_000_000 };
    group(
        c,
        &Call {
            id: "calls-direct",
            src: Src::Vendored("calls.wat"),
            export: "direct",
            args: calls_n,
            expect: Some(calls_n * (calls_n + 1) / 2),
            mem: "",
            prepare: None,
            check: None,
        },
    );
    group(
        c,
        &Call {
            id: "calls-indirect",
            src: Src::Vendored("calls.wat"),
            export: "indirect",
            args: calls_n,
            expect: Some(calls_indirect(calls_n)),
            mem: "",
            prepare: None,
            check: None,
        },
    );
    group(
        c,
        &Call {
            id: "calls-nested-8",
            src: Src::Vendored("nested_calls.wat"),
            export: "run/8",
            args: 1_000i64,
            expect: None::<i64>,
            mem: "",
            prepare: None,
            check: None,
        },
    );
    group(c, &BrTable { reps: if q { 2_000 } else { 20_000 } });
    if corpus_file("bench/coremark/coremark-minimal.wasm").is_some() {
        group(c, &CoreMark { calib_ms: if q { 10_000 } else { 1000 } });
    }
}

fn rust_programs(c: &mut Criterion) {
    let q = quick();
    // (name, full argument, quick argument, canonical argument of RUNSPECS, checks)
    let sized: Vec<(&str, i64, i64, i64, Vec<Check>)> = vec![
        ("argon2", 3_000, 64, 3_000, vec![Check::I64("output", 0x76318FB48BBA1258)]),
        ("sort", 1_000_000, 10_000, 1_000_000, vec![]),
        ("sort-dyn", 400_000, 10_000, 400_000, vec![]),
        ("nbody", 400, 20, 400, vec![]),
        ("matrix-mul", 200, 20, 400, vec![]),
        ("mandelbrot", 150, 20, 150, vec![Check::I64("output", 5_595_328)]),
        ("spectralnorm", 500, 50, 500, vec![Check::F64("output", 1.2742241159529095)]),
        (
            "prime-sieve",
            10_000_000,
            100_000,
            10_000_000,
            vec![Check::I64("len_primes", 664_579), Check::I64("largest_prime", 9_999_991)],
        ),
    ];
    for (name, full, small, canonical, checks) in sized {
        if !selected(&format!("rust/{name}")) {
            continue;
        }
        let arg = if q { small } else { full };
        let setup = if name == "prime-sieve" { SetupArg::I64(arg) } else { SetupArg::I32(arg as i32) };
        let checks = if arg == canonical { checks } else { vec![] };
        group(c, &RustCase { name, setup, input: None, checks });
    }
    group(c, &RustCase { name: "tiny-keccak", setup: SetupArg::None, input: None, checks: vec![] });
    // Input-driven cases: the input is fixed, so checks always apply.
    let inputs: Vec<(&str, &str, Vec<Check>)> = vec![
        ("compression", "bench/rust-benchmarks/res/alice29.txt", vec![Check::I64("len_compressed", 97_649)]),
        (
            "word-count",
            "bench/rust-benchmarks/res/alice29.txt",
            vec![Check::I64("len_unique_words", 2213), Check::I64("len_special_chars", 6314)],
        ),
        ("json-parse", "bench/rust-benchmarks/res/citm_catalog.json", vec![Check::I64("node_count", 37_778)]),
        (
            "reverse-complement",
            "bench/rust-benchmarks/cases/reverse-complement/input.txt",
            vec![Check::Output("output_ptr", "bench/rust-benchmarks/cases/reverse-complement/output.txt")],
        ),
        ("regex-redux", "bench/rust-benchmarks/cases/reverse-complement/input.txt", vec![Check::I32("output", 2)]),
    ];
    for (name, input, checks) in inputs {
        if !selected(&format!("rust/{name}")) {
            continue;
        }
        let Some(path) = corpus_file(input) else { continue };
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as i32;
        group(c, &RustCase { name, setup: SetupArg::I32(len), input: Some(input), checks });
    }
}

fn translation(c: &mut Criterion) {
    let modules = [
        ("spidermonkey", Src::Corpus("bench/wasmi-benchmarks/wasm/spidermonkey.wasm")),
        ("pulldown-cmark", Src::Corpus("bench/wasmi-benchmarks/wasm/pulldown-cmark.wasm")),
        ("bz2", Src::Corpus("bench/wasmi-benchmarks/wasm/bz2.wasm")),
        ("argon2", Src::Corpus("bench/rust-benchmarks/cases/argon2/out.wasm")),
        ("coremark", Src::Corpus("bench/coremark/coremark-minimal.wasm")),
    ];
    for (name, src) in modules {
        for lazy in [false, true] {
            translate_group(c, &Translate { name, src, lazy });
        }
    }
}

fn main() {
    if !paired_only() {
        let _ = std::fs::remove_file(skips_file());
        let _ = std::fs::remove_file(paired_file());
    }
    let mut c = Criterion::default().configure_from_args();
    execution(&mut c);
    rust_programs(&mut c);
    translation(&mut c);
    c.final_summary();
}
