//! Translation of a validated function body into threaded code.
//!
//! The translator is a single pass over the operators. It keeps a compile-time
//! model of the wasm operand stack in which every entry is a frame slot: stack
//! position `p` has the "home" slot `num_locals + p`. `local.get` and constants
//! are not copied: their stack entries refer to the local's slot or carry the
//! constant, and consumers read them directly (constants become immediates of
//! `_si` handler variants). Results are written to the home slot of their
//! position; a following `local.set` retargets that write to the local.
//! Compare + `br_if`/`if` pairs fuse into one branching handler; other fusions
//! patch the previous instruction after the fact (see `Last`). The translator
//! also tracks what the accumulators hold (`Acc`) to pick handler forms that
//! read an operand from them, and rotates loops whose head is a conditional
//! exit (`LoopHead`).
//!
//! Control flow: a label's values live in the home slots of the block's
//! starting height; branches copy their values there (only when they are not
//! already in place) and jump. Entering a block materialises lazily-referenced
//! locals so that writes inside the block cannot change values below it.

use wasmparser::{BlockType, Operator};

use crate::error::{Error, Result};
use crate::exec::handlers as h;
use crate::exec::{Cell, Handler};
use crate::module::ModuleInner;

/// Bits of one slot index in a packed operand cell: 16, so that a handler
/// reads each field with one zero-extending 2-byte load (see `field!`).
const FIELD_BITS: u32 = 16;
const FIELD_MASK: u64 = (1 << FIELD_BITS) - 1;
/// Functions whose frames need more slots than fit a field are rejected.
pub(crate) const MAX_FRAME_SLOTS: usize = 1 << FIELD_BITS;

/// Packs up to three slot indices into one operand cell (field 0 in the low
/// bits). Indices are checked against `MAX_FRAME_SLOTS` once the frame size is
/// known (`translate`), so a larger value never reaches a handler.
pub(crate) fn pack(slots: &[u32]) -> u64 {
    slots.iter().enumerate().fold(0, |acc, (i, &s)| acc | ((s as u64 & FIELD_MASK) << (FIELD_BITS as usize * i)))
}

/// Most `local.get`s left uncopied on the operand stack at once.
const MAX_LAZY_LOCALS: usize = 16;

/// Translated code of one function.
///
/// The cells are owned through a raw pointer taken once from the allocation,
/// never through a `Box` that moves (a move would retag the allocation and
/// invalidate the branch-target pointers stored inside it).
pub(crate) struct Compiled {
    code: std::ptr::NonNull<Cell>,
    len: usize,
    /// The frame size if the first cell is `enter_params` (a function
    /// without locals besides its parameters), else 0: see [`Compiled::outer_frame`].
    outer_frame: usize,
}

impl Compiled {
    fn new(cells: &[Cell]) -> (Compiled, *mut Cell) {
        let len = cells.len();
        // SAFETY: every function's code starts with its 4-cell `enter*` cell,
        // whose cell 1 is the frame size (`translate`); cells are read through
        // the union fields they were written with.
        let outer_frame = unsafe {
            match cells.get(..2) {
                Some([first, frame]) if std::ptr::fn_addr_eq(first.h, h::enter_params as Handler) => frame.x as usize,
                _ => 0,
            }
        };
        let raw: *mut [Cell] = Box::into_raw(Box::<[Cell]>::from(cells));
        let base = raw.cast::<Cell>();
        // SAFETY: `Box::into_raw` never returns null.
        (Compiled { code: unsafe { std::ptr::NonNull::new_unchecked(base) }, len, outer_frame }, base)
    }
    /// The first cell (the function's `enter`).
    pub(crate) fn entry(&self) -> *const Cell {
        self.code.as_ptr()
    }
    /// For a function whose first cell is `enter_params`, its frame size
    /// (at least its parameter and result slots), else 0. The outermost
    /// entry from the host does that cell's work itself (`exec::run_wasm`):
    /// it checks the frame against the value stack and starts at the
    /// function's first instruction, 4 cells in.
    pub(crate) fn outer_frame(&self) -> usize {
        self.outer_frame
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        // SAFETY: allocated as a boxed slice of `len` cells in `Compiled::new`.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.code.as_ptr(), self.len)) });
    }
}

// SAFETY: the code is immutable after translation; the raw pointers inside
// point at this code, at module-owned `FuncCode`s or at statics.
unsafe impl Send for Compiled {}
// SAFETY: see above.
unsafe impl Sync for Compiled {}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Operand {
    /// The value is in the home slot of its stack position.
    Temp,
    /// The value is that of local `i` (not yet copied).
    Local(u32),
    /// A constant, as slot bits.
    Const(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

struct Control {
    kind: Kind,
    /// Operand stack height at block entry, below its parameters.
    height: usize,
    params: usize,
    results: usize,
    /// Code position of a loop's start.
    start: usize,
    /// Target cells to patch with the block's end position.
    fixups: Vec<usize>,
    /// `if`: target cells of the branches to the `else` arm (the `if` itself
    /// and rotated back edges of an enclosing loop, see `LoopHead`).
    else_fixup: Vec<usize>,
    unreachable: bool,
    /// A loop that starts with a conditional exit: back edges test the exit
    /// condition themselves (see `LoopHead`).
    head: Option<LoopHead>,
}

/// A loop whose first instruction is a conditional exit: `br_if` to an
/// enclosing label (without value moves) or an `if` without parameters. The
/// test of `cond` jumps to `target` when it is `sense`; otherwise execution
/// continues at code position `body`. A `br` back to such a loop is rotated
/// into "if not that, go to `body`; else go to `target`", which saves one
/// dispatch per iteration.
#[derive(Clone, Copy)]
struct LoopHead {
    cond: Cond,
    sense: bool,
    target: HeadTarget,
    body: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum HeadTarget {
    /// The label of control frame `idx` (an enclosing block or loop).
    Label(usize),
    /// The `else` arm (or end) of the `if` at control frame `idx`; valid while
    /// its `then` arm is being translated.
    Else(usize),
}

/// How to test a condition without materialising it.
#[derive(Clone, Copy)]
enum Cond {
    /// `[h, a, target]`; `when_true`/`when_false` handlers. `select` can test
    /// the slot directly when `sel_swap` is set: `Some(false)` for "a != 0",
    /// `Some(true)` for "a == 0" (32-bit conditions only).
    /// `acc`: the accumulator holds `a` here; its (true, false) handlers.
    Test { when_true: Handler, when_false: Handler, a: u32, sel_swap: Option<bool>, acc: Option<(Handler, Handler)> },
    /// `[h, a, b|imm, target]`; (ss, si) pairs for true and false, and the
    /// fused `select` variants if any.
    /// `a_acc`: the accumulator holds `a` here (the `as`/`ai` forms apply).
    /// `ctr`: the counter-update forms of an `i32` compare; `update`: `a` is
    /// a local updated by the instruction just before.
    Cmp {
        when_true: BrOps,
        when_false: BrOps,
        sel: Option<(Handler, Handler)>,
        a: u32,
        b: u32,
        imm: Option<u64>,
        a_acc: bool,
        ctr: Option<CtrForms>,
        update: Option<CounterUpdate>,
    },
    /// A counter update and a compare of the counter with `b`/`imm` (see
    /// `handlers::ctr_br!`), the update moved into the branch; also a test of
    /// the counter itself (`!= 0`).
    /// `forms`: for the branch taken when the compare is true, and when false.
    CounterCmp { update: CounterUpdate, forms: ([Handler; 4], [Handler; 4]), b: u32, imm: Option<u64> },
}

/// A compare-and-branch's handlers: (ss, si, as, ai), as for `Bin`.
type BrOps = (Handler, Handler, Handler, Handler);

impl Cond {
    /// The same test where the accumulator is unknown (a loop's back edge).
    fn without_acc(self) -> Cond {
        match self {
            Cond::Test { when_true, when_false, a, sel_swap, .. } => {
                Cond::Test { when_true, when_false, a, sel_swap, acc: None }
            }
            Cond::Cmp { when_true, when_false, sel, a, b, imm, ctr, update, .. } => {
                Cond::Cmp { when_true, when_false, sel, a, b, imm, a_acc: false, ctr, update }
            }
            c @ Cond::CounterCmp { .. } => c,
        }
    }
}

/// An `i32.add` of locals (or a local and a constant) that a later store may
/// absorb. Forgotten as soon as a local is written or a branch, label or
/// block boundary is emitted (see `invalidate_adds`).
#[derive(Clone, Copy)]
struct PendingAdd {
    start: usize,
    end: usize,
    dst: u32,
    a: u32,
    b: u32,
    imm: Option<u64>,
    /// `a + (b << shift)` (an `i32_add_shl_s`; `imm` is then `None`): only
    /// a store with a `_sx` form takes it.
    shift: u32,
}

/// A memory address as a fused access computes it: `i32.add(a, rhs)`
/// (wrapping) plus the static `offset`.
#[derive(Clone, Copy)]
struct Addr {
    a: u32,
    rhs: AddrRhs,
    offset: u64,
}

/// A load from `a + k` (wrapping) with static offset `offset` whose result
/// is the temporary `dst`, at code `start..end_pos`. Two of one kind in a
/// row feeding a multiply-add run as one `load2_mul_add` handler.
#[derive(Clone, Copy)]
struct PairLoad {
    start: usize,
    end_pos: usize,
    dst: u32,
    a: u32,
    /// The handler's address cell: `k | (offset + width) << 32`.
    cell: u64,
    /// The load's plain handler (its kind: width and widening).
    kind: Handler,
}

#[derive(Clone, Copy)]
enum AddrRhs {
    Slot(u32),
    Imm(u64),
}

impl Addr {
    fn new(a: u32, b: u32, k: Option<u64>, offset: u64) -> Addr {
        Addr { a, rhs: k.map_or(AddrRhs::Slot(b), AddrRhs::Imm), offset }
    }
    /// The offset cell of an `mcopy` handler: `imm | offset << 32`.
    fn cell(&self) -> u64 {
        let k = match self.rhs {
            AddrRhs::Slot(_) => 0,
            AddrRhs::Imm(k) => k as u32 as u64,
        };
        k | self.offset << 32
    }
}

/// An `i32`/`i64` `add`/`sub` of a constant, or `add` of two slots, just
/// retargeted to write local `local`: `local = a + inc`.
#[derive(Clone, Copy)]
struct CounterUpdate {
    start: usize,
    local: u32,
    a: u32,
    inc: Inc,
    /// An `i64` counter.
    wide: bool,
    /// The position of a `copy` emitted right before the update, with no
    /// label in between (`copy_before` when the update was emitted).
    after_copy: Option<usize>,
    /// The position of an `i32_add_si`/`i32_add_ss` emitted right before
    /// the update (`Last::after_add`): the counter's branch may continue it.
    after_add: Option<usize>,
}

/// A counter's increment: a constant or a slot.
#[derive(Clone, Copy)]
enum Inc {
    Imm(u64),
    Slot(u32),
}

/// An `i32` compare's forms that also update a counter first (see
/// `handlers::ctr_br!`), for the compare and for its negation.
#[derive(Clone, Copy)]
struct CtrForms {
    when_true: [Handler; 4],
    when_false: [Handler; 4],
    /// The same with the operands swapped (`b <op> a` as `a <mirror op> b`):
    /// for a counter in the compare's right operand.
    mirrored_true: [Handler; 4],
    mirrored_false: [Handler; 4],
    /// `i64` forms.
    wide: bool,
}

impl CtrForms {
    /// From the forms for the compare, its negation, and the same two with
    /// the operands swapped.
    fn new([when_true, when_false, mirrored_true, mirrored_false]: [[Handler; 4]; 4], wide: bool) -> CtrForms {
        CtrForms { when_true, when_false, mirrored_true, mirrored_false, wide }
    }
    /// The forms of the negated compare.
    fn negated(self) -> CtrForms {
        CtrForms {
            when_true: self.when_false,
            when_false: self.when_true,
            mirrored_true: self.mirrored_false,
            mirrored_false: self.mirrored_true,
            wide: self.wide,
        }
    }
    /// `a <op> b` (or `<op> imm`) where `update` just wrote `a` or `b`: the
    /// update and the branch as one (`Cond::CounterCmp`), if it applies.
    fn fuse(self, update: CounterUpdate, a: u32, b: u32, imm: Option<u64>) -> Option<Cond> {
        if update.wide != self.wide {
            None
        } else if update.local == a {
            Some(Cond::CounterCmp { update, forms: (self.when_true, self.when_false), b, imm })
        } else if imm.is_none() && update.local == b {
            Some(Cond::CounterCmp { update, forms: (self.mirrored_true, self.mirrored_false), b: a, imm })
        } else {
            None
        }
    }
}

/// The last emitted instruction, if it wrote the top operand's home slot.
#[derive(Clone, Copy, Default)]
struct Last {
    start: usize,
    dst_cell: usize,
    dst: u32,
    /// Set when the instruction was `i32.add`: its operands (`b` or `imm`).
    add: Option<(u32, u32, Option<u64>)>,
    /// The same for `i64.add` (for counters only).
    add64: Option<(u32, u32, Option<u64>)>,
    /// The `i32.add` took its left operand from the accumulator.
    add_acc: bool,
    /// Set when the instruction was `i32.shr_u` by a constant: its operand,
    /// the shift, and whether the operand came from the accumulator.
    shr: Option<(u32, u64, bool)>,
    /// Set when the instruction was `i32.shl` by a constant or `i32.mul` by a
    /// power of two: its operand, the shift, and whether the operand came
    /// from the accumulator (see `Translator::add_scaled`).
    scale: Option<(u32, u32, bool)>,
    /// Set when the instruction was `i32.rotl` of a constant `c` by `y`:
    /// `y`, `c` and whether `y` came from the accumulator (`and_rotated`).
    rot: Option<(u32, u32, bool)>,
    /// Set on an `i32.rotl` of a constant emitted right after an
    /// `i32_load_sxk` (start), and on the `i32_and_rotl_s` that folds it with
    /// that load's value: a bit clear of a word in memory (`bit_clear_store`).
    after_sxk: Option<usize>,
    /// Set when the instruction was `i32.shl` of the constant 1 (`1 << y`):
    /// `y` and whether it came from the accumulator (see `bit_and`).
    bit: Option<(u32, bool)>,
    /// Set when the instruction was `i64.shr_u` by a constant: as `shr`
    /// (see `Translator::add_shifted64`).
    shr64: Option<(u32, u64, bool)>,
    /// Set when the instruction was `i32.shr_u` of slot `w` by slot `y`
    /// (`w` possibly also in the accumulator): `(w, y)` (see `bit_of_shr`).
    shr_var: Option<(u32, u32)>,
    /// Set when the instruction was a `mul` of two slots: its operands.
    mul: Option<(u32, u32)>,
    /// That `mul` read its first operand from the accumulator.
    mul_acc: bool,
    /// Set on the second of two adjacent loads of one kind whose values are
    /// the two top temporaries, and on a `mul` of those values (see
    /// `Translator::mul_then`).
    loads: Option<(PairLoad, PairLoad)>,
    /// Set when the instruction was an `i32_*2_mul` of these loads (see
    /// `Translator::load2_mul`).
    load2_mul: Option<(PairLoad, PairLoad)>,
    /// Set when the instruction was an `f64.add` (false) or `f64.sub` (true)
    /// of two slots: its operands (see `Translator::sum_then`).
    fsum: Option<(u32, u32, bool)>,
    /// Set when the instruction was a binary operation on a value just loaded.
    rmw: Option<Rmw>,
    /// Set when the instruction was `i32_add_shl_s`/`_a`: `x`, `y`, the
    /// shift and whether `y` came from the accumulator (a load may take it).
    shl_add: Option<(u32, u32, u32, bool)>,
    /// An `i32_add_shl_s` (`x`, `y`, shift) whose result now goes to the
    /// local `dst` (`local.tee`): a load of that local may take it.
    local_shl_add: Option<(u32, u32, u32)>,
    /// Set when the instruction was a load: its width in bytes, address and,
    /// for a load from a slot address, its plain handler (see `load_then`).
    load: Option<(u8, Addr, Option<Handler>)>,
    /// Set (alone) when the instruction was such a load retargeted to a
    /// local: its plain handler, for a test of the local that follows
    /// (`load_to_test`); nothing else may fuse with it, as the local keeps
    /// the value.
    local_load: Option<Handler>,
    /// Set on an `i32.add` whose code directly follows the code of an
    /// `i32_add_si`/`i32_add_ss` (`prev_add`): that add's position.
    after_add: Option<usize>,
    cond: Option<Cond>,
}

struct Translator<'a> {
    m: &'a ModuleInner,
    func_index: u32,
    code: Vec<Cell>,
    relocs: Vec<usize>,
    stack: Vec<Operand>,
    /// Stack positions holding `Operand::Local`, ascending (at most `MAX_LAZY_LOCALS`).
    lazy: Vec<usize>,
    ctrl: Vec<Control>,
    /// Emptied `Control` fixup lists, for the next blocks.
    spare: Vec<Vec<usize>>,
    nlocals: u32,
    nresults: usize,
    max_height: usize,
    last: Option<Last>,
    /// Recent `i32.add`s of locals a later store may absorb (at most 4).
    pending_adds: Vec<PendingAdd>,
    /// The last instruction, if it is a counter update (see `Cond::CounterCmp`).
    counter: Option<CounterUpdate>,
    /// Position of the last emitted handler if it is a `copy` that a next copy
    /// may merge with.
    prev_copy: Option<usize>,
    /// `prev_copy` as it was when the last handler was emitted.
    copy_before: Option<usize>,
    /// Positions of the `copy`, `copy2` and `copy_imm` instructions emitted,
    /// ascending, with the start of the instruction right before each (when
    /// known), for `fuse_copies` (kept exact when code is removed or moved).
    copies: Vec<(usize, Option<usize>)>,
    /// Positions of the `select_i32_and_ai` instructions emitted, ascending,
    /// for `fuse_crc_steps` (dropped with the code they point into; one that
    /// `local_set` moves past its copies is left behind, and the handler
    /// check there then fails: a missed fusion, never a wrong one).
    and_selects: Vec<usize>,
    /// Start of the last instruction emitted, if still known.
    last_start: Option<usize>,
    /// The starts of the last two instructions emitted (`[before, last]`)
    /// with no label, branch or local write since the earlier one (see
    /// `invalidate_adds`): the instruction before the current position, and
    /// the one before that, which a fusion may rewrite to do the next one's
    /// work too (`byte_index`, `load_then_sx`, `bit_set_select`, and
    /// `local_set` for `post_inc`). Dropping code from the last one on makes
    /// the one before it last again.
    recent: [Option<usize>; 2],
    /// Position of an `i32_add_ss` whose value is on the stack, followed
    /// only by an `i32_add_si` that `local.set` just made a local update
    /// (`t = p + i; i = i + 1`): a byte load of `t` next may take both
    /// (`load_post_inc`). Cleared by any other instruction or label.
    post_inc: Option<usize>,
    /// Start of the last instruction emitted that a compare-branch right
    /// after it may fuse with (`emit_cond`): an `i32_add_and`/`_a`
    /// (`add_and_then`), a `ctr_*` counter compare (`ctr_then_bit`) or a
    /// plain load from a slot address (`load_then_branch`). Each of them
    /// checks the handler there and that its code ends where the branch
    /// starts.
    branch_source: Option<usize>,
    /// Set by `binop_emit` for the `Last` that `push_result` makes next.
    rmw_candidate: Option<Rmw>,
    /// Position of the last emitted handler if it is an `i32_add_si` that a
    /// next one may pair with (see `pair_add_si`).
    prev_add_si: Option<usize>,
    /// Position of the last emitted handler if it is an `i32.load` from a
    /// slot address (`[i32_load, (dst, addr), end]`) that a load of its value
    /// may chain with (see `LoadOps::chained`).
    prev_load: Option<usize>,
    /// The last load that a next adjacent load may pair with (`PairLoad`);
    /// it outlives the address `add` between them, which the second load
    /// folds. Cleared with the pending adds (labels, branches, local writes).
    pair_first: Option<PairLoad>,
    /// Instructions whose handler also runs the next instruction (`i32_add_si2`
    /// pairs, `i32_add_si_then_store_v`, `handlers::add_then_ctr!`, and the
    /// compare-branches continued into from a counter compare
    /// (`ctr_then_bit`), a load (`load_then_branch`) or an add-and-store pair
    /// (`add_store_then_branch`)), ascending: the first one's
    /// position, the next instruction's and the first one's plain handler.
    /// The next instruction keeps its cells and handler; truncating or
    /// draining code at or before it restores the plain handler.
    then_fused: Vec<(usize, usize, Handler)>,
    /// Position of the last emitted handler if it is an `i32_add_si` or
    /// `i32_add_ss` (see `Last::after_add`).
    prev_add: Option<usize>,
    /// What the last emitted handler left in the accumulators (cleared by
    /// every other emission and at labels).
    acc: Option<Acc>,
    /// `(p, acc)`: control reaches code position `p` only by falling through
    /// the accumulator test branch that ends there, with `acc` in the
    /// accumulators (the value tested). Dropped when code at or before `p` is
    /// dropped and when `p` becomes a label; read by a fusion of the handler
    /// at `p` that passes the accumulator through (`br_i32_sub_and_*`).
    acc_mark: Option<(usize, Acc)>,
    /// Start of a load continuing in an `eq`/`ne` compare-branch of its value
    /// (`*_ai_then_br_i32_eq_as`) whose address is the sum of an
    /// `i32_and_*_add` right before it, when the branch falls through to the
    /// current position and no label is there (`keep_local`). Cleared at
    /// labels; checked against the code when read.
    keep_cand: Option<usize>,
    skip_depth: u32,
    fuel_cell: Option<usize>,
    fuel: bool,
    interruptible: bool,
}

/// Is fusion `name` turned off by `BATON_NOFUSE` (a comma-separated list of
/// names)? A debugging knob for measuring one fusion in one binary: two
/// builds of different code also differ in code placement, which moves the
/// time of a whole workload by more than most fusions do (see the README's
/// "Reading these numbers"). Names: `add_cmp`, `add_shr64`, `div_convert`,
/// `load_test`, `byte_index`, `load_then_sx`, `bit_set`, `post_inc`,
/// `sub_and_br`, `binop_and`, `and_add`, `mul_keep_add`, `global_add`,
/// `load_sub`, `copy_then`, `then`, `scan_loop`, `reduce_loop`,
/// `rotate_loop`, `xor_rotl`, `and_not`, `three_way`, `mul_rsub_rmw`,
/// `keep_local`, `load2_mul`, `acc_after_move`, `shr_and2`, `inset_loop`,
/// `class_loop`, `range_skip_loop`, `crc_step`, `dfa_loop`, `xor_folded`.
fn nofuse(name: &str) -> bool {
    static OFF: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let off = OFF.get_or_init(|| {
        let v = std::env::var("BATON_NOFUSE").unwrap_or_default();
        v.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect()
    });
    !off.is_empty() && off.iter().any(|x| x == name)
}

fn dump_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BATON_DUMP").is_some())
}

/// Translates defined function `def` of module `m`.
pub(crate) fn translate(m: &ModuleInner, def: usize) -> Result<Compiled> {
    translate_validating(m, def, None)
}

/// The translator's buffers, kept per thread between translations: a
/// module's functions (and lazily translated ones, one at a time) reuse the
/// vectors the previous one grew instead of growing their own from empty.
/// A translation that fails drops its buffers; the next one starts afresh.
#[derive(Default)]
struct Scratch {
    code: Vec<Cell>,
    relocs: Vec<usize>,
    stack: Vec<Operand>,
    lazy: Vec<usize>,
    ctrl: Vec<Control>,
    spare: Vec<Vec<usize>>,
    pending_adds: Vec<PendingAdd>,
    copies: Vec<(usize, Option<usize>)>,
    and_selects: Vec<usize>,
    then_fused: Vec<(usize, usize, Handler)>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

impl Scratch {
    /// This thread's buffers (empty), or new ones.
    fn take() -> Scratch {
        SCRATCH.with(|s| s.take()).unwrap_or_default()
    }
    /// Empties the buffers and keeps them for this thread's next
    /// translation, unless a huge function made them large.
    fn put_back(mut self) {
        const KEEP_CELLS: usize = 1 << 16;
        if self.code.capacity() > KEEP_CELLS || self.relocs.capacity() > KEEP_CELLS {
            return;
        }
        self.code.clear();
        self.relocs.clear();
        self.stack.clear();
        self.lazy.clear();
        self.ctrl.clear();
        self.pending_adds.clear();
        self.copies.clear();
        self.and_selects.clear();
        self.then_fused.clear();
        self.spare.truncate(64);
        SCRATCH.with(|s| s.set(Some(self)));
    }
}

/// Validator of one function body, fed operator by operator.
pub(crate) type BodyValidator = wasmparser::FuncValidator<wasmparser::ValidatorResources>;

/// Translates defined function `def`; with `validator`, validates each operator
/// before translating it (one pass over the body, used by eager translation).
pub(crate) fn translate_validating(
    m: &ModuleInner,
    def: usize,
    mut validator: Option<&mut BodyValidator>,
) -> Result<Compiled> {
    let func_index = m.num_imported_funcs as usize + def;
    let ty = m.func_type(func_index as u32);
    let body = m.body(def);
    let internal = |e: wasmparser::BinaryReaderError| Error::Invalid(e.to_string());
    if let Some(v) = validator.as_deref_mut() {
        v.read_locals(&mut body.get_binary_reader()).map_err(crate::module::invalid)?;
    }
    let mut nlocals = ty.params().len() as u64;
    for l in body.get_locals_reader().map_err(internal)? {
        let (n, _) = l.map_err(internal)?;
        nlocals += n as u64;
    }
    if nlocals > 1 << 20 {
        return Err(Error::Limit(format!("function {func_index} has {nlocals} locals")));
    }
    let config = m.engine.config();
    let sc = Scratch::take();
    let mut t = Translator {
        m,
        func_index: func_index as u32,
        code: sc.code,
        relocs: sc.relocs,
        stack: sc.stack,
        lazy: sc.lazy,
        ctrl: sc.ctrl,
        spare: sc.spare,
        nlocals: nlocals as u32,
        nresults: ty.results().len(),
        max_height: 0,
        last: None,
        pending_adds: sc.pending_adds,
        counter: None,
        prev_copy: None,
        copy_before: None,
        copies: sc.copies,
        and_selects: sc.and_selects,
        last_start: None,
        recent: [None; 2],
        post_inc: None,
        branch_source: None,
        rmw_candidate: None,
        prev_add_si: None,
        prev_load: None,
        pair_first: None,
        then_fused: sc.then_fused,
        prev_add: None,
        acc: None,
        acc_mark: None,
        keep_cand: None,
        skip_depth: 0,
        fuel_cell: None,
        fuel: config.consume_fuel,
        interruptible: config.interruptible,
    };
    let nparams = ty.params().len() as u64;
    t.emit(if nlocals > nparams { h::enter } else { h::enter_params });
    t.imm(0); // frame size, patched below
    t.imm(nparams);
    t.imm(nlocals - nparams);
    t.code.reserve((body.range().end - body.range().start) * 2);
    t.ctrl.push(Control {
        kind: Kind::Func,
        height: 0,
        params: 0,
        results: ty.results().len(),
        start: 0,
        fixups: Vec::new(),
        else_fixup: Vec::new(),
        unreachable: false,
        head: None,
    });
    t.begin_block(true);
    // Decode with the module's features, as the validator does (they decide,
    // for example, whether a memory index byte must be a plain zero).
    let mut ops = body.get_operators_reader().map_err(internal)?.get_binary_reader();
    ops.set_features(crate::module::features());
    while !ops.eof() {
        let offset = ops.original_position();
        ops.visit_operator(&mut ValidateThenTranslate { v: validator.as_deref_mut(), t: &mut t, offset })
            .map_err(internal)??;
        if t.ctrl.is_empty() {
            break;
        }
    }
    if let Some(v) = validator {
        // No operators after the function's `end`, every frame closed.
        v.finish(ops.original_position()).map_err(crate::module::invalid)?;
    }
    let frame_size = (t.nlocals as usize + t.max_height + 1).max(t.nresults).max(nparams as usize);
    if frame_size >= MAX_FRAME_SLOTS {
        return Err(Error::Limit(format!(
            "function {func_index} needs {frame_size} value slots (at most {})",
            MAX_FRAME_SLOTS - 1
        )));
    }
    t.code[1] = Cell::imm(frame_size as u64);
    // A few locals whose zeroing may spill into the (dead) operand slots
    // above them: one fixed-size store, no branch on the count.
    let (zero, end) = (nlocals - nparams, nparams as usize);
    if (1..=4).contains(&zero) && end + 4 <= frame_size {
        t.code[0] = Cell::handler(h::enter4);
    } else if (5..=8).contains(&zero) && end + 8 <= frame_size {
        t.code[0] = Cell::handler(h::enter8);
    }
    Ok(t.finish())
}

/// The decoder's visitor for one operator: validates it (when there is a
/// validator: the translator relies on valid code), then translates it. The
/// decoder calls the operator's own `visit_*` method, so the validator gets
/// no `Operator` value to dispatch on again.
struct ValidateThenTranslate<'v, 't, 'm> {
    v: Option<&'v mut BodyValidator>,
    t: &'t mut Translator<'m>,
    offset: usize,
}

macro_rules! validate_then_translate {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            fn $visit(&mut self $($(, $arg: $argty)*)?) -> Result<()> {
                if let Some(v) = self.v.as_deref_mut() {
                    v.visitor(self.offset).$visit($($($arg.clone()),*)?).map_err(crate::module::invalid)?;
                }
                self.t.op(Operator::$op $({ $($arg),* })?)
            }
        )*
    };
}

#[allow(clippy::clone_on_copy)]
impl<'a> wasmparser::VisitOperator<'a> for ValidateThenTranslate<'_, '_, '_> {
    type Output = Result<()>;
    wasmparser::for_each_visit_operator!(validate_then_translate);
}

fn block_arity(m: &ModuleInner, bt: BlockType) -> (usize, usize) {
    match bt {
        BlockType::Empty => (0, 0),
        BlockType::Type(_) => (0, 1),
        BlockType::FuncType(i) => {
            let ft = &m.types[i as usize];
            (ft.params().len(), ft.results().len())
        }
    }
}

/// A store's forms that take the value from the accumulator (`plain`, `ss`,
/// `si` layouts as the slot forms); `float`: from `facc` (an `f64.store`).
#[derive(Clone, Copy)]
struct ValueFromAcc {
    plain: Handler,
    ss: Handler,
    si: Handler,
    float: bool,
    /// The plain store with its address (not value) from the accumulator.
    addr: Handler,
    /// The `_sx` forms (address `x + (y << k)`), value from a slot and from
    /// the accumulator: `[h, (x, y, value), k, end]`.
    sx: Option<(Handler, Handler)>,
}

/// The forms of a load (see `LoadOps`).
macro_rules! load_ops {
    ($plain:ident, $a:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $abs:ident, $sx:ident, $sxa:ident) => {
        LoadOps {
            sx: h::$sx,
            sxa: h::$sxa,
            plain: h::$plain,
            a: h::$a,
            ss: h::$ss,
            si: h::$si,
            as_: h::$as,
            ai: h::$ai,
            abs: h::$abs,
            float: names_f64(stringify!($plain)),
            chained: load_load_of(stringify!($plain)),
            chain_first: matches!(stringify!($plain).as_bytes(), b"i32_load"),
            keep_addr: keep_addr_of(stringify!($plain)),
        }
    };
}

/// A load's handlers by address form: a slot (`plain`) or the accumulator
/// (`a`); a folded `i32.add` of two slots (`ss`) or a slot and a constant
/// (`si`), or the same with the accumulator as left operand (`as_`, `ai`);
/// a constant address (`abs`).
#[derive(Clone, Copy)]
struct LoadOps {
    plain: Handler,
    a: Handler,
    ss: Handler,
    si: Handler,
    as_: Handler,
    ai: Handler,
    abs: Handler,
    /// Scaled-index address `x + (y << k)`, `y` in a slot / the accumulator.
    sx: Handler,
    sxa: Handler,
    /// An `f64` load: the value goes to `facc`.
    float: bool,
    /// The `load_load` form: this load from an address that an `i32.load`
    /// just loaded (see `handlers::load_load!`).
    chained: Option<Handler>,
    /// `i32.load` (the first load of a `load_load`).
    chain_first: bool,
    /// The `_sxk` form (`handlers::load_keep_addr!`), if there is one.
    keep_addr: Option<Handler>,
}

/// The `load_keep_addr!` handler of the load named `plain`.
fn keep_addr_of(plain: &str) -> Option<Handler> {
    Some(match plain {
        "i32_load" => h::i32_load_sxk,
        "i64_load" => h::i64_load_sxk,
        "f64_load" => h::f64_load_sxk,
        _ => return None,
    })
}

/// The `load_load` handler whose second load is the load named `plain`.
/// Only narrow loads: a 32- or 64-bit value just loaded from a slot address
/// may still become a read-modify-write (`take_rmw`), which needs its load
/// alone.
fn load_load_of(plain: &str) -> Option<Handler> {
    Some(match plain {
        "i32_load8_u" => h::i32_load_load8_u,
        "i32_load8_s" => h::i32_load_load8_s,
        "i32_load16_u" => h::i32_load_load16_u,
        "i32_load16_s" => h::i32_load_load16_s,
        _ => return None,
    })
}

/// Does a handler's name say it works on `f64`s? Handler names start with
/// their operand type (unary operations and loads: with their result type).
const fn names_f64(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() > 3 && b[0] == b'f' && b[1] == b'6' && b[2] == b'4'
}

/// Does a unary operation's name say its operand is an `f64`? (`f64_sqrt`,
/// `i32_trunc_f64_s`, `f32_demote_f64`; not `f64_convert_i64_u`,
/// `f64_promote_f32`.)
fn takes_f64(name: &str) -> bool {
    name.contains("_f64") || names_f64(name) && !name.contains("_convert_") && !name.contains("_promote_")
}

/// The four forms of a binary operation (see `Bin`); `f64` ones use the float
/// accumulator. Arithmetic results have the operands' type; a compare's
/// (`; compare`) is an `i32`.
macro_rules! bin {
    ($ss:ident, $si:ident, $as:ident, $ai:ident) => {
        Bin {
            ss: h::$ss,
            si: h::$si,
            as_: h::$as,
            ai: h::$ai,
            f64_in: names_f64(stringify!($ss)),
            f64_out: names_f64(stringify!($ss)),
            rmw: None,
        }
    };
    // With read-modify-write forms (`handlers::rmw!`) of the given width.
    ($ss:ident, $si:ident, $as:ident, $ai:ident; rmw $rs:ident, $ri:ident, $w:expr) => {
        Bin { rmw: Some((h::$rs, h::$ri, $w)), ..bin!($ss, $si, $as, $ai) }
    };
    ($ss:ident, $si:ident, $as:ident, $ai:ident; compare) => {
        Bin { f64_out: false, ..bin!($ss, $si, $as, $ai) }
    };
}

macro_rules! binop {
    ($t:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $comm:expr) => {
        $t.binop(bin!($ss, $si, $as, $ai), $comm)
    };
}

macro_rules! binop_rev {
    ($t:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $is:ident, $ia:ident) => {
        $t.binop_rev(bin!($ss, $si, $as, $ai), h::$is, h::$ia)
    };
    ($t:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $is:ident, $ia:ident; rmw $rs:ident, $ri:ident, $w:expr) => {
        $t.binop_rev(bin!($ss, $si, $as, $ai; rmw $rs, $ri, $w), h::$is, h::$ia)
    };
}

macro_rules! float_mul {
    ($t:ident, $ss:ident, $si:ident, $as:ident, $ai:ident) => {
        $t.float_mul(bin!($ss, $si, $as, $ai))
    };
    ($t:ident, $ss:ident, $si:ident, $as:ident, $ai:ident; rmw $rs:ident, $ri:ident, $w:expr) => {
        $t.float_mul(bin!($ss, $si, $as, $ai; rmw $rs, $ri, $w))
    };
}

macro_rules! unop {
    ($t:ident, $h:ident, $ha:ident) => {
        $t.unop(h::$h, h::$ha, takes_f64(stringify!($h)), names_f64(stringify!($h)))
    };
}

macro_rules! cmpop {
    // The compare's value forms, branch forms (taken when true, when false),
    // `select` forms and counter-update forms.
    (@go $t:ident, $ss:ident, $si:ident, $as:ident, $ai:ident,
     $bss:ident, $bsi:ident, $bas:ident, $bai:ident, $nss:ident, $nsi:ident, $nas:ident, $nai:ident,
     $sel:expr, $ctr:expr) => {
        $t.cmpop(
            bin!($ss, $si, $as, $ai; compare),
            (h::$bss, h::$bsi, h::$bas, h::$bai),
            (h::$nss, h::$nsi, h::$nas, h::$nai),
            $sel,
            $ctr,
        )
    };
    ($t:ident, $($op:ident),+; select $sss:ident, $ssi:ident) => {
        cmpop!(@go $t, $($op),+, Some((h::$sss, h::$ssi)), None)
    };
    ($t:ident, $($op:ident),+) => {
        cmpop!(@go $t, $($op),+, None, None)
    };
    // An `i32` compare: also the counter-update forms for it, its negation,
    // and both with the operands swapped (`i64`: `wide`, without `select`).
    (ctr $ctr:ident, $nctr:ident, $mctr:ident, $nmctr:ident; $t:ident, $($op:ident),+; select $sss:ident, $ssi:ident) => {
        cmpop!(@go $t, $($op),+, Some((h::$sss, h::$ssi)), Some(CtrForms::new([h::$ctr, h::$nctr, h::$mctr, h::$nmctr], false)))
    };
    (ctr $ctr:ident, $nctr:ident, $mctr:ident, $nmctr:ident; wide $t:ident, $($op:ident),+) => {
        cmpop!(@go $t, $($op),+, None, Some(CtrForms::new([h::$ctr, h::$nctr, h::$mctr, h::$nmctr], true)))
    };
}

/// A binary operation's handlers: both operands in slots (`ss`), a constant
/// right operand (`si`), and the same two with the left operand taken from
/// the accumulator (`as_`, `ai`).
#[derive(Clone, Copy)]
struct Bin {
    ss: Handler,
    si: Handler,
    as_: Handler,
    ai: Handler,
    /// Operands (`f64_in`) and result (`f64_out`) are `f64`, which travel in
    /// the float accumulator.
    f64_in: bool,
    f64_out: bool,
    /// Read-modify-write forms (slot, constant) and their access width.
    rmw: Option<(Handler, Handler, u8)>,
}

/// A counter back edge found by `Translator::ctr_ne_back_to`: its form (the
/// index into `handlers::CTR_NE`) and counter local.
struct CtrNe {
    form: usize,
    local: u32,
    /// The slots the counter reads besides itself: its increment (`ss`/`si`
    /// forms) and its bound (`ss`/`is` forms).
    reads: [Option<u32>; 2],
}

/// A binary operation whose left operand was just loaded (see
/// `Translator::take_rmw`): the load's start and address, the operation's
/// right operand and read-modify-write forms.
#[derive(Clone, Copy)]
struct Rmw {
    load_start: usize,
    addr: Addr,
    width: u8,
    b: u32,
    imm: Option<u64>,
    ops: (Handler, Handler),
}

/// Handler `h`, or its form reading the first operand from the accumulator
/// when `use_acc` and `table` (slot form, accumulator form) has one. The
/// caller knows the accumulator holds that operand where `h` is emitted: the
/// instruction `h` replaces read it from there, and nothing runs in between.
fn acc_form(table: &[(Handler, Handler)], h: Handler, use_acc: bool) -> Handler {
    pair_of(table, h).filter(|_| use_acc).unwrap_or(h)
}

/// Of an instruction's two slots `a`, `b`, the one that is not a loop's index
/// `i`, when exactly one of them is (a native loop's shape check).
fn other_of(a: u32, b: u32, i: u32) -> Option<u32> {
    match (a == i, b == i) {
        (true, false) => Some(b),
        (false, true) => Some(a),
        _ => None,
    }
}

/// A native loop's shape check: the slots it writes are all different, and
/// none of the slots it only reads is one of them.
fn writes_apart(written: &[u32], reads: &[u32]) -> bool {
    written.iter().enumerate().all(|(k, w)| !written[k + 1..].contains(w) && !reads.contains(w))
}

/// The handler paired with `h` in `table` (a list of `(h, other form)`).
fn pair_of(table: &[(Handler, Handler)], h: Handler) -> Option<Handler> {
    table.iter().find(|(first, _)| std::ptr::fn_addr_eq(*first, h)).map(|&(_, other)| other)
}

/// What the accumulators hold after the last emitted handler: the value of
/// slot `slot` (in `facc` when `float`, else in `acc`).
#[derive(Clone, Copy)]
struct Acc {
    slot: u32,
    float: bool,
}

impl Translator<'_> {
    // ----- emission -----

    fn pos(&self) -> usize {
        self.code.len()
    }
    fn emit(&mut self, handler: Handler) {
        self.new_instruction();
        self.recent = [self.recent[1], Some(self.pos())];
        self.last_start = Some(self.pos());
        self.code.push(Cell::handler(handler));
        if let Some(fc) = self.fuel_cell {
            // SAFETY: `fc` indexes an immediate cell written by `begin_block`.
            unsafe { self.code[fc].x += 1 };
        }
    }
    /// `[copy, (dst, src)]`, merged with an immediately preceding copy into
    /// `[copy2, (dst1, src1, dst2), (src2)]`.
    fn emit_copy(&mut self, dst: impl Into<u64>, src: impl Into<u64>) {
        let (dst, src) = (dst.into() as u32, src.into() as u32);
        if let Some(prev) = self.prev_copy.take() {
            if prev + 2 == self.pos() {
                let (d1, s1) = (self.field(prev + 1, 0), self.field(prev + 1, 1));
                self.code[prev] = Cell::handler(h::copy2);
                self.code[prev + 1] = Cell::imm(pack(&[d1, s1, dst]));
                self.imm(pack(&[src]));
                self.last = None;
                return;
            }
        }
        let before = self.last_start;
        self.emit(h::copy);
        self.prev_copy = Some(self.pos() - 1);
        self.copies.push((self.pos() - 1, before));
        self.imm(pack(&[dst, src]));
    }
    /// `[copy_imm, (dst), value]`
    fn emit_copy_imm(&mut self, dst: impl Into<u64>, value: u64) {
        let before = self.last_start;
        self.emit(h::copy_imm);
        self.copies.push((self.pos() - 1, before));
        self.imm(pack(&[dst.into() as u32]));
        self.imm(value);
    }
    /// Retargets the destination (field 0) of the packed operand cell `cell`.
    fn set_dst(&mut self, cell: usize, dst: u32) {
        // SAFETY: `cell` is a packed operand cell written by `pack`.
        let x = unsafe { self.code[cell].x };
        if let Some(a) = self.acc.as_mut() {
            // The accumulator now mirrors the new destination.
            if a.slot == (x & FIELD_MASK) as u32 {
                a.slot = dst;
            }
        }
        self.code[cell] = Cell::imm((x & !FIELD_MASK) | dst as u64);
    }
    /// Field `f` of the packed operand cell `cell`.
    fn field(&self, cell: usize, f: u32) -> u32 {
        ((self.raw(cell).unwrap_or(u64::MAX) >> (FIELD_BITS * f)) & FIELD_MASK) as u32
    }
    fn imm(&mut self, x: u64) {
        self.code.push(Cell::imm(x));
    }
    /// Forgets the pending address adds (a local was written, or control flow).
    fn invalidate_adds(&mut self) {
        self.recent = [None; 2];
        self.post_inc = None;
        self.pending_adds.clear();
        self.pair_first = None;
        // Also a possible label here: the counter update must stay before it.
        self.counter = None;
    }
    /// Forgets what the previous instruction left for the next one to fuse
    /// with: a new instruction starts (or the last one was rewritten).
    fn new_instruction(&mut self) {
        self.last = None;
        self.post_inc = None;
        self.prev_add_si = None;
        self.prev_add = None;
        self.prev_load = None;
        self.rmw_candidate = None;
        self.counter = None;
        self.copy_before = self.prev_copy.take();
        self.acc = None;
    }

    /// An `i32_add_si` just emitted at `start` right after another one
    /// (`prev_add_si` from before its emission): the
    /// first becomes `i32_add_si2`, which runs both
    /// (`[add_si2, (d1, a1), k1, add_si, (d2, a2), k2]`). The second keeps its
    /// handler cell, so a branch to it still runs it alone, and its cells keep
    /// their places (retargeting its destination works as before).
    fn pair_add_si(&mut self, prev_add_si: Option<usize>, start: usize) {
        match prev_add_si {
            // The first add may have become something else since (a return,
            // `fold_into_return`, after which this add is not its successor).
            Some(first) if first + 3 == start && self.is(first, h::i32_add_si) => {
                self.fuse_then(first, start, h::i32_add_si, h::i32_add_si2);
                self.prev_add_si = None;
            }
            _ => self.prev_add_si = Some(start),
        }
    }

    /// The instruction at `first` (plain handler `plain`) gets handler
    /// `fused`, which also runs the instruction at `next` (the one right
    /// after it, which keeps its cells and handler): recorded in
    /// `then_fused`, so truncating or draining code from `next` on reverts it.
    fn fuse_then(&mut self, first: usize, next: usize, plain: Handler, fused: Handler) {
        if nofuse("then") {
            return;
        }
        self.code[first] = Cell::handler(fused);
        self.then_fused.push((first, next, plain));
    }

    /// Code from `pos` on is about to be removed or moved: instructions fused
    /// with an instruction in it (`then_fused`) get their plain handlers back.
    fn unpair_adds(&mut self, pos: usize) {
        if self.prev_add_si.is_some_and(|p| p >= pos) {
            self.prev_add_si = None;
        }
        while let Some(&(add, next, plain)) = self.then_fused.last() {
            if next < pos {
                break;
            }
            if add < pos {
                self.code[add] = Cell::handler(plain);
            }
            self.then_fused.pop();
        }
    }

    /// Drops the code from `pos` on (the last instruction, being fused).
    fn truncate_code(&mut self, pos: usize) {
        self.unpair_adds(pos);
        self.forget_copies_from(pos);
        self.last_start = None;
        if self.recent[1].is_some_and(|l| l >= pos) {
            self.recent = [None, self.recent[0].filter(|&b| b < pos)];
        }
        self.branch_source = self.branch_source.filter(|&s| s < pos);
        self.code.truncate(pos);
        while self.and_selects.last().is_some_and(|&q| q >= pos) {
            self.and_selects.pop();
        }
        self.acc = None;
        self.acc_mark = self.acc_mark.filter(|&(p, _)| p <= pos);
        self.counter = None;
        self.prev_load = self.prev_load.filter(|&p| p < pos);
        // Dropping the instruction emitted right after a copy: the copy is
        // last again.
        self.prev_copy = self.copy_before.take().filter(|&c| c + 2 == pos);
        self.pending_adds.retain(|pa| pa.end <= pos);
        self.uncount_handler();
    }
    /// One handler less in the current block's fuel count (its code was
    /// removed).
    fn uncount_handler(&mut self) {
        if let Some(fc) = self.fuel_cell {
            // SAFETY: `fc` is the immediate written by `begin_block`.
            unsafe { self.code[fc].x -= 1 };
        }
    }
    /// A cell holding a code position, turned into a pointer by `finish`.
    fn target(&mut self, pos: usize) {
        self.invalidate_adds();
        self.relocs.push(self.pos());
        self.imm(pos as u64);
    }
    /// Byte-copy and byte-fill loops run as one handler (see
    /// `handlers::copy_loop!`, `handlers::fill_loop!`): a loop of two or
    /// three instructions at a branch target `p` whose last instruction
    /// branches back to `p`. Only the handler of the cell at `p` changes, so
    /// every way into the loop (and into its later cells) keeps its meaning.
    /// Works on the finished code: branch targets are handler cells, and the
    /// layouts of the handlers found locate the rest.
    fn fuse_bulk_loops(&mut self) {
        self.fuse_at_targets(|t, p| {
            t.copy_loop_at(p)
                .or_else(|| t.store_loop_at(p))
                .or_else(|| t.fill_loop_at(p))
                .or_else(|| t.counter_loop_at(p))
                .or_else(|| t.scan_loop_at(p))
                .or_else(|| t.inset_loop_at(p))
                .or_else(|| t.class_loop_at(p))
                .or_else(|| t.range_skip_loop_at(p))
                .or_else(|| t.dfa_loop_at(p))
                .or_else(|| t.reduce_loop_at(p))
                .or_else(|| t.list_reverse_loop_at(p))
                .or_else(|| t.list_find_loop_at(p))
        });
    }
    /// Gives every branch target `p` for which `find` names a loop handler
    /// that handler (only the cell at `p` changes).
    fn fuse_at_targets(&mut self, find: impl Fn(&Self, usize) -> Option<Handler>) {
        for i in 0..self.relocs.len() {
            let Some(p) = self.raw(self.relocs[i]).map(|p| p as usize) else { continue };
            if let Some(fused) = find(self, p) {
                self.code[p] = Cell::handler(fused);
            }
        }
    }
    /// The copies at positions `pos` and later are about to be removed or
    /// moved: `fuse_copies` must not look at them.
    fn forget_copies_from(&mut self, pos: usize) {
        while self.copies.last().is_some_and(|&(c, _)| c >= pos) {
            self.copies.pop();
        }
    }
    /// A `copy`, `copy2` or `copy_imm` followed by one of the handlers of
    /// `handlers::copy_then!` becomes the handler doing both (one dispatch
    /// fewer). Only the copy's handler cell changes: the next instruction
    /// keeps its cells and handler, so a branch to it runs it alone. Works on
    /// the finished code, where `copies` holds exactly the copy instructions'
    /// positions (an instruction's cells follow it, so the next one starts
    /// right after the copy's).
    fn fuse_copies(&mut self) {
        for i in 0..self.copies.len() {
            let (p, before) = self.copies[i];
            // `t = a + b` right before a `copy2`: one `*_add_ss_then_copy2`.
            if let (Some(q), true) = (before, self.is(p, h::copy2)) {
                // The rotation proper (`b = t`, `a` not `t`) stores the sum
                // from its register.
                let [d1, _, _] = self.fields_at(p + 1);
                let dst = self.field(q + 1, 0);
                let rotate = self.field(p + 2, 0) == dst && d1 != dst;
                let fused = match (self.is(q, h::i32_add_ss), self.is(q, h::i64_add_ss), rotate) {
                    (true, _, false) => Some(h::i32_add_ss_then_copy2 as Handler),
                    (true, _, true) => Some(h::i32_add_ss_then_rotate as Handler),
                    (_, true, false) => Some(h::i64_add_ss_then_copy2 as Handler),
                    (_, true, true) => Some(h::i64_add_ss_then_rotate as Handler),
                    _ => None,
                };
                if let (Some(f), true) = (fused, q + 2 == p) {
                    self.code[q] = Cell::handler(f);
                }
            }
            let (cells, table) = if self.is(p, h::copy) {
                (2, h::COPY_THEN)
            } else if self.is(p, h::copy_imm) {
                (3, h::COPY_IMM_THEN)
            } else if self.is(p, h::copy2) {
                (3, h::COPY2_THEN)
            } else {
                // Merged into a `copy_br_*`: not a copy any more.
                continue;
            };
            if let Some(&(_, fused)) =
                table.iter().find(|(next, _)| self.is(p + cells, *next)).filter(|_| !nofuse("copy_then"))
            {
                self.code[p] = Cell::handler(fused);
            }
        }
    }
    /// Cell `i` as its 8 raw bytes (branch targets still positions).
    fn raw(&self, i: usize) -> Option<u64> {
        // SAFETY: every cell is initialised; read as its 8 raw bytes.
        self.code.get(i).map(|c| unsafe { c.x })
    }
    fn is(&self, i: usize, f: Handler) -> bool {
        self.raw(i) == Some(f as usize as u64)
    }
    fn fields_at(&self, i: usize) -> [u32; 3] {
        [0, 1, 2].map(|f| self.field(i, f))
    }
    /// A `ctr_ne_*` instruction at `c` whose branch goes back to `p`.
    fn ctr_ne_back_to(&self, c: usize, p: usize) -> Option<CtrNe> {
        self.ctr_back_to(&h::CTR_NE, c, p)
    }
    /// A counter instruction of `forms` (a `handlers::ctr_br!` table) at `c`
    /// whose branch goes back to `p` (see `ctr_ne_back_to`).
    fn ctr_back_to(&self, forms: &[Handler; 4], c: usize, p: usize) -> Option<CtrNe> {
        let form = forms.iter().position(|&f| self.is(c, f))?;
        // `[ctr, (local, a, inc), bound, target]` or `[ctr, (local, a), inc, bound, target]`.
        let target = if form < 2 { 3 } else { 4 };
        if self.raw(c + target) != Some(p as u64) {
            return None;
        }
        let [local, a, inc] = self.fields_at(c + 1);
        let bound = (form % 2 == 0).then(|| self.fields_at(c + target - 1)[0]);
        // Only `local = local + inc` with an increment and bound other than
        // the counter itself (so both stay fixed while the loop runs).
        let inc = (form < 2).then_some(inc);
        let plain = a == local && inc != Some(local) && bound != Some(local);
        plain.then_some(CtrNe { form, local, reads: [inc, bound] })
    }
    /// A `ctr_ne_*`/`ctr64_ne_*` at `p` branching back to `p`: a loop with
    /// nothing but its counter, which `handlers::ctr_self_loop!` keeps in the
    /// accumulator from one round to the next.
    fn counter_loop_at(&self, p: usize) -> Option<Handler> {
        [(&h::CTR_NE, &h::CTR_NE_LOOP), (&h::CTR64_NE, &h::CTR64_NE_LOOP)]
            .into_iter()
            .find_map(|(forms, loops)| self.ctr_back_to(forms, p, p).map(|c| loops[c.form]))
    }
    /// `mcopy8_ss` at `p`, then `ctr_ne_*` back to `p` stepping the index
    /// slot of both addresses (and nothing else of the loop).
    fn copy_loop_at(&self, p: usize) -> Option<Handler> {
        if !self.is(p, h::mcopy8_ss) {
            return None;
        }
        let CtrNe { form, local, .. } = self.ctr_ne_back_to(p + 5, p)?;
        let ([sa, sb, da], [db, ..]) = (self.fields_at(p + 1), self.fields_at(p + 2));
        let ok = sb == local && db == local && sa != local && da != local;
        ok.then_some([h::copy_loop_ss as Handler, h::copy_loop_si, h::copy_loop_is, h::copy_loop_ii][form])
    }
    /// `i32_store8_ss`/`i32_store8_imm_ss` at `p` of a value other than the
    /// counter at `i + q`, then `ctr_ne_*` back to `p` stepping `i`.
    fn store_loop_at(&self, p: usize) -> Option<Handler> {
        let (cells, value_slot, forms): (usize, _, [Handler; 4]) = if self.is(p, h::i32_store8_imm_ss) {
            (4, None, [h::store_loop_imm_ss, h::store_loop_imm_si, h::store_loop_imm_is, h::store_loop_imm_ii])
        } else if self.is(p, h::i32_store8_ss) {
            let v = self.fields_at(p + 1)[2];
            (3, Some(v), [h::store_loop_slot_ss, h::store_loop_slot_si, h::store_loop_slot_is, h::store_loop_slot_ii])
        } else {
            return None;
        };
        let CtrNe { form, local, .. } = self.ctr_ne_back_to(p + cells, p)?;
        let [x, y, _] = self.fields_at(p + 1);
        let ok = (x == local) != (y == local) && value_slot != Some(local);
        ok.then_some(forms[form])
    }
    /// `i32_add_si n, n, -1` at `p`, a byte store of a value other than `n`
    /// at `n + q` (`q` another slot), then `br_nez_i32 n` back to `p`.
    fn fill_loop_at(&self, p: usize) -> Option<Handler> {
        let [n, a, _] = self.fields_at(p + 1);
        if !self.is(p, h::i32_add_si) || a != n || self.raw(p + 2) != Some(u32::MAX as u64) {
            return None;
        }
        let st = p + 3;
        let (fused, cells, value_slot) = if self.is(st, h::i32_store8_imm_ss) {
            (h::fill_loop_imm as Handler, 4, None)
        } else if self.is(st, h::i32_store8_ss) {
            (h::fill_loop_slot as Handler, 3, Some(self.fields_at(st + 1)[2]))
        } else {
            return None;
        };
        let [x, y, _] = self.fields_at(st + 1);
        let br = st + cells;
        let ok = self.is(br, h::br_nez_i32)
            && self.raw(br + 1) == Some(n as u64)
            && self.raw(br + 2) == Some(p as u64)
            && (x == n) != (y == n)
            && value_slot != Some(n);
        ok.then_some(fused)
    }
    /// The reduction loop of `handlers::reduce_loop!` at `p`: `s = s +
    /// load(i)` then a `ctr_ne_*` on `i` back to `p`, `s` not the counter
    /// (nor, as `ctr_back_to` checks for the counter, its increment or bound).
    fn reduce_loop_at(&self, p: usize) -> Option<Handler> {
        let &(_, loops) = h::REDUCE_LOOPS.iter().find(|&&(op, _)| self.is(p, op))?;
        if nofuse("reduce_loop") {
            return None;
        }
        let CtrNe { form, local, reads } = self.ctr_ne_back_to(p + 3, p)?;
        let [s, i, y] = self.fields_at(p + 1);
        let ok = y == s && i == local && s != i && !reads.contains(&Some(s));
        ok.then_some(loops[form])
    }
    /// The list reversal of `handlers::list_reverse_loop` at `p`: a copy
    /// `c = l`, the 32-bit load `l = [c + k1]`, the store `[c + k2] = r` and
    /// `r = c` branching back to `p` while `l != 0`, with `c`, `l` and `r`
    /// three slots.
    fn list_reverse_loop_at(&self, p: usize) -> Option<Handler> {
        if !self.is(p, h::copy) || nofuse("list_reverse_loop") {
            return None;
        }
        let [c, l, _] = self.fields_at(p + 1);
        let load = self.is(p + 2, h::i32_load) || self.is(p + 2, h::i64_load32_u);
        let [ld, la, _] = self.fields_at(p + 3);
        let [sa, r, _] = self.fields_at(p + 6);
        let ok = load
            && (ld, la) == (l, c)
            && self.is(p + 5, h::i32_store)
            && sa == c
            && self.is(p + 8, h::copy_br_nez)
            && self.fields_at(p + 9) == [r, c, l]
            && self.raw(p + 10) == Some(p as u64)
            && writes_apart(&[c, l, r], &[]);
        ok.then_some(h::list_reverse_loop as Handler)
    }
    /// The list search of `handlers::list_find_loop!` at `p`: a double load
    /// `d = [[a + k1] + k2]` (through `m`), the key `x = y & mask`, a branch
    /// out if `d == x`, and `a = [a + k3]` branching back to `p` while not 0;
    /// `a` none of `m`, `d`, `x`, `d` not `x`, and `y` none of the four.
    fn list_find_loop_at(&self, p: usize) -> Option<Handler> {
        let &(_, fused) = h::LIST_FIND_LOOPS.iter().find(|&&(load, _)| self.is(p, load))?;
        if nofuse("list_find_loop") {
            return None;
        }
        let [d, a, m] = self.fields_at(p + 1);
        let [x, y, _] = self.fields_at(p + 5);
        let [u, w, _] = self.fields_at(p + 8);
        let compare = (self.is(p + 7, h::br_i32_eq_ss) && ((u, w) == (d, x) || (u, w) == (x, d)))
            || (self.is(p + 7, h::br_i32_eq_as) && (u, w) == (x, d));
        let ok = self.is(p + 4, h::i32_and_si)
            && compare
            && self.is(p + 10, h::i32_load_br_nez)
            && self.fields_at(p + 11)[..2] == [a, a]
            && self.raw(p + 13) == Some(p as u64)
            && ![m, d, x].contains(&a)
            && d != x
            && ![a, m, d, x].contains(&y);
        ok.then_some(fused)
    }
    /// The rotation loop of `handlers::rotate_loop!` at `p`: `t = a + b; a =
    /// b; b = t` then a `ctr_ne_*`/`ctr64_ne_*` back to `p`, with `t`, `a`,
    /// `b` and the counter four slots, and the counter's increment and bound
    /// none of the first three (`ctr_back_to` checks them against the counter).
    fn rotate_loop_at(&self, p: usize) -> Option<Handler> {
        let &(_, loops) = h::ROTATE_LOOPS.iter().find(|&&(op, _)| self.is(p, op))?;
        if nofuse("rotate_loop") {
            return None;
        }
        let c = p + 5;
        let (wide, CtrNe { form, local, reads }) = match self.ctr_ne_back_to(c, p) {
            Some(ctr) => (0, ctr),
            None => (1, self.ctr_back_to(&h::CTR64_NE, c, p)?),
        };
        let ([t, a, b], [d1, s1, d2]) = (self.fields_at(p + 1), self.fields_at(p + 3));
        let abt = [t, a, b];
        let distinct = t != a && t != b && a != b && !abt.contains(&local);
        let ok = d1 == a
            && s1 == b
            && d2 == b
            && self.field(p + 4, 0) == t
            && distinct
            && reads.iter().flatten().all(|s| !abt.contains(s));
        ok.then_some(loops[wide][form])
    }
    /// The byte-scan loop of `handlers::scan_loop!` at `p`: its instructions
    /// in place (the increment right after the bit test, or where the bit
    /// test jumps to), the back edge to `p`, and the slots it writes (`c`, `r`,
    /// `i`) distinct from each other and from those it only reads.
    fn scan_loop_at(&self, p: usize) -> Option<Handler> {
        if !self.is(p, h::i32_load8_u_ss) || nofuse("scan_loop") {
            return None;
        }
        let (test, bit) = (p + 3, p + 8);
        let &(_, _, forms) = h::SCAN_LOOPS.iter().find(|&&(t, b, _)| self.is(test, t) && self.is(bit, b))?;
        // Where the next round goes on decides the form: leaving the native
        // loop at the other way just runs the plain instructions there.
        let increment = |q: usize| {
            self.is(q, h::i32_add_si_then_store_v_then_br_i32_ne_ss)
                && self.is(q + 3, h::i32_store_v)
                && self.is(q + 6, h::br_i32_ne_ss)
                && self.raw(q + 8) == Some(p as u64)
        };
        let jump = self.raw(bit + 3)? as usize;
        let (fused, q) = if increment(p + 12) {
            (forms[0], p + 12)
        } else if increment(jump) {
            (forms[1], jump)
        } else {
            return None;
        };
        let (store, back) = (q + 3, q + 6);
        let ([c, x, y], [r, src, _], [tested, ..]) =
            (self.fields_at(p + 1), self.fields_at(test + 1), self.fields_at(bit + 1));
        let ([i, from, _], [at, ..], [ba, bb, _]) =
            (self.fields_at(q + 1), self.fields_at(store + 1), self.fields_at(back + 1));
        let other = other_of(x, y, i)?;
        let lim = other_of(ba, bb, i)?;
        let ok = src == c && tested == r && from == i && writes_apart(&[c, r, i], &[other, at, lim]);
        ok.then_some(fused)
    }
    /// The set-member scan loop of `handlers::inset_loop!` at `p`: its four
    /// instructions, the back edge to `p`, and the slots it writes (`c`, `r`,
    /// `i`) distinct from each other and from the ones it only reads.
    fn inset_loop_at(&self, p: usize) -> Option<Handler> {
        if !self.is(p, h::i32_load8_u_ss) || nofuse("inset_loop") {
            return None;
        }
        let (add, test, ctr) = (p + 3, p + 6, p + 10);
        let add_ok = self.is(add, h::i32_add_ai) || self.is(add, h::i32_add_si);
        let exit_in = if self.is(test, h::br_i32_inset_ai) || self.is(test, h::br_i32_inset_si) {
            true
        } else if self.is(test, h::br_i32_ninset_ai) || self.is(test, h::br_i32_ninset_si) {
            false
        } else {
            return None;
        };
        let lim_imm = if self.is(ctr, h::ctr_ne_is) {
            false
        } else if self.is(ctr, h::ctr_ne_ii) {
            true
        } else {
            return None;
        };
        let ([c, x, y], [r, src, _], [tested, ..], [i, from, _]) =
            (self.fields_at(p + 1), self.fields_at(add + 1), self.fields_at(test + 1), self.fields_at(ctr + 1));
        let other = other_of(x, y, i)?;
        let lim = self.field(ctr + 3, 0);
        let reads: &[u32] = if lim_imm { &[other] } else { &[other, lim] };
        let ok = add_ok
            && src == c
            && tested == r
            && from == i
            && writes_apart(&[c, r, i], reads)
            && self.raw(ctr + 4) == Some(p as u64);
        let form = match (exit_in, lim_imm) {
            (true, false) => h::inset_loop_in_s,
            (true, true) => h::inset_loop_in_i,
            (false, false) => h::inset_loop_out_s,
            (false, true) => h::inset_loop_out_i,
        };
        ok.then_some(form)
    }
    /// The character-class scan loop of `handlers::class_loop!` at `p`: its
    /// four instructions, the back edge to `p`, the index `i` distinct from
    /// the other slots written (`c`, `u`, `v`), and the slots only read
    /// (the other address operand, `lim`) distinct from all four.
    fn class_loop_at(&self, p: usize) -> Option<Handler> {
        if !self.is(p, h::br_i32_eq_ss) || nofuse("class_loop") {
            return None;
        }
        let (ld, and, test) = (p + 3, p + 8, p + 11);
        let and_ok = self.is(and, h::i32_and_ai) || self.is(and, h::i32_and_si);
        let form = if self.is(test, h::br_i32_add_and_lt_u_a) {
            h::class_loop_lt_u
        } else if self.is(test, h::br_i32_add_and_le_u_a) {
            h::class_loop_le_u
        } else {
            return None;
        };
        if !and_ok || !self.is(ld, h::i32_load8_u_ss_inc) {
            return None;
        }
        let ([a, b, _], [c, x, y], [i, from, _], [u, src, _], [v, tested, _]) = (
            self.fields_at(p + 1),
            self.fields_at(ld + 1),
            self.fields_at(ld + 3),
            self.fields_at(and + 1),
            self.fields_at(test + 1),
        );
        let lim = other_of(a, b, i)?;
        let other = other_of(x, y, i)?;
        let written = [c, u, v, i];
        let ok = from == i
            && src == c
            && tested == u
            && ![c, u, v].contains(&i)
            && !written.contains(&lim)
            && !written.contains(&other)
            && self.raw(test + 4) == Some(p as u64);
        ok.then_some(form)
    }
    /// The range loop of `handlers::range_skip_loop` at `p`: its
    /// instructions, the back edge to `p`, and the slots it writes distinct
    /// from each other and from the ones it only reads.
    fn range_skip_loop_at(&self, p: usize) -> Option<Handler> {
        let (and, br) = (p + 3, p + 6);
        let heads = [(p, h::i32_load8_u_ss as Handler), (and, h::i32_and_si), (br, h::br_i32_eq_ss)];
        if !heads.iter().all(|&(q, f)| self.is(q, f)) || nofuse("range_skip_loop") {
            return None;
        }
        let s = self.raw(br + 2)? as usize;
        let (eq, out, add, ci, sel, back) = (s, s + 3, s + 6, s + 9, s + 12, s + 15);
        let tail = [
            (eq, h::i32_eq_si as Handler),
            (out, h::br_nez_i32_a),
            (add, h::i32_add_si),
            (ci, h::copy_imm),
            (sel, h::select),
        ];
        let back_ok = self.is(back, h::br_i32_le_u_ai) || self.is(back, h::br_i32_le_u_si);
        if s <= br + 2 || !back_ok || !tail.iter().all(|&(q, f)| self.is(q, f)) {
            return None;
        }
        let ([c, y1, y2], [t, x, _], [b1, b2, _]) =
            (self.fields_at(p + 1), self.fields_at(and + 1), self.fields_at(br + 1));
        let ([e, i, _], [n, from, _], [sel_dst, cond, a], [sel_b, ..]) =
            (self.fields_at(eq + 1), self.fields_at(add + 1), self.fields_at(sel + 1), self.fields_at(sel + 2));
        let (tested, z) = (self.field(out + 1, 0), self.field(ci + 1, 0));
        let other = other_of(y1, y2, i)?;
        // Writes go `c, t, e, n, z, i` each round. A slot may be reused once
        // its value was read (`e` in `c`'s, `n` in `t`'s), but `c` and `t`
        // must both live to their compare, `e` to the select, `n` past `z`,
        // and `i` all round.
        let written = [c, t, e, n, z, i];
        let distinct = c != t && ![n, z].contains(&e) && n != z && ![c, t, e, n, z].contains(&i);
        let ok = distinct
            && ((b1, b2) == (c, t) || (b1, b2) == (t, c))
            && tested == e
            && from == i
            && self.raw(add + 2) == Some(1)
            && (sel_dst, cond, a, sel_b) == (i, e, z, n)
            && self.field(back + 1, 0) == i
            && self.raw(back + 3) == Some(p as u64)
            && !written.contains(&x)
            && !written.contains(&other);
        ok.then_some(h::range_skip_loop as Handler)
    }
    /// The automaton loop of `handlers::dfa_loop` at `p`: its instructions,
    /// the branch to the counter `q` and the counter's back edge to `p`,
    /// and its slots (see the handler).
    fn dfa_loop_at(&self, p: usize) -> Option<Handler> {
        let (ld, add, lenck, step, spec) = (p + 3, p + 8, p + 10, p + 16, p + 22);
        let shape = [
            (p, h::br_i32_eq_ss as Handler),
            (ld, h::i32_load8_u_ss_load8_u),
            (add, h::i32_add_as),
            (lenck, h::i32_load_then_br_i32_ge_u_ss),
            (lenck + 3, h::br_i32_ge_u_ss),
            (step, h::i32_load_then_load_sx),
            (spec, h::i32_load_then_br_i32_gt_u_ss),
            (spec + 3, h::br_i32_gt_u_ss),
        ];
        if !shape.iter().all(|&(c, f)| self.is(c, f)) || nofuse("dfa_loop") {
            return None;
        }
        let q = self.raw(spec + 5)? as usize;
        if !self.is(q, h::ctr_ne_is) || self.raw(q + 4) != Some(p as u64) {
            return None;
        }
        let ([e0, e1, _], [b, x, y], [cls, tbl, _], [idx, a1, a2]) =
            (self.fields_at(p + 1), self.fields_at(ld + 1), self.fields_at(ld + 3), self.fields_at(add + 1));
        let ([n, d, _], [c1, c2, _], [st, d2, tab], [y2, ..]) =
            (self.fields_at(lenck + 1), self.fields_at(lenck + 4), self.fields_at(step + 1), self.fields_at(step + 3));
        let ([mx, d3, _], [g1, g2, _], [i, from, _], lim) =
            (self.fields_at(spec + 1), self.fields_at(spec + 4), self.fields_at(q + 1), self.field(q + 3, 0));
        let end = other_of(e0, e1, i)?;
        let other = other_of(x, y, i)?;
        // `mx` may reuse `cls`'s slot: `cls` is read before `mx` is written.
        let first = [b, cls, idx, n, tab, st];
        let distinct =
            first.iter().enumerate().all(|(k, w)| !first[k + 1..].contains(w)) && ![b, idx, n, tab, st].contains(&mx);
        let written = [b, cls, idx, n, tab, st, mx];
        let read_only = [end, other, tbl, d, lim];
        let ok = distinct
            && (a1, a2) == (cls, st)
            && (c1, c2) == (idx, n)
            && d2 == d
            && d3 == d
            && y2 == idx
            && (g1, g2) == (st, mx)
            && from == i
            && !written.contains(&i)
            && read_only.iter().all(|r| !written.contains(r) && *r != i);
        ok.then_some(h::dfa_loop as Handler)
    }
    /// Bit-serial CRC steps (`handlers::crc_step!`): the three instructions
    /// before a `select_i32_and_ai` that compute its values and condition
    /// run as one handler in the first one's cell.
    fn fuse_crc_steps(&mut self) {
        if nofuse("crc_step") {
            return;
        }
        for k in 0..self.and_selects.len() {
            let p = self.and_selects[k];
            let Some(q) = p.checked_sub(9) else { continue };
            let (xor, mix) = (q + 3, q + 6);
            let fused = if self.is(q, h::i32_shr_u_and_a) {
                h::crc_step_a as Handler
            } else if self.is(q, h::i32_shr_u_and) {
                h::crc_step
            } else {
                continue;
            };
            if !self.is(p, h::select_i32_and_ai) || !self.is(xor, h::i32_xor_ai) || !self.is(mix, h::i32_xor_shr_u_s) {
                continue;
            }
            let ([s, crc, _], [v, s2, _], [c, x, d], [a, b, _]) =
                (self.fields_at(q + 1), self.fields_at(xor + 1), self.fields_at(mix + 1), self.fields_at(p + 3));
            let written = [s, v, c];
            let ok = s2 == s
                && x == crc
                && (a, b) == (v, s)
                && s != v
                && c != s
                && c != v
                && !written.contains(&crc)
                && !written.contains(&d);
            if ok {
                self.code[q] = Cell::handler(fused);
            }
        }
    }
    fn finish(mut self) -> Compiled {
        self.fuse_bulk_loops();
        self.fuse_crc_steps();
        self.fuse_copies();
        // After `fuse_copies`, which makes the rotations these loops start with.
        self.fuse_at_targets(Self::rotate_loop_at);
        let len = self.code.len();
        let (compiled, base) = Compiled::new(&self.code);
        for &r in &self.relocs {
            // SAFETY: `r < len`; reloc cells were written by `target` as positions
            // within the code, which become pointers derived from `base`.
            unsafe {
                let cell = base.add(r);
                let p = (*cell).x as usize;
                *cell = Cell::ptr(base.add(p));
            }
        }
        if dump_enabled() {
            // A debugging aid: `BATON_DUMP=1` prints each translated function's
            // cells; `scripts/dump-code.py` turns handler addresses into names.
            // SAFETY: `len` cells from `base`, each read as its raw 8 bytes.
            let cells: Vec<String> = (0..len).map(|i| format!("{:x}", unsafe { (*base.add(i)).x })).collect();
            eprintln!(
                "baton-dump func={} copy={:x} base={:x} cells={}",
                self.func_index,
                h::copy as *const () as usize,
                base.addr(),
                cells.join(",")
            );
        }
        Scratch {
            code: self.code,
            relocs: self.relocs,
            stack: self.stack,
            lazy: self.lazy,
            ctrl: self.ctrl,
            spare: self.spare,
            pending_adds: self.pending_adds,
            copies: self.copies,
            and_selects: self.and_selects,
            then_fused: self.then_fused,
        }
        .put_back();
        compiled
    }
    /// Starts a straight-line region: fuel and interrupt checks if enabled.
    fn begin_block(&mut self, check: bool) {
        self.last = None;
        if self.fuel {
            self.fuel_cell = None;
            self.emit(h::fuel);
            self.fuel_cell = Some(self.pos());
            self.imm(0);
        }
        if check && self.interruptible {
            self.emit(h::check_interrupt);
        }
    }

    // ----- operand stack -----

    fn home(&self, p: usize) -> u32 {
        self.nlocals + p as u32
    }
    fn push(&mut self, o: Operand) {
        if let Operand::Local(_) = o {
            if self.lazy.len() >= MAX_LAZY_LOCALS {
                // Too many pending local references: copy this one right away,
                // which keeps `materialize_locals` O(1) per instruction.
                self.stack.push(o);
                self.max_height = self.max_height.max(self.stack.len());
                let p = self.stack.len() - 1;
                self.lazy.push(p);
                self.materialize(p);
                return;
            }
            self.lazy.push(self.stack.len());
        }
        self.stack.push(o);
        self.max_height = self.max_height.max(self.stack.len());
    }
    fn pop(&mut self) -> Operand {
        // Validation guarantees the operand exists in reachable code.
        let o = self.stack.pop().unwrap_or(Operand::Temp);
        if let Operand::Local(_) = o {
            self.lazy.pop();
        }
        // A pending add's result is only good while it is on the stack.
        let home = self.home(self.stack.len());
        self.pending_adds.retain(|pa| pa.dst != home);
        o
    }
    fn truncate(&mut self, len: usize) {
        self.stack.truncate(len);
        while self.lazy.last().is_some_and(|&p| p >= len) {
            self.lazy.pop();
        }
        let home = self.home(len);
        self.pending_adds.retain(|pa| pa.dst < home);
    }
    /// The slot holding operand `o` that sat at position `p`; constants are
    /// copied to the home slot.
    fn slot_of(&mut self, o: Operand, p: usize) -> u32 {
        match o {
            Operand::Temp => self.home(p),
            Operand::Local(i) => i,
            Operand::Const(c) => {
                let home = self.home(p);
                self.emit_copy_imm(home as u64, c);
                home
            }
        }
    }
    /// Makes stack entry `p` a `Temp` (its value in its home slot).
    fn materialize(&mut self, p: usize) {
        let home = self.home(p) as u64;
        match self.stack[p] {
            Operand::Temp => return,
            Operand::Local(i) => {
                self.emit_copy(home, i as u64);
            }
            Operand::Const(c) => {
                self.emit_copy_imm(home, c);
            }
        }
        if let Operand::Local(_) = self.stack[p] {
            self.lazy.retain(|&q| q != p);
        }
        self.stack[p] = Operand::Temp;
    }
    fn materialize_top(&mut self, n: usize) {
        let len = self.stack.len();
        for p in len - n..len {
            self.materialize(p);
        }
    }
    /// Copies every lazily referenced local on the stack into its home slot.
    fn materialize_locals(&mut self, only: Option<u32>) {
        let lazy = self.lazy.clone();
        for p in lazy {
            if let Operand::Local(i) = self.stack[p] {
                if only.is_none_or(|o| o == i) {
                    self.materialize(p);
                }
            }
        }
    }
    /// `push_result` of a handler that also leaves its result in the
    /// accumulator (`facc` when `float`).
    fn push_value(&mut self, start: usize, dst_cell: usize, float: bool) {
        self.push_result(start, dst_cell, None);
        self.acc = Some(Acc { slot: self.home(self.stack.len() - 1), float });
    }

    fn push_result(&mut self, start: usize, dst_cell: usize, cond: Option<Cond>) {
        let dst = self.home(self.stack.len());
        self.push(Operand::Temp);
        let rmw = self.rmw_candidate.take();
        self.last = Some(Last { start, dst_cell, dst, cond, rmw, ..Last::default() });
    }

    // ----- generic instruction shapes -----

    /// `[handler, (dst, a)]`, or `acc_form` when the accumulator holds `a`
    /// (of float-ness `f64_in`); `f64_out` if the result is an `f64`.
    fn unop(&mut self, handler: Handler, acc_form: Handler, f64_in: bool, f64_out: bool) {
        let a = self.pop();
        let p = self.stack.len();
        let sa = self.slot_of(a, p);
        let start = self.pos();
        self.emit(if self.in_acc(sa, f64_in) { acc_form } else { handler });
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), sa]));
        self.push_value(start, dst_cell, f64_out);
    }

    /// Is the value of slot `s` (of float-ness `float`) in the accumulator?
    fn in_acc(&self, s: u32, float: bool) -> bool {
        self.acc.is_some_and(|a| a.slot == s && a.float == float)
    }

    /// Emits `[handler, dst, a, b|imm]`; returns (start, dst cell, a, b, imm,
    /// whether `a` came from the accumulator). The
    /// left operand comes from the accumulator when it holds it (for a
    /// commutative operation, either operand). Leaves the result in the
    /// accumulator.
    fn binop_emit(&mut self, ops: Bin, commutative: bool) -> (usize, usize, u32, u32, Option<u64>, bool) {
        let b = self.pop();
        let a = self.pop();
        let pa = self.stack.len();
        let dst = self.home(pa) as u64;
        let (mut handler, mut sa, mut sb, imm) = match (a, b) {
            (_, Operand::Const(c)) => (ops.si, self.slot_of(a, pa), 0, Some(c)),
            (Operand::Const(c), _) if commutative => (ops.si, self.slot_of(b, pa + 1), 0, Some(c)),
            _ => {
                let sa = self.slot_of(a, pa);
                let sb = self.slot_of(b, pa + 1);
                (ops.ss, sa, sb, None)
            }
        };
        let mut a_acc = true;
        if imm.is_some() {
            if self.in_acc(sa, ops.f64_in) {
                handler = ops.ai;
            } else {
                a_acc = false;
            }
        } else if self.in_acc(sa, ops.f64_in) {
            handler = ops.as_;
        } else if commutative && self.in_acc(sb, ops.f64_in) {
            handler = ops.as_;
            std::mem::swap(&mut sa, &mut sb);
        } else {
            a_acc = false;
        }
        let loaded = self.last.and_then(|l| l.load.map(|(w, addr, _)| (l.start, l.dst, w, addr)));
        let start = self.pos();
        self.emit(handler);
        // The left operand was just loaded from a slot address: a store of
        // the result to the same place may take all three (`take_rmw`).
        if let (true, Some((rs, ri, w)), Some((load_start, load_dst, lw, addr))) = (a_acc, ops.rmw, loaded) {
            if load_dst == sa && lw == w && matches!(addr.rhs, AddrRhs::Imm(0)) {
                self.rmw_candidate = Some(Rmw { load_start, addr, width: w, b: sb, imm, ops: (rs, ri) });
            }
        }
        self.acc = Some(Acc { slot: dst as u32, float: ops.f64_out });
        let dst_cell = self.pos();
        match imm {
            Some(k) => {
                self.imm(pack(&[dst as u32, sa]));
                self.imm(k);
            }
            None => self.imm(pack(&[dst as u32, sa, sb])),
        }
        (start, dst_cell, sa, sb, imm, a_acc)
    }

    fn binop(&mut self, ops: Bin, commutative: bool) {
        let (start, dst_cell, ..) = self.binop_emit(ops, commutative);
        self.push_result(start, dst_cell, None);
    }

    /// A commutative `i32` binop whose value a branch or select may test
    /// instead (non-zero: `when_true`'s branch, zero: `when_false`'s), with
    /// the compare-branch operand forms `[ss, si, as, ai]` and the select's
    /// `(ss, si)` forms.
    fn binop_tested(&mut self, ops: Bin, when_true: BrOps, when_false: BrOps, sel: (Handler, Handler)) {
        let (start, dst_cell, a, b, imm, a_acc) = self.binop_emit(ops, true);
        let cond = Cond::Cmp { when_true, when_false, sel: Some(sel), a, b, imm, a_acc, ctr: None, update: None };
        self.push_result(start, dst_cell, Some(cond));
    }

    /// A non-commutative binop with an `_is` variant for a constant left
    /// operand (`ia`: the same with the right operand in the accumulator).
    fn binop_rev(&mut self, ops: Bin, is: Handler, ia: Handler) {
        let n = self.stack.len();
        if let (Operand::Const(c), b) = (self.stack[n - 2], self.stack[n - 1]) {
            if !matches!(b, Operand::Const(_)) {
                self.pop();
                self.pop();
                let p = self.stack.len();
                let sb = self.slot_of(b, p + 1);
                let start = self.pos();
                self.emit(if self.in_acc(sb, ops.f64_in) { ia } else { is });
                let dst_cell = self.pos();
                self.imm(pack(&[self.home(p), sb]));
                self.imm(c);
                self.push_value(start, dst_cell, ops.f64_out);
                return;
            }
        }
        self.binop(ops, false)
    }

    fn cmpop(
        &mut self,
        ops: Bin,
        when_true: BrOps,
        when_false: BrOps,
        sel: Option<(Handler, Handler)>,
        ctr: Option<CtrForms>,
    ) {
        let (counter, counter_end) = (self.counter, self.pos());
        let (start, dst_cell, a, b, imm, a_acc) = self.binop_emit(ops, false);
        let update = counter.filter(|u| {
            let applies = ctr.is_some_and(|f| f.fuse(*u, a, b, imm).is_some());
            applies && start == counter_end
        });
        let cond = Cond::Cmp { when_true, when_false, sel, a, b, imm, a_acc, ctr, update };
        self.push_result(start, dst_cell, Some(cond));
    }

    /// `eqz` (its slot and accumulator handlers); `when_true`/`when_false`
    /// branch on its result (that is, on its operand being zero or not),
    /// `acc_forms` are the same reading the operand from the accumulator.
    fn eqz(
        &mut self,
        (handler, acc_handler): (Handler, Handler),
        when_true: Handler,
        when_false: Handler,
        acc_forms: (Handler, Handler),
        sel_swap: Option<bool>,
    ) {
        // `eqz` of a condition just produced flips it: a branch on the result
        // can still use the (negated) fused form and drop both instructions.
        let p = self.stack.len().saturating_sub(1);
        let prev = match (self.last, self.stack.last()) {
            (Some(l), Some(Operand::Temp)) if l.dst == self.home(p) => l.cond.map(|c| (l.start, c)),
            _ => None,
        };
        // Is the operand in the accumulator (for a branch that replaces the eqz)?
        let operand_acc = match self.stack.last() {
            Some(Operand::Temp) => self.in_acc(self.home(p), false),
            Some(Operand::Local(i)) => self.in_acc(*i, false),
            _ => false,
        };
        self.unop(handler, acc_handler, false, false);
        let Some(dst_cell) = self.last.map(|l| l.dst_cell) else { return };
        let a = self.field(dst_cell, 1);
        let Some(last) = &mut self.last else { return };
        let negated = match prev {
            Some((_, Cond::Test { when_true, when_false, a, sel_swap, acc })) => Some(Cond::Test {
                when_true: when_false,
                when_false: when_true,
                a,
                sel_swap: sel_swap.map(|s| !s),
                acc: acc.map(|(t, f)| (f, t)),
            }),
            Some((_, Cond::Cmp { when_true, when_false, a, b, imm, a_acc, ctr, update, .. })) => Some(Cond::Cmp {
                when_true: when_false,
                when_false: when_true,
                sel: None,
                a,
                b,
                imm,
                a_acc,
                ctr: ctr.map(CtrForms::negated),
                update,
            }),
            _ => None,
        };
        match (prev, negated) {
            (Some((start, _)), Some(c)) => {
                last.start = start;
                last.cond = Some(c);
            }
            _ => {
                let acc = operand_acc.then_some(acc_forms);
                last.cond = Some(Cond::Test { when_true, when_false, a, sel_swap, acc });
            }
        }
    }

    /// The right operand of the binary operation about to be translated, if
    /// it is a constant (and the left one is not).
    fn const_right(&self) -> Option<u64> {
        let n = self.stack.len();
        match self.stack.last() {
            Some(Operand::Const(k)) if !matches!(self.stack[n - 2], Operand::Const(_)) => Some(*k),
            _ => None,
        }
    }

    /// `i32.add`, with the fusions an add takes part in: a pair of adds of
    /// constants (`pair_add_si`), a counter update (`Last::add`) and an
    /// address a later access may fold (`pending_adds`).
    fn i32_add(&mut self) {
        let prev_add_si = self.prev_add_si;
        let prev_add = self.prev_add;
        let (start, dst_cell, a, b, imm, a_acc) = self.binop_emit(
            bin!(i32_add_ss, i32_add_si, i32_add_as, i32_add_ai; rmw i32_add_rmw_s, i32_add_rmw_i, 4),
            true,
        );
        self.push_result(start, dst_cell, None);
        if let Some(last) = &mut self.last {
            last.add = Some((a, b, imm));
            last.add_acc = a_acc;
        }
        self.note_add(prev_add, start);
        if imm.is_some() && !a_acc {
            self.pair_add_si(prev_add_si, start);
        }
        if a < self.nlocals && (imm.is_some() || b < self.nlocals) {
            let (end, dst) = (self.pos(), self.home(self.stack.len() - 1));
            self.push_pending(PendingAdd { start, end, dst, a, b, imm, shift: 0 });
        }
    }

    /// Records an address add a later store may absorb (the 4 most recent).
    fn push_pending(&mut self, pa: PendingAdd) {
        if self.pending_adds.len() == 4 {
            self.pending_adds.remove(0);
        }
        self.pending_adds.push(pa);
    }

    /// An add (a possible counter update) was just emitted at `start`, and
    /// `prev_add` was `self.prev_add` before it: records in `Last::after_add`
    /// the `i32_add_si`/`i32_add_ss` whose code it directly follows, and
    /// makes it `prev_add` itself if it is one.
    fn note_add(&mut self, prev_add: Option<usize>, start: usize) {
        let after_add = prev_add.filter(|&q| self.add_ending_at(q, start).is_some());
        if let Some(last) = &mut self.last {
            last.after_add = after_add;
        }
        if self.is(start, h::i32_add_si) || self.is(start, h::i32_add_ss) {
            self.prev_add = Some(start);
        }
    }

    /// The handler and cell count of the `i32_add_si` (3 cells) or
    /// `i32_add_ss` (2) at `q` if its code ends at `end`.
    fn add_ending_at(&self, q: usize, end: usize) -> Option<(Handler, usize)> {
        [(h::i32_add_si as Handler, 3), (h::i32_add_ss, 2)]
            .into_iter()
            .find(|&(add, cells)| q + cells == end && self.is(q, add))
    }

    /// The `i64.sub` just emitted took constant `k` (`const_right`): record
    /// it as `x + (-k)` (wrapping either way) for counters. (An `i32.sub` of
    /// a constant is translated as the add itself.)
    fn sub64_as_add(&mut self, k: Option<u64>) {
        let (Some(k), Some(cell)) = (k, self.last.map(|l| l.dst_cell)) else { return };
        let a = self.field(cell, 1);
        if let Some(last) = &mut self.last {
            last.add64 = Some((a, 0, Some(k.wrapping_neg())));
        }
    }

    /// Is the left operand of the binary operation about to be translated a
    /// constant (and the right one not)?
    fn const_left(&self) -> bool {
        let n = self.stack.len();
        n >= 2 && matches!(self.stack[n - 2], Operand::Const(_)) && !matches!(self.stack[n - 1], Operand::Const(_))
    }

    /// `i32.add` of a value and the result of the `i32.shl` by a constant (or
    /// `i32.mul` by a power of two) just emitted: one `x + (y << k)`
    /// (`i32_add_shl_s`, or `_a` when the shift read `y` from the accumulator,
    /// which then still holds it).
    fn add_scaled(&mut self) -> bool {
        let Some(Last { start, dst, scale: Some((y, k, y_acc)), .. }) = self.last else { return false };
        if !self.fold_shifted(start, dst, y, k, y_acc, (h::i32_add_shl_s, h::i32_add_shl_a)) {
            return false;
        }
        let x = self.last.map(|l| self.field(l.dst_cell, 1));
        if let (Some(last), Some(x)) = (&mut self.last, x) {
            last.shl_add = Some((x, y, k, y_acc));
            // Of two locals: an address a later store may absorb.
            if !y_acc && x < self.nlocals && y < self.nlocals && k != 0 {
                let (start, end, dst) = (last.start, self.code.len(), last.dst);
                self.push_pending(PendingAdd { start, end, dst, a: x, b: y, imm: None, shift: k });
            }
        }
        true
    }

    /// `i32.xor` of a value and the result of the `i32.shr_u` by a constant
    /// just emitted: one `x ^ (y >> k)` (`i32_xor_shr_u_s`, or `_a` when the
    /// shift read `y` from the accumulator, which then still holds it).
    fn xor_shifted(&mut self) -> bool {
        let Some(Last { start, dst, shr: Some((y, k, y_acc)), .. }) = self.last else { return false };
        self.fold_shifted(start, dst, y, k as u32 & 31, y_acc, (h::i32_xor_shr_u_s, h::i32_xor_shr_u_a))
    }

    /// `i32.sub` of the `gt` and the `lt` compare of the same two slots just
    /// emitted, in that order (`(a > b) - (a < b)`): one three-way compare
    /// (`handlers::CMP3`). Neither compare's result may be `a` or `b` (the
    /// second compare reads them after the first wrote).
    fn three_way(&mut self) -> bool {
        let [Some(g), Some(l)] = self.recent else { return false };
        if g + 2 != l || l + 2 != self.pos() || self.then_from(g) {
            return false;
        }
        let Some(&(_, _, fused, _)) = h::CMP3.iter().find(|&&(gt, lt, ..)| self.is(g, gt) && self.is(l, lt)) else {
            return false;
        };
        let ([d1, a, b], [d2, a2, b2]) = (self.fields_at(g + 1), self.fields_at(l + 1));
        let n = self.stack.len();
        let temps = n >= 2
            && self.stack[n - 2] == Operand::Temp
            && self.stack[n - 1] == Operand::Temp
            && self.home(n - 2) == d1
            && self.home(n - 1) == d2;
        if !temps || (a, b) != (a2, b2) || [a, b].contains(&d1) || nofuse("three_way") {
            return false;
        }
        let p = self.drop_code_and_operands(g);
        let start = self.pos();
        self.emit(fused);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), a, b]));
        self.push_value(start, dst_cell, false);
        true
    }

    /// `i64.rotl` by a constant of the `i64.xor` of two slots (or the
    /// accumulator and a slot) just emitted, whose value nothing else uses:
    /// one `rotl(a ^ b, k)` (`i64_xor_rotl_ss`/`_as`).
    fn rotl_xored(&mut self) -> bool {
        let Some(Last { start, dst, dst_cell, .. }) = self.last else { return false };
        let n = self.stack.len();
        if n < 2 || self.stack[n - 2] != Operand::Temp || self.home(n - 2) != dst || start + 2 != self.pos() {
            return false;
        }
        let Operand::Const(k) = self.stack[n - 1] else { return false };
        let fused = if self.is(start, h::i64_xor_ss) {
            h::i64_xor_rotl_ss
        } else if self.is(start, h::i64_xor_as) {
            h::i64_xor_rotl_as
        } else {
            return false;
        };
        if nofuse("xor_rotl") {
            return false;
        }
        let [_, a, b] = self.fields_at(dst_cell);
        self.fuse_with_last(start, fused, (a, b), k);
        true
    }

    /// `i64.and` of a value and the `i64.xor` with -1 (a `not`) of a slot or
    /// the accumulator just emitted: one `x & !y` (`i64_andn_s`/`_a`).
    fn and_not(&mut self) -> bool {
        let Some(Last { start, dst, dst_cell, .. }) = self.last else { return false };
        let y_acc = if self.is(start, h::i64_xor_ai) {
            true
        } else if self.is(start, h::i64_xor_si) {
            false
        } else {
            return false;
        };
        if self.raw(dst_cell + 1) != Some(u64::MAX) || start + 3 != self.pos() {
            return false;
        }
        let y = self.field(dst_cell, 1);
        let Some(x) = self.other_operand(|q| self.home(q) == dst && self.stack[q] == Operand::Temp) else {
            return false;
        };
        if nofuse("and_not") {
            return false;
        }
        self.fuse_with_last(start, if y_acc { h::i64_andn_a } else { h::i64_andn_s }, (x, y), 0);
        true
    }

    /// `i64.xor` of a slot `c` and the result of the `i64_andn_*` or of the
    /// `i64.xor` of two slots (or of the accumulator and a slot) just
    /// emitted: one `c ^ (x & !y)` (`i64_andn_xor_s`/`_a`) or `x ^ y ^ c`
    /// (`i64_xor3_ss`/`_as`); the fused instruction reads all three operands
    /// before it writes (the first instruction's result was a temporary only
    /// this `xor` reads).
    fn xor_folded(&mut self) -> bool {
        let Some(Last { start, dst, dst_cell, .. }) = self.last else { return false };
        let forms: [(Handler, Handler, usize); 4] = [
            (h::i64_andn_s, h::i64_andn_xor_s, 3),
            (h::i64_andn_a, h::i64_andn_xor_a, 3),
            (h::i64_xor_ss, h::i64_xor3_ss, 2),
            (h::i64_xor_as, h::i64_xor3_as, 2),
        ];
        let Some(&(_, fused, cells)) = forms.iter().find(|&&(first, ..)| self.is(start, first)) else { return false };
        if start + cells != self.pos() {
            return false;
        }
        let Some(c) = self.other_operand(|q| self.home(q) == dst && self.stack[q] == Operand::Temp) else {
            return false;
        };
        if nofuse("xor_folded") {
            return false;
        }
        let [_, x, y] = self.fields_at(dst_cell);
        self.fuse_with_last(start, fused, (x, y), pack(&[c]));
        true
    }

    /// `i32.add` of a value `x` (not a constant) and the value of the compare
    /// of two slots just emitted (`n += (a < b) as usize`): the compare is
    /// dropped and one `[add_cmp, (dst, a, b), (x)]` emitted
    /// (`handlers::ADD_CMP`).
    fn add_compared(&mut self) -> bool {
        let Some(Last { start, dst, cond: Some(Cond::Cmp { a, b, imm: None, a_acc: false, .. }), .. }) = self.last
        else {
            return false;
        };
        let Some(&(_, fused)) = h::ADD_CMP.iter().find(|&&(cmp, _)| self.is(start, cmp)) else { return false };
        let Some(x) = self.other_operand(|q| self.home(q) == dst && self.stack[q] == Operand::Temp) else {
            return false;
        };
        if nofuse("add_cmp") {
            return false;
        }
        self.fuse_with_last(start, fused, (a, b), pack(&[x]));
        true
    }

    /// `i64.add` of a value and the result of the `i64.shr_u` by a constant
    /// just emitted: one `x + (y >> k)` (`i64_add_shr_u_s`, or `_a` when the
    /// shift read `y` from the accumulator, which then still holds it).
    fn add_shifted64(&mut self) -> bool {
        let Some(Last { start, dst, shr64: Some((y, k, y_acc)), .. }) = self.last else { return false };
        if nofuse("add_shr64") {
            return false;
        }
        self.fold_shifted(start, dst, y, k as u32 & 63, y_acc, (h::i64_add_shr_u_s, h::i64_add_shr_u_a))
    }

    /// `f64.div` of a constant by the conversion just emitted (`c / n as
    /// f64`): the conversion is dropped and one `[div, (dst, a), c]` emitted.
    fn div_converted(&mut self) -> bool {
        let Some(Last { start, dst, dst_cell, .. }) = self.last else { return false };
        let Some(&(_, acc_form, fused, fused_acc)) =
            h::DIV_CONVERTED.iter().find(|&&(conv, conv_acc, ..)| self.is(start, conv) || self.is(start, conv_acc))
        else {
            return false;
        };
        let (a, a_acc) = (self.field(dst_cell, 1), self.is(start, acc_form));
        let n = self.stack.len();
        if !self.const_left() || self.stack[n - 1] != Operand::Temp || self.home(n - 1) != dst {
            return false;
        }
        let Operand::Const(c) = self.stack[n - 2] else { return false };
        if nofuse("div_convert") {
            return false;
        }
        let p = self.drop_code_and_operands(start);
        let start = self.pos();
        self.emit(if a_acc { fused_acc } else { fused });
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), a]));
        self.imm(c);
        self.push_value(start, dst_cell, true);
        true
    }

    /// For a commutative binary operation about to be translated: if one of
    /// its two operands satisfies `is_it` (given its stack position), the
    /// slot of the other one, unless that is a constant.
    fn other_operand(&self, is_it: impl Fn(usize) -> bool) -> Option<u32> {
        let n = self.stack.len();
        if n < 2 {
            return None;
        }
        let found = [n - 1, n - 2].into_iter().find(|&q| is_it(q))?;
        let other = if found == n - 1 { n - 2 } else { n - 1 };
        match self.stack[other] {
            Operand::Local(i) => Some(i),
            Operand::Temp => Some(self.home(other)),
            Operand::Const(_) => None,
        }
    }

    /// A commutative binary operation (the one being translated) of a value
    /// `x` and the result, in slot `dst`, of the shift of `y` by `k` emitted
    /// at `start`: the shift is dropped and `[op, (dst, x, y), k]` emitted
    /// (`forms`: `y` from a slot, from the accumulator).
    fn fold_shifted(&mut self, start: usize, dst: u32, y: u32, k: u32, y_acc: bool, forms: (Handler, Handler)) -> bool {
        // The shift's result is one operand; the other is `x`.
        let Some(sx) = self.other_operand(|q| self.home(q) == dst && self.stack[q] == Operand::Temp) else {
            return false;
        };
        self.fuse_with_last(start, if y_acc { forms.1 } else { forms.0 }, (sx, y), k as u64);
        true
    }

    /// The binary operation being translated and the instruction at `start`
    /// (the last one, which computed one of its operands) become one
    /// `[handler, (dst, f.0, f.1), cell]` with an integer result.
    fn fuse_with_last(&mut self, start: usize, handler: Handler, f: (u32, u32), cell: u64) {
        let p = self.drop_code_and_operands(start);
        let start = self.pos();
        self.emit(handler);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), f.0, f.1]));
        self.imm(cell);
        self.push_value(start, dst_cell, false);
    }

    /// `i32.and` of a value and the `i32.rotl` of a constant just emitted
    /// (`x & !(1 << y)`, a bit clear): one `i32_and_rotl_s`/`_a`.
    fn and_rotated(&mut self) -> bool {
        let Some(Last { start, dst, rot: Some((y, c, y_acc)), after_sxk, .. }) = self.last else { return false };
        if !self.fold_shifted(start, dst, y, c, y_acc, (h::i32_and_rotl_s, h::i32_and_rotl_a)) {
            return false;
        }
        // Right after an `_sxk` load: a store back to the same place may take
        // the load and this `and` (`bit_clear_store` checks the operands).
        if let Some(last) = self.last.as_mut() {
            last.after_sxk = after_sxk;
        }
        true
    }

    /// The store of `v` to local `a` (offset `end - 4`) of the bit clear that
    /// just computed `v` from an `i32_load_sxk` of the same bytes, kept in `a`
    /// (see `and_rotated`): the load becomes `i32_and_rotl_rmw_sxk`, which does
    /// the load, the bit clear and the store (`[h, (word, x, y), k, end,
    /// (addr), and_rotl, (v, word, z), c]`); no store is emitted. The `and`
    /// must take the loaded word from its slot and its count `z` from
    /// another slot (the handler reads `z` before it has the word).
    fn bit_clear_store(&mut self, a: Operand, v: Operand, p: usize, end: u64) -> bool {
        let Some(load) = self.last_result(v, p + 1).and_then(|l| l.after_sxk) else { return false };
        let Operand::Local(l) = a else { return false };
        let word = self.field(load + 1, 0);
        let [_, x, z] = self.fields_at(load + 6);
        if self.field(load + 4, 0) != l
            || self.raw(load + 3) != Some(end)
            || !self.is(load + 5, h::i32_and_rotl_s)
            || x != word
            || z == word
            || self.code.len() != load + 8
        {
            return false;
        }
        self.code[load] = Cell::handler(h::i32_and_rotl_rmw_sxk);
        self.last = None;
        self.last_start = None;
        self.acc = None;
        true
    }

    /// The instruction just emitted and the constant mask of an `i32.and`
    /// whose left operand is that instruction's result.
    fn and_mask_of_last(&self) -> Option<(Last, u64)> {
        let n = self.stack.len();
        if n < 2 {
            return None;
        }
        let (Some(last), Operand::Temp, Operand::Const(mask)) = (self.last, self.stack[n - 2], self.stack[n - 1])
        else {
            return None;
        };
        (last.dst == self.home(n - 2)).then_some((last, mask))
    }

    /// Replaces the instruction just emitted (`last`) and the `i32.and` of
    /// its result with `mask` by one `[handler, (dst, a), lo | mask << 32]`.
    fn fuse_and_mask(&mut self, last: Last, handler: Handler, a: u32, lo: u32, mask: u64) {
        let p = self.drop_code_and_operands(last.start);
        let start = self.pos();
        self.emit(handler);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), a]));
        self.imm(lo as u64 | (mask as u32 as u64) << 32);
        self.push_value(start, dst_cell, false);
    }

    /// Drops the code from `start` on (the instructions being fused) and
    /// the two operands of the operation being translated; returns the
    /// stack position of its result.
    fn drop_code_and_operands(&mut self, start: usize) -> usize {
        self.truncate_code(start);
        self.last = None;
        self.pop();
        self.pop();
        self.stack.len()
    }

    /// `i32.and` of a constant mask with the result of the `i32.shr_u` by a
    /// constant just emitted: one bit-field extract (`i32_shr_u_and`).
    fn shr_and(&mut self) -> bool {
        let Some((last, mask)) = self.and_mask_of_last() else { return false };
        let Some((a, k, a_acc)) = last.shr else { return false };
        let handler = if a_acc { h::i32_shr_u_and_a } else { h::i32_shr_u_and };
        if !a_acc && self.shr_and_pair(last, a, k as u32 & 31, mask) {
            return true;
        }
        self.fuse_and_mask(last, handler, a, k as u32 & 31, mask);
        true
    }

    /// A bit-field extract `(a >> k) & mask` right after another one of the
    /// same slot `a` (`i32_shr_u_and`/`_a`, into `d1`, not `a`), nothing
    /// between them (`recent`): both in one `i32_shr_u_and2`/`_a`.
    fn shr_and_pair(&mut self, last: Last, a: u32, k: u32, mask: u64) -> bool {
        let Some(q) = self.recent[0].filter(|&q| q + 3 == last.start) else { return false };
        let fused = if self.is(q, h::i32_shr_u_and) {
            h::i32_shr_u_and2
        } else if self.is(q, h::i32_shr_u_and_a) {
            h::i32_shr_u_and2_a
        } else {
            return false;
        };
        let [d1, a1, _] = self.fields_at(q + 1);
        if a1 != a || d1 == a || nofuse("shr_and2") {
            return false;
        }
        let p = self.drop_code_and_operands(last.start);
        self.code[q] = Cell::handler(fused);
        self.code[q + 1] = Cell::imm(pack(&[d1, a, self.home(p)]));
        self.imm(k as u64 | (mask as u32 as u64) << 32);
        self.new_instruction();
        self.push(Operand::Temp);
        self.acc = Some(Acc { slot: self.home(p), float: false });
        true
    }

    /// `i32.and` of a constant mask with the result of the `i32.sub` or
    /// `i32.add` of two slots just emitted: one `i32_sub_and_ss` /
    /// `i32_add_and_ss`.
    fn binop_and(&mut self) -> bool {
        let Some((last, mask)) = self.and_mask_of_last() else { return false };
        let handler = if self.is(last.start, h::i32_sub_ss) {
            h::i32_sub_and_ss
        } else if self.is(last.start, h::i32_add_ss) {
            h::i32_add_and_ss
        } else {
            return false;
        };
        let [_, a, b] = self.fields_at(last.dst_cell);
        if nofuse("binop_and") {
            return false;
        }
        let p = self.drop_code_and_operands(last.start);
        let start = self.pos();
        self.emit(handler);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), a, b]));
        self.imm(mask as u32 as u64);
        self.push_value(start, dst_cell, false);
        self.branch_source = Some(start);
        true
    }

    /// `f64.sub` of the value just loaded by an `f64_load`/`_a` (a slot
    /// address) or `f64_load_si` (a slot plus a constant) and a slot value:
    /// one `f64_load_sub`/`f64_load_si_sub` (`dx = p.x - x`).
    fn load_then_sub(&mut self) -> bool {
        let Some(last) = self.last else { return false };
        let Some((8, addr, _)) = last.load else { return false };
        let n = self.stack.len();
        if self.stack[n - 2] != Operand::Temp || last.dst != self.home(n - 2) {
            return false;
        }
        let (fused, k) = match addr.rhs {
            AddrRhs::Imm(0) if self.is(last.start, h::f64_load) || self.is(last.start, h::f64_load_a) => {
                (h::f64_load_sub as Handler, None)
            }
            AddrRhs::Imm(k) if self.is(last.start, h::f64_load_si) => (h::f64_load_si_sub as Handler, Some(k)),
            _ => return false,
        };
        if nofuse("load_sub") {
            return false;
        }
        let Some((p, c, false)) = self.take_last_operand() else { return false };
        let start = self.pos();
        self.emit(fused);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), addr.a, c]));
        if let Some(k) = k {
            self.imm(k);
        }
        self.imm(addr.offset + 8);
        self.push_value(start, dst_cell, true);
        true
    }

    /// `global.set g` of the value of the `i32_add_si` just emitted (`d = a +
    /// k`, `d` the operand's slot): one `i32_add_si_global_set`; when `a` is
    /// the value of a `global_get g` right before the add, one
    /// `global_add_si_set` (a shadow stack frame taken or given back).
    fn global_add_set(&mut self, g: u32) -> bool {
        let Some(q) = self.last_start.filter(|&q| q + 3 == self.pos() && self.is(q, h::i32_add_si)) else {
            return false;
        };
        let n = self.stack.len();
        let [d, a, _] = self.fields_at(q + 1);
        let (top, local) = match self.stack.last() {
            Some(&Operand::Temp) => (self.home(n - 1), false),
            Some(&Operand::Local(i)) => (i, true),
            _ => return false,
        };
        if top != d {
            return false;
        }
        let k = self.raw(q + 2).unwrap_or(0);
        // `a` is the temporary `global_get g` wrote just before the add.
        let get = q
            .checked_sub(3)
            .filter(|&r| self.is(r, h::global_get) && self.raw(r + 2) == Some(g as u64))
            .filter(|&r| self.field(r + 1, 0) == a && a >= self.nlocals);
        if nofuse("global_add") {
            return false;
        }
        self.pop();
        let start = get.unwrap_or(q);
        self.truncate_code(start);
        self.emit(if get.is_some() { h::global_add_si_set } else { h::i32_add_si_global_set });
        self.imm(pack(&[d, a]));
        self.imm(k);
        self.imm(g as u64);
        self.last = None;
        // A local keeps the value the accumulator holds; a temporary is gone.
        self.acc = local.then_some(Acc { slot: d, float: false });
        true
    }

    /// `f64.add` of local `l` and a value `c` (not a constant) right after
    /// the `f64_mul_ss`/`_as` that set `l` (`local.tee`, the accumulator
    /// still holding the product): one `f64_mul_keep_add_s`/`_a`.
    fn kept_product_then_add(&mut self) -> bool {
        let Some(q) = self.last_start.filter(|&q| q + 2 == self.pos()) else { return false };
        let fused = if self.is(q, h::f64_mul_ss) {
            h::f64_mul_keep_add_s
        } else if self.is(q, h::f64_mul_as) {
            h::f64_mul_keep_add_a
        } else {
            return false;
        };
        let [l, a, b] = self.fields_at(q + 1);
        if l >= self.nlocals || !self.in_acc(l, true) {
            return false;
        }
        let Some(c) = self.other_operand(|q| self.stack[q] == Operand::Local(l)) else { return false };
        if nofuse("mul_keep_add") {
            return false;
        }
        let p = self.drop_code_and_operands(q);
        self.emit(fused);
        self.imm(pack(&[l, a, b]));
        self.imm(pack(&[self.home(p), c]));
        // The result is in the second cell (see `Last`).
        self.push(Operand::Temp);
        self.last = None;
        self.acc = Some(Acc { slot: self.home(p), float: true });
        true
    }

    /// `i32.add` of local `l` and a value `x` (not a constant) right after
    /// the `i32_and_si` that set `l` (`l = a & mask`, the accumulator still
    /// holding it): one `i32_and_si_add` does both.
    fn masked_then_add(&mut self) -> bool {
        let Some(q) = self.last_start.filter(|&q| q + 3 == self.pos()) else { return false };
        let fused = if self.is(q, h::i32_and_si) {
            h::i32_and_si_add
        } else if self.is(q, h::i32_and_ai) {
            h::i32_and_ai_add
        } else {
            return false;
        };
        let [l, a, _] = self.fields_at(q + 1);
        if !self.in_acc(l, false) {
            return false;
        }
        let Some(x) = self.other_operand(|q| self.stack[q] == Operand::Local(l)) else { return false };
        let mask = self.raw(q + 2).unwrap_or(0);
        if nofuse("and_add") {
            return false;
        }
        let p = self.drop_code_and_operands(q);
        self.emit(fused);
        self.imm(pack(&[l, a, self.home(p)]));
        self.imm(pack(&[x]));
        self.imm(mask);
        // The result is in field 2 of the first cell, not 0 (see `Last`).
        self.push(Operand::Temp);
        self.last = None;
        self.acc = Some(Acc { slot: self.home(p), float: false });
        true
    }

    /// `i32.and` of a constant mask with the result of the `i32.add` of a
    /// slot (or the accumulator, which then still holds it) and a constant
    /// just emitted: one `i32_add_and`/`_a`.
    fn add_and(&mut self) -> bool {
        let Some((last, mask)) = self.and_mask_of_last() else { return false };
        let Some((a, _, Some(k))) = last.add else { return false };
        let handler = if last.add_acc { h::i32_add_and_a } else { h::i32_add_and };
        self.fuse_and_mask(last, handler, a, k as u32, mask);
        self.branch_source = self.last.map(|l| l.start);
        true
    }

    /// `i32.and` of the `1 << y` just emitted with a constant or local mask:
    /// one bit test (`i32_bit_*`), which a branch or select on it takes as
    /// its condition (`br_i32_bit_*`, `select_i32_bit_si`).
    fn bit_and(&mut self) -> bool {
        let n = self.stack.len();
        let Some(last) = self.last.filter(|l| n >= 2 && l.dst == self.home(n - 2)) else { return false };
        let (Some((y, y_acc)), Operand::Temp) = (last.bit, self.stack[n - 2]) else { return false };
        // The mask: a constant or a local (nothing was emitted since the shift).
        let (mask, imm) = match self.stack[n - 1] {
            Operand::Const(k) => (0, Some(k)),
            Operand::Local(j) => (j, None),
            Operand::Temp => return false,
        };
        let p = self.drop_code_and_operands(last.start);
        let start = self.pos();
        let dst_cell = start + 1;
        match imm {
            Some(k) => {
                self.emit(if y_acc { h::i32_bit_ai } else { h::i32_bit_si });
                self.imm(pack(&[self.home(p), y]));
                self.imm(k);
            }
            None => {
                self.emit(if y_acc { h::i32_bit_as } else { h::i32_bit_ss });
                self.imm(pack(&[self.home(p), y, mask]));
            }
        }
        self.push_value(start, dst_cell, false);
        self.set_bit_test(y, mask, imm, y_acc);
        true
    }

    /// The value just pushed is a bit test `(1 << y) & mask` (`mask` a slot,
    /// or the constant `imm`): a branch or select on it takes the test.
    fn set_bit_test(&mut self, y: u32, mask: u32, imm: Option<u64>, y_acc: bool) {
        if let Some(l) = &mut self.last {
            l.cond = Some(Cond::Cmp {
                when_true: (h::br_i32_bit_ss, h::br_i32_bit_si, h::br_i32_bit_as, h::br_i32_bit_ai),
                when_false: (h::br_i32_nbit_ss, h::br_i32_nbit_si, h::br_i32_nbit_as, h::br_i32_nbit_ai),
                sel: Some((h::select_i32_bit_ss, h::select_i32_bit_si)),
                a: y,
                b: mask,
                imm,
                a_acc: y_acc,
                ctr: None,
                update: None,
            });
        }
    }

    /// `(w >> y) & 1` with the shift just emitted (`Last::shr_var`): the
    /// value as one `i32_shr1_ss`, and as a condition the bit test
    /// `(1 << y) & w` (`br_i32_bit_*`). `w` is read from its slot: dropping
    /// the shift leaves it there even when the shift overwrote it.
    fn bit_of_shr(&mut self) -> bool {
        let n = self.stack.len();
        if n < 2 || self.stack[n - 1] != Operand::Const(1) {
            return false;
        }
        let Some(last) = self.last_result(self.stack[n - 2], n - 2) else { return false };
        let Some((w, y)) = last.shr_var else { return false };
        let p = self.drop_code_and_operands(last.start);
        let start = self.pos();
        self.emit(h::i32_shr1_ss);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), y, w]));
        self.push_value(start, dst_cell, false);
        self.set_bit_test(y, w, None, false);
        true
    }

    /// The last instruction, if it produced operand `o` at stack position `p`.
    fn last_result(&self, o: Operand, p: usize) -> Option<Last> {
        self.last.filter(|l| o == Operand::Temp && l.dst == self.home(p))
    }

    /// The operands of the `i32.add` that just produced the operand at `p`, if
    /// it can be folded into its consumer (whose code is emitted next).
    fn take_add(&mut self, o: Operand, p: usize) -> Option<(u32, u32, Option<u64>)> {
        let last = self.last_result(o, p)?;
        let add = last.add?;
        self.truncate_code(last.start);
        self.last = None;
        Some(add)
    }

    /// No instruction fused by a direct call (`then_fused`) starts or
    /// continues at `pos`: a fusion may rewrite the instruction there.
    fn then_free(&self, pos: usize) -> bool {
        !self.then_fused.iter().any(|&(first, next, _)| first == pos || next == pos)
    }

    /// Some instruction at `pos` or later is continued into by a direct call
    /// (`then_fused` is ascending): code from `pos` on may not be rewritten.
    fn then_from(&self, pos: usize) -> bool {
        self.then_fused.last().is_some_and(|&(_, next, _)| next >= pos)
    }

    /// The 3-cell load at `b` (from `recent`) ends at the current position,
    /// writes slot `x`, and no direct call continues into or from it:
    /// `byte_index` and `load_then_sx` may rewrite its cells.
    fn fusable_before(&self, b: usize, x: u32) -> bool {
        b + 3 == self.pos() && self.field(b + 1, 0) == x && self.then_free(b)
    }

    /// The instruction at `b`, before the last one, was rewritten to do the
    /// current one's work too (`byte_index`, `load_then_sx`): it is the last
    /// instruction now, and position-based pairings with its old form go.
    fn took_over(&mut self, b: usize) {
        self.last_start = Some(b);
        self.recent = [None, Some(b)];
        self.branch_source = None;
        self.pair_first = None;
    }

    /// A byte load of `x + y`, `x` the value of the `i32_load8_u_ss` at `b`
    /// right before (`recent`; the add between them was just dropped): the
    /// first load becomes `i32_load8_u_ss_load8_u`, which does both
    /// (`table[s[i]]`). No label is between them (`recent`), and nothing
    /// continues into or from the first load by a direct call, so rewriting
    /// its cells changes only its own run.
    fn byte_index(&mut self, b: usize, x: u32, y: u32, ops: LoadOps, end: u64, p: usize) -> bool {
        let shape = self.is(b, h::i32_load8_u_ss) && std::ptr::fn_addr_eq(ops.as_, h::i32_load8_u_as as Handler);
        if !(shape && self.fusable_before(b, x) && !nofuse("byte_index")) {
            return false;
        }
        self.code[b] = Cell::handler(h::i32_load8_u_ss_load8_u);
        self.took_over(b);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), y]));
        self.imm(end);
        self.push_value(b, dst_cell, false);
        true
    }

    /// An `i32` load of `x + (y << k)`, `x` the value of the `i32.load` at
    /// `b` right before (`recent`; the scaled add between them was just
    /// dropped): the first load becomes `i32_load_then_load_sx`, which does
    /// both (`v.ptr[i]`), on the same terms as `byte_index`.
    #[allow(clippy::too_many_arguments)]
    fn load_then_sx(&mut self, b: usize, x: u32, y: u32, k: u32, ops: LoadOps, end: u64, p: usize) -> bool {
        let plain = self.is(b, h::i32_load) || self.is(b, h::i64_load32_u);
        let shape = plain && std::ptr::fn_addr_eq(ops.sx, h::i32_load_sx as Handler);
        if !(shape && self.fusable_before(b, x) && !nofuse("load_then_sx")) {
            return false;
        }
        let (addr, end1) = (self.field(b + 1, 1), self.raw(b + 2).unwrap_or(0));
        self.code[b] = Cell::handler(h::i32_load_then_load_sx);
        self.code[b + 1] = Cell::imm(pack(&[self.home(p), addr, x]));
        self.code[b + 2] = Cell::imm(end1);
        self.imm(pack(&[y]));
        self.imm(k as u64);
        self.imm(end);
        self.took_over(b);
        self.push_value(b, b + 1, false);
        true
    }

    /// A byte load of `t`, the value of the `i32_add_ss` at `q` followed by
    /// a local update `l = l2 + k` (`post_inc`, `c = p[i++]`): the two adds
    /// and the load become one `i32_load8_u_ss_inc`, which reads `a + b`
    /// before the update, as the add did.
    fn load_post_inc(&mut self, q: usize, ops: LoadOps, end: u64, p: usize) -> bool {
        let inc = q + 2;
        let fits = std::ptr::fn_addr_eq(ops.ss, h::i32_load8_u_ss as Handler)
            && self.field(q + 1, 0) == self.home(p)
            && inc + 3 == self.pos()
            && self.then_free(q)
            && self.then_free(inc);
        if !fits || nofuse("post_inc") {
            return false;
        }
        let ([_, x, y], [l, l2, _], k) =
            (self.fields_at(q + 1), self.fields_at(inc + 1), self.raw(inc + 2).unwrap_or(0));
        // Two instructions go (`truncate_code` uncounts one), one comes.
        self.truncate_code(q);
        self.uncount_handler();
        self.last = None;
        let start = self.pos();
        self.emit(h::i32_load8_u_ss_inc);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), x, y]));
        self.imm(end);
        self.imm(pack(&[l, l2]));
        self.imm(k);
        self.push_value(start, dst_cell, false);
        true
    }

    /// A load; `fused` = (ss, si) variants that take the address as `a + b`.
    fn load_fused(&mut self, ops: LoadOps, offset: u64, width: u8) {
        // Handlers take the end of the access: the offset plus the width.
        let end = offset + width as u64;
        let a = self.pop();
        let p = self.stack.len();
        if let (Operand::Temp, Some(q)) = (a, self.post_inc) {
            if self.load_post_inc(q, ops, end, p) {
                return;
            }
        }
        if let Operand::Const(c) = a {
            // `[load_abs, (dst), c + end]`
            let start = self.pos();
            self.emit(ops.abs);
            let dst_cell = self.pos();
            self.imm(pack(&[self.home(p)]));
            self.imm(c as u32 as u64 + end);
            self.push_value(start, dst_cell, ops.float);
            return;
        }
        {
            let add_acc = self.last.is_some_and(|l| l.add_acc);
            let before = self.recent[0];
            if let Some((x, y, imm)) = self.take_add(a, p) {
                if let (true, None, Some(b)) = (add_acc, imm, before) {
                    if self.byte_index(b, x, y, ops, end, p) {
                        return;
                    }
                }
                let start = self.pos();
                self.emit(match (imm.is_some(), add_acc) {
                    (true, false) => ops.si,
                    (false, false) => ops.ss,
                    (true, true) => ops.ai,
                    (false, true) => ops.as_,
                });
                let dst_cell = self.pos();
                match imm {
                    Some(k) => {
                        self.imm(pack(&[self.home(p), x]));
                        self.imm(k);
                    }
                    None => self.imm(pack(&[self.home(p), x, y])),
                }
                self.imm(end);
                self.push_value(start, dst_cell, ops.float);
                self.branch_source = Some(start);
                self.set_last_load(width, Addr::new(x, y, imm, offset), None);
                if let Some(k) = imm {
                    self.note_pair_load(start, x, k, end, ops.plain);
                }
                return;
            }
        }
        // A scaled index just computed: `[load_sx, (dst, x, y), k, end]`.
        if let Some(last) = self.last_result(a, p) {
            if let Some((x, y, k, y_acc)) = last.shl_add {
                let before = self.recent[0];
                self.truncate_code(last.start);
                self.last = None;
                if let (false, Some(b)) = (y_acc, before) {
                    if self.load_then_sx(b, x, y, k, ops, end, p) {
                        return;
                    }
                }
                let y_acc = y_acc || self.keep_local(y);
                let start = self.pos();
                self.emit(if y_acc { ops.sxa } else { ops.sx });
                let dst_cell = self.pos();
                self.imm(pack(&[self.home(p), x, y]));
                self.imm(k as u64);
                self.imm(end);
                self.push_value(start, dst_cell, ops.float);
                self.branch_source = Some(start);
                return;
            }
        }
        // A scaled address just computed into a local that is read here: one
        // `_sxk` load that still writes the local.
        if let (Some(keep), Operand::Local(l), Some(last)) = (ops.keep_addr, a, self.last) {
            if let (Some((x, y, k)), true) = (last.local_shl_add, last.dst == l && last.start + 3 == self.pos()) {
                self.truncate_code(last.start);
                self.last = None;
                let start = self.pos();
                self.emit(keep);
                let dst_cell = self.pos();
                self.imm(pack(&[self.home(p), x, y]));
                self.imm(k as u64);
                self.imm(end);
                self.imm(pack(&[l]));
                self.push_value(start, dst_cell, ops.float);
                return;
            }
        }
        let sa = self.slot_of(a, p);
        // The address was just loaded by an `i32.load` from a slot address
        // (`p->q->x`): one `load_load` that still writes the first value.
        if let (Some(chained), Some(first)) = (ops.chained, self.prev_load) {
            if self.in_acc(sa, false) && first + 3 == self.pos() && self.field(first + 1, 0) == sa {
                let (a1, end1) = (self.field(first + 1, 1), self.raw(first + 2).unwrap_or(0));
                self.truncate_code(first);
                self.last = None;
                let start = self.pos();
                self.emit(chained);
                let dst_cell = self.pos();
                self.imm(pack(&[self.home(p), a1, sa]));
                self.imm(end1);
                self.imm(end);
                self.push_value(start, dst_cell, ops.float);
                return;
            }
        }
        let start = self.pos();
        let from_acc = self.in_acc(sa, false);
        self.emit(if from_acc { ops.a } else { ops.plain });
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), sa]));
        self.imm(end);
        self.push_value(start, dst_cell, ops.float);
        if !from_acc {
            self.branch_source = Some(start);
        }
        self.set_last_load(width, Addr::new(sa, 0, Some(0), offset), Some(ops.plain));
        self.note_pair_load(start, sa, 0, end, ops.plain);
        if ops.chain_first && end <= u32::MAX as u64 {
            self.prev_load = Some(start);
        }
    }

    /// A chain walk (`next = link[cur]; ...; cur = next & mask; if
    /// probe(base + cur) != x { continue }`): `cur`, local `y`, is set by an
    /// `i32_and_*_add` whose sum is the address of a load that only an
    /// `eq`/`ne` compare-branch reads (`keep_cand`), and the scaled-index
    /// load of `link[cur]` that follows the branch reads `y`. The add then
    /// leaves `cur` in the accumulator and the load-branch passes it on, so
    /// the next link's address does not wait for `cur`'s slot. Rewrites the
    /// two handlers and returns true when the load may use its `_sxa` form.
    fn keep_local(&mut self, y: u32) -> bool {
        let Some(ld) = self.keep_cand.take().filter(|&ld| ld + 7 == self.pos() && ld >= 4) else { return false };
        let q = ld - 4;
        let Some(&(_, keep, plain_si)) = h::LOAD_BR_KEEP.iter().find(|e| self.is(ld, e.0)) else { return false };
        let Some(&(_, and_l)) = h::AND_ADD_L.iter().find(|e| self.is(q, e.0)) else { return false };
        let [l, _, sum] = self.fields_at(q + 1);
        let [dst, addr, _] = self.fields_at(ld + 1);
        // The branch's cells: `[br, (dst, b), target]`.
        let branch_ok = self.then_fused.last().is_some_and(|&(f, n, _)| f == ld && n == ld + 4);
        if l != y || addr != sum || dst == l || !branch_ok || nofuse("keep_local") {
            return false;
        }
        self.code[q] = Cell::handler(and_l);
        self.code[ld] = Cell::handler(keep);
        // Dropping the branch makes the load plain again: the form that
        // reads its address from the slot, as the accumulator holds `l`.
        if let Some(e) = self.then_fused.last_mut() {
            e.2 = plain_si;
        }
        self.acc_mark = None;
        true
    }

    /// The load just emitted at `start` (address `a + k`, end `end`, plain
    /// handler `kind`) may be the first or second of a `PairLoad` pair: the
    /// second must be of the same kind and follow the first's code directly,
    /// with the first's value the temporary below its own and its address
    /// not in that temporary.
    fn note_pair_load(&mut self, start: usize, a: u32, k: u64, end: u64, kind: Handler) {
        let first = self.pair_first.take();
        if end > u32::MAX as u64 || k > u32::MAX as u64 {
            return;
        }
        let p = self.stack.len() - 1;
        let this = PairLoad { start, end_pos: self.pos(), dst: self.home(p), a, cell: k | end << 32, kind };
        if let Some(f) = first {
            let below = p > 0 && f.dst == self.home(p - 1) && self.stack[p - 1] == Operand::Temp;
            let same = std::ptr::fn_addr_eq(f.kind, kind);
            if let (true, Some(last)) = (f.end_pos == start && same && below && f.dst != a, &mut self.last) {
                last.loads = Some((f, this));
            }
        }
        self.pair_first = Some(this);
    }

    fn set_last_load(&mut self, width: u8, addr: Addr, kind: Option<Handler>) {
        if let Some(last) = self.last.as_mut() {
            last.load = Some((width, addr, kind));
        }
    }

    /// The address of the load that just produced the operand at `p`, if it
    /// has width `width` and its value can move straight to memory: the load
    /// is dropped (its consumer, emitted next, does the access).
    fn take_load(&mut self, o: Operand, p: usize, width: u8) -> Option<Addr> {
        let last = self.last_result(o, p)?;
        let (w, addr, _) = last.load?;
        if w != width || addr.offset > u32::MAX as u64 {
            return None;
        }
        self.truncate_code(last.start);
        self.last = None;
        Some(addr)
    }

    /// `[mcopy, (sa, sb, da), (db), ks | so << 32, kd | do << 32]`
    fn emit_mcopy(&mut self, width: u8, src: Addr, dst: Addr) {
        const H: [[Handler; 4]; 4] = [
            [h::mcopy8_ii, h::mcopy8_is, h::mcopy8_si, h::mcopy8_ss],
            [h::mcopy16_ii, h::mcopy16_is, h::mcopy16_si, h::mcopy16_ss],
            [h::mcopy32_ii, h::mcopy32_is, h::mcopy32_si, h::mcopy32_ss],
            [h::mcopy64_ii, h::mcopy64_is, h::mcopy64_si, h::mcopy64_ss],
        ];
        let row = width.trailing_zeros() as usize;
        let slot = |r: AddrRhs| match r {
            AddrRhs::Slot(b) => Some(b),
            AddrRhs::Imm(_) => None,
        };
        let (sb, db) = (slot(src.rhs), slot(dst.rhs));
        self.emit(H[row][usize::from(sb.is_some()) * 2 + usize::from(db.is_some())]);
        self.imm(pack(&[src.a, sb.unwrap_or(0), dst.a]));
        self.imm(pack(&[db.unwrap_or(0)]));
        self.imm(src.cell());
        self.imm(dst.cell());
    }

    /// A store; `imm` stores a constant value, `fused` = (ss, si) variants that
    /// take the address as `a + b`.
    #[allow(clippy::too_many_arguments)]
    fn store_fused(
        &mut self,
        handler: Handler,
        imm: (Handler, Handler, Handler),
        fused: (Handler, Handler),
        abs: (Handler, Handler),
        vacc: ValueFromAcc,
        offset: u64,
        width: u8,
    ) {
        // Handlers take the end of the access: the offset plus the width.
        let end = offset + width as u64;
        // The address's pending add, if the address is that add's result.
        let addr_home = self.home(self.stack.len() - 2);
        let pending = self.pending_adds.iter().position(|pa| pa.dst == addr_home);
        let pending = pending.map(|k| self.pending_adds.remove(k));
        // A scaled address goes only to the `_sx` forms (below).
        let (pending, scaled) = match pending {
            Some(pa) if pa.shift != 0 => (None, vacc.sx.map(|sx| (pa, sx))),
            pa => (pa, None),
        };
        let v = self.pop();
        let a = self.pop();
        let p = self.stack.len();
        if let Operand::Const(c) = a {
            // A constant address: `[store_abs, (value), ea]` or
            // `[store_abs_imm, value, ea]` with `ea = c + end`.
            let ea = c as u32 as u64 + end;
            match v {
                Operand::Const(x) => {
                    self.emit(abs.1);
                    self.imm(x);
                }
                _ => {
                    let sv = self.slot_of(v, p + 1);
                    self.emit(abs.0);
                    self.imm(pack(&[sv]));
                }
            }
            self.imm(ea);
            return;
        }
        if let Operand::Const(c) = v {
            match self.take_address_add(a, p, pending) {
                Some((x, _, Some(k))) => {
                    self.emit(imm.2);
                    self.imm(pack(&[x]));
                    self.imm(k);
                }
                Some((x, y, None)) => {
                    self.emit(imm.1);
                    self.imm(pack(&[x, y]));
                }
                None => {
                    let sa = self.slot_of(a, p);
                    self.emit(imm.0);
                    self.imm(pack(&[sa]));
                }
            }
            self.imm(c);
            self.imm(end);
            return;
        }
        // (Only an `i32.store` can store an `i32_and_rotl_s` result.)
        if width == 4 && self.bit_clear_store(a, v, p, end) {
            return;
        }
        if width == 8 && self.mul_rsub_rmw(a, v, p, end) {
            return;
        }
        // The value is `*p op b` just computed from a load of the same place.
        if let Some(r) = self.take_rmw(a, v, p, offset, width) {
            self.emit(if r.imm.is_some() { r.ops.1 } else { r.ops.0 });
            self.imm(pack(&[r.addr.a, r.b]));
            if let Some(k) = r.imm {
                self.imm(k);
            }
            self.imm(end);
            return;
        }
        // The value was just loaded with the same width: a memory-to-memory move.
        if offset <= u32::MAX as u64 {
            if let Some(src) = self.take_load(v, p + 1, width) {
                let dst = match (a, pending) {
                    (Operand::Temp, Some(pa)) => {
                        self.drain_pending(pa);
                        Addr::new(pa.a, pa.b, pa.imm, offset)
                    }
                    _ => Addr::new(self.slot_of(a, p), 0, Some(0), offset),
                };
                self.emit_mcopy(width, src, dst);
                return;
            }
        }
        if let (Some((pa, sx)), Operand::Temp) = (scaled, a) {
            self.drain_pending(pa);
            let sv = self.slot_of(v, p + 1);
            self.emit(if self.in_acc(sv, vacc.float) { sx.1 } else { sx.0 });
            self.imm(pack(&[pa.a, pa.b, sv]));
            self.imm(pa.shift as u64);
            self.imm(end);
            return;
        }
        if let Some((x, y, k)) = self.take_address_add(a, p, pending) {
            let sv = self.slot_of(v, p + 1);
            let fused = if self.in_acc(sv, vacc.float) { (vacc.ss, vacc.si) } else { fused };
            self.emit_store_add(fused, x, y, k, sv, end);
            return;
        }
        let sa = self.slot_of(a, p);
        let sv = self.slot_of(v, p + 1);
        let start = self.pos();
        // The value is the result of an `i32_add_si` just emitted (`x += k`
        // then a store of `x`, as in `self.pos += 1`; the store is then
        // `i32_store_v`): the add's handler becomes one that also does the
        // store, whose cells stay in place.
        let add = self.last_start.filter(|&q| {
            self.add_ending_at(q, start).is_some_and(|(_, cells)| cells == 3)
                && self.pending_adds.iter().all(|pa| pa.start != q)
        });
        self.emit(if self.in_acc(sv, vacc.float) {
            vacc.plain
        } else if self.in_acc(sa, false) {
            vacc.addr
        } else {
            handler
        });
        self.imm(pack(&[sa, sv]));
        self.imm(end);
        if let (Some(q), true) = (add, self.is(start, h::i32_store_v)) {
            self.fuse_then(q, start, h::i32_add_si, h::i32_add_si_then_store_v);
        }
    }

    /// The `i32.add` computing a store's address `a` (at `p`), to fold into
    /// the store: the last instruction (only when the value needed no code: a
    /// local or a constant), or `pending` further back, with only
    /// straight-line code that writes no local in between (its code is
    /// removed).
    fn take_address_add(
        &mut self,
        a: Operand,
        p: usize,
        pending: Option<PendingAdd>,
    ) -> Option<(u32, u32, Option<u64>)> {
        if let Some(add) = self.take_add(a, p) {
            return Some(add);
        }
        let pa = pending.filter(|_| a == Operand::Temp)?;
        self.drain_pending(pa);
        Some((pa.a, pa.b, pa.imm))
    }

    /// The slot holding the address operand `a` (stack position `p`) of a
    /// store, unless it is a constant.
    fn address_slot(&self, a: Operand, p: usize) -> Option<u32> {
        match a {
            Operand::Local(i) => Some(i),
            Operand::Temp => Some(self.home(p)),
            Operand::Const(_) => None,
        }
    }

    /// The read-modify-write the store of `v` to `a + offset` completes: the
    /// value was computed by the last instruction from a load of the same
    /// bytes (same address slot, offset and width) just before it. Drops
    /// both; the store emits the fused form.
    fn take_rmw(&mut self, a: Operand, v: Operand, p: usize, offset: u64, width: u8) -> Option<Rmw> {
        let r = self.last_result(v, p + 1)?.rmw?;
        let sa = self.address_slot(a, p)?;
        if r.addr.a != sa || r.addr.offset != offset || r.width != width {
            return None;
        }
        self.truncate_code(r.load_start);
        self.last = None;
        Some(r)
    }

    /// The store of `v` to `a` (`end`: offset + 8) of `x - c * d` just
    /// computed by an `f64_mul_rsub` from `x` loaded by the `f64.load` right
    /// before it from the same place: all three become one
    /// `f64_mul_rsub_rmw` (nbody's `v -= d * mag`). The loaded value and the
    /// difference are stack temporaries that the store consumes.
    fn mul_rsub_rmw(&mut self, a: Operand, v: Operand, p: usize, end: u64) -> bool {
        let Some(last) = self.last_result(v, p + 1) else { return false };
        let (m, l) = (last.start, last.start.wrapping_sub(3));
        if !self.is(m, h::f64_mul_rsub) || !self.is(l, h::f64_load) || m + 3 != self.pos() {
            return false;
        }
        let ([dst, c, d], x, [loaded, addr, _]) = (self.fields_at(m + 1), self.field(m + 2, 0), self.fields_at(l + 1));
        let Some(sa) = self.address_slot(a, p) else { return false };
        let same_place = addr == sa && self.raw(l + 2) == Some(end);
        if !same_place || x != loaded || dst != loaded || [c, d].contains(&loaded) || !self.then_free(l) {
            return false;
        }
        if nofuse("mul_rsub_rmw") {
            return false;
        }
        self.truncate_code(l);
        self.last = None;
        self.emit(h::f64_mul_rsub_rmw);
        self.imm(pack(&[sa, c, d]));
        self.imm(end);
        true
    }

    /// A counter branch about to be emitted at `at` (from `forms`, with
    /// increment `inc` and bound `imm`) right after the code of the add at
    /// `add` (`CounterUpdate::after_add`): that add's cell gets the handler
    /// that does the add and continues in the counter's handler (see
    /// `handlers::add_then_ctr!`), for the `ne` counters with a constant
    /// step. Only the add's handler changes, so every way into the counter
    /// keeps its meaning.
    fn add_then_ctr(&mut self, add: Option<usize>, at: usize, forms: [Handler; 4], inc: Inc, imm: Option<u64>) {
        let Some((add, (plain, cells))) = add.and_then(|q| Some((q, self.add_ending_at(q, at)?))) else { return };
        if !matches!(inc, Inc::Imm(_)) {
            return;
        }
        let si = cells == 3;
        let ctr = forms[if imm.is_some() { 3 } else { 2 }] as usize;
        let table: [(Handler, Handler, Handler); 4] = [
            (h::ctr_ne_ii, h::i32_add_si_then_ctr_ne_ii, h::i32_add_ss_then_ctr_ne_ii),
            (h::ctr_ne_is, h::i32_add_si_then_ctr_ne_is, h::i32_add_ss_then_ctr_ne_is),
            (h::ctr64_ne_ii, h::i32_add_si_then_ctr64_ne_ii, h::i32_add_ss_then_ctr64_ne_ii),
            (h::ctr64_ne_is, h::i32_add_si_then_ctr64_ne_is, h::i32_add_ss_then_ctr64_ne_is),
        ];
        let Some(&(_, with_si, with_ss)) = table.iter().find(|(c, _, _)| *c as usize == ctr) else { return };
        let fused = if si { with_si } else { with_ss };
        self.fuse_then(add, at, plain, fused);
    }

    /// Removes the code of pending add `pa` (a store absorbs it).
    fn drain_pending(&mut self, pa: PendingAdd) {
        // Code moves: a load before it can no longer be located by position,
        // nor the instruction `branch_source` remembers.
        self.pair_first = None;
        self.branch_source = None;
        self.recent = [None; 2];
        let removed = pa.end - pa.start;
        // `then_fused` and `copies` are ascending and the drained code is
        // recent: only their tails can be affected, so a long function does
        // not pay for every entry at every drain. An add fused with drained
        // code is a plain add again; fused adds after it move with it.
        let mut k = self.then_fused.partition_point(|&(_, next, _)| next < pa.start);
        while k < self.then_fused.len() {
            let (add, next, plain) = self.then_fused[k];
            if next >= pa.start && add < pa.end {
                // The add or the next instruction goes: the add (if it
                // stays) is plain again.
                if add < pa.start {
                    self.code[add] = Cell::handler(plain);
                }
                self.then_fused.remove(k);
            } else {
                self.then_fused[k] = (add - removed, next - removed, plain);
                k += 1;
            }
        }
        self.code.drain(pa.start..pa.end);
        while self.and_selects.last().is_some_and(|&q| q >= pa.start) {
            self.and_selects.pop();
        }
        let lo = self.copies.partition_point(|&(c, _)| c < pa.start);
        let hi = self.copies.partition_point(|&(c, _)| c < pa.end);
        self.copies.drain(lo..hi);
        // Copies before `pa.start` keep their positions, and so does the
        // instruction before each (it comes earlier still).
        for (c, before) in &mut self.copies[lo..] {
            *c -= removed;
            // The instruction before moves too, or was the drained one.
            *before = match *before {
                Some(b) if b >= pa.end => Some(b - removed),
                Some(b) if b >= pa.start => None,
                b => b,
            };
        }
        self.last_start = None;
        for other in &mut self.pending_adds {
            if other.start >= pa.end {
                other.start -= removed;
                other.end -= removed;
            }
        }
        self.uncount_handler();
        self.last = None;
    }

    /// `[store_ss, (a, b, value), end]` or `[store_si, (a, value), imm, end]`
    /// (`end`: the static offset plus the access width).
    fn emit_store_add(&mut self, fused: (Handler, Handler), a: u32, b: u32, k: Option<u64>, v: u32, end: u64) {
        match k {
            Some(k) => {
                self.emit(fused.1);
                self.imm(pack(&[a, v]));
                self.imm(k);
            }
            None => {
                self.emit(fused.0);
                self.imm(pack(&[a, b, v]));
            }
        }
        self.imm(end);
    }

    /// Pops `n` operands into slots and emits `[handler, imms.., slots..]`.
    fn emit_with_slots(&mut self, handler: Handler, imms: &[u64], n: usize) {
        let base = self.stack.len() - n;
        let mut slots = [0u64; 3];
        for (k, s) in slots.iter_mut().enumerate().take(n) {
            let o = self.stack[base + k];
            *s = self.slot_of(o, base + k) as u64;
        }
        self.truncate(base);
        self.emit(handler);
        for &i in imms {
            self.imm(i);
        }
        for &s in &slots[..n] {
            self.imm(s);
        }
    }

    // ----- control -----

    fn frame(&self, depth: u32) -> &Control {
        &self.ctrl[self.ctrl.len() - 1 - depth as usize]
    }
    fn label_arity(&self, depth: u32) -> usize {
        let f = self.frame(depth);
        if f.kind == Kind::Loop {
            f.params
        } else {
            f.results
        }
    }
    /// Emits a target cell for the label at `depth` (not the function's).
    fn label_ref(&mut self, depth: u32) {
        self.label_ref_at(self.ctrl.len() - 1 - depth as usize);
    }
    /// Emits a target cell for the label of control frame `idx`.
    fn label_ref_at(&mut self, idx: usize) {
        if self.ctrl[idx].kind == Kind::Loop {
            let start = self.ctrl[idx].start;
            self.target(start);
        } else {
            let cell = self.pos();
            self.ctrl[idx].fixups.push(cell);
            self.target(usize::MAX >> 4);
        }
    }
    /// Copies the top `n` operands into the home slots of positions `base..`.
    fn copy_values(&mut self, base: usize, n: usize) {
        let top = self.stack.len() - n;
        for k in 0..n {
            let dst = self.home(base + k) as u64;
            match self.stack[top + k] {
                Operand::Temp => {
                    let src = self.home(top + k) as u64;
                    if src != dst {
                        self.emit_copy(dst, src);
                    }
                }
                Operand::Local(i) => {
                    self.emit_copy(dst, i as u64);
                }
                Operand::Const(c) => {
                    self.emit_copy_imm(dst, c);
                }
            }
        }
    }
    /// Does a branch to `depth` need to move values?
    fn branch_needs_copies(&self, depth: u32) -> bool {
        let f = self.frame(depth);
        if f.kind == Kind::Func {
            return true;
        }
        let n = self.label_arity(depth);
        let top = self.stack.len() - n;
        top != f.height && n > 0 || self.stack[top..].iter().any(|o| *o != Operand::Temp)
    }
    /// Unconditional branch to `depth` with the current operands.
    fn branch(&mut self, depth: u32) {
        if self.frame(depth).kind == Kind::Func {
            self.emit_return();
            return;
        }
        let n = self.label_arity(depth);
        let base = self.frame(depth).height;
        self.copy_values(base, n);
        if let Some(head) = self.frame(depth).head {
            // Loop rotation: test the loop's exit condition here; a counter
            // the exit compares, just updated, updates in the same handler.
            let cond = match self.counter {
                Some(update) => self.fuse_counter(head.cond, update).unwrap_or(head.cond),
                None => head.cond,
            };
            self.emit_cond(cond, !head.sense);
            self.target(head.body);
            self.emit(h::br);
            match head.target {
                HeadTarget::Label(idx) => self.label_ref_at(idx),
                HeadTarget::Else(idx) => {
                    let cell = self.pos();
                    self.ctrl[idx].else_fixup.push(cell);
                    self.target(usize::MAX >> 4);
                }
            }
            return;
        }
        self.emit(h::br);
        self.label_ref(depth);
    }
    /// `return a op b`: the instruction just emitted computed the result (at
    /// stack position `top`) with a `binop!` handler that has a `_ret` form,
    /// which then replaces it (same cells) and returns, saving the
    /// `ret_slot` dispatch. No label can sit between the two: labels clear
    /// `last`.
    fn fold_into_return(&mut self, top: usize) -> bool {
        const RET: [(Handler, Handler); 24] = [
            (h::i32_add_ss, h::i32_add_ss_ret),
            (h::i32_add_si, h::i32_add_si_ret),
            (h::i32_sub_ss, h::i32_sub_ss_ret),
            (h::i32_sub_si, h::i32_sub_si_ret),
            (h::i32_mul_ss, h::i32_mul_ss_ret),
            (h::i32_mul_si, h::i32_mul_si_ret),
            (h::i32_and_ss, h::i32_and_ss_ret),
            (h::i32_and_si, h::i32_and_si_ret),
            (h::i32_or_ss, h::i32_or_ss_ret),
            (h::i32_or_si, h::i32_or_si_ret),
            (h::i32_xor_ss, h::i32_xor_ss_ret),
            (h::i32_xor_si, h::i32_xor_si_ret),
            (h::i64_add_ss, h::i64_add_ss_ret),
            (h::i64_add_si, h::i64_add_si_ret),
            (h::i64_sub_ss, h::i64_sub_ss_ret),
            (h::i64_sub_si, h::i64_sub_si_ret),
            (h::i64_mul_ss, h::i64_mul_ss_ret),
            (h::i64_mul_si, h::i64_mul_si_ret),
            (h::i64_and_ss, h::i64_and_ss_ret),
            (h::i64_and_si, h::i64_and_si_ret),
            (h::i64_or_ss, h::i64_or_ss_ret),
            (h::i64_or_si, h::i64_or_si_ret),
            (h::i64_xor_ss, h::i64_xor_ss_ret),
            (h::i64_xor_si, h::i64_xor_si_ret),
        ];
        let Some(last) = self.last_result(Operand::Temp, top) else { return false };
        // The table alternates `_ss` (two cells) and `_si` (three); a
        // three-way compare has two. The instruction must end the code.
        let (cells, ret) = match h::CMP3.iter().find(|&&(_, _, c, _)| self.is(last.start, c)) {
            Some(&(.., ret)) => (2, ret),
            None => {
                let Some(i) = RET.iter().position(|(plain, _)| self.is(last.start, *plain)) else { return false };
                (2 + i % 2, RET[i].1)
            }
        };
        if last.start + cells != self.pos() || self.then_from(last.start) {
            return false;
        }
        self.code[last.start] = Cell::handler(ret);
        self.last = None;
        // The code after a return is not its successor: nothing pairs with it.
        self.prev_add_si = None;
        self.prev_add = None;
        true
    }

    fn emit_return(&mut self) {
        let n = self.nresults;
        let top = self.stack.len() - n;
        if n == 1 {
            if self.stack[top] == Operand::Temp && self.fold_into_return(top) {
                return;
            }
            match self.stack[top] {
                Operand::Temp => {
                    self.emit(h::ret_slot);
                    self.imm(self.home(top) as u64);
                }
                Operand::Local(0) => self.emit(h::ret),
                Operand::Local(i) => {
                    self.emit(h::ret_slot);
                    self.imm(i as u64);
                }
                Operand::Const(c) => {
                    self.emit(h::ret_imm);
                    self.imm(c);
                }
            }
            return;
        }
        // Results go to slots 0..n; a local read after being overwritten would be
        // wrong, so such sources are first copied to their home slots.
        let clobbered = (0..n).any(|k| matches!(self.stack[top + k], Operand::Local(j) if (j as usize) < k));
        if clobbered {
            self.materialize_top(n);
        }
        for k in 0..n {
            let dst = k as u64;
            match self.stack[top + k] {
                Operand::Temp => {
                    let src = self.home(top + k) as u64;
                    if src != dst {
                        self.emit_copy(dst, src);
                    }
                }
                Operand::Local(i) => {
                    if i as u64 != dst {
                        self.emit_copy(dst, i as u64);
                    }
                }
                Operand::Const(c) => {
                    self.emit_copy_imm(dst, c);
                }
            }
        }
        self.emit(h::ret);
    }
    fn set_unreachable(&mut self) {
        let f = self.ctrl.last_mut().expect("control stack");
        f.unreachable = true;
        let height = f.height + f.params;
        let height = height.min(self.stack.len());
        self.truncate(height);
        self.last = None;
    }
    /// Are reads of local `i` pending on the operand stack (`Operand::Local`)?
    fn pending_reads(&self, i: u32) -> bool {
        self.lazy.iter().any(|&q| self.stack[q] == Operand::Local(i))
    }

    /// `cond`, a compare with counter forms, right after `update` wrote one
    /// of its operands: drops the update's code and returns the fused test
    /// (`Cond::CounterCmp`). Not when pending reads of the local's old value
    /// would be materialised after the moved update.
    fn fuse_counter(&mut self, cond: Cond, update: CounterUpdate) -> Option<Cond> {
        let Cond::Cmp { ctr: Some(forms), a, b, imm, .. } = cond else { return None };
        let fused = forms.fuse(update, a, b, imm)?;
        if self.pending_reads(update.local) {
            return None;
        }
        self.truncate_code(update.start);
        Some(fused)
    }

    /// Pops a condition; returns how to test it (fusing a preceding compare).
    fn pop_cond(&mut self) -> Cond {
        let o = self.pop();
        let p = self.stack.len();
        if let (Operand::Local(x), Some(c)) = (o, self.counter) {
            // Pending reads of the local's old value would be materialised
            // after the (moved) update: keep the update in place then.
            if c.local == x && !c.wide && !self.pending_reads(x) {
                self.truncate_code(c.start);
                self.counter = None;
                return Cond::CounterCmp { update: c, forms: (h::CTR_NE, h::CTR_EQ), b: 0, imm: Some(0) };
            }
            // A test of the old value: `x = y; y = x + k; br_if x` (a
            // post-decrement `while n-- != 0`). `x` is `y - k` now, so `x != 0`
            // is `y != k`: the update of `y` is the counter (`x` keeps its
            // copy, and the two may then share a handler, `fuse_copies`).
            if let (Inc::Imm(k), Some(copy)) = (c.inc, c.after_copy) {
                let copied = self.is(copy, h::copy) && self.fields_at(copy + 1)[..2] == [x, c.local];
                if c.a == x && c.local != x && copied && !c.wide && !self.pending_reads(c.local) {
                    self.truncate_code(c.start);
                    self.counter = None;
                    let update = CounterUpdate { a: c.local, ..c };
                    return Cond::CounterCmp { update, forms: (h::CTR_NE, h::CTR_EQ), b: 0, imm: Some(k) };
                }
            }
        }
        if o == Operand::Temp {
            if let Some(last) = self.last {
                // A test of an `i32.add` just computed: the add becomes the
                // update of a counter compare with 0 (its result still goes
                // to its slot).
                let update = self.counter_update(last, last.dst).filter(|u| !u.wide);
                if let (None, Some(update), true) = (last.cond, update, last.dst == self.home(p)) {
                    self.truncate_code(last.start);
                    self.last = None;
                    return Cond::CounterCmp { update, forms: (h::CTR_NE, h::CTR_EQ), b: 0, imm: Some(0) };
                }
                if let (Some(cond), true) = (last.cond, last.dst == self.home(p)) {
                    if let Cond::Cmp { update: Some(update), .. } = cond {
                        if let Some(fused) = self.fuse_counter(cond, update) {
                            self.last = None;
                            return fused;
                        }
                    }
                    self.truncate_code(last.start);
                    self.last = None;
                    return cond;
                }
            }
        }
        let a = self.slot_of(o, p);
        let acc = self.in_acc(a, false).then_some((h::br_nez_i32_a as Handler, h::br_eqz_i32_a as Handler));
        Cond::Test { when_true: h::br_nez_i32, when_false: h::br_eqz_i32, a, sel_swap: Some(false), acc }
    }
    /// The last instruction as the update of counter `local`, if it is an
    /// `i32.add`/`i64.add` (or `sub` of a constant) that ends here.
    fn counter_update(&self, last: Last, local: u32) -> Option<CounterUpdate> {
        let (add, wide) = match (last.add, last.add64) {
            (Some(add), _) => (add, false),
            (None, add) => (add?, true),
        };
        let (start, len) = (last.start, self.code.len());
        let after_copy = self.copy_before.filter(|&c| c + 2 == start);
        let inc = match add {
            (_, _, Some(k)) if start + 3 == len => Inc::Imm(k),
            (_, b, None) if start + 2 == len => Inc::Slot(b),
            _ => return None,
        };
        Some(CounterUpdate { start, local, a: add.0, inc, wide, after_copy, after_add: last.after_add })
    }
    /// The branch forms (`nez`, `eqz`) of the last instruction, if it is an
    /// `i32.load`/`i32.load8_u` from a slot address into `a` that ends here.
    fn load_to_test(&self, a: u32) -> Option<(Handler, Handler)> {
        let (start, dst, kind) = match self.last? {
            Last { start, dst, load: Some((_, _, Some(kind))), .. }
            | Last { start, dst, local_load: Some(kind), .. } => (start, dst, kind),
            _ => return None,
        };
        if dst != a || start + 3 != self.pos() {
            return None;
        }
        if std::ptr::fn_addr_eq(kind, h::i32_load as Handler) {
            Some((h::i32_load_br_nez, h::i32_load_br_eqz))
        } else if std::ptr::fn_addr_eq(kind, h::i32_load8_u as Handler) {
            Some((h::i32_load8_u_br_nez, h::i32_load8_u_br_eqz))
        } else {
            None
        }
    }
    /// The `br_i32_sub_and_*` form of the compare-branch `as_` (the left
    /// operand `a` from the accumulator, the right one a slot), if the code
    /// ends with an `i32_sub_and_ss` into `a` (`branch_source`) that no
    /// direct call continues into or from (`then_free`).
    fn sub_and_then(&self, as_: Handler, a: u32) -> Option<Handler> {
        let start = self.branch_source.filter(|&s| s + 3 == self.pos())?;
        let fused = pair_of(&h::BR_SUB_AND, as_)?;
        let plain = self.is(start, h::i32_sub_and_ss) && self.field(start + 1, 0) == a;
        (plain && self.then_free(start) && !nofuse("sub_and_br")).then_some(fused)
    }
    /// The `br_i32_add_and_*` form of the compare-branch `ai` (a constant
    /// right operand, the left one `a` from the accumulator), if the code
    /// ends with an `i32_add_and`/`_a` into `a` (`branch_source`).
    fn add_and_then(&self, ai: Handler, a: u32) -> Option<Handler> {
        let start = self.branch_source.filter(|&s| s + 3 == self.pos())?;
        if self.field(start + 1, 0) != a {
            return None;
        }
        let &(_, slot, acc) = h::BR_ADD_AND.iter().find(|(br, _, _)| std::ptr::fn_addr_eq(*br, ai))?;
        if self.is(start, h::i32_add_and_a) {
            Some(acc)
        } else if self.is(start, h::i32_add_and) {
            Some(slot)
        } else {
            None
        }
    }
    /// Emits a conditional branch taken when the condition is `sense`, without
    /// its target cell (the caller emits it next).
    /// Leaves in `self.acc` what the accumulators hold when the branch falls
    /// through: the value tested by an accumulator test, else nothing known
    /// (for [`Translator::fall_through_acc`]).
    fn emit_cond(&mut self, c: Cond, sense: bool) {
        match c {
            Cond::Test { when_true, when_false, a, acc, sel_swap } => {
                // A test of the value just loaded into `a` from a slot address
                // (`[load, (a, addr), offset]`): one `load_br_*`.
                // The test's own polarity: an `i32` test whose branch is
                // `br_nez_i32`, or `br_eqz_i32` for a negated test.
                let branch = if sense { when_true } else { when_false };
                let zero = std::ptr::fn_addr_eq(branch, h::br_eqz_i32 as Handler);
                let i32_test = zero || std::ptr::fn_addr_eq(branch, h::br_nez_i32 as Handler);
                if let (true, Some((nez, eqz))) = (i32_test, self.load_to_test(a)) {
                    let start = self.pos() - 3;
                    self.code[start] = Cell::handler(if zero { eqz } else { nez });
                    self.new_instruction();
                    return;
                }
                // An `i32` test right after a copy: one `copy_br_*` (the copy
                // first, so a test of its destination sees the new value).
                if let (None, Some(swap), Some(prev)) = (acc, sel_swap, self.prev_copy) {
                    if prev + 2 == self.pos() {
                        let (dst, src) = (self.field(prev + 1, 0), self.field(prev + 1, 1));
                        self.code[prev] = Cell::handler(if sense != swap { h::copy_br_nez } else { h::copy_br_eqz });
                        self.code[prev + 1] = Cell::imm(pack(&[dst, src, a]));
                        self.new_instruction();
                        // The copy is gone: nothing to restore if this is dropped.
                        self.copy_before = None;
                        return;
                    }
                }
                let acc_test = acc.is_some();
                let (when_true, when_false) = acc.unwrap_or((when_true, when_false));
                let (start, branch) = (self.pos(), if sense { when_true } else { when_false });
                self.emit(branch);
                self.imm(a as u64);
                self.load_then_branch(start, branch);
                // Falling through, the accumulator still holds the value
                // tested (a fused load continuing in the test sets it).
                self.acc = acc_test.then_some(Acc { slot: a, float: false });
            }
            Cond::CounterCmp { update: u, forms, b, imm } => {
                let forms = if sense { forms.0 } else { forms.1 };
                let at = self.pos();
                self.branch_source = Some(at);
                self.add_then_ctr(u.after_add, at, forms, u.inc, imm);
                match u.inc {
                    Inc::Slot(inc) => {
                        self.emit(forms[if imm.is_some() { 1 } else { 0 }]);
                        self.imm(pack(&[u.local, u.a, inc]));
                    }
                    Inc::Imm(k) => {
                        self.emit(forms[if imm.is_some() { 3 } else { 2 }]);
                        self.imm(pack(&[u.local, u.a]));
                        self.imm(k);
                    }
                }
                match imm {
                    Some(k) => self.imm(k),
                    None => self.imm(pack(&[b])),
                }
            }
            Cond::Cmp { when_true, when_false, a, b, imm, a_acc, .. } => {
                let (ss, si, as_, ai) = if sense { when_true } else { when_false };
                // An unsigned compare of the `i32_add_and` result just computed
                // with a constant: one `br_i32_add_and_*` in the add's cells.
                if let (true, Some(k), Some(fused)) = (a_acc, imm, self.add_and_then(ai, a)) {
                    let start = self.pos() - 3;
                    self.code[start] = Cell::handler(fused);
                    self.imm(k);
                    self.new_instruction();
                    return;
                }
                // The same for `(a - b) & m` compared with a slot.
                if let (true, None, Some(fused)) = (a_acc, imm, self.sub_and_then(as_, a)) {
                    let start = self.pos() - 3;
                    self.code[start] = Cell::handler(fused);
                    self.imm(pack(&[b]));
                    self.new_instruction();
                    // The fused handler passes on the accumulator it got.
                    let before = self.acc_mark.filter(|&(p, _)| p == start).map(|(_, acc)| acc);
                    self.acc = before.filter(|acc| acc.slot != a);
                    return;
                }
                let (ss, si) = if a_acc { (as_, ai) } else { (ss, si) };
                match imm {
                    Some(k) => {
                        let start = self.pos();
                        self.emit(si);
                        self.imm(pack(&[a]));
                        self.imm(k);
                        self.ctr_then_bit(start, si, a);
                        self.load_then_branch(start, si);
                    }
                    None => {
                        let start = self.pos();
                        self.emit(ss);
                        self.imm(pack(&[a, b]));
                        self.load_then_branch(start, ss);
                        self.add_store_then_branch(start, ss);
                    }
                }
            }
        }
    }

    /// A compare-branch of two slots (`branch`, at `start`) right after an
    /// `i32_add_si_then_store_v` pair (`x += k; *p = x; while x != n`): the
    /// pair's handler continues in the branch too. Its `then_fused` entry
    /// then reaches to the branch, so dropping the branch makes the add
    /// plain (the store runs alone again).
    fn add_store_then_branch(&mut self, start: usize, branch: Handler) {
        let Some(add) = start.checked_sub(6) else { return };
        let paired = match self.then_fused.last() {
            Some(&(a, next, plain)) => {
                a == add && next == start - 3 && std::ptr::fn_addr_eq(plain, h::i32_add_si as Handler)
            }
            None => false,
        };
        if !paired || !self.is(add, h::i32_add_si_then_store_v) {
            return;
        }
        if let Some(fused) = pair_of(&h::ADD_STORE_THEN_BR, branch) {
            // The pair's entry now reaches to the branch.
            self.then_fused.pop();
            self.fuse_then(add, start, h::i32_add_si, fused);
        }
    }

    /// A compare-branch of two slots or of the accumulator and a slot
    /// (`branch`, at `start`) right after a
    /// plain `i32.load`/`i64.load32_u` (`branch_source`), as a bounds check of an
    /// index against a length field compiles: the load's cell gets the
    /// handler that continues in the branch by a direct call (`then_fused`).
    ///
    /// The same for a test (`br_eqz_i32_a`, `br_nez_i32_a`) or an `eq`/`ne`
    /// compare-branch right after an unsigned `i32` load of any address
    /// form but the accumulator's (`handlers::LOAD_THEN_TEST`; a scaled
    /// index from the accumulator, `_sxa`, only with a test).
    fn load_then_branch(&mut self, start: usize, branch: Handler) {
        let Some(l) = self.branch_source.filter(|&l| l < start) else { return };
        // A bounds check after a field load (3 cells).
        let bounds = || {
            let plain = [h::i32_load as Handler, h::i64_load32_u].into_iter().find(|&f| self.is(l, f))?;
            let fused = pair_of(&h::LOAD_THEN_BR, branch)?;
            (l + 3 == start).then_some((plain, fused))
        };
        let test = || {
            h::LOAD_THEN_TEST
                .iter()
                .find(|&&(load, cells, br, _)| {
                    l + cells == start && std::ptr::fn_addr_eq(br, branch) && self.is(l, load)
                })
                .map(|&(plain, _, _, fused)| (plain, fused))
                .filter(|_| !nofuse("load_test"))
        };
        if let Some((plain, fused)) = bounds().or_else(test) {
            self.fuse_then(l, start, plain, fused);
        }
    }

    /// A bit-test branch `br_i32_{bit,nbit}_si` of slot `a` (at `start`)
    /// right after a `ctr_{gt,le}_u_ii` that updated `a`, as
    /// `matches!(c, b' ' | b'\n' ...)` compiles (`x = c - 9; x > 23 ||
    /// !bit(x)`): the counter's cell gets the handler that continues in the
    /// bit test by a direct call (`then_fused`).
    fn ctr_then_bit(&mut self, start: usize, branch: Handler, a: u32) {
        // `[ctr, (local, a), inc, b, target]`
        let Some(c) = self.branch_source.filter(|&c| c + 5 == start) else { return };
        if self.field(c + 1, 0) != a {
            return;
        }
        let found = h::CTR_THEN_BIT.iter().find(|(ctr, br, _)| self.is(c, *ctr) && std::ptr::fn_addr_eq(*br, branch));
        if let Some(&(plain, _, fused)) = found {
            self.fuse_then(c, start, plain, fused);
        }
    }
    fn enter_block(&mut self, kind: Kind, bt: BlockType) {
        self.invalidate_adds();
        let (params, results) = block_arity(self.m, bt);
        self.materialize_locals(None);
        self.materialize_top(params);
        // A loop's start is a label: copies before and after it stay apart,
        // and the accumulators are unknown there. So is the start of an `if`
        // that begins a loop (`LoopHead`: rotated back edges jump there); a
        // plain block's start is not a label.
        self.prev_copy = None;
        self.copy_before = None;
        if kind != Kind::Block || nofuse("acc_into_block") {
            self.acc = None;
            self.acc_mark = None;
            self.keep_cand = None;
        }
        let height = self.stack.len() - params;
        let mut start = self.pos();
        if kind == Kind::Loop {
            self.begin_block(true);
            start = self.pos();
            // Fuel and interrupt cells run on every iteration: the loop starts before them.
            if self.fuel || self.interruptible {
                start = self.code.len() - if self.fuel { 2 } else { 0 } - if self.interruptible { 1 } else { 0 };
            }
        }
        self.last = None;
        self.ctrl.push(Control {
            kind,
            height,
            params,
            results,
            start,
            fixups: self.spare.pop().unwrap_or_default(),
            else_fixup: self.spare.pop().unwrap_or_default(),
            unreachable: false,
            head: None,
        });
    }

    /// After a conditional branch (its target cell written) that does not
    /// start a loop (whose rotated back edges would jump past it): the next
    /// instruction may read the accumulator `acc` the branch falls through
    /// with, and a fusion of it that passes the accumulator on knows what it
    /// holds (`acc_mark`).
    fn fall_through_acc(&mut self, acc: Option<Acc>) {
        if let Some(acc) = acc.filter(|_| !nofuse("acc_after_test")) {
            self.acc = Some(acc);
            self.acc_mark = Some((self.pos(), acc));
        }
    }

    fn patch_here(&mut self, cells: &[usize]) {
        self.invalidate_adds();
        // A label: control arrives here with any accumulator.
        self.acc = None;
        self.acc_mark = None;
        self.keep_cand = None;
        // A label: copies before and after it stay apart.
        self.prev_copy = None;
        self.copy_before = None;
        let here = self.pos() as u64;
        for &c in cells {
            self.code[c] = Cell::imm(here);
        }
    }

    /// Keeps an emptied fixup list for a later block.
    fn recycle(&mut self, mut v: Vec<usize>) {
        if v.capacity() != 0 {
            v.clear();
            self.spare.push(v);
        }
    }

    fn op_else(&mut self) {
        self.invalidate_adds();
        let reachable = !self.ctrl.last().is_some_and(|f| f.unreachable);
        let (height, params, results) = {
            let f = self.ctrl.last().expect("if frame");
            (f.height, f.params, f.results)
        };
        if reachable {
            self.materialize_top(results);
            self.emit(h::br);
            let cell = self.pos();
            self.target(usize::MAX >> 4);
            self.ctrl.last_mut().expect("if frame").fixups.push(cell);
        }
        self.forget_else_head();
        let f = self.ctrl.last_mut().expect("if frame");
        let else_fixup = std::mem::take(&mut f.else_fixup);
        f.kind = Kind::Else;
        f.unreachable = false;
        self.patch_here(&else_fixup);
        self.recycle(else_fixup);
        self.truncate(height);
        for _ in 0..params {
            self.push(Operand::Temp);
        }
        self.begin_block(false);
    }

    /// The `then` arm of the innermost `if` ends: a loop head that jumps to its
    /// `else` arm no longer can.
    fn forget_else_head(&mut self) {
        let n = self.ctrl.len();
        if n >= 2 && self.ctrl[n - 2].head.is_some_and(|h| h.target == HeadTarget::Else(n - 1)) {
            self.ctrl[n - 2].head = None;
        }
    }

    fn op_end(&mut self) {
        self.invalidate_adds();
        self.forget_else_head();
        let f = self.ctrl.last().expect("frame");
        let reachable = !f.unreachable;
        if f.kind == Kind::Func {
            if reachable {
                self.emit_return();
            }
            self.ctrl.pop();
            return;
        }
        if reachable {
            let results = f.results;
            self.materialize_top(results);
        }
        let f = self.ctrl.pop().expect("frame");
        let mut fix = f.fixups;
        fix.extend_from_slice(&f.else_fixup);
        self.patch_here(&fix);
        self.recycle(f.else_fixup);
        let patched = !fix.is_empty();
        self.recycle(fix);
        self.truncate(f.height);
        for _ in 0..f.results {
            self.push(Operand::Temp);
        }
        if patched {
            self.begin_block(false);
        }
        self.last = None;
    }

    fn skip(&mut self, op: &Operator) -> bool {
        if !self.ctrl.last().is_some_and(|f| f.unreachable) {
            return false;
        }
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => self.skip_depth += 1,
            Operator::Else if self.skip_depth == 0 => return false,
            Operator::End if self.skip_depth == 0 => return false,
            Operator::End => self.skip_depth -= 1,
            _ => {}
        }
        true
    }

    fn op(&mut self, op: Operator) -> Result<()> {
        use Operator as O;
        if self.skip(&op) {
            return Ok(());
        }
        let t = self;
        match op {
            O::Unreachable => {
                t.emit(h::unreachable);
                t.set_unreachable();
            }
            O::Nop => {}
            O::Block { blockty } => t.enter_block(Kind::Block, blockty),
            O::Loop { blockty } => t.enter_block(Kind::Loop, blockty),
            O::If { blockty } => {
                let cond = t.pop_cond();
                let (params, _) = block_arity(t.m, blockty);
                t.materialize_locals(None);
                t.materialize_top(params);
                let loop_start =
                    params == 0 && t.ctrl.last().is_some_and(|f| f.kind == Kind::Loop && f.start == t.pos());
                t.emit_cond(cond, false);
                let cell = t.pos();
                t.target(usize::MAX >> 4);
                t.enter_block(Kind::If, blockty);
                t.ctrl.last_mut().expect("if").else_fixup.push(cell);
                if loop_start {
                    let n = t.ctrl.len();
                    let target = HeadTarget::Else(n - 1);
                    let cond = cond.without_acc();
                    t.ctrl[n - 2].head = Some(LoopHead { cond, sense: false, target, body: cell + 1 });
                }
                t.begin_block(false);
            }
            O::Else => t.op_else(),
            O::End => t.op_end(),
            O::Br { relative_depth } => {
                t.branch(relative_depth);
                t.set_unreachable();
            }
            O::BrIf { relative_depth } => {
                let cond = t.pop_cond();
                if !t.branch_needs_copies(relative_depth) {
                    let loop_start = t.ctrl.last().is_some_and(|f| f.kind == Kind::Loop && f.start == t.pos());
                    t.emit_cond(cond, true);
                    let acc = t.acc.take();
                    t.label_ref(relative_depth);
                    if !loop_start {
                        t.fall_through_acc(acc);
                        t.keep_cand = t.pos().checked_sub(7);
                    }
                    if loop_start && relative_depth > 0 {
                        let target = HeadTarget::Label(t.ctrl.len() - 1 - relative_depth as usize);
                        let body = t.pos();
                        let f = t.ctrl.last_mut().expect("loop");
                        f.head = Some(LoopHead { cond: cond.without_acc(), sense: true, target, body });
                    }
                } else {
                    t.emit_cond(cond, false);
                    t.acc = None;
                    let skip = t.pos();
                    t.target(usize::MAX >> 4);
                    t.branch(relative_depth);
                    t.patch_here(&[skip]);
                    t.last = None;
                }
            }
            O::BrTable { targets } => {
                let idx = t.pop();
                let p = t.stack.len();
                let a = t.slot_of(idx, p);
                let mut depths = Vec::with_capacity(targets.len() as usize + 1);
                for d in targets.targets() {
                    depths.push(d.map_err(|e| Error::Invalid(e.to_string()))?);
                }
                depths.push(targets.default());
                t.emit(h::br_table);
                t.imm(a as u64);
                t.imm(depths.len() as u64 - 1);
                let table_start = t.pos();
                for _ in &depths {
                    t.imm(0);
                }
                // Targets that need value moves get a stub after the table.
                let mut stubs: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
                for (k, &d) in depths.iter().enumerate() {
                    let cell = table_start + k;
                    if !t.branch_needs_copies(d) {
                        let idx = t.ctrl.len() - 1 - d as usize;
                        t.relocs.push(cell);
                        if t.ctrl[idx].kind == Kind::Loop {
                            t.code[cell] = Cell::imm(t.ctrl[idx].start as u64);
                        } else {
                            t.ctrl[idx].fixups.push(cell);
                        }
                    } else {
                        let stub = match stubs.get(&d) {
                            Some(&s) => s,
                            None => {
                                let s = t.pos();
                                t.branch(d);
                                stubs.insert(d, s);
                                s
                            }
                        };
                        t.relocs.push(cell);
                        t.code[cell] = Cell::imm(stub as u64);
                    }
                }
                t.set_unreachable();
            }
            O::Return => {
                t.emit_return();
                t.set_unreachable();
            }
            O::Call { function_index } => t.call(function_index),
            O::CallIndirect { type_index, table_index } => {
                let idx = t.pop();
                let p = t.stack.len();
                let si = t.slot_of(idx, p);
                let ft = &t.m.types[type_index as usize];
                let (np, nr) = (ft.params().len(), ft.results().len());
                t.materialize_top(np);
                let arg_base = t.home(t.stack.len() - np);
                t.truncate(t.stack.len() - np);
                t.emit(if table_index == 0 { h::call_indirect0 } else { h::call_indirect });
                t.imm(t.m.type_ids[type_index as usize] as u64);
                t.imm(table_index as u64);
                t.imm(arg_base as u64);
                t.imm(si as u64);
                t.max_height = t.max_height.max(t.stack.len() + np.max(nr));
                for _ in 0..nr {
                    t.push(Operand::Temp);
                }
            }
            O::Drop => {
                t.pop();
            }
            O::Select | O::TypedSelect { .. } => t.select(),
            O::LocalGet { local_index } => t.push(Operand::Local(local_index)),
            O::LocalSet { local_index } => t.local_set(local_index),
            O::LocalTee { local_index } => {
                let v = *t.stack.last().expect("operand");
                t.local_set(local_index);
                t.push(if let Operand::Const(c) = v { Operand::Const(c) } else { Operand::Local(local_index) });
            }
            O::GlobalGet { global_index } => {
                let p = t.stack.len();
                let start = t.pos();
                t.emit(h::global_get);
                let dst_cell = t.pos();
                t.imm(pack(&[t.home(p)]));
                t.imm(global_index as u64);
                t.push_result(start, dst_cell, None);
            }
            O::GlobalSet { global_index } if t.global_add_set(global_index) => {}
            O::GlobalSet { global_index } => t.emit_with_slots(h::global_set, &[global_index as u64], 1),

            O::I32Load { memarg } | O::F32Load { memarg } => t.load_fused(
                load_ops!(
                    i32_load,
                    i32_load_a,
                    i32_load_ss,
                    i32_load_si,
                    i32_load_as,
                    i32_load_ai,
                    i32_load_abs,
                    i32_load_sx,
                    i32_load_sxa
                ),
                memarg.offset,
                4,
            ),
            O::I64Load { memarg } => t.load_fused(
                load_ops!(
                    i64_load,
                    i64_load_a,
                    i64_load_ss,
                    i64_load_si,
                    i64_load_as,
                    i64_load_ai,
                    i64_load_abs,
                    i64_load_sx,
                    i64_load_sxa
                ),
                memarg.offset,
                8,
            ),
            O::F64Load { memarg } => t.load_fused(
                load_ops!(
                    f64_load,
                    f64_load_a,
                    f64_load_ss,
                    f64_load_si,
                    f64_load_as,
                    f64_load_ai,
                    f64_load_abs,
                    f64_load_sx,
                    f64_load_sxa
                ),
                memarg.offset,
                8,
            ),
            O::I32Load8S { memarg } => t.load_fused(
                load_ops!(
                    i32_load8_s,
                    i32_load8_s_a,
                    i32_load8_s_ss,
                    i32_load8_s_si,
                    i32_load8_s_as,
                    i32_load8_s_ai,
                    i32_load8_s_abs,
                    i32_load8_s_sx,
                    i32_load8_s_sxa
                ),
                memarg.offset,
                1,
            ),
            O::I32Load8U { memarg } => t.load_fused(
                load_ops!(
                    i32_load8_u,
                    i32_load8_u_a,
                    i32_load8_u_ss,
                    i32_load8_u_si,
                    i32_load8_u_as,
                    i32_load8_u_ai,
                    i32_load8_u_abs,
                    i32_load8_u_sx,
                    i32_load8_u_sxa
                ),
                memarg.offset,
                1,
            ),
            O::I32Load16S { memarg } => t.load_fused(
                load_ops!(
                    i32_load16_s,
                    i32_load16_s_a,
                    i32_load16_s_ss,
                    i32_load16_s_si,
                    i32_load16_s_as,
                    i32_load16_s_ai,
                    i32_load16_s_abs,
                    i32_load16_s_sx,
                    i32_load16_s_sxa
                ),
                memarg.offset,
                2,
            ),
            O::I32Load16U { memarg } => t.load_fused(
                load_ops!(
                    i32_load16_u,
                    i32_load16_u_a,
                    i32_load16_u_ss,
                    i32_load16_u_si,
                    i32_load16_u_as,
                    i32_load16_u_ai,
                    i32_load16_u_abs,
                    i32_load16_u_sx,
                    i32_load16_u_sxa
                ),
                memarg.offset,
                2,
            ),
            O::I64Load8S { memarg } => t.load_fused(
                load_ops!(
                    i64_load8_s,
                    i64_load8_s_a,
                    i64_load8_s_ss,
                    i64_load8_s_si,
                    i64_load8_s_as,
                    i64_load8_s_ai,
                    i64_load8_s_abs,
                    i64_load8_s_sx,
                    i64_load8_s_sxa
                ),
                memarg.offset,
                1,
            ),
            O::I64Load8U { memarg } => t.load_fused(
                load_ops!(
                    i64_load8_u,
                    i64_load8_u_a,
                    i64_load8_u_ss,
                    i64_load8_u_si,
                    i64_load8_u_as,
                    i64_load8_u_ai,
                    i64_load8_u_abs,
                    i64_load8_u_sx,
                    i64_load8_u_sxa
                ),
                memarg.offset,
                1,
            ),
            O::I64Load16S { memarg } => t.load_fused(
                load_ops!(
                    i64_load16_s,
                    i64_load16_s_a,
                    i64_load16_s_ss,
                    i64_load16_s_si,
                    i64_load16_s_as,
                    i64_load16_s_ai,
                    i64_load16_s_abs,
                    i64_load16_s_sx,
                    i64_load16_s_sxa
                ),
                memarg.offset,
                2,
            ),
            O::I64Load16U { memarg } => t.load_fused(
                load_ops!(
                    i64_load16_u,
                    i64_load16_u_a,
                    i64_load16_u_ss,
                    i64_load16_u_si,
                    i64_load16_u_as,
                    i64_load16_u_ai,
                    i64_load16_u_abs,
                    i64_load16_u_sx,
                    i64_load16_u_sxa
                ),
                memarg.offset,
                2,
            ),
            O::I64Load32S { memarg } => t.load_fused(
                load_ops!(
                    i64_load32_s,
                    i64_load32_s_a,
                    i64_load32_s_ss,
                    i64_load32_s_si,
                    i64_load32_s_as,
                    i64_load32_s_ai,
                    i64_load32_s_abs,
                    i64_load32_s_sx,
                    i64_load32_s_sxa
                ),
                memarg.offset,
                4,
            ),
            O::I64Load32U { memarg } => t.load_fused(
                load_ops!(
                    i64_load32_u,
                    i64_load32_u_a,
                    i64_load32_u_ss,
                    i64_load32_u_si,
                    i64_load32_u_as,
                    i64_load32_u_ai,
                    i64_load32_u_abs,
                    i64_load32_u_sx,
                    i64_load32_u_sxa
                ),
                memarg.offset,
                4,
            ),
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => t.store_fused(
                h::i32_store,
                (h::i32_store_imm, h::i32_store_imm_ss, h::i32_store_imm_si),
                (h::i32_store_ss, h::i32_store_si),
                (h::i32_store_abs, h::i32_store_abs_imm),
                ValueFromAcc {
                    plain: h::i32_store_v,
                    ss: h::i32_store_ss_v,
                    si: h::i32_store_si_v,
                    float: false,
                    addr: h::i32_store_a,
                    sx: Some((h::i32_store_sx, h::i32_store_sx_v)),
                },
                memarg.offset,
                4,
            ),
            O::I64Store { memarg } => t.store_fused(
                h::i64_store,
                (h::i64_store_imm, h::i64_store_imm_ss, h::i64_store_imm_si),
                (h::i64_store_ss, h::i64_store_si),
                (h::i64_store_abs, h::i64_store_abs_imm),
                ValueFromAcc {
                    plain: h::i64_store_v,
                    ss: h::i64_store_ss_v,
                    si: h::i64_store_si_v,
                    float: false,
                    addr: h::i64_store_a,
                    sx: Some((h::i64_store_sx, h::i64_store_sx_v)),
                },
                memarg.offset,
                8,
            ),
            O::F64Store { memarg } => t.store_fused(
                h::i64_store,
                (h::i64_store_imm, h::i64_store_imm_ss, h::i64_store_imm_si),
                (h::i64_store_ss, h::i64_store_si),
                (h::i64_store_abs, h::i64_store_abs_imm),
                ValueFromAcc {
                    plain: h::f64_store_f,
                    ss: h::f64_store_ss_f,
                    si: h::f64_store_si_f,
                    float: true,
                    addr: h::i64_store_a,
                    sx: Some((h::i64_store_sx, h::f64_store_sx_f)),
                },
                memarg.offset,
                8,
            ),
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => t.store_fused(
                h::i32_store8,
                (h::i32_store8_imm, h::i32_store8_imm_ss, h::i32_store8_imm_si),
                (h::i32_store8_ss, h::i32_store8_si),
                (h::i32_store8_abs, h::i32_store8_abs_imm),
                ValueFromAcc {
                    plain: h::i32_store8_v,
                    ss: h::i32_store8_ss_v,
                    si: h::i32_store8_si_v,
                    float: false,
                    addr: h::i32_store8_a,
                    sx: None,
                },
                memarg.offset,
                1,
            ),
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => t.store_fused(
                h::i32_store16,
                (h::i32_store16_imm, h::i32_store16_imm_ss, h::i32_store16_imm_si),
                (h::i32_store16_ss, h::i32_store16_si),
                (h::i32_store16_abs, h::i32_store16_abs_imm),
                ValueFromAcc {
                    plain: h::i32_store16_v,
                    ss: h::i32_store16_ss_v,
                    si: h::i32_store16_si_v,
                    float: false,
                    addr: h::i32_store16_a,
                    sx: None,
                },
                memarg.offset,
                2,
            ),
            O::MemorySize { .. } => {
                let p = t.stack.len();
                t.emit(h::memory_size);
                t.imm(t.home(p) as u64);
                t.push(Operand::Temp);
            }
            O::MemoryGrow { .. } => {
                let d = t.pop();
                let p = t.stack.len();
                let sd = t.slot_of(d, p);
                t.emit(h::memory_grow);
                t.imm(t.home(p) as u64);
                t.imm(sd as u64);
                t.push(Operand::Temp);
            }
            O::MemoryFill { .. } => t.emit_with_slots(h::memory_fill, &[], 3),
            O::MemoryCopy { .. } => t.emit_with_slots(h::memory_copy, &[], 3),
            O::MemoryInit { data_index, .. } => t.emit_with_slots(h::memory_init, &[data_index as u64], 3),
            O::DataDrop { data_index } => {
                t.emit(h::data_drop);
                t.imm(data_index as u64);
            }

            O::I32Const { value } => t.push(Operand::Const(value as u32 as u64)),
            O::I64Const { value } => t.push(Operand::Const(value as u64)),
            O::F32Const { value } => t.push(Operand::Const(value.bits() as u64)),
            O::F64Const { value } => t.push(Operand::Const(value.bits())),
            O::RefNull { .. } => t.push(Operand::Const(0)),
            O::RefIsNull => t.eqz(
                (h::i64_eqz, h::i64_eqz_a),
                h::br_eqz_i64,
                h::br_nez_i64,
                (h::br_eqz_i64_a, h::br_nez_i64_a),
                None,
            ),
            O::RefFunc { function_index } => {
                let p = t.stack.len();
                t.emit(h::ref_func);
                t.imm(t.home(p) as u64);
                t.imm(function_index as u64);
                t.push(Operand::Temp);
            }

            O::TableGet { table } => {
                let i = t.pop();
                let p = t.stack.len();
                let si = t.slot_of(i, p);
                t.emit(h::table_get);
                t.imm(table as u64);
                t.imm(t.home(p) as u64);
                t.imm(si as u64);
                t.push(Operand::Temp);
            }
            O::TableSet { table } => t.emit_with_slots(h::table_set, &[table as u64], 2),
            O::TableSize { table } => {
                let p = t.stack.len();
                t.emit(h::table_size);
                t.imm(table as u64);
                t.imm(t.home(p) as u64);
                t.push(Operand::Temp);
            }
            O::TableGrow { table } => {
                let n = t.pop();
                let v = t.pop();
                let p = t.stack.len();
                let sv = t.slot_of(v, p);
                let sn = t.slot_of(n, p + 1);
                t.emit(h::table_grow);
                t.imm(table as u64);
                t.imm(t.home(p) as u64);
                t.imm(sv as u64);
                t.imm(sn as u64);
                t.push(Operand::Temp);
            }
            O::TableFill { table } => t.emit_with_slots(h::table_fill, &[table as u64], 3),
            O::TableCopy { dst_table, src_table } => {
                t.emit_with_slots(h::table_copy, &[dst_table as u64, src_table as u64], 3)
            }
            O::TableInit { elem_index, table } => {
                t.emit_with_slots(h::table_init, &[table as u64, elem_index as u64], 3)
            }
            O::ElemDrop { elem_index } => {
                t.emit(h::elem_drop);
                t.imm(elem_index as u64);
            }

            O::I32Eqz => t.eqz(
                (h::i32_eqz, h::i32_eqz_a),
                h::br_eqz_i32,
                h::br_nez_i32,
                (h::br_eqz_i32_a, h::br_nez_i32_a),
                Some(true),
            ),
            O::I32Eq => {
                cmpop!(ctr CTR_EQ, CTR_NE, CTR_EQ, CTR_NE; t, i32_eq_ss, i32_eq_si, i32_eq_as, i32_eq_ai, br_i32_eq_ss, br_i32_eq_si, br_i32_eq_as, br_i32_eq_ai, br_i32_ne_ss, br_i32_ne_si, br_i32_ne_as, br_i32_ne_ai; select select_i32_eq_ss, select_i32_eq_si)
            }
            O::I32Ne => {
                cmpop!(ctr CTR_NE, CTR_EQ, CTR_NE, CTR_EQ; t, i32_ne_ss, i32_ne_si, i32_ne_as, i32_ne_ai, br_i32_ne_ss, br_i32_ne_si, br_i32_ne_as, br_i32_ne_ai, br_i32_eq_ss, br_i32_eq_si, br_i32_eq_as, br_i32_eq_ai; select select_i32_ne_ss, select_i32_ne_si)
            }
            O::I32LtS => {
                cmpop!(ctr CTR_LT_S, CTR_GE_S, CTR_GT_S, CTR_LE_S; t, i32_lt_s_ss, i32_lt_s_si, i32_lt_s_as, i32_lt_s_ai, br_i32_lt_s_ss, br_i32_lt_s_si, br_i32_lt_s_as, br_i32_lt_s_ai, br_i32_ge_s_ss, br_i32_ge_s_si, br_i32_ge_s_as, br_i32_ge_s_ai; select select_i32_lt_s_ss, select_i32_lt_s_si)
            }
            O::I32LtU => {
                cmpop!(ctr CTR_LT_U, CTR_GE_U, CTR_GT_U, CTR_LE_U; t, i32_lt_u_ss, i32_lt_u_si, i32_lt_u_as, i32_lt_u_ai, br_i32_lt_u_ss, br_i32_lt_u_si, br_i32_lt_u_as, br_i32_lt_u_ai, br_i32_ge_u_ss, br_i32_ge_u_si, br_i32_ge_u_as, br_i32_ge_u_ai; select select_i32_lt_u_ss, select_i32_lt_u_si)
            }
            O::I32GtS => {
                cmpop!(ctr CTR_GT_S, CTR_LE_S, CTR_LT_S, CTR_GE_S; t, i32_gt_s_ss, i32_gt_s_si, i32_gt_s_as, i32_gt_s_ai, br_i32_gt_s_ss, br_i32_gt_s_si, br_i32_gt_s_as, br_i32_gt_s_ai, br_i32_le_s_ss, br_i32_le_s_si, br_i32_le_s_as, br_i32_le_s_ai; select select_i32_gt_s_ss, select_i32_gt_s_si)
            }
            O::I32GtU => {
                cmpop!(ctr CTR_GT_U, CTR_LE_U, CTR_LT_U, CTR_GE_U; t, i32_gt_u_ss, i32_gt_u_si, i32_gt_u_as, i32_gt_u_ai, br_i32_gt_u_ss, br_i32_gt_u_si, br_i32_gt_u_as, br_i32_gt_u_ai, br_i32_le_u_ss, br_i32_le_u_si, br_i32_le_u_as, br_i32_le_u_ai; select select_i32_gt_u_ss, select_i32_gt_u_si)
            }
            O::I32LeS => {
                cmpop!(ctr CTR_LE_S, CTR_GT_S, CTR_GE_S, CTR_LT_S; t, i32_le_s_ss, i32_le_s_si, i32_le_s_as, i32_le_s_ai, br_i32_le_s_ss, br_i32_le_s_si, br_i32_le_s_as, br_i32_le_s_ai, br_i32_gt_s_ss, br_i32_gt_s_si, br_i32_gt_s_as, br_i32_gt_s_ai; select select_i32_le_s_ss, select_i32_le_s_si)
            }
            O::I32LeU => {
                cmpop!(ctr CTR_LE_U, CTR_GT_U, CTR_GE_U, CTR_LT_U; t, i32_le_u_ss, i32_le_u_si, i32_le_u_as, i32_le_u_ai, br_i32_le_u_ss, br_i32_le_u_si, br_i32_le_u_as, br_i32_le_u_ai, br_i32_gt_u_ss, br_i32_gt_u_si, br_i32_gt_u_as, br_i32_gt_u_ai; select select_i32_le_u_ss, select_i32_le_u_si)
            }
            O::I32GeS => {
                cmpop!(ctr CTR_GE_S, CTR_LT_S, CTR_LE_S, CTR_GT_S; t, i32_ge_s_ss, i32_ge_s_si, i32_ge_s_as, i32_ge_s_ai, br_i32_ge_s_ss, br_i32_ge_s_si, br_i32_ge_s_as, br_i32_ge_s_ai, br_i32_lt_s_ss, br_i32_lt_s_si, br_i32_lt_s_as, br_i32_lt_s_ai; select select_i32_ge_s_ss, select_i32_ge_s_si)
            }
            O::I32GeU => {
                cmpop!(ctr CTR_GE_U, CTR_LT_U, CTR_LE_U, CTR_GT_U; t, i32_ge_u_ss, i32_ge_u_si, i32_ge_u_as, i32_ge_u_ai, br_i32_ge_u_ss, br_i32_ge_u_si, br_i32_ge_u_as, br_i32_ge_u_ai, br_i32_lt_u_ss, br_i32_lt_u_si, br_i32_lt_u_as, br_i32_lt_u_ai; select select_i32_ge_u_ss, select_i32_ge_u_si)
            }
            O::I64Eqz => t.eqz(
                (h::i64_eqz, h::i64_eqz_a),
                h::br_eqz_i64,
                h::br_nez_i64,
                (h::br_eqz_i64_a, h::br_nez_i64_a),
                None,
            ),
            O::I64Eq => {
                cmpop!(ctr CTR64_EQ, CTR64_NE, CTR64_EQ, CTR64_NE; wide t, i64_eq_ss, i64_eq_si, i64_eq_as, i64_eq_ai, br_i64_eq_ss, br_i64_eq_si, br_i64_eq_as, br_i64_eq_ai, br_i64_ne_ss, br_i64_ne_si, br_i64_ne_as, br_i64_ne_ai)
            }
            O::I64Ne => {
                cmpop!(ctr CTR64_NE, CTR64_EQ, CTR64_NE, CTR64_EQ; wide t, i64_ne_ss, i64_ne_si, i64_ne_as, i64_ne_ai, br_i64_ne_ss, br_i64_ne_si, br_i64_ne_as, br_i64_ne_ai, br_i64_eq_ss, br_i64_eq_si, br_i64_eq_as, br_i64_eq_ai)
            }
            O::I64LtS => {
                cmpop!(ctr CTR64_LT_S, CTR64_GE_S, CTR64_GT_S, CTR64_LE_S; wide t, i64_lt_s_ss, i64_lt_s_si, i64_lt_s_as, i64_lt_s_ai, br_i64_lt_s_ss, br_i64_lt_s_si, br_i64_lt_s_as, br_i64_lt_s_ai, br_i64_ge_s_ss, br_i64_ge_s_si, br_i64_ge_s_as, br_i64_ge_s_ai)
            }
            O::I64LtU => {
                cmpop!(ctr CTR64_LT_U, CTR64_GE_U, CTR64_GT_U, CTR64_LE_U; wide t, i64_lt_u_ss, i64_lt_u_si, i64_lt_u_as, i64_lt_u_ai, br_i64_lt_u_ss, br_i64_lt_u_si, br_i64_lt_u_as, br_i64_lt_u_ai, br_i64_ge_u_ss, br_i64_ge_u_si, br_i64_ge_u_as, br_i64_ge_u_ai)
            }
            O::I64GtS => {
                cmpop!(ctr CTR64_GT_S, CTR64_LE_S, CTR64_LT_S, CTR64_GE_S; wide t, i64_gt_s_ss, i64_gt_s_si, i64_gt_s_as, i64_gt_s_ai, br_i64_gt_s_ss, br_i64_gt_s_si, br_i64_gt_s_as, br_i64_gt_s_ai, br_i64_le_s_ss, br_i64_le_s_si, br_i64_le_s_as, br_i64_le_s_ai)
            }
            O::I64GtU => {
                cmpop!(ctr CTR64_GT_U, CTR64_LE_U, CTR64_LT_U, CTR64_GE_U; wide t, i64_gt_u_ss, i64_gt_u_si, i64_gt_u_as, i64_gt_u_ai, br_i64_gt_u_ss, br_i64_gt_u_si, br_i64_gt_u_as, br_i64_gt_u_ai, br_i64_le_u_ss, br_i64_le_u_si, br_i64_le_u_as, br_i64_le_u_ai)
            }
            O::I64LeS => {
                cmpop!(ctr CTR64_LE_S, CTR64_GT_S, CTR64_GE_S, CTR64_LT_S; wide t, i64_le_s_ss, i64_le_s_si, i64_le_s_as, i64_le_s_ai, br_i64_le_s_ss, br_i64_le_s_si, br_i64_le_s_as, br_i64_le_s_ai, br_i64_gt_s_ss, br_i64_gt_s_si, br_i64_gt_s_as, br_i64_gt_s_ai)
            }
            O::I64LeU => {
                cmpop!(ctr CTR64_LE_U, CTR64_GT_U, CTR64_GE_U, CTR64_LT_U; wide t, i64_le_u_ss, i64_le_u_si, i64_le_u_as, i64_le_u_ai, br_i64_le_u_ss, br_i64_le_u_si, br_i64_le_u_as, br_i64_le_u_ai, br_i64_gt_u_ss, br_i64_gt_u_si, br_i64_gt_u_as, br_i64_gt_u_ai)
            }
            O::I64GeS => {
                cmpop!(ctr CTR64_GE_S, CTR64_LT_S, CTR64_LE_S, CTR64_GT_S; wide t, i64_ge_s_ss, i64_ge_s_si, i64_ge_s_as, i64_ge_s_ai, br_i64_ge_s_ss, br_i64_ge_s_si, br_i64_ge_s_as, br_i64_ge_s_ai, br_i64_lt_s_ss, br_i64_lt_s_si, br_i64_lt_s_as, br_i64_lt_s_ai)
            }
            O::I64GeU => {
                cmpop!(ctr CTR64_GE_U, CTR64_LT_U, CTR64_LE_U, CTR64_GT_U; wide t, i64_ge_u_ss, i64_ge_u_si, i64_ge_u_as, i64_ge_u_ai, br_i64_ge_u_ss, br_i64_ge_u_si, br_i64_ge_u_as, br_i64_ge_u_ai, br_i64_lt_u_ss, br_i64_lt_u_si, br_i64_lt_u_as, br_i64_lt_u_ai)
            }
            O::F32Eq => cmpop!(
                t,
                f32_eq_ss,
                f32_eq_si,
                f32_eq_as,
                f32_eq_ai,
                br_f32_eq_ss,
                br_f32_eq_si,
                br_f32_eq_as,
                br_f32_eq_ai,
                br_f32_ne_ss,
                br_f32_ne_si,
                br_f32_ne_as,
                br_f32_ne_ai
            ),
            O::F32Ne => cmpop!(
                t,
                f32_ne_ss,
                f32_ne_si,
                f32_ne_as,
                f32_ne_ai,
                br_f32_ne_ss,
                br_f32_ne_si,
                br_f32_ne_as,
                br_f32_ne_ai,
                br_f32_eq_ss,
                br_f32_eq_si,
                br_f32_eq_as,
                br_f32_eq_ai
            ),
            O::F32Lt => {
                cmpop!(
                    t,
                    f32_lt_ss,
                    f32_lt_si,
                    f32_lt_as,
                    f32_lt_ai,
                    br_f32_lt_ss,
                    br_f32_lt_si,
                    br_f32_lt_as,
                    br_f32_lt_ai,
                    br_f32_not_lt_ss,
                    br_f32_not_lt_si,
                    br_f32_not_lt_as,
                    br_f32_not_lt_ai
                )
            }
            O::F32Gt => {
                cmpop!(
                    t,
                    f32_gt_ss,
                    f32_gt_si,
                    f32_gt_as,
                    f32_gt_ai,
                    br_f32_gt_ss,
                    br_f32_gt_si,
                    br_f32_gt_as,
                    br_f32_gt_ai,
                    br_f32_not_gt_ss,
                    br_f32_not_gt_si,
                    br_f32_not_gt_as,
                    br_f32_not_gt_ai
                )
            }
            O::F32Le => {
                cmpop!(
                    t,
                    f32_le_ss,
                    f32_le_si,
                    f32_le_as,
                    f32_le_ai,
                    br_f32_le_ss,
                    br_f32_le_si,
                    br_f32_le_as,
                    br_f32_le_ai,
                    br_f32_not_le_ss,
                    br_f32_not_le_si,
                    br_f32_not_le_as,
                    br_f32_not_le_ai
                )
            }
            O::F32Ge => {
                cmpop!(
                    t,
                    f32_ge_ss,
                    f32_ge_si,
                    f32_ge_as,
                    f32_ge_ai,
                    br_f32_ge_ss,
                    br_f32_ge_si,
                    br_f32_ge_as,
                    br_f32_ge_ai,
                    br_f32_not_ge_ss,
                    br_f32_not_ge_si,
                    br_f32_not_ge_as,
                    br_f32_not_ge_ai
                )
            }
            O::F64Eq => cmpop!(
                t,
                f64_eq_ss,
                f64_eq_si,
                f64_eq_as,
                f64_eq_ai,
                br_f64_eq_ss,
                br_f64_eq_si,
                br_f64_eq_as,
                br_f64_eq_ai,
                br_f64_ne_ss,
                br_f64_ne_si,
                br_f64_ne_as,
                br_f64_ne_ai
            ),
            O::F64Ne => cmpop!(
                t,
                f64_ne_ss,
                f64_ne_si,
                f64_ne_as,
                f64_ne_ai,
                br_f64_ne_ss,
                br_f64_ne_si,
                br_f64_ne_as,
                br_f64_ne_ai,
                br_f64_eq_ss,
                br_f64_eq_si,
                br_f64_eq_as,
                br_f64_eq_ai
            ),
            O::F64Lt => {
                cmpop!(
                    t,
                    f64_lt_ss,
                    f64_lt_si,
                    f64_lt_as,
                    f64_lt_ai,
                    br_f64_lt_ss,
                    br_f64_lt_si,
                    br_f64_lt_as,
                    br_f64_lt_ai,
                    br_f64_not_lt_ss,
                    br_f64_not_lt_si,
                    br_f64_not_lt_as,
                    br_f64_not_lt_ai
                )
            }
            O::F64Gt => {
                cmpop!(
                    t,
                    f64_gt_ss,
                    f64_gt_si,
                    f64_gt_as,
                    f64_gt_ai,
                    br_f64_gt_ss,
                    br_f64_gt_si,
                    br_f64_gt_as,
                    br_f64_gt_ai,
                    br_f64_not_gt_ss,
                    br_f64_not_gt_si,
                    br_f64_not_gt_as,
                    br_f64_not_gt_ai
                )
            }
            O::F64Le => {
                cmpop!(
                    t,
                    f64_le_ss,
                    f64_le_si,
                    f64_le_as,
                    f64_le_ai,
                    br_f64_le_ss,
                    br_f64_le_si,
                    br_f64_le_as,
                    br_f64_le_ai,
                    br_f64_not_le_ss,
                    br_f64_not_le_si,
                    br_f64_not_le_as,
                    br_f64_not_le_ai
                )
            }
            O::F64Ge => {
                cmpop!(
                    t,
                    f64_ge_ss,
                    f64_ge_si,
                    f64_ge_as,
                    f64_ge_ai,
                    br_f64_ge_ss,
                    br_f64_ge_si,
                    br_f64_ge_as,
                    br_f64_ge_ai,
                    br_f64_not_ge_ss,
                    br_f64_not_ge_si,
                    br_f64_not_ge_as,
                    br_f64_not_ge_ai
                )
            }

            O::I32Clz => unop!(t, i32_clz, i32_clz_a),
            O::I32Ctz => unop!(t, i32_ctz, i32_ctz_a),
            O::I32Popcnt => unop!(t, i32_popcnt, i32_popcnt_a),
            O::I32Add
                if t.add_scaled()
                    || t.mul_then(h::i32_mul_add, h::i32_mul_add, false, &h::LOAD2_MUL_ADD)
                    || t.load_then(
                        &[
                            (h::i32_load, h::i32_add_load),
                            (h::i32_load8_u, h::i32_add_load8_u),
                            (h::i32_load16_u, h::i32_add_load16_u),
                        ],
                        Some((h::i32_add_rmw_s, h::i32_add_rmw_i, 4)),
                        false,
                    )
                    || t.add_compared()
                    || t.masked_then_add() => {}
            O::I32Add => t.i32_add(),
            // `x - k` is `x + (-k)`, wrapping either way: one form for every
            // fusion of an add of a constant (pairs, counters, addresses).
            O::I32Sub if t.const_right().is_some() => {
                if let Some(Operand::Const(k)) = t.stack.last_mut() {
                    *k = (*k as u32).wrapping_neg() as u64;
                }
                t.i32_add();
            }
            O::I32Sub if t.three_way() => {}
            O::I32Sub => {
                binop_rev!(t, i32_sub_ss, i32_sub_si, i32_sub_as, i32_sub_ai, i32_sub_is, i32_sub_ia; rmw i32_sub_rmw_s, i32_sub_rmw_i, 4);
            }
            O::I32Mul if t.load2_mul() => {}
            O::I32Mul => {
                let loads = t.loads_on_top();
                let (start, dst_cell, a, b, imm, a_acc) =
                    t.binop_emit(bin!(i32_mul_ss, i32_mul_si, i32_mul_as, i32_mul_ai), true);
                t.push_result(start, dst_cell, None);
                match (imm, &mut t.last) {
                    (Some(k), Some(last)) if (k as u32).is_power_of_two() => {
                        last.scale = Some((a, (k as u32).trailing_zeros(), a_acc));
                    }
                    (None, Some(last)) => {
                        last.mul = Some((a, b));
                        last.mul_acc = a_acc;
                        last.loads = loads;
                    }
                    _ => {}
                }
            }
            O::I32DivS => binop!(t, i32_div_s_ss, i32_div_s_si, i32_div_s_as, i32_div_s_ai, false),
            O::I32DivU => binop!(t, i32_div_u_ss, i32_div_u_si, i32_div_u_as, i32_div_u_ai, false),
            O::I32RemS => binop!(t, i32_rem_s_ss, i32_rem_s_si, i32_rem_s_as, i32_rem_s_ai, false),
            O::I32RemU => binop!(t, i32_rem_u_ss, i32_rem_u_si, i32_rem_u_as, i32_rem_u_ai, false),
            O::I32And
                if t.shr_and() || t.add_and() || t.binop_and() || t.bit_and() || t.bit_of_shr() || t.and_rotated() => {}
            O::I32And => t.binop_tested(
                bin!(i32_and_ss, i32_and_si, i32_and_as, i32_and_ai),
                (h::br_i32_and_ss, h::br_i32_and_si, h::br_i32_and_as, h::br_i32_and_ai),
                (h::br_i32_nand_ss, h::br_i32_nand_si, h::br_i32_nand_as, h::br_i32_nand_ai),
                (h::select_i32_and_ss, h::select_i32_and_si),
            ),
            O::I32Or => binop!(t, i32_or_ss, i32_or_si, i32_or_as, i32_or_ai, true),
            O::I32Xor if t.xor_shifted() => {}
            // `a ^ b` is non-zero exactly when `a != b`: a branch or select
            // on it is the `ne` compare's (`eq` when negated).
            O::I32Xor => t.binop_tested(
                bin!(i32_xor_ss, i32_xor_si, i32_xor_as, i32_xor_ai),
                (h::br_i32_ne_ss, h::br_i32_ne_si, h::br_i32_ne_as, h::br_i32_ne_ai),
                (h::br_i32_eq_ss, h::br_i32_eq_si, h::br_i32_eq_as, h::br_i32_eq_ai),
                (h::select_i32_ne_ss, h::select_i32_ne_si),
            ),
            O::I32Shl if t.const_left() => {
                let one = matches!(t.stack[t.stack.len() - 2], Operand::Const(1));
                binop_rev!(t, i32_shl_ss, i32_shl_si, i32_shl_as, i32_shl_ai, i32_shl_is, i32_shl_ia);
                if let (true, Some(last)) = (one, t.last) {
                    let bit = (t.field(last.dst_cell, 1), t.is(last.start, h::i32_shl_ia));
                    t.last = Some(Last { bit: Some(bit), ..last });
                }
            }
            O::I32Shl => {
                let (start, dst_cell, a, _, imm, a_acc) =
                    t.binop_emit(bin!(i32_shl_ss, i32_shl_si, i32_shl_as, i32_shl_ai), false);
                t.push_result(start, dst_cell, None);
                if let (Some(k), Some(last)) = (imm, &mut t.last) {
                    last.scale = Some((a, k as u32 & 31, a_acc));
                }
            }
            O::I32ShrS => binop!(t, i32_shr_s_ss, i32_shr_s_si, i32_shr_s_as, i32_shr_s_ai, false),
            O::I32ShrU => {
                let (start, dst_cell, a, b, imm, a_acc) =
                    t.binop_emit(bin!(i32_shr_u_ss, i32_shr_u_si, i32_shr_u_as, i32_shr_u_ai), false);
                t.push_result(start, dst_cell, None);
                match (imm, &mut t.last) {
                    (Some(k), Some(last)) => last.shr = Some((a, k, a_acc)),
                    (None, Some(last)) => last.shr_var = Some((a, b)),
                    _ => {}
                }
            }
            O::I32Rotl if t.const_left() => {
                let c = match t.stack[t.stack.len() - 2] {
                    Operand::Const(c) => c as u32,
                    _ => 0,
                };
                // An `_sxk` load just before, with nothing between.
                let sxk = t.last.map(|l| l.start).filter(|&s| t.is(s, h::i32_load_sxk));
                binop_rev!(t, i32_rotl_ss, i32_rotl_si, i32_rotl_as, i32_rotl_ai, i32_rotl_is, i32_rotl_ia);
                if let Some(last) = t.last {
                    let rot = (t.field(last.dst_cell, 1), c, t.is(last.start, h::i32_rotl_ia));
                    let after_sxk = sxk.filter(|&s| s + 5 == last.start);
                    t.last = Some(Last { rot: Some(rot), after_sxk, ..last });
                }
            }
            O::I32Rotl => binop_rev!(t, i32_rotl_ss, i32_rotl_si, i32_rotl_as, i32_rotl_ai, i32_rotl_is, i32_rotl_ia),
            O::I32Rotr => binop_rev!(t, i32_rotr_ss, i32_rotr_si, i32_rotr_as, i32_rotr_ai, i32_rotr_is, i32_rotr_ia),
            O::I64Clz => unop!(t, i64_clz, i64_clz_a),
            O::I64Ctz => unop!(t, i64_ctz, i64_ctz_a),
            O::I64Popcnt => unop!(t, i64_popcnt, i64_popcnt_a),
            O::I64Add
                if t.load_then(
                    &[
                        (h::i64_load, h::i64_add_load),
                        (h::i64_load8_u, h::i64_add_load8_u),
                        (h::i64_load32_u, h::i64_add_load32_u),
                    ],
                    Some((h::i64_add_rmw_s, h::i64_add_rmw_i, 8)),
                    false,
                ) => {}
            O::I64Add if t.add_shifted64() => {}
            O::I64Add => {
                let prev_add = t.prev_add;
                let (start, dst_cell, a, b, imm, _) = t.binop_emit(
                    bin!(i64_add_ss, i64_add_si, i64_add_as, i64_add_ai; rmw i64_add_rmw_s, i64_add_rmw_i, 8),
                    true,
                );
                t.push_result(start, dst_cell, None);
                if let Some(last) = &mut t.last {
                    last.add64 = Some((a, b, imm));
                }
                t.note_add(prev_add, start);
            }
            O::I64Sub => {
                let (k, prev_add, start) = (t.const_right(), t.prev_add, t.pos());
                binop_rev!(t, i64_sub_ss, i64_sub_si, i64_sub_as, i64_sub_ai, i64_sub_is, i64_sub_ia; rmw i64_sub_rmw_s, i64_sub_rmw_i, 8);
                t.sub64_as_add(k);
                if t.last.is_some_and(|l| l.start == start) {
                    t.note_add(prev_add, start);
                }
            }
            O::I64Mul => binop!(t, i64_mul_ss, i64_mul_si, i64_mul_as, i64_mul_ai, true),
            O::I64DivS => binop!(t, i64_div_s_ss, i64_div_s_si, i64_div_s_as, i64_div_s_ai, false),
            O::I64DivU => binop!(t, i64_div_u_ss, i64_div_u_si, i64_div_u_as, i64_div_u_ai, false),
            O::I64RemS => binop!(t, i64_rem_s_ss, i64_rem_s_si, i64_rem_s_as, i64_rem_s_ai, false),
            O::I64RemU => binop!(t, i64_rem_u_ss, i64_rem_u_si, i64_rem_u_as, i64_rem_u_ai, false),
            O::I64And if t.and_not() => {}
            O::I64And => binop!(t, i64_and_ss, i64_and_si, i64_and_as, i64_and_ai, true),
            O::I64Or => binop!(t, i64_or_ss, i64_or_si, i64_or_as, i64_or_ai, true),
            O::I64Xor if t.xor_folded() => {}
            O::I64Xor => binop!(t, i64_xor_ss, i64_xor_si, i64_xor_as, i64_xor_ai, true),
            O::I64Shl => binop_rev!(t, i64_shl_ss, i64_shl_si, i64_shl_as, i64_shl_ai, i64_shl_is, i64_shl_ia),
            O::I64ShrS => binop!(t, i64_shr_s_ss, i64_shr_s_si, i64_shr_s_as, i64_shr_s_ai, false),
            O::I64ShrU => {
                let (start, dst_cell, a, _, imm, a_acc) =
                    t.binop_emit(bin!(i64_shr_u_ss, i64_shr_u_si, i64_shr_u_as, i64_shr_u_ai), false);
                t.push_result(start, dst_cell, None);
                if let (Some(k), Some(last)) = (imm, &mut t.last) {
                    last.shr64 = Some((a, k, a_acc));
                }
            }
            O::I64Rotl if t.rotl_xored() => {}
            O::I64Rotl => binop!(t, i64_rotl_ss, i64_rotl_si, i64_rotl_as, i64_rotl_ai, false),
            O::I64Rotr => binop!(t, i64_rotr_ss, i64_rotr_si, i64_rotr_as, i64_rotr_ai, false),

            O::F32Abs => unop!(t, f32_abs, f32_abs_a),
            O::F32Neg => unop!(t, f32_neg, f32_neg_a),
            O::F32Ceil => unop!(t, f32_ceil, f32_ceil_a),
            O::F32Floor => unop!(t, f32_floor, f32_floor_a),
            O::F32Trunc => unop!(t, f32_trunc, f32_trunc_a),
            O::F32Nearest => unop!(t, f32_nearest, f32_nearest_a),
            O::F32Sqrt => unop!(t, f32_sqrt, f32_sqrt_a),
            O::F32Add => {
                if !t.mul_then(h::f32_mul_add, h::f32_mul_add, false, &[(h::i32_load, h::f32_load2_mul_add)]) {
                    binop!(t, f32_add_ss, f32_add_si, f32_add_as, f32_add_ai, true)
                }
            }
            O::F32Sub => {
                if !t.mul_then(h::f32_mul_sub, h::f32_mul_rsub, false, &[]) {
                    binop_rev!(t, f32_sub_ss, f32_sub_si, f32_sub_as, f32_sub_ai, f32_sub_is, f32_sub_ia)
                }
            }
            O::F32Mul => float_mul!(t, f32_mul_ss, f32_mul_si, f32_mul_as, f32_mul_ai),
            O::F32Div => binop_rev!(t, f32_div_ss, f32_div_si, f32_div_as, f32_div_ai, f32_div_is, f32_div_ia),
            O::F32Min => binop!(t, f32_min_ss, f32_min_si, f32_min_as, f32_min_ai, true),
            O::F32Max => binop!(t, f32_max_ss, f32_max_si, f32_max_as, f32_max_ai, true),
            O::F32Copysign => binop!(t, f32_copysign_ss, f32_copysign_si, f32_copysign_as, f32_copysign_ai, false),
            O::F64Abs => unop!(t, f64_abs, f64_abs_a),
            O::F64Neg => unop!(t, f64_neg, f64_neg_a),
            O::F64Ceil => unop!(t, f64_ceil, f64_ceil_a),
            O::F64Floor => unop!(t, f64_floor, f64_floor_a),
            O::F64Trunc => unop!(t, f64_trunc, f64_trunc_a),
            O::F64Nearest => unop!(t, f64_nearest, f64_nearest_a),
            O::F64Sqrt => unop!(t, f64_sqrt, f64_sqrt_a),
            O::F64Add => {
                if !t.mul_then(h::f64_mul_add, h::f64_mul_add, true, &[(h::f64_load, h::f64_load2_mul_add)])
                    && !t.sum_then()
                    && !t.kept_product_then_add()
                    && !t.load_then(
                        &[(h::f64_load, h::f64_add_load)],
                        Some((h::f64_add_rmw_s, h::f64_add_rmw_i, 8)),
                        true,
                    )
                {
                    let (start, dst_cell, a, b, imm, _) = t.binop_emit(
                        bin!(f64_add_ss, f64_add_si, f64_add_as, f64_add_ai; rmw f64_add_rmw_s, f64_add_rmw_i, 8),
                        true,
                    );
                    t.push_result(start, dst_cell, None);
                    if let (None, Some(last)) = (imm, &mut t.last) {
                        last.fsum = Some((a, b, false));
                    }
                }
            }
            O::F64Sub => {
                if !t.mul_then(h::f64_mul_sub, h::f64_mul_rsub, true, &[]) && !t.load_then_sub() {
                    let n = t.stack.len();
                    let slots = !matches!(t.stack[n - 2..], [Operand::Const(_), _] | [_, Operand::Const(_)]);
                    binop_rev!(t, f64_sub_ss, f64_sub_si, f64_sub_as, f64_sub_ai, f64_sub_is, f64_sub_ia; rmw f64_sub_rmw_s, f64_sub_rmw_i, 8);
                    if let (true, Some(last)) = (slots, t.last) {
                        // The `_ss`/`_as` form's cell: (dst, a, b).
                        let [_, a, b] = t.fields_at(last.dst_cell);
                        if let Some(l) = &mut t.last {
                            l.fsum = Some((a, b, true));
                        }
                    }
                }
            }
            O::F64Mul => {
                float_mul!(t, f64_mul_ss, f64_mul_si, f64_mul_as, f64_mul_ai; rmw f64_mul_rmw_s, f64_mul_rmw_i, 8)
            }
            O::F64Div if t.div_converted() => {}
            O::F64Div => binop_rev!(t, f64_div_ss, f64_div_si, f64_div_as, f64_div_ai, f64_div_is, f64_div_ia),
            O::F64Min => binop!(t, f64_min_ss, f64_min_si, f64_min_as, f64_min_ai, true),
            O::F64Max => binop!(t, f64_max_ss, f64_max_si, f64_max_as, f64_max_ai, true),
            O::F64Copysign => binop!(t, f64_copysign_ss, f64_copysign_si, f64_copysign_as, f64_copysign_ai, false),

            O::I32WrapI64
            | O::I32ReinterpretF32
            | O::I64ReinterpretF64
            | O::F32ReinterpretI32
            | O::F64ReinterpretI64 => {
                // Same bits in the slot: a no-op on the operand.
            }
            O::I32TruncF32S => unop!(t, i32_trunc_f32_s, i32_trunc_f32_s_a),
            O::I32TruncF32U => unop!(t, i32_trunc_f32_u, i32_trunc_f32_u_a),
            O::I32TruncF64S => unop!(t, i32_trunc_f64_s, i32_trunc_f64_s_a),
            O::I32TruncF64U => unop!(t, i32_trunc_f64_u, i32_trunc_f64_u_a),
            O::I64ExtendI32S => unop!(t, i64_extend_i32_s, i64_extend_i32_s_a),
            O::I64ExtendI32U => unop!(t, i64_extend_i32_u, i64_extend_i32_u_a),
            O::I64TruncF32S => unop!(t, i64_trunc_f32_s, i64_trunc_f32_s_a),
            O::I64TruncF32U => unop!(t, i64_trunc_f32_u, i64_trunc_f32_u_a),
            O::I64TruncF64S => unop!(t, i64_trunc_f64_s, i64_trunc_f64_s_a),
            O::I64TruncF64U => unop!(t, i64_trunc_f64_u, i64_trunc_f64_u_a),
            O::F32ConvertI32S => unop!(t, f32_convert_i32_s, f32_convert_i32_s_a),
            O::F32ConvertI32U => unop!(t, f32_convert_i32_u, f32_convert_i32_u_a),
            O::F32ConvertI64S => unop!(t, f32_convert_i64_s, f32_convert_i64_s_a),
            O::F32ConvertI64U => unop!(t, f32_convert_i64_u, f32_convert_i64_u_a),
            O::F32DemoteF64 => unop!(t, f32_demote_f64, f32_demote_f64_a),
            O::F64ConvertI32S => unop!(t, f64_convert_i32_s, f64_convert_i32_s_a),
            O::F64ConvertI32U => unop!(t, f64_convert_i32_u, f64_convert_i32_u_a),
            O::F64ConvertI64S => unop!(t, f64_convert_i64_s, f64_convert_i64_s_a),
            O::F64ConvertI64U => unop!(t, f64_convert_i64_u, f64_convert_i64_u_a),
            O::F64PromoteF32 => unop!(t, f64_promote_f32, f64_promote_f32_a),
            O::I32Extend8S => unop!(t, i32_extend8_s, i32_extend8_s_a),
            O::I32Extend16S => unop!(t, i32_extend16_s, i32_extend16_s_a),
            O::I64Extend8S => unop!(t, i64_extend8_s, i64_extend8_s_a),
            O::I64Extend16S => unop!(t, i64_extend16_s, i64_extend16_s_a),
            O::I64Extend32S => unop!(t, i64_extend32_s, i64_extend32_s_a),
            O::I32TruncSatF32S => unop!(t, i32_trunc_sat_f32_s, i32_trunc_sat_f32_s_a),
            O::I32TruncSatF32U => unop!(t, i32_trunc_sat_f32_u, i32_trunc_sat_f32_u_a),
            O::I32TruncSatF64S => unop!(t, i32_trunc_sat_f64_s, i32_trunc_sat_f64_s_a),
            O::I32TruncSatF64U => unop!(t, i32_trunc_sat_f64_u, i32_trunc_sat_f64_u_a),
            O::I64TruncSatF32S => unop!(t, i64_trunc_sat_f32_s, i64_trunc_sat_f32_s_a),
            O::I64TruncSatF32U => unop!(t, i64_trunc_sat_f32_u, i64_trunc_sat_f32_u_a),
            O::I64TruncSatF64S => unop!(t, i64_trunc_sat_f64_s, i64_trunc_sat_f64_s_a),
            O::I64TruncSatF64U => unop!(t, i64_trunc_sat_f64_u, i64_trunc_sat_f64_u_a),
            other => return Err(Error::Unsupported(format!("operator {other:?}"))),
        }
        Ok(())
    }

    /// `select(x <= k, 0, bit x of m)` with `m < 2^(k+1)`, `k < 32` (a
    /// character class as `matches!(c, ...)` compiles it, with `x = c - base`):
    /// that is `x < 32 && bit x of m`, one `i32_inset_*` for the compare
    /// emitted just before the bit test and the bit test itself, and a
    /// branch on it one `br_i32_inset_*`. The stack holds the select's three
    /// operands.
    fn bit_set_select(&mut self) -> bool {
        let n = self.stack.len();
        let (Operand::Temp, Operand::Const(0), Operand::Temp) =
            (self.stack[n - 3], self.stack[n - 2], self.stack[n - 1])
        else {
            return false;
        };
        let Some(last) = self.last.filter(|l| l.dst == self.home(n - 1)) else { return false };
        let Some(Cond::Cmp { sel: Some((_, sel_si)), a: x, imm: Some(m), a_acc: false, .. }) = last.cond else {
            return false;
        };
        let Some(le) = self.recent[0].filter(|&le| le + 3 == last.start) else { return false };
        let le_acc = self.is(le, h::i32_le_u_ai);
        let [le_dst, le_x, _] = self.fields_at(le + 1);
        let k = self.raw(le + 2).unwrap_or(u64::MAX);
        let fits = std::ptr::fn_addr_eq(sel_si, h::select_i32_bit_si as Handler)
            && (le_acc || self.is(le, h::i32_le_u_si))
            && (le_dst, le_x) == (self.home(n - 3), x)
            && k < 32
            && m >> (k + 1) == 0;
        if !fits || nofuse("bit_set") {
            return false;
        }
        self.stack.truncate(n - 3);
        self.truncate_code(le);
        self.last = None;
        if le_acc {
            // The compare read `x` from the accumulator, which holds it again.
            self.acc = Some(Acc { slot: x, float: false });
        }
        let start = self.pos();
        self.emit(if le_acc { h::i32_inset_ai } else { h::i32_inset_si });
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(n - 3), x]));
        self.imm(m);
        self.push_value(start, dst_cell, false);
        if let Some(l) = &mut self.last {
            l.cond = Some(Cond::Cmp {
                when_true: (h::br_i32_inset_ss, h::br_i32_inset_si, h::br_i32_inset_as, h::br_i32_inset_ai),
                when_false: (h::br_i32_ninset_ss, h::br_i32_ninset_si, h::br_i32_ninset_as, h::br_i32_ninset_ai),
                sel: None,
                a: x,
                b: 0,
                imm: Some(m),
                a_acc: le_acc,
                ctr: None,
                update: None,
            });
        }
        true
    }

    fn select(&mut self) {
        if self.bit_set_select() {
            return;
        }
        let c = self.pop();
        let b = self.pop();
        let a = self.pop();
        let p = self.stack.len();
        // A condition computed just before (a compare, `i32.and`, `i32.eqz`)
        // folds into the select.
        let mut fused = None;
        if let (Operand::Temp, Some(last)) = (c, self.last) {
            if last.dst == self.home(p + 2) {
                fused = match last.cond {
                    Some(Cond::Cmp { sel: Some(sel), a: x, b: y, imm, a_acc, .. }) => {
                        Some((Some(sel), x, y, imm, a_acc))
                    }
                    Some(Cond::Test { a: x, sel_swap: Some(swap), .. }) => Some((None, x, 0, None, swap)),
                    _ => None,
                };
                if fused.is_some() {
                    self.truncate_code(last.start);
                    self.last = None;
                }
            }
        }
        let compare_start = self.pos();
        let sa = self.slot_of(a, p);
        let sb = self.slot_of(b, p + 1);
        let sc = if fused.is_none() { self.slot_of(c, p + 2) } else { 0 };
        let start = self.pos();
        let dst = self.home(p) as u64;
        match fused {
            Some((Some((ss, si)), x, y, imm, x_acc)) => {
                // The compare read `x` from the accumulator and no copy has
                // run since: the select may read it there too.
                let x_acc = x_acc && start == compare_start && !nofuse("select_x_acc");
                match imm {
                    Some(k) => {
                        let handler = acc_form(h::SELECT_ACC, si, x_acc);
                        if std::ptr::fn_addr_eq(handler, h::select_i32_and_ai as Handler) {
                            self.and_selects.push(start);
                        }
                        self.emit(handler);
                        self.imm(pack(&[dst as u32, x]));
                        self.imm(k);
                        self.imm(pack(&[sa, sb]));
                    }
                    None => {
                        self.emit(acc_form(h::SELECT_ACC, ss, x_acc));
                        self.imm(pack(&[dst as u32, x, y]));
                        self.imm(pack(&[sa, sb]));
                    }
                }
            }
            Some((None, x, _, _, swap)) => {
                let (sa2, sb2) = if swap { (sb, sa) } else { (sa, sb) };
                self.emit(h::select);
                self.imm(pack(&[dst as u32, x, sa2]));
                self.imm(pack(&[sb2]));
            }
            None => {
                self.emit(h::select);
                self.imm(pack(&[dst as u32, sc, sa]));
                self.imm(pack(&[sb]));
            }
        }
        // Every select handler leaves its value in the accumulator (as bits:
        // a float result is not in `facc`).
        if nofuse("select_acc") {
            self.push_result(start, start + 1, None);
            self.acc = None;
        } else {
            self.push_value(start, start + 1, false);
        }
    }

    /// A float `mul` whose product another instruction may absorb.
    fn float_mul(&mut self, ops: Bin) {
        let loads = self.loads_on_top();
        let (start, dst_cell, a, b, imm, a_acc) = self.binop_emit(ops, true);
        self.push_result(start, dst_cell, None);
        if let (None, Some(last)) = (imm, &mut self.last) {
            last.mul = Some((a, b));
            last.mul_acc = a_acc;
            last.loads = loads;
        }
    }

    /// The two loads just emitted, if they produced both operands of the
    /// binary operation being translated (`PairLoad`).
    fn loads_on_top(&self) -> Option<(PairLoad, PairLoad)> {
        let n = self.stack.len();
        self.last.and_then(|l| l.loads).filter(|&(_, s)| {
            self.stack[n - 1] == Operand::Temp && s.dst == self.home(n - 1) && s.end_pos == self.pos()
        })
    }

    /// `i32.mul` of the values of two adjacent loads of one kind (`PairLoad`,
    /// `loads_on_top`): one `i32_*2_mul`, `[h, (dst, a1, a2), cell1,
    /// cell2]`, the loads' values going to no slot. An `add` of the product
    /// next makes it the `_mul_add` form (`mul_then`).
    fn load2_mul(&mut self) -> bool {
        let Some((f, s)) = self.loads_on_top() else { return false };
        let Some(handler) = pair_of(&h::LOAD2_MUL, f.kind) else { return false };
        if nofuse("load2_mul") {
            return false;
        }
        let n = self.stack.len();
        self.truncate(n - 2);
        let p = self.stack.len();
        // The two loads go; one handler replaces them.
        self.truncate_code(f.start);
        self.uncount_handler();
        let start = self.pos();
        self.emit(handler);
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), f.a, s.a]));
        self.imm(f.cell);
        self.imm(s.cell);
        self.push_value(start, dst_cell, false);
        if let Some(last) = self.last.as_mut() {
            last.load2_mul = Some((f, s));
        }
        true
    }

    /// `add`/`sub` of the product just computed by a `mul` and a slot:
    /// emits `[h, (dst, a, b), (c)]` with `product_first` when the product is
    /// the left operand, `product_second` when it is the right one.
    /// `loads`: `(load kind, load2_mul_add handler)` pairs for a sum, one
    /// taken when both factors were just loaded by loads of its kind
    /// (`PairLoad`): `[h, (dst, a1, a2), (c), cell1, cell2]`, and the loads'
    /// code goes too.
    fn mul_then(
        &mut self,
        product_first: Handler,
        product_second: Handler,
        float: bool,
        loads: &[(Handler, Handler)],
    ) -> bool {
        let Some(last) = self.last else { return false };
        // Two loads and their product in one handler already: the same with
        // the sum (`loads`: `LOAD2_MUL_ADD` under `i32.add`).
        if let Some((f, s)) = last.load2_mul {
            let Some(handler) = pair_of(loads, f.kind) else { return false };
            let Some((p, c, _)) = self.take_last_operand() else { return false };
            self.truncate_code(f.start);
            self.emit_folded(handler, p, (f.a, s.a, c), float, &[f.cell, s.cell]);
            return true;
        }
        let Some((a, b)) = last.mul else { return false };
        let fused = last.loads.and_then(|(f, s)| Some((pair_of(loads, f.kind)?, f, s)));
        if let Some((handler, f, s)) = fused {
            if s.end_pos == last.start {
                if let Some((p, c, _)) = self.take_last_operand() {
                    // The mul is gone; now the two loads (one handler each).
                    self.truncate_code(f.start);
                    self.uncount_handler();
                    self.emit_folded(handler, p, (f.a, s.a, c), float, &[f.cell, s.cell]);
                    return true;
                }
                return false;
            }
        }
        // The mul read `a` from the accumulator, which holds it here again.
        let acc = last.mul_acc && !nofuse("mul_then_acc");
        let (first, second) =
            (acc_form(h::MUL_THEN_ACC, product_first, acc), acc_form(h::MUL_THEN_ACC, product_second, acc));
        self.fold_into_next(a, b, first, second, float)
    }

    /// `f64.add` of the sum or difference just computed by an `f64.add` or
    /// `f64.sub` of two slots and a slot: `[f64_add_add | f64_sub_add, (dst,
    /// a, b), (c)]`, `(a ± b) + c`, rounding twice as the two instructions do.
    fn sum_then(&mut self) -> bool {
        let Some((a, b, sub)) = self.last.and_then(|l| l.fsum) else { return false };
        let h = if sub { h::f64_sub_add } else { h::f64_add_add };
        self.fold_into_next(a, b, h, h, true)
    }

    /// The last instruction (operands `a`, `b`) produced one operand of the
    /// binary operation being translated: both run as `[h, (dst, a, b), (c)]`,
    /// `product_first` when the last result is the left operand,
    /// `product_second` when it is the right one. The handlers leave their
    /// result in the accumulator (`facc` when `float`: an `f64`).
    fn fold_into_next(&mut self, a: u32, b: u32, product_first: Handler, product_second: Handler, float: bool) -> bool {
        let Some((p, c, right)) = self.take_last_operand() else { return false };
        let handler = if right { product_second } else { product_first };
        self.emit_folded(handler, p, (a, b, c), float, &[]);
        true
    }

    /// `[h, (dst, a, b), (c), extra..]` with `dst` the home of stack position
    /// `p`, the result left in the accumulator (`facc` when `float`).
    fn emit_folded(&mut self, handler: Handler, p: usize, (a, b, c): (u32, u32, u32), float: bool, extra: &[u64]) {
        let start = self.pos();
        self.emit(handler);
        self.acc = Some(Acc { slot: self.home(p), float });
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), a, b]));
        self.imm(pack(&[c]));
        for &x in extra {
            self.imm(x);
        }
        self.push_result(start, dst_cell, None);
    }

    /// If the last instruction produced one operand of the binary operation
    /// being translated (a Temp just written) and the other one is in a slot
    /// (a constant would need a copy, which could overwrite the last
    /// instruction's inputs): drops that instruction and both operands, and
    /// returns the result's stack position, the other operand's slot and
    /// whether the last result was the right operand. The caller emits the
    /// fused instruction next.
    fn take_last_operand(&mut self) -> Option<(usize, u32, bool)> {
        let last = self.last?;
        let n = self.stack.len();
        let (x, y) = (self.stack[n - 2], self.stack[n - 1]);
        let (other, other_pos, right) = if y == Operand::Temp && last.dst == self.home(n - 1) {
            (x, n - 2, true)
        } else if x == Operand::Temp && last.dst == self.home(n - 2) {
            (y, n - 1, false)
        } else {
            return None;
        };
        if matches!(other, Operand::Const(_)) {
            return None;
        }
        self.truncate_code(last.start);
        self.last = None;
        self.pop();
        self.pop();
        let p = self.stack.len();
        Some((p, self.slot_of(other, other_pos), right))
    }

    /// `load(p) op b` (or `b op load(p)`; the operation is commutative) right
    /// after the load from a slot address: one `op_load` handler. `forms`
    /// maps the load's plain handler to the fused one; `rmw` are the
    /// operation's read-modify-write forms, which a store back to `p` may
    /// still take (`take_rmw`).
    fn load_then(&mut self, forms: &[(Handler, Handler)], rmw: Option<(Handler, Handler, u8)>, float: bool) -> bool {
        let Some(last) = self.last else { return false };
        let Some((width, addr, Some(kind))) = last.load else { return false };
        let Some(fused) = pair_of(forms, kind) else { return false };
        if !matches!(addr.rhs, AddrRhs::Imm(0)) {
            return false;
        }
        let Some((p, b, _)) = self.take_last_operand() else { return false };
        let start = self.pos();
        self.emit(fused);
        self.acc = Some(Acc { slot: self.home(p), float });
        let dst_cell = self.pos();
        self.imm(pack(&[self.home(p), addr.a, b]));
        self.imm(addr.offset + width as u64);
        if let Some((rs, ri, w)) = rmw.filter(|r| r.2 == width) {
            self.rmw_candidate = Some(Rmw { load_start: start, addr, width: w, b, imm: None, ops: (rs, ri) });
        }
        self.push_result(start, dst_cell, None);
        true
    }

    fn local_set(&mut self, i: u32) {
        let recent = self.recent;
        self.invalidate_adds();
        let v = self.pop();
        let p = self.stack.len();
        let aliased = self.pending_reads(i);
        if let (Operand::Temp, Some(last)) = (v, self.last) {
            if last.dst == self.home(p) {
                let mut dst_cell = last.dst_cell;
                if aliased {
                    // Pending reads of the local's old value must be copied out
                    // before the instruction that now writes the local: move
                    // that instruction after the copies. (It has no branch
                    // targets, and its fuel was already counted.)
                    self.unpair_adds(last.start);
                    self.forget_copies_from(last.start);
                    let moved = self.code.split_off(last.start);
                    self.last_start = None;
                    let acc = self.acc;
                    self.materialize_locals(Some(i));
                    dst_cell = self.code.len() + (last.dst_cell - last.start);
                    self.last_start = Some(self.code.len());
                    self.code.extend_from_slice(&moved);
                    // The copies pass the accumulator on; the moved
                    // instruction sets it as before.
                    if !nofuse("acc_after_move") {
                        self.acc = acc;
                    }
                }
                self.set_dst(dst_cell, i);
                self.last = None;
                // A load now writing the local stays visible to a test of
                // the local that follows (`load_to_test`), and only to that.
                if let (Some((_, _, Some(kind))), false) = (last.load, aliased) {
                    self.last =
                        Some(Last { start: last.start, dst_cell, dst: i, local_load: Some(kind), ..Last::default() });
                }
                // Likewise a scaled address now in the local, to a load of it.
                if let (Some((x, y, k, false)), false) = (last.shl_add, aliased) {
                    let local_shl_add = Some((x, y, k));
                    self.last = Some(Last { start: last.start, dst_cell, dst: i, local_shl_add, ..Last::default() });
                }
                // `local.tee` of `a + k` followed by a branch on the local: the
                // branch may absorb the update (see `Cond::CounterCmp`).
                self.counter = self.counter_update(last, i);
                // `t = a + b; i = i + k` with `t` on the stack: a load of `t`
                // may take both (`load_post_inc`).
                if let ([Some(q), Some(inc)], false) = (recent, aliased) {
                    let shape = inc == last.start && q + 2 == inc && inc + 3 == self.pos();
                    let t = self.stack.len().wrapping_sub(1);
                    if shape
                        && self.is(inc, h::i32_add_si)
                        && self.is(q, h::i32_add_ss)
                        && self.stack.get(t) == Some(&Operand::Temp)
                        && self.field(q + 1, 0) == self.home(t)
                    {
                        self.post_inc = Some(q);
                    }
                }
                return;
            }
        }
        self.materialize_locals(Some(i));
        match v {
            Operand::Temp => {
                self.emit_copy(i as u64, self.home(p) as u64);
            }
            Operand::Local(j) => {
                if j != i {
                    self.emit_copy(i as u64, j as u64);
                }
            }
            Operand::Const(c) => {
                self.emit_copy_imm(i as u64, c);
            }
        }
    }

    fn call(&mut self, f: u32) {
        self.invalidate_adds();
        let ty = self.m.func_type(f);
        let (np, nr) = (ty.params().len(), ty.results().len());
        self.materialize_top(np);
        let base = self.stack.len() - np;
        let arg_base = self.home(base) as u64;
        self.truncate(base);
        if f < self.m.num_imported_funcs {
            self.emit(h::call_import);
            self.imm(f as u64);
        } else {
            self.emit(h::call);
            let fc: *const crate::module::FuncCode = &self.m.code[(f - self.m.num_imported_funcs) as usize];
            self.code.push(Cell::ptr(fc));
        }
        self.imm(arg_base);
        self.max_height = self.max_height.max(base + np.max(nr));
        for _ in 0..nr {
            self.push(Operand::Temp);
        }
    }
}
