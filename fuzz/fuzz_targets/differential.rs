//! Differential execution: wasm-smith generates a Wasm 2.0 module (no SIMD, no
//! imports, every item exported, loops and calls bounded by an injected fuel
//! global); Baton and wasmi instantiate it and call every exported function
//! with the same arguments. Results, trap kinds, exported globals, memories
//! and tables must agree after every step.
//!
//! Cases that legitimately differ (a stack limit hit on one side only, Baton's
//! own fuel running out) end the comparison early instead of failing.
#![no_main]

use arbitrary::{Result, Unstructured};
use baton_fuzz::{smith_config, Outcome, V};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static CHECK: std::sync::Once = std::sync::Once::new();
    CHECK.call_once(self_check);
    let _ = run(data);
});

/// Stack limits end a comparison silently, so first make sure this build of
/// Baton (sanitizers, fuzzing instrumentation) runs a long loop and a deep
/// recursion without hitting them: otherwise the fuzzer would compare little.
fn self_check() {
    let wat = r#"(module
        (func (export "spin") (param i32) (result i32)
            (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (local.get 0))
        (func $rec (export "rec") (param i32) (result i32)
            (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
                (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let engine = baton::Engine::default();
    let mut store = baton::Store::new(&engine, ());
    let module = baton::Module::new(&engine, wat).expect("self-check module");
    let inst = baton::Linker::new(&engine).instantiate(&mut store, &module).expect("self-check instance");
    let spin = inst.get_typed_func::<i32, i32>(&store, "spin").expect("spin");
    assert_eq!(spin.call(&mut store, 1_000_000).expect("long loop runs"), 0);
    let rec = inst.get_typed_func::<i32, i32>(&store, "rec").expect("rec");
    assert_eq!(rec.call(&mut store, 5000).expect("deep recursion runs"), 5000);
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let config = smith_config(&mut u, false)?;
    let mut module = wasm_smith::Module::new(config, &mut u)?;
    let guest_fuel = u.int_in_range(100..=5000)?;
    if module.ensure_termination(guest_fuel).is_err() {
        return Ok(());
    }
    let bytes = module.to_bytes();
    // To minimise a finding: `BATON_FUZZ_DUMP=out.wasm cargo fuzz run differential <artifact>`.
    if let Some(path) = std::env::var_os("BATON_FUZZ_DUMP") {
        std::fs::write(path, &bytes).expect("dump the module");
    }

    // Baton configuration: exercise the instrumentation and both translation modes.
    let lazy: bool = u.arbitrary()?;
    let interruptible: bool = u.arbitrary()?;
    let baton_fuel: Option<u64> = if u.arbitrary()? {
        Some(if u.arbitrary()? { u64::MAX >> 2 } else { u.int_in_range(0..=200_000)? })
    } else {
        None
    };
    let mut bconf = baton::Config::default();
    bconf.lazy_translation(lazy).interruptible(interruptible).consume_fuel(baton_fuel.is_some());
    let bengine = baton::Engine::new(&bconf);
    let mut bstore = baton::Store::new(&bengine, ());
    if let Some(f) = baton_fuel {
        bstore.set_fuel(f).expect("fuel is enabled");
    }

    let wengine = wasmi::Engine::default();
    let wmodule = match wasmi::Module::new(&wengine, &bytes) {
        Ok(m) => m,
        // Not a module both engines are meant to run (wasmi's own limits).
        Err(_) => return Ok(()),
    };
    let bmodule = match baton::Module::new(&bengine, &bytes) {
        Ok(m) => m,
        Err(e) => panic!("Baton rejects a module wasmi accepts: {e}"),
    };
    let mut wstore = wasmi::Store::new(&wengine, ());

    let binst = baton::Linker::new(&bengine).instantiate(&mut bstore, &bmodule);
    let winst = wasmi::Linker::<()>::new(&wengine).instantiate_and_start(&mut wstore, &wmodule);
    let (binst, winst) = match (binst, winst) {
        (Ok(b), Ok(w)) => (b, w),
        (Err(b), Err(w)) => {
            let (bo, wo) = (Outcome::from_baton(&b), Outcome::from_wasmi(&w));
            if bo.comparable() && wo.comparable() && bo.is_trap() && wo.is_trap() {
                assert_eq!(bo, wo, "instantiation traps differ: baton `{b}`, wasmi `{w}`");
            }
            return Ok(());
        }
        (Ok(_), Err(w)) => {
            if !Outcome::from_wasmi(&w).comparable() {
                return Ok(());
            }
            panic!("instantiation: Baton succeeds, wasmi fails with `{w}`")
        }
        (Err(b), Ok(_)) => {
            if !Outcome::from_baton(&b).comparable() {
                return Ok(());
            }
            panic!("instantiation: wasmi succeeds, Baton fails with `{b}`")
        }
    };

    let exports: Vec<(String, baton::ExternType)> =
        bmodule.exports().map(|e| (e.name().to_string(), e.ty().clone())).collect();
    compare_state(&exports, &bstore, binst, &wstore, winst, "after instantiation");

    let mut calls = 0;
    for (name, ty) in &exports {
        let baton::ExternType::Func(fty) = ty else { continue };
        // Call each function up to twice (state changes between calls matter).
        for _ in 0..u.int_in_range(1..=2)? {
            calls += 1;
            if calls > 40 {
                return Ok(());
            }
            let args = fty.params().iter().map(|t| V::arbitrary(&mut u, *t)).collect::<Result<Vec<_>>>()?;
            let bf = binst.get_func(&bstore, name).expect("baton export");
            let wf = winst.get_func(&wstore, name).expect("wasmi export");
            let bargs: Vec<baton::Val> = args.iter().map(|v| v.to_baton()).collect();
            let wargs: Vec<wasmi::Val> = args.iter().map(|v| v.to_wasmi()).collect();
            let mut bres: Vec<baton::Val> = fty.results().iter().map(|t| baton::Val::default_for(*t)).collect();
            let mut wres: Vec<wasmi::Val> = fty.results().iter().map(|t| V::zero(*t).to_wasmi()).collect();
            let br = bf.call(&mut bstore, &bargs, &mut bres);
            let wr = wf.call(&mut wstore, &wargs, &mut wres);
            let bo = match &br {
                Ok(()) => Outcome::Values(bres.iter().map(V::from_baton).collect()),
                Err(e) => Outcome::from_baton(e),
            };
            let wo = match &wr {
                Ok(()) => Outcome::Values(wres.iter().map(V::from_wasmi).collect()),
                Err(e) => Outcome::from_wasmi(e),
            };
            if !bo.comparable() || !wo.comparable() {
                // A limit only one engine has was hit: the states may differ from here on.
                return Ok(());
            }
            assert!(bo.matches(&wo), "call `{name}`{args:?}: baton {bo:?} ({br:?}), wasmi {wo:?} ({wr:?})");
            compare_state(&exports, &bstore, binst, &wstore, winst, &format!("after calling `{name}`"));
        }
    }
    Ok(())
}

fn compare_state(
    exports: &[(String, baton::ExternType)],
    bstore: &baton::Store<()>,
    binst: baton::Instance,
    wstore: &wasmi::Store<()>,
    winst: wasmi::Instance,
    when: &str,
) {
    for (name, ty) in exports {
        match ty {
            baton::ExternType::Global(_) => {
                let b = V::from_baton(&binst.get_global(bstore, name).expect("global").get(bstore));
                let w = V::from_wasmi(&winst.get_global(wstore, name).expect("global").get(wstore));
                assert!(b.matches(&w), "global `{name}` {when}: baton {b:?}, wasmi {w:?}");
            }
            baton::ExternType::Memory(_) => {
                let b = binst.get_memory(bstore, name).expect("memory").data(bstore);
                let w = winst.get_memory(wstore, name).expect("memory").data(wstore);
                assert_eq!(b.len(), w.len(), "memory `{name}` size {when}");
                if let Some(i) = (0..b.len()).find(|&i| b[i] != w[i]) {
                    panic!("memory `{name}` {when} differs at {i:#x}: baton {:#x}, wasmi {:#x}", b[i], w[i]);
                }
            }
            baton::ExternType::Table(_) => {
                let bt = binst.get_table(bstore, name).expect("table");
                let wt = winst.get_table(wstore, name).expect("table");
                assert_eq!(bt.size(bstore) as u64, wt.size(wstore), "table `{name}` size {when}");
                for i in 0..bt.size(bstore) {
                    let b = bt.get(bstore, i).map(|v| V::from_baton(&v));
                    let w = wt.get(wstore, i as u64).map(|r| match r {
                        wasmi::Ref::Func(f) => V::FuncRef(f.is_null()),
                        wasmi::Ref::Extern(e) => V::ExternRef(e.is_null()),
                    });
                    assert_eq!(b, w, "table `{name}`[{i}] {when}");
                }
            }
            _ => {}
        }
    }
}
