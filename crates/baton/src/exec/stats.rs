//! Developer instrument (feature `handler-stats`): counts executed handlers and
//! consecutive handler pairs, to find which pairs are worth fusing. The loop
//! dispatcher records every dispatch; [`dump`] prints the counts with handler
//! addresses relative to `handlers::exit`, which `scripts/handler-stats.py`
//! turns into names with `nm`.

use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Default)]
struct Counts {
    prev: usize,
    pairs: HashMap<(usize, usize), u64>,
}

thread_local! {
    static COUNTS: RefCell<Counts> = RefCell::new(Counts::default());
}

/// Records that handler `h` runs next.
pub(crate) fn record(h: usize) {
    COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let prev = c.prev;
        *c.pairs.entry((prev, h)).or_insert(0) += 1;
        c.prev = h;
    });
}

/// Marks the end of one execution (so pairs do not span executions).
pub(crate) fn end() {
    COUNTS.with(|c| c.borrow_mut().prev = 0);
}

/// Prints `exit <addr>` and then `count prev next` lines (hex addresses) to
/// `out`, and clears the counts.
pub fn dump(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(out, "exit {:x}", super::handlers::exit as *const () as usize)?;
    let pairs = COUNTS.with(|c| std::mem::take(&mut c.borrow_mut().pairs));
    for ((a, b), n) in pairs {
        writeln!(out, "{n} {a:x} {b:x}")?;
    }
    Ok(())
}
