//! Regression tests for robustness findings (fuzzing, hostile modules, Miri).
//! Each test names its finding in /work/notes/findings.md ("finding N").

use baton::{Engine, Linker, Module, Store};

/// Resident memory of this process in KiB (Linux), for the memory-size findings.
#[cfg(target_os = "linux")]
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

/// Finding 1: a 30-byte module declaring `(memory 16384)` made instantiation
/// write 1 GiB of zeroes (1 GiB resident, ~3 s); `(memory 65536)` 4 GiB. Memories
/// now come from zeroed allocations, and a growth at least as large as the
/// current size does too, so untouched pages cost no resident memory.
#[test]
#[cfg(target_os = "linux")]
fn finding_1_large_memory_is_not_committed() {
    let engine = Engine::default();
    let mut store = Store::new(&engine, ());
    let module = Module::new(
        &engine,
        r#"(module (memory (export "m") 16384)
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            (func (export "last") (result i32) (i32.load8_u (i32.const 0x7fffffff))))"#,
    )
    .unwrap();
    let before = rss_kib();
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap();
    let after = rss_kib();
    assert!(after.saturating_sub(before) < 256 * 1024, "instantiating a 1 GiB memory took {} KiB", after - before);
    let mem = inst.get_memory(&store, "m").unwrap();
    assert_eq!(mem.data_size(&store), 1 << 30);
    assert!(mem.data(&store)[..4096].iter().all(|&b| b == 0));

    // Growing 1 GiB -> 2 GiB: the new half is not written either, and reads as zero.
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    mem.data_mut(&mut store)[12345] = 42;
    let before = rss_kib();
    assert_eq!(grow.call(&mut store, 16384).unwrap(), 16384);
    let after = rss_kib();
    assert!(after.saturating_sub(before) < 512 * 1024, "growing by 1 GiB took {} KiB", after - before);
    assert_eq!(mem.data(&store)[12345], 42, "contents survive the move");
    let last = inst.get_typed_func::<(), i32>(&store, "last").unwrap();
    assert_eq!(last.call(&mut store, ()).unwrap(), 0);
    // Small growths extend in place.
    assert_eq!(grow.call(&mut store, 1).unwrap(), 32768);
    assert_eq!(mem.data(&store)[12345], 42);
}
