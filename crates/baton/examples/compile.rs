//! Times decoding + validation (and, with `--eager`, translation) of a module.
//!
//! `cargo run --release -p baton --example compile -- FILE.wasm [--eager] [N]`

use baton::{Config, Engine, Extern, ExternType, Func, Instance, Module, Store, Val};

fn main() -> Result<(), baton::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().expect("usage: compile FILE.wasm [--eager] [N]");
    let eager = args.iter().any(|a| a == "--eager");
    let n: usize = args.iter().filter_map(|a| a.parse().ok()).next().unwrap_or(10);
    let bytes = std::fs::read(path).map_err(|e| baton::Error::host(e.to_string()))?;
    let mut config = Config::default();
    config.lazy_translation(!eager);
    let engine = Engine::new(&config);
    let start = std::time::Instant::now();
    for _ in 0..n {
        Module::new(&engine, &bytes)?;
    }
    println!("{path}: {:?} per module ({})", start.elapsed() / n as u32, if eager { "eager" } else { "lazy" });
    // Instantiation with every function import stubbed (other imports unsupported here).
    let module = Module::new(&engine, &bytes)?;
    let start = std::time::Instant::now();
    for _ in 0..n {
        let mut store = Store::new(&engine, ());
        let mut externs = Vec::new();
        for imp in module.imports() {
            let ExternType::Func(ty) = imp.ty() else { return Ok(()) };
            externs.push(Extern::Func(Func::new(&mut store, ty.clone(), |_, _: &[Val], _: &mut [Val]| Ok(()))));
        }
        Instance::new(&mut store, &module, &externs)?;
    }
    println!("{path}: {:?} per instantiation", start.elapsed() / n as u32);
    Ok(())
}
