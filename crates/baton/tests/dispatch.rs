//! Handlers pass control to each other with tail calls that must not grow the
//! native stack, in every build profile (see `exec/handlers.rs` and README
//! "Dispatch and the native stack"). This test runs a loop that exercises most
//! handler kinds many times with a tiny native stack budget: if any of them
//! left a native frame behind per execution, the budget check at the next
//! function entry would trap with "call stack exhausted".

use baton::{Config, Engine, Linker, Module, Store};

const WAT: &str = r#"(module
  (import "host" "id" (func $id (param i64) (result i64)))
  (type $t (func (param i32) (result i32)))
  (memory 1)
  (table 4 funcref)
  (global $g (mut i32) (i32.const 0))
  (global $f (mut f64) (f64.const 0))
  (elem (i32.const 0) $leaf $leaf2)
  (data $d "abcdefgh")
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func $leaf2 (param i32) (result i32) (local i64) (i32.mul (local.get 0) (i32.const 3)))
  (func $multi (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))
  (func $work (param $i i32) (result i32) (local $x i32) (local $y i64) (local $f f64) (local $s f32)
    ;; integer arithmetic, immediates, reversed immediates, unops
    (local.set $x (i32.sub (i32.const 100) (i32.rem_u (i32.mul (local.get $i) (i32.const 7)) (i32.const 13))))
    (local.set $x (i32.xor (i32.rotl (local.get $x) (i32.const 3)) (i32.clz (local.get $i))))
    (local.set $y (i64.div_s (i64.extend_i32_s (local.get $x)) (i64.const 3)))
    (local.set $y (i64.shr_u (i64.add (local.get $y) (call $id (local.get $y))) (i64.const 1)))
    ;; floats, conversions, multiply-add fusion
    (local.set $f (f64.add (f64.mul (f64.convert_i32_u (local.get $i)) (f64.const 0.5)) (local.get $f)))
    (local.set $s (f32.sqrt (f32.demote_f64 (f64.abs (local.get $f)))))
    (local.set $x (i32.add (local.get $x) (i32.trunc_sat_f32_s (local.get $s))))
    ;; memory: plain, fused address, constants, all widths, bulk
    (i32.store (i32.and (local.get $i) (i32.const 1020)) (local.get $x))
    (i64.store offset=8 (i32.and (local.get $x) (i32.const 1016)) (local.get $y))
    (i32.store8 (i32.add (i32.const 2000) (i32.and (local.get $i) (i32.const 1023))) (i32.const 7))
    (local.set $x (i32.add (local.get $x)
      (i32.add (i32.load8_s (i32.add (i32.const 2000) (i32.and (local.get $i) (i32.const 1023))))
               (i32.load16_u offset=2 (i32.and (local.get $i) (i32.const 1020))))))
    (memory.fill (i32.const 3000) (local.get $x) (i32.const 16))
    (memory.copy (i32.const 3100) (i32.const 3000) (i32.const 16))
    (memory.init $d (i32.const 3200) (i32.const 0) (i32.const 8))
    (drop (memory.grow (i32.const 0)))
    (local.set $x (i32.add (local.get $x) (memory.size)))
    ;; selects and fused conditions
    (local.set $x (select (local.get $x) (i32.const 5) (i32.lt_u (local.get $i) (i32.const 50))))
    (local.set $x (select (local.get $x) (local.get $i) (i32.eqz (local.get $i))))
    ;; globals, tables, references, indirect calls, multi-value
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.set $f (local.get $f))
    (table.set (i32.const 2) (table.get (i32.and (local.get $i) (i32.const 1))))
    (drop (table.grow (ref.null func) (i32.const 0)))
    (local.set $x (i32.add (local.get $x) (i32.and (ref.is_null (table.get (i32.const 3))) (i32.const 1))))
    (local.set $x (call_indirect (type $t) (local.get $x) (i32.and (local.get $i) (i32.const 1))))
    (local.set $x (i32.add (local.get $x) (call $leaf (local.get $x))))
    (call $multi (local.get $x) (local.get $y))
    (local.set $x (i32.add (local.get $x)))
    (drop)
    ;; branches: br_table, block results, if/else with values
    (block $a (block $b (block $c
      (br_table $a $b $c (i32.and (local.get $i) (i32.const 3))))
      (local.set $x (i32.add (local.get $x) (i32.const 1))))
      (local.set $x (i32.add (local.get $x) (i32.const 2))))
    (if (result i32) (f64.gt (local.get $f) (f64.const 100))
      (then (i32.and (local.get $x) (i32.const 0xffff)))
      (else (local.get $x))))
  (func (export "run") (param $n i32) (result i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $work (local.get $n))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc)))"#;

fn run(config: &Config, iterations: i32) -> Result<i32, baton::Error> {
    let engine = Engine::new(config);
    let module = Module::new(&engine, WAT)?;
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    linker.func_wrap("host", "id", |x: i64| x)?;
    let instance = linker.instantiate(&mut store, &module)?;
    let f = instance.get_typed_func::<i32, i32>(&store, "run")?;
    f.call(&mut store, iterations)
}

#[test]
fn handlers_do_not_grow_the_native_stack() {
    let mut config = Config::default();
    config.max_native_stack(16 * 1024);
    // 200k iterations of ~100 handlers: a leaked native frame per execution of
    // any of them would exceed 16 KiB within the first few iterations.
    let small = run(&config, 200_000).expect("no native stack growth");
    // Same result with the default budget, and with eager translation.
    assert_eq!(run(&Config::default(), 200_000).expect("default config"), small);
    let mut eager = Config::default();
    eager.lazy_translation(false).max_native_stack(16 * 1024);
    assert_eq!(run(&eager, 200_000).expect("eager translation"), small);
}
