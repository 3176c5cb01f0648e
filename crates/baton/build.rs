//! Chooses the interpreter's dispatch mode at build time.
//!
//! * `nightly-tail` feature: handlers end in `become` (guaranteed tail calls).
//! * otherwise, if this crate is optimised (opt-level 2, 3, s or z), built
//!   without debug assertions (their precondition checks inside `core` keep
//!   stack temporaries alive and block the optimisation) and the
//!   `loop-dispatch` feature is off: handlers end in a plain tail call, which
//!   LLVM turns into a jump (sibling-call optimisation). The workspace profile
//!   builds `baton` this way even in `dev`, so this is the default.
//! * otherwise (opt-level 0 or 1, or `loop-dispatch`): handlers return the next
//!   cell to a small driver loop, which needs no tail calls at all.
//!
//! On x86-64 Linux it also sets `baton_section`: the handlers share one
//! 64-byte-aligned section (see `exec::handlers`, "Code layout").
fn main() {
    println!("cargo::rustc-check-cfg=cfg(baton_tail)");
    println!("cargo::rustc-check-cfg=cfg(baton_section)");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if os == "linux" && arch == "x86_64" {
        println!("cargo::rustc-cfg=baton_section");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=BATON_DISPATCH");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let optimised = matches!(opt.as_str(), "2" | "3" | "s" | "z");
    let debug_assertions = std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_some();
    let forced_loop = std::env::var_os("CARGO_FEATURE_LOOP_DISPATCH").is_some()
        || std::env::var_os("CARGO_FEATURE_HANDLER_STATS").is_some()
        || std::env::var("BATON_DISPATCH").is_ok_and(|v| v == "loop");
    let nightly = std::env::var_os("CARGO_FEATURE_NIGHTLY_TAIL").is_some();
    if nightly || (optimised && !debug_assertions && !forced_loop) {
        println!("cargo::rustc-cfg=baton_tail");
    }
}
