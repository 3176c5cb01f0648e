//! The instruction handlers: one small function per threaded-code operation.
//!
//! # Calling convention
//! Every handler has the signature [`Handler`]: `ip` points at the handler's own
//! cell, immediates follow it (`imm!(ip, k)` is the k-th cell after the handler);
//! `fp` points at slot 0 of the running function's frame; `mem`/`len` are the
//! base and length of the current instance's memory 0; `ctx` is the execution
//! context. A handler finishes with `next!`, which passes the same registers to
//! the handler of the next cell: as a tail call (`baton_tail`, the default when
//! optimised; `become` with the `nightly-tail` feature) or, in the portable loop
//! mode, by returning the next `ip` to [`run`]'s driver loop. Handlers that
//! change `fp`, `mem` or `len` use `next_reload!` so the loop driver picks up
//! the new values. A trap stores its code in `ctx.trap` and returns 0; so does
//! the exit cell at the bottom of every execution.
//!
//! # Code layout
//! On x86-64 Linux (`baton_section`, set by build.rs) every handler goes into
//! one section, `.text.baton_handlers`, which starts on a 64-byte boundary:
//! the handlers' places relative to cache lines then depend only on this
//! file, not on what the linker puts before them. Without it, the same
//! handlers ran spectralnorm in 62-69 ms in the `cmp` example and in 83 ms in
//! the benchmark binary, and a change anywhere in the program (even in
//! module decoding) moved them; with it, both binaries take 57 ms. (This
//! machine has no performance counters to say which front-end effect it
//! was.)
//!
//! # Accumulators
//! Two more arguments, `acc` (u64) and `facc` (f64), travel from handler to
//! handler in registers. A handler that produces one value writes it to its
//! destination slot and also returns it in the accumulator (`f64` in `facc`,
//! everything else as slot bits in `acc`; see `SlotVal::set_acc`; the
//! `select` forms, which do not know their value's type, put its bits in
//! `acc`, even an `f64`'s); handlers that produce nothing pass both on
//! unchanged, and calls pass `acc = 0`. The
//! `_a`/`_as`/`_ai`/`_v`/`_f` forms read an operand from the accumulator
//! instead of a slot: the translator emits them only right after the handler
//! that produced that operand (no label or other handler in between), so the
//! accumulator then always holds exactly the operand's value. In the loop
//! dispatcher the accumulators go through `Ctx` between handlers.
//!
//! # Invariants (established by the translator and `exec::invoke`)
//! 1. `ip` points into a live, immutable code buffer of a module kept alive by
//!    an instance of the running store; every cell a handler reads as an
//!    immediate was written for it by the translator, and every branch target
//!    or code pointer in an immediate points at a handler cell.
//! 2. Every slot index in an immediate is below the function's `frame_size`,
//!    and `enter` (the first cell of every function) checked that
//!    `fp + frame_size <= ctx.stack_end`: slot accesses are in bounds of the
//!    value stack. Validation guarantees the slot holds a value of the type the
//!    handler reads (32-bit values live in the low half of a slot).
//! 3. `mem..mem+len` is the current memory 0 (or `len == 0`); every memory access
//!    is bounds-checked against `len` before it happens, with 64-bit arithmetic
//!    that cannot overflow. Anything that can resize or replace memory (calls,
//!    `memory.grow`, host functions) reloads `mem`/`len` afterwards.
//! 4. `ctx` is valid and exclusively used by this execution; `ctx.inst`,
//!    `ctx.globals` and `ctx.store` point at live store entities (boxed, so they
//!    do not move), and indices read from immediates (globals, tables, functions,
//!    segments, types) were checked by validation against the instance.
//! 5. `ctx.frames..ctx.frame_end` is reserved for frames; calls check
//!    `frame_sp` against `frame_end` before pushing, and every `ret` pops a
//!    frame pushed by a call of the same execution (the entry frame included).

#![allow(clippy::missing_safety_doc)]
// `!(a < b)` on floats is deliberate: it is true for NaN, which `a >= b` is not.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use std::sync::atomic::Ordering;

use super::{Cell, Ctx, Fp, Frame, Ip, Mem};
use crate::error::TrapCode;
use crate::module::FuncCode;
use crate::runtime::instance::InstanceData;
use crate::runtime::store::FuncEntity;

/// How far below its starting point the native stack may grow during one
/// (possibly nested) execution before calls trap with "call stack exhausted".
pub(crate) const DEFAULT_NATIVE_STACK_BUDGET: usize = 512 * 1024;

/// The current native stack pointer (approximately, on other targets).
#[inline(always)]
pub(crate) fn native_sp() -> usize {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer register; no memory is touched.
        unsafe { std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(all(target_arch = "aarch64", not(miri)))]
    {
        let sp: usize;
        // SAFETY: reads the stack pointer register; no memory is touched.
        unsafe { std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(any(miri, not(any(target_arch = "x86_64", target_arch = "aarch64"))))]
    {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }
}

macro_rules! imm {
    ($ip:expr, $k:expr) => {
        (*$ip.add($k)).x
    };
}

/// A code pointer immediate (branch target, callee): read with its provenance.
macro_rules! target {
    ($ip:expr, $k:expr) => {
        (*$ip.add($k)).p
    };
}

macro_rules! slot {
    ($fp:expr, $ip:expr, $k:expr) => {
        *$fp.add(imm!($ip, $k) as usize)
    };
}

/// Slot index field `$f` (0, 1 or 2) of the packed operand cell `$k` (see
/// `crate::translate::pack`): three 16-bit slot indices in one cell, field `f`
/// in bits `16 f ..`, each read on its own with one 2-byte load.
macro_rules! field {
    ($ip:expr, $k:expr, $f:tt) => {
        (*($ip.add($k) as *const u16).add(if cfg!(target_endian = "little") { $f } else { 3 - $f })) as usize
    };
}

/// The slot named by field `$f` of packed cell `$k`.
macro_rules! pslot {
    ($fp:expr, $ip:expr, $k:expr, $f:tt) => {
        *$fp.add(field!($ip, $k, $f))
    };
}

#[cfg(all(baton_tail, feature = "nightly-tail"))]
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr) => {{
        let ip: Ip = $ip;
        let h = (*ip).h;
        become h(ip, $fp, $mem, $len, $ctx, $acc, $facc)
    }};
    // Continue in handler `$h` (not the cell's own) with the same registers.
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr; $h:ident) => {{
        become $h($ip, $fp, $mem, $len, $ctx, $acc, $facc)
    }};
}

#[cfg(all(baton_tail, not(feature = "nightly-tail")))]
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr) => {{
        let ip: Ip = $ip;
        let h = (*ip).h;
        return h(ip, $fp, $mem, $len, $ctx, $acc, $facc);
    }};
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr; $h:ident) => {{
        return $h($ip, $fp, $mem, $len, $ctx, $acc, $facc);
    }};
}

#[cfg(not(baton_tail))]
macro_rules! next {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr) => {{
        let c: *mut Ctx = $ctx;
        let _ = ($fp, $mem, $len);
        // The driver loop passes the accumulators on to the next handler.
        (*c).acc = $acc;
        (*c).facc = $facc;
        return $ip;
    }};
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr; $h:ident) => {{
        return $h($ip, $fp, $mem, $len, $ctx, $acc, $facc);
    }};
}

/// Goes round a loop again in handler `$h`, the loop's own, with the same
/// registers: a direct tail call (a jump) when handlers tail-call; in the loop
/// mode an ordinary return to the driver, which runs the cell's own handler
/// (so a long loop never nests native frames).
#[cfg(baton_tail)]
macro_rules! next_again {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr; $h:ident) => {
        next!($ip, $fp, $mem, $len, $ctx, $acc, $facc; $h)
    };
}

#[cfg(not(baton_tail))]
macro_rules! next_again {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr; $h:ident) => {
        next!($ip, $fp, $mem, $len, $ctx, $acc, $facc)
    };
}

#[cfg(baton_tail)]
macro_rules! next_reload {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr) => {
        next!($ip, $fp, $mem, $len, $ctx, $acc, $facc)
    };
}

#[cfg(not(baton_tail))]
macro_rules! next_reload {
    ($ip:expr, $fp:expr, $mem:expr, $len:expr, $ctx:expr, $acc:expr, $facc:expr) => {{
        let c = $ctx;
        (*c).acc = $acc;
        (*c).facc = $facc;
        (*c).fp = $fp;
        (*c).mem = $mem;
        (*c).len = $len;
        // The low bit (cells are 8-aligned) tells `run` to reload the registers.
        let ip: Ip = $ip;
        return ip.map_addr(|a| a | 1);
    }};
}

macro_rules! trap {
    ($ctx:expr, $code:expr) => {{
        (*$ctx).trap = Some($code);
        return std::ptr::null();
    }};
}

/// The `$m` in memory that ends at byte `$end` (a `u64`: address + static
/// offset + access width, so at least the width and without overflow), as a
/// pointer, after the one bounds check of the access (invariant 3): traps
/// with "out of bounds memory access" past the end of memory.
macro_rules! access {
    ($m:ty, $mem:expr, $len:expr, $ctx:expr, $end:expr) => {{
        let end: u64 = $end;
        if end > $len as u64 {
            trap!($ctx, TrapCode::MemoryOutOfBounds);
        }
        $mem.add(end as usize - std::mem::size_of::<$m>()) as *mut $m
    }};
}

/// The running instance (see invariant 4).
#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn inst<'a>(ctx: *mut Ctx) -> &'a mut InstanceData {
    &mut *(*ctx).inst
}

/// The running store (see invariant 4).
#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn store<'a>(ctx: *mut Ctx) -> &'a mut crate::runtime::store::StoreInner {
    &mut *(*ctx).store
}

/// Runs threaded code from `ip` until the exit cell or a trap.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn run(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx) {
    #[cfg(baton_tail)]
    {
        ((*ip).h)(ip, fp, mem, len, ctx, 0, 0.0);
    }
    #[cfg(not(baton_tail))]
    {
        let (mut ip, mut fp, mut mem, mut len) = (ip, fp, mem, len);
        loop {
            #[cfg(feature = "handler-stats")]
            super::stats::record((*ip).h as usize, ip.addr());
            let r = ((*ip).h)(ip, fp, mem, len, ctx, (*ctx).acc, (*ctx).facc);
            if r.is_null() {
                #[cfg(feature = "handler-stats")]
                super::stats::end();
                return;
            }
            if r.addr() & 1 == 0 {
                ip = r;
            } else {
                ip = r.map_addr(|a| a & !1);
                fp = (*ctx).fp;
                mem = (*ctx).mem;
                len = (*ctx).len;
            }
        }
    }
}

#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn exit(_ip: Ip, _fp: Fp, _mem: Mem, _len: usize, _ctx: *mut Ctx, _acc: u64, _facc: f64) -> Ip {
    std::ptr::null()
}

/// A cell that may live in a `static`.
pub(crate) struct StaticCell(pub(crate) Cell);
// SAFETY: the cell is immutable and only holds a function pointer.
unsafe impl Sync for StaticCell {}

/// The return address of every execution's entry frame.
pub(crate) static EXIT_CELL: StaticCell = StaticCell(Cell { h: exit });

/// Values as they sit in a slot, and in the accumulators: `f64` results go
/// to `facc`, all others (as slot bits) to `acc`.
trait SlotVal: Copy {
    fn from_slot(x: u64) -> Self;
    fn to_slot(self) -> u64;
    /// Makes this value the accumulator's (see "Accumulators" in the module docs).
    #[inline(always)]
    fn set_acc(self, acc: &mut u64, _facc: &mut f64) {
        *acc = self.to_slot();
    }
    /// The value the previous handler left in the accumulator.
    #[inline(always)]
    fn from_acc(acc: u64, _facc: f64) -> Self {
        Self::from_slot(acc)
    }
}

macro_rules! slotval {
    ($t:ty, |$x:ident| $from:expr, |$s:ident| $to:expr) => {
        slotval!($t, |$x| $from, |$s| $to, {});
    };
    ($t:ty, |$x:ident| $from:expr, |$s:ident| $to:expr, {$($acc:item)*}) => {
        impl SlotVal for $t {
            #[inline(always)]
            fn from_slot($x: u64) -> Self {
                $from
            }
            #[inline(always)]
            fn to_slot(self) -> u64 {
                let $s = self;
                $to
            }
            $($acc)*
        }
    };
}
slotval!(i32, |x| x as i32, |s| s as u32 as u64);
slotval!(u32, |x| x as u32, |s| s as u64);
slotval!(i64, |x| x as i64, |s| s as u64);
slotval!(u64, |x| x, |s| s);
slotval!(f32, |x| f32::from_bits(x as u32), |s| s.to_bits() as u64);
slotval!(f64, |x| f64::from_bits(x), |s| s.to_bits(), {
    #[inline(always)]
    fn set_acc(self, _acc: &mut u64, facc: &mut f64) {
        *facc = self;
    }
    #[inline(always)]
    fn from_acc(_acc: u64, facc: f64) -> Self {
        facc
    }
});
slotval!(bool, |x| x != 0, |s| s as u64);

// ---------------------------------------------------------------------------
// Frame entry, copies, constants, select, globals
// ---------------------------------------------------------------------------

/// `[enter, frame_size, zero_start, zero_count]`: first cell of every function
/// with locals besides its parameters.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn enter(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let c = &*ctx;
    if fp.add(imm!(ip, 1) as usize) > c.stack_end || native_sp() < c.native_limit {
        trap!(ctx, TrapCode::StackOverflow);
    }
    let (p, n) = (fp.add(imm!(ip, 2) as usize), imm!(ip, 3) as usize);
    // Fixed-size stores, two of them overlapping when `n` is not a power of
    // two: a loop would become a `memset` call, and the registers it
    // clobbers would be saved and restored on every call.
    match n {
        0 => {}
        1..=2 => {
            *p = 0;
            *p.add(n - 1) = 0;
        }
        3..=4 => {
            (p as *mut [u64; 2]).write_unaligned([0; 2]);
            (p.add(n - 2) as *mut [u64; 2]).write_unaligned([0; 2]);
        }
        5..=8 => {
            (p as *mut [u64; 4]).write_unaligned([0; 4]);
            (p.add(n - 4) as *mut [u64; 4]).write_unaligned([0; 4]);
        }
        // Many locals: a separate handler calls `memset`.
        _ => next!(ip, fp, mem, len, ctx, acc, facc; enter_many),
    }
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[enter4, frame_size, zero_start, _]` (`enter8`): `enter` of a function
/// with 1-4 (5-8) locals besides its parameters and at least 4 (8) slots in
/// its frame from `zero_start`: zeroes exactly 4 (8) slots, the ones past the
/// locals being operand slots, which hold nothing yet.
macro_rules! enter_n {
    ($($name:ident, $n:literal;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let c = &*ctx;
            if fp.add(imm!(ip, 1) as usize) > c.stack_end || native_sp() < c.native_limit {
                trap!(ctx, TrapCode::StackOverflow);
            }
            // In bounds: `zero_start + $n <= frame_size` (translator) and the
            // frame fits the stack (checked above).
            (fp.add(imm!(ip, 2) as usize) as *mut [u64; $n]).write_unaligned([0; $n]);
            next!(ip.add(4), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

enter_n! {
    enter4, 4;
    enter8, 8;
}

/// `enter` of a function with more than 8 non-parameter locals (checks done).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn enter_many(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    std::ptr::write_bytes(fp.add(imm!(ip, 2) as usize), 0, imm!(ip, 3) as usize);
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[enter_params, frame_size, _, _]`: first cell of a function without
/// locals besides its parameters.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn enter_params(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let c = &*ctx;
    if fp.add(imm!(ip, 1) as usize) > c.stack_end || native_sp() < c.native_limit {
        trap!(ctx, TrapCode::StackOverflow);
    }
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[copy, (dst, src)]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn copy(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    pslot!(fp, ip, 1, 0) = pslot!(fp, ip, 1, 1);
    next!(ip.add(2), fp, mem, len, ctx, acc, facc)
}

/// `[copy_br_nez, (dst, src, a), target]`: a copy, then a branch if the
/// `i32` in slot `a` is not zero (`copy_br_eqz`: is zero).
macro_rules! copy_br {
    ($($name:ident, |$c:ident| $e:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            pslot!(fp, ip, 1, 0) = pslot!(fp, ip, 1, 1);
            let $c = pslot!(fp, ip, 1, 2) as u32;
            if $e {
                next!(target!(ip, 2), fp, mem, len, ctx, acc, facc)
            }
            next!(ip.add(3), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

copy_br! {
    copy_br_nez, |c| c != 0;
    copy_br_eqz, |c| c == 0;
}

/// `[copy2, (dst1, src1, dst2), (src2)]`: two copies, in order.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn copy2(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    copy2_work(ip, fp);
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// The two copies of the `copy2` cell at `ip` (also run by the handlers that
/// fuse a `copy2` with its neighbour).
#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn copy2_work(ip: Ip, fp: Fp) {
    pslot!(fp, ip, 1, 0) = pslot!(fp, ip, 1, 1);
    pslot!(fp, ip, 1, 2) = pslot!(fp, ip, 2, 0);
}

/// `[copy_imm, (dst), value]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn copy_imm(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    pslot!(fp, ip, 1, 0) = imm!(ip, 2);
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// A copy and the instruction after it in one dispatch: `copy_then!(prefix,
/// cells; name => X, ...)` makes `name`, which does the work of `prefix` (a
/// copy of `cells` cells: `copy`, `copy_imm`, `copy2`) and continues in `X`
/// (a direct jump) at the next cell, whose handler stays `X`, so a branch
/// there still runs `X` alone. The translator picks them in
/// `Translator::fuse_copies` from the tables made here.
macro_rules! copy_then {
    ($table:ident, $cells:expr, |$fp:ident, $ip:ident| $work:expr; $($name:ident => $x:ident,)*) => {
        $(
            #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
            pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
                {
                    let ($fp, $ip) = (fp, ip);
                    $work;
                }
                next!(ip.add($cells), fp, mem, len, ctx, acc, facc; $x)
            }
        )*
        /// `(next handler, fused handler)` pairs.
        pub(crate) const $table: &[(crate::exec::Handler, crate::exec::Handler)] = &[$(($x, $name)),*];
    };
}

copy_then! {
    COPY_THEN, 2, |fp, ip| pslot!(fp, ip, 1, 0) = pslot!(fp, ip, 1, 1);
    copy_then_i32_add_si => i32_add_si,
    copy_then_i64_add_si => i64_add_si,
    copy_then_i32_and_si => i32_and_si,
    copy_then_i32_add_ss => i32_add_ss,
    copy_then_i32_xor_ss => i32_xor_ss,
    copy_then_i32_mul_as => i32_mul_as,
    copy_then_i32_load16_u2_mul => i32_load16_u2_mul,
    copy_then_i32_load16_s2_mul => i32_load16_s2_mul,
    copy_then_i32_add_shl_a => i32_add_shl_a,
    copy_then_i64_shr_u_si => i64_shr_u_si,
    copy_then_i64_load32_u => i64_load32_u,
    copy_then_i64_load_ss => i64_load_ss,
    copy_then_f64_mul_ss => f64_mul_ss,
    copy_then_ctr_ne_is => ctr_ne_is,
    copy_then_ctr_ne_ii => ctr_ne_ii,
    copy_then_br => br,
    copy_then_br_i32_eq_ss => br_i32_eq_ss,
    copy_then_br_i32_and_si => br_i32_and_si,
    copy_then_copy_br_eqz => copy_br_eqz,
    copy_then_copy => copy,
    copy_then_copy_imm => copy_imm,
    copy_then_call => call,
}

copy_then! {
    COPY_IMM_THEN, 3, |fp, ip| pslot!(fp, ip, 1, 0) = imm!(ip, 2);
    copy_imm_then_ctr_ne_ii => ctr_ne_ii,
    copy_imm_then_ctr_ne_is => ctr_ne_is,
    copy_imm_then_copy_imm => copy_imm,
    copy_imm_then_copy => copy,
    copy_imm_then_select => select,
    copy_imm_then_select_i32_and_si => select_i32_and_si,
    copy_imm_then_select_i32_bit_si => select_i32_bit_si,
    copy_imm_then_br => br,
    copy_imm_then_br_eqz_i32 => br_eqz_i32,
    copy_imm_then_br_i32_eq_ss => br_i32_eq_ss,
    copy_imm_then_i32_add_and => i32_add_and,
    copy_imm_then_i32_add_ss => i32_add_ss,
    copy_imm_then_i32_add_si => i32_add_si,
    copy_imm_then_i32_load8_u_ss => i32_load8_u_ss,
    copy_imm_then_i64_load32_u => i64_load32_u,
}

copy_then! {
    COPY2_THEN, 3, |fp, ip| copy2_work(ip, fp);
    copy2_then_call_indirect0 => call_indirect0,
    copy2_then_call => call,
    copy2_then_copy => copy,
    copy2_then_copy_imm => copy_imm,
    copy2_then_br_i32_lt_u_si => br_i32_lt_u_si,
}

/// An `add` of two slots and the `copy2` right after it in one handler
/// (`[add_ss_then_copy2, (dst, a, b), copy2, (d1, s1, d2), (s2)]`): the
/// rotation `t = a + b; a = b; b = t` of an iterated recurrence. The `copy2`
/// keeps its cells and handler, so a branch to it runs it alone.
macro_rules! add_then_copy2 {
    ($($name:ident, $t:ty;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let v = (pslot!(fp, ip, 1, 1) as $t).wrapping_add(pslot!(fp, ip, 1, 2) as $t);
            pslot!(fp, ip, 1, 0) = v as u64;
            copy2_work(ip.add(2), fp);
            // The add's result stays the accumulator, as after the two handlers.
            next!(ip.add(5), fp, mem, len, ctx, v as u64, facc)
        }
    )*};
}

add_then_copy2! {
    i32_add_ss_then_copy2, u32;
    i64_add_ss_then_copy2, u64;
}

/// The same fusion when the `copy2` is the rotation itself: its second
/// source is the add's destination and its first destination is another
/// slot (`Translator::fuse_copies` checks both). Then the second copy stores
/// the sum from its register instead of reloading the slot just written, so
/// the loop-carried `b` goes through memory once per iteration, not twice.
macro_rules! add_then_rotate {
    ($($name:ident, $t:ty;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let v = (pslot!(fp, ip, 1, 1) as $t).wrapping_add(pslot!(fp, ip, 1, 2) as $t);
            pslot!(fp, ip, 1, 0) = v as u64;
            pslot!(fp, ip, 3, 0) = pslot!(fp, ip, 3, 1);
            pslot!(fp, ip, 3, 2) = v as u64;
            next!(ip.add(5), fp, mem, len, ctx, v as u64, facc)
        }
    )*};
}

add_then_rotate! {
    i32_add_ss_then_rotate, u32;
    i64_add_ss_then_rotate, u64;
}

/// `c ? a : b` from both values, read before `c` is known: once it is, the
/// choice is a data operation. (`if c { slot a } else { slot b }` compiles
/// to a load from a chosen slot index, which waits for `c` and then for two
/// dependent loads: the choice's latency sits on the critical path of
/// loops that select, such as a bitwise CRC.) Both values pass through
/// `opaque` first: without it the compiler turns the choice back into a load
/// from a chosen slot (after `c`).
#[inline(always)]
fn pick(c: bool, a: u64, b: u64) -> u64 {
    let (a, b) = (opaque(a), opaque(b));
    if c {
        a
    } else {
        b
    }
}

/// `x`, through an empty `asm!` block on targets that have it: the compiler
/// must have computed `x` (here: loaded it) before, and cannot fold the
/// computation into what uses the result. No instruction is emitted.
#[inline(always)]
fn opaque(x: u64) -> u64 {
    #[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
    {
        let mut x = x;
        // SAFETY: an empty block (the operand is only named in a comment): no
        // memory, stack or flags are touched. Not `pure`, so it is not moved
        // into the branch that uses its result.
        unsafe { std::arch::asm!("/* {0} */", inout(reg) x, options(nomem, nostack, preserves_flags)) };
        x
    }
    #[cfg(not(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri))))]
    {
        x
    }
}

/// `[select, (dst, cond, a), (b)]`. Like the fused forms below, it leaves
/// the selected value (its bits, of any type) in the accumulator.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn select(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    let v = pick(pslot!(fp, ip, 1, 1) as u32 != 0, pslot!(fp, ip, 1, 2), pslot!(fp, ip, 2, 0));
    pslot!(fp, ip, 1, 0) = v;
    next!(ip.add(3), fp, mem, len, ctx, v, facc)
}

/// `[global_get, (dst), global]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn global_get(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    pslot!(fp, ip, 1, 0) = **(*ctx).globals.add(imm!(ip, 2) as usize);
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// `[global_set, global, src]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn global_set(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    **(*ctx).globals.add(imm!(ip, 1) as usize) = slot!(fp, ip, 2);
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// `[i32_add_si_global_set, (d, a), k, global]`: `d = a + k` (wrapping
/// i32), then the global is set to `d`: a shadow stack pointer moved back at
/// a function's end.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_add_si_global_set(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    _acc: u64,
    facc: f64,
) -> Ip {
    let v = (pslot!(fp, ip, 1, 1) as u32).wrapping_add(imm!(ip, 2) as u32) as u64;
    pslot!(fp, ip, 1, 0) = v;
    **(*ctx).globals.add(imm!(ip, 3) as usize) = v;
    next!(ip.add(4), fp, mem, len, ctx, v, facc)
}

/// `[global_add_si_set, (d), k, global]`: `d = global + k` (wrapping i32),
/// then the global is set to `d`: a function's frame taken from the shadow
/// stack (`global.get sp; i32.const k; i32.sub; local.tee fp; global.set sp`).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn global_add_si_set(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    _acc: u64,
    facc: f64,
) -> Ip {
    let g = *(*ctx).globals.add(imm!(ip, 3) as usize);
    let v = (*g as u32).wrapping_add(imm!(ip, 2) as u32) as u64;
    pslot!(fp, ip, 1, 0) = v;
    *g = v;
    next!(ip.add(4), fp, mem, len, ctx, v, facc)
}

/// `[unreachable]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn unreachable(_ip: Ip, _fp: Fp, _mem: Mem, _len: usize, ctx: *mut Ctx, _acc: u64, _facc: f64) -> Ip {
    trap!(ctx, TrapCode::Unreachable)
}

/// `[fuel, cost]`: charges a straight-line block's instructions.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn fuel(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let f = &mut store(ctx).fuel;
    let cost = imm!(ip, 1);
    if *f < cost {
        *f = 0;
        trap!(ctx, TrapCode::OutOfFuel);
    }
    *f -= cost;
    next!(ip.add(2), fp, mem, len, ctx, acc, facc)
}

/// `[check_interrupt]`: at loop headers and function entries when interruptible.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn check_interrupt(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    if (*(*ctx).interrupt).swap(false, Ordering::Relaxed) {
        trap!(ctx, TrapCode::Interrupted);
    }
    next!(ip.add(1), fp, mem, len, ctx, acc, facc)
}

// ---------------------------------------------------------------------------
// Arithmetic
// ---------------------------------------------------------------------------

/// An operand of a binary operation or compare: slot field 0, 1 or 2 of the
/// packed cell, the immediate after it, or the accumulator.
macro_rules! operand {
    (s0, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_slot(pslot!($fp, $ip, 1, 0))
    };
    (s1, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_slot(pslot!($fp, $ip, 1, 1))
    };
    (s2, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_slot(pslot!($fp, $ip, 1, 2))
    };
    (imm, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_slot(imm!($ip, 2))
    };
    (acc, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_acc($acc, $facc)
    };
}

/// `[select_cmp, (dst, x, y), (a, b)]` and `[.., (dst, x), imm, (a, b)]`:
/// `dst = (x op y) ? a : b`. The `_as`/`_ai` forms take `x` from the
/// accumulator (same cells, field 1 unused); `SELECT_ACC` pairs each slot
/// form with its accumulator form.
macro_rules! select_cmp {
    ($($ss:ident, $si:ident, $as:ident, $ai:ident, $t:ty, |$x:ident, $y:ident| $e:expr;)*) => {
        $(
            select_cmp!(@one $ss, $t, |$x, $y| $e, s1, s2, 2);
            select_cmp!(@one $si, $t, |$x, $y| $e, s1, imm, 3);
            select_cmp!(@one $as, $t, |$x, $y| $e, acc, s2, 2);
            select_cmp!(@one $ai, $t, |$x, $y| $e, acc, imm, 3);
        )*
        /// Each `select` compare form reading `x` from a slot, and the one
        /// reading it from the accumulator.
        pub(crate) const SELECT_ACC: &[(crate::exec::Handler, crate::exec::Handler)] =
            &[$(($ss, $as), ($si, $ai)),*];
    };
    // `$k`: the cell of the packed `(a, b)` operands.
    (@one $name:ident, $t:ty, |$x:ident, $y:ident| $e:expr, $xs:ident, $ys:ident, $k:expr) => {
        // The slot forms do not read `acc`.
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $x = operand!($xs, $t, fp, ip, acc, facc);
            let $y = operand!($ys, $t, fp, ip, acc, facc);
            let v = pick($e, pslot!(fp, ip, $k, 0), pslot!(fp, ip, $k, 1));
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add($k + 1), fp, mem, len, ctx, v, facc)
        }
    };
}

select_cmp! {
    select_i32_eq_ss, select_i32_eq_si, select_i32_eq_as, select_i32_eq_ai, u32, |x, y| x == y;
    select_i32_ne_ss, select_i32_ne_si, select_i32_ne_as, select_i32_ne_ai, u32, |x, y| x != y;
    select_i32_lt_s_ss, select_i32_lt_s_si, select_i32_lt_s_as, select_i32_lt_s_ai, i32, |x, y| x < y;
    select_i32_lt_u_ss, select_i32_lt_u_si, select_i32_lt_u_as, select_i32_lt_u_ai, u32, |x, y| x < y;
    select_i32_gt_s_ss, select_i32_gt_s_si, select_i32_gt_s_as, select_i32_gt_s_ai, i32, |x, y| x > y;
    select_i32_gt_u_ss, select_i32_gt_u_si, select_i32_gt_u_as, select_i32_gt_u_ai, u32, |x, y| x > y;
    select_i32_le_s_ss, select_i32_le_s_si, select_i32_le_s_as, select_i32_le_s_ai, i32, |x, y| x <= y;
    select_i32_le_u_ss, select_i32_le_u_si, select_i32_le_u_as, select_i32_le_u_ai, u32, |x, y| x <= y;
    select_i32_bit_ss, select_i32_bit_si, select_i32_bit_as, select_i32_bit_ai, u32, |x, y| (1 << (x & 31)) & y != 0;
    select_i32_ge_s_ss, select_i32_ge_s_si, select_i32_ge_s_as, select_i32_ge_s_ai, i32, |x, y| x >= y;
    select_i32_ge_u_ss, select_i32_ge_u_si, select_i32_ge_u_as, select_i32_ge_u_ai, u32, |x, y| x >= y;
    select_i32_and_ss, select_i32_and_si, select_i32_and_as, select_i32_and_ai, u32, |x, y| x & y != 0;
}

/// A bit-serial CRC step (`if (crc ^ data >> k) & 1 { crc = crc >> 1 ^ poly }
/// else { crc >>= 1 }` with the shift masked, as LLVM emits it): the cells of
/// four instructions, run by the first one's cell:
///
/// - `[i32_shr_u_and(_a), (s, crc), k1 | m1 << 32]`: `s = (crc >> k1) & m1`;
/// - `[i32_xor_ai, (v, s), poly]`: `v = s ^ poly`;
/// - `[i32_xor_shr_u_s, (c, crc, d), k]`: `c = crc ^ (d >> k)`;
/// - `[select_i32_and_ai, (dst, _), m, (v, s)]`: `dst = c & m != 0 ? v : s`.
///
/// `Translator::fuse_crc_steps` checks the shape: `s`, `v`, `c` distinct and
/// none of them `crc` or `d`, so `crc` is still in its slot when the third
/// reads it. The slots are written as the instructions write them; the
/// instructions keep their cells (a branch into them runs them one by one).
/// The `_a` form takes `crc` from the accumulator, as `i32_shr_u_and_a` does.
macro_rules! crc_step {
    ($($name:ident, $src:ident;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let (xor, mix, sel) = (ip.add(3), ip.add(6), ip.add(9));
            let crc = operand!($src, u32, fp, ip, acc, facc);
            let k1 = imm!(ip, 2);
            let s = bit_field(crc, k1);
            pslot!(fp, ip, 1, 0) = s as u64;
            let v = s ^ imm!(xor, 2) as u32;
            pslot!(fp, xor, 1, 0) = v as u64;
            let c = crc ^ (pslot!(fp, mix, 1, 2) as u32).wrapping_shr(imm!(mix, 2) as u32);
            pslot!(fp, mix, 1, 0) = c as u64;
            let r = pick(c & imm!(sel, 2) as u32 != 0, v as u64, s as u64);
            pslot!(fp, sel, 1, 0) = r;
            next!(sel.add(4), fp, mem, len, ctx, r, facc)
        }
    )*};
}

crc_step! {
    crc_step, s1;
    crc_step_a, acc;
}

/// `[op, (dst, a, b)]` (`_ss`) and `[op, (dst, a), imm]` (`_si`); the `_as`
/// and `_ai` forms take `a` from the accumulator (same cells, field 1 unused).
/// All four leave the result in the accumulator too.
macro_rules! binop {
    ($($ss:ident, $si:ident, $as:ident, $ai:ident, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        binop!(@one $ss, $t, |$a, $b| $e, s1, s2, 2);
        binop!(@one $si, $t, |$a, $b| $e, s1, imm, 3);
        binop!(@one $as, $t, |$a, $b| $e, acc, s2, 2);
        binop!(@one $ai, $t, |$a, $b| $e, acc, imm, 3);
    )*};
    // With `_ret` forms of `_ss` and `_si` (same cells): the result goes to
    // slot 0 and the function returns (`return a op b`; see
    // `Translator::emit_return`).
    (ret $($ss:ident, $si:ident, $as:ident, $ai:ident, $ssr:ident, $sir:ident, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        binop!($ss, $si, $as, $ai, $t, |$a, $b| $e;);
        binop!(@ret $ssr, $t, |$a, $b| $e, s2);
        binop!(@ret $sir, $t, |$a, $b| $e, imm);
    )*};
    (@ret $name:ident, $t:ty, |$a:ident, $b:ident| $e:expr, $y:ident) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $a = operand!(s1, $t, fp, ip, acc, facc);
            let $b = operand!($y, $t, fp, ip, acc, facc);
            let v: $t = $e;
            *fp = SlotVal::to_slot(v);
            // The accumulator is dead across the return (as across calls).
            next!(ip, fp, mem, len, ctx, acc, facc; ret)
        }
    };
    (@one $name:ident, $t:ty, |$a:ident, $b:ident| $e:expr, $x:ident, $y:ident, $n:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $a = operand!($x, $t, fp, ip, acc, facc);
            let $b = operand!($y, $t, fp, ip, acc, facc);
            let v = $e;
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            SlotVal::set_acc(v, &mut acc, &mut facc);
            next!(ip.add($n), fp, mem, len, ctx, acc, facc)
        }
    };
}

/// Like `binop!` for operations that can trap: `$e` is a `Result<_, TrapCode>`.
macro_rules! binop_trap {
    ($($ss:ident, $si:ident, $as:ident, $ai:ident, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        binop_trap!(@one $ss, $t, |$a, $b| $e, s1, s2, 2);
        binop_trap!(@one $si, $t, |$a, $b| $e, s1, imm, 3);
        binop_trap!(@one $as, $t, |$a, $b| $e, acc, s2, 2);
        binop_trap!(@one $ai, $t, |$a, $b| $e, acc, imm, 3);
    )*};
    (@one $name:ident, $t:ty, |$a:ident, $b:ident| $e:expr, $x:ident, $y:ident, $n:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $a = operand!($x, $t, fp, ip, acc, facc);
            let $b = operand!($y, $t, fp, ip, acc, facc);
            match $e {
                Ok(v) => {
                    pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
                    SlotVal::set_acc(v, &mut acc, &mut facc);
                }
                Err(code) => trap!(ctx, code),
            }
            next!(ip.add($n), fp, mem, len, ctx, acc, facc)
        }
    };
}

/// `(a + k) & mask` (wrapping) of a `k | mask << 32` immediate: the value of
/// `i32_add_and` and the fused forms containing one.
#[inline(always)]
fn add_mask(a: u32, k: u64) -> u32 {
    a.wrapping_add(k as u32) & (k >> 32) as u32
}

/// `(a >> shift) & mask` of a `shift | mask << 32` immediate (the shift
/// taken mod 32): the bit-field extract of `i32_shr_u_and` and the fused
/// forms containing one.
#[inline(always)]
fn bit_field(a: u32, k: u64) -> u32 {
    a.wrapping_shr(k as u32) & (k >> 32) as u32
}

/// `[i32_shr_u_and, (dst, a), shift | mask << 32]`: `(a >> shift) & mask`, a
/// bit-field extract; `_a` takes `a` from the accumulator.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_shr_u_and(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    let k = imm!(ip, 2);
    let v = bit_field(pslot!(fp, ip, 1, 1) as u32, k) as u64;
    pslot!(fp, ip, 1, 0) = v;
    next!(ip.add(3), fp, mem, len, ctx, v, facc)
}

#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_shr_u_and_a(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let k = imm!(ip, 2);
    let v = bit_field(acc as u32, k) as u64;
    pslot!(fp, ip, 1, 0) = v;
    next!(ip.add(3), fp, mem, len, ctx, v, facc)
}

/// `[i32_shr_u_and2, (d1, a, d2), k1 | m1 << 32, k2 | m2 << 32]`: two
/// bit-field extracts of one value, `d1 = (a >> k1) & m1` then `d2 = (a >>
/// k2) & m2` (`d1` is not `a`), the second left in the accumulator; `_a`
/// takes `a` from the accumulator. Made by `Translator::shr_and`.
macro_rules! shr_u_and2 {
    ($($name:ident, $src:ident;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let a = operand!($src, u32, fp, ip, acc, facc);
            let (k1, k2) = (imm!(ip, 2), imm!(ip, 3));
            pslot!(fp, ip, 1, 0) = bit_field(a, k1) as u64;
            let v = bit_field(a, k2) as u64;
            pslot!(fp, ip, 1, 2) = v;
            next!(ip.add(4), fp, mem, len, ctx, v, facc)
        }
    )*};
}

shr_u_and2! {
    i32_shr_u_and2, s1;
    i32_shr_u_and2_a, acc;
}

/// `[i32_add_and, (dst, a), k | mask << 32]`: `(a + k) & mask` (wrapping),
/// as a range check of a character (`((c - '0') & 255) <= 9`) computes it.
/// The `_a` form takes `a` from the accumulator (field 1 unused).
macro_rules! add_and {
    ($($name:ident, $src:ident;)*) => {$(
        // `acc` is unused by the slot form.
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let v = add_and!(@v $src, fp, ip, acc, facc) as u64;
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add(3), fp, mem, len, ctx, v, facc)
        }
    )*};
    // `(a + k) & mask` for the cells at `$ip` (`a` operand `$src`, see
    // `operand!`), also for `br_add_and!`.
    (@v $src:ident, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {{
        let k = imm!($ip, 2);
        add_mask(operand!($src, u32, $fp, $ip, $acc, $facc), k)
    }};
}

add_and! {
    i32_add_and, s1;
    i32_add_and_a, acc;
}

/// `[op, (l, a, b), (dst, c)]`: `l = a * b` (f64), then `dst = l + c`, with
/// `c` read after `l` is written: a square or product kept in a local and
/// summed right away (`x2 = x * x; y2 = y * y; x2 + y2`). The `_a` form takes
/// `a` from the accumulator.
macro_rules! mul_keep_add {
    ($($name:ident, $src:ident;)*) => {$(
        // `facc` is unused by the slot form.
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let a = operand!($src, f64, fp, ip, acc, facc);
            let l = a * f64::from_slot(pslot!(fp, ip, 1, 2));
            pslot!(fp, ip, 1, 0) = l.to_bits();
            let v = l + f64::from_slot(pslot!(fp, ip, 2, 1));
            pslot!(fp, ip, 2, 0) = v.to_bits();
            next!(ip.add(3), fp, mem, len, ctx, acc, v)
        }
    )*};
}

mul_keep_add! {
    f64_mul_keep_add_s, s1;
    f64_mul_keep_add_a, acc;
}

/// `[op, (dst, a, b), mask]`: `(a - b) & mask` or `(a + b) & mask`
/// (wrapping), a distance or index in a ring buffer (`(pos - cur) & WMASK`).
macro_rules! binop_and {
    ($($name:ident, |$a:ident, $b:ident| $e:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let $a = pslot!(fp, ip, 1, 1) as u32;
            let $b = pslot!(fp, ip, 1, 2) as u32;
            let v = (($e) & imm!(ip, 2) as u32) as u64;
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add(3), fp, mem, len, ctx, v, facc)
        }
    )*};
}

binop_and! {
    i32_sub_and_ss, |a, b| a.wrapping_sub(b);
    i32_add_and_ss, |a, b| a.wrapping_add(b);
}

/// `[op, (dst, a, b), mask, (n), target]`: `dst = (a - b) & mask` as
/// `i32_sub_and_ss` computes it, then a branch if `dst <op> n` (unsigned, `n`
/// a slot read after `dst` is written): a ring-buffer distance and its limit
/// (`if (pos - cur) & WMASK > max_dist`) in one handler. The accumulator
/// passes through unchanged (unlike `i32_sub_and_ss`'s): the translator
/// knows what it held before (`Translator::acc_mark`), typically `cur`,
/// which the next step then masks from it (`i32_and_ai_add`).
macro_rules! br_sub_and {
    ($($name:ident, |$v:ident, $n:ident| $e:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $v = (pslot!(fp, ip, 1, 1) as u32).wrapping_sub(pslot!(fp, ip, 1, 2) as u32) & imm!(ip, 2) as u32;
            pslot!(fp, ip, 1, 0) = $v as u64;
            let $n = pslot!(fp, ip, 3, 0) as u32;
            if $e {
                next!(target!(ip, 4), fp, mem, len, ctx, acc, facc)
            }
            next!(ip.add(5), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

br_sub_and! {
    br_i32_sub_and_lt_u_ss, |v, n| v < n;
    br_i32_sub_and_le_u_ss, |v, n| v <= n;
    br_i32_sub_and_gt_u_ss, |v, n| v > n;
    br_i32_sub_and_ge_u_ss, |v, n| v >= n;
}

/// `(compare-branch of the accumulator with a slot, the same after an
/// i32_sub_and_ss)`, for `Translator::emit_cond`.
pub(crate) const BR_SUB_AND: [(crate::exec::Handler, crate::exec::Handler); 4] = [
    (br_i32_lt_u_as, br_i32_sub_and_lt_u_ss),
    (br_i32_le_u_as, br_i32_sub_and_le_u_ss),
    (br_i32_gt_u_as, br_i32_sub_and_gt_u_ss),
    (br_i32_ge_u_as, br_i32_sub_and_ge_u_ss),
];

/// The body of `i32_and_si_add`/`_ai_add` and their `_l` forms, `a` given;
/// `$keep_l`: `l`, not the sum, goes on in the accumulator.
macro_rules! and_add {
    ($a:expr, $keep_l:literal, $ip:ident, $fp:ident, $mem:ident, $len:ident, $ctx:ident, $facc:ident) => {{
        let l = ($a as u32 & imm!($ip, 3) as u32) as u64;
        pslot!($fp, $ip, 1, 0) = l;
        let v = (l as u32).wrapping_add(pslot!($fp, $ip, 2, 0) as u32) as u64;
        pslot!($fp, $ip, 1, 2) = v;
        next!($ip.add(4), $fp, $mem, $len, $ctx, if $keep_l { l } else { v }, $facc)
    }};
}

/// `[i32_and_si_add, (l, a, dst), (x), mask]`: `l = a & mask`, then `dst =
/// l + x` (wrapping, `x` read after `l` is written): a local masked in place
/// and added to a base right away (`cur &= WMASK; base + cur`).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_and_si_add(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    and_add!(pslot!(fp, ip, 1, 1), false, ip, fp, mem, len, ctx, facc)
}

/// [`i32_and_si_add`] with `a` in the accumulator.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_and_ai_add(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    and_add!(acc, false, ip, fp, mem, len, ctx, facc)
}

/// [`i32_and_si_add`] leaving `l`, not the sum, in the accumulator: the sum
/// is an address read once from its slot, `l` the next link of a chain
/// (`Translator::keep_local`).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_and_si_add_l(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    and_add!(pslot!(fp, ip, 1, 1), true, ip, fp, mem, len, ctx, facc)
}

/// [`i32_and_ai_add`] leaving `l` in the accumulator.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_and_ai_add_l(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    and_add!(acc, true, ip, fp, mem, len, ctx, facc)
}

/// `(and-then-add, its form leaving the masked local in the accumulator)`.
pub(crate) const AND_ADD_L: [(crate::exec::Handler, crate::exec::Handler); 2] =
    [(i32_and_si_add, i32_and_si_add_l), (i32_and_ai_add, i32_and_ai_add_l)];

/// `[op, (dst, a), k | mask << 32, n, target]`: `dst = (a + k) & mask` as
/// `i32_add_and` computes it (the `_a` forms take `a` from the
/// accumulator), then a branch if `dst <op> n` (unsigned): a character-class
/// check (`((c - 'a') & 255) < 26`) and its branch in one handler.
macro_rules! br_add_and {
    ($($name:ident, $src:ident, |$v:ident, $n:ident| $e:expr;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $v = add_and!(@v $src, fp, ip, acc, facc);
            pslot!(fp, ip, 1, 0) = $v as u64;
            let $n = imm!(ip, 3) as u32;
            if $e {
                next!(target!(ip, 4), fp, mem, len, ctx, $v as u64, facc)
            }
            next!(ip.add(5), fp, mem, len, ctx, $v as u64, facc)
        }
    )*};
}

br_add_and! {
    br_i32_add_and_lt_u, s1, |v, n| v < n;
    br_i32_add_and_lt_u_a, acc, |v, n| v < n;
    br_i32_add_and_le_u, s1, |v, n| v <= n;
    br_i32_add_and_le_u_a, acc, |v, n| v <= n;
    br_i32_add_and_gt_u, s1, |v, n| v > n;
    br_i32_add_and_gt_u_a, acc, |v, n| v > n;
    br_i32_add_and_ge_u, s1, |v, n| v >= n;
    br_i32_add_and_ge_u_a, acc, |v, n| v >= n;
}

/// `(compare-branch with a constant, the same after an i32_add_and, after
/// an i32_add_and_a)`, for `Translator::emit_cond`.
pub(crate) const BR_ADD_AND: [(crate::exec::Handler, crate::exec::Handler, crate::exec::Handler); 4] = [
    (br_i32_lt_u_ai, br_i32_add_and_lt_u, br_i32_add_and_lt_u_a),
    (br_i32_le_u_ai, br_i32_add_and_le_u, br_i32_add_and_le_u_a),
    (br_i32_gt_u_ai, br_i32_add_and_gt_u, br_i32_add_and_gt_u_a),
    (br_i32_ge_u_ai, br_i32_add_and_ge_u, br_i32_add_and_ge_u_a),
];

/// `[op, (dst, src)]`
/// `[op, (dst, a)]`; the `_a` form takes `a` from the accumulator (field 1
/// unused). Both leave the result in the accumulator too.
macro_rules! unop {
    ($($name:ident, $acc_name:ident, $t:ty, |$a:ident| $e:expr;)*) => {$(
        unop!(@one $name, s1, $t, |$a| $e);
        unop!(@one $acc_name, acc, $t, |$a| $e);
    )*};
    (@one $name:ident, $src:ident, $t:ty, |$a:ident| $e:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $a = operand!($src, $t, fp, ip, acc, facc);
            let v = $e;
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            SlotVal::set_acc(v, &mut acc, &mut facc);
            next!(ip.add(2), fp, mem, len, ctx, acc, facc)
        }
    };
}

/// `unop!` forms whose operation can trap.
macro_rules! unop_trap {
    ($($name:ident, $acc_name:ident, $t:ty, |$a:ident| $e:expr;)*) => {$(
        unop_trap!(@one $name, s1, $t, |$a| $e);
        unop_trap!(@one $acc_name, acc, $t, |$a| $e);
    )*};
    (@one $name:ident, $src:ident, $t:ty, |$a:ident| $e:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $a = operand!($src, $t, fp, ip, acc, facc);
            match $e {
                Ok(v) => {
                    pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
                    SlotVal::set_acc(v, &mut acc, &mut facc);
                }
                Err(code) => trap!(ctx, code),
            }
            next!(ip.add(2), fp, mem, len, ctx, acc, facc)
        }
    };
}

macro_rules! div_s {
    ($a:expr, $b:expr) => {
        if $b == 0 {
            Err(TrapCode::IntegerDivisionByZero)
        } else {
            $a.checked_div($b).ok_or(TrapCode::IntegerOverflow)
        }
    };
}
macro_rules! div_u {
    ($a:expr, $b:expr) => {
        if $b == 0 {
            Err(TrapCode::IntegerDivisionByZero)
        } else {
            Ok($a / $b)
        }
    };
}
macro_rules! rem_s {
    ($a:expr, $b:expr) => {
        if $b == 0 {
            Err(TrapCode::IntegerDivisionByZero)
        } else {
            Ok($a.wrapping_rem($b))
        }
    };
}

binop! {
    ret
    i32_add_ss, i32_add_si, i32_add_as, i32_add_ai, i32_add_ss_ret, i32_add_si_ret, u32, |a, b| a.wrapping_add(b);
    i32_sub_ss, i32_sub_si, i32_sub_as, i32_sub_ai, i32_sub_ss_ret, i32_sub_si_ret, u32, |a, b| a.wrapping_sub(b);
    i32_mul_ss, i32_mul_si, i32_mul_as, i32_mul_ai, i32_mul_ss_ret, i32_mul_si_ret, u32, |a, b| a.wrapping_mul(b);
    i32_and_ss, i32_and_si, i32_and_as, i32_and_ai, i32_and_ss_ret, i32_and_si_ret, u32, |a, b| a & b;
    i32_or_ss, i32_or_si, i32_or_as, i32_or_ai, i32_or_ss_ret, i32_or_si_ret, u32, |a, b| a | b;
    i32_xor_ss, i32_xor_si, i32_xor_as, i32_xor_ai, i32_xor_ss_ret, i32_xor_si_ret, u32, |a, b| a ^ b;
    i64_add_ss, i64_add_si, i64_add_as, i64_add_ai, i64_add_ss_ret, i64_add_si_ret, u64, |a, b| a.wrapping_add(b);
    i64_sub_ss, i64_sub_si, i64_sub_as, i64_sub_ai, i64_sub_ss_ret, i64_sub_si_ret, u64, |a, b| a.wrapping_sub(b);
    i64_mul_ss, i64_mul_si, i64_mul_as, i64_mul_ai, i64_mul_ss_ret, i64_mul_si_ret, u64, |a, b| a.wrapping_mul(b);
    i64_and_ss, i64_and_si, i64_and_as, i64_and_ai, i64_and_ss_ret, i64_and_si_ret, u64, |a, b| a & b;
    i64_or_ss, i64_or_si, i64_or_as, i64_or_ai, i64_or_ss_ret, i64_or_si_ret, u64, |a, b| a | b;
    i64_xor_ss, i64_xor_si, i64_xor_as, i64_xor_ai, i64_xor_ss_ret, i64_xor_si_ret, u64, |a, b| a ^ b;
}

// `(b >> a) & 1`, the bit `a` of `b` as a value (`i32.and` of an `i32.shr_u`
// by a slot with 1): a branch on it tests `(1 << a) & b` (`br_i32_bit_*`).
binop!(@one i32_shr1_ss, u32, |a, b| (b >> (a & 31)) & 1, s1, s2, 2);

/// Set membership `a < 32 && bit a of set`: a select of a bit test and a
/// bound, `select(a <= k, 0, (1 << a) & set)` with no bit of `set` above `k`
/// (`Translator::bit_set_select`).
#[inline(always)]
fn in_set(a: u32, set: u32) -> bool {
    a < 32 && (set >> (a & 31)) & 1 != 0
}

// `in_set` of the constant `b`, as 1 or 0.
binop!(@one i32_inset_si, u32, |a, b| in_set(a, b) as u32, s1, imm, 3);
binop!(@one i32_inset_ai, u32, |a, b| in_set(a, b) as u32, acc, imm, 3);

binop! {
    // `(1 << a) & b`: a bit-set membership test (`i32.and` of `i32.shl` of 1).
    i32_bit_ss, i32_bit_si, i32_bit_as, i32_bit_ai, u32, |a, b| (1 << (a & 31)) & b;
    i32_shl_ss, i32_shl_si, i32_shl_as, i32_shl_ai, u32, |a, b| a.wrapping_shl(b);
    i32_shr_s_ss, i32_shr_s_si, i32_shr_s_as, i32_shr_s_ai, i32, |a, b| a.wrapping_shr(b as u32);
    i32_shr_u_ss, i32_shr_u_si, i32_shr_u_as, i32_shr_u_ai, u32, |a, b| a.wrapping_shr(b);
    i32_rotl_ss, i32_rotl_si, i32_rotl_as, i32_rotl_ai, u32, |a, b| a.rotate_left(b % 32);
    i32_rotr_ss, i32_rotr_si, i32_rotr_as, i32_rotr_ai, u32, |a, b| a.rotate_right(b % 32);
    i32_eq_ss, i32_eq_si, i32_eq_as, i32_eq_ai, u32, |a, b| a == b;
    i32_ne_ss, i32_ne_si, i32_ne_as, i32_ne_ai, u32, |a, b| a != b;
    i32_lt_s_ss, i32_lt_s_si, i32_lt_s_as, i32_lt_s_ai, i32, |a, b| a < b;
    i32_lt_u_ss, i32_lt_u_si, i32_lt_u_as, i32_lt_u_ai, u32, |a, b| a < b;
    i32_gt_s_ss, i32_gt_s_si, i32_gt_s_as, i32_gt_s_ai, i32, |a, b| a > b;
    i32_gt_u_ss, i32_gt_u_si, i32_gt_u_as, i32_gt_u_ai, u32, |a, b| a > b;
    i32_le_s_ss, i32_le_s_si, i32_le_s_as, i32_le_s_ai, i32, |a, b| a <= b;
    i32_le_u_ss, i32_le_u_si, i32_le_u_as, i32_le_u_ai, u32, |a, b| a <= b;
    i32_ge_s_ss, i32_ge_s_si, i32_ge_s_as, i32_ge_s_ai, i32, |a, b| a >= b;
    i32_ge_u_ss, i32_ge_u_si, i32_ge_u_as, i32_ge_u_ai, u32, |a, b| a >= b;

    i64_shl_ss, i64_shl_si, i64_shl_as, i64_shl_ai, u64, |a, b| a.wrapping_shl(b as u32);
    i64_shr_s_ss, i64_shr_s_si, i64_shr_s_as, i64_shr_s_ai, i64, |a, b| a.wrapping_shr(b as u32);
    i64_shr_u_ss, i64_shr_u_si, i64_shr_u_as, i64_shr_u_ai, u64, |a, b| a.wrapping_shr(b as u32);
    i64_rotl_ss, i64_rotl_si, i64_rotl_as, i64_rotl_ai, u64, |a, b| a.rotate_left((b % 64) as u32);
    i64_rotr_ss, i64_rotr_si, i64_rotr_as, i64_rotr_ai, u64, |a, b| a.rotate_right((b % 64) as u32);
    i64_eq_ss, i64_eq_si, i64_eq_as, i64_eq_ai, u64, |a, b| a == b;
    i64_ne_ss, i64_ne_si, i64_ne_as, i64_ne_ai, u64, |a, b| a != b;
    i64_lt_s_ss, i64_lt_s_si, i64_lt_s_as, i64_lt_s_ai, i64, |a, b| a < b;
    i64_lt_u_ss, i64_lt_u_si, i64_lt_u_as, i64_lt_u_ai, u64, |a, b| a < b;
    i64_gt_s_ss, i64_gt_s_si, i64_gt_s_as, i64_gt_s_ai, i64, |a, b| a > b;
    i64_gt_u_ss, i64_gt_u_si, i64_gt_u_as, i64_gt_u_ai, u64, |a, b| a > b;
    i64_le_s_ss, i64_le_s_si, i64_le_s_as, i64_le_s_ai, i64, |a, b| a <= b;
    i64_le_u_ss, i64_le_u_si, i64_le_u_as, i64_le_u_ai, u64, |a, b| a <= b;
    i64_ge_s_ss, i64_ge_s_si, i64_ge_s_as, i64_ge_s_ai, i64, |a, b| a >= b;
    i64_ge_u_ss, i64_ge_u_si, i64_ge_u_as, i64_ge_u_ai, u64, |a, b| a >= b;

    f32_add_ss, f32_add_si, f32_add_as, f32_add_ai, f32, |a, b| a + b;
    f32_sub_ss, f32_sub_si, f32_sub_as, f32_sub_ai, f32, |a, b| a - b;
    f32_mul_ss, f32_mul_si, f32_mul_as, f32_mul_ai, f32, |a, b| a * b;
    f32_div_ss, f32_div_si, f32_div_as, f32_div_ai, f32, |a, b| a / b;
    f32_min_ss, f32_min_si, f32_min_as, f32_min_ai, f32, |a, b| fmin32(a, b);
    f32_max_ss, f32_max_si, f32_max_as, f32_max_ai, f32, |a, b| fmax32(a, b);
    f32_copysign_ss, f32_copysign_si, f32_copysign_as, f32_copysign_ai, f32, |a, b| a.copysign(b);
    f32_eq_ss, f32_eq_si, f32_eq_as, f32_eq_ai, f32, |a, b| a == b;
    f32_ne_ss, f32_ne_si, f32_ne_as, f32_ne_ai, f32, |a, b| a != b;
    f32_lt_ss, f32_lt_si, f32_lt_as, f32_lt_ai, f32, |a, b| a < b;
    f32_gt_ss, f32_gt_si, f32_gt_as, f32_gt_ai, f32, |a, b| a > b;
    f32_le_ss, f32_le_si, f32_le_as, f32_le_ai, f32, |a, b| a <= b;
    f32_ge_ss, f32_ge_si, f32_ge_as, f32_ge_ai, f32, |a, b| a >= b;

    f64_add_ss, f64_add_si, f64_add_as, f64_add_ai, f64, |a, b| a + b;
    f64_sub_ss, f64_sub_si, f64_sub_as, f64_sub_ai, f64, |a, b| a - b;
    f64_mul_ss, f64_mul_si, f64_mul_as, f64_mul_ai, f64, |a, b| a * b;
    f64_div_ss, f64_div_si, f64_div_as, f64_div_ai, f64, |a, b| a / b;
    f64_min_ss, f64_min_si, f64_min_as, f64_min_ai, f64, |a, b| fmin64(a, b);
    f64_max_ss, f64_max_si, f64_max_as, f64_max_ai, f64, |a, b| fmax64(a, b);
    f64_copysign_ss, f64_copysign_si, f64_copysign_as, f64_copysign_ai, f64, |a, b| a.copysign(b);
    f64_eq_ss, f64_eq_si, f64_eq_as, f64_eq_ai, f64, |a, b| a == b;
    f64_ne_ss, f64_ne_si, f64_ne_as, f64_ne_ai, f64, |a, b| a != b;
    f64_lt_ss, f64_lt_si, f64_lt_as, f64_lt_ai, f64, |a, b| a < b;
    f64_gt_ss, f64_gt_si, f64_gt_as, f64_gt_ai, f64, |a, b| a > b;
    f64_le_ss, f64_le_si, f64_le_as, f64_le_ai, f64, |a, b| a <= b;
    f64_ge_ss, f64_ge_si, f64_ge_as, f64_ge_ai, f64, |a, b| a >= b;
}

/// `[op, (dst, a, b), (c)]`: a multiply feeding an add or subtract, in one
/// handler. Float operations round as separate wasm instructions would (this
/// is not a fused multiply-add); only the dispatch and the round trip of the
/// product through its slot are saved. The `_a` forms take `a` from the
/// accumulator (the `mul` they replace did); `MUL_THEN_ACC` pairs each slot
/// form with its accumulator form.
macro_rules! mul_then {
    ($($name:ident, $acc_name:ident, $t:ty, |$a:ident, $b:ident| $first:expr, |$p:ident, $c:ident| $e:expr;)*) => {
        $(
            mul_then!(@one $name, s1, $t, |$a, $b| $first, |$p, $c| $e);
            mul_then!(@one $acc_name, acc, $t, |$a, $b| $first, |$p, $c| $e);
        )*
        /// Each multiply-then handler reading `a` from a slot, and the one
        /// reading it from the accumulator.
        pub(crate) const MUL_THEN_ACC: &[(crate::exec::Handler, crate::exec::Handler)] =
            &[$(($name, $acc_name)),*];
    };
    (@one $name:ident, $asrc:ident, $t:ty, |$a:ident, $b:ident| $first:expr, |$p:ident, $c:ident| $e:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $a = operand!($asrc, $t, fp, ip, acc, facc);
            let $b = <$t>::from_slot(pslot!(fp, ip, 1, 2));
            let $p = $first;
            let $c = <$t>::from_slot(pslot!(fp, ip, 2, 0));
            let v = $e;
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            SlotVal::set_acc(v, &mut acc, &mut facc);
            next!(ip.add(3), fp, mem, len, ctx, acc, facc)
        }
    };
}

// `(a + b) + c`, `(a - b) + c`: two `f64` additions in one handler (the same
// roundings; see `Translator::sum_then`).
mul_then!(@one f64_add_add, s1, f64, |a, b| a + b, |p, c| p + c);
mul_then!(@one f64_sub_add, s1, f64, |a, b| a - b, |p, c| p + c);

mul_then! {
    f32_mul_add, f32_mul_add_a, f32, |a, b| a * b, |p, c| p + c;
    f32_mul_sub, f32_mul_sub_a, f32, |a, b| a * b, |p, c| p - c;
    f32_mul_rsub, f32_mul_rsub_a, f32, |a, b| a * b, |p, c| c - p;
    f64_mul_add, f64_mul_add_a, f64, |a, b| a * b, |p, c| p + c;
    f64_mul_sub, f64_mul_sub_a, f64, |a, b| a * b, |p, c| p - c;
    f64_mul_rsub, f64_mul_rsub_a, f64, |a, b| a * b, |p, c| c - p;
    // `[i32_mul_add, (dst, a, b), (c)]`: an integer multiply-accumulate.
    i32_mul_add, i32_mul_add_a, u32, |a, b| a.wrapping_mul(b), |p, c| p.wrapping_add(c);
}

/// One operand of a `load2_mul_add` handler: the `$m` loaded from slot field
/// `$field` of cell 1 plus the wrapping constant in the low half of cell
/// `$cell`, ending at that plus the high half (static offset plus width);
/// bounds-checked, trapping if out of range.
macro_rules! pair_load {
    ($m:ty, $field:expr, $cell:expr, $fp:ident, $ip:ident, $mem:ident, $len:ident, $ctx:ident) => {{
        let k = imm!($ip, $cell);
        let end = (pslot!($fp, $ip, 1, $field) as u32).wrapping_add(k as u32) as u64 + (k >> 32);
        <$m>::from_le(access!($m, $mem, $len, $ctx, end).read_unaligned())
    }};
}

/// `[load2_mul_add, (dst, a, b), (c), ka | enda << 32, kb | endb << 32]`:
/// two float loads, their product and its sum with `c` (a dot product's
/// step, `acc += x[i] * y[j]`). Each load's address is its slot plus `k`
/// (wrapping in 32 bits, the `i32.add` the translator folded) and its end
/// the static offset plus the width, bounds-checked and trapping in order.
/// The loaded values go to no slot: the translator fuses only loads whose
/// results were temporaries the multiply consumed. Rounds as the separate
/// instructions do.
macro_rules! load2_mul_add {
    ($($name:ident, $t:ty, $m:ty;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let x = <$t>::from_slot(pair_load!($m, 1, 3, fp, ip, mem, len, ctx) as u64);
            let y = <$t>::from_slot(pair_load!($m, 2, 4, fp, ip, mem, len, ctx) as u64);
            let v = x * y + <$t>::from_slot(pslot!(fp, ip, 2, 0));
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            SlotVal::set_acc(v, &mut acc, &mut facc);
            next!(ip.add(5), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

load2_mul_add! {
    f32_load2_mul_add, f32, u32;
    f64_load2_mul_add, f64, u64;
}

/// The same for `i32` factors loaded as `$m` and widened by `$conv`
/// (`i32.load16_s` as `i16 as i32`): `dst = x * y + c`, wrapping, as
/// `i32_mul_add` computes it (`$mul_add`); and `$mul`, `[load2_mul, (dst,
/// a, b), ka | enda << 32, kb | endb << 32]`, the two loads and their
/// product without the sum: a product the code then takes apart (`t = x[i]
/// * y[j]; (t >> 2) & 15`).
macro_rules! int_load2_mul {
    ($($mul:ident, $mul_add:ident, $m:ty, |$v:ident| $conv:expr;)*) => {$(
        int_load2_mul!(@one $mul, $m, |$v| $conv, 2, false);
        int_load2_mul!(@one $mul_add, $m, |$v| $conv, 3, true);
    )*};
    // `$cell`: the first load's cell; `$add`: `c` is in cell 2.
    (@one $name:ident, $m:ty, |$v:ident| $conv:expr, $cell:expr, $add:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let x = { let $v = pair_load!($m, 1, $cell, fp, ip, mem, len, ctx); $conv };
            let y = { let $v = pair_load!($m, 2, $cell + 1, fp, ip, mem, len, ctx); $conv };
            let c = if $add { pslot!(fp, ip, 2, 0) as u32 } else { 0 };
            let v = x.wrapping_mul(y).wrapping_add(c) as u64;
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add($cell + 2), fp, mem, len, ctx, v, facc)
        }
    };
}

int_load2_mul! {
    i32_load2_mul, i32_load2_mul_add, u32, |v| v;
    i32_load16_s2_mul, i32_load16_s2_mul_add, u16, |v| v as i16 as i32 as u32;
    i32_load16_u2_mul, i32_load16_u2_mul_add, u16, |v| v as u32;
    i32_load8_u2_mul, i32_load8_u2_mul_add, u8, |v| v as u32;
}

/// `(load kind, two of them and their product)`.
pub(crate) const LOAD2_MUL: [(crate::exec::Handler, crate::exec::Handler); 4] = [
    (i32_load, i32_load2_mul),
    (i32_load16_s, i32_load16_s2_mul),
    (i32_load16_u, i32_load16_u2_mul),
    (i32_load8_u, i32_load8_u2_mul),
];

/// `(load kind, two of them, their product and its sum with a slot)`, for
/// `Translator::mul_then` under `i32.add`.
pub(crate) const LOAD2_MUL_ADD: [(crate::exec::Handler, crate::exec::Handler); 4] = [
    (i32_load, i32_load2_mul_add),
    (i32_load16_s, i32_load16_s2_mul_add),
    (i32_load16_u, i32_load16_u2_mul_add),
    (i32_load8_u, i32_load8_u2_mul_add),
];

/// `[op_is, (dst, b), imm]`: `imm op b`, for non-commutative ops with a
/// constant left operand; the `_ia` form takes `b` from the accumulator.
macro_rules! binop_rev {
    ($($name:ident, $acc_name:ident, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        binop_rev!(@one $name, s1, $t, |$a, $b| $e);
        binop_rev!(@one $acc_name, acc, $t, |$a, $b| $e);
    )*};
    (@one $name:ident, $src:ident, $t:ty, |$a:ident, $b:ident| $e:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $a = <$t>::from_slot(imm!(ip, 2));
            let $b = operand!($src, $t, fp, ip, acc, facc);
            let v = $e;
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            SlotVal::set_acc(v, &mut acc, &mut facc);
            next!(ip.add(3), fp, mem, len, ctx, acc, facc)
        }
    };
}

binop_rev! {
    i32_sub_is, i32_sub_ia, u32, |a, b| a.wrapping_sub(b);
    i64_sub_is, i64_sub_ia, u64, |a, b| a.wrapping_sub(b);
    f32_sub_is, f32_sub_ia, f32, |a, b| a - b;
    f64_sub_is, f64_sub_ia, f64, |a, b| a - b;
    f32_div_is, f32_div_ia, f32, |a, b| a / b;
    f64_div_is, f64_div_ia, f64, |a, b| a / b;
    i32_shl_is, i32_shl_ia, u32, |a, b| a.wrapping_shl(b);
    i64_shl_is, i64_shl_ia, u64, |a, b| a.wrapping_shl(b as u32);
    i32_rotl_is, i32_rotl_ia, u32, |a, b| a.rotate_left(b & 31);
    i32_rotr_is, i32_rotr_ia, u32, |a, b| a.rotate_right(b & 31);
}

binop_trap! {
    i32_div_s_ss, i32_div_s_si, i32_div_s_as, i32_div_s_ai, i32, |a, b| div_s!(a, b);
    i32_div_u_ss, i32_div_u_si, i32_div_u_as, i32_div_u_ai, u32, |a, b| div_u!(a, b);
    i32_rem_s_ss, i32_rem_s_si, i32_rem_s_as, i32_rem_s_ai, i32, |a, b| rem_s!(a, b);
    i32_rem_u_ss, i32_rem_u_si, i32_rem_u_as, i32_rem_u_ai, u32, |a, b| if b == 0 { Err(TrapCode::IntegerDivisionByZero) } else { Ok(a % b) };
    i64_div_s_ss, i64_div_s_si, i64_div_s_as, i64_div_s_ai, i64, |a, b| div_s!(a, b);
    i64_div_u_ss, i64_div_u_si, i64_div_u_as, i64_div_u_ai, u64, |a, b| div_u!(a, b);
    i64_rem_s_ss, i64_rem_s_si, i64_rem_s_as, i64_rem_s_ai, i64, |a, b| rem_s!(a, b);
    i64_rem_u_ss, i64_rem_u_si, i64_rem_u_as, i64_rem_u_ai, u64, |a, b| if b == 0 { Err(TrapCode::IntegerDivisionByZero) } else { Ok(a % b) };
}

/// Rounding results, with NaN inputs quieted as wasm requires (libm may return
/// a signalling NaN unchanged).
#[inline(always)]
fn quiet<F: std::ops::Add<Output = F> + PartialEq + Copy>(a: F, r: F) -> F {
    #[allow(clippy::eq_op)]
    if a != a {
        a + a
    } else {
        r
    }
}

/// Wasm `min`/`max`: NaN if either operand is NaN, and `-0 < +0`.
macro_rules! fminmax {
    ($min:ident, $max:ident, $t:ty) => {
        #[inline(always)]
        fn $min(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                // Equal: only the signs of zeros can differ; min prefers -0.
                <$t>::from_bits(a.to_bits() | b.to_bits())
            } else {
                a.min(b)
            }
        }
        #[inline(always)]
        fn $max(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                a + b
            } else if a == b {
                <$t>::from_bits(a.to_bits() & b.to_bits())
            } else {
                a.max(b)
            }
        }
    };
}
fminmax!(fmin32, fmax32, f32);
fminmax!(fmin64, fmax64, f64);

/// Truncates `x` towards zero to an integer in `[lo, hi)` (exclusive bounds given
/// as the nearest representable values outside the range), or traps.
macro_rules! trunc {
    ($x:expr, $lo:expr, $hi:expr, $t:ty) => {{
        let x = $x;
        if x.is_nan() {
            Err(TrapCode::BadConversionToInteger)
        } else if x > $lo && x < $hi {
            Ok(x as $t)
        } else {
            Err(TrapCode::IntegerOverflow)
        }
    }};
}

unop! {
    i32_eqz, i32_eqz_a, u32, |a| a == 0;
    i32_clz, i32_clz_a, u32, |a| a.leading_zeros();
    i32_ctz, i32_ctz_a, u32, |a| a.trailing_zeros();
    i32_popcnt, i32_popcnt_a, u32, |a| a.count_ones();
    i32_extend8_s, i32_extend8_s_a, u32, |a| a as i8 as i32;
    i32_extend16_s, i32_extend16_s_a, u32, |a| a as i16 as i32;
    i64_eqz, i64_eqz_a, u64, |a| a == 0;
    i64_clz, i64_clz_a, u64, |a| a.leading_zeros() as u64;
    i64_ctz, i64_ctz_a, u64, |a| a.trailing_zeros() as u64;
    i64_popcnt, i64_popcnt_a, u64, |a| a.count_ones() as u64;
    i64_extend8_s, i64_extend8_s_a, u64, |a| a as i8 as i64;
    i64_extend16_s, i64_extend16_s_a, u64, |a| a as i16 as i64;
    i64_extend32_s, i64_extend32_s_a, u64, |a| a as i32 as i64;
    i64_extend_i32_s, i64_extend_i32_s_a, u64, |a| a as i32 as i64;
    i64_extend_i32_u, i64_extend_i32_u_a, u64, |a| a as u32 as u64;

    f32_abs, f32_abs_a, f32, |a| a.abs();
    f32_neg, f32_neg_a, f32, |a| -a;
    f32_ceil, f32_ceil_a, f32, |a| quiet(a, a.ceil());
    f32_floor, f32_floor_a, f32, |a| quiet(a, a.floor());
    f32_trunc, f32_trunc_a, f32, |a| quiet(a, a.trunc());
    f32_nearest, f32_nearest_a, f32, |a| quiet(a, a.round_ties_even());
    f32_sqrt, f32_sqrt_a, f32, |a| a.sqrt();
    f64_abs, f64_abs_a, f64, |a| a.abs();
    f64_neg, f64_neg_a, f64, |a| -a;
    f64_ceil, f64_ceil_a, f64, |a| quiet(a, a.ceil());
    f64_floor, f64_floor_a, f64, |a| quiet(a, a.floor());
    f64_trunc, f64_trunc_a, f64, |a| quiet(a, a.trunc());
    f64_nearest, f64_nearest_a, f64, |a| quiet(a, a.round_ties_even());
    f64_sqrt, f64_sqrt_a, f64, |a| a.sqrt();

    i32_trunc_sat_f32_s, i32_trunc_sat_f32_s_a, f32, |a| a as i32;
    i32_trunc_sat_f32_u, i32_trunc_sat_f32_u_a, f32, |a| a as u32;
    i32_trunc_sat_f64_s, i32_trunc_sat_f64_s_a, f64, |a| a as i32;
    i32_trunc_sat_f64_u, i32_trunc_sat_f64_u_a, f64, |a| a as u32;
    i64_trunc_sat_f32_s, i64_trunc_sat_f32_s_a, f32, |a| a as i64;
    i64_trunc_sat_f32_u, i64_trunc_sat_f32_u_a, f32, |a| a as u64;
    i64_trunc_sat_f64_s, i64_trunc_sat_f64_s_a, f64, |a| a as i64;
    i64_trunc_sat_f64_u, i64_trunc_sat_f64_u_a, f64, |a| a as u64;

    f32_convert_i32_s, f32_convert_i32_s_a, i32, |a| a as f32;
    f32_convert_i32_u, f32_convert_i32_u_a, u32, |a| a as f32;
    f32_convert_i64_s, f32_convert_i64_s_a, i64, |a| a as f32;
    f32_convert_i64_u, f32_convert_i64_u_a, u64, |a| a as f32;
    f32_demote_f64, f32_demote_f64_a, f64, |a| a as f32;
    f64_convert_i32_s, f64_convert_i32_s_a, i32, |a| a as f64;
    f64_convert_i32_u, f64_convert_i32_u_a, u32, |a| a as f64;
    f64_convert_i64_s, f64_convert_i64_s_a, i64, |a| a as f64;
    f64_convert_i64_u, f64_convert_i64_u_a, u64, |a| a as f64;
    f64_promote_f32, f64_promote_f32_a, f32, |a| a as f64;
}

unop_trap! {
    i32_trunc_f32_s, i32_trunc_f32_s_a, f32, |a| trunc!(a, -2147483904.0f32, 2147483648.0f32, i32);
    i32_trunc_f32_u, i32_trunc_f32_u_a, f32, |a| trunc!(a, -1.0f32, 4294967296.0f32, u32);
    i32_trunc_f64_s, i32_trunc_f64_s_a, f64, |a| trunc!(a, -2147483649.0f64, 2147483648.0f64, i32);
    i32_trunc_f64_u, i32_trunc_f64_u_a, f64, |a| trunc!(a, -1.0f64, 4294967296.0f64, u32);
    i64_trunc_f32_s, i64_trunc_f32_s_a, f32, |a| trunc!(a, -9223373136366403584.0f32, 9223372036854775808.0f32, i64);
    i64_trunc_f32_u, i64_trunc_f32_u_a, f32, |a| trunc!(a, -1.0f32, 18446744073709551616.0f32, u64);
    i64_trunc_f64_s, i64_trunc_f64_s_a, f64, |a| trunc!(a, -9223372036854777856.0f64, 9223372036854775808.0f64, i64);
    i64_trunc_f64_u, i64_trunc_f64_u_a, f64, |a| trunc!(a, -1.0f64, 18446744073709551616.0f64, u64);
}

// ---------------------------------------------------------------------------
// Branches
// ---------------------------------------------------------------------------

/// `[br, target]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn br(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    next!(target!(ip, 1), fp, mem, len, ctx, acc, facc)
}

/// `[br_table, index, n, target_0, .., target_{n-1}, default]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn br_table(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let i = (slot!(fp, ip, 1) as u32 as u64).min(imm!(ip, 2));
    next!(target!(ip, 3 + i as usize), fp, mem, len, ctx, acc, facc)
}

/// `[op, (a, b), target]` and `[op, (a), imm, target]`: branch if the comparison holds.
macro_rules! br_cmp {
    ($($ss:ident, $si:ident, $as:ident, $ai:ident, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        br_cmp!(@one $ss, $t, |$a, $b| $e, s0, s1, 2);
        br_cmp!(@one $si, $t, |$a, $b| $e, s0, imm, 3);
        br_cmp!(@one $as, $t, |$a, $b| $e, acc, s1, 2);
        br_cmp!(@one $ai, $t, |$a, $b| $e, acc, imm, 3);
    )*};
    (@one $name:ident, $t:ty, |$a:ident, $b:ident| $e:expr, $x:ident, $y:ident, $target:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $a = operand!($x, $t, fp, ip, acc, facc);
            let $b = operand!($y, $t, fp, ip, acc, facc);
            if $e {
                next!(target!(ip, $target), fp, mem, len, ctx, acc, facc)
            }
            next!(ip.add($target + 1), fp, mem, len, ctx, acc, facc)
        }
    };
}

br_cmp! {
    br_i32_eq_ss, br_i32_eq_si, br_i32_eq_as, br_i32_eq_ai, u32, |a, b| a == b;
    br_i32_ne_ss, br_i32_ne_si, br_i32_ne_as, br_i32_ne_ai, u32, |a, b| a != b;
    br_i32_lt_s_ss, br_i32_lt_s_si, br_i32_lt_s_as, br_i32_lt_s_ai, i32, |a, b| a < b;
    br_i32_lt_u_ss, br_i32_lt_u_si, br_i32_lt_u_as, br_i32_lt_u_ai, u32, |a, b| a < b;
    br_i32_gt_s_ss, br_i32_gt_s_si, br_i32_gt_s_as, br_i32_gt_s_ai, i32, |a, b| a > b;
    br_i32_gt_u_ss, br_i32_gt_u_si, br_i32_gt_u_as, br_i32_gt_u_ai, u32, |a, b| a > b;
    br_i32_le_s_ss, br_i32_le_s_si, br_i32_le_s_as, br_i32_le_s_ai, i32, |a, b| a <= b;
    br_i32_le_u_ss, br_i32_le_u_si, br_i32_le_u_as, br_i32_le_u_ai, u32, |a, b| a <= b;
    br_i32_ge_s_ss, br_i32_ge_s_si, br_i32_ge_s_as, br_i32_ge_s_ai, i32, |a, b| a >= b;
    br_i32_ge_u_ss, br_i32_ge_u_si, br_i32_ge_u_as, br_i32_ge_u_ai, u32, |a, b| a >= b;
    br_i32_and_ss, br_i32_and_si, br_i32_and_as, br_i32_and_ai, u32, |a, b| a & b != 0;
    br_i32_nand_ss, br_i32_nand_si, br_i32_nand_as, br_i32_nand_ai, u32, |a, b| a & b == 0;
    br_i32_bit_ss, br_i32_bit_si, br_i32_bit_as, br_i32_bit_ai, u32, |a, b| (1 << (a & 31)) & b != 0;
    br_i32_nbit_ss, br_i32_nbit_si, br_i32_nbit_as, br_i32_nbit_ai, u32, |a, b| (1 << (a & 31)) & b == 0;
    br_i32_inset_ss, br_i32_inset_si, br_i32_inset_as, br_i32_inset_ai, u32, |a, b| in_set(a, b);
    br_i32_ninset_ss, br_i32_ninset_si, br_i32_ninset_as, br_i32_ninset_ai, u32, |a, b| !in_set(a, b);
    br_i64_eq_ss, br_i64_eq_si, br_i64_eq_as, br_i64_eq_ai, u64, |a, b| a == b;
    br_i64_ne_ss, br_i64_ne_si, br_i64_ne_as, br_i64_ne_ai, u64, |a, b| a != b;
    br_i64_lt_s_ss, br_i64_lt_s_si, br_i64_lt_s_as, br_i64_lt_s_ai, i64, |a, b| a < b;
    br_i64_lt_u_ss, br_i64_lt_u_si, br_i64_lt_u_as, br_i64_lt_u_ai, u64, |a, b| a < b;
    br_i64_gt_s_ss, br_i64_gt_s_si, br_i64_gt_s_as, br_i64_gt_s_ai, i64, |a, b| a > b;
    br_i64_gt_u_ss, br_i64_gt_u_si, br_i64_gt_u_as, br_i64_gt_u_ai, u64, |a, b| a > b;
    br_i64_le_s_ss, br_i64_le_s_si, br_i64_le_s_as, br_i64_le_s_ai, i64, |a, b| a <= b;
    br_i64_le_u_ss, br_i64_le_u_si, br_i64_le_u_as, br_i64_le_u_ai, u64, |a, b| a <= b;
    br_i64_ge_s_ss, br_i64_ge_s_si, br_i64_ge_s_as, br_i64_ge_s_ai, i64, |a, b| a >= b;
    br_i64_ge_u_ss, br_i64_ge_u_si, br_i64_ge_u_as, br_i64_ge_u_ai, u64, |a, b| a >= b;
}

br_cmp! {
    br_f32_eq_ss, br_f32_eq_si, br_f32_eq_as, br_f32_eq_ai, f32, |a, b| a == b;
    br_f32_ne_ss, br_f32_ne_si, br_f32_ne_as, br_f32_ne_ai, f32, |a, b| a != b;
    br_f32_lt_ss, br_f32_lt_si, br_f32_lt_as, br_f32_lt_ai, f32, |a, b| a < b;
    br_f32_gt_ss, br_f32_gt_si, br_f32_gt_as, br_f32_gt_ai, f32, |a, b| a > b;
    br_f32_le_ss, br_f32_le_si, br_f32_le_as, br_f32_le_ai, f32, |a, b| a <= b;
    br_f32_ge_ss, br_f32_ge_si, br_f32_ge_as, br_f32_ge_ai, f32, |a, b| a >= b;
    br_f32_not_lt_ss, br_f32_not_lt_si, br_f32_not_lt_as, br_f32_not_lt_ai, f32, |a, b| !(a < b);
    br_f32_not_gt_ss, br_f32_not_gt_si, br_f32_not_gt_as, br_f32_not_gt_ai, f32, |a, b| !(a > b);
    br_f32_not_le_ss, br_f32_not_le_si, br_f32_not_le_as, br_f32_not_le_ai, f32, |a, b| !(a <= b);
    br_f32_not_ge_ss, br_f32_not_ge_si, br_f32_not_ge_as, br_f32_not_ge_ai, f32, |a, b| !(a >= b);
    br_f64_eq_ss, br_f64_eq_si, br_f64_eq_as, br_f64_eq_ai, f64, |a, b| a == b;
    br_f64_ne_ss, br_f64_ne_si, br_f64_ne_as, br_f64_ne_ai, f64, |a, b| a != b;
    br_f64_lt_ss, br_f64_lt_si, br_f64_lt_as, br_f64_lt_ai, f64, |a, b| a < b;
    br_f64_gt_ss, br_f64_gt_si, br_f64_gt_as, br_f64_gt_ai, f64, |a, b| a > b;
    br_f64_le_ss, br_f64_le_si, br_f64_le_as, br_f64_le_ai, f64, |a, b| a <= b;
    br_f64_ge_ss, br_f64_ge_si, br_f64_ge_as, br_f64_ge_ai, f64, |a, b| a >= b;
    br_f64_not_lt_ss, br_f64_not_lt_si, br_f64_not_lt_as, br_f64_not_lt_ai, f64, |a, b| !(a < b);
    br_f64_not_gt_ss, br_f64_not_gt_si, br_f64_not_gt_as, br_f64_not_gt_ai, f64, |a, b| !(a > b);
    br_f64_not_le_ss, br_f64_not_le_si, br_f64_not_le_as, br_f64_not_le_ai, f64, |a, b| !(a <= b);
    br_f64_not_ge_ss, br_f64_not_ge_si, br_f64_not_ge_as, br_f64_not_ge_ai, f64, |a, b| !(a >= b);
}

/// `[add_si2, (d1, a1), k1, add_si, (d2, a2), k2]`: two `i32_add_si` in a
/// row, in order (cell 3 is the second's own handler, skipped here).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_add_si2(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    pslot!(fp, ip, 1, 0) = (pslot!(fp, ip, 1, 1) as u32).wrapping_add(imm!(ip, 2) as u32) as u64;
    let r = (pslot!(fp, ip, 4, 1) as u32).wrapping_add(imm!(ip, 5) as u32) as u64;
    pslot!(fp, ip, 4, 0) = r;
    next!(ip.add(6), fp, mem, len, ctx, r, facc)
}

/// Read-modify-write of memory (`*p = *p op b`, a `+=` on a field):
/// `[op, (addr, b), end]` (`_s`: `b` a slot) or `[op, (addr), imm, end]`
/// (`_i`: a constant), `end` the offset plus the access width as for loads.
/// One bounds check covers the load and the store of the same bytes.
macro_rules! rmw {
    ($($s:ident, $i:ident, $m:ty, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        rmw!(@one $s, $m, $t, |$a, $b| $e, slot, 2);
        rmw!(@one $i, $m, $t, |$a, $b| $e, imm, 3);
    )*};
    (@one $name:ident, $m:ty, $t:ty, |$a:ident, $b:ident| $e:expr, $bk:ident, $off:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let p = access!($m, mem, len, ctx, pslot!(fp, ip, 1, 0) as u32 as u64 + imm!(ip, $off));
            let $a = <$t>::from_slot(<$m>::from_le(p.read_unaligned()) as u64);
            let $b = <$t>::from_slot(rmw!(@b $bk, fp, ip));
            let v: $t = $e;
            p.write_unaligned((SlotVal::to_slot(v) as $m).to_le());
            next!(ip.add($off + 1), fp, mem, len, ctx, acc, facc)
        }
    };
    (@b slot, $fp:ident, $ip:ident) => { pslot!($fp, $ip, 1, 1) };
    (@b imm, $fp:ident, $ip:ident) => { imm!($ip, 2) };
}

rmw! {
    i32_add_rmw_s, i32_add_rmw_i, u32, u32, |a, b| a.wrapping_add(b);
    i32_sub_rmw_s, i32_sub_rmw_i, u32, u32, |a, b| a.wrapping_sub(b);
    i64_add_rmw_s, i64_add_rmw_i, u64, u64, |a, b| a.wrapping_add(b);
    i64_sub_rmw_s, i64_sub_rmw_i, u64, u64, |a, b| a.wrapping_sub(b);
    f64_add_rmw_s, f64_add_rmw_i, u64, f64, |a, b| a + b;
    f64_sub_rmw_s, f64_sub_rmw_i, u64, f64, |a, b| a - b;
    f64_mul_rmw_s, f64_mul_rmw_i, u64, f64, |a, b| a * b;
}

/// `[f64_mul_rsub_rmw, (addr, a, b), end]`: `*p = *p - a * b` (`p` at `addr
/// + end - 8`, one bounds check), rounding twice as the multiply and the
/// subtract do: an `f64.load`, an `f64_mul_rsub` of it and the store back to
/// the same place (nbody's `v -= d * mag`, `Translator::mul_rsub_rmw`).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn f64_mul_rsub_rmw(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let p = access!(u64, mem, len, ctx, pslot!(fp, ip, 1, 0) as u32 as u64 + imm!(ip, 2));
    let x = f64::from_bits(u64::from_le(p.read_unaligned()));
    let v = x - f64::from_bits(pslot!(fp, ip, 1, 1)) * f64::from_bits(pslot!(fp, ip, 1, 2));
    p.write_unaligned(v.to_bits().to_le());
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// `[op, (dst, x, y), k]` with `k` a constant: `dst = x + (y << k)`
/// (wrapping i32; an index scaled into an address), `dst = x ^ (y >> k)`
/// (unsigned shift: hash and CRC steps) or `dst = x & rotl(k, y)` (`!(1 << y)`
/// is `rotl(-2, y)`: a bit clear). Shift and rotate counts are taken mod 32.
/// The `_a` forms take `y` from the accumulator.
macro_rules! op_shifted {
    ($($name:ident, $y:ident, $t:ty, |$x:ident, $s:ident, $k:ident| $e:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
            let $x = <$t>::from_slot(pslot!(fp, ip, 1, 1));
            let $s = operand!($y, $t, fp, ip, acc, facc);
            let $k = imm!(ip, 2) as u32;
            let v: $t = $e;
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            SlotVal::set_acc(v, &mut acc, &mut facc);
            next!(ip.add(3), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

op_shifted! {
    i32_add_shl_s, s2, u32, |x, y, k| x.wrapping_add(y << (k & 31));
    i32_add_shl_a, acc, u32, |x, y, k| x.wrapping_add(y << (k & 31));
    i32_xor_shr_u_s, s2, u32, |x, y, k| x ^ (y >> (k & 31));
    i32_xor_shr_u_a, acc, u32, |x, y, k| x ^ (y >> (k & 31));
    i32_and_rotl_s, s2, u32, |x, y, k| x & k.rotate_left(y);
    i32_and_rotl_a, acc, u32, |x, y, k| x & k.rotate_left(y);
    i64_add_shr_u_s, s2, u64, |x, y, k| x.wrapping_add(y >> (k & 63));
    i64_add_shr_u_a, acc, u64, |x, y, k| x.wrapping_add(y >> (k & 63));
}

/// `[op, (dst, a, b), (x)]`: `dst = x + (a <op> b)` (wrapping i32), the
/// `i32.add` of a compare's value, as a branchless count compiles
/// (`n += (a < b) as usize`). `ADD_CMP` pairs each with the compare's `_ss`
/// handler.
macro_rules! add_cmp {
    ($($name:ident, $cmp:ident, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {
        $(
            #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
            pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, mut acc: u64, mut facc: f64) -> Ip {
                let $a = <$t>::from_slot(pslot!(fp, ip, 1, 1));
                let $b = <$t>::from_slot(pslot!(fp, ip, 1, 2));
                let x = <u32>::from_slot(pslot!(fp, ip, 2, 0));
                let v = x.wrapping_add(($e) as u32);
                pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
                SlotVal::set_acc(v, &mut acc, &mut facc);
                next!(ip.add(3), fp, mem, len, ctx, acc, facc)
            }
        )*
        /// `(compare, fused add)` pairs.
        pub(crate) const ADD_CMP: &[(crate::exec::Handler, crate::exec::Handler)] = &[$(($cmp, $name)),*];
    };
}

add_cmp! {
    i32_add_eq_ss, i32_eq_ss, u32, |a, b| a == b;
    i32_add_ne_ss, i32_ne_ss, u32, |a, b| a != b;
    i32_add_lt_s_ss, i32_lt_s_ss, i32, |a, b| a < b;
    i32_add_lt_u_ss, i32_lt_u_ss, u32, |a, b| a < b;
    i32_add_gt_s_ss, i32_gt_s_ss, i32, |a, b| a > b;
    i32_add_gt_u_ss, i32_gt_u_ss, u32, |a, b| a > b;
    i32_add_i64_eq_ss, i64_eq_ss, u64, |a, b| a == b;
    i32_add_i64_ne_ss, i64_ne_ss, u64, |a, b| a != b;
    i32_add_i64_lt_s_ss, i64_lt_s_ss, i64, |a, b| a < b;
    i32_add_i64_lt_u_ss, i64_lt_u_ss, u64, |a, b| a < b;
    i32_add_i64_gt_s_ss, i64_gt_s_ss, i64, |a, b| a > b;
    i32_add_i64_gt_u_ss, i64_gt_u_ss, u64, |a, b| a > b;
}

/// `[op, (dst, a), c]`: `dst = c / (a as f64)`, the `f64.div` of a constant
/// by the conversion of an integer operand (`1.0 / n as f64`) in one
/// handler; the `_a` forms take `a` from the accumulator.
macro_rules! div_converted {
    ($($name:ident, $acc_name:ident, $t:ty, $conv:ident, $conv_acc:ident;)*) => {
        $(
            div_converted!(@one $name, s1, $t);
            div_converted!(@one $acc_name, acc, $t);
        )*
        /// `(conversion, its accumulator form, fused, fused accumulator form)`.
        pub(crate) const DIV_CONVERTED: &[(crate::exec::Handler, crate::exec::Handler, crate::exec::Handler, crate::exec::Handler)] =
            &[$(($conv, $conv_acc, $name, $acc_name)),*];
    };
    (@one $name:ident, $src:ident, $t:ty) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, _facc: f64) -> Ip {
            let c = f64::from_slot(imm!(ip, 2));
            let a = operand!($src, $t, fp, ip, acc, _facc);
            let v = c / (a as f64);
            pslot!(fp, ip, 1, 0) = SlotVal::to_slot(v);
            next!(ip.add(3), fp, mem, len, ctx, acc, v)
        }
    };
}

div_converted! {
    f64_div_i_convert_i32_s, f64_div_i_convert_i32_s_a, i32, f64_convert_i32_s, f64_convert_i32_s_a;
    f64_div_i_convert_i32_u, f64_div_i_convert_i32_u_a, u32, f64_convert_i32_u, f64_convert_i32_u_a;
    f64_div_i_convert_i64_s, f64_div_i_convert_i64_s_a, i64, f64_convert_i64_s, f64_convert_i64_s_a;
    f64_div_i_convert_i64_u, f64_div_i_convert_i64_u_a, u64, f64_convert_i64_u, f64_convert_i64_u_a;
}

/// A loop counter's update and its compare-and-branch in one handler:
/// `local = a + inc` (wrapping, i32 or i64: `$u`), then branch if
/// `local <op> b`.
/// `[op, (local, a, inc), b, target]` with `inc` a slot (`s?`) or
/// `[op, (local, a), inc, b, target]` with `inc` a constant (`i?`); `b` is a
/// slot (`?s`, `(b)` packed) or a constant (`?i`). `b` is read after the
/// local is written, as the separate instructions would.
macro_rules! ctr_br {
    ($($ss:ident, $si:ident, $is:ident, $ii:ident, $forms:ident, $u:ty, $t:ty, |$a:ident, $b:ident| $e:expr;)*) => {$(
        ctr_br!(@one $ss, $u, $t, |$a, $b| $e, slot, slot, 3);
        ctr_br!(@one $si, $u, $t, |$a, $b| $e, slot, imm, 3);
        ctr_br!(@one $is, $u, $t, |$a, $b| $e, imm, slot, 4);
        ctr_br!(@one $ii, $u, $t, |$a, $b| $e, imm, imm, 4);
        /// The four forms, in the order `[ss, si, is, ii]`.
        pub(crate) const $forms: [crate::exec::Handler; 4] = [$ss, $si, $is, $ii];
    )*};
    // With `; $then`: continues in handler `$then` (a direct call) when the
    // branch is not taken (see `CTR_THEN_BIT`).
    (@one $name:ident, $u:ty, $t:ty, |$a:ident, $b:ident| $e:expr, $inc:ident, $bk:ident, $target:expr $(; $then:ident)?) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let r = (pslot!(fp, ip, 1, 1) as $u).wrapping_add(ctr_br!(@inc $inc, fp, ip) as $u);
            pslot!(fp, ip, 1, 0) = r as u64;
            let $a = r as $t;
            let $b = ctr_br!(@b $bk, fp, ip, $target) as $u as $t;
            if $e {
                next!(target!(ip, $target), fp, mem, len, ctx, acc, facc)
            }
            next!(ip.add($target + 1), fp, mem, len, ctx, acc, facc $(; $then)?)
        }
    };
    (@inc slot, $fp:ident, $ip:ident) => { pslot!($fp, $ip, 1, 2) };
    (@inc imm, $fp:ident, $ip:ident) => { imm!($ip, 2) };
    (@b slot, $fp:ident, $ip:ident, $target:expr) => { pslot!($fp, $ip, $target - 1, 0) };
    (@b imm, $fp:ident, $ip:ident, $target:expr) => { imm!($ip, $target - 1) };
}

ctr_br! {
    ctr_eq_ss, ctr_eq_si, ctr_eq_is, ctr_eq_ii, CTR_EQ, u32, u32, |a, b| a == b;
    ctr_ne_ss, ctr_ne_si, ctr_ne_is, ctr_ne_ii, CTR_NE, u32, u32, |a, b| a != b;
    ctr_lt_s_ss, ctr_lt_s_si, ctr_lt_s_is, ctr_lt_s_ii, CTR_LT_S, u32, i32, |a, b| a < b;
    ctr_lt_u_ss, ctr_lt_u_si, ctr_lt_u_is, ctr_lt_u_ii, CTR_LT_U, u32, u32, |a, b| a < b;
    ctr_gt_s_ss, ctr_gt_s_si, ctr_gt_s_is, ctr_gt_s_ii, CTR_GT_S, u32, i32, |a, b| a > b;
    ctr_gt_u_ss, ctr_gt_u_si, ctr_gt_u_is, ctr_gt_u_ii, CTR_GT_U, u32, u32, |a, b| a > b;
    ctr_le_s_ss, ctr_le_s_si, ctr_le_s_is, ctr_le_s_ii, CTR_LE_S, u32, i32, |a, b| a <= b;
    ctr_le_u_ss, ctr_le_u_si, ctr_le_u_is, ctr_le_u_ii, CTR_LE_U, u32, u32, |a, b| a <= b;
    ctr_ge_s_ss, ctr_ge_s_si, ctr_ge_s_is, ctr_ge_s_ii, CTR_GE_S, u32, i32, |a, b| a >= b;
    ctr_ge_u_ss, ctr_ge_u_si, ctr_ge_u_is, ctr_ge_u_ii, CTR_GE_U, u32, u32, |a, b| a >= b;
    ctr64_eq_ss, ctr64_eq_si, ctr64_eq_is, ctr64_eq_ii, CTR64_EQ, u64, u64, |a, b| a == b;
    ctr64_ne_ss, ctr64_ne_si, ctr64_ne_is, ctr64_ne_ii, CTR64_NE, u64, u64, |a, b| a != b;
    ctr64_lt_s_ss, ctr64_lt_s_si, ctr64_lt_s_is, ctr64_lt_s_ii, CTR64_LT_S, u64, i64, |a, b| a < b;
    ctr64_lt_u_ss, ctr64_lt_u_si, ctr64_lt_u_is, ctr64_lt_u_ii, CTR64_LT_U, u64, u64, |a, b| a < b;
    ctr64_gt_s_ss, ctr64_gt_s_si, ctr64_gt_s_is, ctr64_gt_s_ii, CTR64_GT_S, u64, i64, |a, b| a > b;
    ctr64_gt_u_ss, ctr64_gt_u_si, ctr64_gt_u_is, ctr64_gt_u_ii, CTR64_GT_U, u64, u64, |a, b| a > b;
    ctr64_le_s_ss, ctr64_le_s_si, ctr64_le_s_is, ctr64_le_s_ii, CTR64_LE_S, u64, i64, |a, b| a <= b;
    ctr64_le_u_ss, ctr64_le_u_si, ctr64_le_u_is, ctr64_le_u_ii, CTR64_LE_U, u64, u64, |a, b| a <= b;
    ctr64_ge_s_ss, ctr64_ge_s_si, ctr64_ge_s_is, ctr64_ge_s_ii, CTR64_GE_S, u64, i64, |a, b| a >= b;
    ctr64_ge_u_ss, ctr64_ge_u_si, ctr64_ge_u_is, ctr64_ge_u_ii, CTR64_GE_U, u64, u64, |a, b| a >= b;
}

/// A counted loop whose whole body is one `ctr_ne`/`ctr64_ne` instruction
/// branching back to itself (`loop (br_if 0 (local.tee $n (n - 1))))`): the
/// cells and fields are the `ctr_br!` forms', with `a` the counter itself.
/// The cell's handler (`*_loop`) reads the counter from its slot and runs
/// the rounds in `*_again`, which takes the counter from the accumulator
/// (where the previous round left it) instead of reloading the slot it just
/// stored, so the rounds are not chained through a store and a load. Every
/// round still writes the slot, as the plain handler would. The accumulator
/// after the loop is not the one before it; the translator assumes nothing
/// of it after a counter branch (nor at the loop's label). In the loop
/// dispatcher each round starts at the cell's `*_loop` handler again.
macro_rules! ctr_self_loop {
    ($($first:ident, $again:ident, $u:ty, $inc:ident, $bk:ident, $target:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $first(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            next!(ip, fp, mem, len, ctx, pslot!(fp, ip, 1, 1), facc; $again)
        }
        /// A round: the accumulator holds the counter.
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        unsafe fn $again(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let r = (acc as $u).wrapping_add(ctr_br!(@inc $inc, fp, ip) as $u);
            pslot!(fp, ip, 1, 0) = r as u64;
            if r != ctr_br!(@b $bk, fp, ip, $target) as $u {
                next_again!(ip, fp, mem, len, ctx, r as u64, facc; $again)
            }
            next!(ip.add($target + 1), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

ctr_self_loop! {
    ctr_ne_ss_loop, ctr_ne_ss_again, u32, slot, slot, 3;
    ctr_ne_si_loop, ctr_ne_si_again, u32, slot, imm, 3;
    ctr_ne_is_loop, ctr_ne_is_again, u32, imm, slot, 4;
    ctr_ne_ii_loop, ctr_ne_ii_again, u32, imm, imm, 4;
    ctr64_ne_ss_loop, ctr64_ne_ss_again, u64, slot, slot, 3;
    ctr64_ne_si_loop, ctr64_ne_si_again, u64, slot, imm, 3;
    ctr64_ne_is_loop, ctr64_ne_is_again, u64, imm, slot, 4;
    ctr64_ne_ii_loop, ctr64_ne_ii_again, u64, imm, imm, 4;
}

/// The `*_loop` handlers of `CTR_NE` and `CTR64_NE`, in the same order.
pub(crate) const CTR_NE_LOOP: [crate::exec::Handler; 4] =
    [ctr_ne_ss_loop, ctr_ne_si_loop, ctr_ne_is_loop, ctr_ne_ii_loop];
pub(crate) const CTR64_NE_LOOP: [crate::exec::Handler; 4] =
    [ctr64_ne_ss_loop, ctr64_ne_si_loop, ctr64_ne_is_loop, ctr64_ne_ii_loop];

/// `[op, cond, target]`; the `_a` form tests the accumulator (cell 1 unused).
macro_rules! br_test {
    ($($name:ident, $acc_name:ident, $t:ty, |$a:ident| $e:expr;)*) => {$(
        br_test!(@one $name, $t, |$a| $e, slot);
        br_test!(@one $acc_name, $t, |$a| $e, acc);
    )*};
    (@one $name:ident, $t:ty, |$a:ident| $e:expr, $src:ident) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $a: $t = br_test!(@src $src, $t, fp, ip, acc, facc);
            if $e {
                next!(target!(ip, 2), fp, mem, len, ctx, acc, facc)
            }
            next!(ip.add(3), fp, mem, len, ctx, acc, facc)
        }
    };
    (@src slot, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_slot(slot!($fp, $ip, 1))
    };
    (@src acc, $t:ty, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        <$t>::from_acc($acc, $facc)
    };
}

br_test! {
    br_nez_i32, br_nez_i32_a, u32, |a| a != 0;
    br_eqz_i32, br_eqz_i32_a, u32, |a| a == 0;
    br_nez_i64, br_nez_i64_a, u64, |a| a != 0;
    br_eqz_i64, br_eqz_i64_a, u64, |a| a == 0;
}

// ---------------------------------------------------------------------------
// Calls and returns
// ---------------------------------------------------------------------------

#[cold]
#[inline(never)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn compile_cold(fc: *const FuncCode, ctx: *mut Ctx) -> Option<Ip> {
    let module = &*(*fc).module;
    let def = ((*fc).index - module.num_imported_funcs) as usize;
    match module.compiled(def) {
        Ok(c) => Some(c.entry()),
        Err(e) => {
            (*ctx).fail(e);
            None
        }
    }
}

#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn code_of(fc: *const FuncCode, ctx: *mut Ctx) -> Option<Ip> {
    match (*fc).compiled.get() {
        Some(c) => Some(c.entry()),
        None => compile_cold(fc, ctx),
    }
}

#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn switch_instance(ctx: *mut Ctx, inst: *mut InstanceData) -> (Mem, usize) {
    (*ctx).inst = inst;
    (*ctx).globals = (*inst).globals.as_ptr();
    (*ctx).memory()
}

/// `[call, func_code, arg_base]`: call of a function defined in the same module.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn call(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let fc: *const FuncCode = target!(ip, 1).cast();
    let Some(compiled) = (*fc).compiled.get() else {
        // Not translated yet: a separate handler does it, so this hot one
        // needs no stack frame of its own.
        next!(ip, fp, mem, len, ctx, acc, facc; call_translate)
    };
    let code = compiled.entry();
    let c = &mut *ctx;
    if c.frame_sp >= c.frame_end {
        trap!(ctx, TrapCode::StackOverflow);
    }
    *c.frame_sp = Frame { ret_ip: ip.add(3), fp, inst: c.inst, callee: fc };
    c.frame_sp = c.frame_sp.add(1);
    // The accumulator is dead across calls (the translator never relies on
    // it after one): passing 0 frees its register for this handler's work.
    let _ = acc;
    next_reload!(code, fp.add(imm!(ip, 2) as usize), mem, len, ctx, 0, facc)
}

/// Translates the callee of the `call` cell at `ip`, then runs that cell again.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn call_translate(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    if compile_cold(target!(ip, 1).cast(), ctx).is_none() {
        return std::ptr::null();
    }
    next!(ip, fp, mem, len, ctx, acc, facc)
}

/// Prepares a call of store function `func` with its frame at `fp + arg_base`,
/// resuming at `ret`: returns the registers to continue with, or `None` after
/// recording a trap or error in `ctx`. Host functions run right here.
#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn call_func(
    ret: Ip,
    fp: Fp,
    arg_base: usize,
    func: u32,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
) -> Option<(Ip, Fp, Mem, usize)> {
    let new_fp = fp.add(arg_base);
    match &store(ctx).funcs[func as usize] {
        FuncEntity::Wasm { inst, code: fc, .. } => {
            let (inst, fc) = (*inst, *fc);
            if (*ctx).frame_sp >= (*ctx).frame_end {
                (*ctx).trap = Some(TrapCode::StackOverflow);
                return None;
            }
            let code = code_of(fc, ctx)?;
            let c = &mut *ctx;
            *c.frame_sp = Frame { ret_ip: ret, fp, inst: c.inst, callee: fc };
            c.frame_sp = c.frame_sp.add(1);
            if inst != c.inst {
                let (mem, len) = switch_instance(ctx, inst);
                return Some((code, new_fp, mem, len));
            }
            Some((code, new_fp, mem, len))
        }
        FuncEntity::Host { host, slots, .. } => {
            let (mem, len) = call_host(ctx, *host, new_fp, *slots as usize);
            if mem.is_null() {
                return None;
            }
            Some((ret, fp, mem, len))
        }
    }
}

/// Runs host function `host` on the `n` slots at `args`. Returns the reloaded
/// memory registers, or a null base after recording a trap or error.
///
/// Kept out of line: the host call's result lives in a stack temporary whose
/// address escapes, which would stop the calling handler's tail call.
#[inline(never)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn call_host(ctx: *mut Ctx, host: u32, args: Fp, n: usize) -> (Mem, usize) {
    if args.add(n) > (*ctx).stack_end || native_sp() < (*ctx).native_limit {
        (*ctx).trap = Some(TrapCode::StackOverflow);
        return (std::ptr::null_mut(), 0);
    }
    let st = store(ctx);
    let saved = (st.stack_top, st.frames_top);
    st.stack_top = args.offset_from((*ctx).stack_base) as usize + n;
    st.frames_top = (*ctx).frame_sp.offset_from((*ctx).frames) as usize;
    let r = Ctx::call_host(ctx, host, args, n);
    let st = store(ctx);
    st.stack_top = saved.0;
    st.frames_top = saved.1;
    if let Err(e) = r {
        (*ctx).fail(e);
        return (std::ptr::null_mut(), 0);
    }
    let (mem, len) = (*ctx).memory();
    // A memory of length 0 still has a non-null (dangling) base.
    (mem, len)
}

/// `[call_import, func_index, arg_base]`: call of an imported function.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn call_import(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    let func = *inst(ctx).funcs.get_unchecked(imm!(ip, 1) as usize);
    match call_func(ip.add(3), fp, imm!(ip, 2) as usize, func, mem, len, ctx) {
        // Accumulator dead across calls (see `call`).
        Some((ip, fp, mem, len)) => next_reload!(ip, fp, mem, len, ctx, 0, facc),
        None => std::ptr::null(),
    }
}

/// `[call_indirect, type_id, table, arg_base, index_slot]` (`call_indirect0`:
/// of table 0, read from `InstanceData::table0`).
///
/// The common case, a translated wasm function of the running instance, is
/// done from the table element's call record (`store::Elem`) alone: bounds
/// check, then one 32-byte record whose key must equal this call site's
/// (`InstanceData::call_key` + type id). Everything else (null, host
/// functions, other instances, functions not translated yet, and a signature
/// mismatch) has another key and goes to `call_indirect_slow`.
macro_rules! call_indirect {
    ($($name:ident, |$inst:ident, $ip:ident| $table:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let inst = (*ctx).inst;
            let table: &crate::runtime::store::TableEntity = {
                let ($inst, $ip) = (inst, ip);
                let _ = $ip;
                &*$table
            };
            let i = slot!(fp, ip, 4) as u32 as usize;
            let Some(e) = table.elems.get(i) else { trap!(ctx, TrapCode::UndefinedElement) };
            if e.key != (*inst).call_key.wrapping_add(imm!(ip, 1)) {
                next!(ip, fp, mem, len, ctx, acc, facc; call_indirect_slow)
            }
            // A matching key: a translated wasm function of this instance and type.
            let (code, fc) = (e.code, e.fc);
            let c = &mut *ctx;
            if c.frame_sp >= c.frame_end {
                trap!(ctx, TrapCode::StackOverflow);
            }
            *c.frame_sp = Frame { ret_ip: ip.add(5), fp, inst, callee: fc };
            c.frame_sp = c.frame_sp.add(1);
            // Accumulator dead across calls (see `call`).
            next_reload!(code, fp.add(imm!(ip, 3) as usize), mem, len, ctx, 0, facc)
        }
    )*};
}

call_indirect! {
    call_indirect, |inst, ip| {
        let tables = &(*inst).tables;
        *tables.get_unchecked(imm!(ip, 2) as usize)
    };
    call_indirect0, |inst, ip| (*inst).table0;
}

/// `call_indirect` of a null element, a host function, a function of another
/// instance or type, or one not translated yet (the index was checked by
/// `call_indirect`): traps as the spec says, or translates the callee if
/// needed and completes the element's call record (so the next call through
/// it takes the fast path), then calls.
/// Never inlined: its stack frame would become the fast path's.
#[inline(never)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn call_indirect_slow(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    let table = *inst(ctx).tables.get_unchecked(imm!(ip, 2) as usize);
    let i = slot!(fp, ip, 4) as u32 as usize;
    let raw = (&(*table).elems)[i].raw;
    if raw == 0 {
        trap!(ctx, TrapCode::IndirectCallToNull);
    }
    let func = (raw - 1) as u32;
    let (ty, fc) = match &store(ctx).funcs[func as usize] {
        FuncEntity::Wasm { type_id, code, .. } => (*type_id, *code),
        FuncEntity::Host { type_id, .. } => (*type_id, std::ptr::null()),
    };
    if ty as u64 != imm!(ip, 1) {
        trap!(ctx, TrapCode::BadSignature);
    }
    if !fc.is_null() {
        if (*fc).compiled.get().is_none() && compile_cold(fc, ctx).is_none() {
            return std::ptr::null();
        }
        // Translated now: complete the record if it is not (nothing ran
        // since the element was read, so it is still at `i`).
        if (&(*table).elems)[i].key == 0 {
            let e = store(ctx).elem((*table).ty.element, raw);
            (&mut (*table).elems)[i] = e;
        }
    }
    match call_func(ip.add(5), fp, imm!(ip, 3) as usize, func, mem, len, ctx) {
        // Accumulator dead across calls (see `call`).
        Some((ip, fp, mem, len)) => next_reload!(ip, fp, mem, len, ctx, 0, facc),
        None => std::ptr::null(),
    }
}

/// `[ret]`: results are already in slots `0..n`.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn ret(_ip: Ip, _fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let c = &mut *ctx;
    c.frame_sp = c.frame_sp.sub(1);
    let f = *c.frame_sp;
    if f.inst != c.inst {
        let (mem, len) = switch_instance(ctx, f.inst);
        next_reload!(f.ret_ip, f.fp, mem, len, ctx, acc, facc)
    }
    next_reload!(f.ret_ip, f.fp, mem, len, ctx, acc, facc)
}

/// `[ret_slot, src]`: moves one result to slot 0, then returns.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn ret_slot(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    *fp = slot!(fp, ip, 1);
    next!(ip, fp, mem, len, ctx, acc, facc; ret)
}

/// `[ret_imm, value]`: returns one constant result.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn ret_imm(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    *fp = imm!(ip, 1);
    next!(ip, fp, mem, len, ctx, acc, facc; ret)
}

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

/// The address operand of a load: slot field 1 (`s1`), the accumulator
/// (`acc`), none (`abs`: the translator put the constant address into the
/// offset), or an `i32.add` folded into the access: of fields 1 and 2 (`ss`),
/// field 1 and the immediate after the cell (`si`), or the same with the
/// accumulator instead of field 1 (`as_`, `ai`). Wrapping, as `i32.add`.
macro_rules! address {
    (abs, $fp:ident, $ip:ident, $acc:ident) => {
        0u32
    };
    (s1, $fp:ident, $ip:ident, $acc:ident) => {
        pslot!($fp, $ip, 1, 1) as u32
    };
    (acc, $fp:ident, $ip:ident, $acc:ident) => {
        $acc as u32
    };
    (ss, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 1) as u32).wrapping_add(pslot!($fp, $ip, 1, 2) as u32)
    };
    (si, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 1) as u32).wrapping_add(imm!($ip, 2) as u32)
    };
    (as_, $fp:ident, $ip:ident, $acc:ident) => {
        ($acc as u32).wrapping_add(pslot!($fp, $ip, 1, 2) as u32)
    };
    (ai, $fp:ident, $ip:ident, $acc:ident) => {
        ($acc as u32).wrapping_add(imm!($ip, 2) as u32)
    };
    // A scaled index: `x + (y << k)` (`handlers::i32_add_shl_s` folded in).
    (sx, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 1) as u32).wrapping_add((pslot!($fp, $ip, 1, 2) as u32) << (imm!($ip, 2) as u32 & 31))
    };
    (sxa, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 1) as u32).wrapping_add(($acc as u32) << (imm!($ip, 2) as u32 & 31))
    };
}

/// Loads, each in nine forms (see `address!`): `[load, (dst, addr), offset]`,
/// `[load_a, (dst), offset]` and `[load_abs, (dst), constant + offset]`;
/// `[load_ss, (dst, a, b), offset]`, `[load_si, (dst, a), imm, offset]` and
/// their `_as`/`_ai` twins; `[load_sx, (dst, x, y), k, offset]` (address
/// `x + (y << k)`) and its `_sxa` twin (`y` from the accumulator). "offset"
/// is the static offset plus the access width (see `@one`). The value goes
/// to `dst` and the accumulator.
macro_rules! load {
    ($($plain:ident, $pa:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $abs:ident, $sx:ident, $sxa:ident, $m:ty, |$v:ident| $conv:expr;)*) => {$(
        load!(@all int, $plain, $pa, $ss, $si, $as, $ai, $abs, $sx, $sxa, $m, |$v| $conv);
    )*};
    // `f64.load`: the same, with the value in `facc` instead of `acc`.
    (float: $($plain:ident, $pa:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $abs:ident, $sx:ident, $sxa:ident, $m:ty, |$v:ident| $conv:expr;)*) => {$(
        load!(@all float, $plain, $pa, $ss, $si, $as, $ai, $abs, $sx, $sxa, $m, |$v| $conv);
    )*};
    (@all $res:ident, $plain:ident, $pa:ident, $ss:ident, $si:ident, $as:ident, $ai:ident, $abs:ident, $sx:ident, $sxa:ident, $m:ty, |$v:ident| $conv:expr) => {
        load!(@one $plain, $m, |$v| $conv, s1, 2, $res);
        load!(@one $abs, $m, |$v| $conv, abs, 2, $res);
        load!(@one $pa, $m, |$v| $conv, acc, 2, $res);
        load!(@one $ss, $m, |$v| $conv, ss, 2, $res);
        load!(@one $si, $m, |$v| $conv, si, 3, $res);
        load!(@one $as, $m, |$v| $conv, as_, 2, $res);
        load!(@one $ai, $m, |$v| $conv, ai, 3, $res);
        load!(@one $sx, $m, |$v| $conv, sx, 3, $res);
        load!(@one $sxa, $m, |$v| $conv, sxa, 3, $res);
    };
    (@result int, $v:ident, $acc:ident, $facc:ident) => {
        ($v, $facc)
    };
    (@result float, $v:ident, $acc:ident, $facc:ident) => {
        ($acc, f64::from_bits($v))
    };
    // With `; $then`: continues in handler `$then` by a direct call (see
    // `LOAD_THEN_BR`).
    (@one $name:ident, $m:ty, |$v:ident| $conv:expr, $addr:ident, $off:expr, $res:ident $(; $then:ident)?) => {
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            // The immediate is the static offset plus the access size.
            let end = address!($addr, fp, ip, acc) as u64 + imm!(ip, $off);
            let $v = <$m>::from_le(access!($m, mem, len, ctx, end).read_unaligned());
            let v: u64 = $conv;
            pslot!(fp, ip, 1, 0) = v;
            let (acc, facc) = load!(@result $res, v, acc, facc);
            next!(ip.add($off + 1), fp, mem, len, ctx, acc, facc $(; $then)?)
        }
    };
}

load! {
    float: f64_load, f64_load_a, f64_load_ss, f64_load_si, f64_load_as, f64_load_ai, f64_load_abs, f64_load_sx, f64_load_sxa, u64, |v| v;
}

load! {
    i32_load, i32_load_a, i32_load_ss, i32_load_si, i32_load_as, i32_load_ai, i32_load_abs, i32_load_sx, i32_load_sxa, u32, |v| v as u64;
    i64_load, i64_load_a, i64_load_ss, i64_load_si, i64_load_as, i64_load_ai, i64_load_abs, i64_load_sx, i64_load_sxa, u64, |v| v;
    i32_load8_s, i32_load8_s_a, i32_load8_s_ss, i32_load8_s_si, i32_load8_s_as, i32_load8_s_ai, i32_load8_s_abs, i32_load8_s_sx, i32_load8_s_sxa, i8, |v| v as i32 as u32 as u64;
    i32_load8_u, i32_load8_u_a, i32_load8_u_ss, i32_load8_u_si, i32_load8_u_as, i32_load8_u_ai, i32_load8_u_abs, i32_load8_u_sx, i32_load8_u_sxa, u8, |v| v as u64;
    i32_load16_s, i32_load16_s_a, i32_load16_s_ss, i32_load16_s_si, i32_load16_s_as, i32_load16_s_ai, i32_load16_s_abs, i32_load16_s_sx, i32_load16_s_sxa, i16, |v| v as i32 as u32 as u64;
    i32_load16_u, i32_load16_u_a, i32_load16_u_ss, i32_load16_u_si, i32_load16_u_as, i32_load16_u_ai, i32_load16_u_abs, i32_load16_u_sx, i32_load16_u_sxa, u16, |v| v as u64;
    i64_load8_s, i64_load8_s_a, i64_load8_s_ss, i64_load8_s_si, i64_load8_s_as, i64_load8_s_ai, i64_load8_s_abs, i64_load8_s_sx, i64_load8_s_sxa, i8, |v| v as i64 as u64;
    i64_load8_u, i64_load8_u_a, i64_load8_u_ss, i64_load8_u_si, i64_load8_u_as, i64_load8_u_ai, i64_load8_u_abs, i64_load8_u_sx, i64_load8_u_sxa, u8, |v| v as u64;
    i64_load16_s, i64_load16_s_a, i64_load16_s_ss, i64_load16_s_si, i64_load16_s_as, i64_load16_s_ai, i64_load16_s_abs, i64_load16_s_sx, i64_load16_s_sxa, i16, |v| v as i64 as u64;
    i64_load16_u, i64_load16_u_a, i64_load16_u_ss, i64_load16_u_si, i64_load16_u_as, i64_load16_u_ai, i64_load16_u_abs, i64_load16_u_sx, i64_load16_u_sxa, u16, |v| v as u64;
    i64_load32_s, i64_load32_s_a, i64_load32_s_ss, i64_load32_s_si, i64_load32_s_as, i64_load32_s_ai, i64_load32_s_abs, i64_load32_s_sx, i64_load32_s_sxa, i32, |v| v as i64 as u64;
    i64_load32_u, i64_load32_u_a, i64_load32_u_ss, i64_load32_u_si, i64_load32_u_as, i64_load32_u_ai, i64_load32_u_abs, i64_load32_u_sx, i64_load32_u_sxa, u32, |v| v as u64;
}

/// A scaled-index load whose address is also kept in a local (`p = base +
/// (i << k); ... *p ...` with the address tee'd to `p` for a later store):
/// `[sxk, (dst, x, y), k, end, (addr)]` writes `addr = x + (y << k)`, then
/// loads from it like the `_sx` form. Made by `Translator::load_fused` from
/// the `i32_add_shl_s` and the load that reads the local right after it.
macro_rules! load_keep_addr {
    ($($name:ident, $m:ty, $res:ident, |$v:ident| $conv:expr;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let a = address!(sx, fp, ip, acc);
            pslot!(fp, ip, 4, 0) = a as u64;
            let $v = <$m>::from_le(access!($m, mem, len, ctx, a as u64 + imm!(ip, 3)).read_unaligned());
            let v: u64 = $conv;
            pslot!(fp, ip, 1, 0) = v;
            let (acc, facc) = load!(@result $res, v, acc, facc);
            next!(ip.add(5), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

load_keep_addr! {
    i32_load_sxk, u32, int, |v| v as u64;
    i64_load_sxk, u64, int, |v| v;
    f64_load_sxk, u64, float, |v| v;
}

/// A bit clear of a word in memory (`words[i] &= !(1 << b)`): the cells of an
/// `i32_load_sxk` (`[h, (word, x, y), k, end, (addr)]`) and of the
/// `i32_and_rotl_s` after it (`[and_rotl, (word, word, z), c]`), whose store
/// back to `addr` was left out (`Translator::bit_clear_store`). Writes
/// `addr = x + (y << k)`, then `*addr &= rotl(c, z)` under one bounds check;
/// `z` is read after `addr` is written, as the separate instructions do.
#[allow(unused_variables)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_and_rotl_rmw_sxk(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    acc: u64,
    facc: f64,
) -> Ip {
    let a = address!(sx, fp, ip, acc);
    pslot!(fp, ip, 4, 0) = a as u64;
    let p = access!(u32, mem, len, ctx, a as u64 + imm!(ip, 3));
    let z = pslot!(fp, ip, 6, 2) as u32;
    let v = u32::from_le(p.read_unaligned()) & (imm!(ip, 7) as u32).rotate_left(z);
    p.write_unaligned(v.to_le());
    next!(ip.add(8), fp, mem, len, ctx, v as u64, facc)
}

/// A binary operation on a value just loaded from a slot address:
/// `[op_load, (dst, addr, b), offset]` is `dst = load(addr) op b` (`sum +=
/// a[i]`), one bounds check as the load's; the result goes to `dst` and the
/// accumulator (`facc` for `f64`).
///
/// The `_si` forms load from `addr + k` (`[op_load_si, (dst, addr, b), k,
/// offset]`), as a field of a struct pointed to by a local is read.
macro_rules! op_load {
    ($($name:ident, $addr:ident, $off:expr, $m:ty, |$v:ident| $conv:expr, $res:ident, |$x:ident, $y:ident| $e:expr;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let end = address!($addr, fp, ip, acc) as u64 + imm!(ip, $off);
            let $v = <$m>::from_le(access!($m, mem, len, ctx, end).read_unaligned());
            let $x: u64 = $conv;
            let $y: u64 = pslot!(fp, ip, 1, 2);
            let r: u64 = $e;
            pslot!(fp, ip, 1, 0) = r;
            let (acc, facc) = load!(@result $res, r, acc, facc);
            next!(ip.add($off + 1), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

op_load! {
    i32_add_load, s1, 2, u32, |v| v as u64, int, |x, y| (x as u32).wrapping_add(y as u32) as u64;
    i32_add_load8_u, s1, 2, u8, |v| v as u64, int, |x, y| (x as u32).wrapping_add(y as u32) as u64;
    i32_add_load16_u, s1, 2, u16, |v| v as u64, int, |x, y| (x as u32).wrapping_add(y as u32) as u64;
    i64_add_load, s1, 2, u64, |v| v, int, |x, y| x.wrapping_add(y);
    i64_add_load8_u, s1, 2, u8, |v| v as u64, int, |x, y| x.wrapping_add(y);
    i64_add_load32_u, s1, 2, u32, |v| v as u64, int, |x, y| x.wrapping_add(y);
    f64_add_load, s1, 2, u64, |v| v, float, |x, y| (f64::from_bits(x) + f64::from_bits(y)).to_bits();
    f64_load_sub, s1, 2, u64, |v| v, float, |x, y| (f64::from_bits(x) - f64::from_bits(y)).to_bits();
    f64_load_si_sub, si, 3, u64, |v| v, float, |x, y| (f64::from_bits(x) - f64::from_bits(y)).to_bits();
}

/// A linked-list search: `[i32_load_load*, (d, a, m), end1, end2]` (`m =
/// [a + k1]`, `d = [m + k2]`, the field), `[i32_and_si, (x, y), mask]` (the
/// key), `[br_i32_eq_ss or _as, (d, x in either order), found]`,
/// `[i32_load_br_nez, (a, a), end3, back here]` (`a = a->next`), i.e. `while
/// a != 0 { if a->info->field == key & mask { found } a = a->next }`, run as
/// one native loop by the first load's cell with `a` in a register and the
/// key computed once. `Translator::list_find_loop_at` checks the layout, that
/// `a` is none of the other slots written and that `y` is none of them.
/// Every round writes `m`, `d`, `x` and `a` and loads in the instructions'
/// order; the accumulator at either exit is what the separate instructions
/// leave there (the key when found, the null pointer at the end).
macro_rules! list_find_loop {
    ($name:ident, $m:ty, |$v:ident| $conv:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let (d_slot, a_slot, m_slot) = (field!(ip, 1, 0), field!(ip, 1, 1), field!(ip, 1, 2));
            let (end1, end2) = (imm!(ip, 2), imm!(ip, 3));
            let x_slot = field!(ip, 5, 0);
            let key = (*fp.add(field!(ip, 5, 1)) as u32 & imm!(ip, 6) as u32) as u64;
            let end3 = imm!(ip, 12);
            let mut a = *fp.add(a_slot) as u32;
            loop {
                let m = u32::from_le(access!(u32, mem, len, ctx, a as u64 + end1).read_unaligned());
                *fp.add(m_slot) = m as u64;
                let $v = <$m>::from_le(access!($m, mem, len, ctx, m as u64 + end2).read_unaligned());
                let d: u64 = $conv;
                *fp.add(d_slot) = d;
                *fp.add(x_slot) = key;
                if d == key {
                    next!(target!(ip, 9), fp, mem, len, ctx, key, facc)
                }
                a = u32::from_le(access!(u32, mem, len, ctx, a as u64 + end3).read_unaligned());
                *fp.add(a_slot) = a as u64;
                if a == 0 {
                    next!(ip.add(14), fp, mem, len, ctx, 0, facc)
                }
            }
        }
    };
}

/// A load from an address just loaded: `[load_load, (dst, addr, mid), end1,
/// end2]` is `mid = i32.load(addr)`, then `dst = load(mid)` (`p->q->x`),
/// each with its own bounds check and trap (`end1`, `end2`: static offset
/// plus width, as for loads); `mid` is written first, as by the two loads.
/// The second value goes to `dst` and the accumulator. Each also has a
/// linked-list search (`list_find_loop!`) started by its cell, and
/// `LIST_FIND_LOOPS` pairs the two.
macro_rules! load_load {
    ($($name:ident, $find:ident, $m:ty, |$v:ident| $conv:expr;)*) => {
        $(load_load!(@one $name, $m, |$v| $conv);)*
        $(list_find_loop!($find, $m, |$v| $conv);)*
        /// `(i32_load_load* handler, its list_find_loop)`.
        pub(crate) const LIST_FIND_LOOPS: &[(crate::exec::Handler, crate::exec::Handler)] = &[$(($name, $find)),*];
    };
    (@one $name:ident, $m:ty, |$v:ident| $conv:expr) => {
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let end = pslot!(fp, ip, 1, 1) as u32 as u64 + imm!(ip, 2);
            let p = u32::from_le(access!(u32, mem, len, ctx, end).read_unaligned());
            pslot!(fp, ip, 1, 2) = p as u64;
            let end = p as u64 + imm!(ip, 3);
            let $v = <$m>::from_le(access!($m, mem, len, ctx, end).read_unaligned());
            let v: u64 = $conv;
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add(4), fp, mem, len, ctx, v, facc)
        }
    };
}

load_load! {
    i32_load_load8_u, list_find_loop8_u, u8, |v| v as u64;
    i32_load_load8_s, list_find_loop8_s, i8, |v| v as i32 as u32 as u64;
    i32_load_load16_u, list_find_loop16_u, u16, |v| v as u64;
    i32_load_load16_s, list_find_loop16_s, i16, |v| v as i32 as u32 as u64;
}

/// A byte load whose value indexes a byte table (`table[s[i]]`, a lexer's
/// or DFA's character classes): `[i32_load8_u_ss_load8_u, (mid, a, b), end1,
/// (dst, t), end2]` is `mid = load8_u(a + b)`, then `dst = load8_u(mid + t)`,
/// each with its own bounds check (`end1`, `end2`: offset plus width); `mid`
/// is written first, as by the two loads. The second value goes to `dst` and
/// the accumulator. Made by `Translator::byte_index`.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_load8_u_ss_load8_u(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    _acc: u64,
    facc: f64,
) -> Ip {
    let end = address!(ss, fp, ip, _acc) as u64 + imm!(ip, 2);
    let m = *access!(u8, mem, len, ctx, end);
    pslot!(fp, ip, 1, 0) = m as u64;
    let end = (m as u32).wrapping_add(pslot!(fp, ip, 3, 1) as u32) as u64 + imm!(ip, 4);
    let v = *access!(u8, mem, len, ctx, end) as u64;
    pslot!(fp, ip, 3, 0) = v;
    next!(ip.add(5), fp, mem, len, ctx, v, facc)
}

/// An `i32` load from a scaled index off an address just loaded
/// (`v.ptr[i]`, with `v` a struct in memory): `[i32_load_then_load_sx,
/// (dst, addr, mid), end1, (y), k, end2]` is `mid = i32.load(addr)`, then
/// `dst = i32.load(mid + (y << k))`, each with its own bounds check (`end1`,
/// `end2`: offset plus width); `mid` is written first, as by the two loads.
/// The second value goes to `dst` and the accumulator. Made by
/// `Translator::load_then_sx`.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_load_then_load_sx(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    _acc: u64,
    facc: f64,
) -> Ip {
    let end = pslot!(fp, ip, 1, 1) as u32 as u64 + imm!(ip, 2);
    let m = u32::from_le(access!(u32, mem, len, ctx, end).read_unaligned());
    pslot!(fp, ip, 1, 2) = m as u64;
    let a = m.wrapping_add((pslot!(fp, ip, 3, 0) as u32) << (imm!(ip, 4) as u32 & 31));
    let v = u32::from_le(access!(u32, mem, len, ctx, a as u64 + imm!(ip, 5)).read_unaligned()) as u64;
    pslot!(fp, ip, 1, 0) = v;
    next!(ip.add(6), fp, mem, len, ctx, v, facc)
}

/// `c = p[i++]`: `[i32_load8_u_ss_inc, (dst, a, b), end, (l, l2), k]` is a
/// byte load of `a + b` (end: offset plus width) and the local update
/// `l = l2 + k` that came between the address add and the load. The address
/// is read before the update, as the add did, and the value written after
/// it (`dst` may be `l`). Made by `Translator::load_post_inc`.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn i32_load8_u_ss_inc(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    _acc: u64,
    facc: f64,
) -> Ip {
    let end = address!(ss, fp, ip, _acc) as u64 + imm!(ip, 2);
    let v = *access!(u8, mem, len, ctx, end) as u64;
    pslot!(fp, ip, 3, 0) = (pslot!(fp, ip, 3, 1) as u32).wrapping_add(imm!(ip, 4) as u32) as u64;
    pslot!(fp, ip, 1, 0) = v;
    next!(ip.add(5), fp, mem, len, ctx, v, facc)
}

/// `[load_br, (dst, addr), offset, target]`: an `i32` load from a slot
/// address (to `dst` and the accumulator), then a branch if the value is not
/// zero (`_nez`) or zero (`_eqz`): `while ((p = p->next))`, `if (*s)`.
macro_rules! load_br {
    ($($name:ident, $m:ty, $nez:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let end = pslot!(fp, ip, 1, 1) as u32 as u64 + imm!(ip, 2);
            let v = <$m>::from_le(access!($m, mem, len, ctx, end).read_unaligned()) as u64;
            pslot!(fp, ip, 1, 0) = v;
            if (v != 0) == $nez {
                next!(target!(ip, 3), fp, mem, len, ctx, v, facc)
            }
            next!(ip.add(4), fp, mem, len, ctx, v, facc)
        }
    )*};
}

load_br! {
    i32_load_br_nez, u32, true;
    i32_load_br_eqz, u32, false;
    i32_load8_u_br_nez, u8, true;
    i32_load8_u_br_eqz, u8, false;
}

/// Every store: `[h, operand cells.., offset]`, named by address and value
/// source. Address: slot field 0 (`plain`), an `i32.add` folded into the
/// access of fields 0 and 1 (`ss`) or of field 0 and the immediate at cell 2
/// (`si`), the accumulator (`acc`), or none (`abs`: the translator put the
/// constant address into the offset). Value: slot field 0, 1 or 2 (`f0`..),
/// the immediate at cell 1, 2 or 3 (`imm1`..), the accumulator (`int`) or
/// the bits of `facc` (`float`). `$off` is the offset's cell.
///
/// `[store, (addr, value), offset]`, `[store_imm, (addr), value, offset]`,
/// `[store_ss, (a, b, value), offset]`, `[store_si, (a, value), imm, offset]`,
/// `[store_imm_ss, (a, b), value, offset]`, `[store_imm_si, (a), imm, value, offset]`,
/// `[store_abs, (value), ea]`, `[store_abs_imm, value, ea]`; the `_v`/`_f`
/// forms have the layouts of `store`, `store_ss`, `store_si` with the value
/// field unused, `_a` the layout of `store` with the address field unused.
macro_rules! store {
    ($($name:ident, $m:ty, $addr:ident, $val:ident, $off:expr;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let addr: u32 = store!(@addr $addr, fp, ip, acc);
            // The immediate is the static offset plus the access size (see `load!`).
            let at = access!($m, mem, len, ctx, addr as u64 + imm!(ip, $off));
            let v = store!(@val $val, fp, ip, acc, facc) as $m;
            at.write_unaligned(v.to_le());
            next!(ip.add($off + 1), fp, mem, len, ctx, acc, facc)
        }
    )*};
    (@addr plain, $fp:ident, $ip:ident, $acc:ident) => {
        pslot!($fp, $ip, 1, 0) as u32
    };
    (@addr ss, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 0) as u32).wrapping_add(pslot!($fp, $ip, 1, 1) as u32)
    };
    (@addr si, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 0) as u32).wrapping_add(imm!($ip, 2) as u32)
    };
    (@addr acc, $fp:ident, $ip:ident, $acc:ident) => {
        $acc as u32
    };
    (@addr sx, $fp:ident, $ip:ident, $acc:ident) => {
        (pslot!($fp, $ip, 1, 0) as u32).wrapping_add((pslot!($fp, $ip, 1, 1) as u32).wrapping_shl(imm!($ip, 2) as u32))
    };
    (@addr abs, $fp:ident, $ip:ident, $acc:ident) => {
        0u32
    };
    (@val int, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        $acc
    };
    (@val float, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        $facc.to_bits()
    };
    (@val f0, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        pslot!($fp, $ip, 1, 0)
    };
    (@val f1, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        pslot!($fp, $ip, 1, 1)
    };
    (@val f2, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        pslot!($fp, $ip, 1, 2)
    };
    (@val imm1, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        imm!($ip, 1)
    };
    (@val imm2, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        imm!($ip, 2)
    };
    (@val imm3, $fp:ident, $ip:ident, $acc:ident, $facc:ident) => {
        imm!($ip, 3)
    };
}

/// `i32_add_si` (`[op, (dst, a), k]`) followed by the `i32_store_v` of its
/// result (`[i32_store_v, (addr), end]`, cells 3..6): both in one handler.
/// The store's cells are the store's own (`Translator::store_fused`), so a
/// branch to the store runs it alone. The address is read after the add's
/// destination is written, as the separate instructions would.
/// The `_then_<branch>` forms continue in the compare-branch right after the
/// store by a direct call (`self.pos += 1` then `while pos != len`; see
/// `Translator::add_store_then_branch`).
macro_rules! add_then_store_v {
    ($($name:ident $(, $then:ident)?;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let v = (pslot!(fp, ip, 1, 1) as u32).wrapping_add(imm!(ip, 2) as u32);
            pslot!(fp, ip, 1, 0) = v as u64;
            let s = ip.add(3);
            let addr = pslot!(fp, s, 1, 0) as u32;
            let at = access!(u32, mem, len, ctx, addr as u64 + imm!(s, 2));
            at.write_unaligned(v.to_le());
            next!(s.add(3), fp, mem, len, ctx, v as u64, facc $(; $then)?)
        }
    )*};
}

add_then_store_v! {
    i32_add_si_then_store_v;
    i32_add_si_then_store_v_then_br_i32_ne_ss, br_i32_ne_ss;
    i32_add_si_then_store_v_then_br_i32_eq_ss, br_i32_eq_ss;
    i32_add_si_then_store_v_then_br_i32_lt_u_ss, br_i32_lt_u_ss;
    i32_add_si_then_store_v_then_br_i32_ge_u_ss, br_i32_ge_u_ss;
}

/// `(compare-branch, i32_add_si_then_store_v continuing in it)`.
pub(crate) const ADD_STORE_THEN_BR: [(crate::exec::Handler, crate::exec::Handler); 4] = [
    (br_i32_ne_ss, i32_add_si_then_store_v_then_br_i32_ne_ss),
    (br_i32_eq_ss, i32_add_si_then_store_v_then_br_i32_eq_ss),
    (br_i32_lt_u_ss, i32_add_si_then_store_v_then_br_i32_lt_u_ss),
    (br_i32_ge_u_ss, i32_add_si_then_store_v_then_br_i32_ge_u_ss),
];

store! {
    i32_store, u32, plain, f1, 2;
    i32_store_imm, u32, plain, imm2, 3;
    i32_store_imm_ss, u32, ss, imm2, 3;
    i32_store_imm_si, u32, si, imm3, 4;
    i32_store_ss, u32, ss, f2, 2;
    i32_store_si, u32, si, f1, 3;
    i32_store_abs, u32, abs, f0, 2;
    i32_store_abs_imm, u32, abs, imm1, 2;
    i32_store_v, u32, plain, int, 2;
    i32_store_ss_v, u32, ss, int, 2;
    i32_store_si_v, u32, si, int, 3;
    i32_store_a, u32, acc, f1, 2;
    i64_store, u64, plain, f1, 2;
    i64_store_imm, u64, plain, imm2, 3;
    i64_store_imm_ss, u64, ss, imm2, 3;
    i64_store_imm_si, u64, si, imm3, 4;
    i64_store_ss, u64, ss, f2, 2;
    i64_store_si, u64, si, f1, 3;
    i64_store_abs, u64, abs, f0, 2;
    i64_store_abs_imm, u64, abs, imm1, 2;
    i64_store_v, u64, plain, int, 2;
    i64_store_ss_v, u64, ss, int, 2;
    i64_store_si_v, u64, si, int, 3;
    i64_store_a, u64, acc, f1, 2;
    i32_store8, u8, plain, f1, 2;
    i32_store8_imm, u8, plain, imm2, 3;
    i32_store8_imm_ss, u8, ss, imm2, 3;
    i32_store8_imm_si, u8, si, imm3, 4;
    i32_store8_ss, u8, ss, f2, 2;
    i32_store8_si, u8, si, f1, 3;
    i32_store8_abs, u8, abs, f0, 2;
    i32_store8_abs_imm, u8, abs, imm1, 2;
    i32_store8_v, u8, plain, int, 2;
    i32_store8_ss_v, u8, ss, int, 2;
    i32_store8_si_v, u8, si, int, 3;
    i32_store8_a, u8, acc, f1, 2;
    i32_store16, u16, plain, f1, 2;
    i32_store16_imm, u16, plain, imm2, 3;
    i32_store16_imm_ss, u16, ss, imm2, 3;
    i32_store16_imm_si, u16, si, imm3, 4;
    i32_store16_ss, u16, ss, f2, 2;
    i32_store16_si, u16, si, f1, 3;
    i32_store16_abs, u16, abs, f0, 2;
    i32_store16_abs_imm, u16, abs, imm1, 2;
    i32_store16_v, u16, plain, int, 2;
    i32_store16_ss_v, u16, ss, int, 2;
    i32_store16_si_v, u16, si, int, 3;
    i32_store16_a, u16, acc, f1, 2;
    i32_store_sx, u32, sx, f2, 3;
    i32_store_sx_v, u32, sx, int, 3;
    i64_store_sx, u64, sx, f2, 3;
    i64_store_sx_v, u64, sx, int, 3;
    f64_store_sx_f, u64, sx, float, 3;
    f64_store_f, u64, plain, float, 2;
    f64_store_ss_f, u64, ss, float, 2;
    f64_store_si_f, u64, si, float, 3;
}

/// The right operand of a fused address: a slot (`s`) or the low half of an
/// offset cell (`i`, which holds `imm | offset << 32`).
macro_rules! addr_rhs {
    (s, $fp:expr, $ip:expr, $k:expr, $f:tt, $cell:expr) => {
        pslot!($fp, $ip, $k, $f) as u32
    };
    (i, $fp:expr, $ip:expr, $k:expr, $f:tt, $cell:expr) => {
        $cell as u32
    };
}

/// `[mcopy, (sa, sb, da), (db), ks | so << 32, kd | do << 32]`: a load whose
/// only use is the next store of the same width (a memory-to-memory move).
/// The source address is `i32.add(sa, sb or ks) + so`, the destination
/// `i32.add(da, db or kd) + do`; the name's suffix says which operands are
/// slots (`s`) or immediates (`i`), source first. Both accesses are checked
/// before either happens (the trap is the same for both).
macro_rules! mcopy {
    ($($name:ident, $m:ty, $src:tt, $dst:tt;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let (cs, cd) = (imm!(ip, 3), imm!(ip, 4));
            let s = (pslot!(fp, ip, 1, 0) as u32).wrapping_add(addr_rhs!($src, fp, ip, 1, 1, cs)) as u64 + (cs >> 32);
            let d = (pslot!(fp, ip, 1, 2) as u32).wrapping_add(addr_rhs!($dst, fp, ip, 2, 0, cd)) as u64 + (cd >> 32);
            let n = std::mem::size_of::<$m>() as u64;
            if s + n > len as u64 || d + n > len as u64 {
                trap!(ctx, TrapCode::MemoryOutOfBounds);
            }
            let v = (mem.add(s as usize) as *const $m).read_unaligned();
            (mem.add(d as usize) as *mut $m).write_unaligned(v);
            next!(ip.add(5), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

mcopy! {
    mcopy8_ii, u8, i, i; mcopy8_is, u8, i, s; mcopy8_si, u8, s, i; mcopy8_ss, u8, s, s;
    mcopy16_ii, u16, i, i; mcopy16_is, u16, i, s; mcopy16_si, u16, s, i; mcopy16_ss, u16, s, s;
    mcopy32_ii, u32, i, i; mcopy32_is, u32, i, s; mcopy32_si, u32, s, i; mcopy32_ss, u32, s, s;
    mcopy64_ii, u64, i, i; mcopy64_is, u64, i, s; mcopy64_si, u64, s, i; mcopy64_ss, u64, s, s;
}

/// An `i32.add` of a constant (`[i32_add_si, (dst, a), k]`, `si`) or of a
/// slot (`[i32_add_ss, (dst, a, b)]`, `ss`) right before a counter back
/// edge, run by the add's cell and continued in the counter's handler
/// without a dispatch (`Translator::emit_cond`). The counter's cells are its
/// own, so a branch to the counter (a loop starting there) runs it alone.
macro_rules! add_then_ctr {
    ($($name:ident, $bump:ident, $cells:expr, $ctr:ident;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let v = (pslot!(fp, ip, 1, 1) as u32).wrapping_add(add_then_ctr!(@b $bump, fp, ip) as u32);
            pslot!(fp, ip, 1, 0) = v as u64;
            next!(ip.add($cells), fp, mem, len, ctx, v as u64, facc; $ctr)
        }
    )*};
    (@b si, $fp:ident, $ip:ident) => { imm!($ip, 2) };
    (@b ss, $fp:ident, $ip:ident) => { pslot!($fp, $ip, 1, 2) };
}

add_then_ctr! {
    i32_add_si_then_ctr_ne_ii, si, 3, ctr_ne_ii;
    i32_add_si_then_ctr_ne_is, si, 3, ctr_ne_is;
    i32_add_si_then_ctr64_ne_ii, si, 3, ctr64_ne_ii;
    i32_add_si_then_ctr64_ne_is, si, 3, ctr64_ne_is;
    i32_add_ss_then_ctr_ne_ii, ss, 2, ctr_ne_ii;
    i32_add_ss_then_ctr_ne_is, ss, 2, ctr_ne_is;
    i32_add_ss_then_ctr64_ne_ii, ss, 2, ctr64_ne_ii;
    i32_add_ss_then_ctr64_ne_is, ss, 2, ctr64_ne_is;
}

// A character-class test `x = c + k; x > n || !bit(x)` (or its negation):
// the counter compare continues in the bit-test branch right after it.
ctr_br!(@one ctr_gt_u_ii_then_br_i32_nbit_si, u32, u32, |a, b| a > b, imm, imm, 4; br_i32_nbit_si);
ctr_br!(@one ctr_gt_u_ii_then_br_i32_bit_si, u32, u32, |a, b| a > b, imm, imm, 4; br_i32_bit_si);
ctr_br!(@one ctr_le_u_ii_then_br_i32_nbit_si, u32, u32, |a, b| a <= b, imm, imm, 4; br_i32_nbit_si);
ctr_br!(@one ctr_le_u_ii_then_br_i32_bit_si, u32, u32, |a, b| a <= b, imm, imm, 4; br_i32_bit_si);

// A field load (`[i32_load, (dst, addr), end]`) right before an unsigned
// compare-branch of two slots or of the accumulator (the loaded value) and
// a slot (a bounds check `i >= v.len`): the load's handler continues in the
// branch's.
load!(@one i32_load_then_br_i32_ge_u_ss, u32, |v| v as u64, s1, 2, int; br_i32_ge_u_ss);
load!(@one i32_load_then_br_i32_gt_u_ss, u32, |v| v as u64, s1, 2, int; br_i32_gt_u_ss);
load!(@one i32_load_then_br_i32_lt_u_ss, u32, |v| v as u64, s1, 2, int; br_i32_lt_u_ss);
load!(@one i32_load_then_br_i32_le_u_ss, u32, |v| v as u64, s1, 2, int; br_i32_le_u_ss);
load!(@one i32_load_then_br_i32_ge_u_as, u32, |v| v as u64, s1, 2, int; br_i32_ge_u_as);
load!(@one i32_load_then_br_i32_gt_u_as, u32, |v| v as u64, s1, 2, int; br_i32_gt_u_as);
load!(@one i32_load_then_br_i32_lt_u_as, u32, |v| v as u64, s1, 2, int; br_i32_lt_u_as);
load!(@one i32_load_then_br_i32_le_u_as, u32, |v| v as u64, s1, 2, int; br_i32_le_u_as);

/// `(compare-branch, i32_load then it)`; `i64.load32_u` has the same
/// handler code as `i32.load` and takes the same fused forms.
pub(crate) const LOAD_THEN_BR: [(crate::exec::Handler, crate::exec::Handler); 8] = [
    (br_i32_ge_u_ss, i32_load_then_br_i32_ge_u_ss),
    (br_i32_gt_u_ss, i32_load_then_br_i32_gt_u_ss),
    (br_i32_lt_u_ss, i32_load_then_br_i32_lt_u_ss),
    (br_i32_le_u_ss, i32_load_then_br_i32_le_u_ss),
    (br_i32_ge_u_as, i32_load_then_br_i32_ge_u_as),
    (br_i32_gt_u_as, i32_load_then_br_i32_gt_u_as),
    (br_i32_lt_u_as, i32_load_then_br_i32_lt_u_as),
    (br_i32_le_u_as, i32_load_then_br_i32_le_u_as),
];

/// An unsigned `i32` load (`i32.load`, `i32.load8_u`, `i32.load16_u`; from a
/// slot address, `a + b`, `a + k`, `acc + k` or `x + (y << k)`) right before
/// a test or an `eq`/`ne` compare-branch of the value (`while let n =
/// next[p]; n != 0`, `if a[i] == c`): the load's handler continues in the
/// branch's by a direct call; both keep their cells
/// (`Translator::load_then_branch`). `name, type, address, offset cell;
/// branch`.
macro_rules! load_then_test {
    ($($name:ident, $m:ty, $addr:ident, $off:expr; $br:ident;)*) => {$(
        load!(@one $name, $m, |v| v as u64, $addr, $off, int; $br);
    )*};
}

load_then_test! {
    i32_load_then_br_eqz_i32_a, u32, s1, 2; br_eqz_i32_a;
    i32_load_then_br_nez_i32_a, u32, s1, 2; br_nez_i32_a;
    i32_load_then_br_i32_eq_as, u32, s1, 2; br_i32_eq_as;
    i32_load_then_br_i32_ne_as, u32, s1, 2; br_i32_ne_as;
    i32_load_then_br_i32_eq_ai, u32, s1, 2; br_i32_eq_ai;
    i32_load_then_br_i32_ne_ai, u32, s1, 2; br_i32_ne_ai;
    i32_load_then_br_i32_eq_ss, u32, s1, 2; br_i32_eq_ss;
    i32_load_then_br_i32_ne_ss, u32, s1, 2; br_i32_ne_ss;
    i32_load_ss_then_br_eqz_i32_a, u32, ss, 2; br_eqz_i32_a;
    i32_load_ss_then_br_nez_i32_a, u32, ss, 2; br_nez_i32_a;
    i32_load_ss_then_br_i32_eq_as, u32, ss, 2; br_i32_eq_as;
    i32_load_ss_then_br_i32_ne_as, u32, ss, 2; br_i32_ne_as;
    i32_load_ss_then_br_i32_eq_ai, u32, ss, 2; br_i32_eq_ai;
    i32_load_ss_then_br_i32_ne_ai, u32, ss, 2; br_i32_ne_ai;
    i32_load_ss_then_br_i32_eq_ss, u32, ss, 2; br_i32_eq_ss;
    i32_load_ss_then_br_i32_ne_ss, u32, ss, 2; br_i32_ne_ss;
    i32_load_si_then_br_eqz_i32_a, u32, si, 3; br_eqz_i32_a;
    i32_load_si_then_br_nez_i32_a, u32, si, 3; br_nez_i32_a;
    i32_load_si_then_br_i32_eq_as, u32, si, 3; br_i32_eq_as;
    i32_load_si_then_br_i32_ne_as, u32, si, 3; br_i32_ne_as;
    i32_load_si_then_br_i32_eq_ai, u32, si, 3; br_i32_eq_ai;
    i32_load_si_then_br_i32_ne_ai, u32, si, 3; br_i32_ne_ai;
    i32_load_si_then_br_i32_eq_ss, u32, si, 3; br_i32_eq_ss;
    i32_load_si_then_br_i32_ne_ss, u32, si, 3; br_i32_ne_ss;
    i32_load_ai_then_br_eqz_i32_a, u32, ai, 3; br_eqz_i32_a;
    i32_load_ai_then_br_nez_i32_a, u32, ai, 3; br_nez_i32_a;
    i32_load_ai_then_br_i32_eq_as, u32, ai, 3; br_i32_eq_as;
    i32_load_ai_then_br_i32_ne_as, u32, ai, 3; br_i32_ne_as;
    i32_load_ai_then_br_i32_eq_ai, u32, ai, 3; br_i32_eq_ai;
    i32_load_ai_then_br_i32_ne_ai, u32, ai, 3; br_i32_ne_ai;
    i32_load_ai_then_br_i32_eq_ss, u32, ai, 3; br_i32_eq_ss;
    i32_load_ai_then_br_i32_ne_ss, u32, ai, 3; br_i32_ne_ss;
    i32_load_sx_then_br_eqz_i32_a, u32, sx, 3; br_eqz_i32_a;
    i32_load_sx_then_br_nez_i32_a, u32, sx, 3; br_nez_i32_a;
    i32_load_sx_then_br_i32_eq_as, u32, sx, 3; br_i32_eq_as;
    i32_load_sx_then_br_i32_ne_as, u32, sx, 3; br_i32_ne_as;
    i32_load_sx_then_br_i32_eq_ai, u32, sx, 3; br_i32_eq_ai;
    i32_load_sx_then_br_i32_ne_ai, u32, sx, 3; br_i32_ne_ai;
    i32_load_sx_then_br_i32_eq_ss, u32, sx, 3; br_i32_eq_ss;
    i32_load_sx_then_br_i32_ne_ss, u32, sx, 3; br_i32_ne_ss;
    i32_load_sxa_then_br_eqz_i32_a, u32, sxa, 3; br_eqz_i32_a;
    i32_load_sxa_then_br_nez_i32_a, u32, sxa, 3; br_nez_i32_a;
    i32_load8_u_then_br_eqz_i32_a, u8, s1, 2; br_eqz_i32_a;
    i32_load8_u_then_br_nez_i32_a, u8, s1, 2; br_nez_i32_a;
    i32_load8_u_then_br_i32_eq_as, u8, s1, 2; br_i32_eq_as;
    i32_load8_u_then_br_i32_ne_as, u8, s1, 2; br_i32_ne_as;
    i32_load8_u_then_br_i32_eq_ai, u8, s1, 2; br_i32_eq_ai;
    i32_load8_u_then_br_i32_ne_ai, u8, s1, 2; br_i32_ne_ai;
    i32_load8_u_then_br_i32_eq_ss, u8, s1, 2; br_i32_eq_ss;
    i32_load8_u_then_br_i32_ne_ss, u8, s1, 2; br_i32_ne_ss;
    i32_load8_u_ss_then_br_eqz_i32_a, u8, ss, 2; br_eqz_i32_a;
    i32_load8_u_ss_then_br_nez_i32_a, u8, ss, 2; br_nez_i32_a;
    i32_load8_u_ss_then_br_i32_eq_as, u8, ss, 2; br_i32_eq_as;
    i32_load8_u_ss_then_br_i32_ne_as, u8, ss, 2; br_i32_ne_as;
    i32_load8_u_ss_then_br_i32_eq_ai, u8, ss, 2; br_i32_eq_ai;
    i32_load8_u_ss_then_br_i32_ne_ai, u8, ss, 2; br_i32_ne_ai;
    i32_load8_u_ss_then_br_i32_eq_ss, u8, ss, 2; br_i32_eq_ss;
    i32_load8_u_ss_then_br_i32_ne_ss, u8, ss, 2; br_i32_ne_ss;
    i32_load8_u_si_then_br_eqz_i32_a, u8, si, 3; br_eqz_i32_a;
    i32_load8_u_si_then_br_nez_i32_a, u8, si, 3; br_nez_i32_a;
    i32_load8_u_si_then_br_i32_eq_as, u8, si, 3; br_i32_eq_as;
    i32_load8_u_si_then_br_i32_ne_as, u8, si, 3; br_i32_ne_as;
    i32_load8_u_si_then_br_i32_eq_ai, u8, si, 3; br_i32_eq_ai;
    i32_load8_u_si_then_br_i32_ne_ai, u8, si, 3; br_i32_ne_ai;
    i32_load8_u_si_then_br_i32_eq_ss, u8, si, 3; br_i32_eq_ss;
    i32_load8_u_si_then_br_i32_ne_ss, u8, si, 3; br_i32_ne_ss;
    i32_load8_u_ai_then_br_eqz_i32_a, u8, ai, 3; br_eqz_i32_a;
    i32_load8_u_ai_then_br_nez_i32_a, u8, ai, 3; br_nez_i32_a;
    i32_load8_u_ai_then_br_i32_eq_as, u8, ai, 3; br_i32_eq_as;
    i32_load8_u_ai_then_br_i32_ne_as, u8, ai, 3; br_i32_ne_as;
    i32_load8_u_ai_then_br_i32_eq_ai, u8, ai, 3; br_i32_eq_ai;
    i32_load8_u_ai_then_br_i32_ne_ai, u8, ai, 3; br_i32_ne_ai;
    i32_load8_u_ai_then_br_i32_eq_ss, u8, ai, 3; br_i32_eq_ss;
    i32_load8_u_ai_then_br_i32_ne_ss, u8, ai, 3; br_i32_ne_ss;
    i32_load8_u_sx_then_br_eqz_i32_a, u8, sx, 3; br_eqz_i32_a;
    i32_load8_u_sx_then_br_nez_i32_a, u8, sx, 3; br_nez_i32_a;
    i32_load8_u_sx_then_br_i32_eq_as, u8, sx, 3; br_i32_eq_as;
    i32_load8_u_sx_then_br_i32_ne_as, u8, sx, 3; br_i32_ne_as;
    i32_load8_u_sx_then_br_i32_eq_ai, u8, sx, 3; br_i32_eq_ai;
    i32_load8_u_sx_then_br_i32_ne_ai, u8, sx, 3; br_i32_ne_ai;
    i32_load8_u_sx_then_br_i32_eq_ss, u8, sx, 3; br_i32_eq_ss;
    i32_load8_u_sx_then_br_i32_ne_ss, u8, sx, 3; br_i32_ne_ss;
    i32_load8_u_sxa_then_br_eqz_i32_a, u8, sxa, 3; br_eqz_i32_a;
    i32_load8_u_sxa_then_br_nez_i32_a, u8, sxa, 3; br_nez_i32_a;
    i32_load16_u_then_br_eqz_i32_a, u16, s1, 2; br_eqz_i32_a;
    i32_load16_u_then_br_nez_i32_a, u16, s1, 2; br_nez_i32_a;
    i32_load16_u_then_br_i32_eq_as, u16, s1, 2; br_i32_eq_as;
    i32_load16_u_then_br_i32_ne_as, u16, s1, 2; br_i32_ne_as;
    i32_load16_u_then_br_i32_eq_ai, u16, s1, 2; br_i32_eq_ai;
    i32_load16_u_then_br_i32_ne_ai, u16, s1, 2; br_i32_ne_ai;
    i32_load16_u_then_br_i32_eq_ss, u16, s1, 2; br_i32_eq_ss;
    i32_load16_u_then_br_i32_ne_ss, u16, s1, 2; br_i32_ne_ss;
    i32_load16_u_ss_then_br_eqz_i32_a, u16, ss, 2; br_eqz_i32_a;
    i32_load16_u_ss_then_br_nez_i32_a, u16, ss, 2; br_nez_i32_a;
    i32_load16_u_ss_then_br_i32_eq_as, u16, ss, 2; br_i32_eq_as;
    i32_load16_u_ss_then_br_i32_ne_as, u16, ss, 2; br_i32_ne_as;
    i32_load16_u_ss_then_br_i32_eq_ai, u16, ss, 2; br_i32_eq_ai;
    i32_load16_u_ss_then_br_i32_ne_ai, u16, ss, 2; br_i32_ne_ai;
    i32_load16_u_ss_then_br_i32_eq_ss, u16, ss, 2; br_i32_eq_ss;
    i32_load16_u_ss_then_br_i32_ne_ss, u16, ss, 2; br_i32_ne_ss;
    i32_load16_u_si_then_br_eqz_i32_a, u16, si, 3; br_eqz_i32_a;
    i32_load16_u_si_then_br_nez_i32_a, u16, si, 3; br_nez_i32_a;
    i32_load16_u_si_then_br_i32_eq_as, u16, si, 3; br_i32_eq_as;
    i32_load16_u_si_then_br_i32_ne_as, u16, si, 3; br_i32_ne_as;
    i32_load16_u_si_then_br_i32_eq_ai, u16, si, 3; br_i32_eq_ai;
    i32_load16_u_si_then_br_i32_ne_ai, u16, si, 3; br_i32_ne_ai;
    i32_load16_u_si_then_br_i32_eq_ss, u16, si, 3; br_i32_eq_ss;
    i32_load16_u_si_then_br_i32_ne_ss, u16, si, 3; br_i32_ne_ss;
    i32_load16_u_ai_then_br_eqz_i32_a, u16, ai, 3; br_eqz_i32_a;
    i32_load16_u_ai_then_br_nez_i32_a, u16, ai, 3; br_nez_i32_a;
    i32_load16_u_ai_then_br_i32_eq_as, u16, ai, 3; br_i32_eq_as;
    i32_load16_u_ai_then_br_i32_ne_as, u16, ai, 3; br_i32_ne_as;
    i32_load16_u_ai_then_br_i32_eq_ai, u16, ai, 3; br_i32_eq_ai;
    i32_load16_u_ai_then_br_i32_ne_ai, u16, ai, 3; br_i32_ne_ai;
    i32_load16_u_ai_then_br_i32_eq_ss, u16, ai, 3; br_i32_eq_ss;
    i32_load16_u_ai_then_br_i32_ne_ss, u16, ai, 3; br_i32_ne_ss;
    i32_load16_u_sx_then_br_eqz_i32_a, u16, sx, 3; br_eqz_i32_a;
    i32_load16_u_sx_then_br_nez_i32_a, u16, sx, 3; br_nez_i32_a;
    i32_load16_u_sx_then_br_i32_eq_as, u16, sx, 3; br_i32_eq_as;
    i32_load16_u_sx_then_br_i32_ne_as, u16, sx, 3; br_i32_ne_as;
    i32_load16_u_sx_then_br_i32_eq_ai, u16, sx, 3; br_i32_eq_ai;
    i32_load16_u_sx_then_br_i32_ne_ai, u16, sx, 3; br_i32_ne_ai;
    i32_load16_u_sx_then_br_i32_eq_ss, u16, sx, 3; br_i32_eq_ss;
    i32_load16_u_sx_then_br_i32_ne_ss, u16, sx, 3; br_i32_ne_ss;
    i32_load16_u_sxa_then_br_eqz_i32_a, u16, sxa, 3; br_eqz_i32_a;
    i32_load16_u_sxa_then_br_nez_i32_a, u16, sxa, 3; br_nez_i32_a;
}

/// An unsigned `i32` load from `a + k` compared with a slot for a branch,
/// the accumulator passed on unchanged: the cells of a `*_ai_then_br_i32_eq_as`
/// (or `_ne_as`) pair, `[load, (dst, a), k, end] [br, (dst, b), target]`,
/// with `a` read from its slot. `Translator::keep_local` makes them when
/// the accumulator holds a local the code after the branch reads (the next
/// link of a chain walk) instead of the address. `name, type, ==/!=`.
macro_rules! load_br_keep {
    ($($name:ident, $m:ty, $op:tt;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let end = address!(si, fp, ip, acc) as u64 + imm!(ip, 3);
            let v = <$m>::from_le(access!($m, mem, len, ctx, end).read_unaligned()) as u32;
            pslot!(fp, ip, 1, 0) = v as u64;
            if v $op pslot!(fp, ip, 5, 1) as u32 {
                next!(target!(ip, 6), fp, mem, len, ctx, acc, facc)
            }
            next!(ip.add(7), fp, mem, len, ctx, acc, facc)
        }
    )*};
}

load_br_keep! {
    i32_load_si_br_eq_keep, u32, ==;
    i32_load_si_br_ne_keep, u32, !=;
    i32_load8_u_si_br_eq_keep, u8, ==;
    i32_load8_u_si_br_ne_keep, u8, !=;
    i32_load16_u_si_br_eq_keep, u16, ==;
    i32_load16_u_si_br_ne_keep, u16, !=;
}

/// `(load continuing in a compare-branch, the same passing the accumulator
/// on, the load's plain form reading its address from the slot)`.
pub(crate) const LOAD_BR_KEEP: [(crate::exec::Handler, crate::exec::Handler, crate::exec::Handler); 6] = [
    (i32_load_ai_then_br_i32_eq_as, i32_load_si_br_eq_keep, i32_load_si),
    (i32_load_ai_then_br_i32_ne_as, i32_load_si_br_ne_keep, i32_load_si),
    (i32_load8_u_ai_then_br_i32_eq_as, i32_load8_u_si_br_eq_keep, i32_load8_u_si),
    (i32_load8_u_ai_then_br_i32_ne_as, i32_load8_u_si_br_ne_keep, i32_load8_u_si),
    (i32_load16_u_ai_then_br_i32_eq_as, i32_load16_u_si_br_eq_keep, i32_load16_u_si),
    (i32_load16_u_ai_then_br_i32_ne_as, i32_load16_u_si_br_ne_keep, i32_load16_u_si),
];

/// `(load, its cell count, branch, the load continuing in the branch)`.
pub(crate) const LOAD_THEN_TEST: [(crate::exec::Handler, usize, crate::exec::Handler, crate::exec::Handler); 126] = [
    (i32_load, 3, br_eqz_i32_a, i32_load_then_br_eqz_i32_a),
    (i32_load, 3, br_nez_i32_a, i32_load_then_br_nez_i32_a),
    (i32_load, 3, br_i32_eq_as, i32_load_then_br_i32_eq_as),
    (i32_load, 3, br_i32_ne_as, i32_load_then_br_i32_ne_as),
    (i32_load, 3, br_i32_eq_ai, i32_load_then_br_i32_eq_ai),
    (i32_load, 3, br_i32_ne_ai, i32_load_then_br_i32_ne_ai),
    (i32_load, 3, br_i32_eq_ss, i32_load_then_br_i32_eq_ss),
    (i32_load, 3, br_i32_ne_ss, i32_load_then_br_i32_ne_ss),
    (i32_load_ss, 3, br_eqz_i32_a, i32_load_ss_then_br_eqz_i32_a),
    (i32_load_ss, 3, br_nez_i32_a, i32_load_ss_then_br_nez_i32_a),
    (i32_load_ss, 3, br_i32_eq_as, i32_load_ss_then_br_i32_eq_as),
    (i32_load_ss, 3, br_i32_ne_as, i32_load_ss_then_br_i32_ne_as),
    (i32_load_ss, 3, br_i32_eq_ai, i32_load_ss_then_br_i32_eq_ai),
    (i32_load_ss, 3, br_i32_ne_ai, i32_load_ss_then_br_i32_ne_ai),
    (i32_load_ss, 3, br_i32_eq_ss, i32_load_ss_then_br_i32_eq_ss),
    (i32_load_ss, 3, br_i32_ne_ss, i32_load_ss_then_br_i32_ne_ss),
    (i32_load_si, 4, br_eqz_i32_a, i32_load_si_then_br_eqz_i32_a),
    (i32_load_si, 4, br_nez_i32_a, i32_load_si_then_br_nez_i32_a),
    (i32_load_si, 4, br_i32_eq_as, i32_load_si_then_br_i32_eq_as),
    (i32_load_si, 4, br_i32_ne_as, i32_load_si_then_br_i32_ne_as),
    (i32_load_si, 4, br_i32_eq_ai, i32_load_si_then_br_i32_eq_ai),
    (i32_load_si, 4, br_i32_ne_ai, i32_load_si_then_br_i32_ne_ai),
    (i32_load_si, 4, br_i32_eq_ss, i32_load_si_then_br_i32_eq_ss),
    (i32_load_si, 4, br_i32_ne_ss, i32_load_si_then_br_i32_ne_ss),
    (i32_load_ai, 4, br_eqz_i32_a, i32_load_ai_then_br_eqz_i32_a),
    (i32_load_ai, 4, br_nez_i32_a, i32_load_ai_then_br_nez_i32_a),
    (i32_load_ai, 4, br_i32_eq_as, i32_load_ai_then_br_i32_eq_as),
    (i32_load_ai, 4, br_i32_ne_as, i32_load_ai_then_br_i32_ne_as),
    (i32_load_ai, 4, br_i32_eq_ai, i32_load_ai_then_br_i32_eq_ai),
    (i32_load_ai, 4, br_i32_ne_ai, i32_load_ai_then_br_i32_ne_ai),
    (i32_load_ai, 4, br_i32_eq_ss, i32_load_ai_then_br_i32_eq_ss),
    (i32_load_ai, 4, br_i32_ne_ss, i32_load_ai_then_br_i32_ne_ss),
    (i32_load_sx, 4, br_eqz_i32_a, i32_load_sx_then_br_eqz_i32_a),
    (i32_load_sx, 4, br_nez_i32_a, i32_load_sx_then_br_nez_i32_a),
    (i32_load_sx, 4, br_i32_eq_as, i32_load_sx_then_br_i32_eq_as),
    (i32_load_sx, 4, br_i32_ne_as, i32_load_sx_then_br_i32_ne_as),
    (i32_load_sx, 4, br_i32_eq_ai, i32_load_sx_then_br_i32_eq_ai),
    (i32_load_sx, 4, br_i32_ne_ai, i32_load_sx_then_br_i32_ne_ai),
    (i32_load_sx, 4, br_i32_eq_ss, i32_load_sx_then_br_i32_eq_ss),
    (i32_load_sx, 4, br_i32_ne_ss, i32_load_sx_then_br_i32_ne_ss),
    (i32_load_sxa, 4, br_eqz_i32_a, i32_load_sxa_then_br_eqz_i32_a),
    (i32_load_sxa, 4, br_nez_i32_a, i32_load_sxa_then_br_nez_i32_a),
    (i32_load8_u, 3, br_eqz_i32_a, i32_load8_u_then_br_eqz_i32_a),
    (i32_load8_u, 3, br_nez_i32_a, i32_load8_u_then_br_nez_i32_a),
    (i32_load8_u, 3, br_i32_eq_as, i32_load8_u_then_br_i32_eq_as),
    (i32_load8_u, 3, br_i32_ne_as, i32_load8_u_then_br_i32_ne_as),
    (i32_load8_u, 3, br_i32_eq_ai, i32_load8_u_then_br_i32_eq_ai),
    (i32_load8_u, 3, br_i32_ne_ai, i32_load8_u_then_br_i32_ne_ai),
    (i32_load8_u, 3, br_i32_eq_ss, i32_load8_u_then_br_i32_eq_ss),
    (i32_load8_u, 3, br_i32_ne_ss, i32_load8_u_then_br_i32_ne_ss),
    (i32_load8_u_ss, 3, br_eqz_i32_a, i32_load8_u_ss_then_br_eqz_i32_a),
    (i32_load8_u_ss, 3, br_nez_i32_a, i32_load8_u_ss_then_br_nez_i32_a),
    (i32_load8_u_ss, 3, br_i32_eq_as, i32_load8_u_ss_then_br_i32_eq_as),
    (i32_load8_u_ss, 3, br_i32_ne_as, i32_load8_u_ss_then_br_i32_ne_as),
    (i32_load8_u_ss, 3, br_i32_eq_ai, i32_load8_u_ss_then_br_i32_eq_ai),
    (i32_load8_u_ss, 3, br_i32_ne_ai, i32_load8_u_ss_then_br_i32_ne_ai),
    (i32_load8_u_ss, 3, br_i32_eq_ss, i32_load8_u_ss_then_br_i32_eq_ss),
    (i32_load8_u_ss, 3, br_i32_ne_ss, i32_load8_u_ss_then_br_i32_ne_ss),
    (i32_load8_u_si, 4, br_eqz_i32_a, i32_load8_u_si_then_br_eqz_i32_a),
    (i32_load8_u_si, 4, br_nez_i32_a, i32_load8_u_si_then_br_nez_i32_a),
    (i32_load8_u_si, 4, br_i32_eq_as, i32_load8_u_si_then_br_i32_eq_as),
    (i32_load8_u_si, 4, br_i32_ne_as, i32_load8_u_si_then_br_i32_ne_as),
    (i32_load8_u_si, 4, br_i32_eq_ai, i32_load8_u_si_then_br_i32_eq_ai),
    (i32_load8_u_si, 4, br_i32_ne_ai, i32_load8_u_si_then_br_i32_ne_ai),
    (i32_load8_u_si, 4, br_i32_eq_ss, i32_load8_u_si_then_br_i32_eq_ss),
    (i32_load8_u_si, 4, br_i32_ne_ss, i32_load8_u_si_then_br_i32_ne_ss),
    (i32_load8_u_ai, 4, br_eqz_i32_a, i32_load8_u_ai_then_br_eqz_i32_a),
    (i32_load8_u_ai, 4, br_nez_i32_a, i32_load8_u_ai_then_br_nez_i32_a),
    (i32_load8_u_ai, 4, br_i32_eq_as, i32_load8_u_ai_then_br_i32_eq_as),
    (i32_load8_u_ai, 4, br_i32_ne_as, i32_load8_u_ai_then_br_i32_ne_as),
    (i32_load8_u_ai, 4, br_i32_eq_ai, i32_load8_u_ai_then_br_i32_eq_ai),
    (i32_load8_u_ai, 4, br_i32_ne_ai, i32_load8_u_ai_then_br_i32_ne_ai),
    (i32_load8_u_ai, 4, br_i32_eq_ss, i32_load8_u_ai_then_br_i32_eq_ss),
    (i32_load8_u_ai, 4, br_i32_ne_ss, i32_load8_u_ai_then_br_i32_ne_ss),
    (i32_load8_u_sx, 4, br_eqz_i32_a, i32_load8_u_sx_then_br_eqz_i32_a),
    (i32_load8_u_sx, 4, br_nez_i32_a, i32_load8_u_sx_then_br_nez_i32_a),
    (i32_load8_u_sx, 4, br_i32_eq_as, i32_load8_u_sx_then_br_i32_eq_as),
    (i32_load8_u_sx, 4, br_i32_ne_as, i32_load8_u_sx_then_br_i32_ne_as),
    (i32_load8_u_sx, 4, br_i32_eq_ai, i32_load8_u_sx_then_br_i32_eq_ai),
    (i32_load8_u_sx, 4, br_i32_ne_ai, i32_load8_u_sx_then_br_i32_ne_ai),
    (i32_load8_u_sx, 4, br_i32_eq_ss, i32_load8_u_sx_then_br_i32_eq_ss),
    (i32_load8_u_sx, 4, br_i32_ne_ss, i32_load8_u_sx_then_br_i32_ne_ss),
    (i32_load8_u_sxa, 4, br_eqz_i32_a, i32_load8_u_sxa_then_br_eqz_i32_a),
    (i32_load8_u_sxa, 4, br_nez_i32_a, i32_load8_u_sxa_then_br_nez_i32_a),
    (i32_load16_u, 3, br_eqz_i32_a, i32_load16_u_then_br_eqz_i32_a),
    (i32_load16_u, 3, br_nez_i32_a, i32_load16_u_then_br_nez_i32_a),
    (i32_load16_u, 3, br_i32_eq_as, i32_load16_u_then_br_i32_eq_as),
    (i32_load16_u, 3, br_i32_ne_as, i32_load16_u_then_br_i32_ne_as),
    (i32_load16_u, 3, br_i32_eq_ai, i32_load16_u_then_br_i32_eq_ai),
    (i32_load16_u, 3, br_i32_ne_ai, i32_load16_u_then_br_i32_ne_ai),
    (i32_load16_u, 3, br_i32_eq_ss, i32_load16_u_then_br_i32_eq_ss),
    (i32_load16_u, 3, br_i32_ne_ss, i32_load16_u_then_br_i32_ne_ss),
    (i32_load16_u_ss, 3, br_eqz_i32_a, i32_load16_u_ss_then_br_eqz_i32_a),
    (i32_load16_u_ss, 3, br_nez_i32_a, i32_load16_u_ss_then_br_nez_i32_a),
    (i32_load16_u_ss, 3, br_i32_eq_as, i32_load16_u_ss_then_br_i32_eq_as),
    (i32_load16_u_ss, 3, br_i32_ne_as, i32_load16_u_ss_then_br_i32_ne_as),
    (i32_load16_u_ss, 3, br_i32_eq_ai, i32_load16_u_ss_then_br_i32_eq_ai),
    (i32_load16_u_ss, 3, br_i32_ne_ai, i32_load16_u_ss_then_br_i32_ne_ai),
    (i32_load16_u_ss, 3, br_i32_eq_ss, i32_load16_u_ss_then_br_i32_eq_ss),
    (i32_load16_u_ss, 3, br_i32_ne_ss, i32_load16_u_ss_then_br_i32_ne_ss),
    (i32_load16_u_si, 4, br_eqz_i32_a, i32_load16_u_si_then_br_eqz_i32_a),
    (i32_load16_u_si, 4, br_nez_i32_a, i32_load16_u_si_then_br_nez_i32_a),
    (i32_load16_u_si, 4, br_i32_eq_as, i32_load16_u_si_then_br_i32_eq_as),
    (i32_load16_u_si, 4, br_i32_ne_as, i32_load16_u_si_then_br_i32_ne_as),
    (i32_load16_u_si, 4, br_i32_eq_ai, i32_load16_u_si_then_br_i32_eq_ai),
    (i32_load16_u_si, 4, br_i32_ne_ai, i32_load16_u_si_then_br_i32_ne_ai),
    (i32_load16_u_si, 4, br_i32_eq_ss, i32_load16_u_si_then_br_i32_eq_ss),
    (i32_load16_u_si, 4, br_i32_ne_ss, i32_load16_u_si_then_br_i32_ne_ss),
    (i32_load16_u_ai, 4, br_eqz_i32_a, i32_load16_u_ai_then_br_eqz_i32_a),
    (i32_load16_u_ai, 4, br_nez_i32_a, i32_load16_u_ai_then_br_nez_i32_a),
    (i32_load16_u_ai, 4, br_i32_eq_as, i32_load16_u_ai_then_br_i32_eq_as),
    (i32_load16_u_ai, 4, br_i32_ne_as, i32_load16_u_ai_then_br_i32_ne_as),
    (i32_load16_u_ai, 4, br_i32_eq_ai, i32_load16_u_ai_then_br_i32_eq_ai),
    (i32_load16_u_ai, 4, br_i32_ne_ai, i32_load16_u_ai_then_br_i32_ne_ai),
    (i32_load16_u_ai, 4, br_i32_eq_ss, i32_load16_u_ai_then_br_i32_eq_ss),
    (i32_load16_u_ai, 4, br_i32_ne_ss, i32_load16_u_ai_then_br_i32_ne_ss),
    (i32_load16_u_sx, 4, br_eqz_i32_a, i32_load16_u_sx_then_br_eqz_i32_a),
    (i32_load16_u_sx, 4, br_nez_i32_a, i32_load16_u_sx_then_br_nez_i32_a),
    (i32_load16_u_sx, 4, br_i32_eq_as, i32_load16_u_sx_then_br_i32_eq_as),
    (i32_load16_u_sx, 4, br_i32_ne_as, i32_load16_u_sx_then_br_i32_ne_as),
    (i32_load16_u_sx, 4, br_i32_eq_ai, i32_load16_u_sx_then_br_i32_eq_ai),
    (i32_load16_u_sx, 4, br_i32_ne_ai, i32_load16_u_sx_then_br_i32_ne_ai),
    (i32_load16_u_sx, 4, br_i32_eq_ss, i32_load16_u_sx_then_br_i32_eq_ss),
    (i32_load16_u_sx, 4, br_i32_ne_ss, i32_load16_u_sx_then_br_i32_ne_ss),
    (i32_load16_u_sxa, 4, br_eqz_i32_a, i32_load16_u_sxa_then_br_eqz_i32_a),
    (i32_load16_u_sxa, 4, br_nez_i32_a, i32_load16_u_sxa_then_br_nez_i32_a),
];

/// `(counter compare, bit-test branch after it, the two in one handler)`.
pub(crate) const CTR_THEN_BIT: [(crate::exec::Handler, crate::exec::Handler, crate::exec::Handler); 4] = [
    (ctr_gt_u_ii, br_i32_nbit_si, ctr_gt_u_ii_then_br_i32_nbit_si),
    (ctr_gt_u_ii, br_i32_bit_si, ctr_gt_u_ii_then_br_i32_bit_si),
    (ctr_le_u_ii, br_i32_nbit_si, ctr_le_u_ii_then_br_i32_nbit_si),
    (ctr_le_u_ii, br_i32_bit_si, ctr_le_u_ii_then_br_i32_bit_si),
];

/// The indices a `ctr_ne` loop visits from `i0`, stepping by `inc` until the
/// counter equals `bound`: the lowest one, how many (0 when the step is not
/// +1 or -1, or for 2^32 steps), and whether it counts upwards.
#[inline(always)]
fn ctr_range(i0: u32, bound: u32, inc: u32) -> (u32, u64, bool) {
    match inc {
        1 => (i0, bound.wrapping_sub(i0) as u64, true),
        u32::MAX => (bound.wrapping_add(1), i0.wrapping_sub(bound) as u64, false),
        _ => (0, 0, true),
    }
}

/// The `ctr_ne_*` cells at `$c` of a bulk loop (`store_loop!`, `copy_loop!`):
/// the counter's value now, its bound, and `ctr_range` of them.
macro_rules! ctr_loop_range {
    ($fp:ident, $c:ident, $inc:ident, $bk:ident, $target:expr) => {{
        let inc = ctr_br!(@inc $inc, $fp, $c) as u32;
        let bound = ctr_br!(@b $bk, $fp, $c, $target) as u32;
        let i0 = pslot!($fp, $c, 1, 0) as u32;
        (i0, bound, ctr_range(i0, bound, inc))
    }};
}

/// A byte-store loop: `i32_store8_ss`/`i32_store8_imm_ss` of a value other
/// than the counter at `q + i`, followed by a `ctr_ne_*` back edge to it
/// stepping `i` by +1 or -1 (a `memset` written as a loop). The store's cell
/// with its handler replaced (`translate::fuse_bulk_loops`), the other cells
/// unchanged; like `copy_loop!`: all bytes at once when they are all in
/// bounds without wrap-around, else one iteration as the store.
macro_rules! store_loop {
    ($($name:ident, $store:ident, $v:ident, $cells:expr, $inc:ident, $bk:ident, $target:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let c = ip.add($cells);
            let (i0, bound, (lo, n, _)) = ctr_loop_range!(fp, c, $inc, $bk, $target);
            // One of the address operands is the counter.
            let q = (pslot!(fp, ip, 1, 0) as u32).wrapping_add(pslot!(fp, ip, 1, 1) as u32).wrapping_sub(i0);
            let at = q.wrapping_add(lo) as u64;
            let off = imm!(ip, $cells - 1) - 1;
            if n != 0 && at + n <= 1 << 32 && at + off + n <= len as u64 {
                let v = store_loop!(@v $v, fp, ip) as u8;
                std::ptr::write_bytes(mem.add((at + off) as usize), v, n as usize);
                pslot!(fp, c, 1, 0) = bound as u64;
                next!(c.add($target + 1), fp, mem, len, ctx, acc, facc)
            }
            next!(ip, fp, mem, len, ctx, acc, facc; $store)
        }
    )*};
    (@v imm, $fp:ident, $st:ident) => { imm!($st, 2) };
    (@v slot, $fp:ident, $st:ident) => { pslot!($fp, $st, 1, 2) };
}

store_loop! {
    store_loop_imm_ss, i32_store8_imm_ss, imm, 4, slot, slot, 3;
    store_loop_imm_si, i32_store8_imm_ss, imm, 4, slot, imm, 3;
    store_loop_imm_is, i32_store8_imm_ss, imm, 4, imm, slot, 4;
    store_loop_imm_ii, i32_store8_imm_ss, imm, 4, imm, imm, 4;
    store_loop_slot_ss, i32_store8_ss, slot, 3, slot, slot, 3;
    store_loop_slot_si, i32_store8_ss, slot, 3, slot, imm, 3;
    store_loop_slot_is, i32_store8_ss, slot, 3, imm, slot, 4;
    store_loop_slot_ii, i32_store8_ss, slot, 3, imm, imm, 4;
}

/// A byte-copy loop: `mcopy8_ss` followed by a `ctr_ne_*` back edge to it,
/// the counter being the index of both addresses (Rust's `memcpy`/`memmove`
/// without bulk memory). The cell is the `mcopy8_ss` cell with its handler
/// replaced (`translate::fuse_bulk_loops`); the `ctr_ne` cells follow
/// unchanged. When the counter steps by +1 or -1 and every byte the loop would
/// touch is in bounds without address wrap-around, all of them are copied at
/// once (with the loop's byte-by-byte meaning, forwards or backwards: a
/// `memmove` unless the destination overlaps the bytes still to be read) and
/// the counter is set to its bound; otherwise one iteration runs as
/// `mcopy8_ss`, which traps where the loop would and comes back here through
/// the back edge.
macro_rules! copy_loop {
    ($($name:ident, $inc:ident, $bk:ident, $target:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let c = ip.add(5);
            let (_, bound, (lo, n, forward)) = ctr_loop_range!(fp, c, $inc, $bk, $target);
            let s = (pslot!(fp, ip, 1, 0) as u32).wrapping_add(lo) as u64;
            let d = (pslot!(fp, ip, 1, 2) as u32).wrapping_add(lo) as u64;
            let (so, dof) = (imm!(ip, 3) >> 32, imm!(ip, 4) >> 32);
            const WRAP: u64 = 1 << 32;
            if n != 0 && s + n <= WRAP && d + n <= WRAP && s + so + n <= len as u64 && d + dof + n <= len as u64 {
                let (s, d, n) = ((s + so) as usize, (d + dof) as usize, n as usize);
                if forward && d > s && d < s + n {
                    // Forwards into the source: the first `d - s` bytes repeat.
                    for j in 0..n {
                        *mem.add(d + j) = *mem.add(s + j);
                    }
                } else if !forward && s > d && s < d + n {
                    // Backwards into the source: the last `s - d` bytes repeat.
                    for j in (0..n).rev() {
                        *mem.add(d + j) = *mem.add(s + j);
                    }
                } else {
                    std::ptr::copy(mem.add(s), mem.add(d), n);
                }
                pslot!(fp, c, 1, 0) = bound as u64;
                next!(c.add($target + 1), fp, mem, len, ctx, acc, facc)
            }
            next!(ip, fp, mem, len, ctx, acc, facc; mcopy8_ss)
        }
    )*};
}

copy_loop! {
    copy_loop_ss, slot, slot, 3;
    copy_loop_si, slot, imm, 3;
    copy_loop_is, imm, slot, 4;
    copy_loop_ii, imm, imm, 4;
}

/// `[op, (dst, a, b)]`: `(a > b) - (a < b)` as an `i32` (-1, 0 or 1), the
/// three-way compare of Rust's `Ord::cmp` and C's `qsort` comparators;
/// the `_ret` forms put it in slot 0 and return.
macro_rules! cmp3 {
    ($($name:ident, $ret:ident, $t:ty;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let v = cmp3!(@v $t, fp, ip);
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add(2), fp, mem, len, ctx, v, facc)
        }
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $ret(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            *fp = cmp3!(@v $t, fp, ip);
            // The accumulator is dead across the return (as across calls).
            next!(ip, fp, mem, len, ctx, acc, facc; ret)
        }
    )*};
    // `(a > b) - (a < b)` of slot fields 1 and 2, as slot bits.
    (@v $t:ty, $fp:ident, $ip:ident) => {{
        let (a, b) = (<$t>::from_slot(pslot!($fp, $ip, 1, 1)), <$t>::from_slot(pslot!($fp, $ip, 1, 2)));
        ((a > b) as i32 - (a < b) as i32) as u32 as u64
    }};
}

cmp3! {
    i32_cmp3_s_ss, i32_cmp3_s_ss_ret, i32;
    i32_cmp3_u_ss, i32_cmp3_u_ss_ret, u32;
    i64_cmp3_s_ss, i64_cmp3_s_ss_ret, i64;
    i64_cmp3_u_ss, i64_cmp3_u_ss_ret, u64;
}

/// `(gt compare, lt compare, their three-way compare, its _ret form)`, for
/// `Translator::three_way`.
pub(crate) const CMP3: [(crate::exec::Handler, crate::exec::Handler, crate::exec::Handler, crate::exec::Handler); 4] = [
    (i32_gt_s_ss, i32_lt_s_ss, i32_cmp3_s_ss, i32_cmp3_s_ss_ret),
    (i32_gt_u_ss, i32_lt_u_ss, i32_cmp3_u_ss, i32_cmp3_u_ss_ret),
    (i64_gt_s_ss, i64_lt_s_ss, i64_cmp3_s_ss, i64_cmp3_s_ss_ret),
    (i64_gt_u_ss, i64_lt_u_ss, i64_cmp3_u_ss, i64_cmp3_u_ss_ret),
];

/// `[i64_xor_rotl_ss, (dst, a, b), k]`: `rotl(a ^ b, k)` (the mixing steps
/// of keccak and blake2); the `_as` form takes `a` from the accumulator.
macro_rules! xor_rotl {
    ($($name:ident, $a:ident;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let v = (operand!($a, u64, fp, ip, acc, facc) ^ pslot!(fp, ip, 1, 2)).rotate_left((imm!(ip, 2) % 64) as u32);
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add(3), fp, mem, len, ctx, v, facc)
        }
    )*};
}

xor_rotl! {
    i64_xor_rotl_ss, s1;
    i64_xor_rotl_as, acc;
}

// `[i64_andn_s, (dst, x, y), _]`: `x & !y` (keccak's chi step); the `_a`
// form takes `y` from the accumulator. Binary operations of `binop!`'s
// shape, with `x` always from its slot.
binop!(@one i64_andn_s, u64, |x, y| x & !y, s1, s2, 3);
binop!(@one i64_andn_a, u64, |x, y| x & !y, s1, acc, 3);

/// An `i64.xor` folded into the instruction before it, `[op, (dst, x, y),
/// (c)]`: `c ^ (x & !y)` (`i64_andn_xor_s`/`_a`, a whole keccak chi step,
/// `y` from the accumulator in `_a`) and `x ^ y ^ c` (`i64_xor3_ss`/`_as`,
/// two links of a parity chain, `x` from the accumulator in `_as`). Made by
/// `Translator::xor_folded`.
macro_rules! xor_folded {
    ($($name:ident, $x:ident, $y:ident, |$a:ident, $b:ident, $c:ident| $e:expr;)*) => {$(
        #[allow(unused_variables)]
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let $a = operand!($x, u64, fp, ip, acc, facc);
            let $b = operand!($y, u64, fp, ip, acc, facc);
            let $c = pslot!(fp, ip, 2, 0);
            let v = $e;
            pslot!(fp, ip, 1, 0) = v;
            next!(ip.add(3), fp, mem, len, ctx, v, facc)
        }
    )*};
}

xor_folded! {
    i64_andn_xor_s, s1, s2, |x, y, c| c ^ (x & !y);
    i64_andn_xor_a, s1, acc, |x, y, c| c ^ (x & !y);
    i64_xor3_ss, s1, s2, |x, y, c| x ^ y ^ c;
    i64_xor3_as, acc, s2, |x, y, c| x ^ y ^ c;
}

/// Of the two slots `a`, `b` of an instruction, the one that is not the
/// native loops' index slot `i` (`Translator::other_of` made sure one is).
#[inline(always)]
fn other_slot(a: usize, b: usize, i: usize) -> usize {
    if a == i {
        b
    } else {
        a
    }
}

/// A byte-scan loop (`while i != end { c = s[i]; if c is not in a class
/// { break } i += 1; self.pos = i }`, as rustc emits a JSON parser's
/// whitespace skip), run as one native loop by the cell of its first
/// instruction. The loop's instructions keep their cells and handlers
/// (a branch into the loop runs them one by one):
///
/// - `p`: `i32_load8_u_ss` `[_, (c, x, y), end]`, the byte at `x + y`, one of
///   them the index `i`;
/// - `p + 3`: a class test `r = c + k`, exit to `t1` if `r` compares with `n`
///   (the `ctr_*_ii_then_br_i32_(n)bit_si` forms, `[_, (r, c), k, n, t1]`),
///   continued at `p + 8` by a bit test `[_, (r), set, t2]` that either
///   exits to `t2` (`exit` forms: the next round goes on at `q = p + 12`) or
///   jumps to `q = t2` to go on (`cont` forms: it exits at `p + 12`);
/// - `q`: `i = i + k2` (`[_, (i, i), k2]`), its store at `q + 3`
///   (`[i32_store_v, (a), end]`, the address slot fixed), and at `q + 6` the
///   back edge `br_i32_ne_ss` `[_, (i, lim), p]`; the loop ends at `q + 9`.
///
/// `Translator::scan_loop_at` checks that shape, and that the slots written
/// (`c`, `r`, `i`) are distinct from each other and from the ones read only
/// (the other address operand, `a`, `lim`), which therefore hold still: the
/// index stays in a register across rounds instead of going through its
/// slot. Every round writes the slots and memory as the instructions would,
/// in their order, so a trap leaves the same state; the accumulator at each
/// exit is the one the instructions leave there (`c` at the class exits,
/// `i` at the loop's end).
macro_rules! scan_loop {
    ($($name:ident, $cont:expr, |$r:ident, $n:ident| $out:expr, |$x:ident, $set:ident| $taken:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let (test, bit) = (ip.add(3), ip.add(8));
            let q = if $cont { target!(bit, 3) } else { ip.add(12) };
            let (store, back) = (q.add(3), q.add(6));
            let i_slot = field!(q, 1, 0);
            let (c_slot, r_slot) = (field!(ip, 1, 0), field!(test, 1, 0));
            let other = other_slot(field!(ip, 1, 1), field!(ip, 1, 2), i_slot);
            let base = *fp.add(other) as u32;
            let end = imm!(ip, 2);
            let (k, $n, $set, step) = (imm!(test, 2) as u32, imm!(test, 3) as u32, imm!(bit, 2) as u32, imm!(q, 2) as u32);
            let at = (pslot!(fp, store, 1, 0) as u32) as u64 + imm!(store, 2);
            let lim = *fp.add(other_slot(field!(back, 1, 0), field!(back, 1, 1), i_slot)) as u32;
            let mut i = *fp.add(i_slot) as u32;
            loop {
                let c = *access!(u8, mem, len, ctx, base.wrapping_add(i) as u64 + end) as u32;
                *fp.add(c_slot) = c as u64;
                let $r = c.wrapping_add(k);
                *fp.add(r_slot) = $r as u64;
                if $out {
                    next!(target!(test, 4), fp, mem, len, ctx, c as u64, facc)
                }
                let $x = $r;
                let taken = $taken;
                if taken != $cont {
                    let exit = if $cont { ip.add(12) } else { target!(bit, 3) };
                    next!(exit, fp, mem, len, ctx, c as u64, facc)
                }
                i = i.wrapping_add(step);
                *fp.add(i_slot) = i as u64;
                access!(u32, mem, len, ctx, at).write_unaligned(i.to_le());
                if i == lim {
                    next!(q.add(9), fp, mem, len, ctx, i as u64, facc)
                }
            }
        }
    )*};
}

scan_loop! {
    scan_loop_gt_u_nbit, false, |r, n| r > n, |x, set| (1 << (x & 31)) & set == 0;
    scan_loop_gt_u_bit, false, |r, n| r > n, |x, set| (1 << (x & 31)) & set != 0;
    scan_loop_le_u_nbit, false, |r, n| r <= n, |x, set| (1 << (x & 31)) & set == 0;
    scan_loop_le_u_bit, false, |r, n| r <= n, |x, set| (1 << (x & 31)) & set != 0;
    scan_loop_gt_u_nbit_cont, true, |r, n| r > n, |x, set| (1 << (x & 31)) & set == 0;
    scan_loop_gt_u_bit_cont, true, |r, n| r > n, |x, set| (1 << (x & 31)) & set != 0;
    scan_loop_le_u_nbit_cont, true, |r, n| r <= n, |x, set| (1 << (x & 31)) & set == 0;
    scan_loop_le_u_bit_cont, true, |r, n| r <= n, |x, set| (1 << (x & 31)) & set != 0;
}

/// A byte-scan loop for a set member (`while s[i] - k` is not in (or is in)
/// a small set: `i += inc; if i == lim { break }`, a word counter's search
/// for the next space), run as one native loop by the cell of its first
/// instruction; the instructions keep their cells and handlers:
///
/// - `p`: `i32_load8_u_ss` `[_, (c, x, y), end]`, one of `x`, `y` the index `i`;
/// - `p + 3`: `i32_add_ai`/`_si` `[_, (r, c), k]`;
/// - `p + 6`: `br_i32_inset_ai`/`_si` (`ninset`) `[_, (r), set, t]`, leaving to `t`;
/// - `p + 10`: `ctr_ne_is`/`_ii` `[_, (i, i), inc, lim, p]`; the loop ends at `p + 15`.
///
/// `Translator::inset_loop_at` checks that shape and that `c`, `r`, `i` are
/// distinct and not the other address operand or `lim`. Every round writes
/// the slots as the instructions do, in their order (a trap leaves the same
/// state); the accumulator at both exits is `r`, as the instructions leave it.
macro_rules! inset_loop {
    ($($name:ident, $exit_in:expr, $bk:ident;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let (add, test, ctr) = (ip.add(3), ip.add(6), ip.add(10));
            let i_slot = field!(ctr, 1, 0);
            let (c_slot, r_slot) = (field!(ip, 1, 0), field!(add, 1, 0));
            let other = other_slot(field!(ip, 1, 1), field!(ip, 1, 2), i_slot);
            let base = *fp.add(other) as u32;
            let (end, k, set, inc) = (imm!(ip, 2), imm!(add, 2) as u32, imm!(test, 2) as u32, imm!(ctr, 2) as u32);
            let lim = ctr_br!(@b $bk, fp, ctr, 4) as u32;
            let mut i = *fp.add(i_slot) as u32;
            loop {
                let c = *access!(u8, mem, len, ctx, base.wrapping_add(i) as u64 + end) as u32;
                *fp.add(c_slot) = c as u64;
                let r = c.wrapping_add(k);
                *fp.add(r_slot) = r as u64;
                if in_set(r, set) == $exit_in {
                    next!(target!(test, 3), fp, mem, len, ctx, r as u64, facc)
                }
                i = i.wrapping_add(inc);
                *fp.add(i_slot) = i as u64;
                if i == lim {
                    next!(ip.add(15), fp, mem, len, ctx, r as u64, facc)
                }
            }
        }
    )*};
}

inset_loop! {
    inset_loop_in_s, true, slot;
    inset_loop_in_i, true, imm;
    inset_loop_out_s, false, slot;
    inset_loop_out_i, false, imm;
}

/// A byte-scan loop over a character class (`while i != lim { c = s[i];
/// i += inc; if ((c & m1) + k) & m2 < n { continue } break }`, a word
/// counter's scan over letters), run like `inset_loop!` by the cell of its
/// first instruction:
///
/// - `p`: `br_i32_eq_ss` `[_, (i, lim), t]` (or `(lim, i)`), leaving to `t`;
/// - `p + 3`: `i32_load8_u_ss_inc` `[_, (c, x, y), end, (i, i), inc]`, one of
///   `x`, `y` the index;
/// - `p + 8`: `i32_and_ai`/`_si` `[_, (u, c), m1]`;
/// - `p + 11`: `br_i32_add_and_lt_u_a` (`le_u`) `[_, (v, u), k | m2 << 32, n, p]`;
///   the loop ends at `p + 16`.
///
/// `Translator::class_loop_at` checks the shape: `i` is distinct from `c`,
/// `u`, `v`, and the other address operand and `lim` from all four. The
/// accumulator at the exits is the instructions': the one the handler got
/// when it leaves at once, else `v`.
macro_rules! class_loop {
    ($($name:ident, |$v:ident, $n:ident| $more:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let (ld, and, test) = (ip.add(3), ip.add(8), ip.add(11));
            let i_slot = field!(ld, 3, 0);
            let lim_slot = other_slot(field!(ip, 1, 0), field!(ip, 1, 1), i_slot);
            let (c_slot, u_slot, v_slot) = (field!(ld, 1, 0), field!(and, 1, 0), field!(test, 1, 0));
            let other = other_slot(field!(ld, 1, 1), field!(ld, 1, 2), i_slot);
            let (base, lim) = (*fp.add(other) as u32, *fp.add(lim_slot) as u32);
            let (end, inc, m1, km, $n) = (imm!(ld, 2), imm!(ld, 4) as u32, imm!(and, 2) as u32, imm!(test, 2), imm!(test, 3) as u32);
            let mut i = *fp.add(i_slot) as u32;
            let mut acc = acc;
            loop {
                if i == lim {
                    next!(target!(ip, 2), fp, mem, len, ctx, acc, facc)
                }
                let c = *access!(u8, mem, len, ctx, base.wrapping_add(i) as u64 + end) as u32;
                i = i.wrapping_add(inc);
                *fp.add(i_slot) = i as u64;
                *fp.add(c_slot) = c as u64;
                let u = c & m1;
                *fp.add(u_slot) = u as u64;
                let $v = add_mask(u, km);
                *fp.add(v_slot) = $v as u64;
                acc = $v as u64;
                if !$more {
                    next!(ip.add(16), fp, mem, len, ctx, acc, facc)
                }
            }
        }
    )*};
}

class_loop! {
    class_loop_lt_u, |v, n| v < n;
    class_loop_le_u, |v, n| v <= n;
}

/// A loop over a byte range up to and including `k` (Rust's
/// `RangeInclusive`: `for b in i..=k`) whose body is skipped while a table
/// byte equals a value (`if table[b] == x { continue }`), run as one native
/// loop by the cell of its first instruction until the body is due or the
/// range ends; the instructions keep their cells and handlers:
///
/// - `p`: `i32_load8_u_ss` `[_, (c, y1, y2), end]`, one of `y1`, `y2` the index `i`;
/// - `p + 3`: `i32_and_si` `[_, (t, x), m]`;
/// - `p + 6`: `br_i32_eq_ss` `[_, (c, t), s]` (either order): the body at
///   `p + 9` runs when they differ;
/// - `s`: `i32_eq_si` `[_, (e, i), k]`, `s + 3`: `br_nez_i32_a` `[_, e, out]`;
/// - `s + 6`: `i32_add_si` `[_, (n, i), 1]`, `s + 9`: `copy_imm` `[_, z, v]`,
///   `s + 12`: `select` `[_, (i, e, z), (n)]` (the range's `exhausted` flag);
/// - `s + 15`: `br_i32_le_u_ai`/`_si` `[_, (i), k2, p]`; the loop ends at `s + 19`.
///
/// `Translator::range_skip_loop_at` checks the shape, that each slot
/// written (`c`, `t`, `e`, `n`, `z`, `i`) keeps its value until it is read
/// (`e` may reuse `c`'s slot, `n` `t`'s), and that none is one only read
/// (`x`, the other address operand). Every round writes the slots as
/// the instructions do, in their order; the accumulator at each exit is the
/// instructions' (`t` into the body, `e` at `out`, `i` at the end).
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn range_skip_loop(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
    let (and, br) = (ip.add(3), ip.add(6));
    let s = target!(br, 2);
    let (eq, out, add, ci, back) = (s, s.add(3), s.add(6), s.add(9), s.add(15));
    let i_slot = field!(eq, 1, 1);
    let other = other_slot(field!(ip, 1, 1), field!(ip, 1, 2), i_slot);
    let (c_slot, t_slot, e_slot, n_slot, z_slot) =
        (field!(ip, 1, 0), field!(and, 1, 0), field!(eq, 1, 0), field!(add, 1, 0), field!(ci, 1, 0));
    let (base, end) = (*fp.add(other) as u32, imm!(ip, 2));
    let t = (pslot!(fp, and, 1, 1) as u32) & imm!(and, 2) as u32;
    let (k, step, z, k2) = (imm!(eq, 2) as u32, imm!(add, 2) as u32, imm!(ci, 2), imm!(back, 2) as u32);
    let mut i = *fp.add(i_slot) as u32;
    loop {
        let c = *access!(u8, mem, len, ctx, base.wrapping_add(i) as u64 + end) as u32;
        *fp.add(c_slot) = c as u64;
        *fp.add(t_slot) = t as u64;
        if c != t {
            next!(ip.add(9), fp, mem, len, ctx, t as u64, facc)
        }
        let e = (i == k) as u64;
        *fp.add(e_slot) = e;
        if e != 0 {
            next!(target!(out, 2), fp, mem, len, ctx, e, facc)
        }
        i = i.wrapping_add(step);
        *fp.add(n_slot) = i as u64;
        *fp.add(z_slot) = z;
        // `e` is 0: the select picks `n`.
        *fp.add(i_slot) = i as u64;
        if i > k2 {
            next!(back.add(4), fp, mem, len, ctx, i as u64, facc)
        }
    }
}

/// A table-driven automaton over bytes (a regex DFA's or a lexer's search
/// loop: `while i != end { state = trans[state + class[s[i]]]; if state <=
/// last_special { .. } i += 1 }`, with the tables' bounds checked), run as
/// one native loop by the cell of its first instruction; the instructions
/// keep their cells and handlers:
///
/// - `p`: `br_i32_eq_ss` `[_, (i, end), t0]` (either order), leaving to `t0`;
/// - `p + 3`: `i32_load8_u_ss_load8_u` `[_, (b, x, y), e1, (cls, tbl), e2]`,
///   `b = s[i]` (one of `x`, `y` the index), `cls = class[b]`;
/// - `p + 8`: `i32_add_as` `[_, (idx, cls, st)]`, `idx = cls + state`;
/// - `p + 10`: `i32_load_then_br_i32_ge_u_ss` `[_, (n, d), e3] [_, (idx, n), t1]`:
///   the transition table's length, leaving to `t1` if `idx >= n`;
/// - `p + 16`: `i32_load_then_load_sx` `[_, (st, d, tab), e4, (idx), k, e5]`,
///   `state = trans[idx]`;
/// - `p + 22`: `i32_load_then_br_i32_gt_u_ss` `[_, (mx, d), e6] [_, (st, mx), q]`:
///   on to `q` if `state > mx`, else the code after it (`p + 28`) runs;
/// - `q`: `ctr_ne_is` `[_, (i, i), inc, (lim), p]`; the loop ends at `q + 5`.
///
/// `Translator::dfa_loop_at` checks the shape and the slots: the ones
/// written (`b`, `cls`, `idx`, `n`, `tab`, `st`, `mx`) distinct but for `mx`
/// reusing `cls`'s, and none of them `i` or a slot only read (`end`, the
/// other address operand, `tbl`, `d`, `lim`). Every round does the loads,
/// bounds checks and slot writes of the instructions in their order; the
/// accumulator at each exit is theirs.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn dfa_loop(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let (ld, add, lenck, step, spec) = (ip.add(3), ip.add(8), ip.add(10), ip.add(16), ip.add(22));
    let q = target!(spec, 5);
    let i_slot = field!(q, 1, 0);
    let end_slot = other_slot(field!(ip, 1, 0), field!(ip, 1, 1), i_slot);
    let other = other_slot(field!(ld, 1, 1), field!(ld, 1, 2), i_slot);
    let (b_slot, cls_slot, idx_slot) = (field!(ld, 1, 0), field!(ld, 3, 0), field!(add, 1, 0));
    let (n_slot, st_slot, tab_slot, mx_slot) =
        (field!(lenck, 1, 0), field!(step, 1, 0), field!(step, 1, 2), field!(spec, 1, 0));
    let (s, tbl, d) = (*fp.add(other) as u32, pslot!(fp, ld, 3, 1) as u32, pslot!(fp, lenck, 1, 1) as u32);
    let (end, lim) = (*fp.add(end_slot) as u32, pslot!(fp, q, 3, 0) as u32);
    let (e1, e2, e3, e4, k, e5, e6) = (
        imm!(ld, 2),
        imm!(ld, 4),
        imm!(lenck, 2),
        imm!(step, 2),
        imm!(step, 4) as u32 & 31,
        imm!(step, 5),
        imm!(spec, 2),
    );
    let inc = imm!(q, 2) as u32;
    let mut i = *fp.add(i_slot) as u32;
    let mut st = *fp.add(st_slot) as u32;
    let mut acc = acc;
    loop {
        if i == end {
            next!(target!(ip, 2), fp, mem, len, ctx, acc, facc)
        }
        let b = *access!(u8, mem, len, ctx, s.wrapping_add(i) as u64 + e1) as u32;
        *fp.add(b_slot) = b as u64;
        let cls = *access!(u8, mem, len, ctx, b.wrapping_add(tbl) as u64 + e2) as u32;
        *fp.add(cls_slot) = cls as u64;
        let idx = cls.wrapping_add(st);
        *fp.add(idx_slot) = idx as u64;
        let n = u32::from_le(access!(u32, mem, len, ctx, d as u64 + e3).read_unaligned());
        *fp.add(n_slot) = n as u64;
        if idx >= n {
            next!(target!(lenck, 5), fp, mem, len, ctx, n as u64, facc)
        }
        let tab = u32::from_le(access!(u32, mem, len, ctx, d as u64 + e4).read_unaligned());
        *fp.add(tab_slot) = tab as u64;
        st = u32::from_le(access!(u32, mem, len, ctx, tab.wrapping_add(idx << k) as u64 + e5).read_unaligned());
        *fp.add(st_slot) = st as u64;
        let mx = u32::from_le(access!(u32, mem, len, ctx, d as u64 + e6).read_unaligned());
        *fp.add(mx_slot) = mx as u64;
        acc = mx as u64;
        if st <= mx {
            next!(spec.add(6), fp, mem, len, ctx, acc, facc)
        }
        i = i.wrapping_add(inc);
        *fp.add(i_slot) = i as u64;
        if i == lim {
            next!(q.add(5), fp, mem, len, ctx, acc, facc)
        }
    }
}

/// `(class test continued in its bit test, the bit test, the scan loop
/// whose bit test exits, the one whose bit test goes on)` for
/// `Translator::scan_loop_at`.
pub(crate) const SCAN_LOOPS: [(crate::exec::Handler, crate::exec::Handler, [crate::exec::Handler; 2]); 4] = [
    (ctr_gt_u_ii_then_br_i32_nbit_si, br_i32_nbit_si, [scan_loop_gt_u_nbit, scan_loop_gt_u_nbit_cont]),
    (ctr_gt_u_ii_then_br_i32_bit_si, br_i32_bit_si, [scan_loop_gt_u_bit, scan_loop_gt_u_bit_cont]),
    (ctr_le_u_ii_then_br_i32_nbit_si, br_i32_nbit_si, [scan_loop_le_u_nbit, scan_loop_le_u_nbit_cont]),
    (ctr_le_u_ii_then_br_i32_bit_si, br_i32_bit_si, [scan_loop_le_u_bit, scan_loop_le_u_bit_cont]),
];

/// A reduction loop: `s = s + load(i + off)` (an `op_load!` add whose other
/// operand is its destination, `[_, (s, i, s), end]`) then a `ctr_ne_*`
/// counter on `i` back to it: an array sum or checksum, run as one native
/// loop by the add's cell, `s` and `i` in registers across rounds. The
/// counter's cells and fields are the `ctr_br!` forms' (`$inc`, `$bk`,
/// `$target` as there); `Translator::reduce_loop_at` checks that `s` is
/// neither the counter nor its increment or bound, which therefore hold
/// still. Every round writes both slots, so a trap of a load leaves them as
/// the instructions would; the accumulator at the end holds `s`, as the add
/// leaves it (the counter passes it on).
macro_rules! reduce_loop {
    ($($name:ident, $m:ty, |$x:ident, $y:ident| $e:expr, $inc:ident, $bk:ident, $target:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let c = ip.add(3);
            let (s_slot, i_slot) = (field!(ip, 1, 0), field!(ip, 1, 1));
            let end = imm!(ip, 2);
            let step = ctr_br!(@inc $inc, fp, c) as u32;
            let bound = ctr_br!(@b $bk, fp, c, $target) as u32;
            let mut s = *fp.add(s_slot);
            let mut i = *fp.add(i_slot) as u32;
            loop {
                let $x = <$m>::from_le(access!($m, mem, len, ctx, i as u64 + end).read_unaligned()) as u64;
                let $y = s;
                s = $e;
                *fp.add(s_slot) = s;
                i = i.wrapping_add(step);
                *fp.add(i_slot) = i as u64;
                if i == bound {
                    next!(c.add($target + 1), fp, mem, len, ctx, s, facc)
                }
            }
        }
    )*};
}

reduce_loop! {
    i32_add_load_loop_ss, u32, |x, y| (x as u32).wrapping_add(y as u32) as u64, slot, slot, 3;
    i32_add_load_loop_si, u32, |x, y| (x as u32).wrapping_add(y as u32) as u64, slot, imm, 3;
    i32_add_load_loop_is, u32, |x, y| (x as u32).wrapping_add(y as u32) as u64, imm, slot, 4;
    i32_add_load_loop_ii, u32, |x, y| (x as u32).wrapping_add(y as u32) as u64, imm, imm, 4;
    i32_add_load8_u_loop_ss, u8, |x, y| (x as u32).wrapping_add(y as u32) as u64, slot, slot, 3;
    i32_add_load8_u_loop_si, u8, |x, y| (x as u32).wrapping_add(y as u32) as u64, slot, imm, 3;
    i32_add_load8_u_loop_is, u8, |x, y| (x as u32).wrapping_add(y as u32) as u64, imm, slot, 4;
    i32_add_load8_u_loop_ii, u8, |x, y| (x as u32).wrapping_add(y as u32) as u64, imm, imm, 4;
    i64_add_load_loop_ss, u64, |x, y| x.wrapping_add(y), slot, slot, 3;
    i64_add_load_loop_si, u64, |x, y| x.wrapping_add(y), slot, imm, 3;
    i64_add_load_loop_is, u64, |x, y| x.wrapping_add(y), imm, slot, 4;
    i64_add_load_loop_ii, u64, |x, y| x.wrapping_add(y), imm, imm, 4;
    i64_add_load8_u_loop_ss, u8, |x, y| x.wrapping_add(y), slot, slot, 3;
    i64_add_load8_u_loop_si, u8, |x, y| x.wrapping_add(y), slot, imm, 3;
    i64_add_load8_u_loop_is, u8, |x, y| x.wrapping_add(y), imm, slot, 4;
    i64_add_load8_u_loop_ii, u8, |x, y| x.wrapping_add(y), imm, imm, 4;
}

/// `(op_load add, its reduction loops in the counter's form order [ss, si,
/// is, ii])` for `Translator::reduce_loop_at`.
pub(crate) const REDUCE_LOOPS: [(crate::exec::Handler, [crate::exec::Handler; 4]); 4] = [
    (i32_add_load, [i32_add_load_loop_ss, i32_add_load_loop_si, i32_add_load_loop_is, i32_add_load_loop_ii]),
    (
        i32_add_load8_u,
        [i32_add_load8_u_loop_ss, i32_add_load8_u_loop_si, i32_add_load8_u_loop_is, i32_add_load8_u_loop_ii],
    ),
    (i64_add_load, [i64_add_load_loop_ss, i64_add_load_loop_si, i64_add_load_loop_is, i64_add_load_loop_ii]),
    (
        i64_add_load8_u,
        [i64_add_load8_u_loop_ss, i64_add_load8_u_loop_si, i64_add_load8_u_loop_is, i64_add_load8_u_loop_ii],
    ),
];

/// A linked-list reversal: `[copy, (c, l)]`, `[i32_load or i64_load32_u,
/// (l, c), end1]`, `[i32_store, (c, r), end2]`, `[copy_br_nez, (r, c, l),
/// back here]` (`while l != 0 { c = l; l = c->next; c->next = r; r = c }`),
/// run as one native loop by the copy's cell with `l` and `r` in registers.
/// `Translator::list_reverse_loop_at` checks the layout and that `c`, `l`
/// and `r` are three slots. Every round writes the three slots and memory in
/// the instructions' order (the load's trap comes before the store); the
/// accumulator at the end holds the last value loaded (0), as the load
/// leaves it and the store and the branch pass it on.
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn list_reverse_loop(
    ip: Ip,
    fp: Fp,
    mem: Mem,
    len: usize,
    ctx: *mut Ctx,
    _acc: u64,
    facc: f64,
) -> Ip {
    let (c_slot, l_slot, r_slot) = (field!(ip, 1, 0), field!(ip, 1, 1), field!(ip, 6, 1));
    let (end1, end2) = (imm!(ip, 4), imm!(ip, 7));
    let mut l = *fp.add(l_slot) as u32;
    let mut r = *fp.add(r_slot) as u32;
    loop {
        let c = l;
        *fp.add(c_slot) = c as u64;
        l = u32::from_le(access!(u32, mem, len, ctx, c as u64 + end1).read_unaligned());
        *fp.add(l_slot) = l as u64;
        access!(u32, mem, len, ctx, c as u64 + end2).write_unaligned(r.to_le());
        r = c;
        *fp.add(r_slot) = r as u64;
        if l == 0 {
            next!(ip.add(11), fp, mem, len, ctx, 0, facc)
        }
    }
}

/// A rotation loop: `t = a + b; a = b; b = t` (an `*_add_ss_then_rotate`,
/// `[_, (t, a, b), _, (a, b, b), (t)]`) then a `ctr_ne_*` counter back to it:
/// a two-term recurrence (Fibonacci's), run as one native loop by the add's
/// cell, `a`, `b` and the counter in registers across rounds. The counter's
/// cells and fields are the `ctr_br!` forms' (`$ctr` the counter's type,
/// `$inc`, `$bk`, `$target` as there); `Translator::rotate_loop_at` checks
/// that `t`, `a`, `b` and the counter are four slots and that the counter's
/// increment and bound are none of the first three. Every round writes all
/// four slots; the accumulator at the end holds the sum, as the add leaves
/// it (the counter passes it on).
macro_rules! rotate_loop {
    ($($name:ident, $t:ty, $ctr:ty, $inc:ident, $bk:ident, $target:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, _acc: u64, facc: f64) -> Ip {
            let c = ip.add(5);
            let (t_slot, a_slot, b_slot, i_slot) = (field!(ip, 1, 0), field!(ip, 1, 1), field!(ip, 1, 2), field!(c, 1, 0));
            let step = ctr_br!(@inc $inc, fp, c) as $ctr;
            let bound = ctr_br!(@b $bk, fp, c, $target) as $ctr;
            let (mut a, mut b) = (*fp.add(a_slot) as $t, *fp.add(b_slot) as $t);
            let mut i = *fp.add(i_slot) as $ctr;
            loop {
                let v = a.wrapping_add(b);
                (a, b) = (b, v);
                *fp.add(t_slot) = v as u64;
                *fp.add(a_slot) = a as u64;
                *fp.add(b_slot) = b as u64;
                i = i.wrapping_add(step);
                *fp.add(i_slot) = i as u64;
                if i == bound {
                    next!(c.add($target + 1), fp, mem, len, ctx, v as u64, facc)
                }
            }
        }
    )*};
}

rotate_loop! {
    i32_rotate_loop_ss, u32, u32, slot, slot, 3;
    i32_rotate_loop_si, u32, u32, slot, imm, 3;
    i32_rotate_loop_is, u32, u32, imm, slot, 4;
    i32_rotate_loop_ii, u32, u32, imm, imm, 4;
    i64_rotate_loop_ss, u64, u32, slot, slot, 3;
    i64_rotate_loop_si, u64, u32, slot, imm, 3;
    i64_rotate_loop_is, u64, u32, imm, slot, 4;
    i64_rotate_loop_ii, u64, u32, imm, imm, 4;
    i32_rotate_loop64_ss, u32, u64, slot, slot, 3;
    i32_rotate_loop64_si, u32, u64, slot, imm, 3;
    i32_rotate_loop64_is, u32, u64, imm, slot, 4;
    i32_rotate_loop64_ii, u32, u64, imm, imm, 4;
    i64_rotate_loop64_ss, u64, u64, slot, slot, 3;
    i64_rotate_loop64_si, u64, u64, slot, imm, 3;
    i64_rotate_loop64_is, u64, u64, imm, slot, 4;
    i64_rotate_loop64_ii, u64, u64, imm, imm, 4;
}

/// `(add_then_rotate, [its rotation loops with an i32 counter, with an i64
/// counter], each in the counter's form order [ss, si, is, ii])` for
/// `Translator::rotate_loop_at`.
pub(crate) const ROTATE_LOOPS: [(crate::exec::Handler, [[crate::exec::Handler; 4]; 2]); 2] = [
    (
        i32_add_ss_then_rotate,
        [
            [i32_rotate_loop_ss, i32_rotate_loop_si, i32_rotate_loop_is, i32_rotate_loop_ii],
            [i32_rotate_loop64_ss, i32_rotate_loop64_si, i32_rotate_loop64_is, i32_rotate_loop64_ii],
        ],
    ),
    (
        i64_add_ss_then_rotate,
        [
            [i64_rotate_loop_ss, i64_rotate_loop_si, i64_rotate_loop_is, i64_rotate_loop_ii],
            [i64_rotate_loop64_ss, i64_rotate_loop64_si, i64_rotate_loop64_is, i64_rotate_loop64_ii],
        ],
    ),
];

/// A byte-fill loop: `n = n - 1` (`i32_add_si` of -1), a byte store of a fixed
/// value at `p + n` (`i32_store8_imm_ss` or `i32_store8_ss`), then
/// `br_nez_i32 n` back to the subtraction (Rust's `memset` without bulk
/// memory). The cell is the `i32_add_si` cell with its handler replaced
/// (`translate::fuse_bulk_loops`); the other cells follow unchanged. When
/// every byte the loop would store is in bounds without address wrap-around
/// they are filled at once and `n` becomes 0; otherwise one iteration runs as
/// `i32_add_si` and the store, which traps where the loop would.
macro_rules! fill_loop {
    ($($name:ident, $v:ident, $cells:expr;)*) => {$(
        #[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
        pub(crate) unsafe fn $name(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
            let st = ip.add(3);
            let n = pslot!(fp, ip, 1, 0) as u32;
            // One of the address operands is the counter (after its decrement).
            let lo = (pslot!(fp, st, 1, 0) as u32).wrapping_add(pslot!(fp, st, 1, 1) as u32).wrapping_sub(n) as u64;
            let off = imm!(st, $cells - 1) - 1;
            if n != 0 && lo + n as u64 <= 1 << 32 && lo + off + n as u64 <= len as u64 {
                let v = store_loop!(@v $v, fp, st) as u8;
                std::ptr::write_bytes(mem.add((lo + off) as usize), v, n as usize);
                pslot!(fp, ip, 1, 0) = 0;
                // What the last `i32_add_si` would have left in the accumulator.
                next!(st.add($cells + 3), fp, mem, len, ctx, 0, facc)
            }
            next!(ip, fp, mem, len, ctx, acc, facc; i32_add_si)
        }
    )*};
}

fill_loop! {
    fill_loop_imm, imm, 4;
    fill_loop_slot, slot, 3;
}

/// `[memory_size, dst]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn memory_size(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    slot!(fp, ip, 1) = (len / crate::PAGE_SIZE) as u64;
    next!(ip.add(2), fp, mem, len, ctx, acc, facc)
}

/// `[memory_grow, dst, delta]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn memory_grow(ip: Ip, fp: Fp, _mem: Mem, _len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let m = inst(ctx).memory;
    let limit = store(ctx).limits.max_memory_pages;
    let delta = slot!(fp, ip, 2) as u32;
    let r = (*m).grow(delta, limit).unwrap_or(u32::MAX);
    slot!(fp, ip, 1) = r as u64;
    let (mem, len) = (*ctx).memory();
    next_reload!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// Is `[start, start+n)` inside `0..len`?
#[inline(always)]
fn in_bounds(start: u64, n: u64, len: usize) -> bool {
    start.checked_add(n).is_some_and(|end| end <= len as u64)
}

/// `[memory_fill, dst, value, n]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn memory_fill(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let (d, v, n) = (slot!(fp, ip, 1) as u32 as u64, slot!(fp, ip, 2) as u8, slot!(fp, ip, 3) as u32 as u64);
    if !in_bounds(d, n, len) {
        trap!(ctx, TrapCode::MemoryOutOfBounds);
    }
    std::ptr::write_bytes(mem.add(d as usize), v, n as usize);
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[memory_copy, dst, src, n]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn memory_copy(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let (d, s, n) = (slot!(fp, ip, 1) as u32 as u64, slot!(fp, ip, 2) as u32 as u64, slot!(fp, ip, 3) as u32 as u64);
    if !in_bounds(d, n, len) || !in_bounds(s, n, len) {
        trap!(ctx, TrapCode::MemoryOutOfBounds);
    }
    std::ptr::copy(mem.add(s as usize), mem.add(d as usize), n as usize);
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[memory_init, segment, dst, src, n]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn memory_init(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let inst = &*(*ctx).inst;
    let data = inst.data_bytes(imm!(ip, 1) as usize);
    let (d, s, n) = (slot!(fp, ip, 2) as u32 as u64, slot!(fp, ip, 3) as u32 as u64, slot!(fp, ip, 4) as u32 as u64);
    if !in_bounds(d, n, len) || !in_bounds(s, n, data.len()) {
        trap!(ctx, TrapCode::MemoryOutOfBounds);
    }
    std::ptr::copy_nonoverlapping(data.as_ptr().add(s as usize), mem.add(d as usize), n as usize);
    next!(ip.add(5), fp, mem, len, ctx, acc, facc)
}

/// `[data_drop, segment]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn data_drop(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    inst(ctx).datas[imm!(ip, 1) as usize] = 0..0;
    next!(ip.add(2), fp, mem, len, ctx, acc, facc)
}

// ---------------------------------------------------------------------------
// Tables and references
// ---------------------------------------------------------------------------

#[inline(always)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn table<'a>(ctx: *mut Ctx, t: u64) -> &'a mut crate::runtime::store::TableEntity {
    &mut **inst(ctx).tables.get_unchecked(t as usize)
}

/// `[table_get, table, dst, index]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_get(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let t = table(ctx, imm!(ip, 1));
    let Some(e) = t.elems.get(slot!(fp, ip, 3) as u32 as usize) else { trap!(ctx, TrapCode::TableOutOfBounds) };
    slot!(fp, ip, 2) = e.raw;
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[table_set, table, index, value]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_set(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let t = table(ctx, imm!(ip, 1));
    let v = store(ctx).elem(t.ty.element, slot!(fp, ip, 3));
    let Some(e) = t.elems.get_mut(slot!(fp, ip, 2) as u32 as usize) else { trap!(ctx, TrapCode::TableOutOfBounds) };
    *e = v;
    next!(ip.add(4), fp, mem, len, ctx, acc, facc)
}

/// `[table_size, table, dst]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_size(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    slot!(fp, ip, 2) = table(ctx, imm!(ip, 1)).elems.len() as u64;
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

/// `[table_grow, table, dst, init, delta]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_grow(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    slot!(fp, ip, 2) = table_grow_by(ctx, imm!(ip, 1), slot!(fp, ip, 3), slot!(fp, ip, 4) as u32) as u64;
    next!(ip.add(5), fp, mem, len, ctx, acc, facc)
}

/// `table_grow`'s work, out of line: the element record it builds is a stack
/// temporary whose address escapes, which (inlined) turned the handler's
/// dispatch into a call in the dev profile's build (many codegen units, no
/// LTO; `tests/dispatch.rs` caught it).
#[inline(never)]
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
unsafe fn table_grow_by(ctx: *mut Ctx, table_index: u64, value: u64, delta: u32) -> u32 {
    let limit = store(ctx).limits.max_table_elements;
    let t = table(ctx, table_index);
    let init = store(ctx).elem(t.ty.element, value);
    t.grow(delta, init, limit).unwrap_or(u32::MAX)
}

/// `[table_fill, table, index, value, n]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_fill(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let t = table(ctx, imm!(ip, 1));
    let (i, v, n) = (slot!(fp, ip, 2) as u32 as u64, slot!(fp, ip, 3), slot!(fp, ip, 4) as u32 as u64);
    if !in_bounds(i, n, t.elems.len()) {
        trap!(ctx, TrapCode::TableOutOfBounds);
    }
    let v = store(ctx).elem(t.ty.element, v);
    t.elems[i as usize..(i + n) as usize].fill(v);
    next!(ip.add(5), fp, mem, len, ctx, acc, facc)
}

/// `[table_copy, dst_table, src_table, dst, src, n]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_copy(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let (d, s, n) = (slot!(fp, ip, 3) as u32 as u64, slot!(fp, ip, 4) as u32 as u64, slot!(fp, ip, 5) as u32 as u64);
    let (dt, st) = (imm!(ip, 1), imm!(ip, 2));
    let dlen = table(ctx, dt).elems.len();
    let slen = table(ctx, st).elems.len();
    if !in_bounds(d, n, dlen) || !in_bounds(s, n, slen) {
        trap!(ctx, TrapCode::TableOutOfBounds);
    }
    let src = table(ctx, st).elems.as_ptr().add(s as usize);
    let dst = table(ctx, dt).elems.as_mut_ptr().add(d as usize);
    std::ptr::copy(src, dst, n as usize);
    next!(ip.add(6), fp, mem, len, ctx, acc, facc)
}

/// `[table_init, table, segment, dst, src, n]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn table_init(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    let (d, s, n) = (slot!(fp, ip, 3) as u32 as u64, slot!(fp, ip, 4) as u32 as u64, slot!(fp, ip, 5) as u32 as u64);
    let seg: &[u64] = &inst(ctx).elems[imm!(ip, 2) as usize];
    let t = table(ctx, imm!(ip, 1));
    if !in_bounds(d, n, t.elems.len()) || !in_bounds(s, n, seg.len()) {
        trap!(ctx, TrapCode::TableOutOfBounds);
    }
    let funcs = &store(ctx).funcs;
    for (e, &raw) in t.elems[d as usize..(d + n) as usize].iter_mut().zip(&seg[s as usize..(s + n) as usize]) {
        *e = crate::runtime::store::elem_of(funcs, t.ty.element, raw);
    }
    next!(ip.add(6), fp, mem, len, ctx, acc, facc)
}

/// `[elem_drop, segment]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn elem_drop(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    inst(ctx).elems[imm!(ip, 1) as usize] = Box::new([]);
    next!(ip.add(2), fp, mem, len, ctx, acc, facc)
}

/// `[ref_func, dst, func_index]`
#[cfg_attr(baton_section, link_section = ".text.baton_handlers")]
pub(crate) unsafe fn ref_func(ip: Ip, fp: Fp, mem: Mem, len: usize, ctx: *mut Ctx, acc: u64, facc: f64) -> Ip {
    slot!(fp, ip, 1) = *inst(ctx).funcs.get_unchecked(imm!(ip, 2) as usize) as u64 + 1;
    next!(ip.add(3), fp, mem, len, ctx, acc, facc)
}

// The handlers' section (see "Code layout" above) starts on a 64-byte boundary.
#[cfg(all(baton_section, not(miri)))]
std::arch::global_asm!(".pushsection .text.baton_handlers,\"ax\",@progbits", ".p2align 6", ".popsection");
