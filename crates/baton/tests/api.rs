//! Focused tests of the embedding API: calls, host functions, memories, globals,
//! tables, traps, long-running loops and stack exhaustion.

use baton::{
    Caller, Engine, Error, Extern, ExternRef, Func, FuncType, GlobalType, Instance, Linker, Memory, MemoryType, Module,
    Mutability, Store, Table, TableType, TrapCode, Val, ValType,
};

fn instantiate<T>(store: &mut Store<T>, linker: &Linker<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("module compiles");
    linker.instantiate(store, &module).expect("module instantiates")
}

fn setup(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let inst = instantiate(&mut store, &linker, wat);
    (store, inst)
}

#[test]
fn typed_and_untyped_calls() {
    let (mut store, inst) = setup(
        r#"(module
            (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
            (func (export "mix") (param i64 f32 f64) (result f64 i64)
                local.get 2 local.get 1 f64.promote_f32 f64.add
                local.get 0 i64.const 1 i64.shl)
            (func (export "nothing")))"#,
    );
    let add = inst.get_typed_func::<(i32, i32), i32>(&store, "add").unwrap();
    assert_eq!(add.call(&mut store, (40, 2)).unwrap(), 42);
    assert_eq!(add.call(&mut store, (i32::MAX, 1)).unwrap(), i32::MIN);

    let mix = inst.get_typed_func::<(i64, f32, f64), (f64, i64)>(&store, "mix").unwrap();
    assert_eq!(mix.call(&mut store, (21, 1.5, 0.25)).unwrap(), (1.75, 42));

    let f = inst.get_func(&store, "mix").unwrap();
    assert_eq!(f.ty(&store), FuncType::new([ValType::I64, ValType::F32, ValType::F64], [ValType::F64, ValType::I64]));
    let mut out = [Val::I32(0), Val::I32(0)];
    f.call(&mut store, &[Val::I64(-4), Val::from_f32(2.0), Val::from_f64(1.0)], &mut out).unwrap();
    assert_eq!(out, [Val::from_f64(3.0), Val::I64(-8)]);

    // Wrong arity or types are reported, not run.
    assert!(matches!(f.call(&mut store, &[Val::I64(1)], &mut out), Err(Error::BadCall(_))));
    assert!(matches!(
        f.call(&mut store, &[Val::I32(1), Val::from_f32(2.0), Val::from_f64(1.0)], &mut out),
        Err(Error::BadCall(_))
    ));
    assert!(inst.get_typed_func::<i32, i32>(&store, "add").is_err());

    let nothing = inst.get_typed_func::<(), ()>(&store, "nothing").unwrap();
    nothing.call(&mut store, ()).unwrap();
}

#[test]
fn host_function_reads_caller_memory() {
    let engine = Engine::default();
    let mut store: Store<Vec<String>> = Store::new(&engine, Vec::new());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "log", |mut caller: Caller<'_, Vec<String>>, ptr: i32, len: i32| -> Result<i32, Error> {
            let Some(Extern::Memory(mem)) = caller.get_export("memory") else {
                return Err(Error::host("no exported memory"));
            };
            let mut buf = vec![0u8; len as usize];
            mem.read(&caller, ptr as usize, &mut buf).map_err(|e| Error::host(e.to_string()))?;
            let text = String::from_utf8(buf).map_err(|e| Error::host(e.to_string()))?;
            caller.data_mut().push(text);
            Ok(len * 2)
        })
        .unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "log" (func $log (param i32 i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 100) "hello, host")
            (func (export "run") (result i32)
                (call $log (i32.const 100) (i32.const 11))
                (call $log (i32.const 107) (i32.const 4))
                i32.add))"#,
    );
    let run = inst.get_typed_func::<(), i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 30);
    assert_eq!(store.data(), &["hello, host".to_string(), "host".to_string()]);
}

#[test]
fn host_errors_and_exit_propagate() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "fail", || -> Result<(), Error> { Err(Error::host("boom")) }).unwrap();
    linker.func_wrap("env", "exit", |code: i32| -> Result<(), Error> { Err(Error::i32_exit(code)) }).unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "fail" (func $fail))
            (import "env" "exit" (func $exit (param i32)))
            (func (export "fail") call $fail)
            (func (export "exit") (param i32) local.get 0 call $exit unreachable))"#,
    );
    let fail = inst.get_typed_func::<(), ()>(&store, "fail").unwrap();
    let err = fail.call(&mut store, ()).unwrap_err();
    assert!(matches!(err, Error::Host(_)), "{err:?}");
    assert_eq!(err.to_string(), "boom");
    let exit = inst.get_typed_func::<i32, ()>(&store, "exit").unwrap();
    assert_eq!(exit.call(&mut store, 7).unwrap_err().i32_exit_status(), Some(7));
    // The store stays usable after an error.
    assert_eq!(exit.call(&mut store, 3).unwrap_err().i32_exit_status(), Some(3));
}

/// Errors of nested executions (host -> wasm -> host -> wasm) reach the
/// caller that made them, each exactly once, and leave the store usable.
#[test]
fn nested_errors_reach_their_own_caller() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, Vec::<String>::new());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("env", "fail", || -> Result<(), Error> { Err(Error::host("inner boom")) }).unwrap();
    // Calls the guest's `inner` (which fails) and records what it got, then
    // fails itself with a different error.
    linker
        .func_wrap("env", "reenter", |mut caller: Caller<'_, Vec<String>>, x: i32| -> Result<i32, Error> {
            let inner = caller.get_export("inner").and_then(|e| e.into_func()).unwrap();
            let inner = inner.typed::<i32, i32>(&caller).unwrap();
            let e = inner.call(&mut caller, x).unwrap_err();
            caller.data_mut().push(e.to_string());
            if x == 0 {
                return Ok(inner.call(&mut caller, 1).unwrap_or(-1));
            }
            Err(Error::host("outer boom"))
        })
        .unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "fail" (func $fail))
            (import "env" "reenter" (func $reenter (param i32) (result i32)))
            (func (export "inner") (param i32) (result i32)
                (if (i32.eqz (local.get 0)) (then (call $fail)))
                (if (i32.eq (local.get 0) (i32.const 2)) (then unreachable))
                (local.get 0))
            (func (export "outer") (param i32) (result i32) (call $reenter (local.get 0))))"#,
    );
    let outer = inst.get_typed_func::<i32, i32>(&store, "outer").unwrap();
    // The inner call fails with the host error, a second inner call succeeds.
    assert_eq!(outer.call(&mut store, 0).unwrap(), 1);
    // The inner call traps; the outer host function then fails.
    let err = outer.call(&mut store, 2).unwrap_err();
    assert_eq!(err.to_string(), "outer boom");
    assert_eq!(store.data().as_slice(), ["inner boom", "unreachable"]);
    let inner = inst.get_typed_func::<i32, i32>(&store, "inner").unwrap();
    assert_eq!(inner.call(&mut store, 5).unwrap(), 5);
}

/// A nested execution in another instance (its own memory and globals, which
/// it grows and writes) leaves the outer execution's view of its instance
/// intact, and a trap after it reports the outer frames. The store's one
/// execution context is shared by both, and the store moves between calls.
#[test]
fn nested_execution_in_another_instance_restores_the_outer_one() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, None::<Func>);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "other", |mut caller: Caller<'_, Option<Func>>, x: i32| -> Result<i32, Error> {
            let f = caller.data().unwrap().typed::<i32, i32>(&caller)?;
            f.call(&mut caller, x)
        })
        .unwrap();
    let b = instantiate(
        &mut store,
        &linker,
        r#"(module
            (memory 1) (global $g (mut i32) (i32.const 100))
            (func (export "b") (param i32) (result i32)
                (drop (memory.grow (i32.const 3)))
                (i32.store (i32.const 200000) (local.get 0))
                (global.set $g (i32.add (global.get $g) (local.get 0)))
                (if (i32.eq (local.get 0) (i32.const 13)) (then unreachable))
                (i32.add (global.get $g) (i32.load (i32.const 200000)))))"#,
    );
    *store.data_mut() = Some(b.get_func(&store, "b").unwrap());
    let a = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "other" (func $other (param i32) (result i32)))
            (memory 1) (global $g (mut i32) (i32.const 7))
            (data (i32.const 16) "\2a")
            (func $a (export "a") (param i32) (result i32)
                (local $r i32)
                (local.set $r (call $other (local.get 0)))
                (if (i32.eq (local.get 0) (i32.const 5)) (then unreachable))
                ;; The outer instance's memory (1 page, byte 16) and global.
                (i32.add (i32.add (local.get $r) (memory.size))
                         (i32.add (i32.load8_u (i32.const 16)) (global.get $g)))))"#,
    );
    let f = a.get_typed_func::<i32, i32>(&store, "a").unwrap();
    // b(1): global 101, + stored 1 = 102; then a adds 1 page + 42 + 7.
    assert_eq!(f.call(&mut store, 1).unwrap(), 102 + 1 + 42 + 7);
    let mut moved = Box::new(store);
    let store = &mut *moved;
    // b(5) succeeds (global 106), then a traps: the backtrace is a's.
    let err = f.call(&mut *store, 5).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable), "{err:?}");
    assert_eq!(err.backtrace().len(), 1, "{:?}", err.backtrace());
    assert_eq!(err.backtrace()[0], "a");
    // b(13) traps inside the nested execution; the host function returns
    // that error, which ends the outer execution too.
    let err = f.call(&mut *store, 13).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable), "{err:?}");
    // Still usable: b's global kept every update (b(13) set it before it
    // trapped), a's memory has its one page.
    assert_eq!(f.call(&mut *store, 2).unwrap(), (100 + 1 + 5 + 13 + 2) + 2 + 1 + 42 + 7);
}

/// A host function that calls back into the guest near the end of the value
/// stack: the nested entry (its arguments, or the callee's frame) does not
/// fit, so it fails with "call stack exhausted", and the outer executions
/// and the store stay usable. Recursion depths around the limit put the host
/// call's slots at every distance from the end of the stack.
#[test]
fn nested_entry_at_the_end_of_the_value_stack_traps() {
    let mut config = baton::Config::default();
    config.max_stack_slots(1024);
    let engine = Engine::new(&config);
    let mut store = Store::new(&engine, None::<Func>);
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap("env", "reenter", |mut caller: Caller<'_, Option<Func>>| -> Result<i64, Error> {
            let wide = caller.data().unwrap().typed::<(i64, i64, i64, i64, i64, i64, i64, i64), i64>(&caller)?;
            match wide.call(&mut caller, (1, 2, 3, 4, 5, 6, 7, 8)) {
                Ok(v) => Ok(v),
                Err(e) if e.trap_code() == Some(TrapCode::StackOverflow) => Ok(-1),
                Err(e) => Err(e),
            }
        })
        .unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "reenter" (func $reenter (result i64)))
            (func $wide (export "wide") (param i64 i64 i64 i64 i64 i64 i64 i64) (result i64)
                (i64.add (local.get 0) (local.get 7)))
            (func $deep (export "deep") (param $n i32) (param $pad i32) (result i64)
                (local i64 i64 i64)
                (if (result i64) (i32.eqz (local.get $n))
                    (then (call $reenter))
                    (else (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $pad))))))"#,
    );
    *store.data_mut() = Some(inst.get_func(&store, "wide").unwrap());
    let deep = inst.get_typed_func::<(i32, i32), i64>(&store, "deep").unwrap();
    let (mut ok, mut nested_full, mut outer_full) = (0, 0, 0);
    for n in 0..400 {
        match deep.call(&mut store, (n, 0)) {
            Ok(9) => ok += 1,
            Ok(-1) => nested_full += 1,
            Err(e) if e.trap_code() == Some(TrapCode::StackOverflow) => outer_full += 1,
            other => panic!("deep({n}): {other:?}"),
        }
        assert_eq!(deep.call(&mut store, (0, 0)).unwrap(), 9, "after deep({n})");
    }
    assert!(ok > 0 && nested_full > 0 && outer_full > 0, "{ok} {nested_full} {outer_full}");
}

/// A function of another store is a typed error, not a panic.
#[test]
fn func_of_another_store_is_an_error() {
    let engine = Engine::default();
    let mut big = Store::new(&engine, ());
    let linker = Linker::new(&engine);
    let src = r#"(module (func (export "a") (result i32) i32.const 1) (func (export "b") (result i32) i32.const 2))"#;
    let inst = instantiate(&mut big, &linker, src);
    let b = inst.get_typed_func::<(), i32>(&big, "b").unwrap();
    let mut empty = Store::new(&engine, ());
    let err = b.call(&mut empty, ()).unwrap_err();
    assert!(matches!(err, Error::BadCall(_)), "{err:?}");
}

#[test]
fn untyped_host_function() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let ty = FuncType::new([ValType::I64, ValType::I64], [ValType::I64]);
    linker
        .func_new("env", "sub", ty, |_, params, results| {
            results[0] = Val::I64(params[0].i64().unwrap_or(0) - params[1].i64().unwrap_or(0));
            Ok(())
        })
        .unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "sub" (func $sub (param i64 i64) (result i64)))
            (func (export "run") (param i64) (result i64) (call $sub (local.get 0) (i64.const 50))))"#,
    );
    let run = inst.get_typed_func::<i64, i64>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 8).unwrap(), -42);
}

#[test]
fn globals_get_and_set() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let imported = baton::Global::new(&mut store, GlobalType::new(ValType::I64, Mutability::Var), Val::I64(5)).unwrap();
    linker.define("env", "counter", imported).unwrap();
    let inst = instantiate(
        &mut store,
        &linker,
        r#"(module
            (import "env" "counter" (global $c (mut i64)))
            (global $g (export "g") (mut i32) (i32.const 10))
            (global (export "pi") f64 (f64.const 3.5))
            (func (export "bump") (result i32)
                (global.set $c (i64.add (global.get $c) (i64.const 1)))
                (global.set $g (i32.mul (global.get $g) (i32.const 2)))
                global.get $g))"#,
    );
    let g = inst.get_global(&store, "g").unwrap();
    assert_eq!(g.get(&store), Val::I32(10));
    g.set(&mut store, Val::I32(21)).unwrap();
    let bump = inst.get_typed_func::<(), i32>(&store, "bump").unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 42);
    assert_eq!(g.get(&store), Val::I32(42));
    assert_eq!(imported.get(&store), Val::I64(6));

    let pi = inst.get_global(&store, "pi").unwrap();
    assert_eq!(pi.get(&store).f64(), Some(3.5));
    assert!(pi.set(&mut store, Val::from_f64(1.0)).is_err(), "immutable global");
    assert!(g.set(&mut store, Val::I64(1)).is_err(), "wrong type");
    assert_eq!(g.ty(&store), GlobalType::new(ValType::I32, Mutability::Var));
}

#[test]
fn tables_get_set_grow() {
    let (mut store, inst) = setup(
        r#"(module
            (type $t (func (result i32)))
            (table (export "table") 2 10 funcref)
            (elem (i32.const 0) $one)
            (func $one (export "one") (result i32) i32.const 1)
            (func (export "two") (result i32) i32.const 2)
            (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t))
            (func (export "size") (result i32) table.size 0))"#,
    );
    let table = inst.get_table(&store, "table").unwrap();
    let call = inst.get_typed_func::<i32, i32>(&store, "call").unwrap();
    let size = inst.get_typed_func::<(), i32>(&store, "size").unwrap();
    assert_eq!(table.size(&store), 2);
    assert!(matches!(table.get(&store, 0), Some(Val::FuncRef(Some(_)))));
    assert_eq!(table.get(&store, 1), Some(Val::FuncRef(None)));
    assert_eq!(table.get(&store, 2), None);
    assert_eq!(call.call(&mut store, 0).unwrap(), 1);
    assert_eq!(call.call(&mut store, 1).unwrap_err().trap_code(), Some(TrapCode::IndirectCallToNull));

    let two = inst.get_func(&store, "two").unwrap();
    table.set(&mut store, 1, Val::FuncRef(Some(two))).unwrap();
    assert_eq!(call.call(&mut store, 1).unwrap(), 2);
    assert!(table.set(&mut store, 5, Val::FuncRef(Some(two))).is_err());

    assert_eq!(table.grow(&mut store, 3, Val::FuncRef(Some(two))).unwrap(), 2);
    assert_eq!(table.size(&store), 5);
    assert_eq!(size.call(&mut store, ()).unwrap(), 5);
    assert_eq!(call.call(&mut store, 4).unwrap(), 2);
    assert_eq!(call.call(&mut store, 5).unwrap_err().trap_code(), Some(TrapCode::UndefinedElement));
    assert!(table.grow(&mut store, 6, Val::FuncRef(None)).is_err(), "beyond the maximum");
    assert_eq!(table.size(&store), 5);

    // A host-created table.
    let t = Table::new(&mut store, TableType::new(ValType::ExternRef, 1, None), Val::ExternRef(None)).unwrap();
    let r = ExternRef::new(&mut store, 99u32);
    t.set(&mut store, 0, Val::ExternRef(Some(r))).unwrap();
    let Some(Val::ExternRef(Some(back))) = t.get(&store, 0) else { panic!("externref lost") };
    assert_eq!(back.data(&store).downcast_ref::<u32>(), Some(&99));
}

#[test]
fn memories_grow_read_write() {
    let (mut store, inst) = setup(
        r#"(module
            (memory (export "mem") 1 3)
            (func (export "load") (param i32) (result i32) local.get 0 i32.load)
            (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store)
            (func (export "size") (result i32) memory.size)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
    );
    let mem: Memory = inst.get_memory(&store, "mem").unwrap();
    let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
    let store_fn = inst.get_typed_func::<(i32, i32), ()>(&store, "store").unwrap();
    let size = inst.get_typed_func::<(), i32>(&store, "size").unwrap();
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();

    assert_eq!(mem.size(&store), 1);
    assert_eq!(mem.data_size(&store), 65536);
    mem.write(&mut store, 8, &0x1234_5678u32.to_le_bytes()).unwrap();
    assert_eq!(load.call(&mut store, 8).unwrap(), 0x1234_5678);
    store_fn.call(&mut store, (16, -2)).unwrap();
    let mut buf = [0u8; 4];
    mem.read(&store, 16, &mut buf).unwrap();
    assert_eq!(i32::from_le_bytes(buf), -2);
    assert!(mem.read(&store, 65534, &mut buf).is_err());
    assert!(mem.write(&mut store, usize::MAX, &buf).is_err());

    assert_eq!(load.call(&mut store, 65536).unwrap_err().trap_code(), Some(TrapCode::MemoryOutOfBounds));
    assert_eq!(mem.grow(&mut store, 1).unwrap(), 1);
    assert_eq!(size.call(&mut store, ()).unwrap(), 2);
    store_fn.call(&mut store, (65536, 7)).unwrap();
    assert_eq!(mem.data(&store)[65536], 7);
    assert_eq!(grow.call(&mut store, 1).unwrap(), 2);
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1, "beyond the maximum");
    assert!(mem.grow(&mut store, 1).is_err());
    assert_eq!(mem.size(&store), 3);
    assert_eq!(mem.data_size(&store), 3 * 65536);
    assert_eq!(load.call(&mut store, 3 * 65536 - 4).unwrap(), 0);

    // A host memory imported by a guest.
    let engine = store.engine().clone();
    let mut linker = Linker::new(&engine);
    let host_mem = Memory::new(&mut store, MemoryType::new(1, Some(1))).unwrap();
    host_mem.write(&mut store, 0, b"\x2a\0\0\0").unwrap();
    linker.define("env", "mem", host_mem).unwrap();
    let inst2 = instantiate(
        &mut store,
        &linker,
        r#"(module (import "env" "mem" (memory 1))
            (func (export "first") (result i32) i32.const 0 i32.load))"#,
    );
    let first = inst2.get_typed_func::<(), i32>(&store, "first").unwrap();
    assert_eq!(first.call(&mut store, ()).unwrap(), 42);
}

#[test]
fn externrefs_round_trip() {
    let (mut store, inst) = setup(
        r#"(module
            (func (export "id") (param externref) (result externref) local.get 0)
            (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null))"#,
    );
    let id = inst.get_typed_func::<Option<ExternRef>, Option<ExternRef>>(&store, "id").unwrap();
    let is_null = inst.get_typed_func::<Option<ExternRef>, i32>(&store, "is_null").unwrap();
    let r = ExternRef::new(&mut store, String::from("payload"));
    let back = id.call(&mut store, Some(r)).unwrap().expect("non-null");
    assert_eq!(back.data(&store).downcast_ref::<String>().map(String::as_str), Some("payload"));
    assert_eq!(id.call(&mut store, None).unwrap(), None);
    assert_eq!(is_null.call(&mut store, None).unwrap(), 1);
    assert_eq!(is_null.call(&mut store, Some(r)).unwrap(), 0);
}

#[test]
fn traps_carry_their_code() {
    let (mut store, inst) = setup(
        r#"(module
            (memory 1)
            (func (export "unreachable") unreachable)
            (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
            (func (export "trunc") (param f32) (result i32) local.get 0 i32.trunc_f32_s)
            (func (export "oob") (result i64) i32.const 65535 i64.load)
            (func $inner (unreachable))
            (func $outer (export "nested") call $inner))"#,
    );
    let unreachable = inst.get_typed_func::<(), ()>(&store, "unreachable").unwrap();
    let err = unreachable.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
    assert_eq!(err.to_string(), "unreachable");

    let div = inst.get_typed_func::<(i32, i32), i32>(&store, "div").unwrap();
    assert_eq!(div.call(&mut store, (7, 0)).unwrap_err().trap_code(), Some(TrapCode::IntegerDivisionByZero));
    assert_eq!(div.call(&mut store, (i32::MIN, -1)).unwrap_err().trap_code(), Some(TrapCode::IntegerOverflow));
    assert_eq!(div.call(&mut store, (-7, 2)).unwrap(), -3, "the store is usable after a trap");

    let trunc = inst.get_typed_func::<f32, i32>(&store, "trunc").unwrap();
    assert_eq!(trunc.call(&mut store, f32::NAN).unwrap_err().trap_code(), Some(TrapCode::BadConversionToInteger));

    let oob = inst.get_typed_func::<(), i64>(&store, "oob").unwrap();
    let err = oob.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::MemoryOutOfBounds));
    assert_eq!(err.to_string(), "out of bounds memory access");

    let nested = inst.get_typed_func::<(), ()>(&store, "nested").unwrap();
    let err = nested.call(&mut store, ()).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
    let bt = err.backtrace();
    assert!(bt.len() >= 2, "backtrace {bt:?}");
    assert!(bt[0].contains("inner") && bt[1].contains("outer"), "backtrace {bt:?}");
}

#[test]
fn start_function_trap_fails_instantiation() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(&engine, "(module (func $s unreachable) (start $s))").unwrap();
    let err = Linker::new(&engine).instantiate(&mut store, &module).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
}

#[test]
fn long_loop_completes() {
    let (mut store, inst) = setup(
        r#"(module
            (func (export "count") (param $n i64) (result i64) (local $i i64) (local $acc i64)
                (block $done
                    (loop $top
                        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
                        (local.set $acc (i64.add (local.get $acc) (i64.and (local.get $i) (i64.const 7))))
                        (local.set $i (i64.add (local.get $i) (i64.const 1)))
                        (br $top)))
                local.get $acc))"#,
    );
    let count = inst.get_typed_func::<i64, i64>(&store, "count").unwrap();
    let n: i64 = 100_000_000;
    // Sum of (i & 7) over 0..n: n/8 full cycles of 0+1+..+7 = 28.
    assert_eq!(count.call(&mut store, n).unwrap(), n / 8 * 28);
}

#[test]
fn deep_recursion_exhausts_the_stack() {
    let (mut store, inst) = setup(
        r#"(module
            (func $forever (export "forever") (param i64) (result i64)
                (i64.add (call $forever (i64.add (local.get 0) (i64.const 1))) (i64.const 1)))
            (func $depth (export "depth") (param i32) (result i32)
                (if (result i32) (i32.eqz (local.get 0))
                    (then (i32.const 0))
                    (else (i32.add (call $depth (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))"#,
    );
    let forever = inst.get_typed_func::<i64, i64>(&store, "forever").unwrap();
    let err = forever.call(&mut store, 0).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::StackOverflow));
    assert_eq!(err.to_string(), "call stack exhausted");
    // Recursion within the limit still works afterwards.
    let depth = inst.get_typed_func::<i32, i32>(&store, "depth").unwrap();
    assert_eq!(depth.call(&mut store, 5000).unwrap(), 5000);
}

#[test]
fn link_errors_are_typed() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let module = Module::new(&engine, r#"(module (import "env" "f" (func (param i32))))"#).unwrap();
    assert!(matches!(linker.instantiate(&mut store, &module), Err(Error::Link(_))));
    linker.func_wrap("env", "f", |_: i64| {}).unwrap();
    assert!(matches!(linker.instantiate(&mut store, &module), Err(Error::Link(_))));

    assert!(matches!(Module::new(&engine, b"\0asm\x02\0\0\0"), Err(Error::Malformed(_) | Error::Invalid(_))));
    assert!(Module::new(&engine, "(module (func (result i32) i64.const 0))").is_err());

    // A function of one store wrapped by the host and called directly.
    let f = Func::wrap(&mut store, |a: i32| a + 1);
    let mut out = [Val::I32(0)];
    f.call(&mut store, &[Val::I32(1)], &mut out).unwrap();
    assert_eq!(out[0], Val::I32(2));
}

#[test]
fn runtime_types_are_send_and_sync_like_wasmtimes() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<baton::Engine>();
    sync::<baton::Engine>();
    send::<baton::Module>();
    sync::<baton::Module>();
    send::<baton::Store<()>>();
    send::<baton::Linker<()>>();
    send::<baton::InterruptHandle>();
    sync::<baton::InterruptHandle>();
    send::<baton::Func>();
    send::<baton::Instance>();
}
