//! Quick side-by-side timing of one Rust benchmark program on Baton and wasmi
//! (best of N runs of `run`), for iterating on the engine without criterion.
//!
//! `cargo run --release -p baton-bench --example cmp -- mandelbrot 150 [N]`
//! `cargo run --release -p baton-bench --example cmp -- json-parse 0 10 --input bench/rust-benchmarks/res/citm_catalog.json`
//! `cargo run --release -p baton-bench --example cmp -- wat fibonacci-iter.wat run 2000000 [N]`
//! `cargo run --release -p baton-bench --example cmp -- translate bench/coremark/coremark-minimal.wasm eager|lazy [N]`
//!
//! `CMP_HASH=1` prints a hash of the guest memory after every run of `run`,
//! per engine: a differential check of a fusion on a whole program (the
//! hashes must match wasmi's, and Baton's with `BATON_NOFUSE` set).
//!
//! With `--features handler-stats` it counts Baton's executed handler pairs
//! instead (see `scripts/handler-stats.py`).

use baton_bench::{corpus_file, vendored_wat, Baton, Clock, Wasm, Wasm3, Wasmi};
use std::time::{Duration, Instant};

/// Best of `n` timed `run(setup(arg))` calls; with `input`, the setup argument
/// is its length and it is copied to `input_ptr(ptr)` before each run.
fn time<E: Wasm>(wasm: &[u8], arg: i32, n: usize, input: Option<&[u8]>) -> anyhow::Result<Duration> {
    let clock = Clock::new(1);
    let mut inst = E::instantiate(wasm, &clock)?;
    // `setup` takes an i32, an i64 (prime-sieve) or nothing (tiny-keccak).
    let setup32 = inst.func::<i32, i32>("setup");
    let setup64 = inst.func::<i64, i32>("setup");
    let setup0 = inst.func::<(), i32>("setup");
    let run = inst.func::<i32, ()>("run")?;
    let arg = input.map_or(arg, |d| d.len() as i32);
    let setup = |inst: &mut E| match (&setup32, &setup64) {
        (Ok(f), _) => inst.call(f, arg),
        (_, Ok(f)) => inst.call(f, arg as i64),
        (Err(e), _) => match &setup0 {
            Ok(f) => inst.call(f, ()),
            Err(_) => Err(anyhow::anyhow!("setup: {e}")),
        },
    };
    let input_ptr = input.map(|_| inst.func::<i32, i32>("input_ptr")).transpose()?;
    let teardown = input.map(|_| inst.func::<i32, ()>("teardown")).transpose()?;
    let mut best = Duration::MAX;
    let mut ptr = setup(&mut inst)?;
    for k in 0..=n {
        if let (Some(data), Some(f)) = (input, &input_ptr) {
            if k > 0 {
                if let Some(t) = &teardown {
                    inst.call(t, ptr)?;
                }
                ptr = setup(&mut inst)?;
            }
            let at = inst.call(f, ptr)?;
            inst.memory_write("memory", at as u32 as usize, data)?;
        }
        let t = Instant::now();
        inst.call(&run, ptr)?;
        if k > 0 {
            best = best.min(t.elapsed());
        }
        if std::env::var_os("CMP_HASH").is_some() {
            eprintln!("{} run {k}: memory hash {:016x}", E::NAME, memory_hash(&mut inst));
        }
    }
    Ok(best)
}

/// FNV-1a of the guest's whole exported memory (for `CMP_HASH`): the size is
/// found by reading ever shorter prefixes, 64 KiB pages, from 64 MiB down.
fn memory_hash<E: Wasm>(inst: &mut E) -> u64 {
    let data = (1..=1024).rev().find_map(|pages| inst.memory_read("memory", 0, pages << 16).ok()).unwrap_or_default();
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// CoreMark minimal with the scripted clock: each `run()` does 120 iterations.
fn coremark<E: Wasm>(wasm: &[u8], n: usize) -> anyhow::Result<Duration> {
    let clock = Clock::new(1000);
    let mut inst = E::instantiate(wasm, &clock)?;
    let run = inst.func::<(), f32>("run")?;
    let mut best = Duration::MAX;
    for _ in 0..n {
        clock.reset();
        let t = Instant::now();
        anyhow::ensure!(inst.call(&run, ())? > 0.0, "coremark failed");
        best = best.min(t.elapsed());
    }
    Ok(best)
}

/// With the `handler-stats` feature: writes Baton's handler pair counts to
/// `$BATON_STATS` (default `handler-stats.txt`, read by
/// `scripts/handler-stats.py`) and returns true (peers are not run then).
fn dump_stats(baton_time: Duration) -> anyhow::Result<bool> {
    if cfg!(feature = "handler-stats") {
        let path = std::env::var("BATON_STATS").unwrap_or_else(|_| "handler-stats.txt".into());
        #[cfg(feature = "handler-stats")]
        baton::exec::stats::dump(&mut std::fs::File::create(&path)?)?;
        eprintln!("baton {baton_time:?} (loop dispatch, counting); handler pair counts written to {path}");
        return Ok(true);
    }
    Ok(false)
}

/// `CMP_ONLY=baton` (for profiling Baton alone, e.g. under callgrind) skips wasmi.
fn baton_only() -> bool {
    std::env::var("CMP_ONLY").is_ok_and(|v| v == "baton")
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map(String::as_str).unwrap_or("mandelbrot");
    if name == "hostcall" {
        // Host -> wasm call overhead: 1M calls of a tiny function.
        let wat = br#"(module (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#;
        let wasm = wat::parse_bytes(wat)?.into_owned();
        fn calls<E: Wasm>(wasm: &[u8]) -> anyhow::Result<Duration> {
            let mut inst = E::instantiate(wasm, &Clock::new(1))?;
            let f = inst.func::<i32, i32>("f")?;
            let mut best = Duration::MAX;
            for _ in 0..5 {
                let t = Instant::now();
                let mut x = 0;
                for _ in 0..1_000_000 {
                    x = inst.call(&f, x)?;
                }
                best = best.min(t.elapsed());
            }
            Ok(best)
        }
        let b = calls::<Baton>(&wasm)?;
        let w = calls::<Wasmi>(&wasm)?;
        println!("1M host calls: baton {b:?}  wasmi {w:?}  wasmi/baton {:.2}x", w.as_secs_f64() / b.as_secs_f64());
        return Ok(());
    }
    if name == "brtable" {
        // The bench's br_table workload (host -> wasm calls of a small body),
        // best of N runs of `reps` x 16 calls: `brtable [reps] [N]`.
        let reps: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
        let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
        let wasm = vendored_wat("br_table.wat")?;
        fn best<E: Wasm>(wasm: &[u8], reps: u32, n: usize) -> anyhow::Result<Duration> {
            let mut inst = E::instantiate(wasm, &Clock::new(1))?;
            let f = inst.func::<i32, i32>("br_table")?;
            let mut best = Duration::MAX;
            for _ in 0..n {
                let t = Instant::now();
                for _ in 0..reps {
                    for k in 0..16 {
                        std::hint::black_box(inst.call(&f, std::hint::black_box(k))?);
                    }
                }
                best = best.min(t.elapsed());
            }
            Ok(best)
        }
        let b = best::<Baton>(&wasm, reps, n)?;
        if baton_only() {
            println!("br_table: baton {b:?}");
            return Ok(());
        }
        let w = best::<Wasmi>(&wasm, reps, n)?;
        let w3 = best::<Wasm3>(&wasm, reps, n)?;
        println!(
            "br_table: baton {b:?}  wasmi {w:?}  wasm3 {w3:?}  wasmi/baton {:.2}x  wasm3/baton {:.2}x",
            w.as_secs_f64() / b.as_secs_f64(),
            w3.as_secs_f64() / b.as_secs_f64()
        );
        return Ok(());
    }
    if name == "validate" {
        // Validation alone (the wasmparser release Baton and wasmi 2.0 use), best of N.
        let rel = args.get(1).ok_or_else(|| anyhow::anyhow!("validate <corpus path> [N]"))?;
        let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
        let wasm = std::fs::read(corpus_file(rel).ok_or_else(|| anyhow::anyhow!("no corpus file {rel}"))?)?;
        let best = (0..n)
            .map(|_| {
                let t = Instant::now();
                let features = wasmparser::WasmFeatures::WASM2 & !wasmparser::WasmFeatures::SIMD;
                wasmparser::Validator::new_with_features(features).validate_all(&wasm).expect("valid");
                t.elapsed()
            })
            .min()
            .unwrap_or_default();
        println!("validate {rel}: wasmparser {best:?}");
        return Ok(());
    }
    if name == "translate" {
        // Module bytes to instance, best of N: `translate <corpus path> eager|lazy [N]`.
        let rel = args.get(1).ok_or_else(|| anyhow::anyhow!("translate <corpus path> eager|lazy [N]"))?;
        let lazy = args.get(2).is_some_and(|m| m == "lazy");
        let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(200);
        let wasm = std::fs::read(corpus_file(rel).ok_or_else(|| anyhow::anyhow!("no corpus file {rel}"))?)?;
        fn best<E: Wasm>(wasm: &[u8], lazy: bool, n: usize) -> anyhow::Result<Duration> {
            let Some(engine) = E::engine(lazy)? else { anyhow::bail!("no such mode") };
            (0..n).map(|_| E::translate(&engine, wasm)).try_fold(Duration::MAX, |b, t| Ok(b.min(t?)))
        }
        let b = best::<Baton>(&wasm, lazy, n)?;
        let w = if baton_only() { b } else { best::<Wasmi>(&wasm, lazy, n)? };
        println!("translate {rel}: baton {b:?}  wasmi {w:?}  wasmi/baton {:.2}x", w.as_secs_f64() / b.as_secs_f64());
        return Ok(());
    }
    if name == "wat" {
        // A vendored .wat kernel with one integer parameter, best of N:
        // `wat fibonacci-iter.wat run 2000000 [N]` (i64 -> i64, i32 -> i32 or i32 -> i64).
        let file = args.get(1).ok_or_else(|| anyhow::anyhow!("wat <file> <export> <arg> [N]"))?;
        let export = args.get(2).map_or("run", String::as_str);
        let arg: i64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
        let n: usize = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(10);
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/wat/");
        let wasm = wat::parse_file(format!("{dir}{file}"))?;
        fn best<E: Wasm>(wasm: &[u8], export: &str, arg: i64, n: usize) -> anyhow::Result<Duration> {
            let mut inst = E::instantiate(wasm, &Clock::new(1))?;
            let wide = inst.func::<i64, i64>(export);
            let narrow = inst.func::<i32, i32>(export);
            let mixed = inst.func::<i32, i64>(export);
            let mut best = Duration::MAX;
            for _ in 0..n {
                let t = Instant::now();
                match (&wide, &narrow, &mixed) {
                    (Ok(f), _, _) => drop(inst.call(f, arg)?),
                    (_, Ok(f), _) => drop(inst.call(f, arg as i32)?),
                    (_, _, Ok(f)) => drop(inst.call(f, arg as i32)?),
                    (Err(e), _, _) => anyhow::bail!("{export}: {e}"),
                }
                best = best.min(t.elapsed());
            }
            Ok(best)
        }
        let b = best::<Baton>(&wasm, export, arg, n)?;
        if baton_only() {
            println!("{file}: baton {b:?}");
            return Ok(());
        }
        let w = best::<Wasmi>(&wasm, export, arg, n)?;
        println!("{file}: baton {b:?}  wasmi {w:?}  wasmi/baton {:.2}x", w.as_secs_f64() / b.as_secs_f64());
        return Ok(());
    }
    if name == "coremark" {
        let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
        let path = corpus_file("bench/coremark/coremark-minimal.wasm").ok_or_else(|| anyhow::anyhow!("no corpus"))?;
        let wasm = std::fs::read(path)?;
        let b = coremark::<Baton>(&wasm, n)?;
        if dump_stats(b)? {
            return Ok(());
        }
        if baton_only() {
            println!("coremark: baton {b:?}");
            return Ok(());
        }
        let w = coremark::<Wasmi>(&wasm, n)?;
        println!("coremark: baton {b:?}  wasmi {w:?}  wasmi/baton {:.2}x", w.as_secs_f64() / b.as_secs_f64());
        return Ok(());
    }
    let arg: i32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(150);
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let path = corpus_file(&format!("bench/rust-benchmarks/cases/{name}/out.wasm"))
        .ok_or_else(|| anyhow::anyhow!("corpus file missing"))?;
    let wasm = std::fs::read(path)?;
    // Input-driven cases read a corpus file (`--input bench/rust-benchmarks/res/alice29.txt`).
    let input = match args.iter().position(|a| a == "--input") {
        Some(i) => {
            let rel = args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--input FILE"))?;
            Some(std::fs::read(corpus_file(rel).ok_or_else(|| anyhow::anyhow!("{rel} missing"))?)?)
        }
        None => None,
    };
    let b = time::<Baton>(&wasm, arg, n, input.as_deref())?;
    if dump_stats(b)? {
        return Ok(());
    }
    if baton_only() {
        println!("{name}({arg}): baton {b:?}");
        return Ok(());
    }
    let w = time::<Wasmi>(&wasm, arg, n, input.as_deref())?;
    println!("{name}({arg}): baton {b:?}  wasmi {w:?}  wasmi/baton {:.2}x", w.as_secs_f64() / b.as_secs_f64());
    Ok(())
}
