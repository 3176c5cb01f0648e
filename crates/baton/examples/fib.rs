//! Runs a recursive Fibonacci written in WebAssembly text and times it.
//!
//! `cargo run --release --example fib -- 30`

use baton::{Engine, Linker, Module, Store};

const FIB: &str = r#"
(module
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                     (call $fib (i64.sub (local.get $n) (i64.const 2)))))))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))
"#;

fn main() -> Result<(), baton::Error> {
    let n: i64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(25);
    let engine = Engine::default();
    let module = Module::new(&engine, FIB)?;
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module)?;
    let fib = instance.get_typed_func::<i64, i64>(&store, "fib")?;
    let start = std::time::Instant::now();
    let r = fib.call(&mut store, n)?;
    println!("fib({n}) = {r}  [{:?}]", start.elapsed());
    let count = instance.get_typed_func::<i32, i32>(&store, "count")?;
    let start = std::time::Instant::now();
    let c = count.call(&mut store, 100_000_000)?;
    println!("count(100000000) = {c}  [{:?}]", start.elapsed());
    Ok(())
}
