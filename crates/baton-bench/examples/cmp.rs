//! Quick side-by-side timing of one Rust benchmark program on Baton and wasmi
//! (best of N runs of `run`), for iterating on the engine without criterion.
//!
//! `cargo run --release -p baton-bench --example cmp -- mandelbrot 150 [N]`

use baton_bench::{corpus_file, Baton, Clock, Wasm, Wasmi};
use std::time::{Duration, Instant};

fn time<E: Wasm>(wasm: &[u8], arg: i32, n: usize) -> anyhow::Result<Duration> {
    let clock = Clock::new(1);
    let mut inst = E::instantiate(wasm, &clock)?;
    let setup = inst.func::<i32, i32>("setup")?;
    let run = inst.func::<i32, ()>("run")?;
    let ptr = inst.call(&setup, arg)?;
    inst.call(&run, ptr)?;
    let mut best = Duration::MAX;
    for _ in 0..n {
        let t = Instant::now();
        inst.call(&run, ptr)?;
        best = best.min(t.elapsed());
    }
    Ok(best)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let name = args.first().map(String::as_str).unwrap_or("mandelbrot");
    let arg: i32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(150);
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10);
    let path = corpus_file(&format!("bench/rust-benchmarks/cases/{name}/out.wasm"))
        .ok_or_else(|| anyhow::anyhow!("corpus file missing"))?;
    let wasm = std::fs::read(path)?;
    let b = time::<Baton>(&wasm, arg, n)?;
    let w = time::<Wasmi>(&wasm, arg, n)?;
    println!("{name}({arg}): baton {b:?}  wasmi {w:?}  wasmi/baton {:.2}x", w.as_secs_f64() / b.as_secs_f64());
    Ok(())
}
