//! `call_indirect` through the table elements' call records: every way a
//! table element can change (`table.set/grow/fill/copy/init`, element
//! segments, the host API), host functions and functions of other instances
//! in tables, lazily translated callees, and every trap, in lazy and eager
//! translation. The fast path must never call a stale or wrong target.

use baton::{Config, Engine, Error, Func, Instance, Linker, Module, Store, TrapCode, Val};

fn engines() -> [Engine; 2] {
    let mut lazy = Config::default();
    lazy.lazy_translation(true);
    let mut eager = Config::default();
    eager.lazy_translation(false);
    [Engine::new(&lazy), Engine::new(&eager)]
}

fn instantiate<T>(store: &mut Store<T>, linker: &Linker<T>, wat: &str) -> Instance {
    let module = Module::new(store.engine(), wat).expect("module compiles");
    linker.instantiate(store, &module).expect("module instantiates")
}

/// A store and an instance of `wat` (no imports) for each of `engines()`.
fn each_engine(wat: &str) -> impl Iterator<Item = (Store<()>, Instance)> + '_ {
    engines().into_iter().map(move |engine| {
        let mut store = Store::new(&engine, ());
        let inst = instantiate(&mut store, &Linker::new(&engine), wat);
        (store, inst)
    })
}

fn trap(r: Result<i32, Error>) -> TrapCode {
    match r {
        Err(e) => e.trap_code().unwrap_or_else(|| panic!("not a trap: {e:?}")),
        Ok(v) => panic!("expected a trap, got {v}"),
    }
}

const KERNEL: &str = r#"
    (type $ii (func (param i32) (result i32)))
    (type $v (func (result i32)))
    (table $t (export "t") 4 funcref)
    (elem (table $t) (i32.const 0) func $inc $dbl)
    (elem $passive func $dbl $inc $k)
    (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
    (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
    (func $k (type $v) (i32.const 77))
    (func (export "call") (param i32 i32) (result i32)
        (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
    (func (export "call_v") (param i32) (result i32)
        (call_indirect $t (type $v) (local.get 0)))
    (func (export "set") (param i32 i32)
        (if (i32.eq (local.get 1) (i32.const 0)) (then (table.set $t (local.get 0) (ref.func $inc))))
        (if (i32.eq (local.get 1) (i32.const 1)) (then (table.set $t (local.get 0) (ref.func $dbl))))
        (if (i32.eq (local.get 1) (i32.const 2)) (then (table.set $t (local.get 0) (ref.func $k))))
        (if (i32.eq (local.get 1) (i32.const 3)) (then (table.set $t (local.get 0) (ref.null func)))))
    (func (export "grow") (param i32) (result i32) (table.grow $t (ref.func $dbl) (local.get 0)))
    (func (export "grow_null") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
    (func (export "fill") (param i32 i32) (table.fill $t (local.get 0) (ref.func $inc) (local.get 1)))
    (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
    (func (export "init") (param i32 i32 i32) (table.init $t $passive (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop") (elem.drop $passive))
"#;

#[test]
fn table_writes_change_the_callee() {
    for (mut store, inst) in each_engine(&format!("(module {KERNEL})")) {
        let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
        let call_v = inst.get_typed_func::<i32, i32>(&store, "call_v").unwrap();
        let set = inst.get_typed_func::<(i32, i32), ()>(&store, "set").unwrap();
        let c = |store: &mut Store<()>, i, x| call.call(store, (i, x));
        for _ in 0..3 {
            assert_eq!(c(&mut store, 0, 10).unwrap(), 11);
            assert_eq!(c(&mut store, 1, 10).unwrap(), 20);
        }
        assert_eq!(trap(c(&mut store, 2, 10)), TrapCode::IndirectCallToNull);
        assert_eq!(trap(c(&mut store, 4, 10)), TrapCode::UndefinedElement);
        assert_eq!(trap(c(&mut store, -1, 10)), TrapCode::UndefinedElement);
        assert_eq!(trap(call_v.call(&mut store, 0)), TrapCode::BadSignature);
        // Overwrite a called element with another function of the same type,
        // with one of another type, with null, and back.
        set.call(&mut store, (0, 1)).unwrap();
        assert_eq!(c(&mut store, 0, 10).unwrap(), 20);
        set.call(&mut store, (0, 2)).unwrap();
        assert_eq!(trap(c(&mut store, 0, 10)), TrapCode::BadSignature);
        assert_eq!(call_v.call(&mut store, 0).unwrap(), 77);
        set.call(&mut store, (0, 3)).unwrap();
        assert_eq!(trap(c(&mut store, 0, 10)), TrapCode::IndirectCallToNull);
        assert_eq!(trap(call_v.call(&mut store, 0)), TrapCode::IndirectCallToNull);
        set.call(&mut store, (0, 0)).unwrap();
        assert_eq!(c(&mut store, 0, 10).unwrap(), 11);
        // The host sees the same references it would without call records.
        let t = inst.get_table(&store, "t").unwrap();
        let inc = t.get(&store, 0).unwrap();
        assert!(matches!(inc, Val::FuncRef(Some(_))));
        assert_eq!(t.get(&store, 2), Some(Val::FuncRef(None)));
        assert_eq!(t.get(&store, 4), None);
    }
}

#[test]
fn grow_fill_copy_init_then_call() {
    for (mut store, inst) in each_engine(&format!("(module {KERNEL})")) {
        let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
        let call_v = inst.get_typed_func::<i32, i32>(&store, "call_v").unwrap();
        let f2 = |n: &str| inst.get_typed_func::<(i32, i32), ()>(&store, n).unwrap();
        let (fill, set) = (f2("fill"), f2("set"));
        let f3 = |n: &str| inst.get_typed_func::<(i32, i32, i32), ()>(&store, n).unwrap();
        let (copy, init) = (f3("copy"), f3("init"));
        let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
        let grow_null = inst.get_typed_func::<i32, i32>(&store, "grow_null").unwrap();
        let drop = inst.get_typed_func::<(), ()>(&store, "drop").unwrap();

        // Call index 0 first so its record is complete, then grow (the
        // elements move to a new allocation).
        assert_eq!(call.call(&mut store, (0, 5)).unwrap(), 6);
        assert_eq!(grow.call(&mut store, 3).unwrap(), 4);
        assert_eq!(grow_null.call(&mut store, 100).unwrap(), 7);
        for i in 4..7 {
            assert_eq!(call.call(&mut store, (i, 5)).unwrap(), 10);
        }
        assert_eq!(call.call(&mut store, (0, 5)).unwrap(), 6);
        assert_eq!(trap(call.call(&mut store, (7, 5))), TrapCode::IndirectCallToNull);
        assert_eq!(trap(call.call(&mut store, (106, 5))), TrapCode::IndirectCallToNull);
        assert_eq!(trap(call.call(&mut store, (107, 5))), TrapCode::UndefinedElement);

        fill.call(&mut store, (4, 2)).unwrap();
        assert_eq!(call.call(&mut store, (4, 5)).unwrap(), 6);
        assert_eq!(call.call(&mut store, (5, 5)).unwrap(), 6);
        assert_eq!(call.call(&mut store, (6, 5)).unwrap(), 10);
        let err = fill.call(&mut store, (106, 2)).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::TableOutOfBounds));

        // Overlapping copy: [inc dbl null null inc inc dbl null] -> copy 3 from 4 to 2.
        copy.call(&mut store, (2, 4, 3)).unwrap();
        assert_eq!(call.call(&mut store, (2, 5)).unwrap(), 6);
        assert_eq!(call.call(&mut store, (3, 5)).unwrap(), 6);
        assert_eq!(call.call(&mut store, (4, 5)).unwrap(), 10);
        copy.call(&mut store, (8, 0, 2)).unwrap();
        assert_eq!(call.call(&mut store, (8, 5)).unwrap(), 6);
        assert_eq!(call.call(&mut store, (9, 5)).unwrap(), 10);
        copy.call(&mut store, (0, 7, 1)).unwrap();
        assert_eq!(trap(call.call(&mut store, (0, 5))), TrapCode::IndirectCallToNull);

        // Passive segment [dbl inc k].
        init.call(&mut store, (10, 0, 3)).unwrap();
        assert_eq!(call.call(&mut store, (10, 5)).unwrap(), 10);
        assert_eq!(call.call(&mut store, (11, 5)).unwrap(), 6);
        assert_eq!(trap(call.call(&mut store, (12, 5))), TrapCode::BadSignature);
        assert_eq!(call_v.call(&mut store, 12).unwrap(), 77);
        drop.call(&mut store, ()).unwrap();
        let err = init.call(&mut store, (10, 0, 1)).unwrap_err();
        assert_eq!(err.trap_code(), Some(TrapCode::TableOutOfBounds));
        init.call(&mut store, (10, 0, 0)).unwrap();
        assert_eq!(call.call(&mut store, (10, 5)).unwrap(), 10);

        // table.set over a grown element.
        set.call(&mut store, (100, 1)).unwrap();
        assert_eq!(call.call(&mut store, (100, 5)).unwrap(), 10);
    }
}

#[test]
fn host_functions_in_tables() {
    for engine in engines() {
        let mut store: Store<u32> = Store::new(&engine, 0);
        let mut linker = Linker::new(&engine);
        linker
            .func_wrap("host", "triple", |mut caller: baton::Caller<'_, u32>, x: i32| -> i32 {
                *caller.data_mut() += 1;
                x * 3
            })
            .unwrap();
        // A host function that rewrites the table it is called through.
        linker
            .func_wrap("host", "rewire", |mut caller: baton::Caller<'_, u32>, x: i32| -> i32 {
                let t = caller.get_export("t").and_then(|e| e.into_table()).unwrap();
                let inc = t.get(&caller, 1).unwrap();
                t.set(&mut caller, 2, inc).unwrap();
                t.grow(&mut caller, 1, inc).unwrap();
                x
            })
            .unwrap();
        let inst = instantiate(
            &mut store,
            &linker,
            r#"(module
                (import "host" "triple" (func $triple (param i32) (result i32)))
                (import "host" "rewire" (func $rewire (param i32) (result i32)))
                (type $ii (func (param i32) (result i32)))
                (table $t (export "t") 3 funcref)
                (elem (table $t) (i32.const 0) func $triple $inc $rewire)
                (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
                (func (export "call") (param i32 i32) (result i32)
                    (call_indirect $t (type $ii) (local.get 1) (local.get 0))))"#,
        );
        let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
        for k in 1..=3 {
            assert_eq!(call.call(&mut store, (0, 7)).unwrap(), 21);
            assert_eq!(*store.data(), k);
        }
        assert_eq!(call.call(&mut store, (2, 7)).unwrap(), 7);
        assert_eq!(call.call(&mut store, (2, 7)).unwrap(), 8);
        assert_eq!(call.call(&mut store, (3, 7)).unwrap(), 8);

        // From the host API: a host function and a wasm function of another
        // instance put into the table with `Table::set` and `Table::grow`.
        let t = inst.get_table(&store, "t").unwrap();
        let neg = Func::wrap(&mut store, |x: i32| -x);
        t.set(&mut store, 1, Val::FuncRef(Some(neg))).unwrap();
        assert_eq!(call.call(&mut store, (1, 7)).unwrap(), -7);
        let other = instantiate(
            &mut store,
            &Linker::new(&engine),
            r#"(module (func (export "sq") (param i32) (result i32) (i32.mul (local.get 0) (local.get 0))))"#,
        );
        let sq = other.get_func(&store, "sq").unwrap();
        t.grow(&mut store, 2, Val::FuncRef(Some(sq))).unwrap();
        assert_eq!(call.call(&mut store, (4, 7)).unwrap(), 49);
        assert_eq!(call.call(&mut store, (5, 7)).unwrap(), 49);
        let bad = Func::wrap(&mut store, |x: i64| x);
        t.set(&mut store, 5, Val::FuncRef(Some(bad))).unwrap();
        assert_eq!(trap(call.call(&mut store, (5, 7))), TrapCode::BadSignature);
        t.set(&mut store, 5, Val::FuncRef(None)).unwrap();
        assert_eq!(trap(call.call(&mut store, (5, 7))), TrapCode::IndirectCallToNull);
    }
}

#[test]
fn cross_instance_tables() {
    for engine in engines() {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        // Instance A: its functions read A's memory and global.
        let a = instantiate(
            &mut store,
            &linker,
            r#"(module
                (type $ii (func (param i32) (result i32)))
                (memory 1) (data (i32.const 0) "\0a")
                (global $g (mut i32) (i32.const 100))
                (table $t (export "t") 4 funcref)
                (elem (table $t) (i32.const 0) func $a_mem $a_glob)
                (func $a_mem (type $ii) (i32.add (local.get 0) (i32.load8_u (i32.const 0))))
                (func $a_glob (type $ii)
                    (global.set $g (i32.add (global.get $g) (i32.const 1)))
                    (i32.add (local.get 0) (global.get $g)))
                (func (export "call") (param i32 i32) (result i32)
                    (call_indirect $t (type $ii) (local.get 1) (local.get 0))))"#,
        );
        linker.instance(&store, "a", a).unwrap();
        // Instance B imports A's table, puts its own functions into it, and
        // calls A's functions through it (and A calls B's).
        let b = instantiate(
            &mut store,
            &linker,
            r#"(module
                (type $ii (func (param i32) (result i32)))
                (import "a" "t" (table $t 4 funcref))
                (memory 1) (data (i32.const 0) "\14")
                (elem (table $t) (i32.const 2) func $b_mem $b_calls_a)
                (func $b_mem (type $ii) (i32.add (local.get 0) (i32.load8_u (i32.const 0))))
                ;; B -> A -> back to B, each with its own memory.
                (func $b_calls_a (type $ii)
                    (i32.add (i32.load8_u (i32.const 0))
                        (call_indirect $t (type $ii) (local.get 0) (i32.const 0))))
                (func (export "call") (param i32 i32) (result i32)
                    (call_indirect $t (type $ii) (local.get 1) (local.get 0))))"#,
        );
        let call_a = a.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
        let call_b = b.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
        for _ in 0..3 {
            assert_eq!(call_a.call(&mut store, (0, 1)).unwrap(), 11);
            assert_eq!(call_b.call(&mut store, (0, 1)).unwrap(), 11);
            assert_eq!(call_a.call(&mut store, (2, 1)).unwrap(), 21);
            assert_eq!(call_b.call(&mut store, (2, 1)).unwrap(), 21);
            assert_eq!(call_a.call(&mut store, (3, 1)).unwrap(), 31);
            assert_eq!(call_b.call(&mut store, (3, 1)).unwrap(), 31);
        }
        // A's global is A's, whoever calls.
        assert_eq!(call_b.call(&mut store, (1, 0)).unwrap(), 101);
        assert_eq!(call_a.call(&mut store, (1, 0)).unwrap(), 102);
    }
}

#[test]
fn lazily_translated_callees() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(
        &mut store,
        &Linker::new(&engine),
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (type $v (func (result i32)))
            (table $t 4 funcref)
            (elem (table $t) (i32.const 0) func $a $b $c $d)
            (func $a (type $ii) (i32.add (local.get 0) (i32.const 1)))
            (func $b (type $ii) (i32.add (local.get 0) (i32.const 2)))
            (func $c (type $ii) (i32.add (local.get 0) (i32.const 3)))
            (func $d (type $ii) (unreachable))
            (func (export "direct_c") (param i32) (result i32) (call $c (local.get 0)))
            (func (export "call") (param i32 i32) (result i32)
                (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
            (func (export "call_v") (param i32) (result i32)
                (call_indirect $t (type $v) (local.get 0))))"#,
    );
    let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
    let call_v = inst.get_typed_func::<i32, i32>(&store, "call_v").unwrap();
    let direct_c = inst.get_typed_func::<i32, i32>(&store, "direct_c").unwrap();
    // A signature mismatch on a callee never translated traps as usual.
    assert_eq!(trap(call_v.call(&mut store, 1)), TrapCode::BadSignature);
    // The first call translates, later ones use the completed record.
    for _ in 0..3 {
        assert_eq!(call.call(&mut store, (1, 10)).unwrap(), 12);
    }
    assert_eq!(trap(call_v.call(&mut store, 1)), TrapCode::BadSignature);
    // Translated through a direct call first, then called indirectly.
    assert_eq!(direct_c.call(&mut store, 10).unwrap(), 13);
    assert_eq!(call.call(&mut store, (2, 10)).unwrap(), 13);
    assert_eq!(call.call(&mut store, (0, 10)).unwrap(), 11);
    // A trap in an indirectly called function names it in the backtrace.
    let err = call.call(&mut store, (3, 0)).unwrap_err();
    assert_eq!(err.trap_code(), Some(TrapCode::Unreachable));
    assert!(err.backtrace().first().is_some_and(|f| f.contains('d')), "{:?}", err.backtrace());
}

#[test]
fn untranslatable_callee_is_an_error_every_time() {
    // More than 65 535 value slots: a limit error at the first call (lazy).
    let locals = " i32".repeat(49_999);
    let body = "(local.get 0)".repeat(20_000) + &" i32.add".repeat(19_999);
    let wat = format!(
        r#"(module
            (type $ii (func (param i32) (result i32)))
            (table $t 2 funcref)
            (elem (table $t) (i32.const 0) func $big $ok)
            (func $big (type $ii) (local {locals}) {body})
            (func $ok (type $ii) (local.get 0))
            (func (export "call") (param i32 i32) (result i32)
                (call_indirect $t (type $ii) (local.get 1) (local.get 0))))"#
    );
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let inst = instantiate(&mut store, &Linker::new(&engine), &wat);
    let call = inst.get_typed_func::<(i32, i32), i32>(&store, "call").unwrap();
    for _ in 0..2 {
        let err = call.call(&mut store, (0, 1)).unwrap_err();
        assert!(matches!(&err, Error::Limit(m) if m.contains("value slots")), "{err:?}");
        assert_eq!(call.call(&mut store, (1, 5)).unwrap(), 5);
    }
}

#[test]
fn indirect_recursion_exhausts_the_stack() {
    for (mut store, inst) in each_engine(
        r#"(module
                (type $ii (func (param i32) (result i32)))
                (table $t 1 funcref)
                (elem (table $t) (i32.const 0) func $rec)
                (func $rec (type $ii)
                    (if (result i32) (i32.eqz (local.get 0))
                        (then (i32.const 0))
                        (else (i32.add (i32.const 1)
                            (call_indirect $t (type $ii) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))))))
                (func (export "rec") (param i32) (result i32)
                    (call_indirect $t (type $ii) (local.get 0) (i32.const 0))))"#,
    ) {
        let rec = inst.get_typed_func::<i32, i32>(&store, "rec").unwrap();
        assert_eq!(rec.call(&mut store, 1000).unwrap(), 1000);
        assert_eq!(trap(rec.call(&mut store, -1)), TrapCode::StackOverflow);
        // The store is still usable afterwards.
        assert_eq!(rec.call(&mut store, 10).unwrap(), 10);
    }
}

#[test]
fn calls_through_a_second_table() {
    for (mut store, inst) in each_engine(
        r#"(module
                (type $ii (func (param i32) (result i32)))
                (table $a 2 funcref)
                (table $b 2 funcref)
                (elem (table $a) (i32.const 0) func $inc $dbl)
                (elem (table $b) (i32.const 1) func $dbl)
                (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
                (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
                (func (export "a") (param i32 i32) (result i32)
                    (call_indirect $a (type $ii) (local.get 1) (local.get 0)))
                (func (export "b") (param i32 i32) (result i32)
                    (call_indirect $b (type $ii) (local.get 1) (local.get 0)))
                (func (export "copy_ab") (table.copy $b $a (i32.const 0) (i32.const 0) (i32.const 2))))"#,
    ) {
        let a = inst.get_typed_func::<(i32, i32), i32>(&store, "a").unwrap();
        let b = inst.get_typed_func::<(i32, i32), i32>(&store, "b").unwrap();
        let copy_ab = inst.get_typed_func::<(), ()>(&store, "copy_ab").unwrap();
        assert_eq!(a.call(&mut store, (0, 5)).unwrap(), 6);
        assert_eq!(trap(b.call(&mut store, (0, 5))), TrapCode::IndirectCallToNull);
        assert_eq!(b.call(&mut store, (1, 5)).unwrap(), 10);
        assert_eq!(trap(b.call(&mut store, (2, 5))), TrapCode::UndefinedElement);
        copy_ab.call(&mut store, ()).unwrap();
        assert_eq!(b.call(&mut store, (0, 5)).unwrap(), 6);
        assert_eq!(b.call(&mut store, (1, 5)).unwrap(), 10);
    }
}

/// Every function entry zeroes its locals (`enter`, `enter4`, `enter8`,
/// `enter_many`), also in slots a previous callee left dirty.
#[test]
fn locals_start_at_zero() {
    for (mut store, inst) in each_engine(
        r#"(module
            (type $z (func (param i64) (result i64)))
            (table funcref (elem $z1 $z2 $z3 $z4 $z5 $z6 $z7 $z8 $z9))
            ;; Leaves non-zero values in the slots the next callee's locals reuse.
            (func $dirty (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
                (local.set 0 (i64.const -1)) (local.set 1 (i64.const -1)) (local.set 2 (i64.const -1))
                (local.set 3 (i64.const -1)) (local.set 4 (i64.const -1)) (local.set 5 (i64.const -1))
                (local.set 6 (i64.const -1)) (local.set 7 (i64.const -1)) (local.set 8 (i64.const -1))
                (local.set 9 (i64.const -1)) (local.set 10 (i64.const -1)) (local.set 11 (i64.const -1)))
            (func $z1 (param i64) (result i64) (local i64) (i64.const 0)(i64.or (local.get 1)))
            (func $z2 (param i64) (result i64) (local i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2)))
            (func $z3 (param i64) (result i64) (local i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3)))
            (func $z4 (param i64) (result i64) (local i64 i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3))(i64.or (local.get 4)))
            (func $z5 (param i64) (result i64) (local i64 i64 i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3))(i64.or (local.get 4))(i64.or (local.get 5)))
            (func $z6 (param i64) (result i64) (local i64 i64 i64 i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3))(i64.or (local.get 4))(i64.or (local.get 5))(i64.or (local.get 6)))
            (func $z7 (param i64) (result i64) (local i64 i64 i64 i64 i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3))(i64.or (local.get 4))(i64.or (local.get 5))(i64.or (local.get 6))(i64.or (local.get 7)))
            (func $z8 (param i64) (result i64) (local i64 i64 i64 i64 i64 i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3))(i64.or (local.get 4))(i64.or (local.get 5))(i64.or (local.get 6))(i64.or (local.get 7))(i64.or (local.get 8)))
            (func $z9 (param i64) (result i64) (local i64 i64 i64 i64 i64 i64 i64 i64 i64) (i64.const 0)(i64.or (local.get 1))(i64.or (local.get 2))(i64.or (local.get 3))(i64.or (local.get 4))(i64.or (local.get 5))(i64.or (local.get 6))(i64.or (local.get 7))(i64.or (local.get 8))(i64.or (local.get 9)))
            (func (export "run") (result i64) (local i64)
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z1 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 0))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z2 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 1))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z3 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 2))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z4 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 3))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z5 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 4))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z6 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 5))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z7 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 6))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z8 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 7))))
                (call $dirty) (local.set 0 (i64.or (local.get 0) (call $z9 (i64.const 0))))
                (local.set 0 (i64.or (local.get 0) (call_indirect (type $z) (i64.const 0) (i32.const 8))))
                (local.get 0)))"#,
    ) {
        let run = inst.get_typed_func::<(), i64>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, ()).unwrap(), 0);
    }
}
