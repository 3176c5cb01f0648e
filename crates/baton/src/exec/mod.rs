//! Execution: the calling convention between handlers, the call/frame stacks,
//! and the entry point from the host ([`invoke`]).
//!
//! See [`handlers`] for the invariants every handler relies on.

pub(crate) mod handlers;
#[cfg(feature = "handler-stats")]
pub mod stats;

use std::sync::atomic::AtomicBool;

use crate::error::{Error, Result, Trap, TrapCode};
use crate::module::FuncCode;
use crate::runtime::func::Caller;
use crate::runtime::instance::InstanceData;
use crate::runtime::store::{FuncEntity, Store, StoreInner};

/// One cell of threaded code: a handler pointer or an immediate.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) union Cell {
    pub(crate) h: Handler,
    pub(crate) x: u64,
    /// A code pointer (branch target) or a `FuncCode` pointer (callee), kept as
    /// a pointer so it carries provenance.
    pub(crate) p: *const Cell,
}

pub(crate) type Ip = *const Cell;
pub(crate) type Fp = *mut u64;
pub(crate) type Mem = *mut u8;

/// Every handler has this signature: instruction pointer (its own cell), frame
/// pointer (slot 0 of the current function), memory base and length, context.
/// The return value is only meaningful to the dispatcher (see `handlers`).
pub(crate) type Handler = unsafe fn(Ip, Fp, Mem, usize, *mut Ctx, u64, f64) -> Ip;

impl Cell {
    pub(crate) fn handler(h: Handler) -> Cell {
        Cell { h }
    }
    pub(crate) fn imm(x: u64) -> Cell {
        Cell { x }
    }
    pub(crate) fn ptr<T>(p: *const T) -> Cell {
        Cell { p: p.cast() }
    }
}

/// A suspended caller, pushed by calls and popped by returns.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    pub(crate) ret_ip: Ip,
    pub(crate) fp: Fp,
    pub(crate) inst: *mut InstanceData,
    /// The function running in the frame above this one (for backtraces).
    pub(crate) callee: *const FuncCode,
}

// SAFETY: frames are only read while their store runs guest code; between
// calls they are dead data. They move between threads only with their store.
unsafe impl Send for Frame {}

impl Default for Frame {
    fn default() -> Self {
        Frame {
            ret_ip: std::ptr::null(),
            fp: std::ptr::null_mut(),
            inst: std::ptr::null_mut(),
            callee: std::ptr::null(),
        }
    }
}

/// Calls a host function of the store the execution runs in.
type HostCall = unsafe fn(ctx: *mut Ctx, host: u32, args: *mut u64, len: usize) -> Result<()>;

/// State of one execution that handlers reach through their `ctx` argument.
/// Only cold paths (calls, traps, memory growth, tables, globals) touch it.
///
/// Each store has one, made with its stacks ([`CtxBox`]): the fields that
/// describe the stacks and the store's host-call glue are written once, and
/// an entry from the host writes only the few that name this execution. A
/// nested entry (a host function calling back into wasm) saves the outer
/// execution's context by value and puts it back when it returns.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub(crate) inst: *mut InstanceData,
    /// `inst.globals.as_ptr()`.
    pub(crate) globals: *const *mut u64,
    pub(crate) store: *mut crate::runtime::store::StoreInner,
    /// Start of the store's frame stack.
    pub(crate) frames: *mut Frame,
    /// Next free frame.
    pub(crate) frame_sp: *mut Frame,
    /// End of the reserved frame stack.
    pub(crate) frame_end: *mut Frame,
    /// This execution's entry frame.
    pub(crate) frame_base: *mut Frame,
    pub(crate) stack_base: *mut u64,
    pub(crate) stack_end: *mut u64,
    pub(crate) trap: Option<TrapCode>,
    /// Set with the error itself in `StoreInner::pending_error` (a host
    /// function's error, a failed lazy translation): the context holds no
    /// value with drop glue, so entering and leaving wasm stays cheap.
    pub(crate) error: bool,
    host_call: HostCall,
    host_store: *mut (),
    /// Loop dispatcher only: registers handed back by handlers that change them.
    #[cfg(not(baton_tail))]
    pub(crate) fp: Fp,
    #[cfg(not(baton_tail))]
    pub(crate) mem: Mem,
    #[cfg(not(baton_tail))]
    pub(crate) len: usize,
    /// Loop dispatcher only: the accumulators between two handlers.
    #[cfg(not(baton_tail))]
    pub(crate) acc: u64,
    #[cfg(not(baton_tail))]
    pub(crate) facc: f64,
    pub(crate) interrupt: *const AtomicBool,
    /// Lowest native stack address a handler may run at (tail dispatch guard).
    pub(crate) native_limit: usize,
}

impl Ctx {
    /// Memory 0 of the current instance as (base, length), or (dangling, 0).
    #[inline]
    pub(crate) unsafe fn memory(&self) -> (Mem, usize) {
        // SAFETY: `inst` is a live instance of the store running this execution,
        // and its `memory` pointer, if non-null, points at a boxed memory of it.
        unsafe {
            let m = (*self.inst).memory;
            if m.is_null() {
                (std::ptr::NonNull::dangling().as_ptr(), 0)
            } else {
                ((*m).data.as_mut_ptr(), (*m).data.len())
            }
        }
    }

    /// Records `e` as the reason this execution stops (see `error`).
    #[cold]
    pub(crate) unsafe fn fail(&mut self, e: Error) {
        // SAFETY: `store` is live while the execution runs (invariant 4), and
        // no host function is running at this point (they have returned).
        unsafe { (*self.store).pending_error = Some(e) };
        self.error = true;
    }

    /// Calls host function `host` with its arguments/results at `args`.
    ///
    /// Takes the context as a raw pointer and holds no reference to it while
    /// the host function runs: a nested execution uses the same context.
    pub(crate) unsafe fn call_host(ctx: *mut Ctx, host: u32, args: *mut u64, len: usize) -> Result<()> {
        // SAFETY: `ctx` is the live context of this execution; `host_call`
        // was made for the store type behind `host_store`.
        unsafe { ((*ctx).host_call)(ctx, host, args, len) }
    }

    /// Backtrace of the frames of this execution, innermost first.
    pub(crate) unsafe fn backtrace(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut f = self.frame_sp;
        while f > self.frame_base {
            // SAFETY: frames from `frame_base` up to `frame_sp` were written by
            // calls of this execution.
            let fc = unsafe {
                f = f.sub(1);
                (*f).callee
            };
            if fc.is_null() {
                continue;
            }
            // SAFETY: `callee` points at a `FuncCode` of a module kept alive by an instance.
            let (index, module) = unsafe { ((*fc).index, &*(*fc).module) };
            out.push(module.func_name(index));
        }
        out
    }
}

/// The store's [`Ctx`], allocated with its stacks (null before that).
pub(crate) struct CtxBox(*mut Ctx);

impl Default for CtxBox {
    fn default() -> Self {
        CtxBox(std::ptr::null_mut())
    }
}

impl Drop for CtxBox {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: a non-null pointer came from `Box::into_raw` in
            // `invoke_slow` and is dropped only here.
            drop(unsafe { Box::from_raw(self.0) });
        }
    }
}

// SAFETY: the context holds only raw pointers into its own store; it moves
// between threads only with the store, and is used only while the store runs.
unsafe impl Send for CtxBox {}

unsafe fn host_trampoline<T>(ctx: *mut Ctx, host: u32, args: *mut u64, len: usize) -> Result<()> {
    // SAFETY: `host_store` is the `&mut Store<T>` that started this execution; the
    // interpreter holds no references into it while the host function runs (only
    // raw pointers, re-read afterwards). The host function is kept alive by the
    // store's `host_funcs`, which only grows. `args` points at `len` slots of the
    // value stack reserved for this call.
    unsafe {
        let store = &mut *((*ctx).host_store as *mut Store<T>);
        let f: *const crate::runtime::func::HostFunc<T> = &*store.host_funcs[host as usize];
        let instance = Some((*(*ctx).inst).index);
        let slots = std::slice::from_raw_parts_mut(args, len);
        (*f)(Caller { store, instance }, slots)
    }
}

/// Where a host-to-wasm call takes its arguments from and leaves its results:
/// a slot buffer ([`invoke`]) or typed values written straight into the
/// value stack (`TypedFunc::call`, through [`invoke_io`]).
pub(crate) trait CallIo {
    /// The slots the call uses: `max(params, results)`.
    fn slots(&self) -> usize;
    /// Writes the arguments to the `slots()` slots at `dst`.
    ///
    /// # Safety
    /// `dst` is valid for `slots()` slots, not aliased by `self`.
    unsafe fn put_args(&mut self, dst: *mut u64);
    /// Takes the results from the `slots()` slots at `src`.
    ///
    /// # Safety
    /// `src` is valid for `slots()` slots, not aliased by `self`.
    unsafe fn take_results(&mut self, src: *const u64);
}

/// A slot buffer holding the arguments on entry and the results on return.
struct SlotIo<'a>(&'a mut [u64]);

impl CallIo for SlotIo<'_> {
    #[inline(always)]
    fn slots(&self) -> usize {
        self.0.len()
    }
    #[inline(always)]
    unsafe fn put_args(&mut self, dst: *mut u64) {
        // SAFETY: the caller's contract.
        unsafe { copy_slots(self.0.as_ptr(), dst, self.0.len()) }
    }
    #[inline(always)]
    unsafe fn take_results(&mut self, src: *const u64) {
        // SAFETY: the caller's contract.
        unsafe { copy_slots(src, self.0.as_mut_ptr(), self.0.len()) }
    }
}

/// Runs the store function `func` with `slots` holding its arguments on entry
/// and its results on return (`slots.len() == max(params, results)`).
#[inline]
pub(crate) fn invoke<T>(store: &mut Store<T>, func: u32, slots: &mut [u64]) -> Result<()> {
    match ready(store, func) {
        // SAFETY: `ready`'s result is the host entry of a translated function
        // of a live instance of this store, called outermost.
        Some((inst, fc, entry)) => unsafe { run_outer(store, inst, fc, entry, &mut SlotIo(slots)) },
        None => invoke_slow(store, func, slots),
    }
}

/// [`invoke`] through `io`, or `None` if `func` has no host entry yet or an
/// execution is under way (the caller then goes through [`invoke`] with a
/// slot buffer).
#[inline]
pub(crate) fn invoke_io<T>(store: &mut Store<T>, func: u32, io: &mut impl CallIo) -> Option<Result<()>> {
    let (inst, fc, entry) = ready(store, func)?;
    // SAFETY: as in `invoke`.
    Some(unsafe { run_outer(store, inst, fc, entry, io) })
}

/// The common case of a call from the host: an outermost call (no execution
/// under way) of a function whose `host_entry` is set. Everything else (host
/// functions, first calls, calls from host functions, unknown functions) is
/// `None` and goes through [`invoke_slow`].
#[inline(always)]
fn ready<T>(store: &Store<T>, func: u32) -> Option<(*mut InstanceData, *const FuncCode, Ip)> {
    match store.inner.funcs.get(func as usize) {
        Some(FuncEntity::Wasm { inst, code, host_entry, .. })
            if !host_entry.is_null() && store.inner.frames_top == 0 =>
        {
            Some((*inst, *code, *host_entry))
        }
        _ => None,
    }
}

/// [`invoke`] for host functions, before the stacks exist, and for functions
/// not translated yet.
#[cold]
#[inline(never)]
fn invoke_slow<T>(store: &mut Store<T>, func: u32, slots: &mut [u64]) -> Result<()> {
    let (instance, index) = match store.inner.funcs.get(func as usize) {
        Some(FuncEntity::Host { host, .. }) => {
            let f = store.host_funcs[*host as usize].clone();
            return f(Caller { store, instance: None }, slots);
        }
        Some(FuncEntity::Wasm { instance, index, .. }) => (*instance, *index),
        None => return Err(Error::BadCall("the function does not belong to this store".into())),
    };
    if store.inner.ctx.0.is_null() {
        let config = store.inner.engine.config();
        let (slots, depth, budget) =
            (config.max_stack_slots, config.max_call_depth as usize + 1, config.native_stack_budget);
        let inner = &mut store.inner;
        inner.native_budget = budget;
        inner.stack = vec![0u64; slots];
        // Frames are written through raw pointers below `capacity()`; `len` stays 0.
        inner.frames = Vec::with_capacity(depth);
        let (stack_base, frames) = (inner.stack.as_mut_ptr(), inner.frames.as_mut_ptr());
        let ctx = Ctx {
            inst: std::ptr::null_mut(),
            globals: std::ptr::null(),
            store: std::ptr::null_mut(),
            frames,
            frame_sp: frames,
            // SAFETY: one past the end of the reserved frame capacity.
            frame_end: unsafe { frames.add(inner.frames.capacity()) },
            frame_base: frames,
            stack_base,
            // SAFETY: one past the end of the value stack.
            stack_end: unsafe { stack_base.add(inner.stack.len()) },
            trap: None,
            error: false,
            host_call: host_trampoline::<T>,
            host_store: std::ptr::null_mut(),
            #[cfg(not(baton_tail))]
            fp: std::ptr::null_mut(),
            #[cfg(not(baton_tail))]
            mem: std::ptr::null_mut(),
            #[cfg(not(baton_tail))]
            len: 0,
            #[cfg(not(baton_tail))]
            acc: 0,
            #[cfg(not(baton_tail))]
            facc: 0.0,
            interrupt: std::sync::Arc::as_ptr(&inner.interrupt),
            native_limit: 0,
        };
        inner.ctx = CtxBox(Box::into_raw(Box::new(ctx)));
    }
    // The root pointer (not a reborrow): frames and `ctx.inst` of suspended
    // executions hold copies of it.
    let inst: *mut InstanceData = store.inner.instances[instance as usize].as_ptr();
    // SAFETY: `inst` is a live instance of this store; it keeps its module alive.
    let module: &crate::module::ModuleInner = unsafe { &(*inst).module };
    let def = (index - module.num_imported_funcs) as usize;
    let compiled = module.compiled(def)?;
    let (code, outer_frame) = (compiled.entry(), compiled.outer_frame());
    let fc: *const FuncCode = &module.code[def];
    // The value stack made above (the context's `stack_base..stack_end`).
    let entry = outer_entry(code, outer_frame, slots.len(), store.inner.stack.len());
    // The next outermost calls start at `host_entry` without these steps
    // (`ready`), once the instance is complete (its `inst` is set).
    if let Some(FuncEntity::Wasm { inst: i, host_entry, .. }) = store.inner.funcs.get_mut(func as usize) {
        if !i.is_null() {
            *host_entry = entry;
        }
    }
    let io = &mut SlotIo(slots);
    if store.inner.frames_top != 0 {
        // SAFETY: `inst` defines `fc`, and `code` is its translated entry.
        return unsafe { run_nested(store, inst, fc, code, io) };
    }
    if entry.is_null() {
        return Err(Error::trap(TrapCode::StackOverflow));
    }
    // SAFETY: `inst` defines `fc`; `entry` is where it starts when called
    // outermost, and no execution is under way.
    unsafe { run_outer(store, inst, fc, entry, io) }
}

/// Where an outermost call of a function with entry `code` and
/// `Compiled::outer_frame` `outer_frame`, taking `slots` argument/result
/// slots, starts on a value stack of `stack_len` slots; null if it does not
/// fit (the call traps).
///
/// A function without locals starts at its first instruction when its frame
/// fits: `enter_params` would check just that (its native stack check cannot
/// fail on an outermost entry, the limit is set from this stack pointer).
/// Otherwise `enter_params` runs and traps.
fn outer_entry(code: Ip, outer_frame: usize, slots: usize, stack_len: usize) -> Ip {
    if slots > stack_len {
        std::ptr::null()
    } else if outer_frame != 0 && outer_frame <= stack_len {
        // SAFETY: a function whose first cell is `enter_params` has its 4 cells
        // and then its first instruction.
        unsafe { code.add(4) }
    } else {
        code
    }
}

/// The outermost entry: no execution is under way, so the function's frame
/// and its entry frame are at the bottom of the stacks (`stack_top` is 0 as
/// well), and the frame stack has room for the entry frame
/// (`max_call_depth + 1`).
///
/// # Safety
/// `inst` is the root pointer of a live instance of `store` that defines
/// `fc`; the store's stacks exist; no execution is under way; `entry` is
/// [`outer_entry`] of the function for this store's stacks (not null).
#[inline(always)]
unsafe fn run_outer<T>(
    store: &mut Store<T>,
    inst: *mut InstanceData,
    fc: *const FuncCode,
    entry: Ip,
    io: &mut impl CallIo,
) -> Result<()> {
    let ctx: *mut Ctx = store.inner.ctx.0;
    // SAFETY: the context exists with the stacks (the caller's contract). The
    // native stack budget is measured from the outermost entry, so nested
    // host -> wasm calls share it.
    unsafe { (*ctx).native_limit = handlers::native_sp().saturating_sub(store.inner.native_budget) };
    // SAFETY: the frame fits (`outer_entry`); the caller's contract.
    unsafe { enter(store, ctx, inst, fc, entry, io, 0, 0) }
}

/// A call from a host function back into wasm: the execution goes
/// above the one that called the host function (`handlers::call_host` sets
/// `stack_top`/`frames_top` while the host function runs), and the outer
/// execution's context is put back afterwards.
///
/// # Safety
/// `inst` is the root pointer of a live instance of `store` that defines
/// `fc`; `code` is `fc`'s translated entry; the store's stacks exist.
#[cold]
#[inline(never)]
unsafe fn run_nested<T>(
    store: &mut Store<T>,
    inst: *mut InstanceData,
    fc: *const FuncCode,
    code: Ip,
    io: &mut impl CallIo,
) -> Result<()> {
    let (base, frame_base) = (store.inner.stack_top, store.inner.frames_top);
    let ctx: *mut Ctx = store.inner.ctx.0;
    // SAFETY: the context describes the store's stacks (made together).
    let outer = unsafe {
        let c = &*ctx;
        let (stack_len, frames_cap) = (c.stack_end.offset_from(c.stack_base), c.frame_end.offset_from(c.frames));
        if base + io.slots() > stack_len as usize || frame_base >= frames_cap as usize {
            return Err(Error::trap(TrapCode::StackOverflow));
        }
        *c
    };
    // SAFETY: checked above; the caller's contract.
    let result = unsafe { enter(store, ctx, inst, fc, code, io, base, frame_base) };
    // SAFETY: the store's context, no longer used by the finished execution.
    unsafe { *ctx = outer };
    result
}

/// Starts an execution of `fc` with its frame at slot `base` and its entry
/// frame at `frame_base` of the store's stacks, and runs it to the end.
///
/// # Safety
/// As [`run_nested`], with `code` the cell to start at; `ctx` is the store's
/// context, `base + io.slots()` slots and frame `frame_base` are within the
/// stacks, and `ctx.native_limit` is set for this execution.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn enter<T>(
    store: &mut Store<T>,
    ctx: *mut Ctx,
    inst: *mut InstanceData,
    fc: *const FuncCode,
    code: Ip,
    io: &mut impl CallIo,
    base: usize,
    frame_base: usize,
) -> Result<()> {
    // From here until `run` returns, the store is reached only through `sp`:
    // the handlers (through `ctx.store`) and host functions (through
    // `host_store`, as a `&mut Store<T>` while they run) take turns with it.
    let sp: *mut Store<T> = store;
    // SAFETY: `sp` comes from the `&mut Store<T>` this function owns; no other
    // reference to the store is used until the end of the function.
    let inner: *mut StoreInner = unsafe { &raw mut (*sp).inner };
    // SAFETY: the value stack is only touched through raw pointers (a host
    // function up the call chain may hold a `&mut [u64]` over its own slots
    // of it); `base + io.slots()` and `frame_base` are within the stacks
    // (the caller's contract), and `io` is not part of the value stack above
    // `base`. `inst` is live (the caller's contract). The context is then
    // used only through `ctx` until `run` returns; `code` is the entry of a
    // translated function whose frame starts at `stack_base + base`.
    unsafe {
        let c = &mut *ctx;
        let fp = c.stack_base.add(base);
        io.put_args(fp);
        let entry = c.frames.add(frame_base);
        *entry = Frame { ret_ip: &handlers::EXIT_CELL.0, fp: std::ptr::null_mut(), inst, callee: fc };
        c.inst = inst;
        c.globals = (*inst).globals.as_ptr();
        c.store = inner;
        c.frame_base = entry;
        c.frame_sp = entry.add(1);
        c.trap = None;
        c.error = false;
        c.host_store = sp.cast();
        #[cfg(not(baton_tail))]
        {
            c.acc = 0;
            c.facc = 0.0;
        }
        let (mem, len) = c.memory();
        handlers::run(code, fp, mem, len, ctx);
    }
    // SAFETY: as above.
    let c = unsafe { &mut *ctx };
    if c.error || c.trap.is_some() {
        // SAFETY: `inner` is the store's (see above); frames of this execution
        // are still in place.
        Err(unsafe { failure(c, &mut *inner) })
    } else {
        // SAFETY: as above; the results are in the slots where the arguments were.
        unsafe { io.take_results(c.stack_base.add(base)) };
        Ok(())
    }
}

/// The error an execution that stopped early returns: the recorded error, or
/// its trap with a backtrace.
///
/// # Safety
/// `ctx` is the finished execution's context; its frames are still in place.
#[cold]
#[inline(never)]
unsafe fn failure(ctx: &Ctx, inner: &mut StoreInner) -> Error {
    if ctx.error {
        if let Some(e) = inner.pending_error.take() {
            return e;
        }
    }
    let code = ctx.trap.unwrap_or(TrapCode::Unreachable);
    // SAFETY: the caller's contract.
    let backtrace = unsafe { ctx.backtrace() };
    Error::Trap(Trap { code, backtrace })
}

/// Copies `n` slots between non-overlapping ranges; the few slots of a typical
/// call are moved inline (a `memcpy` call costs more than the copy).
///
/// # Safety
/// `src` and `dst` are valid for `n` slots and do not overlap.
#[inline(always)]
unsafe fn copy_slots(src: *const u64, dst: *mut u64, n: usize) {
    // SAFETY: the caller's contract; each arm copies exactly `n` slots.
    unsafe {
        match n {
            0 => {}
            1 => *dst = *src,
            2 => {
                *dst = *src;
                *dst.add(1) = *src.add(1);
            }
            _ => std::ptr::copy_nonoverlapping(src, dst, n),
        }
    }
}
