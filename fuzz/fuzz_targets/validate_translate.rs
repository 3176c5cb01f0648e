//! Decode + validate + translate must never panic: arbitrary bytes go to
//! `Module::new` with eager translation (plain, and with fuel and interrupt
//! instrumentation). The same bytes also drive wasm-smith, sometimes with
//! invalid function bodies, so that translation sees many valid and
//! nearly-valid modules rather than only byte soup rejected by the parser.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fn engines() -> [baton::Engine; 2] {
    let mut plain = baton::Config::default();
    plain.lazy_translation(false);
    let mut instrumented = plain.clone();
    instrumented.consume_fuel(true).interruptible(true);
    [baton::Engine::new(&plain), baton::Engine::new(&instrumented)]
}

fuzz_target!(|data: &[u8]| {
    // Fresh engines per input: an engine's type registry only grows.
    let engines = engines();
    for e in &engines {
        let _ = baton::Module::new(e, data);
    }
    let mut u = Unstructured::new(data);
    let allow_invalid = u.ratio(1, 3).unwrap_or(false);
    let Ok(config) = baton_fuzz::smith_config(&mut u, allow_invalid) else { return };
    let Ok(module) = wasm_smith::Module::new(config, &mut u) else { return };
    let bytes = module.to_bytes();
    for e in &engines {
        if let Err(err) = baton::Module::new(e, &bytes) {
            // Generated bodies may be invalid; everything else must be accepted.
            assert!(!wasmi_accepts(&bytes), "Baton rejects a valid Wasm 2.0 module: {err}");
        }
    }
});

/// Does wasmi (an independent validator) accept the module?
fn wasmi_accepts(bytes: &[u8]) -> bool {
    wasmi::Module::new(&wasmi::Engine::default(), bytes).is_ok()
}
