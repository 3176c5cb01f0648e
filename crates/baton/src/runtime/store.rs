//! The engine (shared configuration and type registry) and the store that owns
//! every runtime entity: functions, instances, memories, globals, tables.
//!
//! Entities live in `Vec<Box<_>>` so their addresses stay put while the store
//! grows; the interpreter keeps raw pointers to them for the duration of a call.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::runtime::bytes::ZeroedBytes;
use crate::runtime::func::{Caller, HostFunc};
use crate::types::{FuncType, GlobalType, MemoryType, TableType};

/// Tunables of an [`Engine`].
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) lazy: bool,
    pub(crate) max_call_depth: u32,
    pub(crate) max_stack_slots: usize,
    pub(crate) consume_fuel: bool,
    pub(crate) interruptible: bool,
    pub(crate) native_stack_budget: usize,
    pub(crate) parallel: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lazy: true,
            max_call_depth: 20_000,
            max_stack_slots: 1 << 20,
            consume_fuel: false,
            interruptible: false,
            native_stack_budget: crate::exec::handlers::DEFAULT_NATIVE_STACK_BUDGET,
            parallel: true,
        }
    }
}

impl Config {
    /// Translate function bodies on their first call (`true`, the default) or
    /// all of them in `Module::new` (`false`). Validation is always eager.
    pub fn lazy_translation(&mut self, lazy: bool) -> &mut Self {
        self.lazy = lazy;
        self
    }
    /// Validate and translate the function bodies of one module on several
    /// threads (`true`, the default: the calling thread and a pool of one
    /// thread fewer than the machine has cores, for modules with enough code
    /// to pay for it) or only on the calling thread (`false`).
    pub fn parallel_translation(&mut self, parallel: bool) -> &mut Self {
        self.parallel = parallel;
        self
    }
    /// Maximum number of nested guest calls before a "call stack exhausted" trap.
    pub fn max_call_depth(&mut self, depth: u32) -> &mut Self {
        self.max_call_depth = depth.max(1);
        self
    }
    /// Size of the value stack, in 8-byte slots, reserved per store.
    pub fn max_stack_slots(&mut self, slots: usize) -> &mut Self {
        self.max_stack_slots = slots.max(1024);
        self
    }
    /// Meter execution with fuel (see [`Store::set_fuel`]).
    pub fn consume_fuel(&mut self, on: bool) -> &mut Self {
        self.consume_fuel = on;
        self
    }
    /// How much native stack one execution (with its nested host -> wasm calls)
    /// may use before calls trap with "call stack exhausted". Guest frames live
    /// on Baton's own stacks, so this only bounds host re-entrancy and guards
    /// against a dispatch that failed to become a tail jump.
    pub fn max_native_stack(&mut self, bytes: usize) -> &mut Self {
        self.native_stack_budget = bytes.max(16 * 1024);
        self
    }
    /// Poll the store's [`InterruptHandle`] at every loop header and call.
    pub fn interruptible(&mut self, on: bool) -> &mut Self {
        self.interruptible = on;
        self
    }
}

pub(crate) struct EngineInner {
    pub(crate) config: Config,
    types: Mutex<HashMap<FuncType, u32>>,
    /// Function validators' buffers (operand and control stacks, locals),
    /// handed from one module's validation to the next so that each module
    /// does not grow them again from empty.
    validator_allocs: Mutex<Vec<wasmparser::FuncValidatorAllocations>>,
}

/// Compilation environment shared by modules and stores.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.inner.config).finish()
    }
}

impl Engine {
    pub fn new(config: &Config) -> Self {
        Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                types: Mutex::new(HashMap::new()),
                validator_allocs: Mutex::new(Vec::new()),
            }),
        }
    }
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    /// Engine-wide id of a function type: equal types get equal ids, which is
    /// what `call_indirect` compares.
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        intern_type(&mut self.inner.types.lock().unwrap_or_else(|e| e.into_inner()), ty)
    }
    /// [`Engine::type_id`] of each of `tys`, under one lock.
    pub(crate) fn type_ids(&self, tys: &[FuncType]) -> Vec<u32> {
        let mut map = self.inner.types.lock().unwrap_or_else(|e| e.into_inner());
        tys.iter().map(|ty| intern_type(&mut map, ty)).collect()
    }
    /// Validator buffers left by an earlier module, or empty ones.
    pub(crate) fn take_validator_allocs(&self) -> wasmparser::FuncValidatorAllocations {
        let mut pool = self.inner.validator_allocs.lock().unwrap_or_else(|e| e.into_inner());
        pool.pop().unwrap_or_default()
    }
    /// Returns validator buffers for the next module (a few are kept: one per
    /// validating thread).
    pub(crate) fn recycle_validator_allocs(&self, allocs: wasmparser::FuncValidatorAllocations) {
        let mut pool = self.inner.validator_allocs.lock().unwrap_or_else(|e| e.into_inner());
        if pool.len() < 8 {
            pool.push(allocs);
        }
    }
    pub(crate) fn same(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// The id of `ty` in `map`, adding it if new (a type already known is not
/// cloned).
fn intern_type(map: &mut HashMap<FuncType, u32>, ty: &FuncType) -> u32 {
    if let Some(&id) = map.get(ty) {
        return id;
    }
    let id = map.len() as u32;
    map.insert(ty.clone(), id);
    id
}

/// Resource limits a store enforces on the guests it runs.
#[derive(Debug, Clone, Copy)]
pub struct StoreLimits {
    /// Largest size any one linear memory may reach, in pages.
    pub max_memory_pages: u32,
    /// Largest number of elements any one table may hold.
    pub max_table_elements: u32,
    /// Largest number of instances in the store.
    pub max_instances: usize,
    /// Largest number of memories, tables and globals (each) in the store.
    pub max_entities: usize,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_memory_pages: 65536,
            max_table_elements: 10_000_000,
            max_instances: 10_000,
            max_entities: 100_000,
        }
    }
}

/// Lets another thread stop a running guest: it traps with `TrapCode::Interrupted`
/// at the next loop header or call. Needs `Config::interruptible(true)`.
///
/// The request stays pending until a guest of the store sees it: an interrupt
/// made while no guest runs stops the next call at its first check. Seeing it
/// clears it.
#[derive(Clone, Debug)]
pub struct InterruptHandle {
    flag: Arc<AtomicBool>,
}

impl InterruptHandle {
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }
}

pub(crate) enum FuncEntity {
    /// `inst` and `code` cache where calls through this entity go (set once
    /// the instance exists; `instance`/`index` name the same function).
    /// `host_entry` is the cell an outermost call from the host starts at:
    /// null until the first call from the host has translated the function,
    /// made the store's stacks and checked the frame fits them (see
    /// `exec::invoke_slow`).
    Wasm {
        instance: u32,
        index: u32,
        type_id: u32,
        inst: *mut crate::runtime::instance::InstanceData,
        code: *const crate::module::FuncCode,
        host_entry: *const crate::exec::Cell,
    },
    Host {
        host: u32,
        ty: FuncType,
        type_id: u32,
        slots: u32,
    },
}

// SAFETY: the cached pointers point at an instance of the same store (owned
// through `Pinned`) and at a `FuncCode` of a module that instance keeps alive;
// they move between threads only together with their store.
unsafe impl Send for FuncEntity {}

pub(crate) struct MemoryEntity {
    pub(crate) data: ZeroedBytes,
    pub(crate) ty: MemoryType,
}

/// `len` all-zero `T`s from the allocator's zeroed path, or `None` if the
/// allocation fails. Large zeroed allocations come straight from the OS as
/// untouched pages.
///
/// # Safety
/// All-zero bytes must be a valid `T`.
pub(crate) unsafe fn zeroed_vec<T>(len: usize) -> Option<Vec<T>> {
    const { assert!(std::mem::size_of::<T>() != 0) };
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(len).ok()?;
    // SAFETY: `layout` has a non-zero size (`len > 0`, `T` is not zero-sized).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `len` `T`s, and all of them are initialised: all zero bytes is a valid
    // `T` (the caller's contract).
    Some(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

impl MemoryEntity {
    /// A memory of `ty.minimum` zero pages, or a `Limit` error if that cannot
    /// be allocated.
    pub(crate) fn new(ty: MemoryType) -> Result<MemoryEntity> {
        let bytes = ty.minimum as usize * crate::PAGE_SIZE;
        let data = ZeroedBytes::new(bytes)
            .ok_or_else(|| Error::Limit(format!("cannot allocate a memory of {} pages", ty.minimum)))?;
        Ok(MemoryEntity { data, ty })
    }
    pub(crate) fn pages(&self) -> u32 {
        (self.data.len() / crate::PAGE_SIZE) as u32
    }
    /// Grows by `delta` pages; returns the old size or `None` (the wasm `-1`).
    /// The work is at most `min(old, delta)` bytes (see [`ZeroedBytes::grow`]),
    /// so neither many small growths nor one huge one commit much more memory
    /// than the guest actually uses.
    pub(crate) fn grow(&mut self, delta: u32, limit: u32) -> Option<u32> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        let max = self.ty.maximum.unwrap_or(65536).min(65536).min(limit.max(self.ty.minimum));
        if new > max {
            return None;
        }
        self.data.grow(new as usize * crate::PAGE_SIZE)?;
        Some(old)
    }
}

pub(crate) struct GlobalEntity {
    pub(crate) value: u64,
    pub(crate) ty: GlobalType,
}

/// One table element: the reference itself (`raw`, in the slot encoding of
/// `runtime::values`) and, for a funcref, what `call_indirect` needs to call it
/// without looking at the store: a record in one 32-byte line instead of a
/// chain of loads through the store's function list.
///
/// For a wasm function that was already translated when the element was
/// written (`call_indirect`'s slow path completes the record after
/// translating), `code` is its entry cell, `fc` its code and `key` is
/// [`call_key`] of its type id and instance. Every other element (null
/// reference, host function, function not translated yet, externref) has
/// `key == 0`, which no call site's key equals, and null pointers: calls of
/// those take the slow path, which decides from `raw` alone. All zero is the
/// null reference.
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Elem {
    pub(crate) raw: u64,
    pub(crate) key: u64,
    pub(crate) code: *const crate::exec::Cell,
    pub(crate) fc: *const crate::module::FuncCode,
}

/// What `call_indirect` of type `type_id` in instance `instance` compares
/// with an element's `key`: never 0, and equal only for the same type id and
/// instance (type ids are far below `u32::MAX`, so the `+ 1` never carries
/// into the instance half). `InstanceData::call_key` holds this for type 0,
/// so a call site adds its type id to it.
pub(crate) fn call_key(type_id: u32, instance: u32) -> u64 {
    ((instance as u64) << 32).wrapping_add(type_id as u64 + 1)
}

// SAFETY: `code` and `fc` point into a module kept alive by an instance of the
// store that owns the table (instances are never freed before their store);
// the module's code is immutable and `Sync`. Elements move between threads only
// with their store.
unsafe impl Send for Elem {}
// SAFETY: as above; the pointers are only read.
unsafe impl Sync for Elem {}

impl Elem {
    /// The null reference (also what an all-zero allocation holds).
    pub(crate) const NULL: Elem = Elem { raw: 0, key: 0, code: std::ptr::null(), fc: std::ptr::null() };
}

pub(crate) struct TableEntity {
    pub(crate) elems: Vec<Elem>,
    pub(crate) ty: TableType,
}

impl TableEntity {
    /// A table of `ty.minimum` elements `init`, or `None` if that cannot be
    /// allocated. A null-initialised table comes from the allocator's zeroed
    /// path, so its untouched pages cost address space only.
    pub(crate) fn new(ty: TableType, init: Elem) -> Option<TableEntity> {
        let n = ty.minimum as usize;
        let elems = if init.raw != 0 {
            let mut v = Vec::new();
            v.try_reserve_exact(n).ok()?;
            v.resize(n, init);
            v
        } else {
            // SAFETY: all zero bytes is a valid `Elem` (`Elem::NULL`, which a
            // null `init` is: see `elem_of`).
            unsafe { zeroed_vec::<Elem>(n)? }
        };
        Some(TableEntity { elems, ty })
    }

    pub(crate) fn grow(&mut self, delta: u32, init: Elem, limit: u32) -> Option<u32> {
        let old = self.elems.len() as u32;
        let new = old.checked_add(delta)?;
        let max = self.ty.maximum.unwrap_or(u32::MAX).min(limit.max(self.ty.minimum));
        if new > max {
            return None;
        }
        if self.elems.try_reserve_exact(delta as usize).is_err() {
            return None;
        }
        self.elems.resize(new as usize, init);
        Some(old)
    }
}

/// The table element for reference `raw` (slot encoding) of a table of
/// `element`s, given the store's functions: for a funcref of a translated wasm
/// function, with the record `call_indirect` uses (see [`Elem`]).
pub(crate) fn elem_of(funcs: &[FuncEntity], element: crate::types::ValType, raw: u64) -> Elem {
    let mut e = Elem { raw, ..Elem::NULL };
    if element != crate::types::ValType::FuncRef || raw == 0 {
        return e;
    }
    if let Some(FuncEntity::Wasm { instance, type_id, code: fc, .. }) = funcs.get((raw - 1) as usize) {
        // SAFETY: `fc` points at a `FuncCode` of a module kept alive by the
        // function's instance, which lives as long as the store.
        if let Some(c) = unsafe { (**fc).compiled.get() } {
            e = Elem { raw, key: call_key(*type_id, *instance), code: c.entry(), fc: *fc };
        }
    }
    e
}

/// A store entity on the heap at a fixed address, owned through a raw pointer.
///
/// The interpreter and instances keep raw pointers to entities (an instance's
/// globals, memory and tables; the running instance) while the host also
/// reaches them through the store. With `Box`, every `&mut` access through the
/// box asserts uniqueness and invalidates those pointers under Rust's aliasing
/// rules (Miri: Stacked and Tree Borrows). Here all of them, and the
/// references `Deref`/`DerefMut` hand out, derive from one root pointer, so
/// they stay valid; [`Pinned::as_ptr`] gives that root.
pub(crate) struct Pinned<T>(std::ptr::NonNull<T>);

impl<T> Pinned<T> {
    pub(crate) fn new(value: T) -> Self {
        Pinned(std::ptr::NonNull::from(Box::leak(Box::new(value))))
    }
    /// The root pointer: valid as long as the store owning this entity.
    pub(crate) fn as_ptr(&self) -> *mut T {
        self.0.as_ptr()
    }
}

impl<T> std::ops::Deref for Pinned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the pointer comes from `Box::leak` and is freed only by `drop`;
        // `&self` rules out a concurrent `&mut` from `deref_mut`. Accesses through
        // other copies of the root pointer happen only while the interpreter
        // runs, when the host holds no reference into the store.
        unsafe { self.0.as_ref() }
    }
}

impl<T> std::ops::DerefMut for Pinned<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, with `&mut self` ruling out other references.
        unsafe { self.0.as_mut() }
    }
}

impl<T> Drop for Pinned<T> {
    fn drop(&mut self) {
        // SAFETY: allocated by `Box::new` in `Pinned::new`, dropped once.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

// SAFETY: a `Pinned<T>` owns its `T` like a `Box<T>` does.
unsafe impl<T: Send> Send for Pinned<T> {}
// SAFETY: as above; shared access only hands out `&T`.
unsafe impl<T: Sync> Sync for Pinned<T> {}

/// Everything of a store that does not depend on the host data type `T`.
/// Entities are [`Pinned`]: the interpreter holds raw pointers to them while
/// the vectors grow.
pub(crate) struct StoreInner {
    pub(crate) engine: Engine,
    pub(crate) funcs: Vec<FuncEntity>,
    pub(crate) instances: Vec<Pinned<crate::runtime::instance::InstanceData>>,
    pub(crate) memories: Vec<Pinned<MemoryEntity>>,
    pub(crate) globals: Vec<Pinned<GlobalEntity>>,
    pub(crate) tables: Vec<Pinned<TableEntity>>,
    pub(crate) externrefs: Vec<Box<dyn Any + Send + Sync>>,
    pub(crate) limits: StoreLimits,
    /// The value stack; allocated once at full capacity so it never moves.
    pub(crate) stack: Vec<u64>,
    /// The frame stack, same rule.
    pub(crate) frames: Vec<crate::exec::Frame>,
    /// First free slot / frame: where a nested invocation starts.
    pub(crate) stack_top: usize,
    pub(crate) frames_top: usize,
    /// Native stack an execution may use (the engine's setting, read when
    /// the stacks are made).
    pub(crate) native_budget: usize,
    /// The execution context, made with the stacks (see `exec::Ctx`).
    pub(crate) ctx: crate::exec::CtxBox,
    pub(crate) fuel: u64,
    pub(crate) interrupt: Arc<AtomicBool>,
    /// The error that stopped the running execution (see `Ctx::error`).
    pub(crate) pending_error: Option<Error>,
}

impl StoreInner {
    pub(crate) fn alloc_func(&mut self, f: FuncEntity) -> u32 {
        self.funcs.push(f);
        (self.funcs.len() - 1) as u32
    }
    pub(crate) fn func_type(&self, idx: u32) -> FuncType {
        match &self.funcs[idx as usize] {
            FuncEntity::Wasm { instance, index, .. } => {
                let m = &self.instances[*instance as usize].module;
                m.func_type(*index).clone()
            }
            FuncEntity::Host { ty, .. } => ty.clone(),
        }
    }
    /// The table element for reference `raw` (see [`elem_of`]).
    pub(crate) fn elem(&self, element: crate::types::ValType, raw: u64) -> Elem {
        elem_of(&self.funcs, element, raw)
    }
    pub(crate) fn check_entities(&self, n: usize) -> Result<()> {
        if n >= self.limits.max_entities {
            return Err(Error::Limit(format!(
                "more than {} entities of one kind in a store",
                self.limits.max_entities
            )));
        }
        Ok(())
    }
}

/// Owns all runtime state, plus the host data `T` that host functions can reach.
pub struct Store<T> {
    pub(crate) inner: StoreInner,
    pub(crate) host_funcs: Vec<Arc<HostFunc<T>>>,
    data: T,
}

impl<T> Store<T> {
    pub fn new(engine: &Engine, data: T) -> Self {
        Store {
            inner: StoreInner {
                engine: engine.clone(),
                funcs: Vec::new(),
                instances: Vec::new(),
                memories: Vec::new(),
                globals: Vec::new(),
                tables: Vec::new(),
                externrefs: Vec::new(),
                limits: StoreLimits::default(),
                stack: Vec::new(),
                frames: Vec::new(),
                stack_top: 0,
                frames_top: 0,
                native_budget: 0,
                ctx: Default::default(),
                pending_error: None,
                fuel: 0,
                interrupt: Arc::new(AtomicBool::new(false)),
            },
            host_funcs: Vec::new(),
            data,
        }
    }
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }
    pub fn data(&self) -> &T {
        &self.data
    }
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }
    pub fn into_data(self) -> T {
        self.data
    }
    pub(crate) fn split_mut(&mut self) -> (&mut StoreInner, &mut T) {
        (&mut self.inner, &mut self.data)
    }
    /// Sets the resource limits enforced from now on.
    pub fn set_limits(&mut self, limits: StoreLimits) {
        self.inner.limits = limits;
    }
    /// Sets the remaining fuel. Errors unless the engine has `consume_fuel(true)`.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        if !self.inner.engine.config().consume_fuel {
            return Err(Error::BadCall("fuel metering is not enabled in the engine's Config".into()));
        }
        self.inner.fuel = fuel;
        Ok(())
    }
    /// Remaining fuel. Errors unless the engine has `consume_fuel(true)`.
    pub fn get_fuel(&self) -> Result<u64> {
        if !self.inner.engine.config().consume_fuel {
            return Err(Error::BadCall("fuel metering is not enabled in the engine's Config".into()));
        }
        Ok(self.inner.fuel)
    }
    /// A handle that stops the running guest from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle { flag: self.inner.interrupt.clone() }
    }
}

/// Read access to a store: implemented by `Store<T>`, `Caller<'_, T>` and `&mut` of either.
pub trait AsContext {
    type Data;
    fn store(&self) -> &Store<Self::Data>;
}

/// Write access to a store.
pub trait AsContextMut: AsContext {
    fn store_mut(&mut self) -> &mut Store<Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn store(&self) -> &Store<T> {
        self
    }
}
impl<T> AsContextMut for Store<T> {
    fn store_mut(&mut self) -> &mut Store<T> {
        self
    }
}
impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn store(&self) -> &Store<C::Data> {
        (**self).store()
    }
}
impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn store(&self) -> &Store<C::Data> {
        (**self).store()
    }
}
impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn store_mut(&mut self) -> &mut Store<C::Data> {
        (**self).store_mut()
    }
}
impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn store(&self) -> &Store<T> {
        self.store
    }
}
impl<T> AsContextMut for Caller<'_, T> {
    fn store_mut(&mut self) -> &mut Store<T> {
        self.store
    }
}
