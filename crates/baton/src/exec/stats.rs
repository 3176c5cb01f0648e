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
    /// Executions per cell address (`scripts/dump-code.py --counts`).
    cells: HashMap<usize, u64>,
}

thread_local! {
    static COUNTS: RefCell<Counts> = RefCell::new(Counts::default());
}

/// Records that handler `h` runs next, in the cell at address `cell`.
pub(crate) fn record(h: usize, cell: usize) {
    COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let prev = c.prev;
        *c.pairs.entry((prev, h)).or_insert(0) += 1;
        *c.cells.entry(cell).or_insert(0) += 1;
        c.prev = h;
    });
}

/// Marks the end of one execution (so pairs do not span executions).
pub(crate) fn end() {
    COUNTS.with(|c| c.borrow_mut().prev = 0);
}

/// Prints `exit <addr>`, then `count prev next` lines (hex addresses), then
/// `cell <addr> <count>` lines (executions per cell) to `out`, and clears the
/// counts.
pub fn dump(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(out, "exit {:x}", super::handlers::exit as *const () as usize)?;
    let (pairs, cells) = COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        (std::mem::take(&mut c.pairs), std::mem::take(&mut c.cells))
    });
    for ((a, b), n) in pairs {
        writeln!(out, "{n} {a:x} {b:x}")?;
    }
    for (a, n) in cells {
        writeln!(out, "cell {a:x} {n}")?;
    }
    Ok(())
}
