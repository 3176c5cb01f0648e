//! Validation of large modules runs on several threads: it must still reject
//! any invalid function and accept valid ones.

use baton::{Engine, Error, Module};

/// A module of `n` functions of `size` `nop`s each; function `bad` (if any)
/// ends with an `i32.add` on an empty stack.
fn module(n: usize, size: usize, bad: Option<usize>) -> Vec<u8> {
    build_bad(n, size, bad.as_slice())
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

/// Threads take the largest bodies first; the error reported must still be
/// the one of the first invalid function in module order.
#[test]
fn parallel_validation_reports_the_first_invalid_function() {
    let engine = Engine::default();
    let build = |bad: &[usize]| {
        let mut wat = String::from("(module\n");
        for i in 0..200 {
            // Later functions are larger, so they are validated first.
            wat.push_str(&format!("(func {}", "nop ".repeat(10 + i * 10)));
            if bad.contains(&i) {
                wat.push_str("i32.add drop");
            }
            wat.push_str(")\n");
        }
        wat.push(')');
        wat::parse_str(&wat).expect("wat")
    };
    let first = Module::new(&engine, build(&[7])).expect_err("invalid").to_string();
    let both = Module::new(&engine, build(&[7, 190])).expect_err("invalid").to_string();
    assert_eq!(first, both);
    let last = Module::new(&engine, build(&[190])).expect_err("invalid").to_string();
    assert_ne!(first, last);
}

/// Eager translation goes parallel from a few KB of code; turning it off
/// (`Config::parallel_translation(false)`) gives the same modules and errors.
#[test]
fn small_module_translates_the_same_with_and_without_threads() {
    errors_agree_with_and_without_threads(false, 12, 300, 3_000);
}

/// A module of `n` functions of `size` instructions each (longer than
/// `min_len` bytes) compiles with translation `lazy` or eager, and made
/// invalid at function 3, at 3 and `n - 1`, and at `n - 1` gives the same
/// errors with threads allowed and without, the first invalid function's.
fn errors_agree_with_and_without_threads(lazy: bool, n: usize, size: usize, min_len: usize) {
    let errors = |parallel: bool| {
        let mut config = baton::Config::default();
        config.lazy_translation(lazy).parallel_translation(parallel);
        let engine = Engine::new(&config);
        let ok = module(n, size, None);
        assert!(ok.len() > min_len);
        Module::new(&engine, &ok).expect("valid module");
        [vec![3], vec![3, n - 1], vec![n - 1]]
            .map(|bad| Module::new(&engine, build_bad(n, size, &bad)).expect_err("invalid").to_string())
            .to_vec()
    };
    let (on, off) = (errors(true), errors(false));
    assert_eq!(on, off);
    assert_eq!(on[0], on[1], "the first invalid function is reported");
    assert_ne!(on[0], on[2]);
}

/// Lazy translation validates a module with little code (or without threads)
/// in one `Validator::validate_all` pass, and a larger one body by body on the
/// pool: both accept the same modules and report the same first error.
#[test]
fn whole_module_and_per_body_validation_agree() {
    errors_agree_with_and_without_threads(true, 40, 600, 20_000);
    // A small module takes the whole-module path with threads allowed too.
    let engine = Engine::default();
    let small = Module::new(&engine, build_bad(3, 10, &[1])).expect_err("invalid").to_string();
    assert!(small.contains("type mismatch"), "{small}");
}

/// `module`, with every function of `bad` invalid.
fn build_bad(n: usize, size: usize, bad: &[usize]) -> Vec<u8> {
    let mut wat = String::from("(module\n");
    for i in 0..n {
        wat.push_str("(func ");
        wat.push_str(&"nop ".repeat(size));
        if bad.contains(&i) {
            wat.push_str("i32.add drop");
        }
        wat.push_str(")\n");
    }
    wat.push(')');
    wat::parse_str(&wat).expect("wat")
}
