//! Validation of large modules runs on several threads: it must still reject
//! any invalid function and accept valid ones.

use baton::{Engine, Error, Module};

/// A module of `n` functions of `size` `nop`s each; function `bad` (if any)
/// ends with an `i32.add` on an empty stack.
fn module(n: usize, size: usize, bad: Option<usize>) -> Vec<u8> {
    let mut wat = String::from("(module\n");
    for i in 0..n {
        wat.push_str("(func ");
        wat.push_str(&"nop ".repeat(size));
        if Some(i) == bad {
            wat.push_str("i32.add drop");
        }
        wat.push_str(")\n");
    }
    wat.push(')');
    wat::parse_str(&wat).expect("wat")
}

#[test]
fn large_module_validates_in_parallel() {
    let engine = Engine::default();
    let ok = module(700, 1000, None);
    assert!(ok.len() > 600_000);
    Module::new(&engine, &ok).expect("valid module");
    for bad in [0, 350, 699] {
        let err = Module::new(&engine, module(700, 1000, Some(bad))).expect_err("invalid function");
        assert!(matches!(err, Error::Invalid(_)), "{err}");
    }
}

#[test]
fn large_module_translates_eagerly_in_parallel() {
    let mut config = baton::Config::default();
    config.lazy_translation(false);
    let engine = Engine::new(&config);
    Module::new(&engine, module(700, 1000, None)).expect("valid module");
    for bad in [0, 699] {
        let err = Module::new(&engine, module(700, 1000, Some(bad))).expect_err("invalid function");
        assert!(matches!(err, Error::Invalid(_)), "{err}");
    }
}
