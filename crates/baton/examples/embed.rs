//! The embedding example from the README: a host function with access to
//! the store's data and the caller's memory.
//!
//! `cargo run -p baton --example embed`

fn main() -> Result<(), baton::Error> {
    use baton::{Caller, Engine, Linker, Module, Store};

    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
        (import "host" "log" (func $log (param i32)))
        (memory (export "memory") 1)
        (func (export "run") (param i32) (result i32)
            (call $log (local.get 0))
            (i32.mul (local.get 0) (i32.const 2))))"#,
    )?;
    let mut store = Store::new(&engine, 0u32); // host data: a counter
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "log", |mut caller: Caller<'_, u32>, x: i32| {
        *caller.data_mut() += 1;
        let memory = caller.get_export("memory").and_then(|e| e.into_memory()).unwrap();
        println!("guest says {x}; memory has {} bytes", memory.data_size(&caller));
    })?;
    let instance = linker.instantiate(&mut store, &module)?;
    let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
    assert_eq!(run.call(&mut store, 21)?, 42);
    Ok(())
}
