//! The translator fuses compares into branches (`br_if`, `if`, through `eqz`),
//! `i32.add` into loads and stores, and constants into immediates. These tests
//! check every fused form against the unfused value of the same expression,
//! including NaN operands (where `!(a < b)` is not `a >= b`).

use baton::{Engine, Instance, Linker, Module, Store, Val};

fn instantiate(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine).instantiate(&mut store, &module).expect("instance");
    (store, instance)
}

fn call(store: &mut Store<()>, inst: &Instance, name: &str, args: &[Val]) -> i32 {
    let f = inst.get_func(&*store, name).expect(name);
    let mut out = [Val::I32(0)];
    f.call(&mut *store, args, &mut out).expect("call");
    out[0].i32().expect("i32 result")
}

/// Asserts that export `name` (with one result) traps out of bounds on `args`.
fn assert_oob(store: &mut Store<()>, inst: &Instance, name: &str, args: &[Val]) {
    let f = inst.get_func(&*store, name).expect(name);
    let mut out = [Val::I32(0)];
    let err = f.call(&mut *store, args, &mut out).unwrap_err();
    assert_eq!(err.trap_code(), Some(baton::TrapCode::MemoryOutOfBounds), "{name} {args:?}: {err:?}");
}

/// Asserts that export `name` returns `want` on `args`, or traps out of
/// bounds when `want` is `None` (a model's verdict).
fn assert_call_or_oob(store: &mut Store<()>, inst: &Instance, name: &str, args: &[Val], want: Option<u32>, what: &str) {
    match want {
        Some(want) => assert_eq!(call(store, inst, name, args) as u32, want, "{name} {what}"),
        None => assert_oob(store, inst, name, args),
    }
}

/// For one compare op, functions computing it as a value, through `br_if`,
/// through `if`, through `eqz` + `if`, and with a constant right operand.
fn cmp_module(ty: &str, op: &str, konst: &str) -> String {
    format!(
        r#"(module
  (func (export "value") (param $a {ty}) (param $b {ty}) (result i32)
    ({ty}.{op} (local.get $a) (local.get $b)))
  (func (export "br_if") (param $a {ty}) (param $b {ty}) (result i32)
    (block $yes
      (br_if $yes ({ty}.{op} (local.get $a) (local.get $b)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "if") (param $a {ty}) (param $b {ty}) (result i32)
    (if (result i32) ({ty}.{op} (local.get $a) (local.get $b))
      (then (i32.const 1)) (else (i32.const 0))))
  (func (export "eqz_if") (param $a {ty}) (param $b {ty}) (result i32)
    (if (result i32) (i32.eqz ({ty}.{op} (local.get $a) (local.get $b)))
      (then (i32.const 0)) (else (i32.const 1))))
  (func (export "eqz_br_if") (param $a {ty}) (param $b {ty}) (result i32)
    (block $no
      (br_if $no (i32.eqz ({ty}.{op} (local.get $a) (local.get $b))))
      (return (i32.const 1)))
    (i32.const 0))
  (func (export "eqz_value") (param $a {ty}) (param $b {ty}) (result i32)
    (i32.xor (i32.const 1) (i32.eqz ({ty}.{op} (local.get $a) (local.get $b)))))
  (func (export "const_value") (param $a {ty}) (param $b {ty}) (result i32)
    ({ty}.{op} (local.get $a) ({ty}.const {konst})))
  (func (export "const_if") (param $a {ty}) (param $b {ty}) (result i32)
    (if (result i32) ({ty}.{op} (local.get $a) ({ty}.const {konst}))
      (then (i32.const 1)) (else (i32.const 0)))))"#
    )
}

fn check_ops(ty: &str, ops: &[&str], konst: &str, values: &[Val]) {
    for op in ops {
        let (mut store, inst) = instantiate(&cmp_module(ty, op, konst));
        for a in values {
            for b in values {
                let args = [*a, *b];
                let want = call(&mut store, &inst, "value", &args);
                for form in ["br_if", "if", "eqz_if", "eqz_br_if", "eqz_value"] {
                    assert_eq!(call(&mut store, &inst, form, &args), want, "{ty}.{op} {form} {a:?} {b:?}");
                }
                assert_eq!(
                    call(&mut store, &inst, "const_if", &args),
                    call(&mut store, &inst, "const_value", &args),
                    "{ty}.{op} const {a:?}"
                );
            }
        }
    }
}

#[test]
fn integer_compares_fused_into_branches() {
    let ops = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"];
    let i32s: Vec<Val> = [0, 1, -1, 7, i32::MIN, i32::MAX].iter().map(|v| Val::I32(*v)).collect();
    check_ops("i32", &ops, "7", &i32s);
    let i64s: Vec<Val> = [0, 1, -1, 7, i64::MIN, i64::MAX].iter().map(|v| Val::I64(*v)).collect();
    check_ops("i64", &ops, "-1", &i64s);
}

#[test]
fn float_compares_fused_into_branches_respect_nan() {
    let ops = ["eq", "ne", "lt", "gt", "le", "ge"];
    let f32s: Vec<Val> = [0.0f32, -0.0, 1.5, -2.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
        .iter()
        .map(|v| Val::from_f32(*v))
        .collect();
    check_ops("f32", &ops, "1.5", &f32s);
    check_ops("f32", &ops, "nan", &f32s);
    let f64s: Vec<Val> = [0.0f64, -0.0, 1.5, -2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]
        .iter()
        .map(|v| Val::from_f64(*v))
        .collect();
    check_ops("f64", &ops, "-2", &f64s);
    check_ops("f64", &ops, "nan", &f64s);
}

#[test]
fn and_and_eqz_fused_into_branches() {
    let wat = r#"(module
      (func (export "and_if") (param i32 i32) (result i32)
        (if (result i32) (i32.and (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "and_value") (param i32 i32) (result i32)
        (i32.ne (i32.and (local.get 0) (local.get 1)) (i32.const 0)))
      (func (export "eqz_eqz_if") (param i32 i32) (result i32)
        (if (result i32) (i32.eqz (i32.eqz (local.get 0))) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "nez_value") (param i32 i32) (result i32)
        (i32.ne (local.get 0) (i32.const 0))))"#;
    let (mut store, inst) = instantiate(wat);
    for a in [0, 1, 2, 3, -1, 0x100] {
        for b in [0, 1, 2, 0x100, -1] {
            let args = [Val::I32(a), Val::I32(b)];
            assert_eq!(call(&mut store, &inst, "and_if", &args), call(&mut store, &inst, "and_value", &args));
            assert_eq!(call(&mut store, &inst, "eqz_eqz_if", &args), call(&mut store, &inst, "nez_value", &args));
        }
    }
}

#[test]
fn fused_address_arithmetic_wraps_and_traps_like_wasm() {
    let wat = r#"(module
      (memory 1)
      (func (export "load_ss") (param i32 i32) (result i32)
        (i32.load8_u offset=1 (i32.add (local.get 0) (local.get 1))))
      (func (export "load_si") (param i32 i32) (result i32)
        (i32.load8_u offset=1 (i32.add (local.get 0) (i32.const -2))))
      (func (export "store_ss") (param i32 i32) (result i32)
        (i32.store8 offset=1 (i32.add (local.get 0) (local.get 1)) (local.get 1))
        (i32.load8_u offset=1 (i32.add (local.get 0) (local.get 1))))
      (func (export "store_imm") (param i32 i32) (result i32)
        (i32.store16 (local.get 0) (i32.const 0x1234))
        (i32.load16_u (local.get 0))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let f = |store: &mut Store<()>, name: &str, a: i32, b: i32| {
        let func = inst.get_typed_func::<(i32, i32), i32>(&*store, name).unwrap();
        func.call(store, (a, b)).map_err(|e| e.trap_code())
    };
    // (-1 + 1) wraps to 0; + offset 1 is in bounds.
    assert_eq!(f(&mut store, "load_ss", -1, 1), Ok(0));
    // (1 - 2) wraps to 0xffffffff; + offset 1 = 2^32: out of bounds, not 0.
    assert_eq!(f(&mut store, "load_si", 1, 0), Err(Some(baton::TrapCode::MemoryOutOfBounds)));
    assert_eq!(f(&mut store, "load_si", 2, 0), Ok(0));
    assert_eq!(f(&mut store, "store_ss", 100, 7), Ok(7));
    assert_eq!(f(&mut store, "store_ss", 65535, 0), Err(Some(baton::TrapCode::MemoryOutOfBounds)));
    assert_eq!(f(&mut store, "store_ss", 65533, 1), Ok(1));
    assert_eq!(f(&mut store, "store_imm", 10, 0), Ok(0x1234));
    assert_eq!(f(&mut store, "store_imm", 65535, 0), Err(Some(baton::TrapCode::MemoryOutOfBounds)));
}

#[test]
fn tee_over_a_pending_read_of_the_same_local() {
    // The first `local.get 0` must still see the old value after the tee.
    let wat = r#"(module
      (func (export "f") (param i32 i32) (result i32)
        (i32.add (local.get 0) (local.tee 0 (i32.add (local.get 0) (i32.const 1)))))
      (func (export "g") (param i32 i32) (result i32)
        (i32.sub (local.get 0) (local.tee 0 (i32.mul (local.get 1) (local.get 0))))))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "f", &[Val::I32(10), Val::I32(0)]), 21);
    assert_eq!(call(&mut store, &inst, "g", &[Val::I32(10), Val::I32(3)]), -20);
}

#[test]
fn constant_left_operands() {
    let wat = r#"(module
      (func (export "isub") (param i32 i32) (result i32) (i32.sub (i32.const 5) (local.get 0)))
      (func (export "lsub") (param i32 i32) (result i32)
        (i32.wrap_i64 (i64.sub (i64.const 5) (i64.extend_i32_s (local.get 0)))))
      (func (export "fdiv") (param i32 i32) (result i32)
        (i32.trunc_f32_s (f32.div (f32.const 100) (f32.convert_i32_s (local.get 0)))))
      (func (export "ddiv") (param i32 i32) (result i32)
        (i32.trunc_f64_s (f64.sub (f64.const 1) (f64.div (f64.const 100) (f64.convert_i32_s (local.get 0)))))))"#;
    let (mut store, inst) = instantiate(wat);
    let args = [Val::I32(4), Val::I32(0)];
    assert_eq!(call(&mut store, &inst, "isub", &args), 1);
    assert_eq!(call(&mut store, &inst, "lsub", &args), 1);
    assert_eq!(call(&mut store, &inst, "fdiv", &args), 25);
    assert_eq!(call(&mut store, &inst, "ddiv", &args), -24);
}

#[test]
fn store_absorbs_an_earlier_address_add_only_when_safe() {
    let wat = r#"(module
      (memory 1)
      ;; dst[i] = src[i] (byte copy): the store's address add is absorbed.
      (func (export "copy_byte") (param $dst i32) (param $src i32) (param $i i32) (result i32)
        (i32.store8 (i32.add (local.get $dst) (local.get $i))
                    (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (i32.load8_u (i32.add (local.get $dst) (local.get $i))))
      ;; The value expression changes $i after the address was computed: the
      ;; store must use the old $i.
      (func (export "tee_in_value") (param $dst i32) (param $src i32) (param $i i32) (result i32)
        (i32.store8 (i32.add (local.get $dst) (local.get $i))
                    (local.tee $i (i32.add (local.get $i) (i32.const 1))))
        (i32.load8_u (i32.add (local.get $dst) (i32.sub (local.get $i) (i32.const 1)))))
      (func (export "init") (param i32 i32 i32) (result i32)
        (i32.store8 (i32.const 200) (i32.const 77))
        (i32.const 0)))"#;
    let (mut store, inst) = instantiate(wat);
    let args = |a, b, c| [Val::I32(a), Val::I32(b), Val::I32(c)];
    call(&mut store, &inst, "init", &args(0, 0, 0));
    assert_eq!(call(&mut store, &inst, "copy_byte", &args(100, 190, 10)), 77);
    assert_eq!(call(&mut store, &inst, "tee_in_value", &args(300, 0, 5)), 6);
}

#[test]
fn selects_with_fused_conditions() {
    let ops = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "and"];
    for op in ops {
        let wat = format!(
            r#"(module
              (func (export "fused") (param i32 i32 i32 i32) (result i32)
                (select (local.get 2) (local.get 3) (i32.{op} (local.get 0) (local.get 1))))
              (func (export "fused_imm") (param i32 i32 i32 i32) (result i32)
                (select (local.get 2) (i32.const 99) (i32.{op} (local.get 0) (i32.const 5))))
              (func (export "plain") (param i32 i32 i32 i32) (result i32)
                (if (result i32) (i32.ne (i32.const 0) (i32.{op} (local.get 0) (local.get 1)))
                  (then (local.get 2)) (else (local.get 3))))
              (func (export "plain_imm") (param i32 i32 i32 i32) (result i32)
                (if (result i32) (i32.ne (i32.const 0) (i32.{op} (local.get 0) (i32.const 5)))
                  (then (local.get 2)) (else (i32.const 99)))))"#
        );
        let (mut store, inst) = instantiate(&wat);
        for a in [0, 1, 5, -1, 6, i32::MIN] {
            for b in [0, 1, 5, -1, 4] {
                let args = [Val::I32(a), Val::I32(b), Val::I32(10), Val::I32(20)];
                assert_eq!(call(&mut store, &inst, "fused", &args), call(&mut store, &inst, "plain", &args), "{op}");
                assert_eq!(
                    call(&mut store, &inst, "fused_imm", &args),
                    call(&mut store, &inst, "plain_imm", &args),
                    "{op} imm"
                );
            }
        }
    }
    let wat = r#"(module
      (func (export "eqz") (param i32 i64) (result i32)
        (select (i32.const 1) (i32.const 2) (i32.eqz (local.get 0))))
      (func (export "eqz_eqz") (param i32 i64) (result i32)
        (select (i32.const 1) (i32.const 2) (i32.eqz (i32.eqz (local.get 0)))))
      (func (export "eqz64") (param i32 i64) (result i32)
        (select (i32.const 1) (i32.const 2) (i64.eqz (local.get 1))))
      (func (export "lt_eqz") (param i32 i64) (result i32)
        (select (i32.const 1) (i32.const 2) (i32.eqz (i32.lt_s (local.get 0) (i32.const 3))))))"#;
    let (mut store, inst) = instantiate(wat);
    let args = |a: i32, b: i64| [Val::I32(a), Val::I64(b)];
    assert_eq!(call(&mut store, &inst, "eqz", &args(0, 0)), 1);
    assert_eq!(call(&mut store, &inst, "eqz", &args(7, 0)), 2);
    assert_eq!(call(&mut store, &inst, "eqz_eqz", &args(0, 0)), 2);
    assert_eq!(call(&mut store, &inst, "eqz_eqz", &args(7, 0)), 1);
    // Only the high half is set: an i64 test must not look at the low 32 bits only.
    assert_eq!(call(&mut store, &inst, "eqz64", &args(0, 1 << 40)), 2);
    assert_eq!(call(&mut store, &inst, "eqz64", &args(0, 0)), 1);
    assert_eq!(call(&mut store, &inst, "lt_eqz", &args(1, 0)), 2);
    assert_eq!(call(&mut store, &inst, "lt_eqz", &args(4, 0)), 1);
}

/// Select handlers leave their value in the accumulator, and a fused
/// select whose compare's left operand was just computed reads it from
/// there; with a constant to copy between the compare and the select it
/// reads the slot. Each form against the same expression through `if`, and
/// float selects (whose bits go to the integer accumulator) against models.
#[test]
fn selects_read_and_leave_the_accumulator() {
    let ops = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u", "and"];
    for op in ops {
        let cond = format!("(i32.{op} (i32.add (local.get 0) (i32.const 1)) (local.get 1))");
        let cond_imm = format!("(i32.{op} (i32.add (local.get 0) (i32.const 1)) (i32.const 5))");
        let plain =
            |c: &str, a: &str| format!("(if (result i32) (i32.ne (i32.const 0) {c}) (then {a}) (else (local.get 3)))");
        let wat = format!(
            r#"(module
              (func (export "acc") (param i32 i32 i32 i32) (result i32)
                (i32.and (i32.shr_u (select (local.get 2) (local.get 3) {cond}) (i32.const 1)) (i32.const 255)))
              (func (export "acc_imm") (param i32 i32 i32 i32) (result i32)
                (i32.xor (select (local.get 2) (local.get 3) {cond_imm}) (i32.const 12345)))
              (func (export "acc_copy") (param i32 i32 i32 i32) (result i32)
                (i32.sub (select (i32.const 77) (local.get 3) {cond}) (local.get 0)))
              (func (export "tee") (param i32 i32 i32 i32) (result i32) (local i32)
                (i32.add (local.tee 4 (select (local.get 2) (local.get 3) {cond})) (local.get 4)))
              (func (export "plain") (param i32 i32 i32 i32) (result i32)
                (i32.and (i32.shr_u {p} (i32.const 1)) (i32.const 255)))
              (func (export "plain_imm") (param i32 i32 i32 i32) (result i32)
                (i32.xor {pi} (i32.const 12345)))
              (func (export "plain_copy") (param i32 i32 i32 i32) (result i32)
                (i32.sub {pc} (local.get 0)))
              (func (export "plain_tee") (param i32 i32 i32 i32) (result i32)
                (i32.mul {p} (i32.const 2))))"#,
            p = plain(&cond, "(local.get 2)"),
            pi = plain(&cond_imm, "(local.get 2)"),
            pc = plain(&cond, "(i32.const 77)"),
        );
        let (mut store, inst) = instantiate(&wat);
        for a in [0, 1, 4, 5, -1, -2, 6, i32::MIN, i32::MAX] {
            for b in [0, 1, 5, 6, -1, 4, 2] {
                let args = [Val::I32(a), Val::I32(b), Val::I32(1000), Val::I32(-7)];
                for (fused, plain) in
                    [("acc", "plain"), ("acc_imm", "plain_imm"), ("acc_copy", "plain_copy"), ("tee", "plain_tee")]
                {
                    assert_eq!(
                        call(&mut store, &inst, fused, &args),
                        call(&mut store, &inst, plain, &args),
                        "{op} {fused} {a} {b}"
                    );
                }
            }
        }
    }
    let wat = r#"(module
      (func (export "f64_add") (param f64 f64 i32) (result f64)
        (f64.add (select (local.get 0) (local.get 1) (local.get 2)) (f64.const 0.5)))
      (func (export "f64_bits") (param f64 f64 i32) (result i64)
        (i64.reinterpret_f64 (select (local.get 0) (local.get 1) (i32.lt_s (local.get 2) (i32.const 3)))))
      (func (export "i64_shr") (param i64 i64 i32) (result i64)
        (i64.shr_u (select (local.get 0) (local.get 1) (i32.and (local.get 2) (i32.const 1))) (i64.const 33))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instance");
    let f64_add = inst.get_typed_func::<(f64, f64, i32), f64>(&store, "f64_add").unwrap();
    let f64_bits = inst.get_typed_func::<(f64, f64, i32), i64>(&store, "f64_bits").unwrap();
    let i64_shr = inst.get_typed_func::<(i64, i64, i32), i64>(&store, "i64_shr").unwrap();
    for c in [0, 1, 2, 3, 4, -1] {
        let (x, y) = (1.25f64, -3.0e300f64);
        let pick = if c != 0 { x } else { y };
        assert_eq!(f64_add.call(&mut store, (x, y, c)).unwrap(), pick + 0.5, "f64_add {c}");
        let pick = if c < 3 { x } else { y };
        assert_eq!(f64_bits.call(&mut store, (x, y, c)).unwrap(), pick.to_bits() as i64, "f64_bits {c}");
        let (x, y) = (0x7fff_0000_1234_5678i64, -1i64);
        let pick = if c & 1 != 0 { x } else { y };
        assert_eq!(i64_shr.call(&mut store, (x, y, c)).unwrap(), ((pick as u64) >> 33) as i64, "i64_shr {c}");
    }
}

/// A multiply whose first factor was just computed (so it came from the
/// accumulator), feeding an add or subtract: the fused handler reads that
/// factor from the accumulator. Each form against Rust's arithmetic (the same
/// two roundings), with the product on either side.
#[test]
fn multiply_then_add_reads_its_factor_from_the_accumulator() {
    let wat = r#"(module
      (func (export "f64_add") (param f64 f64 f64 f64) (result f64)
        (f64.add (f64.mul (f64.add (local.get 0) (local.get 1)) (local.get 2)) (local.get 3)))
      (func (export "f64_add_left") (param f64 f64 f64 f64) (result f64)
        (f64.add (local.get 3) (f64.mul (local.get 2) (f64.sub (local.get 0) (local.get 1)))))
      (func (export "f64_sub") (param f64 f64 f64 f64) (result f64)
        (f64.sub (f64.mul (f64.add (local.get 0) (local.get 1)) (local.get 2)) (local.get 3)))
      (func (export "f64_rsub") (param f64 f64 f64 f64) (result f64)
        (f64.sub (local.get 3) (f64.mul (f64.add (local.get 0) (local.get 1)) (local.get 2))))
      (func (export "f32_add") (param f32 f32 f32 f32) (result f32)
        (f32.add (f32.mul (f32.add (local.get 0) (local.get 1)) (local.get 2)) (local.get 3)))
      (func (export "f32_rsub") (param f32 f32 f32 f32) (result f32)
        (f32.sub (local.get 3) (f32.mul (f32.add (local.get 0) (local.get 1)) (local.get 2))))
      (func (export "i32_add") (param i32 i32 i32 i32) (result i32)
        (i32.add (i32.mul (i32.xor (local.get 0) (local.get 1)) (local.get 2)) (local.get 3))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module");
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instance");
    let f64f = |name: &str| inst.get_typed_func::<(f64, f64, f64, f64), f64>(&store, name).unwrap();
    let (add, add_left, sub, rsub) = (f64f("f64_add"), f64f("f64_add_left"), f64f("f64_sub"), f64f("f64_rsub"));
    let values = [0.0, -0.0, 1.5, -2.25, 1e308, -1e-300, f64::INFINITY, 3.0];
    for &a in &values {
        for &b in &values {
            for &(c, d) in &[(2.0, 0.5), (-1e10, 7.0), (0.1, -0.0), (f64::NAN, 1.0)] {
                let same = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
                let args = (a, b, c, d);
                assert!(same(add.call(&mut store, args).unwrap(), (a + b) * c + d), "add {args:?}");
                assert!(same(add_left.call(&mut store, args).unwrap(), d + c * (a - b)), "add_left {args:?}");
                assert!(same(sub.call(&mut store, args).unwrap(), (a + b) * c - d), "sub {args:?}");
                assert!(same(rsub.call(&mut store, args).unwrap(), d - (a + b) * c), "rsub {args:?}");
                let (fa, fb, fc, fd) = (a as f32, b as f32, c as f32, d as f32);
                let f32_add = inst.get_typed_func::<(f32, f32, f32, f32), f32>(&store, "f32_add").unwrap();
                let f32_rsub = inst.get_typed_func::<(f32, f32, f32, f32), f32>(&store, "f32_rsub").unwrap();
                let want = (fa + fb) * fc + fd;
                let got = f32_add.call(&mut store, (fa, fb, fc, fd)).unwrap();
                assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "f32_add {args:?}");
                let want = fd - (fa + fb) * fc;
                let got = f32_rsub.call(&mut store, (fa, fb, fc, fd)).unwrap();
                assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "f32_rsub {args:?}");
            }
        }
    }
    let i32_add = inst.get_typed_func::<(i32, i32, i32, i32), i32>(&store, "i32_add").unwrap();
    for a in [0, 1, -1, i32::MAX, i32::MIN, 12345] {
        for b in [0, 7, -1, i32::MIN] {
            let (c, d) = (0x1234_5678, -99);
            let want = (a ^ b).wrapping_mul(c).wrapping_add(d);
            assert_eq!(i32_add.call(&mut store, (a, b, c, d)).unwrap(), want, "i32 {a} {b}");
        }
    }
}

#[test]
fn address_sub_of_a_constant_folds_and_wraps() {
    let wat = r#"(module
      (memory 1)
      (data (i32.const 8) "\2a")
      (func (export "ld") (param i32) (result i32)
        (i32.load8_u offset=4 (i32.sub (local.get 0) (i32.const 4))))
      (func (export "st") (param i32) (result i32)
        (i32.store8 (i32.sub (local.get 0) (i32.const 1)) (i32.const 7))
        (i32.load8_u (i32.sub (local.get 0) (i32.const 1)))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut store = Store::new(&engine, ());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let ld = inst.get_typed_func::<i32, i32>(&store, "ld").unwrap();
    let st = inst.get_typed_func::<i32, i32>(&store, "st").unwrap();
    assert_eq!(ld.call(&mut store, 8).unwrap(), 0x2a);
    // 2 - 4 wraps to 0xfffffffe; + offset 4 is beyond 4 GiB: a trap, not address 2.
    assert_eq!(ld.call(&mut store, 2).unwrap_err().trap_code(), Some(baton::TrapCode::MemoryOutOfBounds));
    assert_eq!(st.call(&mut store, 100).unwrap(), 7);
    assert_eq!(st.call(&mut store, 0).unwrap_err().trap_code(), Some(baton::TrapCode::MemoryOutOfBounds));
}

#[test]
fn store_does_not_absorb_a_dropped_add() {
    // The add's result is dropped; another value takes its stack position and is
    // the store's address. (A bug once fused the dead add into the store.)
    let wat = r#"(module
      (memory 1)
      (func (export "f") (param $a i32) (param $b i32) (result i32)
        (drop (i32.add (local.get $a) (local.get $b)))
        (i32.store8 (i32.mul (local.get $a) (i32.const 3)) (local.get $b))
        (i32.load8_u (i32.mul (local.get $a) (i32.const 3))))
      (func (export "g") (param $a i32) (param $b i32) (result i32)
        (i32.store8 (i32.add (local.get $a) (local.get $b))
          (i32.add (i32.const 5) (i32.add (local.get $a) (local.get $a))))
        (i32.load8_u (i32.add (local.get $a) (local.get $b)))))"#;
    let (mut store, inst) = instantiate(wat);
    let args = |a, b| [Val::I32(a), Val::I32(b)];
    assert_eq!(call(&mut store, &inst, "f", &args(10, 9)), 9);
    assert_eq!(call(&mut store, &inst, "g", &args(10, 9)), 25);
}

#[test]
fn consecutive_copies_keep_their_order() {
    // Rotations through locals and call arguments produce runs of copies.
    let wat = r#"(module
      (func $sub (param i32 i32 i32) (result i32)
        (i32.sub (i32.mul (local.get 0) (i32.const 100)) (i32.add (i32.mul (local.get 1) (i32.const 10)) (local.get 2))))
      (func (export "fib") (param $n i32) (result i32) (local $a i32) (local $b i32) (local $t i32)
        (local.set $b (i32.const 1))
        (block $done
          (loop $l
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $t (i32.add (local.get $a) (local.get $b)))
            (local.set $a (local.get $b))
            (local.set $b (local.get $t))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $l)))
        (local.get $a))
      (func (export "swap") (param $x i32) (param $y i32) (result i32) (local $t i32)
        (local.set $t (local.get $x))
        (local.set $x (local.get $y))
        (local.set $y (local.get $t))
        (call $sub (local.get $x) (local.get $y) (local.get $x))))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "fib", &[Val::I32(10)]), 55);
    assert_eq!(call(&mut store, &inst, "swap", &[Val::I32(1), Val::I32(2)]), 200 - 12);
}

#[test]
fn copy_then_next_instruction_in_one_handler() {
    // A copy (or constant store) and the instruction after it run as one
    // handler; a branch to that second instruction must run it alone.
    let wat = r#"(module
      (func (export "post_dec") (param $n i32) (result i32) (local $i i32) (local $old i32) (local $sum i32)
        (local.set $i (local.get $n))
        (loop $l
          ;; old = i; i = old - 1 (copy, then sub of a constant)
          (local.set $i (i32.sub (local.tee $old (local.get $i)) (i32.const 1)))
          (local.set $sum (i32.add (local.get $sum) (local.get $old)))
          (br_if $l (local.get $old)))
        (local.get $sum))
      (func (export "into_second") (param $n i32) (result i32) (local $k i32) (local $i i32)
        ;; copy_imm, then a loop whose first instruction follows it: the back
        ;; edge must not store the constant again.
        (local.set $k (i32.const 1))
        (loop $l
          (local.set $k (i32.add (local.get $k) (local.get $k)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.ne (local.get $i) (local.get $n))))
        (local.get $k))
      (func (export "fib64") (param $n i32) (result i32) (local $a i64) (local $b i64)
        ;; t = a + b; a = b; b = t: the add and the two copies in one handler
        (local.set $b (i64.const 1))
        (block $done
          (loop $l
            (br_if $done (i32.eqz (local.get $n)))
            (i64.add (local.get $a) (local.get $b))
            (local.set $a (local.get $b))
            (local.set $b)
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $l)))
        (i32.wrap_i64 (i64.shr_u (local.get $a) (i64.const 20))))
      (func (export "save_then_step") (param $n i32) (result i32) (local $i i32) (local $acc i32)
        ;; a pending read of $i saved before the add that writes it
        (loop $l
          (local.set $acc (i32.add (local.get $acc)
            (i32.mul (local.get $i) (local.tee $i (i32.add (local.get $i) (i32.const 1))))))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc)))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "post_dec", &[Val::I32(10)]), 55);
    assert_eq!(call(&mut store, &inst, "into_second", &[Val::I32(10)]), 1024);
    // fib(60) = 1548008755920, >> 20
    assert_eq!(call(&mut store, &inst, "fib64", &[Val::I32(60)]), (1548008755920u64 >> 20) as i32);
    // sum of i * (i + 1) for i in 0..10
    assert_eq!(call(&mut store, &inst, "save_then_step", &[Val::I32(10)]), 330);
}

#[test]
fn shift_of_one_then_and_is_one_bit_test() {
    // `(1 << y) & mask`: as a value, a branch condition and a select
    // condition; `y` from a local or just computed (accumulator), the mask a
    // constant or a local; shift counts are taken mod 32.
    let wat = r#"(module
      (func (export "value") (param $y i32) (param $m i32) (result i32)
        (i32.and (i32.shl (i32.const 1) (local.get $y)) (i32.const 0x800013)))
      (func (export "value_local_mask") (param $y i32) (param $m i32) (result i32)
        (i32.and (i32.shl (i32.const 1) (local.get $y)) (local.get $m)))
      (func (export "branch") (param $y i32) (param $m i32) (result i32)
        (block $set
          (br_if $set (i32.and (i32.shl (i32.const 1) (i32.sub (local.get $y) (i32.const 9))) (i32.const 0x800013)))
          (return (i32.const 0)))
        (i32.const 1))
      (func (export "branch_clear") (param $y i32) (param $m i32) (result i32)
        (block $clear
          (br_if $clear (i32.eqz (i32.and (i32.shl (i32.const 1) (local.get $y)) (local.get $m))))
          (return (i32.const 1)))
        (i32.const 0))
      (func (export "select") (param $y i32) (param $m i32) (result i32)
        (select (i32.const 7) (i32.const 3)
          (i32.and (i32.shl (i32.const 1) (local.get $y)) (i32.const 0x800013)))))"#;
    let (mut store, inst) = instantiate(wat);
    for y in [0, 1, 4, 5, 9, 10, 13, 23, 31, 32, 33, 36, -1, -9] {
        for m in [0x800013, 0, -1, 0x10, i32::MIN] {
            let args = [Val::I32(y), Val::I32(m)];
            let bit = |y: i32, m: i32| (1u32 << (y as u32 & 31)) & m as u32;
            assert_eq!(call(&mut store, &inst, "value", &args) as u32, bit(y, 0x800013), "value {y}");
            assert_eq!(call(&mut store, &inst, "value_local_mask", &args) as u32, bit(y, m), "{y} {m}");
            let b = (bit(y.wrapping_sub(9), 0x800013) != 0) as i32;
            assert_eq!(call(&mut store, &inst, "branch", &args), b, "branch {y}");
            assert_eq!(call(&mut store, &inst, "branch_clear", &args), (bit(y, m) != 0) as i32, "clear {y} {m}");
            let sel = if bit(y, 0x800013) != 0 { 7 } else { 3 };
            assert_eq!(call(&mut store, &inst, "select", &args), sel, "select {y}");
        }
    }
}

#[test]
fn test_of_the_value_before_a_decrement_is_a_counter() {
    // `old = n; n = old - k; br_if old` (`while n-- != 0`) becomes a counter
    // compare of the new `n` with `-k`; `old` keeps its copy. With a label
    // between the copy and the update the two are unrelated on the back edge
    // and must stay apart.
    let wat = r#"(module
      (func (export "post_dec") (param $n i32) (result i32) (local $old i32) (local $count i32)
        (loop $l
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (local.set $n (i32.sub (local.tee $old (local.get $n)) (i32.const 3)))
          (br_if $l (local.get $old)))
        (i32.add (i32.mul (local.get $count) (i32.const 1000))
          (i32.add (i32.mul (local.get $old) (i32.const 100)) (local.get $n))))
      (func (export "label_between") (param $n i32) (result i32) (local $x i32)
        (local.set $x (local.get $n))
        (block $out
          (loop $l
            (local.set $n (i32.sub (local.get $x) (i32.const 1)))
            (br_if $out (local.get $x))
            (local.set $x (i32.const 7))
            (br $l)))
        (i32.add (i32.mul (local.get $n) (i32.const 100)) (local.get $x))))"#;
    let (mut store, inst) = instantiate(wat);
    // 9, 6, 3, 0: four iterations, then old = 0 and n = -3.
    assert_eq!(call(&mut store, &inst, "post_dec", &[Val::I32(9)]), 4000 - 3);
    assert_eq!(call(&mut store, &inst, "post_dec", &[Val::I32(0)]), 1000 - 3);
    // n = 0 - 1 with x = 0 (no exit), then x = 7 and n = 7 - 1 (exit).
    assert_eq!(call(&mut store, &inst, "label_between", &[Val::I32(0)]), 607);
    assert_eq!(call(&mut store, &inst, "label_between", &[Val::I32(5)]), 405);
}

#[test]
fn scaled_address_kept_in_a_local_then_loaded() {
    // `p = base + (i << 2)` tee'd to a local, then a load through it and a
    // store back (a bit clear of a bitset word): one load that also writes
    // the local. The index local may be the address local itself, and an
    // address out of bounds traps as the separate load would.
    let wat = r#"(module
      (memory 1)
      (data (i32.const 16) "\ff\ff\ff\ff\ff\ff\ff\ff")
      (func (export "clear") (param $base i32) (param $bit i32) (result i32) (local $p i32)
        (local.set $p (i32.shr_u (local.get $bit) (i32.const 5)))
        (local.set $bit (i32.and (local.get $bit) (i32.const 31)))
        (i32.store
          (local.tee $p (i32.add (local.get $base) (i32.shl (local.get $p) (i32.const 2))))
          (i32.and (i32.load (local.get $p)) (i32.rotl (i32.const -2) (local.get $bit))))
        (i32.add (i32.load offset=4 (i32.const 16)) (i32.sub (local.get $p) (local.get $base))))
      (func (export "sum64") (param $i i32) (param $base i32) (result i32) (local $q i32)
        (i32.wrap_i64 (i64.add
          (i64.load (local.tee $q (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 3)))))
          (i64.extend_i32_u (local.get $q))))))"#;
    let (mut store, inst) = instantiate(wat);
    // Bit 33 is bit 1 of the word at 20: 0xffff_fffd; p = 20, so p - base = 4.
    assert_eq!(
        call(&mut store, &inst, "clear", &[Val::I32(16), Val::I32(33)]),
        (0xffff_fffdu32 as i32).wrapping_add(4)
    );
    assert_eq!(call(&mut store, &inst, "sum64", &[Val::I32(0), Val::I32(16)]), -1i32 + 16);
    assert_oob(&mut store, &inst, "clear", &[Val::I32(65536 - 2), Val::I32(0)]);
}

#[test]
fn bit_clear_of_a_word_in_memory_is_one_handler() {
    // `*p &= rotl(-2, b)` with `p = base + (i << 2)` tee'd to a local: the
    // load, the bit clear and the store back run as one handler. The count
    // may be the address local itself (read after the tee); a store to
    // another local or offset is not the same place and stays separate.
    let wat = r#"(module
      (memory 1)
      (func (export "clear") (param $base i32) (param $i i32) (param $b i32) (result i32) (local $p i32)
        (i32.store
          (local.tee $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
          (i32.and (i32.load (local.get $p)) (i32.rotl (i32.const -2) (local.get $b))))
        (i32.load (local.get $p)))
      (func (export "clear_by_p") (param $base i32) (param $i i32) (result i32) (local $p i32)
        (i32.store
          (local.tee $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
          (i32.and (i32.load (local.get $p)) (i32.rotl (i32.const -2) (local.get $p))))
        (i32.load (local.get $p)))
      (func (export "clear_into") (param $base i32) (param $i i32) (param $b i32) (result i32) (local $p i32) (local $q i32)
        (local.set $q (i32.const 8))
        (i32.store
          (local.get $q)
          (i32.and (i32.load (local.tee $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2)))))
            (i32.rotl (i32.const -2) (local.get $b))))
        (i32.add (i32.load (local.get $q)) (i32.load (local.get $p))))
      (func (export "clear_next") (param $base i32) (param $i i32) (param $b i32) (result i32) (local $p i32)
        (i32.store offset=4
          (local.tee $p (i32.add (local.get $base) (i32.shl (local.get $i) (i32.const 2))))
          (i32.and (i32.load (local.get $p)) (i32.rotl (i32.const -2) (local.get $b))))
        (i32.load offset=4 (local.get $p)))
      (func (export "fill") (memory.fill (i32.const 0) (i32.const 0xff) (i32.const 256)))
      (func (export "word") (param $a i32) (result i32) (i32.load (local.get $a))))"#;
    let (mut store, inst) = instantiate(wat);
    let fill = |store: &mut Store<()>| {
        let f = inst.get_func(&*store, "fill").expect("fill");
        f.call(&mut *store, &[], &mut []).expect("fill");
    };
    fill(&mut store);
    let all = -1i32;
    for (i, b) in [(0i32, 0i32), (1, 5), (3, 31), (2, 33), (0, -1)] {
        let want = all & (-2i32).rotate_left(b as u32 % 32);
        assert_eq!(call(&mut store, &inst, "clear", &[Val::I32(64), Val::I32(i), Val::I32(b)]), want, "clear {i} {b}");
        fill(&mut store);
        let p = 64 + 4 * i as u32;
        assert_eq!(
            call(&mut store, &inst, "clear_by_p", &[Val::I32(64), Val::I32(i)]),
            all & (-2i32).rotate_left(p % 32),
            "by_p {i}"
        );
        fill(&mut store);
        let got = call(&mut store, &inst, "clear_into", &[Val::I32(64), Val::I32(i), Val::I32(b)]);
        assert_eq!(got, want.wrapping_add(all), "into {i} {b}");
        fill(&mut store);
        assert_eq!(
            call(&mut store, &inst, "clear_next", &[Val::I32(64), Val::I32(i), Val::I32(b)]),
            want,
            "next {i} {b}"
        );
        assert_eq!(call(&mut store, &inst, "word", &[Val::I32(64 + 4 * i)]), all, "next left {i} {b}");
        fill(&mut store);
    }
    // The last word in bounds, then one past it: a trap, as the load would.
    let last = (65536 - 64) / 4 - 1;
    assert_eq!(
        call(&mut store, &inst, "clear", &[Val::I32(64), Val::I32(last), Val::I32(0)]),
        0,
        "last word (zero memory)"
    );
    assert_oob(&mut store, &inst, "clear", &[Val::I32(64), Val::I32(last + 1), Val::I32(0)]);
}

#[test]
fn and_of_a_rotated_constant_is_one_handler() {
    // `x & rotl(c, y)` (`!(1 << y)` is `rotl(-2, y)`): the count from a slot
    // or just computed (accumulator), taken mod 32 like the rotate's.
    let wat = r#"(module
      (func (export "slot") (param $x i32) (param $y i32) (result i32)
        (i32.and (local.get $x) (i32.rotl (i32.const -2) (local.get $y))))
      (func (export "acc") (param $x i32) (param $y i32) (result i32)
        (i32.and (local.get $x) (i32.rotl (i32.const 0x8000_0003) (i32.add (local.get $y) (i32.const 1))))))"#;
    let (mut store, inst) = instantiate(wat);
    for (x, y) in [(-1i32, 0i32), (-1, 5), (0x1234_5678, 31), (-1, 33), (-1, -1), (0x7fff_ffff, 64)] {
        let args = [Val::I32(x), Val::I32(y)];
        assert_eq!(call(&mut store, &inst, "slot", &args), x & (-2i32).rotate_left(y as u32 % 32), "slot {x} {y}");
        let r = 0x8000_0003u32.rotate_left((y as u32).wrapping_add(1) % 32) as i32;
        assert_eq!(call(&mut store, &inst, "acc", &args), x & r, "acc {x} {y}");
    }
}

#[test]
fn test_of_an_add_just_computed_is_one_handler() {
    // `br_if`/`if` on `a + b` or `a + k` (and on its `eqz`) becomes a counter
    // compare with zero; the sum wraps.
    let wat = r#"(module
      (func (export "br_if_ss") (param $a i32) (param $b i32) (result i32)
        (block $nz
          (br_if $nz (i32.add (local.get $a) (local.get $b)))
          (return (i32.const 0)))
        (i32.const 1))
      (func (export "br_if_si") (param $a i32) (param $b i32) (result i32)
        (block $nz
          (br_if $nz (i32.add (local.get $a) (i32.const 7)))
          (return (i32.const 0)))
        (i32.const 1))
      (func (export "if_eqz") (param $a i32) (param $b i32) (result i32)
        (if (result i32) (i32.eqz (i32.sub (local.get $a) (i32.const 3)))
          (then (i32.const 1)) (else (i32.const 0))))
      (func (export "if_sum") (param $a i32) (param $b i32) (result i32)
        (if (result i32) (i32.add (i32.mul (local.get $a) (local.get $b)) (local.get $b))
          (then (i32.const 1)) (else (i32.const 0)))))"#;
    let (mut store, inst) = instantiate(wat);
    for a in [0, 1, -1, 3, -7, 7, i32::MIN, i32::MAX] {
        for b in [0, 1, -1, -3, 7, i32::MIN, i32::MAX] {
            let args = [Val::I32(a), Val::I32(b)];
            assert_eq!(call(&mut store, &inst, "br_if_ss", &args), (a.wrapping_add(b) != 0) as i32, "{a} {b}");
            assert_eq!(call(&mut store, &inst, "br_if_si", &args), (a.wrapping_add(7) != 0) as i32, "{a}");
            assert_eq!(call(&mut store, &inst, "if_eqz", &args), (a == 3) as i32, "{a}");
            let sum = a.wrapping_mul(b).wrapping_add(b);
            assert_eq!(call(&mut store, &inst, "if_sum", &args), (sum != 0) as i32, "{a} {b}");
        }
    }
}

#[test]
fn multiply_then_add_or_subtract_rounds_twice() {
    // Fusing the dispatch must not fuse the rounding: (a*b)+c rounds the product.
    let wat = r#"(module
      (func (export "madd") (param f64 f64 f64) (result f64) (f64.add (f64.mul (local.get 0) (local.get 1)) (local.get 2)))
      (func (export "addm") (param f64 f64 f64) (result f64) (f64.add (local.get 2) (f64.mul (local.get 0) (local.get 1))))
      (func (export "msub") (param f64 f64 f64) (result f64) (f64.sub (f64.mul (local.get 0) (local.get 1)) (local.get 2)))
      (func (export "subm") (param f64 f64 f64) (result f64) (f64.sub (local.get 2) (f64.mul (local.get 0) (local.get 1))))
      (func (export "fmadd") (param f32 f32 f32) (result f32) (f32.add (f32.mul (local.get 0) (local.get 1)) (local.get 2)))
      (func (export "fsubm") (param f32 f32 f32) (result f32) (f32.sub (local.get 2) (f32.mul (local.get 0) (local.get 1)))))"#;
    let (mut store, inst) = instantiate(wat);
    let f64call = |store: &mut Store<()>, name: &str, a: f64, b: f64, c: f64| {
        let f = inst.get_typed_func::<(f64, f64, f64), f64>(&*store, name).unwrap();
        f.call(store, (a, b, c)).unwrap()
    };
    let a = 1.0 + f64::EPSILON;
    let b = 1.0 - f64::EPSILON;
    let c = -1.0;
    // With a fused multiply-add this would be -EPSILON^2, not 0.
    assert_eq!(f64call(&mut store, "madd", a, b, c), (a * b) + c);
    assert_eq!(f64call(&mut store, "addm", a, b, c), c + (a * b));
    assert_eq!(f64call(&mut store, "msub", a, b, 1.0), (a * b) - 1.0);
    assert_eq!(f64call(&mut store, "subm", a, b, 1.0), 1.0 - (a * b));
    let f32call = |store: &mut Store<()>, name: &str, a: f32, b: f32, c: f32| {
        let f = inst.get_typed_func::<(f32, f32, f32), f32>(&*store, name).unwrap();
        f.call(store, (a, b, c)).unwrap()
    };
    let (x, y) = (1.0f32 + f32::EPSILON, 1.0f32 - f32::EPSILON);
    assert_eq!(f32call(&mut store, "fmadd", x, y, -1.0), (x * y) + -1.0);
    assert_eq!(f32call(&mut store, "fsubm", x, y, 1.0), 1.0 - (x * y));
}

#[test]
fn loop_counter_update_fused_into_its_branch() {
    let wat = r#"(module
      (func (export "count") (param $n i32) (result i32) (local $c i32)
        (loop $l
          (local.set $c (i32.add (local.get $c) (i32.const 2)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (i32.add (local.get $c) (local.get $n)))
      ;; `if` on the updated local, with an old read of it pending on the stack.
      (func (export "old_read") (param $n i32) (result i32)
        (local.get $n)
        (if (result i32) (local.tee $n (i32.add (local.get $n) (i32.const -1)))
          (then (i32.const 100)) (else (i32.const 200)))
        (i32.add)
        (i32.add (local.get $n)))
      ;; `if` without pending reads: fused, taken and not taken.
      (func (export "if_eqz") (param $n i32) (result i32)
        (if (result i32) (local.tee $n (i32.sub (local.get $n) (i32.const 5)))
          (then (local.get $n)) (else (i32.const -7))))
      ;; A label between the update and the branch: the branch alone repeats.
      (func (export "label_between") (param $n i32) (result i32) (local $k i32)
        (block $out
          (loop $l
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (block $b (br_if $b (i32.const 0)))
            (br_if $out (i32.eqz (local.get $n)))
            (br $l)))
        (local.get $k)))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "count", &[Val::I32(10)]), 20);
    assert_eq!(call(&mut store, &inst, "old_read", &[Val::I32(5)]), 5 + 100 + 4);
    assert_eq!(call(&mut store, &inst, "old_read", &[Val::I32(1)]), 1 + 200);
    assert_eq!(call(&mut store, &inst, "if_eqz", &[Val::I32(12)]), 7);
    assert_eq!(call(&mut store, &inst, "if_eqz", &[Val::I32(5)]), -7);
    assert_eq!(call(&mut store, &inst, "label_between", &[Val::I32(9)]), 9);
}

#[test]
fn back_edges_to_a_loop_with_a_conditional_exit_are_rotated() {
    let wat = r#"(module
      (memory 1)
      ;; while (i != n) { mem[i] = i; i += 1 }   -- `if` at the loop head
      (func (export "while_if") (param $n i32) (result i32) (local $i i32) (local $s i32)
        (loop $l
          (if (i32.ne (local.get $i) (local.get $n))
            (then
              (local.set $s (i32.add (local.get $s) (local.get $i)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $l))))
        (i32.add (i32.mul (local.get $s) (i32.const 1000)) (local.get $i)))
      ;; `if` with an `else` arm at the loop head; the back edge is in `then`.
      (func (export "while_if_else") (param $n i32) (result i32) (local $i i32)
        (loop $l (result i32)
          (if (result i32) (i32.lt_s (local.get $i) (local.get $n))
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 3)))
              (br $l))
            (else (i32.sub (local.get $i) (i32.const 1000))))))
      ;; `br_if` exit at the head, to an outer block; two back edges.
      (func (export "while_br_if") (param $n i32) (result i32) (local $i i32) (local $s i32)
        (block $out
          (loop $l
            (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.and (local.get $i) (i32.const 1))
              (then
                (local.set $s (i32.add (local.get $s) (i32.const 10)))
                (br $l)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $l)))
        (local.get $s))
      ;; exit to an enclosing loop (a counted outer loop around a while loop)
      (func (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $s i32)
        (block $done
          (loop $outer
            (br_if $done (i32.eqz (local.get $n)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (local.set $j (i32.const 0))
            (loop $inner
              (br_if $outer (i32.eq (local.get $j) (i32.const 4)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (local.set $s (i32.add (local.get $s) (local.get $j)))
              (br $inner))))
        (local.get $s))
      ;; the loop-head exit is a counter update (`local.tee` of an add)
      (func (export "counter_head") (param $n i32) (result i32) (local $s i32)
        (block $out
          (loop $l
            (br_if $out (i32.eqz (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (local.set $s (i32.add (local.get $s) (i32.const 2)))
            (br $l)))
        (i32.add (local.get $s) (i32.mul (local.get $n) (i32.const 100))))
      ;; a loop with a parameter whose head tests it; br_table back edge too
      (func (export "param_loop") (param $n i32) (result i32) (local $k i32)
        (local.get $n)
        (loop $l (param i32) (result i32)
          (if (param) (result) (i32.eqz (local.tee $k))
            (then (return (i32.const -1))))
          (local.get $k)
          (i32.sub (local.get $k) (i32.const 1))
          (br_table $l $l (i32.and (local.get $k) (i32.const 1)))))
      ;; the head `if` ends before the back edge: no rotation to its else arm
      (func (export "if_then_br") (param $n i32) (result i32) (local $s i32)
        (block $out
          (loop $l
            (if (i32.gt_s (local.get $n) (i32.const 0))
              (then (local.set $s (i32.add (local.get $s) (local.get $n)))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $out (i32.lt_s (local.get $n) (i32.const -3)))
            (br $l)))
        (local.get $s)))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "while_if", &[Val::I32(0)]), 0);
    assert_eq!(call(&mut store, &inst, "while_if", &[Val::I32(5)]), 10 * 1000 + 5);
    assert_eq!(call(&mut store, &inst, "while_if_else", &[Val::I32(0)]), -1000);
    assert_eq!(call(&mut store, &inst, "while_if_else", &[Val::I32(10)]), 12 - 1000);
    assert_eq!(call(&mut store, &inst, "while_br_if", &[Val::I32(0)]), 0);
    assert_eq!(call(&mut store, &inst, "while_br_if", &[Val::I32(5)]), 10 + 1 + 10 + 1 + 10);
    assert_eq!(call(&mut store, &inst, "nested", &[Val::I32(3)]), 3 * 10);
    assert_eq!(call(&mut store, &inst, "counter_head", &[Val::I32(1)]), 0);
    assert_eq!(call(&mut store, &inst, "counter_head", &[Val::I32(6)]), 10);
    assert_eq!(call(&mut store, &inst, "param_loop", &[Val::I32(5)]), -1);
    assert_eq!(call(&mut store, &inst, "if_then_br", &[Val::I32(3)]), 6);
}

#[test]
fn load_then_store_of_the_same_width_is_one_move() {
    // Every width, every address form (local, local + const, local + local)
    // on both sides, sign-extending loads, and traps on either side.
    let mut funcs = String::new();
    let forms = [
        ("l", "(local.get $a)"),
        ("k", "(i32.add (local.get $a) (i32.const 3))"),
        ("s", "(i32.add (local.get $a) (local.get $b))"),
    ];
    let widths = [
        ("8", "i32.load8_s", "i32.store8"),
        ("16", "i64.load16_u", "i64.store16"),
        ("32", "i64.load32_s", "i64.store32"),
        ("64", "f64.load", "f64.store"),
    ];
    for (w, load, store) in widths {
        for (sn, src) in forms {
            for (dn, dst) in forms {
                let dst = dst.replace("$a", "$d");
                funcs.push_str(&format!(
                    r#"(func (export "m{w}{sn}{dn}") (param $a i32) (param $b i32) (param $d i32)
                         ({store} offset=2 {dst} ({load} offset=1 {src})))
"#
                ));
            }
        }
    }
    let wat = format!(
        r#"(module (memory 1)
             (data (i32.const 0) "\01\82\03\84\05\86\07\88\09\8a\0b\8c\0d\8e\0f\90")
             (func (export "peek") (param $p i32) (result i64) (i64.load (local.get $p)))
             {funcs})"#
    );
    let engine = Engine::default();
    for (w, ..) in widths {
        let bytes: u64 = w.parse::<u64>().unwrap() / 8;
        for (sn, _) in forms {
            for (dn, _) in forms {
                let module = Module::new(&engine, &wat).expect("module");
                let mut store = Store::new(&engine, ());
                let inst = Linker::new(&engine).instantiate(&mut store, &module).expect("instance");
                let name = format!("m{w}{sn}{dn}");
                let f = inst.get_typed_func::<(i32, i32, i32), ()>(&store, &name).unwrap();
                let peek = inst.get_typed_func::<i32, i64>(&store, "peek").unwrap();
                // source: a (+3 | +b) + 1 with a = 0, b = 3; destination: d (+3 | +b) + 2.
                let src = if sn == "l" { 1 } else { 4 };
                let dst = 100 + if dn == "l" { 2 } else { 5 };
                f.call(&mut store, (0, 3, 100)).unwrap();
                let expect = u64::from_le_bytes(std::array::from_fn(|i| {
                    (i as u64 + src as u64 + 1) as u8 | if (i + src) % 2 == 1 { 0x80 } else { 0 }
                }));
                let mask = if bytes == 8 { u64::MAX } else { (1 << (8 * bytes)) - 1 };
                assert_eq!(peek.call(&mut store, dst).unwrap() as u64, expect & mask, "{name}");
                // Out of bounds source or destination: traps, memory untouched.
                let edge = 65536 - 1 - bytes as i32 + 1;
                assert!(f.call(&mut store, (edge, 3, 200)).is_err(), "{name} src");
                assert!(f.call(&mut store, (0, 3, edge)).is_err(), "{name} dst");
                assert_eq!(peek.call(&mut store, 200 + dst - 100).unwrap(), 0, "{name} untouched");
                // Wrapping address arithmetic: a + 3 wraps around 2^32.
                if sn == "k" {
                    assert!(f.call(&mut store, (-3, 3, 300)).is_ok(), "{name} wrap");
                }
            }
        }
    }
}

#[test]
fn constant_addresses_fold_into_the_access() {
    let wat = r#"(module (memory 1)
      (data (i32.const 8) "\f0\e1\d2\c3\b4\a5\96\87")
      (func (export "loads") (result i64)
        (i64.add (i64.load offset=8 (i32.const 0))
          (i64.add (i64.extend_i32_s (i32.load8_s (i32.const 9)))
            (i64.add (i64.load16_u (i32.const 10))
              (i64.add (i64.load32_s offset=4 (i32.const 8))
                (i64.extend_i32_u (i32.load16_s offset=1 (i32.const 13))))))))
      (func (export "stores") (param $v i64) (result i64)
        (i64.store (i32.const 100) (local.get $v))
        (i32.store8 offset=3 (i32.const 100) (i32.const 0x1ff))
        (i32.store16 (i32.const 96) (i32.wrap_i64 (local.get $v)))
        (i64.store32 offset=8 (i32.const 100) (i64.const -1))
        (i64.add (i64.load (i32.const 100)) (i64.load (i32.const 104))))
      (func (export "oob_load") (param i32) (result i32) (i32.load offset=65533 (i32.const 0)))
      (func (export "oob_store") (param i32) (result i32)
        (i32.store16 offset=4294967295 (i32.const 1) (local.get 0)) (i32.const 0))
      (func (export "oob_store_imm") (param i32) (result i32)
        (i32.store (i32.const -2) (i32.const 7)) (i32.const 0)))"#;
    let (mut store, inst) = instantiate(wat);
    let loads = inst.get_typed_func::<(), i64>(&store, "loads").unwrap();
    let expect = 0x8796a5b4c3d2e1f0u64 as i64
        + (0xe1u8 as i8 as i64)
        + 0xc3d2
        + (0x8796a5b4u32 as i32 as i64)
        + (0x8796u16 as i16 as i32 as u32 as i64);
    assert_eq!(loads.call(&mut store, ()).unwrap(), expect);
    let stores = inst.get_typed_func::<i64, i64>(&store, "stores").unwrap();
    let v = 0x1122334455667788i64;
    // bytes 100..112: 88 77 66 ff 44 33 22 11 ff ff ff ff
    let expect = (0x11223344ff667788u64 as i64).wrapping_add(0xffffffff11223344u64 as i64);
    assert_eq!(stores.call(&mut store, v).unwrap(), expect);
    for f in ["oob_load", "oob_store", "oob_store_imm"] {
        let f = inst.get_typed_func::<i32, i32>(&store, f).unwrap();
        let e = f.call(&mut store, 1).unwrap_err();
        assert!(e.to_string().contains("out of bounds"), "{e}");
    }
}

#[test]
fn accumulator_forms_match_slot_forms() {
    // Chains where each instruction consumes the previous one's result (the
    // accumulator forms) next to the same computation through locals.
    let wat = r#"(module (memory 1)
      (data (i32.const 64) "\00\00\00\00\00\00\f8\3f\10\00\00\00\20\00\00\00")
      ;; pointer chase: mem[64+12] = 32, then mem[32+44] = 32
      (func (export "chase") (param $p i32) (result i32)
        (i32.load offset=0 (i32.add (i32.load offset=12 (local.get $p)) (i32.const 44))))
      (func (export "int_chain") (param $x i32) (param $y i32) (result i32)
        (i32.sub (i32.const 100) (i32.mul (i32.add (local.get $x) (local.get $y)) (i32.xor (local.get $y) (i32.const 3)))))
      (func (export "div_chain") (param $x i64) (param $y i64) (result i64)
        (i64.div_s (i64.add (local.get $x) (i64.const 1)) (local.get $y)))
      (func (export "f64_chain") (param $p i32) (result f64)
        (f64.store offset=8 (local.get $p)
          (f64.add (f64.mul (f64.load offset=64 (i32.const 0)) (f64.const 2)) (f64.const 0.25)))
        (f64.load offset=8 (local.get $p)))
      (func (export "store_chain") (param $p i32) (param $v i32) (result i64)
        (i32.store offset=4 (local.get $p) (i32.add (local.get $v) (i32.const 1)))
        (i32.store8 offset=9 (i32.add (local.get $p) (local.get $p)) (i32.shl (local.get $v) (i32.const 4)))
        (i64.store offset=16 (local.get $p) (i64.extend_i32_u (local.get $v)))
        (i64.add (i64.load offset=0 (local.get $p)) (i64.load offset=16 (local.get $p))))
      (func (export "branch_chain") (param $x i32) (result i32)
        (block $b
          (br_if $b (i32.lt_u (i32.add (local.get $x) (i32.const 5)) (i32.const 10)))
          (br_if $b (i32.eqz (i32.and (local.get $x) (i32.const 7))))
          (br_if $b (i32.add (local.get $x) (i32.const -100)))
          (return (i32.const 1)))
        (i32.const 0))
      (func (export "f64_branch") (param $x f64) (result i32)
        (if (result i32) (f64.gt (f64.mul (local.get $x) (local.get $x)) (f64.const 4))
          (then (i32.const 1)) (else (i32.const 0))))
      (func (export "tee_chain") (param $x i64) (result i64) (local $t i64)
        (i64.mul (local.tee $t (i64.add (local.get $x) (local.get $x))) (local.get $t)))
      (func (export "oob_after_chain") (param $p i32) (result i32)
        (i32.store (i32.add (local.get $p) (i32.const 65532)) (i32.mul (local.get $p) (i32.const 3)))
        (i32.const 7)))"#;
    let (mut store, inst) = instantiate(wat);
    let chase = inst.get_typed_func::<i32, i32>(&store, "chase").unwrap();
    assert_eq!(chase.call(&mut store, 64).unwrap(), 0x20);
    let int_chain = inst.get_typed_func::<(i32, i32), i32>(&store, "int_chain").unwrap();
    assert_eq!(int_chain.call(&mut store, (5, 6)).unwrap(), 100 - 11 * (6 ^ 3));
    let div = inst.get_typed_func::<(i64, i64), i64>(&store, "div_chain").unwrap();
    assert_eq!(div.call(&mut store, (41, 6)).unwrap(), 7);
    assert!(div.call(&mut store, (41, 0)).is_err());
    assert!(div.call(&mut store, (i64::MAX, -1)).is_err()); // MAX + 1 wraps to MIN
    let f = inst.get_typed_func::<i32, f64>(&store, "f64_chain").unwrap();
    assert_eq!(f.call(&mut store, 200).unwrap(), 1.5 * 2.0 + 0.25);
    let st = inst.get_typed_func::<(i32, i32), i64>(&store, "store_chain").unwrap();
    // bytes 300..: [4..8] = v + 1, [9 + 300] = v << 4 (low byte), [16..24] = v
    let v = 0x1234;
    let low = ((v + 1) as i64) << 32;
    let got = st.call(&mut store, (300, v)).unwrap();
    assert_eq!(got, low + v as i64);
    let br = inst.get_typed_func::<i32, i32>(&store, "branch_chain").unwrap();
    assert_eq!(br.call(&mut store, 3).unwrap(), 0);
    assert_eq!(br.call(&mut store, 16).unwrap(), 0);
    assert_eq!(br.call(&mut store, 100).unwrap(), 1);
    assert_eq!(br.call(&mut store, 101).unwrap(), 0);
    let fb = inst.get_typed_func::<f64, i32>(&store, "f64_branch").unwrap();
    assert_eq!(fb.call(&mut store, 2.5).unwrap(), 1);
    assert_eq!(fb.call(&mut store, 2.0).unwrap(), 0);
    assert_eq!(fb.call(&mut store, f64::NAN).unwrap(), 0);
    let tee = inst.get_typed_func::<i64, i64>(&store, "tee_chain").unwrap();
    assert_eq!(tee.call(&mut store, 7).unwrap(), 196);
    let oob = inst.get_typed_func::<i32, i32>(&store, "oob_after_chain").unwrap();
    assert!(oob.call(&mut store, 1).is_err());
    assert_eq!(oob.call(&mut store, 0).unwrap(), 7);
}

#[test]
fn shift_then_mask_is_one_bit_field_extract() {
    let wat = r#"(module
      (func (export "f") (param $x i32) (result i32)
        (i32.and (i32.shr_u (local.get $x) (i32.const 5)) (i32.const 0x3f)))
      (func (export "wide") (param $x i32) (result i32)   ;; shift counts are mod 32
        (i32.and (i32.shr_u (local.get $x) (i32.const 36)) (i32.const -1)))
      (func (export "chained") (param $x i32) (param $y i32) (result i32)   ;; operand in the accumulator
        (i32.and (i32.shr_u (i32.xor (local.get $x) (local.get $y)) (i32.const 28)) (i32.const 7)))
      (func (export "branch") (param $x i32) (result i32)
        (if (result i32) (i32.and (i32.shr_u (local.get $x) (i32.const 3)) (i32.const 1))
          (then (i32.const 10)) (else (i32.const 20)))))"#;
    let (mut store, inst) = instantiate(wat);
    for x in [0u32, 1, 0x7ff, 0xdead_beef, u32::MAX, 0x8000_0000] {
        let x = x as i32;
        assert_eq!(call(&mut store, &inst, "f", &[Val::I32(x)]), ((x as u32 >> 5) & 0x3f) as i32);
        assert_eq!(call(&mut store, &inst, "wide", &[Val::I32(x)]), (x as u32 >> 4) as i32);
        let y = 0x1234_5678;
        assert_eq!(
            call(&mut store, &inst, "chained", &[Val::I32(x), Val::I32(y)]),
            (((x ^ y) as u32 >> 28) & 7) as i32
        );
        assert_eq!(call(&mut store, &inst, "branch", &[Val::I32(x)]), if (x as u32 >> 3) & 1 != 0 { 10 } else { 20 });
    }
}

#[test]
fn store_through_a_just_loaded_pointer() {
    // `*(*p) = v`: the store's address is the value the previous load left in
    // the accumulator; every width, and a trap on the second access.
    let wat = r#"(module (memory 1)
      (func (export "st") (param $p i32) (param $v i64) (result i64)
        (i32.store offset=8 (i32.load (local.get $p)) (i32.wrap_i64 (local.get $v)))
        (i64.store offset=16 (i32.load (local.get $p)) (local.get $v))
        (i32.store8 offset=30 (i32.load (local.get $p)) (i32.wrap_i64 (local.get $v)))
        (i32.store16 offset=32 (i32.load (local.get $p)) (i32.wrap_i64 (local.get $v)))
        (f64.store offset=40 (i32.load (local.get $p)) (f64.reinterpret_i64 (local.get $v)))
        (i64.add (i64.load offset=8 (i32.load (local.get $p)))
          (i64.add (i64.load offset=16 (i32.load (local.get $p)))
            (i64.add (i64.load offset=24 (i32.load (local.get $p)))
              (i64.add (i64.load offset=32 (i32.load (local.get $p))) (i64.load offset=40 (i32.load (local.get $p))))))))
      (func (export "set_ptr") (param $p i32) (param $q i32) (i32.store (local.get $p) (local.get $q))))"#;
    let (mut store, inst) = instantiate(wat);
    let set = inst.get_typed_func::<(i32, i32), ()>(&store, "set_ptr").unwrap();
    let st = inst.get_typed_func::<(i32, i64), i64>(&store, "st").unwrap();
    set.call(&mut store, (0, 1000)).unwrap();
    let v = 0x0102_0304_0506_0708i64;
    let expect =
        (v as u32 as i64).wrapping_add(v).wrapping_add((v & 0xff) << 48).wrapping_add(v & 0xffff).wrapping_add(v);
    assert_eq!(st.call(&mut store, (0, v)).unwrap(), expect);
    set.call(&mut store, (0, 65536 - 20)).unwrap();
    assert!(st.call(&mut store, (0, v)).is_err());
}

/// The loops of the counter tests, run in Rust: how many passes `n` (capped at
/// 20) and the counter's last value. `bottom`: update then test at the end of
/// each pass, continuing while `test` holds; `rotated`: test at the top,
/// leaving when it holds.
fn sim_bottom<T: Copy>(i0: T, step: impl Fn(T) -> T, test: impl Fn(T) -> bool) -> (i64, T) {
    let (mut i, mut n) = (i0, 0);
    loop {
        n += 1;
        if n < 20 {
            i = step(i);
            if test(i) {
                continue;
            }
        }
        return (n, i);
    }
}

fn sim_rotated<T: Copy>(i0: T, step: impl Fn(T) -> T, test: impl Fn(T) -> bool) -> (i64, T) {
    let (mut i, mut n) = (i0, 0);
    while !test(i) {
        n += 1;
        if n >= 20 {
            break;
        }
        i = step(i);
    }
    (n, i)
}

/// A counter update (`i += inc`, `inc` a local or a constant) followed by an
/// `i32` compare of the counter with a local or a constant becomes one handler
/// at a `br_if` back edge, at an `if`, and at a rotated loop's back edge, with
/// the counter on either side of the compare. Every compare, both operand
/// kinds, against the same loops run in Rust.
#[test]
fn counter_update_and_compare_branch_as_one() {
    type Op = fn(i32, i32) -> bool;
    let ops: [(&str, Op); 10] = [
        ("eq", |a, b| a == b),
        ("ne", |a, b| a != b),
        ("lt_s", |a, b| a < b),
        ("lt_u", |a, b| (a as u32) < b as u32),
        ("gt_s", |a, b| a > b),
        ("gt_u", |a, b| a as u32 > b as u32),
        ("le_s", |a, b| a <= b),
        ("le_u", |a, b| a as u32 <= b as u32),
        ("ge_s", |a, b| a >= b),
        ("ge_u", |a, b| a as u32 >= b as u32),
    ];
    let values = [0, 5, -1, 7, i32::MAX, i32::MIN, i32::MIN + 1];
    for (op, f) in ops {
        for (inc_src, const_inc) in
            [("(local.get $inc)", None), ("(i32.const -3)", Some(-3)), ("(i32.const 1)", Some(1))]
        {
            for (b_src, const_b) in [("(local.get $b)", None), ("(i32.const 7)", Some(7))] {
                let wat = format!(
                    r#"(module
  (func (export "bottom") (param $i i32) (param $inc i32) (param $b i32) (result i32) (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (if (i32.lt_u (local.get $n) (i32.const 20))
        (then (br_if $l (i32.{op} (local.tee $i (i32.add (local.get $i) {inc_src})) {b_src})))))
    (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i)))
  (func (export "if") (param $i i32) (param $inc i32) (param $b i32) (result i32)
    (if (result i32) (i32.{op} (local.tee $i (i32.add (local.get $i) {inc_src})) {b_src})
      (then (i32.add (local.get $i) (i32.const 1))) (else (i32.sub (local.get $i) (i32.const 1)))))
  (func (export "rotated") (param $i i32) (param $inc i32) (param $b i32) (result i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.{op} (local.get $i) {b_src}))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $n) (i32.const 20)))
        (local.set $i (i32.add (local.get $i) {inc_src}))
        (br $l)))
    (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i)))
  ;; negated through `eqz`, at a `br_if` and at a loop head `if`
  (func (export "bottom_eqz") (param $i i32) (param $inc i32) (param $b i32) (result i32) (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (if (i32.lt_u (local.get $n) (i32.const 20))
        (then (br_if $l (i32.eqz (i32.{op} (local.tee $i (i32.add (local.get $i) {inc_src})) {b_src}))))))
    (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i)))
  (func (export "rotated_if") (param $i i32) (param $inc i32) (param $b i32) (result i32) (local $n i32)
    (loop $l
      (if (i32.eqz (i32.{op} (local.get $i) {b_src}))
        (then
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (if (i32.lt_u (local.get $n) (i32.const 20))
            (then
              (local.set $i (i32.add (local.get $i) {inc_src}))
              (br $l))))))
    (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i)))
  ;; the counter as the compare's right operand
  (func (export "bottom_rhs") (param $i i32) (param $inc i32) (param $b i32) (result i32) (local $n i32)
    (loop $l
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (if (i32.lt_u (local.get $n) (i32.const 20))
        (then (br_if $l (i32.{op} (local.get $b) (local.tee $i (i32.add (local.get $i) {inc_src})))))))
    (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i)))
  (func (export "rotated_rhs") (param $i i32) (param $inc i32) (param $b i32) (result i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.{op} (local.get $b) (local.get $i)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $n) (i32.const 20)))
        (local.set $i (i32.add (local.get $i) {inc_src}))
        (br $l)))
    (i32.add (i32.mul (local.get $n) (i32.const 1000)) (local.get $i))))"#
                );
                let (mut store, inst) = instantiate(&wat);
                for &i0 in &values {
                    for &inc0 in &[1, -1, 3] {
                        for &b0 in &values {
                            let inc = const_inc.unwrap_or(inc0);
                            let b = const_b.unwrap_or(b0);
                            let args = [Val::I32(i0), Val::I32(inc0), Val::I32(b0)];
                            let what = format!("{op} inc={inc_src} b={b_src} i={i0} inc={inc0} b={b0}");
                            let want = |(n, i): (i64, i32)| (n as i32).wrapping_mul(1000).wrapping_add(i);
                            let step = |i: i32| i.wrapping_add(inc);
                            let got = call(&mut store, &inst, "bottom", &args);
                            assert_eq!(got, want(sim_bottom(i0, step, |i| f(i, b))), "bottom {what}");
                            let i = i0.wrapping_add(inc);
                            let want_if = if f(i, b) { i.wrapping_add(1) } else { i.wrapping_sub(1) };
                            assert_eq!(call(&mut store, &inst, "if", &args), want_if, "if {what}");
                            let got = call(&mut store, &inst, "rotated", &args);
                            assert_eq!(got, want(sim_rotated(i0, step, |i| f(i, b))), "rotated {what}");
                            let got = call(&mut store, &inst, "bottom_eqz", &args);
                            assert_eq!(got, want(sim_bottom(i0, step, |i| !f(i, b))), "bottom_eqz {what}");
                            let got = call(&mut store, &inst, "rotated_if", &args);
                            assert_eq!(got, want(sim_rotated(i0, step, |i| f(i, b))), "rotated_if {what}");
                            // The same loops with the operands swapped.
                            let got = call(&mut store, &inst, "bottom_rhs", &args);
                            assert_eq!(got, want(sim_bottom(i0, step, |i| f(b0, i))), "bottom_rhs {what}");
                            let got = call(&mut store, &inst, "rotated_rhs", &args);
                            assert_eq!(got, want(sim_rotated(i0, step, |i| f(b0, i))), "rotated_rhs {what}");
                        }
                    }
                }
            }
        }
    }
}

/// Every unary operation, and `const - x` / `const / x` / `const << x` / rotates of a constant, with its operand just
/// produced (the accumulator form) and read from a local after a block (the
/// slot form): same results, same traps, NaNs compared as NaNs.
#[test]
fn unary_and_reversed_accumulator_forms_match_slot_forms() {
    let ops: &[(&str, &str)] = &[
        ("i32.clz", "i32"),
        ("i32.ctz", "i32"),
        ("i32.popcnt", "i32"),
        ("i32.eqz", "i32"),
        ("i32.extend8_s", "i32"),
        ("i32.extend16_s", "i32"),
        ("i64.clz", "i64"),
        ("i64.ctz", "i64"),
        ("i64.popcnt", "i64"),
        ("i64.eqz", "i64"),
        ("i64.extend8_s", "i64"),
        ("i64.extend16_s", "i64"),
        ("i64.extend32_s", "i64"),
        ("i64.extend_i32_s", "i32"),
        ("i64.extend_i32_u", "i32"),
        ("i32.wrap_i64", "i64"),
        ("f32.abs", "f32"),
        ("f32.neg", "f32"),
        ("f32.ceil", "f32"),
        ("f32.floor", "f32"),
        ("f32.trunc", "f32"),
        ("f32.nearest", "f32"),
        ("f32.sqrt", "f32"),
        ("f64.abs", "f64"),
        ("f64.neg", "f64"),
        ("f64.ceil", "f64"),
        ("f64.floor", "f64"),
        ("f64.trunc", "f64"),
        ("f64.nearest", "f64"),
        ("f64.sqrt", "f64"),
        ("i32.trunc_f32_s", "f32"),
        ("i32.trunc_f32_u", "f32"),
        ("i32.trunc_f64_s", "f64"),
        ("i32.trunc_f64_u", "f64"),
        ("i64.trunc_f32_s", "f32"),
        ("i64.trunc_f32_u", "f32"),
        ("i64.trunc_f64_s", "f64"),
        ("i64.trunc_f64_u", "f64"),
        ("i32.trunc_sat_f32_s", "f32"),
        ("i32.trunc_sat_f64_u", "f64"),
        ("i64.trunc_sat_f32_u", "f32"),
        ("i64.trunc_sat_f64_s", "f64"),
        ("f32.convert_i32_s", "i32"),
        ("f32.convert_i32_u", "i32"),
        ("f32.convert_i64_s", "i64"),
        ("f32.convert_i64_u", "i64"),
        ("f32.demote_f64", "f64"),
        ("f64.convert_i32_s", "i32"),
        ("f64.convert_i32_u", "i32"),
        ("f64.convert_i64_s", "i64"),
        ("f64.convert_i64_u", "i64"),
        ("f64.promote_f32", "f32"),
        ("i32.reinterpret_f32", "f32"),
        ("f64.reinterpret_i64", "i64"),
        ("i32.sub (i32.const 5)", "i32"),
        ("i64.sub (i64.const -5)", "i64"),
        ("f32.sub (f32.const 1.5)", "f32"),
        ("f64.sub (f64.const 1.5)", "f64"),
        ("f32.div (f32.const 1)", "f32"),
        ("f64.div (f64.const 1)", "f64"),
        ("i32.shl (i32.const 1)", "i32"),
        ("i32.shl (i32.const -3)", "i32"),
        ("i64.shl (i64.const 1)", "i64"),
        ("i64.shl (i64.const -3)", "i64"),
        ("i32.rotl (i32.const -2)", "i32"),
        ("i32.rotr (i32.const 0x12345678)", "i32"),
    ];
    let values = |ty: &str| -> Vec<Val> {
        match ty {
            "i32" => [0, 1, -1, 5, 0x7f, 0x80, 0x8000, i32::MIN, i32::MAX].map(Val::I32).to_vec(),
            "i64" => [0, 1, -1, 5, 0x80, 1 << 31, 1 << 32, i64::MIN, i64::MAX].map(Val::I64).to_vec(),
            "f32" => [0.0, -0.0, 1.5, -2.5, 0.5, 3e9, -3e9, 1e20, f32::INFINITY, f32::NAN]
                .map(|x: f32| Val::F32(x.to_bits()))
                .to_vec(),
            _ => [0.0, -0.0, 1.5, -2.5, 0.5, 3e9, -3e9, 1e20, 1e300, f64::INFINITY, f64::NAN]
                .map(|x: f64| Val::F64(x.to_bits()))
                .to_vec(),
        }
    };
    let same = |a: &Val, b: &Val| match (a, b) {
        (Val::F32(x), Val::F32(y)) => x == y || f32::from_bits(*x).is_nan() && f32::from_bits(*y).is_nan(),
        (Val::F64(x), Val::F64(y)) => x == y || f64::from_bits(*x).is_nan() && f64::from_bits(*y).is_nan(),
        (Val::I32(x), Val::I32(y)) => x == y,
        (Val::I64(x), Val::I64(y)) => x == y,
        _ => false,
    };
    for &(op, ty) in ops {
        // `x * 1` / `x + 0` keep the value (NaNs stay NaNs, -0 stays -0).
        let produce = match ty {
            "i32" | "i64" => format!("({ty}.add (local.get $x) ({ty}.const 0))"),
            _ => format!("({ty}.mul (local.get $x) ({ty}.const 1))"),
        };
        let wat = format!(
            r#"(module
  (func (export "acc") (param $x {ty}) (result i32 i64 f32 f64)
    (local $r i32) (local $r64 i64) (local $f f32) (local $d f64)
    ({op} {produce}) (call $spread))
  (func (export "slot") (param $x {ty}) (result i32 i64 f32 f64) (local $t {ty})
    (local.set $t {produce}) (block) ({op} (local.get $t)) (call $spread))
  (func $spread (param {res}) (result i32 i64 f32 f64)
    {spread}))"#,
            res = result_type(op),
            spread = spread(result_type(op)),
        );
        let (mut store, inst) = instantiate(&wat);
        for x in values(ty) {
            let run = |store: &mut Store<()>, name: &str| {
                let f = inst.get_func(&*store, name).unwrap();
                let mut out = [Val::I32(0), Val::I64(0), Val::F32(0), Val::F64(0)];
                f.call(&mut *store, &[x], &mut out).map(|_| out)
            };
            match (run(&mut store, "acc"), run(&mut store, "slot")) {
                (Ok(a), Ok(s)) => assert!(a.iter().zip(&s).all(|(a, s)| same(a, s)), "{op} {x:?}: {a:?} vs {s:?}"),
                (Err(_), Err(_)) => {}
                (a, s) => panic!("{op} {x:?}: {a:?} vs {s:?}"),
            }
        }
    }
}

/// The result type of a unary operation written as in `unary_and_reversed…`.
fn result_type(op: &str) -> &'static str {
    let head = op.split(['.', ' ']).next().unwrap_or("");
    match op {
        _ if op.ends_with("eqz") => "i32",
        _ if op.starts_with("i32.reinterpret") => "i32",
        _ => match head {
            "i32" => "i32",
            "i64" => "i64",
            "f32" => "f32",
            _ => "f64",
        },
    }
}

/// A body turning one value of type `ty` (param 0) into `(i32 i64 f32 f64)`.
fn spread(ty: &str) -> String {
    let at = ["i32", "i64", "f32", "f64"].iter().position(|t| *t == ty).unwrap();
    (0..4)
        .map(|k| {
            if k == at {
                "(local.get 0)".to_string()
            } else {
                format!("({}.const 0)", ["i32", "i64", "f32", "f64"][k])
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A copy (`local.set` of a local) followed by a branch on an `i32` becomes
/// one `copy_br_*`; the test sees the copied value when it tests the copy's
/// destination, and either sense of the branch (through `eqz` too) holds.
#[test]
fn copy_then_branch_is_one_handler() {
    let wat = r#"(module
      ;; walks x down to 0 through a copy: y = x - 1; x = y; loop while x != 0
      (func (export "walk") (param $x i32) (result i32) (local $y i32) (local $n i32)
        (block $out
          (br_if $out (i32.eqz (local.get $x)))
          (loop $l
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (local.set $y (i32.sub (local.get $x) (i32.const 1)))
            (local.set $x (local.get $y))
            (br_if $l (local.get $x))))
        (local.get $n))
      ;; the branch tests another local than the copy writes
      (func (export "other") (param $a i32) (param $c i32) (result i32) (local $b i32)
        (block $yes
          (local.set $b (local.get $a))
          (br_if $yes (i32.eqz (local.get $c)))
          (return (i32.add (local.get $b) (i32.const 100))))
        (local.get $b))
      ;; `if` after a copy, on the copy's destination
      (func (export "if") (param $a i32) (result i32) (local $b i32)
        (local.set $b (local.get $a))
        (if (result i32) (local.get $b) (then (i32.const 1)) (else (i32.const 2)))))"#;
    let (mut store, inst) = instantiate(wat);
    for x in [0, 1, 5, 100] {
        assert_eq!(call(&mut store, &inst, "walk", &[Val::I32(x)]), x, "walk {x}");
    }
    assert_eq!(call(&mut store, &inst, "other", &[Val::I32(7), Val::I32(0)]), 7);
    assert_eq!(call(&mut store, &inst, "other", &[Val::I32(7), Val::I32(3)]), 107);
    assert_eq!(call(&mut store, &inst, "if", &[Val::I32(9)]), 1);
    assert_eq!(call(&mut store, &inst, "if", &[Val::I32(0)]), 2);
    assert_eq!(call(&mut store, &inst, "if", &[Val::I32(-1)]), 1);
}

/// `x + (y << k)` and `x + y * 2^k` are one handler: the index operand from a
/// slot or from the accumulator, `x` a local or a temp on either side; shifts
/// mask their count and everything wraps.
#[test]
fn scaled_index_add_is_one_handler() {
    for (op, k, scale) in [
        ("i32.shl", 0u32, 1u32),
        ("i32.shl", 3, 8),
        ("i32.shl", 31, 1 << 31),
        ("i32.shl", 33, 2),
        ("i32.mul", 1, 1),
        ("i32.mul", 8, 8),
        ("i32.mul", 0x8000_0000, 0x8000_0000),
    ] {
        let wat = format!(
            r#"(module
  (func (export "slot") (param $x i32) (param $y i32) (result i32)
    (i32.add (local.get $x) ({op} (local.get $y) (i32.const {k}))))
  (func (export "acc_left") (param $x i32) (param $y i32) (result i32)
    (i32.add ({op} (i32.add (local.get $y) (i32.const 1)) (i32.const {k})) (local.get $x)))
  (func (export "temps") (param $x i32) (param $y i32) (result i32)
    (i32.add (i32.mul (local.get $x) (i32.const 3)) ({op} (local.get $y) (i32.const {k})))))"#
        );
        let (mut store, inst) = instantiate(&wat);
        for x in [0, 1, -1, 1000, i32::MAX, i32::MIN] {
            for y in [0, 1, -1, 7, 0x1234_5678, i32::MIN] {
                let args = [Val::I32(x), Val::I32(y)];
                let (xu, yu) = (x as u32, y as u32);
                let want = xu.wrapping_add(yu.wrapping_mul(scale)) as i32;
                assert_eq!(call(&mut store, &inst, "slot", &args), want, "{op} {k} slot {x} {y}");
                let want = xu.wrapping_add(yu.wrapping_add(1).wrapping_mul(scale)) as i32;
                assert_eq!(call(&mut store, &inst, "acc_left", &args), want, "{op} {k} acc {x} {y}");
                let want = xu.wrapping_mul(3).wrapping_add(yu.wrapping_mul(scale)) as i32;
                assert_eq!(call(&mut store, &inst, "temps", &args), want, "{op} {k} temps {x} {y}");
            }
        }
    }
}

/// The `i64` counter forms: `i += inc` then an `i64` compare, at a `br_if`
/// back edge and at a rotated loop's back edge, the counter on either side.
#[test]
fn i64_counter_update_and_compare_branch_as_one() {
    type Op = fn(i64, i64) -> bool;
    let ops: [(&str, Op); 10] = [
        ("eq", |a, b| a == b),
        ("ne", |a, b| a != b),
        ("lt_s", |a, b| a < b),
        ("lt_u", |a, b| (a as u64) < b as u64),
        ("gt_s", |a, b| a > b),
        ("gt_u", |a, b| a as u64 > b as u64),
        ("le_s", |a, b| a <= b),
        ("le_u", |a, b| a as u64 <= b as u64),
        ("ge_s", |a, b| a >= b),
        ("ge_u", |a, b| a as u64 >= b as u64),
    ];
    let values = [0, 5, -1, 7, i64::MAX, i64::MIN, 1 << 32];
    for (op, f) in ops {
        for (inc_src, const_inc) in [("(local.get $inc)", None), ("(i64.const -3)", Some(-3i64))] {
            for (b_src, const_b) in [("(local.get $b)", None), ("(i64.const 7)", Some(7i64))] {
                let wat = format!(
                    r#"(module
  (func (export "bottom") (param $i i64) (param $inc i64) (param $b i64) (result i64) (local $n i64)
    (loop $l
      (local.set $n (i64.add (local.get $n) (i64.const 1)))
      (if (i64.lt_u (local.get $n) (i64.const 20))
        (then (br_if $l (i64.{op} (local.tee $i (i64.sub (local.get $i) {inc_src})) {b_src})))))
    (i64.add (i64.mul (local.get $n) (i64.const 1000)) (local.get $i)))
  (func (export "rotated_rhs") (param $i i64) (param $inc i64) (param $b i64) (result i64) (local $n i64)
    (block $done
      (loop $l
        (br_if $done (i64.{op} {b_src} (local.get $i)))
        (local.set $n (i64.add (local.get $n) (i64.const 1)))
        (br_if $done (i64.ge_u (local.get $n) (i64.const 20)))
        (local.set $i (i64.add (local.get $i) {inc_src}))
        (br $l)))
    (i64.add (i64.mul (local.get $n) (i64.const 1000)) (local.get $i))))"#
                );
                let (mut store, inst) = instantiate(&wat);
                let run = |store: &mut Store<()>, name: &str, args: &[Val]| {
                    let f = inst.get_func(&*store, name).unwrap();
                    let mut out = [Val::I64(0)];
                    f.call(&mut *store, args, &mut out).unwrap();
                    out[0].i64().unwrap()
                };
                for &i0 in &values {
                    for &inc0 in &[1i64, -1, 3] {
                        for &b0 in &values {
                            let inc = const_inc.unwrap_or(inc0);
                            let b = const_b.unwrap_or(b0);
                            let args = [Val::I64(i0), Val::I64(inc0), Val::I64(b0)];
                            let what = format!("{op} inc={inc_src} b={b_src} i={i0} inc={inc0} b={b0}");
                            let want = |(n, i): (i64, i64)| n.wrapping_mul(1000).wrapping_add(i);
                            let got = run(&mut store, "bottom", &args);
                            assert_eq!(
                                got,
                                want(sim_bottom(i0, |i| i.wrapping_sub(inc), |i| f(i, b))),
                                "bottom {what}"
                            );
                            if const_b.is_none() {
                                let got = run(&mut store, "rotated_rhs", &args);
                                let sim = sim_rotated(i0, |i| i.wrapping_add(inc), |i| f(b, i));
                                assert_eq!(got, want(sim), "rotated_rhs {what}");
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A store of a constant whose address is an `i32.add` of locals (or of a
/// local and a constant) takes the add into the store: same bytes written,
/// wrapping addresses, and traps at the same accesses.
#[test]
fn constant_stores_absorb_their_address_add() {
    let wat = r#"(module (memory 1)
      (func (export "ss") (param $a i32) (param $b i32)
        (i32.store8 offset=1 (i32.add (local.get $a) (local.get $b)) (i32.const 0x11))
        (i32.store16 offset=2 (i32.add (local.get $a) (local.get $b)) (i32.const 0x2222))
        (i32.store offset=4 (i32.add (local.get $a) (local.get $b)) (i32.const 0x33333333))
        (i64.store offset=8 (i32.add (local.get $a) (local.get $b)) (i64.const 0x4444444444444444)))
      (func (export "si") (param $a i32) (param $b i32)
        (i32.store8 offset=1 (i32.add (local.get $a) (i32.const 16)) (i32.const 0x55))
        (i64.store offset=8 (i32.add (local.get $a) (i32.const -8)) (i64.const 0x6666666666666666)))
      ;; the add is computed before another instruction: still folded (pending)
      (func (export "pending") (param $a i32) (param $b i32)
        (i32.add (local.get $a) (local.get $b))
        (i32.store (i32.const 0) (i32.mul (local.get $b) (i32.const 3)))
        (i32.const 0x77)
        (i32.store8 offset=3))
      (func (export "byte") (param $at i32) (result i32) (i32.load8_u (local.get $at))))"#;
    let (mut store, inst) = instantiate(wat);
    let run = |store: &mut Store<()>, name: &str, a: i32, b: i32| {
        let f = inst.get_func(&*store, name).unwrap();
        f.call(&mut *store, &[Val::I32(a), Val::I32(b)], &mut []).is_ok()
    };
    let byte = |store: &mut Store<()>, at: i32| call(store, &inst, "byte", &[Val::I32(at)]);
    assert!(run(&mut store, "ss", 100, 20));
    assert_eq!(byte(&mut store, 121), 0x11);
    assert_eq!(byte(&mut store, 122), 0x22);
    assert_eq!(byte(&mut store, 127), 0x33);
    assert_eq!(byte(&mut store, 135), 0x44);
    // 200 + (-80) wraps to 120
    assert!(run(&mut store, "ss", 200, -80));
    assert!(!run(&mut store, "ss", 65530, 0), "out of bounds");
    assert!(!run(&mut store, "ss", -1, 0), "wrapped to the top of memory + offset");
    assert!(run(&mut store, "si", 300, 0));
    assert_eq!(byte(&mut store, 317), 0x55);
    assert_eq!(byte(&mut store, 307), 0x66);
    assert!(!run(&mut store, "si", 65535 - 16, 0));
    assert!(run(&mut store, "pending", 400, 4));
    assert_eq!(byte(&mut store, 407), 0x77);
    assert_eq!(byte(&mut store, 0), 12);
    assert!(!run(&mut store, "pending", 65533, 0));
}

/// `*p = *p op b` (a load, an operation on it, a store to the same address,
/// offset and width) is one handler: each operation with a local and a
/// constant `b`, traps at the access, and the near misses (another offset,
/// another address, another width) stay correct.
#[test]
fn read_modify_write_of_memory_is_one_handler() {
    let wat = r#"(module (memory 1)
      (func (export "i32") (param $p i32) (param $b i32)
        (i32.store offset=4 (local.get $p) (i32.add (i32.load offset=4 (local.get $p)) (local.get $b)))
        (i32.store offset=8 (local.get $p) (i32.sub (i32.load offset=8 (local.get $p)) (i32.const 3)))
        (i32.store offset=12 (local.get $p) (i32.add (local.get $b) (i32.load offset=12 (local.get $p)))))
      (func (export "i64") (param $p i32) (param $b i64)
        (i64.store offset=16 (local.get $p) (i64.add (i64.load offset=16 (local.get $p)) (i64.const -1)))
        (i64.store offset=24 (local.get $p) (i64.sub (i64.load offset=24 (local.get $p)) (local.get $b))))
      (func (export "f64") (param $p i32) (param $b f64)
        (f64.store offset=32 (local.get $p) (f64.add (f64.load offset=32 (local.get $p)) (local.get $b)))
        (f64.store offset=40 (local.get $p) (f64.sub (f64.load offset=40 (local.get $p)) (f64.const 0.5)))
        (f64.store offset=48 (local.get $p) (f64.mul (f64.load offset=48 (local.get $p)) (local.get $b))))
      ;; near misses: another offset, another address, another width
      (func (export "miss") (param $p i32) (param $q i32)
        (i32.store offset=64 (local.get $p) (i32.add (i32.load offset=60 (local.get $p)) (i32.const 1)))
        (i32.store offset=68 (local.get $q) (i32.add (i32.load offset=68 (local.get $p)) (i32.const 1)))
        (i32.store16 offset=72 (local.get $p) (i32.add (i32.load offset=72 (local.get $p)) (i32.const 0x10001))))
      (func (export "get") (param $at i32) (result i64) (i64.load (local.get $at))))"#;
    let (mut store, inst) = instantiate(wat);
    let get = |store: &mut Store<()>, at: i32| {
        let f = inst.get_func(&*store, "get").unwrap();
        let mut out = [Val::I64(0)];
        f.call(&mut *store, &[Val::I32(at)], &mut out).unwrap();
        out[0].i64().unwrap()
    };
    let run = |store: &mut Store<()>, name: &str, args: &[Val]| {
        let f = inst.get_func(&*store, name).unwrap();
        f.call(&mut *store, args, &mut []).is_ok()
    };
    let p = 1000;
    for _ in 0..3 {
        assert!(run(&mut store, "i32", &[Val::I32(p), Val::I32(7)]));
        assert!(run(&mut store, "i64", &[Val::I32(p), Val::I64(5)]));
        assert!(run(&mut store, "f64", &[Val::I32(p), Val::F64(2.0f64.to_bits())]));
    }
    let word = |v: i64| v as u32 as i32;
    assert_eq!(word(get(&mut store, p + 4)), 21);
    assert_eq!(word(get(&mut store, p + 8)), -9);
    assert_eq!(word(get(&mut store, p + 12)), 21);
    assert_eq!(get(&mut store, p + 16), -3);
    assert_eq!(get(&mut store, p + 24), -15);
    assert_eq!(f64::from_bits(get(&mut store, p + 32) as u64), 6.0);
    assert_eq!(f64::from_bits(get(&mut store, p + 40) as u64), -1.5);
    assert_eq!(f64::from_bits(get(&mut store, p + 48) as u64), 0.0); // 0 * 2 * 2 * 2
                                                                     // Out of bounds: the first access traps, nothing is written.
    assert!(!run(&mut store, "i32", &[Val::I32(65530), Val::I32(1)]));
    assert!(!run(&mut store, "f64", &[Val::I32(-32), Val::F64(0)]));
    let q = 2000;
    assert!(run(&mut store, "miss", &[Val::I32(q), Val::I32(q + 100)]));
    assert_eq!(word(get(&mut store, q + 64)), 1); // loaded 60 (0) + 1
    assert_eq!(word(get(&mut store, q + 168)), 1); // stored at q + 100 + 68
    assert_eq!(word(get(&mut store, q + 68)), 0);
    assert_eq!(get(&mut store, q + 72) & 0xffff_ffff, 1); // 16-bit store of 0x10001
}

/// Two `i32.add`s of a constant in a row run as one handler, and become
/// single adds again when a later fusion takes the second one (a counter
/// branch, a load or store address) or a branch lands between them.
#[test]
fn consecutive_constant_adds_pair_up() {
    let wat = r#"(module (memory 1)
      ;; a pair, then a counter update whose branch takes the second add
      (func (export "counter") (param $n i32) (result i32) (local $x i32) (local $i i32)
        (loop $l
          (local.set $x (i32.add (local.get $x) (i32.const 3)))
          (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (i32.add (i32.mul (local.get $x) (i32.const 1000)) (local.get $i)))
      ;; three adds: a pair and a single one
      (func (export "three") (param $a i32) (result i32) (local $b i32) (local $c i32)
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (local.set $b (i32.add (local.get $a) (i32.const 10)))
        (local.set $c (i32.add (local.get $b) (i32.const 100)))
        (i32.add (i32.mul (local.get $c) (i32.const 7)) (local.get $a)))
      ;; the second add is a load's address (folded into the load)
      (func (export "load") (param $p i32) (result i32) (local $q i32)
        (local.set $q (i32.add (local.get $p) (i32.const 2)))
        (i32.add (i32.load (i32.add (local.get $p) (i32.const 4))) (local.get $q)))
      ;; the second add is a pending store address, drained into the store
      (func (export "store") (param $p i32) (param $v i32) (local $q i32)
        (local.set $q (i32.add (local.get $v) (i32.const 1)))
        (i32.add (local.get $p) (i32.const 8))
        (i32.mul (local.get $q) (i32.const 3))
        (i32.store))
      ;; a branch target between two adds
      (func (export "label") (param $a i32) (param $skip i32) (result i32)
        (local.set $a (i32.add (local.get $a) (i32.const 1)))
        (block $b
          (br_if $b (local.get $skip))
          (local.set $a (i32.add (local.get $a) (i32.const 10))))
        (local.set $a (i32.add (local.get $a) (i32.const 100)))
        (local.set $a (i32.add (local.get $a) (i32.const 1000)))
        (local.get $a))
      (func (export "word") (param $at i32) (result i32) (i32.load (local.get $at))))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "counter", &[Val::I32(5)]), 15 * 1000 + 5);
    assert_eq!(call(&mut store, &inst, "three", &[Val::I32(1)]), 112 * 7 + 2);
    let f = inst.get_func(&store, "store").unwrap();
    f.call(&mut store, &[Val::I32(100), Val::I32(4)], &mut []).unwrap();
    assert_eq!(call(&mut store, &inst, "word", &[Val::I32(108)]), 15);
    assert_eq!(call(&mut store, &inst, "load", &[Val::I32(104)]), 15 + 106);
    assert_eq!(call(&mut store, &inst, "label", &[Val::I32(0), Val::I32(0)]), 1111);
    assert_eq!(call(&mut store, &inst, "label", &[Val::I32(0), Val::I32(1)]), 1101);
}

/// `a * b + c` on `i32` is one handler (either operand order, the product's
/// left operand just produced or in a slot); it wraps like the two operations.
#[test]
fn integer_multiply_accumulate_is_one_handler() {
    let wat = r#"(module (memory 1)
      (func (export "madd") (param i32 i32 i32) (result i32) (i32.add (i32.mul (local.get 0) (local.get 1)) (local.get 2)))
      (func (export "addm") (param i32 i32 i32) (result i32) (i32.add (local.get 2) (i32.mul (local.get 0) (local.get 1))))
      ;; the product's operand from a load (the accumulator form of the multiply)
      (func (export "loaded") (param i32 i32 i32) (result i32)
        (i32.store (i32.const 64) (local.get 0))
        (i32.add (local.get 2) (i32.mul (i32.load (i32.const 64)) (local.get 1)))))"#;
    let (mut store, inst) = instantiate(wat);
    for (a, b, c) in [(3, 4, 5), (-7, 9, 100), (i32::MAX, 2, 1), (i32::MIN, -1, -1), (0x10000, 0x10000, 7)] {
        let want = a.wrapping_mul(b).wrapping_add(c);
        let args = [Val::I32(a), Val::I32(b), Val::I32(c)];
        for f in ["madd", "addm", "loaded"] {
            assert_eq!(call(&mut store, &inst, f, &args), want, "{f} {a} {b} {c}");
        }
    }
}

/// A load from `x + (y << k)` (or `x + y * 2^k`) takes the scaled index into
/// its address: each width, the index from a slot or just computed, the same
/// values and traps as the separate instructions.
#[test]
fn loads_take_a_scaled_index() {
    let wat = r#"(module (memory 1)
      (data (i32.const 256) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18")
      (func (export "w32") (param $x i32) (param $y i32) (result i64)
        (i64.extend_i32_u (i32.load offset=4 (i32.add (local.get $x) (i32.shl (local.get $y) (i32.const 2))))))
      (func (export "w64") (param $x i32) (param $y i32) (result i64)
        (i64.load (i32.add (local.get $x) (i32.mul (local.get $y) (i32.const 8)))))
      (func (export "w8") (param $x i32) (param $y i32) (result i64)
        (i64.load8_s offset=1 (i32.add (i32.shl (i32.add (local.get $y) (i32.const 1)) (i32.const 1)) (local.get $x))))
      (func (export "f64") (param $x i32) (param $y i32) (result i64)
        (i64.reinterpret_f64 (f64.load (i32.add (local.get $x) (i32.shl (local.get $y) (i32.const 3)))))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem: Vec<u8> = (0..65536usize).map(|i| if (256..280).contains(&i) { (i - 255) as u8 } else { 0 }).collect();
    let read = |at: u64, n: usize| -> Option<u64> {
        let at = at as usize;
        (at + n <= mem.len()).then(|| mem[at..at + n].iter().rev().fold(0u64, |v, b| v << 8 | *b as u64))
    };
    let run = |store: &mut Store<()>, name: &str, x: i32, y: i32| {
        let f = inst.get_func(&*store, name).unwrap();
        let mut out = [Val::I64(0)];
        f.call(&mut *store, &[Val::I32(x), Val::I32(y)], &mut out).ok().map(|_| out[0].i64().unwrap() as u64)
    };
    for (x, y) in [(256, 0), (256, 1), (252, 2), (200, 7), (256, -1), (0, 0x3fff_ffc0), (65532, 0), (65530, 1), (-4, 1)]
    {
        let (xu, yu) = (x as u32, y as u32);
        let a32 = xu.wrapping_add(yu << 2) as u64 + 4;
        assert_eq!(run(&mut store, "w32", x, y), read(a32, 4), "w32 {x} {y}");
        let a64 = xu.wrapping_add(yu.wrapping_mul(8)) as u64;
        assert_eq!(run(&mut store, "w64", x, y), read(a64, 8), "w64 {x} {y}");
        assert_eq!(run(&mut store, "f64", x, y), read(a64, 8), "f64 {x} {y}");
        let a8 = (yu.wrapping_add(1) << 1).wrapping_add(xu) as u64 + 1;
        assert_eq!(run(&mut store, "w8", x, y), read(a8, 1).map(|b| b as u8 as i8 as i64 as u64), "w8 {x} {y}");
    }
}

/// Bytes of one memory page.
const LEN: usize = 65536;

/// One page of memory with a byte pattern (no two neighbours equal).
fn patterned_memory() -> Vec<u8> {
    (0..LEN).map(|k| (k * 7 + 3) as u8).collect()
}

/// Runs export `name` (i32 arguments, i32 result) on memory "m" reset to
/// `fresh`, and `model` (the loop in Rust: its result, or None for a trap) on
/// a copy of `fresh`; both must give the same result and the same memory.
fn check_loop_against_model(
    store: &mut Store<()>,
    inst: &Instance,
    name: &str,
    args: &[u32],
    fresh: &[u8],
    model: impl FnOnce(&mut [u8]) -> Option<u32>,
    case: &str,
) {
    let memory = inst.get_memory(&*store, "m").expect("memory");
    memory.write(&mut *store, 0, fresh).unwrap();
    let mut want = fresh.to_vec();
    let want_result = model(&mut want);
    let f = inst.get_func(&*store, name).unwrap();
    let mut out = [Val::I32(0)];
    let args: Vec<Val> = args.iter().map(|&x| Val::I32(x as i32)).collect();
    let got_result = f.call(&mut *store, &args, &mut out).ok().map(|_| out[0].i32().unwrap() as u32);
    let mut got = vec![0u8; fresh.len()];
    memory.read(&*store, 0, &mut got).unwrap();
    assert_eq!(got_result, want_result, "{case}");
    assert!(got == want, "{case}: memory differs at {:?}", got.iter().zip(&want).position(|(a, b)| a != b));
}

/// A byte-copy loop (`mem[d + i] = mem[s + i]; i += inc; while i != bound`,
/// what Rust's `memcpy`/`memmove` compile to without bulk memory) runs as one
/// bulk copy when it can; every shape of it, forwards and backwards, with
/// overlaps either way, at the memory's end, with address wrap-around and
/// with other steps, must leave memory and the counter as the byte loop does
/// (checked against a Rust model of the loop).
#[test]
fn byte_copy_loops_match_the_byte_by_byte_loop() {
    // (export name, step expression, bound expression)
    let shapes = [
        ("ss", "(local.get $inc)", "(local.get $bound)"),
        ("si", "(local.get $inc)", "(i32.const 300)"),
        ("is_up", "(i32.const 1)", "(local.get $bound)"),
        ("is_down", "(i32.const -1)", "(local.get $bound)"),
        ("ii", "(i32.const 1)", "(i32.const 300)"),
    ];
    let mut funcs = String::new();
    for (name, step, bound) in shapes {
        funcs += &format!(
            r#"(func (export "{name}") (param $s i32) (param $d i32) (param $i i32) (param $bound i32) (param $inc i32) (result i32)
                 (loop $l
                   (i32.store8 offset=5 (i32.add (local.get $d) (local.get $i))
                     (i32.load8_u offset=3 (i32.add (local.get $s) (local.get $i))))
                   (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) {step})) {bound})))
                 (local.get $i))"#
        );
    }
    let (mut store, inst) = instantiate(&format!(r#"(module (memory (export "m") 1) {funcs})"#));
    let fresh = patterned_memory();
    // The byte loop itself: the counter at the end, or None for a trap.
    let model = |mem: &mut [u8], s: u32, d: u32, mut i: u32, bound: u32, inc: u32| -> Option<u32> {
        loop {
            let from = s.wrapping_add(i) as usize + 3;
            let to = d.wrapping_add(i) as usize + 5;
            if from >= LEN || to >= LEN {
                return None;
            }
            mem[to] = mem[from];
            i = i.wrapping_add(inc);
            if i == bound {
                return Some(i);
            }
        }
    };
    let up = |i: u32, bound: u32| (i, bound, 1u32);
    let cases: Vec<(u32, u32, (u32, u32, u32))> = vec![
        (100, 1000, up(0, 300)),                  // disjoint
        (1000, 100, up(0, 300)),                  // disjoint, dst below
        (100, 110, up(0, 300)),                   // dst inside the source: a repeating pattern
        (110, 100, up(0, 300)),                   // src inside the dst: a plain move
        (100, 110, (299, u32::MAX, u32::MAX)),    // backwards, dst above: a plain move
        (110, 100, (299, u32::MAX, u32::MAX)),    // backwards into the source: repeats
        (500, 600, (40, 7, u32::MAX)),            // backwards over part of a range
        (65000, 100, up(0, 600)),                 // source runs off the end: trap part-way
        (100, 65300, up(0, 300)),                 // destination runs off the end
        (100, 200, (65500, 65500 - 1, u32::MAX)), // backwards from the top: ends in bounds
        (u32::MAX - 10, 4000, up(0, 300)),        // source address wraps around 2^32
        (4000, u32::MAX - 10, up(0, 300)),        // destination address wraps
        (100, 3000, (0, 300, 2)),                 // step 2: byte by byte
        (100, 3000, (0, 0, 1)),                   // bound == start: 2^32 steps, traps at the end
        (100, 3000, (5, 5, u32::MAX)),            // the same downwards
        (100, 3000, (299, 300, 1)),               // a single byte? no: wraps all the way, traps
    ];
    for (name, _, _) in shapes {
        for &(s, d, (i0, bound, inc)) in &cases {
            // Shapes with constants only run the cases they match.
            let (i0, bound, inc) = match name {
                "si" | "ii" if bound != 300 => continue,
                "is_up" | "ii" if inc != 1 => continue,
                "is_down" if inc != u32::MAX => continue,
                _ => (i0, bound, inc),
            };
            let case = format!("{name}: s={s} d={d} i={i0} bound={bound} inc={inc}");
            let model = |mem: &mut [u8]| model(mem, s, d, i0, bound, inc);
            check_loop_against_model(&mut store, &inst, name, &[s, d, i0, bound, inc], &fresh, model, &case);
        }
    }
}

/// With fuel metering every iteration of a byte-copy loop is charged: the
/// loop head is then a fuel check, so the loop is not run as a bulk copy.
#[test]
fn byte_copy_loops_are_charged_fuel_per_iteration() {
    let wat = r#"(module (memory 1)
      (func (export "copy") (param $s i32) (param $d i32) (param $n i32) (local $i i32)
        (loop $l
          (i32.store8 (i32.add (local.get $d) (local.get $i)) (i32.load8_u (i32.add (local.get $s) (local.get $i))))
          (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))"#;
    let mut config = baton::Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat).unwrap();
    let used = |n: i32| {
        let mut store = Store::new(&engine, ());
        store.set_fuel(1_000_000).unwrap();
        let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let f = inst.get_typed_func::<(i32, i32, i32), ()>(&store, "copy").unwrap();
        f.call(&mut store, (0, 1000, n)).unwrap();
        1_000_000 - store.get_fuel().unwrap()
    };
    let (small, large) = (used(10), used(1010));
    assert!(large - small >= 1000, "fuel for 10 bytes: {small}, for 1010: {large}");
}

/// A byte-fill loop (`n -= 1; mem[p + n] = v; while n != 0`, Rust's `memset`
/// without bulk memory) runs as one fill when it can; in bounds, across the
/// memory's end, with address wrap-around and from `n = 0` (2^32 steps) it
/// must leave memory and `n` as the byte loop does.
#[test]
fn byte_fill_loops_match_the_byte_by_byte_loop() {
    let wat = r#"(module (memory (export "m") 1)
      (func (export "imm") (param $p i32) (param $n i32) (param $v i32) (result i32)
        (loop $l
          (i32.store8 offset=3 (i32.add (local.get $p) (local.tee $n (i32.sub (local.get $n) (i32.const 1))))
            (i32.const 0x5a))
          (br_if $l (local.get $n)))
        (local.get $n))
      (func (export "slot") (param $p i32) (param $n i32) (param $v i32) (result i32)
        (loop $l
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (i32.store8 offset=3 (i32.add (local.get $n) (local.get $p)) (local.get $v))
          (br_if $l (local.get $n)))
        (local.get $n)))"#;
    let (mut store, inst) = instantiate(wat);
    let fresh = patterned_memory();
    let model = |mem: &mut [u8], p: u32, mut n: u32, v: u8| -> Option<u32> {
        loop {
            n = n.wrapping_sub(1);
            let at = p.wrapping_add(n) as usize + 3;
            if at >= LEN {
                return None;
            }
            mem[at] = v;
            if n == 0 {
                return Some(0);
            }
        }
    };
    let cases: [(u32, u32); 8] = [
        (100, 1),
        (100, 1000),
        (0, 65533),           // exactly to the end
        (0, 65534),           // one past: traps before storing anything
        (65000, 600),         // runs off the end
        (u32::MAX - 10, 300), // the address wraps around 2^32: low bytes stored, then a trap
        (u32::MAX - 10, 11),  // all of it above 2^32 - 11: traps at once
        (100, 0),             // 2^32 steps: stores down from 2^32 - 1 + 100, i.e. wraps
    ];
    for name in ["imm", "slot"] {
        for (p, n) in cases {
            let v = if name == "imm" { 0x5a } else { 0xc3 };
            let case = format!("{name}: p={p} n={n}");
            check_loop_against_model(
                &mut store,
                &inst,
                name,
                &[p, n, v as u32],
                &fresh,
                |mem| model(mem, p, n, v),
                &case,
            );
        }
    }
}

/// An add whose operand was just loaded from a slot address (`sum += a[i]`)
/// is one handler for `i32.load`/`load8_u`/`load16_u` + `i32.add`,
/// `i64.load`/`load8_u`/`load32_u` + `i64.add` and `f64.load` + `f64.add`,
/// with the loaded value on either side; it must match the unfused form
/// (the load kept in a local), trap out of bounds, and `*p = *p + b` must
/// still be one read-modify-write.
#[test]
fn add_of_a_just_loaded_value_matches_the_unfused_add() {
    let forms = [
        ("i32", "i32.load", "i32.add"),
        ("i32", "i32.load8_u", "i32.add"),
        ("i32", "i32.load16_u", "i32.add"),
        ("i64", "i64.load", "i64.add"),
        ("i64", "i64.load8_u", "i64.add"),
        ("i64", "i64.load32_u", "i64.add"),
        ("f64", "f64.load", "f64.add"),
    ];
    let mut funcs = String::new();
    for (k, (ty, load, add)) in forms.iter().enumerate() {
        funcs += &format!(
            r#"(func (export "left{k}") (param $p i32) (param $b {ty}) (result {ty})
                 ({add} ({load} offset=3 (local.get $p)) (local.get $b)))
               (func (export "right{k}") (param $p i32) (param $b {ty}) (result {ty})
                 ({add} (local.get $b) ({load} offset=3 (local.get $p))))
               (func (export "plain{k}") (param $p i32) (param $b {ty}) (result {ty}) (local $t {ty})
                 (local.set $t ({load} offset=3 (local.get $p)))
                 ({add} (local.get $t) (local.get $b)))
               (func (export "rmw{k}") (param $p i32) (param $b {ty})
                 ({ty}.store offset=8 (local.get $p) ({add} ({ty}.load offset=8 (local.get $p)) (local.get $b))))"#
        );
    }
    let wat = format!(
        r#"(module (memory (export "m") 1)
             (data (i32.const 0) "\01\02\03\04\05\06\07\08\f9\fa\fb\fc\fd\fe\ff\80\7f\00\00\00\00\00\f0\7f")
             (data (i32.const 65520) "\11\22\33\44\55\66\77\88\99\aa\bb\cc\dd\ee\ff\01")
             {funcs})"#
    );
    let (mut store, inst) = instantiate(&wat);
    let call = |store: &mut Store<()>, name: &str, args: &[Val], ty: &str| -> Option<u64> {
        let f = inst.get_func(&*store, name).unwrap();
        let mut out = [match ty {
            "i32" => Val::I32(0),
            "i64" => Val::I64(0),
            _ => Val::F64(0),
        }];
        f.call(&mut *store, args, &mut out).ok()?;
        Some(match out[0] {
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F64(v) => v,
            _ => unreachable!(),
        })
    };
    for (k, (ty, _, _)) in forms.iter().enumerate() {
        let bs: [u64; 4] = match *ty {
            "f64" => [0, 1.5f64.to_bits(), f64::NAN.to_bits(), (-2.25f64).to_bits()],
            _ => [0, 1, u64::MAX, 0x8000_0000_7fff_ffff],
        };
        for p in [0u32, 1, 5, 13, 65_512, 65_517, 65_525, 65_533, u32::MAX - 2] {
            for b in bs {
                let arg = match *ty {
                    "i32" => Val::I32(b as i32),
                    "i64" => Val::I64(b as i64),
                    _ => Val::F64(b),
                };
                let args = [Val::I32(p as i32), arg];
                let want = call(&mut store, &format!("plain{k}"), &args, ty);
                for side in ["left", "right"] {
                    let got = call(&mut store, &format!("{side}{k}"), &args, ty);
                    let same = match (*ty, got, want) {
                        ("f64", Some(g), Some(w)) => {
                            g == w || (f64::from_bits(g).is_nan() && f64::from_bits(w).is_nan())
                        }
                        _ => got == want,
                    };
                    assert!(same, "{side}{k} ({ty}) p={p} b={b:#x}: {got:?} != {want:?}");
                }
            }
        }
    }
    // `*p = *p + b` stays a read-modify-write (and computes the sum).
    let (mut store, inst) = instantiate(&wat);
    let memory = inst.get_memory(&store, "m").unwrap();
    let f = inst.get_func(&store, "rmw3").unwrap();
    f.call(&mut store, &[Val::I32(100), Val::I64(5)], &mut []).unwrap();
    f.call(&mut store, &[Val::I32(100), Val::I64(-7i64)], &mut []).unwrap();
    let mut word = [0u8; 8];
    memory.read(&store, 108, &mut word).unwrap();
    assert_eq!(i64::from_le_bytes(word), -2);
}

/// A byte-store loop (`mem[q + i] = v; i += inc; while i != bound`, a memset
/// written as a loop) runs as one fill when it can; forwards, backwards, at
/// the memory's end, with wrap-around and other steps it must leave memory
/// and the counter as the byte loop does.
#[test]
fn byte_store_loops_match_the_byte_by_byte_loop() {
    // (export name, value expression, step expression, bound expression)
    let shapes = [
        ("slot_ss", "(local.get $v)", "(local.get $inc)", "(local.get $bound)"),
        ("slot_si", "(local.get $v)", "(local.get $inc)", "(i32.const 300)"),
        ("slot_is", "(local.get $v)", "(i32.const 1)", "(local.get $bound)"),
        ("slot_is_down", "(local.get $v)", "(i32.const -1)", "(local.get $bound)"),
        ("imm_ii", "(i32.const 0x5a)", "(i32.const 1)", "(i32.const 300)"),
        ("imm_ss", "(i32.const 0x5a)", "(local.get $inc)", "(local.get $bound)"),
    ];
    let mut funcs = String::new();
    for (name, value, step, bound) in shapes {
        funcs += &format!(
            r#"(func (export "{name}") (param $q i32) (param $v i32) (param $i i32) (param $bound i32) (param $inc i32) (result i32)
                 (loop $l
                   (i32.store8 offset=5 (i32.add (local.get $i) (local.get $q)) {value})
                   (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) {step})) {bound})))
                 (local.get $i))"#
        );
    }
    let (mut store, inst) = instantiate(&format!(r#"(module (memory (export "m") 1) {funcs})"#));
    let fresh = patterned_memory();
    let model = |mem: &mut [u8], q: u32, v: u8, mut i: u32, bound: u32, inc: u32| -> Option<u32> {
        loop {
            let at = q.wrapping_add(i) as usize + 5;
            if at >= LEN {
                return None;
            }
            mem[at] = v;
            i = i.wrapping_add(inc);
            if i == bound {
                return Some(i);
            }
        }
    };
    let cases: Vec<(u32, (u32, u32, u32))> = vec![
        (100, (0, 300, 1)),
        (100, (299, u32::MAX, u32::MAX)),
        (65_300, (0, 300, 1)),           // runs off the end
        (65_200, (0, 300, 1)),           // ends exactly... one past: 65_200 + 299 + 5 < 65_536
        (0, (65_530, 65_529, u32::MAX)), // backwards from one past the end: traps at once
        (u32::MAX - 10, (0, 300, 1)),    // wraps around 2^32
        (100, (0, 300, 2)),              // step 2: byte by byte
        (100, (7, 7, 1)),                // 2^32 steps: traps at the memory's end
    ];
    for (name, _, _, _) in shapes {
        for &(q, (i0, bound, inc)) in &cases {
            let (i0, bound, inc) = match name {
                "slot_si" | "imm_ii" if bound != 300 => continue,
                "slot_is" | "imm_ii" if inc != 1 => continue,
                "slot_is_down" if inc != u32::MAX => continue,
                _ => (i0, bound, inc),
            };
            let v: u8 = if name.starts_with("imm") { 0x5a } else { 0xc3 };
            let case = format!("{name}: q={q} i={i0} bound={bound} inc={inc}");
            let model = |mem: &mut [u8]| model(mem, q, v, i0, bound, inc);
            check_loop_against_model(&mut store, &inst, name, &[q, v as u32, i0, bound, inc], &fresh, model, &case);
        }
    }
}

/// `(a + b) + c` and `(a - b) + c` on `f64` run as one handler that rounds
/// twice, exactly as the two instructions do (not as one wider sum); the sum
/// may be either operand of the second add.
#[test]
fn two_float_adds_round_like_two_instructions() {
    let wat = r#"(module
      (func (export "add_add") (param $a f64) (param $b f64) (param $c f64) (result f64)
        (f64.add (f64.add (local.get $a) (local.get $b)) (local.get $c)))
      (func (export "add_add_r") (param $a f64) (param $b f64) (param $c f64) (result f64)
        (f64.add (local.get $c) (f64.add (local.get $a) (local.get $b))))
      (func (export "sub_add") (param $a f64) (param $b f64) (param $c f64) (result f64)
        (f64.add (f64.sub (local.get $a) (local.get $b)) (local.get $c)))
      (func (export "sub_add_r") (param $a f64) (param $b f64) (param $c f64) (result f64)
        (f64.add (local.get $c) (f64.sub (local.get $a) (local.get $b))))
      ;; then a multiply of the result: its accumulator form
      (func (export "sub_add_sq") (param $a f64) (param $b f64) (param $c f64) (result f64) (local $t f64)
        (local.tee $t (f64.add (f64.sub (local.get $a) (local.get $b)) (local.get $c)))
        (f64.mul (local.get $t)))
      (func (export "ref") (param $a f64) (param $b f64) (param $c f64) (param $sub i32) (result f64) (local $s f64)
        (local.set $s (if (result f64) (local.get $sub)
          (then (f64.sub (local.get $a) (local.get $b))) (else (f64.add (local.get $a) (local.get $b)))))
        (f64.add (local.get $s) (local.get $c))))"#;
    let (mut store, inst) = instantiate(wat);
    let f64_of = |store: &mut Store<()>, name: &str, args: &[Val]| -> f64 {
        let f = inst.get_func(&*store, name).unwrap();
        let mut out = [Val::F64(0)];
        f.call(&mut *store, args, &mut out).unwrap();
        out[0].f64().unwrap()
    };
    let values = [0.0, -0.0, 1.0, 1e16, -1e16, 0.1, 3.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MIN_POSITIVE];
    for a in values {
        for b in values {
            for c in values {
                let args = [Val::F64(a.to_bits()), Val::F64(b.to_bits()), Val::F64(c.to_bits())];
                for (name, sub) in [("add_add", 0), ("add_add_r", 0), ("sub_add", 1), ("sub_add_r", 1)] {
                    let got = f64_of(&mut store, name, &args);
                    let mut ref_args = args.to_vec();
                    ref_args.push(Val::I32(sub));
                    let want = f64_of(&mut store, "ref", &ref_args);
                    assert!(
                        got.to_bits() == want.to_bits() || got.is_nan() && want.is_nan(),
                        "{name}({a}, {b}, {c}) = {got}, want {want}"
                    );
                }
                let t = (a - b) + c;
                let got = f64_of(&mut store, "sub_add_sq", &args);
                assert!(got.to_bits() == (t * t).to_bits() || got.is_nan() && t.is_nan(), "sub_add_sq({a}, {b}, {c})");
            }
        }
    }
    // 1e16 + 1 rounds back to 1e16 before the second add.
    let args = [Val::F64(1e16f64.to_bits()), Val::F64(1f64.to_bits()), Val::F64((-1e16f64).to_bits())];
    assert_eq!(f64_of(&mut store, "add_add", &args), 0.0);
}

/// A branch on a value just loaded (`while ((p = p->next))`, `if (*p)`) is one
/// `load_br` handler that still writes the loaded value (to a temporary or to
/// the local it was set to) and traps out of bounds before branching.
#[test]
fn branch_on_a_just_loaded_value() {
    let wat = r#"(module (memory (export "m") 1)
      ;; nodes at 16 * k: [value, next]; the list 16 -> 48 -> 32 -> 0
      (data (i32.const 16) "\05\00\00\00\30\00\00\00")
      (data (i32.const 32) "\07\00\00\00\00\00\00\00")
      (data (i32.const 48) "\06\00\00\00\20\00\00\00")
      (data (i32.const 64) "abc\00")
      (func (export "list_sum") (param $p i32) (result i32) (local $s i32)
        (block $done
          (br_if $done (i32.eqz (local.get $p)))
          (loop $l
            (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
            (br_if $l (local.tee $p (i32.load offset=4 (local.get $p))))))
        (i32.add (i32.mul (local.get $s) (i32.const 1000)) (local.get $p)))
      (func (export "if_load") (param $p i32) (result i32)
        (if (result i32) (i32.load (local.get $p)) (then (i32.const 1)) (else (i32.const 2))))
      (func (export "if_byte") (param $p i32) (result i32)
        (if (result i32) (i32.load8_u offset=1 (local.get $p)) (then (i32.const 1)) (else (i32.const 2))))
      (func (export "br_if_set") (param $p i32) (result i32) (local $v i32)
        (block $nz
          (local.set $v (i32.load8_u (local.get $p)))
          (br_if $nz (local.get $v))
          (return (i32.const -1)))
        (local.get $v)))"#;
    let (mut store, inst) = instantiate(wat);
    let mut run = |name: &str, p: i32| -> Option<i32> {
        let f = inst.get_func(&store, name).unwrap();
        let mut out = [Val::I32(0)];
        f.call(&mut store, &[Val::I32(p)], &mut out).ok().map(|_| out[0].i32().unwrap())
    };
    assert_eq!(run("list_sum", 16), Some(18_000));
    assert_eq!(run("list_sum", 48), Some(13_000));
    assert_eq!(run("list_sum", 0), Some(0));
    assert_eq!(run("list_sum", 65_532), None, "the next pointer's load traps");
    assert_eq!(run("if_load", 16), Some(1));
    assert_eq!(run("if_load", 0), Some(2));
    assert_eq!(run("if_load", 65_533), None);
    assert_eq!(run("if_byte", 64), Some(1));
    assert_eq!(run("if_byte", 66), Some(2));
    assert_eq!(run("if_byte", 65_535), None);
    assert_eq!(run("br_if_set", 64), Some(97));
    assert_eq!(run("br_if_set", 67), Some(-1));
    assert_eq!(run("br_if_set", 65_536), None);
}

/// `x ^ (y >> k)` (`i32_xor_shr_u_s`/`_a`): the shift on either side of the
/// `xor`, its operand in a slot or the accumulator, shift counts taken mod 32;
/// `unfused` keeps the shift apart (its result goes through a local).
#[test]
fn xor_of_a_shift_matches_the_unfused_xor() {
    for k in [0u32, 1, 7, 31, 32, 33, -1i32 as u32] {
        let k = k as i32;
        let wat = format!(
            r#"(module
  (func (export "right") (param $x i32) (param $y i32) (result i32)
    (i32.xor (local.get $x) (i32.shr_u (local.get $y) (i32.const {k}))))
  (func (export "left") (param $x i32) (param $y i32) (result i32)
    (i32.xor (i32.shr_u (local.get $y) (i32.const {k})) (local.get $x)))
  (func (export "acc") (param $x i32) (param $y i32) (result i32)
    (i32.xor (i32.shr_u (i32.add (local.get $y) (i32.const 1)) (i32.const {k})) (local.get $x)))
  (func (export "temps") (param $x i32) (param $y i32) (result i32)
    (i32.xor (i32.mul (local.get $x) (i32.const 3)) (i32.shr_u (local.get $y) (i32.const {k}))))
  (func (export "tee") (param $x i32) (param $y i32) (result i32) (local $t i32)
    (i32.add
      (i32.xor (local.tee $t (i32.shr_u (local.get $y) (i32.const {k}))) (local.get $x))
      (i32.mul (local.get $t) (i32.const 1000))))
  (func (export "unfused") (param $x i32) (param $y i32) (result i32) (local $t i32)
    (local.set $t (i32.shr_u (local.get $y) (i32.const {k})))
    (i32.xor (local.get $x) (local.get $t))))"#
        );
        let (mut store, inst) = instantiate(&wat);
        for x in [0, 1, -1, 1000, i32::MAX, i32::MIN] {
            for y in [0, 1, -1, 7, 0x1234_5678, i32::MIN] {
                let args = [Val::I32(x), Val::I32(y)];
                let (xu, yu, s) = (x as u32, y as u32, k as u32 & 31);
                let want = (xu ^ (yu >> s)) as i32;
                assert_eq!(call(&mut store, &inst, "unfused", &args), want, "{k} unfused {x} {y}");
                assert_eq!(call(&mut store, &inst, "right", &args), want, "{k} right {x} {y}");
                assert_eq!(call(&mut store, &inst, "left", &args), want, "{k} left {x} {y}");
                let want = (xu ^ (yu.wrapping_add(1) >> s)) as i32;
                assert_eq!(call(&mut store, &inst, "acc", &args), want, "{k} acc {x} {y}");
                let want = (xu.wrapping_mul(3) ^ (yu >> s)) as i32;
                assert_eq!(call(&mut store, &inst, "temps", &args), want, "{k} temps {x} {y}");
                let t = yu >> s;
                let want = (t ^ xu).wrapping_add(t.wrapping_mul(1000)) as i32;
                assert_eq!(call(&mut store, &inst, "tee", &args), want, "{k} tee {x} {y}");
            }
        }
    }
}

/// A CRC-16 bit loop written the way LLVM unrolls CoreMark's `crcu8`
/// (`x ^ (y >> k)` feeding a `select` on its low bit) against the same CRC
/// computed in Rust.
#[test]
fn crc_bit_steps_match_a_reference_crc() {
    let mut body = String::new();
    for k in 0..8 {
        body += &format!(
            r#"
      (local.set $crc (select
        (i32.xor (i32.and (i32.shr_u (local.get $crc) (i32.const 1)) (i32.const 32767)) (i32.const -24575))
        (i32.and (i32.shr_u (local.get $crc) (i32.const 1)) (i32.const 32767))
        (i32.and (i32.xor (i32.shr_u (local.get $data) (i32.const {k})) (local.get $crc)) (i32.const 1))))"#
        );
    }
    let wat = format!(
        r#"(module
  (func (export "crcu8") (param $data i32) (param $crc i32) (result i32){body}
    (local.get $crc)))"#
    );
    let (mut store, inst) = instantiate(&wat);
    let crcu8 = |data: u8, mut crc: u16| -> u16 {
        let mut data = data;
        for _ in 0..8 {
            let x16 = (data & 1) ^ (crc as u8 & 1);
            data >>= 1;
            crc = if x16 == 1 { ((crc ^ 0x4002) >> 1) | 0x8000 } else { (crc >> 1) & 0x7fff };
        }
        crc
    };
    let mut crc = 0u16;
    for data in (0..=255u8).chain([0x5a, 0xa5, 0xff, 0x00]) {
        let got = call(&mut store, &inst, "crcu8", &[Val::I32(data as i32), Val::I32(crc as i32)]);
        crc = crcu8(data, crc);
        assert_eq!(got as u32 & 0xffff, crc as u32, "data {data:#x}");
    }
}

/// `p->q->x` with a narrow second load (`i32_load_load8_u`, ...): the first
/// value still lands where the program put it (a temporary, a local by
/// `local.tee`/`local.set`), each load traps on its own bounds, and the
/// result matches the loads done apart (`unfused`: a call in between).
#[test]
fn load_of_a_just_loaded_address_matches_two_loads() {
    for (load, width, signed) in
        [("i32.load8_u", 1u32, false), ("i32.load8_s", 1, true), ("i32.load16_u", 2, false), ("i32.load16_s", 2, true)]
    {
        let wat = format!(
            r#"(module (memory (export "m") 1)
  ;; a pointer at 16 to 64, at 20 to 65533 (its 16-bit value is cut off by
  ;; the end of memory at offset 2), at 24 to 70000 (out of bounds)
  (data (i32.const 16) "\40\00\00\00\fd\ff\00\00\70\11\01\00")
  (data (i32.const 64) "\81\92\a3\b4\c5\d6\e7\f8")
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "temp") (param $p i32) (result i32)
    ({load} offset=1 (i32.load offset=4 (local.get $p))))
  (func (export "tee") (param $p i32) (result i32) (local $q i32)
    (i32.add
      (i32.mul ({load} offset=2 (local.tee $q (i32.load offset=4 (local.get $p)))) (i32.const 1000))
      (local.get $q)))
  (func (export "set") (param $p i32) (result i32) (local $q i32)
    (local.set $q (i32.load offset=4 (local.get $p)))
    (i32.add (i32.mul ({load} (local.get $q)) (i32.const 1000)) (local.get $q)))
  (func (export "self") (param $p i32) (result i32)
    (local.set $p (i32.load offset=4 (local.get $p)))
    (local.set $p ({load} offset=1 (local.get $p)))
    (local.get $p))
  (func (export "unfused") (param $p i32) (param $off i32) (result i32)
    ({load} (i32.add (call $id (i32.load offset=4 (local.get $p))) (local.get $off)))))"#
        );
        let (mut store, inst) = instantiate(&wat);
        let mem = |a: u32| -> Option<u32> {
            let bytes = [0x81u8, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8];
            if a + width > 65536 {
                return None;
            }
            let v = (0..width).fold(0u32, |v, i| {
                v | (bytes.get((a + i).wrapping_sub(64) as usize).copied().unwrap_or(0) as u32) << (8 * i)
            });
            Some(match (width, signed) {
                (1, true) => v as u8 as i8 as i32 as u32,
                (2, true) => v as u16 as i16 as i32 as u32,
                _ => v,
            })
        };
        let mut run = |name: &str, args: &[Val]| -> Option<i32> {
            let f = inst.get_func(&store, name).unwrap();
            let mut out = [Val::I32(0)];
            f.call(&mut store, args, &mut out).ok().map(|_| out[0].i32().unwrap())
        };
        for (p, q) in [(12u32, Some(64u32)), (16, Some(65533)), (20, Some(70000)), (65533, None)] {
            let unfused = |off: u32| q.and_then(|q| mem(q + off));
            for off in [0u32, 1, 2] {
                let want = unfused(off).map(|v| v as i32);
                assert_eq!(
                    run("unfused", &[Val::I32(p as i32), Val::I32(off as i32)]),
                    want,
                    "{load} unfused {p} {off}"
                );
            }
            let args = [Val::I32(p as i32)];
            assert_eq!(run("temp", &args), unfused(1).map(|v| v as i32), "{load} temp {p}");
            assert_eq!(run("self", &args), unfused(1).map(|v| v as i32), "{load} self {p}");
            let with_q = |off: u32| unfused(off).map(|v| v.wrapping_mul(1000).wrapping_add(q.unwrap()) as i32);
            assert_eq!(run("tee", &args), with_q(2), "{load} tee {p}");
            assert_eq!(run("set", &args), with_q(0), "{load} set {p}");
        }
    }
}

/// `(x + k) & m` (`i32_add_and`; also from `x - k`), as a value, under a
/// compare-and-branch (a character range check) and as a `select` condition,
/// against the add kept apart (`unfused`: its result goes through a local).
#[test]
fn add_then_mask_matches_the_unfused_and() {
    for (op, k, m) in [
        ("add", -48i32, 255i32),
        ("sub", 48, 255),
        ("add", 1, -1),
        ("add", i32::MAX, 0x8000_0001u32 as i32),
        ("sub", -7, 0),
    ] {
        let wat = format!(
            r#"(module
  (func (export "value") (param $x i32) (result i32)
    (i32.and (i32.{op} (local.get $x) (i32.const {k})) (i32.const {m})))
  (func (export "digit") (param $x i32) (result i32)
    (block $yes
      (br_if $yes (i32.le_u (i32.and (i32.{op} (local.get $x) (i32.const {k})) (i32.const {m})) (i32.const 9)))
      (return (i32.const 0)))
    (i32.const 1))
  (func (export "sel") (param $x i32) (result i32)
    (select (i32.const 10) (i32.const 20) (i32.and (i32.{op} (local.get $x) (i32.const {k})) (i32.const {m}))))
  (func (export "unfused") (param $x i32) (result i32) (local $t i32)
    (local.set $t (i32.{op} (local.get $x) (i32.const {k})))
    (i32.and (local.get $t) (i32.const {m}))))"#
        );
        let (mut store, inst) = instantiate(&wat);
        for x in [0, 1, -1, 47, 48, 57, 58, 0x130, i32::MAX, i32::MIN] {
            let args = [Val::I32(x)];
            let t = if op == "add" { (x as u32).wrapping_add(k as u32) } else { (x as u32).wrapping_sub(k as u32) };
            let want = (t & m as u32) as i32;
            assert_eq!(call(&mut store, &inst, "unfused", &args), want, "{op} {k} {m} unfused {x}");
            assert_eq!(call(&mut store, &inst, "value", &args), want, "{op} {k} {m} value {x}");
            assert_eq!(
                call(&mut store, &inst, "digit", &args),
                i32::from((want as u32) <= 9),
                "{op} {k} {m} digit {x}"
            );
            assert_eq!(call(&mut store, &inst, "sel", &args), if want != 0 { 10 } else { 20 }, "{op} {k} {m} sel {x}");
        }
    }
}

#[test]
fn dot_product_step_of_two_loads_matches_the_separate_instructions() {
    // `c + load(a + k) * load(b)` (and the product first, f32 and f64) runs as
    // one handler: the address adds wrap in 32 bits before the static offset,
    // each load traps in order, and a block parameter between the loads
    // keeps them apart (the first load runs once, before the block).
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "dot32") (param $a i32) (param $b i32) (param $c f32) (result f32)
        (f32.add (local.get $c)
          (f32.mul (f32.load offset=4 (i32.add (local.get $a) (i32.const 8))) (f32.load (local.get $b)))))
      (func (export "dot32r") (param $a i32) (param $b i32) (param $c f32) (result f32)
        (f32.add
          (f32.mul (f32.load (local.get $a)) (f32.load offset=8 (i32.add (local.get $b) (i32.const -4))))
          (local.get $c)))
      (func (export "dot64") (param $a i32) (param $b i32) (param $c f64) (result f64)
        (f64.add (local.get $c)
          (f64.mul (f64.load (i32.add (local.get $a) (i32.const 16))) (f64.load offset=8 (local.get $b)))))
      (func (export "param") (param $a i32) (param $b i32) (param $c f32) (result f32)
        (f32.add (local.get $c)
          (f32.load (local.get $a))
          (block (param f32) (result f32)
            (f32.store (local.get $a) (f32.const 100))
            (f32.mul (f32.load (local.get $b))))))
      (func (export "sq") (param $a i32) (param $c f64) (result f64)
        (f64.add (local.get $c) (f64.mul (f64.load (local.get $a)) (f64.load (local.get $a))))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let f32s = [1.5f32, 2.0, -3.25, 0.1, f32::MAX, 7.0, f32::NAN, -0.0];
    let f64s = [1.25f64, -4.5, 0.3, 1e300, 2.0, f64::INFINITY, 9.0, -0.0];
    for (i, v) in f32s.iter().enumerate() {
        mem.data_mut(&mut store)[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    for (i, v) in f64s.iter().enumerate() {
        mem.data_mut(&mut store)[64 + i * 8..72 + i * 8].copy_from_slice(&v.to_le_bytes());
    }
    let call_f = |store: &mut Store<()>, name: &str, args: &[Val], ty: Val| {
        let f = inst.get_func(&*store, name).expect(name);
        let mut out = [ty];
        f.call(&mut *store, args, &mut out).map(|()| out[0])
    };
    let rd32 = |store: &Store<()>, at: u32| f32::from_le_bytes(mem.data(store)[at as usize..][..4].try_into().unwrap());
    let rd64 = |store: &Store<()>, at: u32| f64::from_le_bytes(mem.data(store)[at as usize..][..8].try_into().unwrap());
    let same32 = |x: f32, y: f32| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
    let same64 = |x: f64, y: f64| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan());
    for a in [0u32, 4, 8, 12, 16] {
        for b in [4u32, 8, 16, 24] {
            for c in [0.5f32, -0.0, f32::INFINITY] {
                let args = [Val::I32(a as i32), Val::I32(b as i32), Val::from(c)];
                let got = call_f(&mut store, "dot32", &args, Val::F32(0)).expect("dot32").f32().unwrap();
                let want = c + rd32(&store, a + 12) * rd32(&store, b);
                assert!(same32(got, want), "dot32 {a} {b} {c}: {got} {want}");
                let got = call_f(&mut store, "dot32r", &args, Val::F32(0)).expect("dot32r").f32().unwrap();
                let want = rd32(&store, a) * rd32(&store, b + 4) + c;
                assert!(same32(got, want), "dot32r {a} {b} {c}: {got} {want}");
                let args = [Val::I32(64 + a as i32), Val::I32(64 + b as i32), Val::from(c as f64)];
                let got = call_f(&mut store, "dot64", &args, Val::F64(0)).expect("dot64").f64().unwrap();
                let want = c as f64 + rd64(&store, 64 + a + 16) * rd64(&store, 64 + b + 8);
                assert!(same64(got, want), "dot64 {a} {b} {c}: {got} {want}");
                let args = [Val::I32(64 + a as i32), Val::from(c as f64)];
                let got = call_f(&mut store, "sq", &args, Val::F64(0)).expect("sq").f64().unwrap();
                let x = rd64(&store, 64 + a);
                assert!(same64(got, c as f64 + x * x), "sq {a} {c}");
            }
        }
    }
    // `a + 8` wraps to 4: the offset 4 then reads at 8.
    let args = [Val::I32(-4), Val::I32(0), Val::from(1.0f32)];
    let got = call_f(&mut store, "dot32", &args, Val::F32(0)).expect("wrap").f32().unwrap();
    assert_eq!(got, 1.0 + rd32(&store, 8) * rd32(&store, 0));
    // Out of bounds: the first load, the second, and the wrapped second
    // (`0 + -4` is 0xffff_fffc).
    for (name, a, b) in [
        ("dot32", 65536 - 15, 0),
        ("dot32", 0, 65536 - 3),
        ("dot32r", 0, 65536 - 7),
        ("dot32r", -1, 4),
        ("dot32r", 0, 0),
    ] {
        let args = [Val::I32(a), Val::I32(b), Val::from(0.0f32)];
        let err = call_f(&mut store, name, &args, Val::F32(0)).unwrap_err();
        assert_eq!(err.trap_code(), Some(baton::TrapCode::MemoryOutOfBounds), "{name} {a} {b}");
    }
    for (a, b) in [(65536 - 23, 0), (0, 65536 - 15)] {
        let args = [Val::I32(a), Val::I32(b), Val::from(0.0f64)];
        let err = call_f(&mut store, "dot64", &args, Val::F64(0)).unwrap_err();
        assert_eq!(err.trap_code(), Some(baton::TrapCode::MemoryOutOfBounds), "dot64 {a} {b}");
    }
    // The first load reads 1.5 before the block overwrites it with 100.
    let args = [Val::I32(0), Val::I32(4), Val::from(0.5f32)];
    let got = call_f(&mut store, "param", &args, Val::F32(0)).expect("param").f32().unwrap();
    assert_eq!(got, 0.5 + 1.5 * 2.0);
    assert_eq!(rd32(&store, 0), 100.0);
}

#[test]
fn return_of_a_binop_just_computed_matches_ret_slot() {
    // `return a op b` runs the op and the return in one handler. Callers see
    // the same values (wrapping, i32 results as i32), an add paired with the
    // add before it keeps its own return, and a block end between the op
    // and the return keeps them apart.
    let wat = r#"(module
      (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func $sub64 (param i64) (result i64) (return (i64.sub (local.get 0) (i64.const 5))))
      (func $fib (export "fib") (param $n i64) (result i64)
        (if (i64.le_s (local.get $n) (i64.const 1)) (then (return (local.get $n))))
        (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1))) (call $fib (i64.sub (local.get $n) (i64.const 2)))))
      (func (export "add") (param i32 i32) (result i32) (i32.mul (call $add (local.get 0) (local.get 1)) (i32.const 3)))
      (func (export "sub64") (param i64) (result i64) (call $sub64 (local.get 0)))
      (func (export "xor") (param i32 i32) (result i32) (i32.xor (local.get 0) (local.get 1)))
      (func (export "paired") (param i32 i32) (result i32)
        (local.set 1 (i32.add (local.get 1) (i32.const 5)))
        (i32.add (i32.add (local.get 0) (i32.const 7)) (local.get 1)))
      (func (export "pair_last") (param i32 i32) (result i32)
        (local.set 1 (i32.add (local.get 1) (i32.const 5)))
        (i32.add (local.get 0) (i32.const 7)))
      (func (export "block") (param i32 i32) (result i32)
        (block $b (result i32)
          (drop (br_if $b (i32.const 99) (local.get 1)))
          (i32.and (local.get 0) (i32.const 12)))))"#;
    let (mut store, inst) = instantiate(wat);
    let fib = inst.get_func(&store, "fib").expect("fib");
    let mut out = [Val::I64(0)];
    fib.call(&mut store, &[Val::I64(20)], &mut out).expect("fib");
    assert_eq!(out[0].i64(), Some(6765));
    let sub = inst.get_func(&store, "sub64").expect("sub64");
    sub.call(&mut store, &[Val::I64(i64::MIN + 2)], &mut out).expect("sub64");
    assert_eq!(out[0].i64(), Some((i64::MIN + 2).wrapping_sub(5)));
    for (a, b) in [(1i32, 2i32), (i32::MAX, 1), (-1, -1), (0x1234_5678, -0x7654_3210)] {
        let args = [Val::I32(a), Val::I32(b)];
        assert_eq!(call(&mut store, &inst, "add", &args), a.wrapping_add(b).wrapping_mul(3));
        assert_eq!(call(&mut store, &inst, "xor", &args), a ^ b);
        assert_eq!(call(&mut store, &inst, "paired", &args), a.wrapping_add(7).wrapping_add(b.wrapping_add(5)));
        assert_eq!(call(&mut store, &inst, "pair_last", &args), a.wrapping_add(7));
        assert_eq!(call(&mut store, &inst, "block", &args), if b != 0 { 99 } else { a & 12 });
    }
}

#[test]
fn bit_of_a_shift_by_a_slot_matches_shift_and_mask() {
    // `(w >> y) & 1` as a value, through `br_if` and `if` (a bit test of `w`
    // then), with the word just loaded (in the accumulator) and counts above
    // 31 taken mod 32.
    let wat = r#"(module
      (memory 1)
      (func (export "value") (param $w i32) (param $y i32) (result i32)
        (i32.and (i32.shr_u (local.get $w) (local.get $y)) (i32.const 1)))
      (func (export "br_if") (param $w i32) (param $y i32) (result i32)
        (block $set
          (br_if $set (i32.and (i32.shr_u (local.get $w) (local.get $y)) (i32.const 1)))
          (return (i32.const 0)))
        (i32.const 1))
      (func (export "if_eqz") (param $w i32) (param $y i32) (result i32)
        (i32.store (i32.const 8) (local.get $w))
        (if (result i32) (i32.eqz (i32.and (i32.shr_u (i32.load (i32.const 8)) (local.get $y)) (i32.const 1)))
          (then (i32.const 0)) (else (i32.const 1))))
      (func (export "select") (param $w i32) (param $y i32) (result i32)
        (select (i32.const 7) (i32.const 9) (i32.and (i32.shr_u (local.get $w) (local.get $y)) (i32.const 1)))))"#;
    let (mut store, inst) = instantiate(wat);
    for w in [0i32, 1, -1, 0x5555_5555, i32::MIN, 0x0001_0000] {
        for y in [0i32, 1, 5, 16, 31, 32, 33, -1] {
            let bit = (w as u32 >> (y as u32 % 32)) & 1;
            let args = [Val::I32(w), Val::I32(y)];
            assert_eq!(call(&mut store, &inst, "value", &args), bit as i32, "value {w} {y}");
            assert_eq!(call(&mut store, &inst, "br_if", &args), bit as i32, "br_if {w} {y}");
            assert_eq!(call(&mut store, &inst, "if_eqz", &args), bit as i32, "if_eqz {w} {y}");
            assert_eq!(call(&mut store, &inst, "select", &args), if bit != 0 { 7 } else { 9 }, "select {w} {y}");
        }
    }
}

#[test]
fn store_to_a_scaled_address_of_locals_matches_the_separate_add() {
    // `p[i] = v` with the address `p + (i << k)` computed before the value:
    // the store takes the address (i32, i64 and f64, value from a slot or
    // just computed), wrapping in 32 bits; out of bounds traps, and a local
    // written between the address and the store keeps them apart.
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "i32") (param $p i32) (param $i i32) (param $v i32)
        (i32.store offset=4 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add (local.get $v) (i32.const 1))))
      (func (export "i64") (param $p i32) (param $i i32) (param $v i32)
        (i64.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
          (i64.extend_i32_s (local.get $v))))
      (func (export "f64") (param $p i32) (param $i i32) (param $v i32)
        (f64.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3)))
          (f64.add (f64.convert_i32_s (local.get $v)) (f64.const 0.5))))
      (func (export "i64_slot") (param $p i32) (param $i i32) (param $v i32) (local $x i64)
        (local.set $x (i64.extend_i32_u (local.get $v)))
        (i64.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 3))) (local.get $x)))
      (func (export "written") (param $p i32) (param $i i32) (param $v i32)
        (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))
          (local.tee $i (i32.add (local.get $v) (i32.const 0)))))
      (func (export "get") (param i32) (result i64) (i64.load (local.get 0))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let run = |store: &mut Store<()>, name: &str, p: i32, i: i32, v: i32| {
        let f = inst.get_func(&*store, name).expect(name);
        f.call(&mut *store, &[Val::I32(p), Val::I32(i), Val::I32(v)], &mut [])
    };
    let bytes = |store: &Store<()>, at: usize, n: usize| mem.data(store)[at..at + n].to_vec();
    run(&mut store, "i32", 16, 3, 41).expect("i32");
    assert_eq!(bytes(&store, 16 + 12 + 4, 4), 42i32.to_le_bytes());
    // 0x4000_0001 << 2 wraps to 4: the store goes to 100 + 4 + 4.
    run(&mut store, "i32", 100, 0x4000_0001, 6).expect("wrap");
    assert_eq!(bytes(&store, 108, 4), 7i32.to_le_bytes());
    run(&mut store, "i64", 200, 2, -5).expect("i64");
    assert_eq!(bytes(&store, 216, 8), (-5i64).to_le_bytes());
    run(&mut store, "f64", 300, 1, 3).expect("f64");
    assert_eq!(bytes(&store, 308, 8), 3.5f64.to_le_bytes());
    run(&mut store, "i64_slot", 400, 4, -1).expect("i64_slot");
    assert_eq!(bytes(&store, 432, 8), 0xffff_ffffu64.to_le_bytes());
    // The address uses the old `i` (5), not the value tee'd into it.
    run(&mut store, "written", 500, 5, 77).expect("written");
    assert_eq!(bytes(&store, 520, 4), 77i32.to_le_bytes());
    for name in ["i32", "i64", "f64", "i64_slot"] {
        let err = run(&mut store, name, 65536 - 8, 1, 0).unwrap_err();
        assert_eq!(err.trap_code(), Some(baton::TrapCode::MemoryOutOfBounds), "{name}");
    }
}

#[test]
fn increment_then_store_of_it_is_one_handler() {
    // `x += k; *p = x` (`self.pos += 1` with `pos` in a local and in memory):
    // the add and the store run as one handler, also when the address is
    // the incremented local's old value and in a loop; an out-of-bounds
    // store traps, as the store alone would.
    let wat = r#"(module
      (memory 1)
      (func (export "bump") (param $p i32) (param $x i32) (result i32)
        (i32.store offset=4 (local.get $p) (local.tee $x (i32.add (local.get $x) (i32.const 3))))
        (i32.add (i32.load offset=4 (local.get $p)) (i32.mul (local.get $x) (i32.const 1000))))
      (func (export "self") (param $x i32) (result i32)
        (i32.store (local.get $x) (local.tee $x (i32.add (local.get $x) (i32.const 8))))
        (i32.load (i32.sub (local.get $x) (i32.const 8))))
      (func (export "count") (param $p i32) (param $n i32) (result i32) (local $i i32)
        (loop $l
          (i32.store (local.get $p) (local.tee $i (i32.add (local.get $i) (i32.const 1))))
          (br_if $l (i32.ne (local.get $i) (local.get $n))))
        (i32.load (local.get $p)))
      (func (export "same") (param $x i32) (result i32)
        (i32.store (local.tee $x (i32.add (local.get $x) (i32.const 4))) (local.get $x))
        (i32.load (local.get $x))))"#;
    let (mut store, inst) = instantiate(wat);
    // Address and value both the new `x`: the address is read after the add.
    assert_eq!(call(&mut store, &inst, "same", &[Val::I32(300)]), 304, "same");
    for (p, x) in [(0i32, 0i32), (100, -3), (65528, 7), (4, i32::MAX)] {
        let v = x.wrapping_add(3);
        let want = v.wrapping_add(v.wrapping_mul(1000));
        assert_eq!(call(&mut store, &inst, "bump", &[Val::I32(p), Val::I32(x)]), want, "bump {p} {x}");
    }
    // The address is the old value of `x` (read before the tee writes it).
    assert_eq!(call(&mut store, &inst, "self", &[Val::I32(16)]), 24, "self 16");
    assert_eq!(call(&mut store, &inst, "self", &[Val::I32(0)]), 8, "self 0");
    assert_eq!(call(&mut store, &inst, "count", &[Val::I32(200), Val::I32(1000)]), 1000);
    // 65532 + 4 bytes is the last word in bounds; 65533 + 4 is past it.
    assert_eq!(call(&mut store, &inst, "bump", &[Val::I32(65528), Val::I32(1)]), 4 + 4000);
    assert_oob(&mut store, &inst, "bump", &[Val::I32(65529), Val::I32(1)]);
}

#[test]
fn pointer_bump_then_counter_back_edge_is_one_handler() {
    // `p += q` or `p += k` right before a counter's update and back edge:
    // the add's cell continues in the counter's handler. Also when the loop
    // starts at the counter (the bump then runs once, on entry), with an
    // `i64` counter, and when the bump is the counter's own bound.
    // `p += 4` before a counter of type `ty` counting up to `n`.
    let counted = |name: &str, ty: &str| {
        format!(
            r#"(func (export "{name}") (param $p i32) (param $n {ty}) (result i32) (local $i {ty}) (local $s i32)
        (loop $l
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $l ({ty}.ne (local.tee $i ({ty}.add (local.get $i) ({ty}.const 1))) (local.get $n))))
        (i32.add (local.get $s) (i32.mul (local.get $p) (i32.const 1000))))"#
        )
    };
    let (si, wide) = (counted("si", "i32"), counted("wide", "i64"));
    let wat = format!(
        r#"(module
      (memory 1)
      (func (export "ss") (param $p i32) (param $q i32) (param $n i32) (result i32) (local $s i32)
        (loop $l
          (local.set $s (i32.add (local.get $s) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (local.get $q)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (i32.add (local.get $s) (i32.mul (local.get $p) (i32.const 1000))))
      {si}
      (func (export "entry") (param $p i32) (param $n i32) (result i32) (local $i i32)
        (local.set $p (i32.add (local.get $p) (i32.const 7)))
        (loop $l
          (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
        (i32.add (local.get $p) (i32.mul (local.get $i) (i32.const 1000))))
      {wide}
      (func (export "bound") (param $n i32) (result i32) (local $i i32)
        (loop $l
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 3))) (local.get $n))))
        (i32.add (local.get $i) (i32.mul (local.get $n) (i32.const 1000))))
      (func (export "init") (param $n i32)
        (loop $l
          (i32.store (i32.shl (local.get $n) (i32.const 2)) (local.get $n))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))"#
    );
    let (mut store, inst) = instantiate(&wat);
    let init = inst.get_func(&store, "init").expect("init");
    init.call(&mut store, &[Val::I32(1000)], &mut []).expect("init");
    // Word k holds k (1..=1000); word 0 holds 0.
    let words = |from: i32, step: i32, n: i32| (0..n).map(|k| (from + k * step) / 4).sum::<i32>();
    for (p, q, n) in [(0i32, 4i32, 1i32), (4, 8, 10), (40, 4, 100)] {
        let want = words(p, q, n) + (p + q * n) * 1000;
        assert_eq!(call(&mut store, &inst, "ss", &[Val::I32(p), Val::I32(q), Val::I32(n)]), want, "ss {p} {q} {n}");
    }
    for (p, n) in [(0i32, 1i32), (8, 50), (400, 200)] {
        let want = words(p, 4, n) + (p + 4 * n) * 1000;
        assert_eq!(call(&mut store, &inst, "si", &[Val::I32(p), Val::I32(n)]), want, "si {p} {n}");
        assert_eq!(call(&mut store, &inst, "wide", &[Val::I32(p), Val::I64(n as i64)]), want, "wide {p} {n}");
        assert_eq!(call(&mut store, &inst, "entry", &[Val::I32(p), Val::I32(n)]), p + 7 + n * 1000, "entry {p} {n}");
    }
    // i += 3 against n += 1 (n read after the bump): they meet when 2 k = n0.
    for n0 in [2i32, 10, 40] {
        let k = n0 / 2;
        let want = 3 * k + (n0 + k) * 1000;
        assert_eq!(call(&mut store, &inst, "bound", &[Val::I32(n0)]), want, "bound {n0}");
    }
}

#[test]
fn character_class_check_and_its_branch_are_one_handler() {
    // `((c + k) & mask) <op> n` (unsigned) right before the branch on it:
    // `i32_add_and` (or `_a`, `c` just loaded) and the compare-branch run as
    // one handler. Checked against the compare as a value, through `br_if`
    // and `if` (the negated branch), with the masked value kept in a local
    // (the fused handler still writes it) and with wrapping adds.
    let module = |op: &str| {
        format!(
            r#"(module
      (memory 1)
      (func (export "value") (param $c i32) (result i32)
        (i32.{op} (i32.and (i32.add (local.get $c) (i32.const -97)) (i32.const 255)) (i32.const 25)))
      (func (export "br_if") (param $c i32) (result i32)
        (block $yes
          (br_if $yes (i32.{op} (i32.and (i32.add (local.get $c) (i32.const -97)) (i32.const 255)) (i32.const 25)))
          (return (i32.const 0)))
        (i32.const 1))
      (func (export "if") (param $c i32) (result i32)
        (if (result i32) (i32.{op} (i32.and (i32.add (local.get $c) (i32.const -97)) (i32.const 255)) (i32.const 25))
          (then (i32.const 1)) (else (i32.const 0))))
      (func (export "loaded") (param $c i32) (result i32)
        (i32.store8 (i32.const 7) (local.get $c))
        (block $yes
          (br_if $yes (i32.{op} (i32.and (i32.add (i32.load8_u (i32.const 7)) (i32.const -48)) (i32.const 255)) (i32.const 9)))
          (return (i32.const 0)))
        (i32.const 1))
      (func (export "loaded_value") (param $c i32) (result i32)
        (i32.{op} (i32.and (i32.add (i32.and (local.get $c) (i32.const 255)) (i32.const -48)) (i32.const 255)) (i32.const 9)))
      (func (export "kept") (param $c i32) (result i32) (local $x i32)
        (block $yes
          (br_if $yes (i32.{op} (local.tee $x (i32.and (i32.add (local.get $c) (i32.const 3)) (i32.const 65535))) (i32.const 1000)))
          (return (i32.sub (i32.const 0) (local.get $x))))
        (local.get $x)))"#
        )
    };
    for op in ["lt_u", "le_u", "gt_u", "ge_u"] {
        let (mut store, inst) = instantiate(&module(op));
        for c in [0i32, 47, 48, 57, 58, 96, 97, 121, 122, 123, 255, 256, 353, -1, i32::MIN, 65533, 997, 996] {
            let args = [Val::I32(c)];
            let want = call(&mut store, &inst, "value", &args);
            assert_eq!(call(&mut store, &inst, "br_if", &args), want, "{op} br_if {c}");
            assert_eq!(call(&mut store, &inst, "if", &args), want, "{op} if {c}");
            let want = call(&mut store, &inst, "loaded_value", &args);
            assert_eq!(call(&mut store, &inst, "loaded", &args), want, "{op} loaded {c}");
            let x = (c.wrapping_add(3) & 65535) as u32;
            let taken = match op {
                "lt_u" => x < 1000,
                "le_u" => x <= 1000,
                "gt_u" => x > 1000,
                _ => x >= 1000,
            };
            let kept = if taken { x as i32 } else { -(x as i32) };
            assert_eq!(call(&mut store, &inst, "kept", &args), kept, "{op} kept {c}");
        }
    }
}

#[test]
fn counter_compare_then_bit_test_is_one_handler() {
    // `x = c + k; x > n` (or `<=`) branching, then a branch on bit `x` of a
    // constant mask (set or clear): as `matches!(c, b' ' | b'\n' | ..)`
    // compiles. The compare's handler continues in the bit test; the local
    // keeps `x`, and a bit test of `x >= 32` takes the shift mod 32.
    let func = |name: &str, cmp: &str, test: &str| {
        let bit = "(i32.and (i32.shl (i32.const 1) (local.get $x)) (i32.const 8388627))";
        let cond = if test == "nbit" { format!("(i32.eqz {bit})") } else { bit.to_string() };
        format!(
            r#"(func (export "{name}") (param $c i32) (result i32) (local $x i32)
        (block $a
          (block $b
            (br_if $b (i32.{cmp} (local.tee $x (i32.add (local.get $c) (i32.const -9))) (i32.const 23)))
            (br_if $a {cond})
            (return (i32.add (i32.const 2000) (local.get $x))))
          (return (i32.add (i32.const 1000) (local.get $x))))
        (local.get $x))"#
        )
    };
    let mut funcs = String::new();
    for (cmp, test) in [("gt_u", "nbit"), ("gt_u", "bit"), ("le_u", "nbit"), ("le_u", "bit")] {
        funcs += &func(&format!("{cmp}_{test}"), cmp, test);
    }
    let (mut store, inst) = instantiate(&format!("(module {funcs})"));
    for (cmp, test) in [("gt_u", "nbit"), ("gt_u", "bit"), ("le_u", "nbit"), ("le_u", "bit")] {
        for c in (-3..300).chain([i32::MIN, i32::MAX, 41, 73]) {
            let x = c.wrapping_add(-9);
            let first = if cmp == "gt_u" { x as u32 > 23 } else { x as u32 <= 23 };
            let bit = (1u32 << (x as u32 & 31)) & 8388627 != 0;
            let second = if test == "nbit" { !bit } else { bit };
            let want = if first {
                x.wrapping_add(1000)
            } else if second {
                x
            } else {
                x.wrapping_add(2000)
            };
            let name = format!("{cmp}_{test}");
            assert_eq!(call(&mut store, &inst, &name, &[Val::I32(c)]), want, "{name} {c}");
        }
    }
}

#[test]
fn add_folded_into_a_return_does_not_pair_with_the_next_add() {
    // `return x + k` is one `i32_add_si_ret`; the add after it (at a label)
    // is not its successor, so the two must not become an `i32_add_si2`
    // pair (which ran both adds and returned the second sum).
    let wat = r#"(module
      (func (export "f") (param $c i32) (result i32)
        (block $b
          (br_if $b (local.get $c))
          (return (i32.add (local.get $c) (i32.const 2000))))
        (i32.add (local.get $c) (i32.const 1000))))"#;
    let (mut store, inst) = instantiate(wat);
    assert_eq!(call(&mut store, &inst, "f", &[Val::I32(0)]), 2000);
    assert_eq!(call(&mut store, &inst, "f", &[Val::I32(5)]), 1005);
}

#[test]
fn field_load_then_bounds_check_is_one_handler() {
    // `i <op> p->len` and `p->len <op> i` (unsigned) branching right after
    // the `i32.load`/`i64.load32_u` of the field: the load continues in the
    // branch. The loaded value stays in its local; a load out of bounds
    // traps before any branch.
    let func = |name: &str, op: &str, load: &str, swap: bool| {
        let field = format!("({load} offset=8 (local.get $p))");
        let field = if load == "i64.load32_u" { format!("(i32.wrap_i64 {field})") } else { field };
        let len = format!("(local.tee $n {field})");
        let (x, y) = if swap { (len, "(local.get $i)".to_string()) } else { ("(local.get $i)".to_string(), len) };
        format!(
            r#"(func (export "{name}") (param $p i32) (param $i i32) (result i32) (local $n i32)
        (block $out
          (br_if $out (i32.{op} {x} {y}))
          (return (i32.add (local.get $n) (i32.const 1000))))
        (local.get $n))"#
        )
    };
    let ops = ["ge_u", "gt_u", "lt_u", "le_u"];
    let mut funcs = String::new();
    for op in ops {
        for load in ["i32.load", "i64.load32_u"] {
            for swap in [false, true] {
                funcs += &func(&format!("{op}_{load}_{swap}"), op, load, swap);
            }
        }
    }
    let (mut store, inst) = instantiate(&format!(
        r#"(module (memory 1) (data (i32.const 24) "\05\00\00\00") (data (i32.const 40) "\ff\ff\ff\ff") {funcs})"#
    ));
    for op in ops {
        for load in ["i32.load", "i64.load32_u"] {
            for swap in [false, true] {
                let name = format!("{op}_{load}_{swap}");
                for (p, n) in [(16, 5u32), (32, u32::MAX)] {
                    for i in [0i32, 4, 5, 6, -1, -2] {
                        let (x, y) = if swap { (n, i as u32) } else { (i as u32, n) };
                        let taken = match op {
                            "ge_u" => x >= y,
                            "gt_u" => x > y,
                            "lt_u" => x < y,
                            _ => x <= y,
                        };
                        let want = if taken { n as i32 } else { (n as i32).wrapping_add(1000) };
                        assert_eq!(call(&mut store, &inst, &name, &[Val::I32(p), Val::I32(i)]), want, "{name} {p} {i}");
                    }
                }
                assert_oob(&mut store, &inst, &name, &[Val::I32(65529), Val::I32(0)]);
            }
        }
    }
}

#[test]
fn increment_store_and_loop_branch_are_one_handler() {
    // `x += 1; *p = x; while x <op> n` (`self.pos += 1` in a parser loop):
    // the `i32_add_si_then_store_v` pair continues in the branch too. The
    // loop runs from the add, the stored value is the last `x`, and a store
    // out of bounds traps before the branch.
    let func = |op: &str, exit: bool| {
        let (cond, body) = if exit {
            (format!("(br_if $out (i32.{op} (local.get $i) (local.get $n)))"), "(br $l)")
        } else {
            (format!("(br_if $l (i32.{op} (local.get $i) (local.get $n)))"), "")
        };
        format!(
            r#"(func (export "{op}") (param $p i32) (param $n i32) (result i32) (local $i i32)
        (block $out
          (loop $l
            (i32.store offset=4 (local.get $p) (local.tee $i (i32.add (local.get $i) (i32.const 1))))
            {cond}
            {body}))
        (i32.add (i32.load offset=4 (local.get $p)) (i32.mul (local.get $i) (i32.const 1000))))"#
        )
    };
    let wat = format!(
        "(module (memory 1) {} {} {} {})",
        func("ne", false),
        func("lt_u", false),
        func("eq", true),
        func("ge_u", true)
    );
    let (mut store, inst) = instantiate(&wat);
    for op in ["ne", "lt_u", "eq", "ge_u"] {
        for n in [1i32, 2, 7, 100] {
            let want = n.wrapping_add(n.wrapping_mul(1000));
            assert_eq!(call(&mut store, &inst, op, &[Val::I32(16), Val::I32(n)]), want, "{op} {n}");
        }
        assert_oob(&mut store, &inst, op, &[Val::I32(65529), Val::I32(5)]);
    }
    // `n = 0`: the unsigned compares stop after the first increment.
    for op in ["lt_u", "ge_u"] {
        assert_eq!(call(&mut store, &inst, op, &[Val::I32(16), Val::I32(0)]), 1001, "{op} 0");
    }
}

/// A loop that is nothing but its counter (`ctr_ne`/`ctr64_ne` branching
/// back to itself) carries the counter in the accumulator from round to
/// round: every form (increment and bound each a constant or a local), both
/// widths, with wrap-around, must end with the local where the plain loop
/// leaves it.
#[test]
fn counter_only_loops_end_where_the_plain_loop_does() {
    let wat = r#"(module
      (func (export "ii") (param $i i32) (result i32)
        (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const -3))) (i32.const 7))))
        (local.get $i))
      (func (export "is") (param $i i32) (param $n i32) (result i32)
        (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 0xc0000000))) (local.get $n))))
        (local.get $i))
      (func (export "si") (param $i i32) (param $k i32) (result i32)
        (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (local.get $k))) (i32.const 1))))
        (local.get $i))
      (func (export "ss") (param $i i32) (param $k i32) (param $n i32) (result i32)
        (loop $l (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (local.get $k))) (local.get $n))))
        (local.get $i))
      (func (export "count") (param $n i32) (result i32)
        (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $n))
      (func (export "ii64") (param $i i64) (result i64)
        (loop $l (br_if $l (i64.ne (local.tee $i (i64.add (local.get $i) (i64.const 5))) (i64.const 0))))
        (local.get $i))
      (func (export "ss64") (param $i i64) (param $k i64) (param $n i64) (result i64)
        (loop $l (br_if $l (i64.ne (local.tee $i (i64.add (local.get $i) (local.get $k))) (local.get $n))))
        (local.get $i))
      ;; The counter and something else: not a counter-only loop.
      (func (export "two") (param $n i32) (result i32) (local $s i32)
        (loop $l
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $s)))"#;
    let (mut store, inst) = instantiate(wat);
    let i32s = |v: &[i32]| v.iter().map(|&x| Val::I32(x)).collect::<Vec<_>>();
    assert_eq!(call(&mut store, &inst, "ii", &i32s(&[100])), 7);
    assert_eq!(call(&mut store, &inst, "ii", &i32s(&[10])), 7);
    // 1 + 3 * 0xc0000000 wraps to 0x40000001 after three rounds.
    assert_eq!(call(&mut store, &inst, "is", &i32s(&[1, 0x4000_0001])), 0x4000_0001);
    assert_eq!(call(&mut store, &inst, "si", &i32s(&[-99, 4])), 1);
    assert_eq!(call(&mut store, &inst, "ss", &i32s(&[0, 7, 700])), 700);
    assert_eq!(call(&mut store, &inst, "count", &i32s(&[100_000])), 0);
    assert_eq!(call(&mut store, &inst, "two", &i32s(&[100])), 5050);
    let f = inst.get_typed_func::<i64, i64>(&store, "ii64").unwrap();
    assert_eq!(f.call(&mut store, -5_000_000).unwrap(), 0);
    let f = inst.get_typed_func::<(i64, i64, i64), i64>(&store, "ss64").unwrap();
    // From 2^40 by 2^62: 2^40 + 3 * 2^62 in three rounds, 2^40 + 2^62 in five (wrapping).
    assert_eq!(f.call(&mut store, (1 << 40, 1 << 62, (1 << 40) + (1 << 62))).unwrap(), (1 << 40) + (1 << 62));
}

/// With fuel metering a counter-only loop is charged every round (its head
/// is a fuel check, so it is not a counter-only loop any more), and an
/// endless one runs out of fuel instead of hanging.
#[test]
fn counter_only_loops_are_charged_fuel_per_round() {
    let wat = r#"(module
      (func (export "count") (param $n i32) (param $k i32)
        (loop $l (br_if $l (i32.ne (local.tee $n (i32.add (local.get $n) (local.get $k))) (i32.const 0))))))"#;
    let mut config = baton::Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat).unwrap();
    let run = |n: i32, k: i32| {
        let mut store = Store::new(&engine, ());
        store.set_fuel(1_000_000).unwrap();
        let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let f = inst.get_typed_func::<(i32, i32), ()>(&store, "count").unwrap();
        let r = f.call(&mut store, (n, k));
        (r, 1_000_000 - store.get_fuel().unwrap())
    };
    let ((r10, small), (r1010, large)) = (run(10, -1), run(1010, -1));
    assert!(r10.is_ok() && r1010.is_ok());
    assert!(large - small >= 1000, "fuel for 10 rounds: {small}, for 1010: {large}");
    // Even steps from an odd start never reach 0.
    let (endless, _) = run(1, 2);
    assert_eq!(endless.unwrap_err().trap_code(), Some(baton::TrapCode::OutOfFuel));
}

#[test]
fn integer_dot_product_step_of_two_loads_widens_and_wraps_like_wasm() {
    // `c + load(a) * load(b + k)` with 8-, 16- and 32-bit loads of one kind
    // runs as one handler: the 16-bit signed loads sign-extend, the others
    // zero-extend, the product and sum wrap, and each load traps in order.
    // Each function is `c + x * y`, the product second except in `u16`.
    // The `_p` twins take the product apart (`i32_*2_mul`) while a read of
    // `c`'s old value is pending: `c + ((t >> 2) & 15) * ((t >> 5) & 127)`
    // with `t` tee'd into `c`; the `_x` twins xor the product with `c`.
    let func = |name: &str, x: &str, y: &str| {
        let product = format!("(i32.mul ({x} (local.get $a)) ({y} offset=2 (i32.add (local.get $b) (i32.const 2))))");
        let sum = if name == "u16" { format!("{product} (local.get $c)") } else { format!("(local.get $c) {product}") };
        let parts = format!(
            "(i32.add (local.get $c) (i32.mul (i32.and (i32.shr_u (local.tee $c {product}) (i32.const 2)) (i32.const 15))
               (i32.and (i32.shr_u (local.get $c) (i32.const 5)) (i32.const 127))))"
        );
        format!(
            r#"(func (export "{name}") (param $a i32) (param $b i32) (param $c i32) (result i32) (i32.add {sum}))
               (func (export "{name}_p") (param $a i32) (param $b i32) (param $c i32) (result i32) {parts})
               (func (export "{name}_x") (param $a i32) (param $b i32) (param $c i32) (result i32) (i32.xor {product} (local.get $c)))"#
        )
    };
    let funcs = [
        ("s16", "i32.load16_s", "i32.load16_s"),
        ("u16", "i32.load16_u", "i32.load16_u"),
        ("u8", "i32.load8_u", "i32.load8_u"),
        ("w32", "i32.load", "i32.load"),
        ("mixed", "i32.load16_s", "i32.load16_u"),
    ];
    let body: Vec<String> = funcs.iter().map(|&(n, x, y)| func(n, x, y)).collect();
    let wat = format!(r#"(module (memory (export "mem") 1) {})"#, body.join(" "));
    let (mut store, inst) = instantiate(&wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let bytes: Vec<u8> = (0..64u32).map(|i| (i.wrapping_mul(0x9d) ^ 0x5a) as u8).collect();
    mem.data_mut(&mut store)[..64].copy_from_slice(&bytes);
    let u8_at = |at: u32| u32::from(bytes[at as usize]);
    let u16_at = |at: u32| u32::from(u16::from_le_bytes([bytes[at as usize], bytes[at as usize + 1]]));
    let u32_at = |at: u32| u32::from_le_bytes(bytes[at as usize..at as usize + 4].try_into().unwrap());
    let s16_at = |at: u32| u16_at(at) as u16 as i16 as i32 as u32;
    for a in [0u32, 1, 6, 13, 30] {
        for b in [0u32, 3, 8, 21] {
            for c in [0u32, 1, 0x7fff_ffff, 0xffff_fff0] {
                let args = [Val::I32(a as i32), Val::I32(b as i32), Val::I32(c as i32)];
                let cases: [(&str, u32); 5] = [
                    ("s16", s16_at(a).wrapping_mul(s16_at(b + 4)).wrapping_add(c)),
                    ("u16", u16_at(a).wrapping_mul(u16_at(b + 4)).wrapping_add(c)),
                    ("u8", u8_at(a).wrapping_mul(u8_at(b + 4)).wrapping_add(c)),
                    ("w32", u32_at(a).wrapping_mul(u32_at(b + 4)).wrapping_add(c)),
                    ("mixed", s16_at(a).wrapping_mul(u16_at(b + 4)).wrapping_add(c)),
                ];
                for (name, want) in cases {
                    assert_eq!(call(&mut store, &inst, name, &args) as u32, want, "{name} {a} {b} {c}");
                    let t = want.wrapping_sub(c);
                    let parts = c.wrapping_add(((t >> 2) & 15) * ((t >> 5) & 127));
                    assert_eq!(
                        call(&mut store, &inst, &format!("{name}_p"), &args) as u32,
                        parts,
                        "{name}_p {a} {b} {c}"
                    );
                    assert_eq!(
                        call(&mut store, &inst, &format!("{name}_x"), &args) as u32,
                        t ^ c,
                        "{name}_x {a} {b} {c}"
                    );
                }
            }
        }
    }
    // `b + 2` wraps: -2 + 2 = 0, the offset then reads at 2.
    let args = [Val::I32(0), Val::I32(-2), Val::I32(5)];
    assert_eq!(call(&mut store, &inst, "s16", &args) as u32, s16_at(0).wrapping_mul(s16_at(2)).wrapping_add(5));
    // Either load out of bounds traps: the first, the second (first in
    // bounds), and a second access that ends one byte past the memory.
    for name in ["s16", "u16", "u8", "w32", "s16_p", "u16_p", "u8_p", "w32_p", "s16_x", "w32_x"] {
        assert_oob(&mut store, &inst, name, &[Val::I32(65_536), Val::I32(0), Val::I32(0)]);
        assert_oob(&mut store, &inst, name, &[Val::I32(0), Val::I32(65_533), Val::I32(0)]);
        assert_oob(&mut store, &inst, name, &[Val::I32(0), Val::I32(-8), Val::I32(0)]);
    }
    assert_oob(&mut store, &inst, "u8", &[Val::I32(0), Val::I32(65_532), Val::I32(0)]);
    assert_eq!(call(&mut store, &inst, "u8", &[Val::I32(0), Val::I32(65_531), Val::I32(0)]), 0);
}

#[test]
fn xor_tested_by_a_branch_or_select_is_a_compare() {
    // `a ^ b` is non-zero exactly when `a != b`: branches, `if`s and
    // selects on it (through `eqz` too, with a constant, with an operand in
    // the accumulator) take the compare, and a kept copy of the xor value
    // (`local.tee`) still gets it.
    let wat = r#"(module
      (memory 1)
      (func (export "br_if") (param $a i32) (param $b i32) (result i32)
        (block $yes (br_if $yes (i32.xor (local.get $a) (local.get $b))) (return (i32.const 0)))
        (i32.const 1))
      (func (export "eqz_br_if") (param $a i32) (param $b i32) (result i32)
        (block $no (br_if $no (i32.eqz (i32.xor (local.get $a) (local.get $b)))) (return (i32.const 1)))
        (i32.const 0))
      (func (export "if") (param $a i32) (param $b i32) (result i32)
        (if (result i32) (i32.xor (local.get $a) (local.get $b)) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "eqz_if") (param $a i32) (param $b i32) (result i32)
        (if (result i32) (i32.eqz (i32.xor (local.get $a) (local.get $b))) (then (i32.const 0)) (else (i32.const 1))))
      (func (export "select") (param $a i32) (param $b i32) (result i32)
        (select (i32.const 1) (i32.const 0) (i32.xor (local.get $a) (local.get $b))))
      (func (export "const_if") (param $a i32) (param $b i32) (result i32)
        (if (result i32) (i32.xor (local.get $a) (i32.const 7)) (then (i32.const 1)) (else (i32.const 0))))
      (func (export "acc_br_if") (param $a i32) (param $b i32) (result i32)
        (i32.store (i32.const 16) (local.get $a))
        (block $no
          (br_if $no (i32.eqz (i32.xor (i32.load (i32.const 16)) (i32.and (local.get $b) (i32.const -1)))))
          (return (i32.const 1)))
        (i32.const 0))
      (func (export "tee") (param $a i32) (param $b i32) (result i32) (local $x i32)
        (if (result i32) (local.tee $x (i32.xor (local.get $a) (local.get $b)))
          (then (i32.add (local.get $x) (i32.const 1000))) (else (local.get $x)))))"#;
    let (mut store, inst) = instantiate(wat);
    let values = [0, 1, -1, 7, 0x100, i32::MIN, i32::MAX];
    for a in values {
        for b in values {
            let args = [Val::I32(a), Val::I32(b)];
            let ne = i32::from(a != b);
            for name in ["br_if", "eqz_br_if", "if", "eqz_if", "select", "acc_br_if"] {
                assert_eq!(call(&mut store, &inst, name, &args), ne, "{name} {a} {b}");
            }
            assert_eq!(call(&mut store, &inst, "const_if", &args), i32::from(a != 7), "const_if {a}");
            let x = a ^ b;
            let want = if x != 0 { x.wrapping_add(1000) } else { x };
            assert_eq!(call(&mut store, &inst, "tee", &args), want, "tee {a} {b}");
        }
    }
}

/// An unsigned `i32` load (`i32.load`, `i32.load8_u`, `i32.load16_u`) of
/// every address form (slot, `p + i`, `p + k`, `(p ^ i) + k` from the
/// accumulator, `p + (i << 1)`) right before a test or an `eq`/`ne`
/// compare-branch of the loaded value (`handlers::LOAD_THEN_TEST`): the
/// branch is taken exactly when the separate instructions take it, the value
/// kept with `local.tee` is the loaded one, and a load out of bounds traps
/// before the branch.
#[test]
fn load_then_test_or_eq_branch_is_one_handler() {
    let bytes: Vec<u8> = (0..96u32).map(|k| if k % 5 == 0 { 0 } else { (k * 37 % 256) as u8 }).collect();
    let data: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
    let loads = [("i32.load", 4u32), ("i32.load8_u", 1), ("i32.load16_u", 2)];
    let addrs = [
        ("slot", "(local.get $p)"),
        ("ss", "(i32.add (local.get $p) (local.get $i))"),
        ("si", "(i32.add (local.get $p) (i32.const 3))"),
        ("ai", "(i32.add (i32.xor (local.get $p) (local.get $i)) (i32.const 3))"),
        ("sx", "(i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 1)))"),
    ];
    // `V` is the loaded value (or its `local.tee`).
    let conds = [
        ("nez", "V"),
        ("eqz", "(i32.eqz V)"),
        ("eq_k", "(i32.eq V (i32.const 185))"),
        ("ne_k", "(i32.ne V (i32.const 185))"),
        ("eq_c", "(i32.eq V (local.get $c))"),
        ("ne_c", "(i32.ne V (local.get $c))"),
        ("c_eq", "(i32.eq (local.get $c) V)"),
        ("c_ne", "(i32.ne (local.get $c) V)"),
    ];
    let mut funcs = String::new();
    for (load, _) in loads {
        for (an, addr) in addrs {
            for (cn, cond) in conds {
                for tee in [false, true] {
                    let v = format!("({load} offset=2 {addr})");
                    let v = if tee { format!("(local.tee $v {v})") } else { v };
                    let cond = cond.replace('V', &v);
                    funcs += &format!(
                        r#"(func (export "{load}_{an}_{cn}_{tee}") (param $p i32) (param $i i32) (param $c i32) (result i32) (local $v i32)
          (block $out
            (br_if $out {cond})
            (return (i32.add (local.get $v) (i32.const 1000))))
          (i32.sub (local.get $v) (i32.const 1000)))
        "#
                    );
                }
            }
        }
    }
    let (mut store, inst) = instantiate(&format!(r#"(module (memory 1) (data (i32.const 0) "{data}") {funcs})"#));
    let read = |a: u32, width: u32| -> u32 {
        (0..width).map(|k| (*bytes.get((a + k) as usize).unwrap_or(&0) as u32) << (8 * k)).sum()
    };
    for (load, width) in loads {
        for (an, _) in addrs {
            let addr = |p: u32, i: u32| match an {
                "slot" => p,
                "ss" => p.wrapping_add(i),
                "si" => p.wrapping_add(3),
                "ai" => (p ^ i).wrapping_add(3),
                _ => p.wrapping_add(i << 1),
            };
            for (cn, _) in conds {
                for tee in [false, true] {
                    let name = format!("{load}_{an}_{cn}_{tee}");
                    for p in [0u32, 3, 5, 8, 13, 40] {
                        for i in [0u32, 1, 2, 5, 7] {
                            for c in [0u32, 185, 74] {
                                let v = read(addr(p, i) + 2, width);
                                let taken = match cn {
                                    "nez" => v != 0,
                                    "eqz" => v == 0,
                                    "eq_k" => v == 185,
                                    "ne_k" => v != 185,
                                    "eq_c" | "c_eq" => v == c,
                                    _ => v != c,
                                };
                                let kept = if tee { v as i32 } else { 0 };
                                let want = if taken { kept.wrapping_sub(1000) } else { kept.wrapping_add(1000) };
                                let args = [Val::I32(p as i32), Val::I32(i as i32), Val::I32(c as i32)];
                                assert_eq!(call(&mut store, &inst, &name, &args), want, "{name} {p} {i} {c}");
                            }
                        }
                    }
                    let p = 65_536 - 2 - width + 1;
                    assert_oob(&mut store, &inst, &name, &[Val::I32(p as i32), Val::I32(0), Val::I32(0)]);
                }
            }
        }
    }
}

fn call_val(store: &mut Store<()>, inst: &Instance, name: &str, args: &[Val]) -> Val {
    try_call(store, inst, name, args).expect(name).expect("a result")
}

/// Calls export `name` (with no result or one): its result, or the trap
/// code it stopped with.
fn try_call(
    store: &mut Store<()>,
    inst: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Option<Val>, Option<baton::TrapCode>> {
    let f = inst.get_func(&*store, name).expect(name);
    let n = f.ty(&*store).results().len();
    let mut out = [Val::I32(0)];
    f.call(&mut *store, args, &mut out[..n]).map_err(|e| e.trap_code())?;
    Ok((n == 1).then_some(out[0]))
}

#[test]
fn i64_add_of_a_constant_shift_right_matches_the_two_operations() {
    // `x + (y >> k)` is one handler, `y` from a local or the accumulator (a
    // product just computed), the shift on either side of the add, and the
    // count taken mod 64; a `local.tee` of the shift keeps its value.
    let wat = r#"(module
      (func (export "local") (param $x i64) (param $y i64) (result i64)
        (i64.add (local.get $x) (i64.shr_u (local.get $y) (i64.const 3))))
      (func (export "acc") (param $x i64) (param $y i64) (result i64)
        (i64.add (i64.shr_u (i64.mul (local.get $y) (local.get $y)) (i64.const 1)) (local.get $x)))
      (func (export "mod64") (param $x i64) (param $y i64) (result i64)
        (i64.add (local.get $x) (i64.shr_u (local.get $y) (i64.const 65))))
      (func (export "tee") (param $x i64) (param $y i64) (result i64) (local $t i64)
        (i64.add (local.get $x) (local.tee $t (i64.shr_u (local.get $y) (i64.const 7))))
        (local.get $t) (i64.xor))
      (func (export "const") (param $x i64) (param $y i64) (result i64)
        (i64.add (i64.const 5) (i64.shr_u (local.get $y) (i64.const 2)))))"#;
    let (mut store, inst) = instantiate(wat);
    let vals = [0u64, 1, 7, 0x8000_0000_0000_0001, u64::MAX, 0x1234_5678_9abc_def0];
    for x in vals {
        for y in vals {
            let args = [Val::I64(x as i64), Val::I64(y as i64)];
            let tee = x.wrapping_add(y >> 7) ^ (y >> 7);
            let cases = [
                ("local", x.wrapping_add(y >> 3)),
                ("acc", y.wrapping_mul(y).wrapping_shr(1).wrapping_add(x)),
                ("mod64", x.wrapping_add(y >> 1)),
                ("tee", tee),
                ("const", 5u64.wrapping_add(y >> 2)),
            ];
            for (name, want) in cases {
                assert_eq!(call_val(&mut store, &inst, name, &args).i64(), Some(want as i64), "{name} {x} {y}");
            }
        }
    }
}

#[test]
fn constant_divided_by_a_converted_integer_matches_the_two_operations() {
    // `c / (n as f64)` for each integer-to-f64 conversion is one handler,
    // `n` from a local or the accumulator (a sum just computed); a
    // `local.tee` of the conversion keeps its value, and zero divides to
    // an infinity.
    let convs = [
        ("i32_s", "i32", "f64.convert_i32_s"),
        ("i32_u", "i32", "f64.convert_i32_u"),
        ("i64_s", "i64", "f64.convert_i64_s"),
        ("i64_u", "i64", "f64.convert_i64_u"),
    ];
    let mut funcs = String::new();
    for (name, ty, conv) in convs {
        funcs += &format!(
            r#"(func (export "{name}_local") (param $n {ty}) (result f64)
                 (f64.div (f64.const 1.5) ({conv} (local.get $n))))
               (func (export "{name}_acc") (param $n {ty}) (result f64)
                 (f64.div (f64.const -3) ({conv} ({ty}.add (local.get $n) (local.get $n)))))
               (func (export "{name}_tee") (param $n {ty}) (result f64) (local $t f64)
                 (f64.div (f64.const 2) (local.tee $t ({conv} (local.get $n))))
                 (local.get $t) (f64.add))"#
        );
    }
    let (mut store, inst) = instantiate(&format!("(module {funcs})"));
    let f = |v: Val| v.f64().expect("f64");
    for n in
        [0i64, 1, -1, 3, i32::MAX as i64, i32::MIN as i64, u32::MAX as i64, i64::MAX, i64::MIN, 0x1234_5678_9abc_def1]
    {
        let n32 = n as i32;
        let as_f64: [(&str, Val, f64, f64); 4] = [
            ("i32_s", Val::I32(n32), n32 as f64, n32.wrapping_add(n32) as f64),
            ("i32_u", Val::I32(n32), n32 as u32 as f64, (n32 as u32).wrapping_add(n32 as u32) as f64),
            ("i64_s", Val::I64(n), n as f64, n.wrapping_add(n) as f64),
            ("i64_u", Val::I64(n), n as u64 as f64, (n as u64).wrapping_add(n as u64) as f64),
        ];
        for (name, arg, x, sum) in as_f64 {
            let got = f(call_val(&mut store, &inst, &format!("{name}_local"), &[arg]));
            assert_eq!(got.to_bits(), (1.5 / x).to_bits(), "{name}_local {n}");
            let got = f(call_val(&mut store, &inst, &format!("{name}_acc"), &[arg]));
            assert_eq!(got.to_bits(), (-3.0 / sum).to_bits(), "{name}_acc {n}");
            let got = f(call_val(&mut store, &inst, &format!("{name}_tee"), &[arg]));
            assert_eq!(got.to_bits(), (2.0 / x + x).to_bits(), "{name}_tee {n}");
        }
    }
}

#[test]
fn i32_add_of_a_compare_counts_like_the_two_operations() {
    // `x + (a <op> b)` is one handler for the i32 and i64 compares `eq`,
    // `ne`, `lt_s`, `lt_u`, `gt_s` and `gt_u` of two slots, with `x` a local
    // or a temporary, on either side of the compare; a `local.tee` of the
    // compare, a constant `x` and a compare with a constant stay correct.
    let ops = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u"];
    let mut funcs = String::new();
    for ty in ["i32", "i64"] {
        for op in ops {
            let cmp = format!("({ty}.{op} (local.get $a) (local.get $b))");
            funcs += &format!(
                r#"(func (export "{ty}_{op}_local") (param $a {ty}) (param $b {ty}) (param $x i32) (result i32)
                     (i32.add (local.get $x) {cmp}))
                   (func (export "{ty}_{op}_temp") (param $a {ty}) (param $b {ty}) (param $x i32) (result i32)
                     (i32.add (i32.mul (local.get $x) (i32.const 3)) {cmp}))
                   (func (export "{ty}_{op}_tee") (param $a {ty}) (param $b {ty}) (param $x i32) (result i32) (local $t i32)
                     (i32.add (local.get $x) (local.tee $t {cmp})) (local.get $t) (i32.sub))
                   (func (export "{ty}_{op}_const") (param $a {ty}) (param $b {ty}) (param $x i32) (result i32)
                     (i32.add (i32.const 7) {cmp}))
                   (func (export "{ty}_{op}_imm") (param $a {ty}) (param $b {ty}) (param $x i32) (result i32)
                     (i32.add (local.get $x) ({ty}.{op} (local.get $a) ({ty}.const 5))))"#
            );
        }
    }
    let (mut store, inst) = instantiate(&format!("(module {funcs})"));
    let cmp = |op: &str, a: i64, b: i64, wide: bool| -> u32 {
        let (sa, sb, ua, ub) = if wide {
            (a as i128, b as i128, a as u64 as u128, b as u64 as u128)
        } else {
            (a as i32 as i128, b as i32 as i128, a as u32 as u128, b as u32 as u128)
        };
        let r = match op {
            "eq" => ua == ub,
            "ne" => ua != ub,
            "lt_s" => sa < sb,
            "lt_u" => ua < ub,
            "gt_s" => sa > sb,
            _ => ua > ub,
        };
        r as u32
    };
    let vals = [0i64, 1, 5, -1, i32::MIN as i64, i32::MAX as i64, i64::MIN, 0x1_0000_0005];
    for ty in ["i32", "i64"] {
        let wide = ty == "i64";
        for op in ops {
            for a in vals {
                for b in vals {
                    for x in [0u32, 1, u32::MAX, 0x8000_0000] {
                        let (va, vb) =
                            if wide { (Val::I64(a), Val::I64(b)) } else { (Val::I32(a as i32), Val::I32(b as i32)) };
                        let args = [va, vb, Val::I32(x as i32)];
                        let c = cmp(op, a, b, wide);
                        let cases = [
                            ("local", x.wrapping_add(c)),
                            ("temp", x.wrapping_mul(3).wrapping_add(c)),
                            ("tee", x),
                            ("const", 7 + c),
                            ("imm", x.wrapping_add(cmp(op, a, 5, wide))),
                        ];
                        for (form, want) in cases {
                            let name = format!("{ty}_{op}_{form}");
                            assert_eq!(call(&mut store, &inst, &name, &args) as u32, want, "{name} {a} {b} {x}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn masked_sums_and_a_masked_local_added_right_away_match_the_separate_operations() {
    // `(a - b) & m` and `(a + b) & m` of two slots are one handler, and so is
    // `l = a & m; l + x` (`x` a local, a temporary, or `l` itself); their
    // values feed a branch, a `local.tee` and a later read of `l`.
    let wat = r#"(module
      (func (export "sub_and") (param $a i32) (param $b i32) (param $x i32) (result i32)
        (i32.and (i32.sub (local.get $a) (local.get $b)) (i32.const 0xffff)))
      (func (export "add_and") (param $a i32) (param $b i32) (param $x i32) (result i32)
        (i32.and (i32.add (local.get $a) (local.get $b)) (i32.const 0x7f0f)))
      (func (export "sub_and_br") (param $a i32) (param $b i32) (param $x i32) (result i32) (local $d i32)
        (block $out
          (br_if $out (i32.gt_u (local.tee $d (i32.and (i32.sub (local.get $a) (local.get $b)) (i32.const 255)))
                                (local.get $x)))
          (return (i32.add (local.get $d) (i32.const 1000))))
        (local.get $d))
      (func (export "and_add") (param $a i32) (param $b i32) (param $x i32) (result i32)
        (local.set $a (i32.and (local.get $a) (i32.const 0x7fff)))
        (i32.add (local.get $a) (local.get $x))
        (local.get $a) (i32.mul))
      (func (export "and_add_self") (param $a i32) (param $b i32) (param $x i32) (result i32)
        (local.set $a (i32.and (local.get $a) (i32.const 0x7fff)))
        (i32.add (local.get $a) (local.get $a)))
      (func (export "and_add_temp") (param $a i32) (param $b i32) (param $x i32) (result i32)
        (i32.mul (local.get $x) (i32.const 3))
        (local.set $b (i32.and (local.get $b) (i32.const 0xff)))
        (i32.add (local.get $b))
        (local.get $b) (i32.xor))
      (func (export "and_add_tee") (param $a i32) (param $b i32) (param $x i32) (result i32)
        (i32.add (local.get $x) (local.tee $a (i32.and (local.get $b) (i32.const 0xf0f0))))
        (local.get $a) (i32.sub)))"#;
    let (mut store, inst) = instantiate(wat);
    let vals = [0u32, 1, 5, 0xff, 0x1_0000, 0x8000_0001, u32::MAX, 0x1234_5678];
    for a in vals {
        for b in vals {
            for x in [0u32, 3, 200, u32::MAX] {
                let args = [Val::I32(a as i32), Val::I32(b as i32), Val::I32(x as i32)];
                let d = a.wrapping_sub(b) & 255;
                let la = a & 0x7fff;
                let lb = b & 0xff;
                let cases = [
                    ("sub_and", a.wrapping_sub(b) & 0xffff),
                    ("add_and", a.wrapping_add(b) & 0x7f0f),
                    ("sub_and_br", if d > x { d } else { d + 1000 }),
                    ("and_add", la.wrapping_add(x).wrapping_mul(la)),
                    ("and_add_self", la.wrapping_add(la)),
                    ("and_add_temp", x.wrapping_mul(3).wrapping_add(lb) ^ lb),
                    ("and_add_tee", x),
                ];
                for (name, want) in cases {
                    assert_eq!(call(&mut store, &inst, name, &args) as u32, want, "{name} {a} {b} {x}");
                }
            }
        }
    }
}

#[test]
fn f64_product_kept_in_a_local_and_added_matches_the_separate_operations() {
    // `l = a * b` (`local.tee`) followed by `l + c` is one handler, `a` from
    // a local or the accumulator (a value just computed), `c` a local, a
    // temporary or `l` itself; the sum and `l` keep separate roundings.
    let wat = r#"(module
      (func (export "local") (param $a f64) (param $b f64) (param $c f64) (result f64) (local $l f64)
        (f64.add (local.tee $l (f64.mul (local.get $a) (local.get $b))) (local.get $c))
        (local.get $l) (f64.sub))
      (func (export "acc") (param $a f64) (param $b f64) (param $c f64) (result f64) (local $l f64)
        (f64.add (local.get $c) (local.tee $l (f64.mul (f64.add (local.get $a) (local.get $c)) (local.get $b))))
        (local.get $l) (f64.div))
      (func (export "self") (param $a f64) (param $b f64) (param $c f64) (result f64) (local $l f64)
        (f64.add (local.tee $l (f64.mul (local.get $a) (local.get $a))) (local.get $l)))
      (func (export "temp") (param $a f64) (param $b f64) (param $c f64) (result f64) (local $l f64)
        (f64.sqrt (local.get $c))
        (local.tee $l (f64.mul (local.get $b) (local.get $b)))
        (f64.add)
        (local.get $l) (f64.mul)))"#;
    let (mut store, inst) = instantiate(wat);
    let vals = [0.0f64, -0.0, 1.5, -3.25, 1e300, -1e-300, f64::INFINITY, f64::NAN, 0.1, 7.0];
    for a in vals {
        for b in vals {
            for c in vals {
                let args = [Val::F64(a.to_bits()), Val::F64(b.to_bits()), Val::F64(c.to_bits())];
                let cases = [
                    ("local", (a * b + c) - a * b),
                    ("acc", (c + (a + c) * b) / ((a + c) * b)),
                    ("self", a * a + a * a),
                    ("temp", (c.sqrt() + b * b) * (b * b)),
                ];
                for (name, want) in cases {
                    let f = inst.get_func(&store, name).expect(name);
                    let mut out = [Val::F64(0)];
                    f.call(&mut store, &args, &mut out).expect(name);
                    let got = out[0].f64().expect("f64");
                    assert!(
                        got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                        "{name} {a} {b} {c}: {got} != {want}"
                    );
                }
            }
        }
    }
}

#[test]
fn shadow_stack_pointer_updates_match_the_separate_operations() {
    // `global.get sp; i32.const k; i32.sub; local.tee fp; global.set sp` is
    // one handler, and so is `fp + k` set to a global (the frame given back);
    // a get of another global, a value not kept in a local and wrapping
    // arithmetic stay correct.
    let wat = r#"(module
      (global $sp (export "sp") (mut i32) (i32.const 1024))
      (global $other (export "other") (mut i32) (i32.const 77))
      (func (export "frame") (param $k i32) (result i32) (local $fp i32)
        (global.set $sp (local.tee $fp (i32.sub (global.get $sp) (i32.const 48))))
        (i32.add (local.get $fp) (local.get $k)))
      (func (export "unframe") (param $k i32) (result i32) (local $fp i32)
        (local.set $fp (global.get $sp))
        (global.set $sp (i32.add (local.get $fp) (i32.const 48)))
        (local.get $fp))
      (func (export "cross") (param $k i32) (result i32) (local $fp i32)
        (global.set $sp (local.tee $fp (i32.add (global.get $other) (i32.const -5))))
        (local.get $fp))
      (func (export "temp") (param $k i32) (result i32)
        (global.set $other (i32.add (global.get $other) (local.get $k)))
        (global.set $other (i32.add (global.get $other) (i32.const 0x7fffffff)))
        (global.get $other)))"#;
    let (mut store, inst) = instantiate(wat);
    let global =
        |store: &Store<()>, name: &str| inst.get_global(store, name).expect(name).get(store).i32().expect("i32");
    assert_eq!(call(&mut store, &inst, "frame", &[Val::I32(5)]), 1024 - 48 + 5);
    assert_eq!(global(&store, "sp"), 1024 - 48);
    assert_eq!(call(&mut store, &inst, "frame", &[Val::I32(0)]), 1024 - 96);
    assert_eq!(call(&mut store, &inst, "unframe", &[Val::I32(0)]), 1024 - 96);
    assert_eq!(global(&store, "sp"), 1024 - 48);
    assert_eq!(call(&mut store, &inst, "cross", &[Val::I32(0)]), 72);
    assert_eq!((global(&store, "sp"), global(&store, "other")), (72, 77));
    let want = 77i32.wrapping_add(9).wrapping_add(0x7fff_ffff);
    assert_eq!(call(&mut store, &inst, "temp", &[Val::I32(9)]), want);
    assert_eq!(global(&store, "other"), want);
    // The stack pointer wraps like i32 arithmetic.
    for _ in 0..30 {
        call(&mut store, &inst, "frame", &[Val::I32(0)]);
    }
    assert_eq!(global(&store, "sp"), 72 - 30 * 48);
}

#[test]
fn f64_loaded_value_minus_a_slot_matches_the_separate_operations() {
    // `load(p) - x` and `load(p + k) - x` are one handler; `load(p + q) - x`
    // and `x - load(p)` (loaded value on the right) are not fused but equal;
    // an access out of bounds traps.
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "plain") (param $p i32) (param $x f64) (result f64) (local $d f64)
        (local.tee $d (f64.sub (f64.load (local.get $p)) (local.get $x)))
        (local.get $d) (f64.mul))
      (func (export "field") (param $p i32) (param $x f64) (result f64)
        (f64.sub (f64.load offset=8 (i32.add (local.get $p) (i32.const 16))) (local.get $x)))
      (func (export "pair") (param $p i32) (param $x f64) (result f64)
        (f64.sub (f64.load offset=8 (i32.add (local.get $p) (local.get $p))) (local.get $x)))
      (func (export "right") (param $p i32) (param $x f64) (result f64)
        (f64.sub (local.get $x) (f64.load (local.get $p)))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let vals = [1.5f64, -0.0, f64::NAN, 1e308, -7.25, 0.1, f64::INFINITY, 3.0];
    for (i, v) in vals.iter().enumerate() {
        mem.data_mut(&mut store)[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    let at = |i: usize| vals[i % vals.len()];
    let run = |store: &mut Store<()>, name: &str, p: i32, x: f64| -> Result<f64, baton::Error> {
        let f = inst.get_func(&*store, name).expect(name);
        let mut out = [Val::F64(0)];
        f.call(&mut *store, &[Val::I32(p), Val::F64(x.to_bits())], &mut out)?;
        Ok(out[0].f64().expect("f64"))
    };
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    for x in [0.0f64, -2.5, f64::NAN, 1e-300] {
        for i in 0..4usize {
            let p = (i * 8) as i32;
            assert!(same(run(&mut store, "plain", p, x).unwrap(), (at(i) - x) * (at(i) - x)), "plain {i} {x}");
            assert!(same(run(&mut store, "field", p, x).unwrap(), at(i + 3) - x), "field {i} {x}");
            assert!(same(run(&mut store, "pair", p, x).unwrap(), at(2 * i + 1) - x), "pair {i} {x}");
            assert!(same(run(&mut store, "right", p, x).unwrap(), x - at(i)), "right {i} {x}");
        }
        for (name, p) in [("plain", 65_529), ("field", 65_512), ("pair", 32_761), ("plain", -1)] {
            let err = run(&mut store, name, p, x).unwrap_err();
            assert_eq!(err.trap_code(), Some(baton::TrapCode::MemoryOutOfBounds), "{name} {p}");
        }
        assert!(run(&mut store, "field", 65_504, x).is_ok());
    }
}

#[test]
fn byte_table_lookup_of_a_loaded_byte_matches_the_separate_loads() {
    // `table[s[i]]`: the two byte loads are one handler (`byte_index`), also
    // with the result set to a local, in a loop, and with either access out
    // of bounds trapping. With the index byte kept in a local (tee, a local
    // write between them) they stay apart, with the same value.
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "get") (param $s i32) (param $i i32) (param $t i32) (result i32)
        (i32.load8_u offset=3 (i32.add (i32.load8_u offset=1 (i32.add (local.get $s) (local.get $i))) (local.get $t))))
      (func (export "tee") (param $s i32) (param $i i32) (param $t i32) (result i32) (local $c i32)
        (i32.load8_u (i32.add (local.tee $c (i32.load8_u (i32.add (local.get $s) (local.get $i)))) (local.get $t)))
        (i32.mul (local.get $c) (i32.const 1000)) (i32.add))
      (func (export "set") (param $s i32) (param $i i32) (param $t i32) (result i32) (local $r i32)
        (local.set $r (i32.load8_u (i32.add (i32.load8_u (i32.add (local.get $s) (local.get $i))) (local.get $t))))
        (i32.add (local.get $r) (local.get $r)))
      (func (export "sum") (param $s i32) (param $n i32) (param $t i32) (result i32) (local $i i32) (local $acc i32)
        (block $done (loop $next
          (br_if $done (i32.eq (local.get $i) (local.get $n)))
          (local.set $acc (i32.add (local.get $acc)
            (i32.load8_u (i32.add (i32.load8_u (i32.add (local.get $s) (local.get $i))) (local.get $t)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next)))
        (local.get $acc)))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let data = mem.data_mut(&mut store);
    for (k, b) in data.iter_mut().enumerate() {
        *b = (k.wrapping_mul(37) ^ (k >> 8)) as u8;
    }
    let byte = |k: usize| (k.wrapping_mul(37) ^ (k >> 8)) as u8 as i32;
    let i32s = |v: &[i32]| v.iter().map(|&x| Val::I32(x)).collect::<Vec<_>>();
    for (s, i, t) in [(0, 0, 0), (100, 7, 4096), (65_000, 30, 300), (5, -5, 1), (1, 2, 65_280)] {
        let c = byte((s + i) as u32 as usize);
        let c1 = byte((s + i + 1) as u32 as usize);
        assert_eq!(call(&mut store, &inst, "get", &i32s(&[s, i, t])), byte((c1 + t) as usize + 3), "get {s} {i} {t}");
        let v = byte((c + t) as usize);
        assert_eq!(call(&mut store, &inst, "tee", &i32s(&[s, i, t])), v + c * 1000, "tee {s} {i} {t}");
        assert_eq!(call(&mut store, &inst, "set", &i32s(&[s, i, t])), 2 * v, "set {s} {i} {t}");
    }
    let want: i32 = (0..500).map(|k| byte(byte(1000 + k) as usize + 200)).sum();
    assert_eq!(call(&mut store, &inst, "sum", &i32s(&[1000, 500, 200])), want);
    // The first access out of bounds, then the second (the table runs past
    // the end of memory for a large index byte).
    assert_oob(&mut store, &inst, "get", &i32s(&[65_535, 0, 0]));
    assert_oob(&mut store, &inst, "set", &i32s(&[-1, 0, 0]));
    let big = (0..65_536).find(|&k| byte(k) == 255).expect("a 255 byte") as i32;
    assert_oob(&mut store, &inst, "set", &i32s(&[big, 0, 65_300]));
    assert_oob(&mut store, &inst, "get", &i32s(&[big - 1, 0, 65_280]));
    assert_eq!(call(&mut store, &inst, "set", &i32s(&[big, 0, 65_280])), 2 * byte(65_535));
}

#[test]
fn indexed_load_off_a_loaded_pointer_matches_the_separate_loads() {
    // `v.ptr[i]`: the pointer load and the scaled-index load are one handler
    // (`load_then_sx`), from `i32.load` and `i64.load32_u`, with the result
    // set to a local, in a loop, with a wrapping index, and with either
    // access out of bounds trapping. With the pointer kept in a local (tee)
    // they stay apart, with the same value.
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "get") (param $v i32) (param $i i32) (result i32)
        (i32.load offset=8 (i32.add (i32.load offset=4 (local.get $v)) (i32.shl (local.get $i) (i32.const 2)))))
      (func (export "wide") (param $v i32) (param $i i32) (result i32)
        (i32.wrap_i64 (i64.extend_i32_u (i32.load (i32.add (i32.wrap_i64 (i64.load32_u (local.get $v)))
          (i32.shl (local.get $i) (i32.const 3)))))))
      (func (export "set") (param $v i32) (param $i i32) (result i32) (local $r i32)
        (local.set $r (i32.load (i32.add (i32.load (local.get $v)) (i32.shl (local.get $i) (i32.const 2)))))
        (i32.sub (local.get $r) (local.get $i)))
      (func (export "tee") (param $v i32) (param $i i32) (result i32) (local $p i32)
        (i32.load (i32.add (local.tee $p (i32.load (local.get $v))) (i32.shl (local.get $p) (i32.const 2)))))
      (func (export "walk") (param $v i32) (param $n i32) (result i32) (local $s i32) (local $k i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $s (i32.load (i32.add (i32.load offset=4 (local.get $v)) (i32.shl (local.get $s) (i32.const 2)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $next)))
        (local.get $s)))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    // Word-aligned values, so every pointer read back is word-aligned too.
    let word = |a: u32| (a.wrapping_mul(2_654_435_761) >> 16) & !3;
    let data = mem.data_mut(&mut store);
    for a in (0..65_536u32).step_by(4) {
        data[a as usize..a as usize + 4].copy_from_slice(&word(a).to_le_bytes());
    }
    let rd = |a: u32| word(a & !3);
    let i32s = |v: &[i32]| v.iter().map(|&x| Val::I32(x)).collect::<Vec<_>>();
    for (v, i) in [(0, 0), (400, 3), (1000, -2), (12, 100), (65_520, 1)] {
        let p = rd(v as u32 + 4);
        let want = rd(p.wrapping_add((i as u32) << 2).wrapping_add(8));
        let name = format!("get {v} {i}");
        if (p.wrapping_add((i as u32) << 2) as u64 + 12) <= 65_536 {
            assert_eq!(call(&mut store, &inst, "get", &i32s(&[v, i])) as u32, want, "{name}");
        } else {
            assert_oob(&mut store, &inst, "get", &i32s(&[v, i]));
        }
        let p0 = rd(v as u32);
        for (f, shift) in [("wide", 3), ("set", 2)] {
            let a = p0.wrapping_add((i as u32) << shift);
            if a as u64 + 4 <= 65_536 {
                let w = rd(a);
                let want = if f == "set" { w.wrapping_sub(i as u32) } else { w };
                assert_eq!(call(&mut store, &inst, f, &i32s(&[v, i])) as u32, want, "{f} {v} {i}");
            } else {
                assert_oob(&mut store, &inst, f, &i32s(&[v, i]));
            }
        }
        let a = p0.wrapping_add(p0 << 2);
        if a as u64 + 4 <= 65_536 {
            assert_eq!(call(&mut store, &inst, "tee", &i32s(&[v, i])) as u32, rd(a), "tee {v}");
        }
    }
    // A walk through a table (`s = t[s]`) of 1024 words at 2048, its
    // pointer at 8196.
    let data = mem.data_mut(&mut store);
    for k in 0..1024u32 {
        let at = 2048 + 4 * k as usize;
        data[at..at + 4].copy_from_slice(&((k * 7 + 3) % 1024).to_le_bytes());
    }
    data[8196..8200].copy_from_slice(&2048u32.to_le_bytes());
    let mut s = 0u32;
    for _ in 0..300 {
        s = (s * 7 + 3) % 1024;
    }
    assert_eq!(call(&mut store, &inst, "walk", &i32s(&[8192, 300])) as u32, s);
    // The pointer load itself out of bounds, then the element.
    assert_oob(&mut store, &inst, "get", &i32s(&[65_530, 0]));
    assert_oob(&mut store, &inst, "set", &i32s(&[-2, 0]));
    let far = (0..65_536u32).step_by(4).find(|&a| rd(a) > 60_000).expect("a far pointer") as i32;
    assert_oob(&mut store, &inst, "set", &i32s(&[far, 2_000]));
}

#[test]
fn character_class_select_matches_the_separate_operations() {
    // `select(x <= k, 0, (1 << x) & m)` with `m < 2^(k+1)` is one set test
    // (`bit_set`), as a value and under `br_if`, with `x` from the
    // accumulator (tee) or a local; with bits of `m` above `k` or `k >= 32`
    // it stays apart. Every `x` is checked, also those >= 32 whose shift
    // wraps.
    let class = |k: u32, m: u32| {
        format!(
            r#"(func (export "v{k}_{m}") (param $c i32) (result i32) (local $x i32)
                 (select (i32.le_u (local.tee $x (i32.sub (local.get $c) (i32.const 9))) (i32.const {k}))
                         (i32.const 0)
                         (i32.and (i32.shl (i32.const 1) (local.get $x)) (i32.const {m}))))
               (func (export "b{k}_{m}") (param $c i32) (result i32) (local $x i32)
                 (block $yes
                   (br_if $yes (select (i32.le_u (local.tee $x (i32.sub (local.get $c) (i32.const 9))) (i32.const {k}))
                                       (i32.const 0)
                                       (i32.and (i32.shl (i32.const 1) (local.get $x)) (i32.const {m}))))
                   (return (i32.const 7)))
                 (i32.const 11))
               (func (export "l{k}_{m}") (param $x i32) (result i32)
                 (if (result i32) (select (i32.le_u (local.get $x) (i32.const {k}))
                                          (i32.const 0)
                                          (i32.and (i32.shl (i32.const 1) (local.get $x)) (i32.const {m})))
                   (then (i32.const 5)) (else (i32.const 6))))"#
        )
    };
    let cases = [(23u32, 8_388_635u32), (25, 0x0380_0000), (31, 0xffff_ffff), (3, 0x1f), (40, 0x13), (0, 1)];
    let wat = format!("(module {})", cases.iter().map(|&(k, m)| class(k, m)).collect::<String>());
    let (mut store, inst) = instantiate(&wat);
    let want = |x: u32, k: u32, m: u32| ((1u32 << (x & 31)) & m != 0 && x <= k) as i32;
    let xs = (0..300u32).chain([u32::MAX, u32::MAX - 8, 1 << 31, 40, 41, 63, 64, 65]);
    for (k, m) in cases {
        for x in xs.clone() {
            let c = Val::I32(x.wrapping_add(9) as i32);
            let w = want(x, k, m);
            assert_eq!(call(&mut store, &inst, &format!("v{k}_{m}"), &[c]), w, "v {k} {m} {x}");
            assert_eq!(
                call(&mut store, &inst, &format!("b{k}_{m}"), &[c]),
                if w == 1 { 11 } else { 7 },
                "b {k} {m} {x}"
            );
            let l = call(&mut store, &inst, &format!("l{k}_{m}"), &[Val::I32(x as i32)]);
            assert_eq!(l, if w == 1 { 5 } else { 6 }, "l {k} {m} {x}");
        }
    }
}

#[test]
fn byte_load_after_a_local_update_matches_the_separate_operations() {
    // `t = p + i; i = i + k; load8(t)` is one handler (`post_inc`), which
    // must read `p + i` before the update and write the value after it (the
    // value may go to `i` itself). Also: the update of `p` or of another
    // local, from another local, wrapping, in a loop, out of bounds, and a
    // label between the update and the load (not fused, same value).
    let wat = r#"(module
      (memory (export "mem") 1)
      (func (export "next") (param $p i32) (param $i i32) (result i32)
        (i32.add (local.get $p) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (i32.load8_u offset=2)
        (i32.mul (local.get $i) (i32.const 1000)) (i32.add))
      (func (export "into_i") (param $p i32) (param $i i32) (result i32)
        (i32.add (local.get $p) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const -7)))
        (local.set $i (i32.load8_u))
        (local.get $i))
      (func (export "bump_p") (param $p i32) (param $i i32) (result i32)
        (i32.add (local.get $i) (local.get $p))
        (local.set $p (i32.add (local.get $p) (i32.const 3)))
        (i32.load8_u)
        (i32.mul (local.get $p) (i32.const 1000)) (i32.add))
      (func (export "other") (param $p i32) (param $i i32) (result i32) (local $j i32)
        (i32.add (local.get $p) (local.get $i))
        (local.set $j (i32.add (local.get $i) (i32.const 5)))
        (i32.load8_u)
        (i32.mul (local.get $j) (i32.const 1000)) (i32.add))
      (func (export "label") (param $p i32) (param $i i32) (result i32)
        (i32.add (local.get $p) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block)
        (i32.load8_u)
        (i32.mul (local.get $i) (i32.const 1000)) (i32.add))
      (func (export "sum") (param $p i32) (param $n i32) (result i32) (local $i i32) (local $s i32) (local $c i32)
        (block $done (loop $next
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (i32.add (local.get $p) (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $c (i32.load8_u))
          (local.set $s (i32.add (local.get $s) (local.get $c)))
          (br $next)))
        (i32.add (local.get $s) (i32.mul (local.get $i) (i32.const 100000)))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    for (k, b) in mem.data_mut(&mut store).iter_mut().enumerate() {
        *b = (k * 13 + (k >> 9)) as u8;
    }
    let byte = |a: u32| (a as usize * 13 + (a as usize >> 9)) as u8 as i32;
    let i32s = |v: &[i32]| v.iter().map(|&x| Val::I32(x)).collect::<Vec<_>>();
    for (p, i) in [(0, 0), (100, 5), (65_000, 500), (7, -1), (-3, 10), (1 << 15, 1 << 14)] {
        let a = (p as u32).wrapping_add(i as u32);
        let args = i32s(&[p, i]);
        let m = |x: i32| x.wrapping_mul(1000);
        let check = |store: &mut Store<()>, name: &str, addr: u32, want: i32| {
            if (addr as u64) < 65_536 {
                assert_eq!(call(store, &inst, name, &args), want, "{name} {p} {i}");
            } else {
                assert_oob(store, &inst, name, &args);
            }
        };
        check(&mut store, "next", a.wrapping_add(2), byte(a.wrapping_add(2)).wrapping_add(m(i.wrapping_add(1))));
        check(&mut store, "into_i", a, byte(a));
        check(&mut store, "bump_p", a, byte(a).wrapping_add(m(p.wrapping_add(3))));
        check(&mut store, "other", a, byte(a).wrapping_add(m(i.wrapping_add(5))));
        check(&mut store, "label", a, byte(a).wrapping_add(m(i.wrapping_add(1))));
    }
    let want: i32 = (0..300).map(|k| byte(1234 + k)).sum::<i32>() + 300 * 100_000;
    assert_eq!(call(&mut store, &inst, "sum", &i32s(&[1234, 300])), want);
    assert_oob(&mut store, &inst, "sum", &i32s(&[65_500, 100]));
}

#[test]
fn masked_difference_compared_with_a_slot_matches_the_separate_operations() {
    // `(a - b) & m <op> n` (unsigned, `n` a slot) is one compare-branch
    // (`sub_and_br`), under `br_if` and `if`, with the difference kept in a
    // local and compared with itself, and wrapping.
    let ops = ["lt_u", "le_u", "gt_u", "ge_u"];
    let funcs: String = ops
        .iter()
        .map(|op| {
            format!(
                r#"(func (export "br_{op}") (param $a i32) (param $b i32) (param $n i32) (result i32)
                     (block $yes
                       (br_if $yes (i32.{op} (i32.and (i32.sub (local.get $a) (local.get $b)) (i32.const 0xffff)) (local.get $n)))
                       (return (i32.const 3)))
                     (i32.const 4))
                   (func (export "if_{op}") (param $a i32) (param $b i32) (param $n i32) (result i32) (local $d i32)
                     (if (result i32) (i32.{op} (local.tee $d (i32.and (i32.sub (local.get $a) (local.get $b)) (i32.const 0x7f00ff))) (local.get $n))
                       (then (i32.add (local.get $d) (i32.const 1000000)))
                       (else (local.get $d))))
                   (func (export "self_{op}") (param $a i32) (param $b i32) (result i32) (local $d i32)
                     (if (result i32) (i32.{op} (local.tee $d (i32.and (i32.sub (local.get $a) (local.get $b)) (i32.const 0xff))) (local.get $d))
                       (then (i32.const 1)) (else (i32.const 0))))"#
            )
        })
        .collect();
    let (mut store, inst) = instantiate(&format!("(module {funcs})"));
    let cmp = |op: &str, v: u32, n: u32| match op {
        "lt_u" => v < n,
        "le_u" => v <= n,
        "gt_u" => v > n,
        _ => v >= n,
    };
    let vals = [0u32, 1, 2, 0xff, 0xffff, 0x1_0000, 0x7f_00ff, 0x8000_0000, u32::MAX, 12_345];
    for op in ops {
        for a in vals {
            for b in vals {
                for n in [0u32, 1, 0xfe, 0xffff, 0x7f_00ff, u32::MAX] {
                    let args = [Val::I32(a as i32), Val::I32(b as i32), Val::I32(n as i32)];
                    let d = a.wrapping_sub(b) & 0xffff;
                    let want = if cmp(op, d, n) { 4 } else { 3 };
                    assert_eq!(call(&mut store, &inst, &format!("br_{op}"), &args), want, "br {op} {a} {b} {n}");
                    let d = a.wrapping_sub(b) & 0x7f_00ff;
                    let want = if cmp(op, d, n) { d.wrapping_add(1_000_000) } else { d };
                    assert_eq!(call(&mut store, &inst, &format!("if_{op}"), &args) as u32, want, "if {op} {a} {b} {n}");
                }
                let d = a.wrapping_sub(b) & 0xff;
                let args = [Val::I32(a as i32), Val::I32(b as i32)];
                assert_eq!(call(&mut store, &inst, &format!("self_{op}"), &args), cmp(op, d, d) as i32, "self {op}");
            }
        }
    }
}

/// The byte-scan loop (`handlers::scan_loop!`): `while i != end { c = s[i];
/// x = c - 9; if x > 23 (or <=) or bit x of a set is clear (or set) { stop }
/// i += 1; store i at pos + 20 }`, the shape of a JSON parser's whitespace
/// skip. Each shape is run fused (`scan`) and with a local write inside the
/// loop that stops the fusion (`plain`), on the same memory: the result
/// (which exit, `i`, `c`, `x`), the stored position and the traps must agree,
/// including a store that overwrites the bytes still to scan, an end before
/// the start (the index wraps), and loads and stores past the memory's end.
#[test]
fn scan_loop_matches_the_plain_loop() {
    let shapes = [("gt_u", true, false), ("gt_u", false, true), ("le_u", true, true), ("le_u", false, false)];
    for ((cmp, eqz, mirrored), cont) in shapes.into_iter().flat_map(|s| [(s, false), (s, true)]) {
        // The bit test of a set as a stop condition (`clear` when `eqz`), or
        // negated, as the condition to go on.
        let bit = |stop: bool| {
            let t = "(i32.and (i32.shl (i32.const 1) (local.get $x)) (i32.const 8388627))";
            if eqz == stop {
                format!("(i32.eqz {t})")
            } else {
                t.to_string()
            }
        };
        // The bit test exits, or (`cont`) jumps to the increment and exits
        // on the way through.
        let test = if cont {
            format!("(block $go (br_if $go {}) (br $stop2))", bit(false))
        } else {
            format!("(br_if $stop2 {})", bit(true))
        };
        let back = if mirrored {
            "(i32.ne (local.get $i) (local.get $end))"
        } else {
            "(i32.ne (local.get $end) (local.get $i))"
        };
        let func = |name: &str, extra: &str| {
            format!(
                r#"(func (export "{name}") (param $s i32) (param $i i32) (param $end i32) (param $pos i32) (result i32)
                     (local $c i32) (local $x i32) (local $dummy i32)
                     (block $stop2
                       (block $stop1
                         (loop $next
                           (local.set $c (i32.load8_u (i32.add (local.get $i) (local.get $s))))
                           (br_if $stop1 (i32.{cmp} (local.tee $x (i32.sub (local.get $c) (i32.const 9))) (i32.const 23)))
                           {test}
                           {extra}
                           (i32.store offset=20 (local.get $pos) (local.tee $i (i32.add (local.get $i) (i32.const 1))))
                           (br_if $next {back}))
                         (i32.store (i32.const 0) (local.get $c))
                         (i32.store (i32.const 4) (local.get $x))
                         (return (i32.or (i32.shl (local.get $i) (i32.const 4)) (i32.const 1))))
                       (i32.store (i32.const 0) (local.get $c))
                       (i32.store (i32.const 4) (local.get $x))
                       (return (i32.or (i32.shl (local.get $i) (i32.const 4)) (i32.const 2))))
                     (i32.store (i32.const 0) (local.get $c))
                     (i32.store (i32.const 4) (local.get $x))
                     (i32.or (i32.shl (local.get $i) (i32.const 4)) (i32.const 3)))"#,
            )
        };
        let wat = format!(
            r#"(module (memory 1)
                 {scan}
                 {plain}
                 (func (export "peek") (param $a i32) (result i32) (i32.load (local.get $a)))
                 (func (export "fill") (param $a i32) (param $n i32) (param $v i32)
                   (memory.fill (local.get $a) (local.get $v) (local.get $n))))"#,
            scan = func("scan", ""),
            plain = func("plain", "(local.set $dummy (local.get $i))"),
        );
        let (mut store, inst) = instantiate(&wat);
        let text = b" \t\n \r  x  \n\t{} \"a\"   \x20\x09";
        let runs: [(i32, i32, i32, i32); 10] = [
            (100, 0, text.len() as i32, 4000),
            (100, 2, text.len() as i32, 4000),
            (100, 9, 12, 4000),
            (100, 0, 0, 4000),
            // The stored position lands on the bytes still to scan.
            (100, 0, text.len() as i32, 80),
            (100, 5, 3, 4000),
            // Loads past the end of memory (the index wraps past `end`).
            (65_530, 0, 100, 4000),
            (-10, 10, 5, 4000),
            // The store past the end of memory.
            (100, 0, text.len() as i32, 65_520),
            (100, 14, 20, 65_515),
        ];
        for (s, i, end, pos) in runs {
            let mut results = Vec::new();
            for name in ["scan", "plain"] {
                let args = [Val::I32(0), Val::I32(0x1_0000), Val::I32(0)];
                try_call(&mut store, &inst, "fill", &args).expect("fill");
                for (k, &b) in text.iter().enumerate() {
                    let args = [Val::I32(100 + k as i32), Val::I32(1), Val::I32(b as i32)];
                    try_call(&mut store, &inst, "fill", &args).expect("fill");
                }
                let args = [Val::I32(s), Val::I32(i), Val::I32(end), Val::I32(pos)];
                let r = try_call(&mut store, &inst, name, &args);
                let peek = |store: &mut Store<()>, a: i32| call(store, &inst, "peek", &[Val::I32(a)]);
                let state = [peek(&mut store, 0), peek(&mut store, 4)];
                let stored = if pos <= 65_512 { peek(&mut store, pos + 20) } else { 0 };
                results.push((r, state, stored));
            }
            assert_eq!(
                results[0], results[1],
                "{cmp} eqz={eqz} mirrored={mirrored} cont={cont} s={s} i={i} end={end} pos={pos}"
            );
        }
    }
}

/// The reduction loop (`handlers::reduce_loop!`): `s = s + load(i + off);
/// i = i + step; br_if (i != bound)`, for i32 and i64 sums of full-width and
/// byte loads, with the step and bound from locals or constants (the four
/// counter forms). Each is run fused (`sum`) and with a local write inside
/// the loop that stops the fusion (`plain`): results and traps (a load past
/// the end of memory, after the index wraps) must agree.
#[test]
fn reduce_loop_matches_the_plain_loop() {
    let kinds = [("i32", "i32.load"), ("i32", "i32.load8_u"), ("i64", "i64.load"), ("i64", "i64.load8_u")];
    let forms = [
        ("(local.get $step)", "(local.get $n)"),
        ("(local.get $step)", "(i32.const 40)"),
        ("(i32.const 4)", "(local.get $n)"),
        ("(i32.const 4)", "(i32.const 40)"),
    ];
    for (ty, load) in kinds {
        for (step, bound) in forms {
            let func = |name: &str, extra: &str| {
                format!(
                    r#"(func (export "{name}") (param $i i32) (param $n i32) (param $step i32) (result {ty})
                         (local $s {ty}) (local $dummy i32)
                         (local.set $s ({ty}.const 1000))
                         (loop $next
                           (local.set $s ({ty}.add ({load} offset=3 (local.get $i)) (local.get $s)))
                           {extra}
                           (br_if $next (i32.ne (local.tee $i (i32.add (local.get $i) {step})) {bound})))
                         (local.get $s))"#
                )
            };
            let wat = format!(
                r#"(module (memory 1)
                     (data (i32.const 0) "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\20\ff\fe\fd\fc\fb\fa\f9\f8\f7\f6\f5\f4\f3\f2\f1\f0")
                     {}
                     {})"#,
                func("sum", ""),
                func("plain", "(local.set $dummy (local.get $i))")
            );
            let (mut store, inst) = instantiate(&wat);
            let runs = [
                (0, 40, 4),
                (0, 16, 4),
                (8, 40, 4),
                (36, 40, 4),
                (0, 40, 8),
                (1, 40, 4),
                (65_520, 40, 4),
                (65_532, 65_540, 4),
            ];
            for (i, n, st) in runs {
                let args = [Val::I32(i), Val::I32(n), Val::I32(st)];
                let mut results = Vec::new();
                for name in ["sum", "plain"] {
                    results.push(try_call(&mut store, &inst, name, &args));
                }
                assert_eq!(results[0], results[1], "{ty} {load} step={step} bound={bound} i={i} n={n}");
            }
        }
    }
}

/// The rotation loop (`handlers::rotate_loop!`): `t = a + b; a = b; b = t`
/// then a counter `i = i + step` back while `i != bound`, for i32 and i64
/// values and counters, with the step and bound from locals or constants
/// (the four counter forms). Each is run fused (`rot`) and with a local write
/// inside the loop that stops the fusion (`plain`): `t`, `a`, `b` and `i`
/// after the loop must agree, including values that wrap.
#[test]
fn rotate_loop_matches_the_plain_loop() {
    let forms = [
        ("(local.get $step)", "(local.get $n)"),
        ("(local.get $step)", "(CTR.const 40)"),
        ("(CTR.const 1)", "(local.get $n)"),
        ("(CTR.const 1)", "(CTR.const 40)"),
    ];
    for ty in ["i32", "i64"] {
        for ctr in ["i32", "i64"] {
            for (step, bound) in forms {
                let (step, bound) = (step.replace("CTR", ctr), bound.replace("CTR", ctr));
                let ext = |v: &str, t: &str| if t == "i32" { format!("(i64.extend_i32_u {v})") } else { v.to_string() };
                let func = |name: &str, extra: &str| {
                    format!(
                        r#"(func (export "{name}") (param $a {ty}) (param $b {ty}) (param $i {ctr}) (param $n {ctr}) (param $step {ctr}) (result i64)
                             (local $t {ty}) (local $dummy i32)
                             (loop $next
                               (local.set $t ({ty}.add (local.get $a) (local.get $b)))
                               (local.set $a (local.get $b))
                               (local.set $b (local.get $t))
                               {extra}
                               (br_if $next ({ctr}.ne (local.tee $i ({ctr}.add (local.get $i) {step})) {bound})))
                             (i64.add (i64.add {ta} (i64.mul {tb} (i64.const 3)))
                                      (i64.add (i64.mul {tt} (i64.const 5)) (i64.mul {ti} (i64.const 7)))))"#,
                        ta = ext("(local.get $a)", ty),
                        tb = ext("(local.get $b)", ty),
                        tt = ext("(local.get $t)", ty),
                        ti = ext("(local.get $i)", ctr),
                    )
                };
                let wat = format!("(module {} {})", func("rot", ""), func("plain", "(local.set $dummy (i32.const 1))"));
                let (mut store, inst) = instantiate(&wat);
                let v = |x: i64, t: &str| if t == "i32" { Val::I32(x as i32) } else { Val::I64(x) };
                let runs = [
                    (0, 1, 0, 40, 1),
                    (1, 1, 3, 40, 1),
                    (5, -3, 39, 40, 1),
                    (0, 1, 0, 90, 1),
                    (i32::MAX as i64, 1, 0, 40, 1),
                    (7, 9, 0, 40, 2),
                ];
                for (a, b, i, n, st) in runs {
                    let args = [v(a, ty), v(b, ty), v(i, ctr), v(n, ctr), v(st, ctr)];
                    let mut results = Vec::new();
                    for name in ["rot", "plain"] {
                        results.push(call_val(&mut store, &inst, name, &args));
                    }
                    assert_eq!(results[0], results[1], "{ty} ctr {ctr} step={step} bound={bound} {a} {b} {i} {n} {st}");
                }
            }
        }
    }
}

/// `rotl(a ^ b, k)` (`i64_xor_rotl_ss`/`_as`) and `x & !y` (`i64_andn_s`/
/// `_a`), keccak's steps, against the same expressions with the fusion
/// stopped (the intermediate value kept in a local that is read later):
/// rotation counts of 0, 63, 64 and past, operands from locals and from the
/// value just computed, the `not` on either side of the `and`.
#[test]
fn xor_rotl_and_andn_match_the_plain_expressions() {
    let wat = r#"(module
      (func (export "xr") (param $a i64) (param $b i64) (result i64)
        (i64.add
          (i64.add (i64.rotl (i64.xor (local.get $a) (local.get $b)) (i64.const 1))
                   (i64.rotl (i64.xor (local.get $a) (local.get $b)) (i64.const 0)))
          (i64.add (i64.rotl (i64.xor (local.get $b) (local.get $a)) (i64.const 63))
                   (i64.rotl (i64.xor (local.get $a) (local.get $b)) (i64.const 100)))))
      (func (export "xr_acc") (param $a i64) (param $b i64) (result i64)
        (i64.rotl (i64.xor (i64.mul (local.get $a) (i64.const 3)) (local.get $b)) (i64.const 44)))
      (func (export "xr_plain") (param $a i64) (param $b i64) (result i64) (local $t i64) (local $s i64)
        (local.set $s (i64.const 0))
        (local.set $t (i64.xor (local.get $a) (local.get $b)))
        (local.set $s (i64.add (local.get $s) (i64.rotl (local.get $t) (i64.const 1))))
        (local.set $s (i64.add (local.get $s) (i64.rotl (local.get $t) (i64.const 0))))
        (local.set $t (i64.xor (local.get $b) (local.get $a)))
        (local.set $s (i64.add (local.get $s) (i64.rotl (local.get $t) (i64.const 63))))
        (local.set $t (i64.xor (local.get $a) (local.get $b)))
        (i64.add (local.get $s) (i64.rotl (local.get $t) (i64.const 100))))
      (func (export "xr_acc_plain") (param $a i64) (param $b i64) (result i64) (local $t i64)
        (local.set $t (i64.xor (i64.mul (local.get $a) (i64.const 3)) (local.get $b)))
        (i64.rotl (local.get $t) (i64.const 44)))
      (func (export "an") (param $a i64) (param $b i64) (result i64)
        (i64.add
          (i64.and (i64.xor (local.get $a) (i64.const -1)) (local.get $b))
          (i64.mul (i64.and (local.get $b) (i64.xor (local.get $a) (i64.const -1))) (i64.const 3))))
      (func (export "an_acc") (param $a i64) (param $b i64) (result i64)
        (i64.and (i64.xor (i64.rotl (local.get $a) (i64.const 7)) (i64.const -1)) (local.get $b)))
      (func (export "an_plain") (param $a i64) (param $b i64) (result i64) (local $n i64)
        (local.set $n (i64.xor (local.get $a) (i64.const -1)))
        (i64.add (i64.and (local.get $n) (local.get $b)) (i64.mul (i64.and (local.get $b) (local.get $n)) (i64.const 3))))
      (func (export "an_acc_plain") (param $a i64) (param $b i64) (result i64) (local $n i64)
        (local.set $n (i64.xor (i64.rotl (local.get $a) (i64.const 7)) (i64.const -1)))
        (i64.and (local.get $n) (local.get $b))))"#;
    let (mut store, inst) = instantiate(wat);
    let vals = [0i64, 1, -1, 0x0123_4567_89ab_cdef, i64::MIN, i64::MAX, 0x5555_5555_5555_5555, -0x1234_5678];
    for a in vals {
        for b in vals {
            for (fused, plain) in
                [("xr", "xr_plain"), ("xr_acc", "xr_acc_plain"), ("an", "an_plain"), ("an_acc", "an_acc_plain")]
            {
                let args = [Val::I64(a), Val::I64(b)];
                assert_eq!(
                    call_val(&mut store, &inst, fused, &args),
                    call_val(&mut store, &inst, plain, &args),
                    "{fused} {a:#x} {b:#x}"
                );
            }
        }
    }
}

/// An `i64.xor` folded into the instruction before it: `c ^ (x & !y)`
/// (`i64_andn_xor_s`/`_a`) and `x ^ y ^ c` (`i64_xor3_ss`/`_as`), with the
/// folded value on either side of the `xor`, operands shared between the
/// two steps, and whole chains (keccak's parity and chi steps), against the
/// same expressions with every intermediate value kept in a local.
#[test]
fn xor_folded_forms_match_the_plain_expressions() {
    let wat = r#"(module
      (func (export "andn_xor") (param $a i64) (param $b i64) (param $c i64) (result i64)
        (i64.add
          (i64.xor (i64.and (local.get $a) (i64.xor (local.get $b) (i64.const -1))) (local.get $c))
          (i64.mul (i64.xor (local.get $c) (i64.and (local.get $b) (i64.xor (local.get $c) (i64.const -1))))
                   (i64.const 3))))
      (func (export "andn_xor_acc") (param $a i64) (param $b i64) (param $c i64) (result i64)
        (i64.xor (local.get $a)
          (i64.and (local.get $c) (i64.xor (i64.rotl (local.get $b) (i64.const 7)) (i64.const -1)))))
      (func (export "xor3") (param $a i64) (param $b i64) (param $c i64) (result i64)
        (i64.add
          (i64.xor (i64.xor (local.get $a) (local.get $b)) (local.get $c))
          (i64.xor (local.get $a) (i64.xor (local.get $c) (local.get $a)))))
      (func (export "xor3_acc") (param $a i64) (param $b i64) (param $c i64) (result i64)
        (i64.xor (i64.xor (i64.rotl (local.get $a) (i64.const 3)) (local.get $b)) (local.get $c)))
      (func (export "chain") (param $a i64) (param $b i64) (param $c i64) (result i64)
        (i64.xor
          (i64.xor (i64.xor (i64.xor (local.get $a) (local.get $b)) (local.get $c)) (local.get $b))
          (i64.and (local.get $a) (i64.xor (local.get $c) (i64.const -1)))))
      (func (export "andn_xor_plain") (param $a i64) (param $b i64) (param $c i64) (result i64) (local $t i64) (local $u i64)
        (local.set $t (i64.and (local.get $a) (i64.xor (local.get $b) (i64.const -1))))
        (local.set $t (i64.xor (local.get $t) (local.get $c)))
        (local.set $u (i64.and (local.get $b) (i64.xor (local.get $c) (i64.const -1))))
        (local.set $u (i64.xor (local.get $c) (local.get $u)))
        (i64.add (local.get $t) (i64.mul (local.get $u) (i64.const 3))))
      (func (export "andn_xor_acc_plain") (param $a i64) (param $b i64) (param $c i64) (result i64) (local $t i64)
        (local.set $t (i64.and (local.get $c) (i64.xor (i64.rotl (local.get $b) (i64.const 7)) (i64.const -1))))
        (i64.xor (local.get $a) (local.get $t)))
      (func (export "xor3_plain") (param $a i64) (param $b i64) (param $c i64) (result i64) (local $t i64) (local $u i64)
        (local.set $t (i64.xor (local.get $a) (local.get $b)))
        (local.set $t (i64.xor (local.get $t) (local.get $c)))
        (local.set $u (i64.xor (local.get $c) (local.get $a)))
        (local.set $u (i64.xor (local.get $a) (local.get $u)))
        (i64.add (local.get $t) (local.get $u)))
      (func (export "xor3_acc_plain") (param $a i64) (param $b i64) (param $c i64) (result i64) (local $t i64)
        (local.set $t (i64.xor (i64.rotl (local.get $a) (i64.const 3)) (local.get $b)))
        (i64.xor (local.get $t) (local.get $c)))
      (func (export "chain_plain") (param $a i64) (param $b i64) (param $c i64) (result i64) (local $t i64) (local $u i64)
        (local.set $t (i64.xor (local.get $a) (local.get $b)))
        (local.set $t (i64.xor (local.get $t) (local.get $c)))
        (local.set $t (i64.xor (local.get $t) (local.get $b)))
        (local.set $u (i64.xor (local.get $c) (i64.const -1)))
        (local.set $u (i64.and (local.get $a) (local.get $u)))
        (i64.xor (local.get $t) (local.get $u))))"#;
    let (mut store, inst) = instantiate(wat);
    let vals = [0i64, 1, -1, 0x0123_4567_89ab_cdef, i64::MIN, 0x5555_5555_5555_5555, -0x1234_5678];
    for a in vals {
        for b in vals {
            for c in vals {
                for name in ["andn_xor", "andn_xor_acc", "xor3", "xor3_acc", "chain"] {
                    let args = [Val::I64(a), Val::I64(b), Val::I64(c)];
                    assert_eq!(
                        call_val(&mut store, &inst, name, &args),
                        call_val(&mut store, &inst, &format!("{name}_plain"), &args),
                        "{name} {a:#x} {b:#x} {c:#x}"
                    );
                }
            }
        }
    }
}

/// The three-way compare `(a > b) - (a < b)` (`handlers::CMP3`), signed and
/// unsigned, `i32` and `i64`, as a value used further and as the function's
/// result (the `_ret` form), against the same compares kept in locals.
#[test]
fn three_way_compare_matches_the_plain_compares() {
    for (ty, s) in [("i32", "s"), ("i32", "u"), ("i64", "s"), ("i64", "u")] {
        let wat = format!(
            r#"(module
              (func (export "val") (param $a {ty}) (param $b {ty}) (result i32)
                (i32.add (i32.mul (i32.sub ({ty}.gt_{s} (local.get $a) (local.get $b)) ({ty}.lt_{s} (local.get $a) (local.get $b))) (i32.const 10)) (i32.const 5)))
              (func (export "ret") (param $a {ty}) (param $b {ty}) (result i32)
                (i32.sub ({ty}.gt_{s} (local.get $a) (local.get $b)) ({ty}.lt_{s} (local.get $a) (local.get $b))))
              (func (export "plain") (param $a {ty}) (param $b {ty}) (result i32) (local $g i32) (local $l i32)
                (local.set $g ({ty}.gt_{s} (local.get $a) (local.get $b)))
                (local.set $l ({ty}.lt_{s} (local.get $a) (local.get $b)))
                (i32.sub (local.get $g) (local.get $l))))"#
        );
        let (mut store, inst) = instantiate(&wat);
        let vals: [i64; 7] = [0, 1, -1, i32::MAX as i64, i32::MIN as i64, i64::MAX, i64::MIN];
        let v = |x: i64| if ty == "i32" { Val::I32(x as i32) } else { Val::I64(x) };
        for a in vals {
            for b in vals {
                let args = [v(a), v(b)];
                let want = call(&mut store, &inst, "plain", &args);
                assert!((-1..=1).contains(&want));
                assert_eq!(call(&mut store, &inst, "ret", &args), want, "{ty} {s} ret {a} {b}");
                assert_eq!(call(&mut store, &inst, "val", &args), want * 10 + 5, "{ty} {s} val {a} {b}");
            }
        }
    }
}

/// `*p = *p - a * b` on `f64` (`f64_mul_rsub_rmw`: the load, the multiply-
/// subtract and the store back in one handler) against the same steps with
/// the product kept in a local, including NaN and infinite operands, and
/// addresses past the end of memory (one trap, before anything is written).
/// The second store's address is computed again for it (a folded add, not
/// the load's slot): that one stays unfused and must agree as well.
#[test]
fn f64_mul_rsub_rmw_matches_the_plain_steps() {
    let wat = r#"(module (memory 1)
      (func (export "set") (param $p i32) (param $v f64) (f64.store (local.get $p) (local.get $v)))
      (func (export "get") (param $p i32) (result f64) (f64.load (local.get $p)))
      (func (export "fused") (param $p i32) (param $a f64) (param $b f64)
        (f64.store offset=8 (local.get $p) (f64.sub (f64.load offset=8 (local.get $p)) (f64.mul (local.get $a) (local.get $b))))
        (f64.store (i32.add (local.get $p) (i32.const 16))
          (f64.sub (f64.load (i32.add (local.get $p) (i32.const 16))) (f64.mul (local.get $b) (local.get $a)))))
      (func (export "plain") (param $p i32) (param $a f64) (param $b f64) (local $m f64)
        (local.set $m (f64.mul (local.get $a) (local.get $b)))
        (f64.store offset=8 (local.get $p) (f64.sub (f64.load offset=8 (local.get $p)) (local.get $m)))
        (local.set $m (f64.mul (local.get $b) (local.get $a)))
        (f64.store (i32.add (local.get $p) (i32.const 16)) (f64.sub (f64.load (i32.add (local.get $p) (i32.const 16))) (local.get $m)))))"#;
    let (mut store, inst) = instantiate(wat);
    let f = |store: &mut Store<()>, name: &str, args: &[Val]| try_call(store, &inst, name, args);
    let vals = [0.0, -0.0, 1.5, -3.25, f64::INFINITY, f64::NAN, 1e308, f64::MIN_POSITIVE];
    for p in [0i32, 64, 65_520, 65_530, -8] {
        for x in vals {
            for a in vals {
                for b in [2.0, f64::NAN, -0.5] {
                    let mut results = Vec::new();
                    for name in ["fused", "plain"] {
                        for k in [8, 16] {
                            let _ = f(&mut store, "set", &[Val::I32(p.wrapping_add(k)), Val::F64(x.to_bits())]);
                        }
                        let r = f(&mut store, name, &[Val::I32(p), Val::F64(a.to_bits()), Val::F64(b.to_bits())]);
                        let got = [8, 16].map(|k| {
                            f(&mut store, "get", &[Val::I32(p.wrapping_add(k))])
                                .map(|v| v.and_then(|v| v.f64()).map(f64::to_bits))
                        });
                        results.push((r.map(|_| ()), got));
                    }
                    assert_eq!(results[0], results[1], "p={p} x={x} a={a} b={b}");
                }
            }
        }
    }
}

/// The hash-chain step of an LZ77 compressor: `cur = prev[cur]` (stop at 0),
/// stop if `(pos - cur) & 0xffff > max`, then `cur &= 0x7fff` and compare
/// the window's `u16` at `win + cur` with `want`. The masked-distance branch
/// passes the accumulator (`cur`, the value the load's test left there) on
/// to the mask, which reads `cur` from it (`i32_and_ai_add`). `label` puts a
/// block end between the load's test and the distance check, reached also by
/// a branch that skips the load: there the accumulator holds something else,
/// and the mask must read `cur` from its slot. Each step sits in a plain
/// block, as the compiled loop has it. Results, the distance written on the
/// way and the traps of loads past the memory's end must match a model.
#[test]
fn hash_chain_step_passes_cur_through_the_distance_check() {
    let step = |label: bool| {
        let load = "(br_if $none (i32.eqz (local.tee $cur (i32.load16_u (i32.shl (local.get $cur) (i32.const 1))))))";
        let load = if label {
            format!("(block $join (br_if $join (i32.and (local.get $skip) (local.get $n))) {load})")
        } else {
            load.to_string()
        };
        format!(
            r#"(block $s
                 {load}
                 (block $t
                   (br_if $none (i32.gt_u (local.tee $d (i32.and (i32.sub (local.get $pos) (local.get $cur)) (i32.const 0xffff)))
                                          (local.get $max)))
                   (br_if $found (i32.eq (i32.load16_u (i32.add (local.tee $cur (i32.and (local.get $cur) (i32.const 0x7fff)))
                                                                (local.get $win)))
                                         (local.get $want)))))"#
        )
    };
    let func = |name: &str, label: bool| {
        format!(
            r#"(func (export "{name}") (param $cur i32) (param $pos i32) (param $max i32) (param $want i32) (param $win i32)
                 (param $skip i32) (param $n i32) (result i32) (local $d i32)
                 (block $none
                   (block $found
                     (loop $next
                       {s1} {s2}
                       (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
                     (return (i32.const -1)))
                   (return (i32.add (local.get $cur) (i32.shl (local.get $d) (i32.const 16)))))
                 (i32.sub (i32.const -2) (local.get $d)))"#,
            s1 = step(label),
            s2 = step(label),
        )
    };
    let wat = format!("(module (memory (export \"mem\") 2) {} {})", func("chain", false), func("label", true));
    let (mut store, inst) = instantiate(&wat);
    let memory = inst.get_memory(&store, "mem").expect("mem");
    // A chain through small values (so it revisits entries), with zeros to
    // stop it; the window's loads go past the memory's end for large `win`.
    let mut bytes = vec![0u8; 2 * 65536];
    let mut x = 0x2545_f491_u32;
    for k in 0..bytes.len() / 2 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let v: u16 = match x % 64 {
            0 => 0,
            1 => 0xffff,
            2..=40 => (x >> 8) as u16 % 48,
            _ => (x >> 8) as u16,
        };
        bytes[2 * k..2 * k + 2].copy_from_slice(&v.to_le_bytes());
    }
    memory.write(&mut store, 0, &bytes).expect("write");
    let u16_at = |a: u32| -> Option<u32> {
        let a = a as usize;
        (a + 2 <= bytes.len()).then(|| u16::from_le_bytes([bytes[a], bytes[a + 1]]) as u32)
    };
    // `Err(())`: out of bounds. `skip` (label) skips the load on odd rounds.
    let model = |label: bool, mut cur: u32, pos: u32, max: u32, want: u32, win: u32, skip: u32, mut n: u32| {
        let mut d = 0u32;
        loop {
            for _ in 0..2 {
                if !(label && skip & n != 0) {
                    cur = u16_at(cur << 1).ok_or(())?;
                    if cur == 0 {
                        return Ok((-2i32).wrapping_sub(d as i32));
                    }
                }
                d = pos.wrapping_sub(cur) & 0xffff;
                if d > max {
                    return Ok((-2i32).wrapping_sub(d as i32));
                }
                cur &= 0x7fff;
                if u16_at(win.wrapping_add(cur)).ok_or(())? == want {
                    return Ok(cur.wrapping_add(d << 16) as i32);
                }
            }
            n = n.wrapping_sub(1);
            if n == 0 {
                return Ok(-1);
            }
        }
    };
    let mut cases = 0;
    for cur in [1u32, 7, 33, 0x7fff, 0x8001, 0xffff] {
        for pos in [0u32, 40, 0x1_0005, u32::MAX] {
            for max in [0u32, 30, 0xffff] {
                for want in [0u32, 5, 17] {
                    for win in [0u32, 0x1_8000, 0x1_ffff, u32::MAX - 3] {
                        for (skip, n) in [(0u32, 1u32), (0, 9), (1, 9), (2, 6)] {
                            let args = [cur, pos, max, want, win, skip, n].map(|v| Val::I32(v as i32));
                            for (name, label) in [("chain", false), ("label", true)] {
                                let got = try_call(&mut store, &inst, name, &args)
                                    .map(|v| v.and_then(|v| v.i32()).expect("an i32"))
                                    .map_err(|_| ());
                                let want = model(label, cur, pos, max, want, win, skip, n);
                                assert_eq!(
                                    got, want,
                                    "{name} cur={cur} pos={pos} max={max} win={win} skip={skip} n={n}"
                                );
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(cases > 1000);
}

/// The list reversal of `handlers::list_reverse_loop`: `while l != 0 { c =
/// l; l = c->next; c->next = r; r = c }`, with the `next` field read and
/// written at the same offset (`rev`) or at two (`rev2`: read at 4, written
/// at 8), against a model of the memory. Lists end at 0, or run into an
/// address whose load or store is past the memory's end (a trap, with the
/// stores before it done); `rev` cuts a cycle by reversing it.
#[test]
fn list_reversal_loop_matches_a_model() {
    let func = |name: &str, k1: u32, k2: u32| {
        format!(
            r#"(func (export "{name}") (param $l i32) (param $r i32) (result i32) (local $c i32)
                 (block $done
                   (br_if $done (i32.eqz (local.get $l)))
                   (loop $next
                     (local.set $c (local.get $l))
                     (local.set $l (i32.load offset={k1} (local.get $c)))
                     (i32.store offset={k2} (local.get $c) (local.get $r))
                     (local.set $r (local.get $c))
                     (br_if $next (local.get $l))))
                 (i32.add (local.get $r) (i32.mul (local.get $c) (i32.const 1000))))"#
        )
    };
    let wat = format!("(module (memory (export \"mem\") 1) {} {})", func("rev", 4, 4), func("rev2", 4, 8));
    let (mut store, inst) = instantiate(&wat);
    let memory = inst.get_memory(&store, "mem").expect("mem");
    let size = 65536usize;
    let read32 = |m: &[u8], a: u32| -> Option<u32> {
        let a = a as usize;
        (a + 4 <= m.len()).then(|| u32::from_le_bytes(m[a..a + 4].try_into().unwrap()))
    };
    // Nodes every 16 bytes; `links` lists (node, next) pairs written at +4.
    let lists: [&[(u32, u32)]; 5] = [
        &[(16, 48), (48, 32), (32, 0)],
        &[(64, 0)],
        &[(80, 96), (96, 80)],
        &[(112, 65_528), (65_528, 0)],
        &[(128, 65_533), (144, 0)],
    ];
    for (name, k1, k2) in [("rev", 4u32, 4u32), ("rev2", 4, 8)] {
        // `rev2` does not cut a cycle (it writes another field).
        for links in lists.into_iter().filter(|l| k1 == k2 || l[0].0 != 80) {
            for r0 in [0u32, 7] {
                let mut mem = vec![0u8; size];
                for &(node, next) in links {
                    if node as usize + 8 <= size {
                        mem[node as usize + 4..node as usize + 8].copy_from_slice(&next.to_le_bytes());
                    }
                }
                memory.write(&mut store, 0, &mem).expect("write");
                // The model: the same steps on `mem`, stopping at a trap.
                let (mut l, mut r) = (links[0].0, r0);
                let want = loop {
                    let c = l;
                    let Some(next) = read32(&mem, c.wrapping_add(k1)) else { break Err(()) };
                    l = next;
                    let at = c.wrapping_add(k2) as usize;
                    if at + 4 > size {
                        break Err(());
                    }
                    mem[at..at + 4].copy_from_slice(&r.to_le_bytes());
                    r = c;
                    if l == 0 {
                        break Ok(r.wrapping_add(c.wrapping_mul(1000)) as i32);
                    }
                };
                let args = [Val::I32(links[0].0 as i32), Val::I32(r0 as i32)];
                let got = try_call(&mut store, &inst, name, &args).map(|v| v.and_then(|v| v.i32()).expect("i32"));
                assert_eq!(got.map_err(|_| ()), want, "{name} {links:?} {r0}");
                let mut after = vec![0u8; size];
                memory.read(&store, 0, &mut after).expect("read");
                assert!(after == mem, "{name} {links:?} {r0}: memory differs");
            }
        }
    }
}

/// The list search of `handlers::list_find_loop!`: `while a != 0 { if
/// a->info->field == y & mask { found } a = a->next }`, with the field a
/// `u8`, `i8`, `u16` or `i16`, the field in a temporary or a local (the
/// compare's two forms), and (not fused) the key computed first, against a
/// model: the node found (or -1 at the end), and the traps of a `next` or
/// `info` pointer past the memory's end.
#[test]
fn list_find_loop_matches_a_model() {
    let loads = [
        ("u8", "i32.load8_u", 0xffu32),
        ("s8", "i32.load8_s", 0xff),
        ("u16", "i32.load16_u", 0xffff),
        ("s16", "i32.load16_s", 0xffff),
    ];
    let funcs: String = loads
        .iter()
        .map(|(name, load, mask)| {
            format!(
                r#"(func (export "{name}") (param $a i32) (param $y i32) (result i32)
                     (block $found
                       (loop $next
                         (br_if $found (i32.eq ({load} offset=2 (i32.load offset=8 (local.get $a)))
                                               (i32.and (local.get $y) (i32.const {mask}))))
                         (br_if $next (local.tee $a (i32.load offset=4 (local.get $a)))))
                       (return (i32.const -1)))
                     (local.get $a))
                   (func (export "{name}_local") (param $a i32) (param $y i32) (result i32) (local $v i32)
                     (block $found
                       (loop $next
                         (local.set $v ({load} offset=2 (i32.load offset=8 (local.get $a))))
                         (br_if $found (i32.eq (i32.and (local.get $y) (i32.const {mask})) (local.get $v)))
                         (br_if $next (local.tee $a (i32.load offset=4 (local.get $a)))))
                       (return (i32.const -1)))
                     (local.get $a))
                   (func (export "{name}_swapped") (param $a i32) (param $y i32) (result i32)
                     (block $found
                       (loop $next
                         (br_if $found (i32.eq (i32.and (local.get $y) (i32.const {mask}))
                                               ({load} offset=2 (i32.load offset=8 (local.get $a)))))
                         (br_if $next (local.tee $a (i32.load offset=4 (local.get $a)))))
                       (return (i32.const -1)))
                     (local.get $a))"#
            )
        })
        .collect();
    let (mut store, inst) = instantiate(&format!("(module (memory (export \"mem\") 1) {funcs})"));
    let memory = inst.get_memory(&store, "mem").expect("mem");
    let size = 65536usize;
    let mut mem = vec![0u8; size];
    let put = |mem: &mut Vec<u8>, at: usize, v: u32| mem[at..at + 4].copy_from_slice(&v.to_le_bytes());
    // Nodes at 64 * k: next at +4, info at +8; info blocks at 4096 + 16 * k
    // hold the field at +2 (bytes 0x80 + k, so signed loads see negatives).
    for k in 1..20u32 {
        let node = 64 * k as usize;
        put(&mut mem, node + 4, if k < 19 { 64 * (k + 1) } else { 0 });
        put(&mut mem, node + 8, 4096 + 16 * k);
        let info = 4096 + 16 * k as usize;
        mem[info + 2] = 0x80u8.wrapping_add(k as u8);
        mem[info + 3] = 0x7f;
    }
    // A node whose info pointer is past the end, and one whose next is.
    put(&mut mem, 64 * 30 + 8, 65_535);
    put(&mut mem, 64 * 31 + 4, 65_534);
    put(&mut mem, 64 * 31 + 8, 4096 + 16);
    memory.write(&mut store, 0, &mem).expect("write");
    let read = |a: u32, n: usize| -> Option<u32> {
        let a = a as usize;
        (a + n <= size).then(|| (0..n).map(|i| (mem[a + i] as u32) << (8 * i)).sum())
    };
    for (name, _, mask) in loads {
        let field = |p: u32| -> Option<u32> {
            let v = read(p.wrapping_add(2), if name.ends_with('8') { 1 } else { 2 })?;
            Some(match name {
                "s8" => v as u8 as i8 as i32 as u32,
                "s16" => v as u16 as i16 as i32 as u32,
                _ => v,
            })
        };
        let model = |mut a: u32, y: u32| -> Result<i32, ()> {
            loop {
                let info = read(a.wrapping_add(8), 4).ok_or(())?;
                if field(info).ok_or(())? == y & mask {
                    return Ok(a as i32);
                }
                a = read(a.wrapping_add(4), 4).ok_or(())?;
                if a == 0 {
                    return Ok(-1);
                }
            }
        };
        for start in [64u32, 64 * 7, 64 * 19, 64 * 30, 64 * 31] {
            for y in [0u32, 0x85, 0x7f85, 0xffff_ff85, 0xffff_7f85, 0x93, 0x12_3481, 0xffff_ffff] {
                let args = [Val::I32(start as i32), Val::I32(y as i32)];
                let want = model(start, y);
                for f in [name.to_string(), format!("{name}_local"), format!("{name}_swapped")] {
                    let got = try_call(&mut store, &inst, &f, &args).map(|v| v.and_then(|v| v.i32()).expect("i32"));
                    assert_eq!(got.map_err(|_| ()), want, "{f} start={start} y={y:#x}");
                }
            }
        }
    }
}

/// A chain walk as LZ77 match finders write it, two probes per iteration:
/// `cur = link[cur]` (`link` a load of type `link` scaled by `shift`), stop
/// at 0; `cur &= 0x7ff`; found if `probe(win + cur - 1) <op> x`. The second
/// probe's link load reads `cur` from the accumulator, which the masking add
/// and the probe's load-branch pass on (`Translator::keep_local`).
fn chain_walk_module(link: &str, shift: u32, probe: &str, op: &str) -> String {
    let step = format!(
        "(br_if $end (i32.eqz (local.tee $cur ({link} (i32.add (local.get $base) (i32.shl (local.get $cur) (i32.const {shift})))))))
         (br_if $found ({op} ({probe} (i32.sub (i32.add (local.get $win) (local.tee $cur (i32.and (local.get $cur) (i32.const 0x7ff)))) (i32.const 1))) (local.get $x)))"
    );
    format!(
        r#"(module
      (memory (export "mem") 1)
      (func (export "set") (param $a i32) (param $v i32) (i32.store8 (local.get $a) (local.get $v)))
      (func (export "walk") (param $cur i32) (param $x i32) (param $n i32) (param $win i32) (result i32) (local $base i32)
        (local.set $base (i32.const 8))
        (block $found
          (block $end
            (loop $l
              {step}
              {step}
              (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
            (return (i32.const -2)))
          (return (i32.sub (i32.const -1) (local.get $n))))
        (i32.add (local.get $cur) (i32.shl (local.get $n) (i32.const 16)))))"#
    )
}

#[test]
fn chain_walks_passing_the_masked_link_on_match_the_separate_operations() {
    let mut bytes = vec![0u8; 65536];
    let mut seed = 0x2545_f491_u32;
    for b in bytes.iter_mut().take(0x4000) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        // Mostly small values, so probes match now and then and links end.
        *b = if seed % 7 == 0 { 0 } else { (seed >> 8) as u8 & 0x0f };
    }
    let rd = |a: u64, w: u64| -> Option<u32> {
        (a + w <= 65536).then(|| (0..w).map(|i| (bytes[(a + i) as usize] as u32) << (8 * i)).sum())
    };
    for (link, lw, shift) in [("i32.load16_u", 2u64, 1u32), ("i32.load", 4, 2)] {
        for (probe, pw) in [("i32.load8_u", 1u64), ("i32.load16_u", 2), ("i32.load", 4)] {
            for (op, eq) in [("i32.eq", true), ("i32.ne", false)] {
                let (mut store, inst) = instantiate(&chain_walk_module(link, shift, probe, op));
                let set = inst.get_func(&store, "set").expect("set");
                for (a, &b) in bytes.iter().enumerate().take(0x4000) {
                    set.call(&mut store, &[Val::I32(a as i32), Val::I32(b as i32)], &mut []).expect("set");
                }
                let model = |cur0: u32, x: u32, n0: u32, win: u32| -> Option<i32> {
                    let (mut cur, mut n) = (cur0, n0);
                    loop {
                        for _ in 0..2 {
                            cur = rd(8u32.wrapping_add(cur << shift) as u64, lw)?;
                            if cur == 0 {
                                return Some((-1i32).wrapping_sub(n as i32));
                            }
                            cur &= 0x7ff;
                            let v = rd(win.wrapping_add(cur).wrapping_sub(1) as u64, pw)?;
                            if (v == x) == eq {
                                return Some(cur.wrapping_add(n << 16) as i32);
                            }
                        }
                        n = n.wrapping_sub(1);
                        if n == 0 {
                            return Some(-2);
                        }
                    }
                };
                for cur in [1u32, 2, 5, 77, 0x3ff, 0x7fe] {
                    for x in [0u32, 3, 0x0a0b, 0x0f0e0d0c] {
                        for n in [1u32, 2, 9] {
                            // `win` 0 wraps to 0xffff_ffff when `cur` masks to 0;
                            // 65530 runs off the end of memory.
                            for win in [0u32, 1, 0x2000, 65530] {
                                let args = [
                                    Val::I32(cur as i32),
                                    Val::I32(x as i32),
                                    Val::I32(n as i32),
                                    Val::I32(win as i32),
                                ];
                                let what = format!("{link} {probe} {op} {cur} {x} {n} {win}");
                                match model(cur, x, n, win) {
                                    Some(want) => assert_eq!(call(&mut store, &inst, "walk", &args), want, "{what}"),
                                    None => assert_oob(&mut store, &inst, "walk", &args),
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn two_bit_fields_of_one_value_match_the_separate_operations() {
    // `(a >> 2) & 15` right after `(a >> 5) & 127` of the same value is one
    // handler (`i32_shr_u_and2`, `_a` when the value is in the accumulator);
    // not when the first field is written over the value itself.
    let wat = r#"(module
      (func (export "slot") (param $a i32) (param $b i32) (result i32)
        (i32.mul (i32.and (i32.shr_u (local.get $a) (i32.const 2)) (i32.const 15))
                 (i32.and (i32.shr_u (local.get $a) (i32.const 5)) (i32.const 127))))
      (func (export "acc") (param $a i32) (param $b i32) (result i32) (local $t i32)
        (local.set $t (i32.mul (local.get $a) (local.get $b)))
        (i32.sub (i32.and (i32.shr_u (local.get $t) (i32.const 31)) (i32.const 1))
                 (i32.and (i32.shr_u (local.get $t) (i32.const 0)) (i32.const 0xffff))))
      (func (export "over") (param $a i32) (param $b i32) (result i32)
        (local.set $a (i32.and (i32.shr_u (local.get $a) (i32.const 4)) (i32.const 0xff)))
        (i32.add (i32.and (i32.shr_u (local.get $a) (i32.const 1)) (i32.const 7)) (local.get $a))))"#;
    let (mut store, inst) = instantiate(wat);
    for a in [0u32, 1, 0x7f, 0x1234_5678, 0x8000_0000, u32::MAX] {
        for b in [1u32, 3, 0xffff] {
            let args = [Val::I32(a as i32), Val::I32(b as i32)];
            let t = a.wrapping_mul(b);
            let o = (a >> 4) & 0xff;
            let cases = [
                ("slot", ((a >> 2) & 15) * ((a >> 5) & 127)),
                ("acc", ((t >> 31) & 1).wrapping_sub(t & 0xffff)),
                ("over", ((o >> 1) & 7) + o),
            ];
            for (name, want) in cases {
                assert_eq!(call(&mut store, &inst, name, &args) as u32, want, "{name} {a} {b}");
            }
        }
    }
}

/// Memory for the scan-loop tests: text with spaces, tabs, newlines,
/// letters of both cases, digits and punctuation.
fn scan_text() -> Vec<u8> {
    let mut text = b"Alice was beginning\tto get very tired of sitting by her sister on the bank,\nand of having nothing to do: once or twice...  ZZ top 42!\r\n".to_vec();
    text.resize(256, b'q');
    text
}

#[test]
fn set_member_scan_loops_match_the_separate_instructions() {
    // `while !matches!(s[i], b'\t' | b'\n' | b'\r' | b' ') { i += 1; if i == lim { break } }`
    // as rustc emits it: one native loop (`handlers::inset_loop!`), with the
    // limit in a slot or a constant and the test negated; it leaves as the
    // instructions would, also on a trap part-way.
    let func = |name: &str, negate: bool, lim: &str| {
        let test = if negate { "i32.eqz" } else { "" };
        format!(
            r#"(func (export "{name}") (param $base i32) (param $i i32) (param $lim i32) (result i32) (local $r i32)
              (block $found
                (loop $l
                  local.get $i local.get $base i32.add i32.load8_u i32.const 9 i32.sub local.tee $r
                  i32.const 23 i32.le_u i32.const 0 i32.const 1 local.get $r i32.shl i32.const 8388635 i32.and select
                  {test}
                  br_if $found
                  {lim} local.get $i i32.const 1 i32.add local.tee $i i32.ne br_if $l)
                (return (i32.add (i32.mul (local.get $i) (i32.const 1000)) (i32.const 999))))
              (i32.add (i32.mul (local.get $i) (i32.const 1000)) (local.get $r)))"#
        )
    };
    let wat = format!(
        r#"(module (memory (export "mem") 1) {} {} {} {})"#,
        func("in_s", false, "local.get $lim"),
        func("in_i", false, "i32.const 200"),
        func("out_s", true, "local.get $lim"),
        func("out_i", true, "i32.const 200")
    );
    let (mut store, inst) = instantiate(&wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let text = scan_text();
    mem.data_mut(&mut store)[..256].copy_from_slice(&text);
    mem.data_mut(&mut store)[65_530..].copy_from_slice(b"abcdef");
    let byte = |a: u32| -> Option<u32> { (a < 65_536).then(|| mem_byte(&text, a)) };
    fn mem_byte(text: &[u8], a: u32) -> u32 {
        match a {
            0..=255 => text[a as usize] as u32,
            65_530..=65_535 => b"abcdef"[(a - 65_530) as usize] as u32,
            _ => 0,
        }
    }
    let in_set = |r: u32| r <= 23 && (1u32 << r) & 8_388_635 != 0;
    for (name, negate, fixed_lim) in
        [("in_s", false, None), ("in_i", false, Some(200u32)), ("out_s", true, None), ("out_i", true, Some(200))]
    {
        for base in [0u32, 3, 100, 65_530, 0xffff_fff0] {
            for i0 in [0u32, 1, 5, 17, 199] {
                for lim in [0u32, 2, 6, 40, 200] {
                    let lim = fixed_lim.unwrap_or(lim);
                    let model = || -> Option<u32> {
                        let mut i = i0;
                        loop {
                            let r = byte(base.wrapping_add(i))?.wrapping_sub(9);
                            if in_set(r) != negate {
                                return Some(i.wrapping_mul(1000).wrapping_add(r));
                            }
                            i = i.wrapping_add(1);
                            if i == lim {
                                return Some(i.wrapping_mul(1000).wrapping_add(999));
                            }
                        }
                    };
                    let args = [Val::I32(base as i32), Val::I32(i0 as i32), Val::I32(lim as i32)];
                    assert_call_or_oob(&mut store, &inst, name, &args, model(), &format!("{name} {base} {i0} {lim}"));
                }
            }
        }
    }
}

#[test]
fn character_class_scan_loops_match_the_separate_instructions() {
    // `while i != lim { c = s[i]; i += 1; if (c & 0xdf) - b'A' < 26 { continue } break }`
    // (a word counter's scan over letters) as one native loop
    // (`handlers::class_loop!`), with `<` and `<=`, the limit on either side.
    let func = |name: &str, cmp: &str, n: u32, eq: &str| {
        format!(
            r#"(func (export "{name}") (param $base i32) (param $i i32) (param $lim i32) (result i32)
              (block $end
                (loop $l
                  {eq} br_if $end
                  local.get $i local.get $base i32.add
                  local.get $i i32.const 1 i32.add local.set $i
                  i32.load8_u i32.const 223 i32.and i32.const 65 i32.sub i32.const 255 i32.and i32.const {n} {cmp}
                  br_if $l)
                (return (i32.add (i32.mul (local.get $i) (i32.const 1000)) (i32.const 1))))
              (i32.mul (local.get $i) (i32.const 1000)))"#
        )
    };
    let (il, li) = ("local.get $i local.get $lim i32.eq", "local.get $lim local.get $i i32.eq");
    let wat = format!(
        r#"(module (memory (export "mem") 1) {} {} {})"#,
        func("lt", "i32.lt_u", 26, il),
        func("le", "i32.le_u", 25, li),
        func("lt_few", "i32.lt_u", 3, il)
    );
    let (mut store, inst) = instantiate(&wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let text = scan_text();
    mem.data_mut(&mut store)[..256].copy_from_slice(&text);
    mem.data_mut(&mut store)[65_530..].copy_from_slice(b"abcdef");
    let byte = |a: u32| -> Option<u32> {
        match a {
            0..=255 => Some(text[a as usize] as u32),
            65_530..=65_535 => Some(b"abcdef"[(a - 65_530) as usize] as u32),
            256..=65_529 => Some(0),
            _ => None,
        }
    };
    for (name, n) in [("lt", 26u32), ("le", 26), ("lt_few", 3)] {
        for base in [0u32, 2, 6, 65_530, 0xffff_fff0] {
            for i0 in [0u32, 1, 9, 16, 250] {
                for lim in [0u32, 1, 12, 20, 300] {
                    let model = || -> Option<u32> {
                        let mut i = i0;
                        loop {
                            if i == lim {
                                return Some(i.wrapping_mul(1000));
                            }
                            let c = byte(base.wrapping_add(i))?;
                            i = i.wrapping_add(1);
                            if ((c & 0xdf).wrapping_sub(65) & 255) >= n {
                                return Some(i.wrapping_mul(1000).wrapping_add(1));
                            }
                        }
                    };
                    let args = [Val::I32(base as i32), Val::I32(i0 as i32), Val::I32(lim as i32)];
                    assert_call_or_oob(&mut store, &inst, name, &args, model(), &format!("{name} {base} {i0} {lim}"));
                }
            }
        }
    }
}

#[test]
fn inclusive_byte_range_loops_skipping_equal_bytes_match_the_separate_instructions() {
    // `for b in i..=255 { if table[b] != x { hits = ...; x = table[b] } }` as
    // rustc emits `RangeInclusive` (an `exhausted` flag through a select):
    // the rounds that skip the body run as one native loop
    // (`handlers::range_skip_loop`), leaving to the body, at 255 and at the end.
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "range") (param $i i32) (param $x i32) (param $base i32) (result i32)
        (local $c i32) (local $e i32) (local $hits i32)
        (block $out
          (loop $l
            (if (i32.ne (local.tee $c (i32.load8_u (i32.add (local.get $i) (local.get $base))))
                        (i32.and (local.get $x) (i32.const 255)))
              (then
                (local.set $hits (i32.add (i32.mul (local.get $hits) (i32.const 31)) (i32.add (local.get $c) (local.get $i))))
                (local.set $x (local.get $c))))
            (br_if $out (local.tee $e (i32.eq (local.get $i) (i32.const 255))))
            (br_if $l (i32.le_u (local.tee $i (select (i32.const 255) (i32.add (local.get $i) (i32.const 1)) (local.get $e)))
                                (i32.const 255)))))
        (i32.add (i32.mul (local.get $hits) (i32.const 1000)) (local.get $i))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    // Runs of equal bytes, so rounds both skip and run the body.
    let bytes: Vec<u8> = (0..300u32).map(|k| ((k / 7) * 13 % 5) as u8).collect();
    mem.data_mut(&mut store)[..300].copy_from_slice(&bytes);
    mem.data_mut(&mut store)[65_400..65_450].fill(3);
    let byte = |a: u32| -> Option<u32> {
        match a {
            0..=299 => Some(bytes[a as usize] as u32),
            65_400..=65_449 => Some(3),
            300..=65_535 => Some(0),
            _ => None,
        }
    };
    for i0 in [0u32, 1, 200, 250, 255, 256, 300] {
        for x in [0u32, 3, 0x104, 0xffff_ff02] {
            for base in [0u32, 40, 65_300, 65_400, 65_500, 0xffff_ff80] {
                let model = || -> Option<u32> {
                    let (mut i, mut x, mut hits) = (i0, x, 0u32);
                    loop {
                        let c = byte(i.wrapping_add(base))?;
                        if c != x & 255 {
                            hits = hits.wrapping_mul(31).wrapping_add(c.wrapping_add(i));
                            x = c;
                        }
                        if i == 255 {
                            break;
                        }
                        i += 1;
                        if i > 255 {
                            break;
                        }
                    }
                    Some(hits.wrapping_mul(1000).wrapping_add(i))
                };
                let args = [Val::I32(i0 as i32), Val::I32(x as i32), Val::I32(base as i32)];
                assert_call_or_oob(&mut store, &inst, "range", &args, model(), &format!("{i0} {x} {base}"));
            }
        }
    }
}

#[test]
fn bit_serial_crc_steps_match_the_separate_instructions() {
    // `s = (crc >> 1) & 0x7fff; crc = ((d >> k) ^ crc) & 1 ? s ^ poly : s`,
    // eight times, as LLVM emits CoreMark's `crcu8`: one handler per step
    // (`handlers::crc_step!`, the first reading `crc` from its slot, the
    // others from the accumulator).
    let step = |k: u32| {
        format!(
            "(local.set $crc (select (i32.xor (local.tee $s (i32.and (i32.shr_u (local.get $crc) (i32.const 1)) (i32.const 32767))) (i32.const -24575))
                                     (local.get $s)
                                     (i32.and (i32.xor (i32.shr_u (local.get $d) (i32.const {k})) (local.get $crc)) (i32.const 1))))"
        )
    };
    let steps: Vec<String> = (1..=8).map(step).collect();
    let wat = format!(
        r#"(module (func (export "crc") (param $d i32) (param $crc i32) (result i32) (local $s i32)
             {}
             (i32.add (i32.mul (local.get $crc) (i32.const 65599)) (local.get $s))))"#,
        steps.join("\n")
    );
    let (mut store, inst) = instantiate(&wat);
    for d in [0u32, 1, 0x5a, 0xff, 0x1234, u32::MAX] {
        for crc0 in [0u32, 1, 0xffff, 0x8001, 0x1_2345, u32::MAX] {
            let (mut crc, mut s) = (crc0, 0u32);
            for k in 1..=8 {
                s = (crc >> 1) & 0x7fff;
                crc = if ((d >> k) ^ crc) & 1 != 0 { s ^ 0xffff_a001 } else { s };
            }
            let want = crc.wrapping_mul(65599).wrapping_add(s);
            let args = [Val::I32(d as i32), Val::I32(crc0 as i32)];
            assert_eq!(call(&mut store, &inst, "crc", &args) as u32, want, "{d} {crc0}");
        }
    }
}

#[test]
fn table_driven_automaton_loops_match_the_separate_instructions() {
    // A regex DFA's search loop as rustc emits regex-automata's: `state =
    // trans[state + class[s[i]]]` with the transition table's bound checked,
    // leaving on a special state (`<= max`), at `end`, and at `lim`; one
    // native loop (`handlers::dfa_loop`). Header at 0: the table at +4, its
    // length at +8, `max` at +328; classes at 2048, the table at 4096.
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "dfa") (param $i i32) (param $st i32) (param $end i32) (param $lim i32) (param $s i32) (result i32)
        (local $d i32) (local $tbl i32) (local $idx i32) (local $n i32)
        (local.set $tbl (i32.const 2048))
        (block $special
          (block $panic
            (loop $l
              (block $latch
                (if (i32.ne (local.get $i) (local.get $end))
                  (then
                    (if (i32.lt_u
                          (local.tee $idx (i32.add (local.get $st)
                            (i32.load8_u (i32.add (local.get $tbl) (i32.load8_u (i32.add (local.get $i) (local.get $s)))))))
                          (local.tee $n (i32.load offset=8 (local.get $d))))
                      (then
                        (br_if $latch (i32.gt_u
                          (local.tee $st (i32.load (i32.add (i32.load offset=4 (local.get $d)) (i32.shl (local.get $idx) (i32.const 2)))))
                          (i32.load offset=328 (local.get $d))))
                        (br $special)))
                    (br $panic)))
                (return (i32.add (i32.mul (local.get $st) (i32.const 0x10000)) (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 1)))))
              (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $lim))))
            (return (i32.add (i32.mul (local.get $st) (i32.const 0x10000)) (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)))))
          (return (i32.add (i32.mul (local.get $n) (i32.const 0x10000)) (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 2)))))
        (i32.add (i32.mul (local.get $st) (i32.const 0x10000)) (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 3)))))"#;
    let (mut store, inst) = instantiate(wat);
    let mem = inst.get_memory(&store, "mem").expect("mem");
    let mut bytes = vec![0u8; 65_536];
    let put = |bytes: &mut Vec<u8>, at: usize, v: u32| bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    // 16 states of 4 classes; states 0 and 4 are special (`max` 4).
    let states = 16u32;
    put(&mut bytes, 4, 4096);
    put(&mut bytes, 328, 4);
    for k in 0..256 {
        bytes[2048 + k] = (k * 7 % 4) as u8;
    }
    for k in 0..states * 4 {
        let next = (k * 5 + 8) % states * 4;
        put(&mut bytes, 4096 + 4 * k as usize, if k % 23 == 22 { 4 } else { next.max(8) });
    }
    for k in 0..512 {
        bytes[1024 + k] = (k * 31 % 251) as u8;
    }
    let rd = |bytes: &[u8], a: u64, w: u64| -> Option<u32> {
        (a + w <= 65_536).then(|| (0..w).map(|k| (bytes[(a + k) as usize] as u32) << (8 * k)).sum())
    };
    for n in [states * 4, 9, 37, 40, 41, 42, 43] {
        put(&mut bytes, 8, n);
        mem.data_mut(&mut store).copy_from_slice(&bytes);
        for (i0, st0) in [(0u32, 8u32), (3, 12), (100, 60), (7, 0)] {
            for (end, lim) in [(400u32, 300u32), (300, 400), (i0, 500), (0, 0)] {
                for s in [1024u32, 65_400, 0xffff_fff0] {
                    let model = || -> Option<u32> {
                        let (mut i, mut st) = (i0, st0);
                        loop {
                            if i == end {
                                return Some(st.wrapping_mul(0x10000).wrapping_add(i.wrapping_mul(8)).wrapping_add(1));
                            }
                            let b = rd(&bytes, s.wrapping_add(i) as u64, 1)?;
                            let cls = rd(&bytes, 2048u32.wrapping_add(b) as u64, 1)?;
                            let idx = st.wrapping_add(cls);
                            let n = rd(&bytes, 8, 4)?;
                            if idx >= n {
                                return Some(n.wrapping_mul(0x10000).wrapping_add(i.wrapping_mul(8)).wrapping_add(2));
                            }
                            st = rd(&bytes, rd(&bytes, 4, 4)?.wrapping_add(idx << 2) as u64, 4)?;
                            if st <= rd(&bytes, 328, 4)? {
                                return Some(st.wrapping_mul(0x10000).wrapping_add(i.wrapping_mul(8)).wrapping_add(3));
                            }
                            i = i.wrapping_add(1);
                            if i == lim {
                                return Some(st.wrapping_mul(0x10000).wrapping_add(i.wrapping_mul(8)).wrapping_add(4));
                            }
                        }
                    };
                    let args = [i0, st0, end, lim, s].map(|v| Val::I32(v as i32));
                    let what = format!("n {n} i {i0} st {st0} end {end} lim {lim} s {s}");
                    assert_call_or_oob(&mut store, &inst, "dfa", &args, model(), &what);
                }
            }
        }
    }
}

/// With fuel metering the native scan loops are not formed (the loop head is
/// a fuel check): a set-member scan and a letter scan over `a`s are charged
/// every round, as the byte-copy loop above.
#[test]
fn native_scan_loops_are_charged_fuel_per_round() {
    let wat = r#"(module (memory (export "mem") 1)
      (func (export "inset") (param $i i32) (param $lim i32) (result i32) (local $base i32) (local $r i32)
        (block $found
          (loop $l
            local.get $i local.get $base i32.add i32.load8_u i32.const 9 i32.sub local.tee $r
            i32.const 23 i32.le_u i32.const 0 i32.const 1 local.get $r i32.shl i32.const 8388635 i32.and select
            br_if $found
            local.get $lim local.get $i i32.const 1 i32.add local.tee $i i32.ne br_if $l))
        (local.get $i))
      (func (export "letters") (param $i i32) (param $lim i32) (result i32) (local $base i32)
        (block $end
          (loop $l
            local.get $i local.get $lim i32.eq br_if $end
            local.get $i local.get $base i32.add
            local.get $i i32.const 1 i32.add local.set $i
            i32.load8_u i32.const 223 i32.and i32.const 65 i32.sub i32.const 255 i32.and i32.const 26 i32.lt_u
            br_if $l))
        (local.get $i)))"#;
    let mut config = baton::Config::default();
    config.consume_fuel(true);
    let engine = Engine::new(&config);
    let module = Module::new(&engine, wat).unwrap();
    let used = |name: &str, lim: i32| {
        let mut store = Store::new(&engine, ());
        store.set_fuel(1_000_000).unwrap();
        let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
        let mem = inst.get_memory(&store, "mem").expect("mem");
        mem.data_mut(&mut store)[..2000].fill(b'a');
        let f = inst.get_typed_func::<(i32, i32), i32>(&store, name).unwrap();
        assert_eq!(f.call(&mut store, (0, lim)).unwrap(), lim, "{name}");
        1_000_000 - store.get_fuel().unwrap()
    };
    for name in ["inset", "letters"] {
        let (small, large) = (used(name, 10), used(name, 1010));
        assert!(large - small >= 1000, "{name}: fuel for 10 bytes: {small}, for 1010: {large}");
    }
}
