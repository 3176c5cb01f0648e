//! Small programs that drive every `unsafe` path of the interpreter, sized to
//! run under Miri: `cargo +nightly miri test -p baton --test miri` (see the
//! README's "Robustness" section). They are ordinary tests on stable too.
//!
//! Covered: direct calls (multi-value, lazy translation on first call),
//! `call_indirect` (hit, null, type mismatch, out of range), calls across
//! instances, host functions (reading memory, growing it, re-entering wasm),
//! loads/stores at the bounds, `memory.grow` then access, bulk memory, tables,
//! references, globals (own and imported), traps with backtraces, stack
//! exhaustion with small limits, fuel and interruption.

use baton::{
    Caller, Config, Engine, Error, Extern, Func, Global, GlobalType, Instance, Linker, Module, Mutability, Store,
    TrapCode, Val, ValType,
};

fn setup(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, wat).expect("module compiles");
    let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("module instantiates");
    (store, inst)
}

fn trap<R: std::fmt::Debug>(r: Result<R, Error>) -> TrapCode {
    match r {
        Err(e) => e.trap_code().unwrap_or_else(|| panic!("expected a trap, got {e:?}")),
        Ok(v) => panic!("expected a trap, got {v:?}"),
    }
}

#[test]
fn calls_and_multi_value() {
    let (mut store, inst) = setup(
        r#"(module
            (func $swap (param i32 i64) (result i64 i32) local.get 1 local.get 0)
            (func $fib (param i32) (result i32)
                (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
                    (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                                   (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
            (func (export "run") (param i32) (result i32)
                (call $swap (i32.const 3) (i64.const 4))
                drop drop
                (call $fib (local.get 0)))
            (func (export "swap") (param i32 i64) (result i64 i32) (call $swap (local.get 0) (local.get 1))))"#,
    );
    let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 10).unwrap(), 55);
    let swap = inst.get_typed_func::<(i32, i64), (i64, i32)>(&store, "swap").unwrap();
    assert_eq!(swap.call(&mut store, (1, 2)).unwrap(), (2, 1));
}

#[test]
fn call_indirect_paths() {
    let (mut store, inst) = setup(
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (table 4 funcref)
            (elem (i32.const 0) $inc $dbl $other)
            (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
            (func $dbl (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
            (func $other (param i64) (result i64) (local.get 0))
            (func (export "call") (param i32 i32) (result i32)
                (call_indirect (type $ii) (local.get 1) (local.get 0))))"#,
    );
    let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
    assert_eq!(call.call(&mut store, (0, 10)).unwrap(), 11);
    assert_eq!(call.call(&mut store, (1, 10)).unwrap(), 20);
    assert_eq!(trap(call.call(&mut store, (2, 10))), TrapCode::BadSignature);
    assert_eq!(trap(call.call(&mut store, (3, 10))), TrapCode::IndirectCallToNull);
    assert_eq!(trap(call.call(&mut store, (4, 10))), TrapCode::UndefinedElement);
}

#[test]
fn host_calls_and_reentry() {
    let engine = Engine::default();
    let mut store: Store<Vec<i32>> = Store::new(&engine, Vec::new());
    let mut linker = Linker::new(&engine);
    // Reads guest memory through the caller.
    linker
        .func_wrap("host", "sum", |mut caller: Caller<'_, Vec<i32>>, ptr: i32, len: i32| -> i32 {
            let mem = caller.get_export("memory").and_then(Extern::into_memory).unwrap();
            let mut buf = vec![0u8; len as usize];
            mem.read(&caller, ptr as usize, &mut buf).unwrap();
            caller.data_mut().push(len);
            buf.iter().map(|&b| b as i32).sum()
        })
        .unwrap();
    // Grows the guest's memory under its feet.
    linker
        .func_wrap("host", "grow", |mut caller: Caller<'_, Vec<i32>>| -> i32 {
            let mem = caller.get_export("memory").and_then(Extern::into_memory).unwrap();
            mem.grow(&mut caller, 1).unwrap() as i32
        })
        .unwrap();
    // Calls back into the guest (nested execution on the same stacks).
    linker
        .func_wrap("host", "reenter", |mut caller: Caller<'_, Vec<i32>>, x: i32| -> Result<i32, Error> {
            let f = caller.get_export("leaf").and_then(Extern::into_func).unwrap();
            let f = f.typed::<i32, i32>(&caller)?;
            f.call(&mut caller, x + 1)
        })
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module
            (import "host" "sum" (func $sum (param i32 i32) (result i32)))
            (import "host" "grow" (func $grow (result i32)))
            (import "host" "reenter" (func $reenter (param i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 8) "\01\02\03\04")
            (func (export "leaf") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 10)))
            (func (export "sum") (result i32) (call $sum (i32.const 8) (i32.const 4)))
            (func (export "grow_then_store") (result i32)
                (drop (call $grow))
                ;; the new page is usable right after the host grew the memory
                (i32.store (i32.const 70000) (i32.const 77))
                (i32.add (memory.size) (i32.load (i32.const 70000))))
            (func (export "reenter") (param i32) (result i32)
                (i32.add (call $reenter (local.get 0)) (i32.const 1))))"#,
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let sum = inst.get_typed_func::<(), i32>(&store, "sum").unwrap();
    assert_eq!(sum.call(&mut store, ()).unwrap(), 10);
    assert_eq!(store.data(), &[4]);
    let g = inst.get_typed_func::<(), i32>(&store, "grow_then_store").unwrap();
    assert_eq!(g.call(&mut store, ()).unwrap(), 2 + 77);
    let r = inst.get_typed_func::<i32, i32>(&store, "reenter").unwrap();
    assert_eq!(r.call(&mut store, 4).unwrap(), 51);
}

#[test]
fn cross_instance_calls() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let a = Module::new(
        &engine,
        r#"(module (memory (export "mem") 1)
            (global (export "g") (mut i32) (i32.const 5))
            (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
            (func (export "bump") (global.set 0 (i32.add (global.get 0) (i32.const 1)))))"#,
    )
    .unwrap();
    linker.module(&mut store, "a", &a).unwrap();
    let b = Module::new(
        &engine,
        r#"(module
            (import "a" "peek" (func $peek (param i32) (result i32)))
            (import "a" "bump" (func $bump))
            (import "a" "g" (global $g (mut i32)))
            (memory 1)
            (table 1 funcref) (elem (i32.const 0) $peek)
            (func (export "run") (result i32)
                (i32.store8 (i32.const 0) (i32.const 9)) ;; b's memory, not a's
                (call $bump)
                (i32.add (global.get $g)
                    (i32.add (call $peek (i32.const 0))
                             (call_indirect (param i32) (result i32) (i32.const 0) (i32.const 0))))))"#,
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &b).unwrap();
    let run = inst.get_typed_func::<(), i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 6);
}

#[test]
fn memory_bounds_and_growth() {
    let (mut store, inst) = setup(
        r#"(module (memory 1 3)
            (func (export "load") (param i32) (result i64) (i64.load offset=0 (local.get 0)))
            (func (export "load_off") (param i32) (result i32) (i32.load8_u offset=65535 (local.get 0)))
            (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let load = inst.get_typed_func::<i32, i64>(&store, "load").unwrap();
    let load_off = inst.get_typed_func::<i32, i32>(&store, "load_off").unwrap();
    let st = inst.get_typed_func::<(i32, i64), ()>(&store, "store").unwrap();
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    st.call(&mut store, (65536 - 8, -2)).unwrap();
    assert_eq!(load.call(&mut store, 65536 - 8).unwrap(), -2);
    assert_eq!(load_off.call(&mut store, 0).unwrap(), 0xff);
    assert_eq!(trap(load.call(&mut store, 65536 - 7)), TrapCode::MemoryOutOfBounds);
    assert_eq!(trap(load_off.call(&mut store, 1)), TrapCode::MemoryOutOfBounds);
    assert_eq!(trap(load.call(&mut store, -1)), TrapCode::MemoryOutOfBounds);
    assert_eq!(trap(st.call(&mut store, (65536 - 4, 1))), TrapCode::MemoryOutOfBounds);
    assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
    st.call(&mut store, (2 * 65536 - 8, 7)).unwrap();
    assert_eq!(load.call(&mut store, 2 * 65536 - 8).unwrap(), 7);
    assert_eq!(load.call(&mut store, 65536 - 8).unwrap(), -2, "old contents survive growth");
    assert_eq!(grow.call(&mut store, 2).unwrap(), -1);
    assert_eq!(trap(load.call(&mut store, 2 * 65536 - 7)), TrapCode::MemoryOutOfBounds);
}

#[test]
fn bulk_memory() {
    let (mut store, inst) = setup(
        r#"(module (memory (export "m") 1)
            (data $d "hello")
            (func (export "run") (result i32)
                (memory.fill (i32.const 100) (i32.const 0x41) (i32.const 10))
                (memory.copy (i32.const 102) (i32.const 100) (i32.const 8))   ;; overlapping
                (memory.init $d (i32.const 200) (i32.const 1) (i32.const 4))
                (data.drop $d)
                (i32.load8_u (i32.const 203)))
            (func (export "init_dropped") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)))
            (func (export "fill_oob") (memory.fill (i32.const 65530) (i32.const 0) (i32.const 7)))
            (func (export "copy_oob") (memory.copy (i32.const 0) (i32.const 65535) (i32.const 2)))
            (func (export "zero_len_at_end") (memory.fill (i32.const 65536) (i32.const 0) (i32.const 0))))"#,
    );
    let run = inst.get_typed_func::<(), i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), b'o' as i32);
    let m = inst.get_memory(&store, "m").unwrap();
    assert_eq!(&m.data(&store)[100..112], b"AAAAAAAAAA\0\0");
    assert_eq!(&m.data(&store)[200..204], b"ello");
    for (name, want) in [("init_dropped", true), ("fill_oob", true), ("copy_oob", true), ("zero_len_at_end", false)] {
        let f = inst.get_typed_func::<(), ()>(&store, name).unwrap();
        match f.call(&mut store, ()) {
            Err(e) if want => assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds), "{name}"),
            Ok(()) if !want => {}
            r => panic!("{name}: {r:?}"),
        }
    }
}

#[test]
fn tables_and_references() {
    let (mut store, inst) = setup(
        r#"(module
            (table $t (export "t") 2 10 funcref)
            (table $u 4 externref)
            (elem $e func $f $g)
            (func $f (result i32) (i32.const 1))
            (func $g (result i32) (i32.const 2))
            (func (export "run") (param externref) (result i32)
                (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 2))
                (elem.drop $e)
                (drop (table.grow $t (ref.func $g) (i32.const 3)))
                (table.fill $u (i32.const 1) (local.get 0) (i32.const 2))
                (table.copy $t $t (i32.const 1) (i32.const 0) (i32.const 4))
                (table.set $t (i32.const 4) (ref.null func))
                (i32.add (table.size $t)
                    (i32.add (call_indirect (result i32) (i32.const 1))
                        (i32.add (ref.is_null (table.get $u (i32.const 2)))
                            (ref.is_null (table.get $t (i32.const 4)))))))
            (func (export "get_oob") (drop (table.get $t (i32.const 99))))
            (func (export "init_dropped") (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))))"#,
    );
    let run = inst.get_typed_func::<Option<baton::ExternRef>, i32>(&store, "run").unwrap();
    let r = baton::ExternRef::new(&mut store, 5u32);
    // size 5 + f() 1 + is_null(u[2]) 0 + is_null(t[4]) 1
    assert_eq!(run.call(&mut store, Some(r)).unwrap(), 7);
    let t = inst.get_table(&store, "t").unwrap();
    assert!(matches!(t.get(&store, 4), Some(Val::FuncRef(None))));
    assert!(matches!(t.get(&store, 3), Some(Val::FuncRef(Some(_)))));
    for name in ["get_oob", "init_dropped"] {
        let f = inst.get_typed_func::<(), ()>(&store, name).unwrap();
        assert_eq!(trap(f.call(&mut store, ())), TrapCode::TableOutOfBounds, "{name}");
    }
}

#[test]
fn globals_own_and_imported() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let g = Global::new(&mut store, GlobalType::new(ValType::I64, Mutability::Var), Val::I64(40)).unwrap();
    let mut linker = Linker::new(&engine);
    linker.define("env", "g", g).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "g" (global $g (mut i64)))
            (global $h (mut f64) (f64.const 1.5))
            (func (export "run") (result i64)
                (global.set $g (i64.add (global.get $g) (i64.const 2)))
                (global.set $h (f64.mul (global.get $h) (f64.const 2)))
                (i64.add (global.get $g) (i64.trunc_f64_s (global.get $h)))))"#,
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let run = inst.get_typed_func::<(), i64>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 45);
    assert_eq!(g.get(&store), Val::I64(42));
}

#[test]
fn traps_and_backtraces() {
    let (mut store, inst) = setup(
        r#"(module
            (func $inner (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
            (func (export "div") (param i32) (result i32) (call $inner (local.get 0)))
            (func (export "unreachable") unreachable)
            (func (export "conv") (param f32) (result i32) (i32.trunc_f32_s (local.get 0))))"#,
    );
    let div = inst.get_typed_func::<i32, i32>(&store, "div").unwrap();
    let err = div.call(&mut store, 0).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::IntegerDivisionByZero));
    assert_eq!(err.backtrace().len(), 2);
    assert_eq!(div.call(&mut store, 1).unwrap(), 1);
    let u = inst.get_typed_func::<(), ()>(&store, "unreachable").unwrap();
    assert_eq!(trap(u.call(&mut store, ())), TrapCode::Unreachable);
    let conv = inst.get_typed_func::<f32, i32>(&store, "conv").unwrap();
    assert_eq!(trap(conv.call(&mut store, f32::NAN)), TrapCode::BadConversionToInteger);
}

#[test]
fn stack_exhaustion_with_small_limits() {
    let mut config = Config::default();
    config.max_call_depth(20).max_stack_slots(1024);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("host", "again", |mut caller: Caller<'_, ()>, n: i32| -> Result<i32, Error> {
            let f = caller.get_export("rec").and_then(Extern::into_func).unwrap();
            f.typed::<i32, i32>(&caller)?.call(&mut caller, n)
        })
        .unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "host" "again" (func $again (param i32) (result i32)))
            (func $rec (export "rec") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
                    (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
            (func (export "via_host") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
                    (else (call $again (i32.sub (local.get 0) (i32.const 1))))))
            (func (export "big_frame") (local i64 i64 i64 i64 i64 i64 i64 i64)
                (call $rec (i32.const 1000)) drop))"#,
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let rec = inst.get_typed_func::<i32, i32>(&store, "rec").unwrap();
    assert_eq!(rec.call(&mut store, 10).unwrap(), 10);
    assert_eq!(trap(rec.call(&mut store, 25)), TrapCode::StackOverflow);
    let via_host = inst.get_typed_func::<i32, i32>(&store, "via_host").unwrap();
    assert_eq!(via_host.call(&mut store, 5).unwrap(), 4);
    assert_eq!(trap(via_host.call(&mut store, 30)), TrapCode::StackOverflow);
    let big = inst.get_typed_func::<(), ()>(&store, "big_frame").unwrap();
    assert_eq!(trap(big.call(&mut store, ())), TrapCode::StackOverflow);
    assert_eq!(rec.call(&mut store, 3).unwrap(), 3, "usable after exhaustion");
}

#[test]
fn fuel_and_interrupt() {
    let mut config = Config::default();
    config.consume_fuel(true).interruptible(true);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, ());
    let module = Module::new(
        &engine,
        r#"(module (func (export "count") (param i32) (result i32) (local i32)
            (block (loop
                (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
                (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                (br 0)))
            (local.get 1)))"#,
    )
    .unwrap();
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let count = inst.get_typed_func::<i32, i32>(&store, "count").unwrap();
    store.set_fuel(10_000).unwrap();
    assert_eq!(count.call(&mut store, 20).unwrap(), 20);
    assert!(store.get_fuel().unwrap() < 10_000);
    store.set_fuel(5).unwrap();
    assert_eq!(trap(count.call(&mut store, 20)), TrapCode::OutOfFuel);
    store.set_fuel(10_000).unwrap();
    store.interrupt_handle().interrupt();
    assert_eq!(trap(count.call(&mut store, 20)), TrapCode::Interrupted);
    assert_eq!(count.call(&mut store, 3).unwrap(), 3);
}

#[test]
fn untyped_host_function_and_func_refs_from_host() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let ty = baton::FuncType::new([ValType::I32, ValType::I32], [ValType::I32]);
    let add = Func::new(&mut store, ty, |_caller, args, results| {
        results[0] = Val::I32(args[0].i32().unwrap() + args[1].i32().unwrap());
        Ok(())
    });
    let mut linker = Linker::new(&engine);
    linker.define("env", "add", add).unwrap();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "add" (func $add (param i32 i32) (result i32)))
            (table (export "t") 1 funcref) (elem (i32.const 0) $add)
            (func (export "run") (result i32)
                (call_indirect (param i32 i32) (result i32) (i32.const 2) (i32.const 3) (i32.const 0))))"#,
    )
    .unwrap();
    let inst = linker.instantiate(&mut store, &module).unwrap();
    let run = inst.get_typed_func::<(), i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 5);
}
