//! Instances: resolving imports, allocating a module's entities in a store,
//! running element/data initialisation and the start function.

use std::collections::HashMap;
use std::sync::Arc;

use wasmparser::ExternalKind;

use crate::error::{Error, Result};
use crate::module::{ConstExpr, Module, ModuleInner, SegmentMode};
use crate::runtime::entities::{Global, Memory, Table};
use crate::runtime::func::{Func, TypedFunc, WasmParams, WasmResults};
use crate::runtime::store::{
    call_key, elem_of, AsContext, AsContextMut, Elem, FuncEntity, GlobalEntity, MemoryEntity, Pinned, StoreInner,
    TableEntity,
};
use crate::types::{ExternType, MemoryType, TableType};
use crate::TrapCode;

/// Something an instance can import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extern {
    Func(Func),
    Global(Global),
    Memory(Memory),
    Table(Table),
}

impl Extern {
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
    pub fn ty(&self, ctx: impl AsContext) -> ExternType {
        let s = &ctx.store().inner;
        match self {
            Extern::Func(f) => ExternType::Func(s.func_type(f.0)),
            Extern::Global(g) => ExternType::Global(s.globals[g.0 as usize].ty),
            Extern::Memory(m) => {
                let e = &s.memories[m.0 as usize];
                ExternType::Memory(MemoryType { minimum: e.pages(), maximum: e.ty.maximum })
            }
            Extern::Table(t) => {
                let e = &s.tables[t.0 as usize];
                ExternType::Table(TableType {
                    element: e.ty.element,
                    minimum: e.elems.len() as u32,
                    maximum: e.ty.maximum,
                })
            }
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Self {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Self {
        Extern::Global(g)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Self {
        Extern::Memory(m)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Self {
        Extern::Table(t)
    }
}

/// Per-instance state the interpreter reads through `Ctx::inst`.
pub(crate) struct InstanceData {
    pub(crate) index: u32,
    pub(crate) module: Arc<ModuleInner>,
    /// Store function index of each function of the module's index space.
    pub(crate) funcs: Vec<u32>,
    /// Address of each global's value.
    pub(crate) globals: Vec<*mut u64>,
    pub(crate) memories: Vec<u32>,
    /// Memory 0, or null.
    pub(crate) memory: *mut MemoryEntity,
    pub(crate) tables: Vec<*mut TableEntity>,
    /// `tables[0]`, or null: `call_indirect` of table 0 reads it directly.
    pub(crate) table0: *mut TableEntity,
    /// `store::call_key(0, index)`: a `call_indirect` of type `t` in this
    /// instance matches elements whose key is `call_key + t`.
    pub(crate) call_key: u64,
    /// Resolved element segments (emptied by `elem.drop`).
    pub(crate) elems: Vec<Box<[u64]>>,
    /// Data segments (emptied by `data.drop`), as ranges of the module bytes.
    pub(crate) datas: Vec<std::ops::Range<usize>>,
    pub(crate) exports: HashMap<String, Extern>,
}

// SAFETY: the raw pointers point into boxed entities of the store that owns this
// instance; they move between threads only together with that store.
unsafe impl Send for InstanceData {}
// SAFETY: shared access never writes through the pointers without `&mut Store`.
unsafe impl Sync for InstanceData {}

impl InstanceData {
    pub(crate) fn data_bytes(&self, seg: usize) -> &[u8] {
        &self.module.bytes[self.datas[seg].clone()]
    }
}

/// An instantiated module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instance(pub(crate) u32);

fn limits_match(min: u32, max: Option<u32>, want_min: u32, want_max: Option<u32>) -> bool {
    min >= want_min
        && match (want_max, max) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(w), Some(m)) => m <= w,
        }
}

fn eval_const(funcs: &[u32], globals: &[*mut u64], e: ConstExpr) -> u64 {
    match e {
        ConstExpr::Value(v) => v,
        ConstExpr::RefNull => 0,
        ConstExpr::RefFunc(f) => funcs[f as usize] as u64 + 1,
        // SAFETY: global pointers point into boxed globals of the store being
        // instantiated into; validation guarantees the index is in range.
        ConstExpr::GlobalGet(g) => unsafe { *globals[g as usize] },
    }
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order,
    /// then runs its start function.
    pub fn new<T>(mut ctx: impl AsContextMut<Data = T>, module: &Module, imports: &[Extern]) -> Result<Instance> {
        let store = ctx.store_mut();
        let inst = Instance::instantiate(&mut store.inner, module, imports)?;
        if let Some(start) = module.inner.start {
            let f = store.inner.instances[inst.0 as usize].funcs[start as usize];
            crate::exec::invoke(store, f, &mut [])?;
        }
        Ok(inst)
    }

    fn instantiate(s: &mut StoreInner, module: &Module, imports: &[Extern]) -> Result<Instance> {
        let m = &module.inner;
        if !m.engine.same(&s.engine) {
            return Err(Error::Link("module and store belong to different engines".into()));
        }
        // Instance indices stay below `u32::MAX` (see `store::call_key`).
        if s.instances.len() >= s.limits.max_instances.min(u32::MAX as usize) {
            return Err(Error::Limit(format!("more than {} instances in a store", s.limits.max_instances)));
        }
        if imports.len() != m.imports.len() {
            return Err(Error::Link(format!("expected {} imports, got {}", m.imports.len(), imports.len())));
        }
        let index = s.instances.len() as u32;
        let mut funcs = Vec::with_capacity(m.funcs.len());
        let mut globals = Vec::with_capacity(m.globals.len());
        let mut global_ids = Vec::with_capacity(m.globals.len());
        let mut memories = Vec::with_capacity(m.memories.len());
        let mut table_ids = Vec::with_capacity(m.tables.len());
        for (imp, ext) in m.imports.iter().zip(imports) {
            let mismatch = |what: &str| {
                Err(Error::Link(format!("incompatible import type for {}::{}: {what}", imp.module(), imp.name())))
            };
            match (imp.ty(), ext) {
                (ExternType::Func(want), Extern::Func(f)) => {
                    if s.func_type(f.0) != *want {
                        return mismatch(&format!("expected {want}, got {}", s.func_type(f.0)));
                    }
                    funcs.push(f.0);
                }
                (ExternType::Global(want), Extern::Global(g)) => {
                    if s.globals[g.0 as usize].ty != *want {
                        return mismatch("global type differs");
                    }
                    // SAFETY: the root pointer of a live global of this store.
                    globals.push(unsafe { &raw mut (*s.globals[g.0 as usize].as_ptr()).value });
                    global_ids.push(g.0);
                }
                (ExternType::Memory(want), Extern::Memory(mem)) => {
                    let e = &s.memories[mem.0 as usize];
                    if !limits_match(e.pages(), e.ty.maximum, want.minimum, want.maximum) {
                        return mismatch("memory limits do not match");
                    }
                    memories.push(mem.0);
                }
                (ExternType::Table(want), Extern::Table(t)) => {
                    let e = &s.tables[t.0 as usize];
                    if e.ty.element != want.element
                        || !limits_match(e.elems.len() as u32, e.ty.maximum, want.minimum, want.maximum)
                    {
                        return mismatch("table type does not match");
                    }
                    table_ids.push(t.0);
                }
                _ => return mismatch("wrong kind of extern"),
            }
        }
        s.funcs.reserve(m.code.len());
        for i in m.num_imported_funcs..m.funcs.len() as u32 {
            let type_id = m.type_ids[m.funcs[i as usize] as usize];
            funcs.push(s.alloc_func(FuncEntity::Wasm {
                instance: index,
                index: i,
                type_id,
                inst: std::ptr::null_mut(),
                code: &m.code[(i - m.num_imported_funcs) as usize],
                host_entry: std::ptr::null(),
            }));
        }
        for ty in &m.memories[m.num_imported_memories as usize..] {
            s.check_entities(s.memories.len())?;
            if ty.minimum > s.limits.max_memory_pages {
                return Err(Error::Limit(format!("memory of {} pages exceeds the limit", ty.minimum)));
            }
            s.memories.push(Pinned::new(MemoryEntity::new(*ty)?));
            memories.push((s.memories.len() - 1) as u32);
        }
        for ty in &m.tables[m.num_imported_tables as usize..] {
            s.check_entities(s.tables.len())?;
            if ty.minimum > s.limits.max_table_elements {
                return Err(Error::Limit(format!("table of {} elements exceeds the limit", ty.minimum)));
            }
            let table = TableEntity::new(*ty, Elem::NULL)
                .ok_or_else(|| Error::Limit(format!("cannot allocate a table of {} elements", ty.minimum)))?;
            s.tables.push(Pinned::new(table));
            table_ids.push((s.tables.len() - 1) as u32);
        }
        for (ty, init) in m.globals[m.num_imported_globals as usize..].iter().zip(&m.global_inits) {
            s.check_entities(s.globals.len())?;
            let value = eval_const(&funcs, &globals, *init);
            let g = Pinned::new(GlobalEntity { value, ty: *ty });
            // SAFETY: the root pointer of the global just allocated.
            globals.push(unsafe { &raw mut (*g.as_ptr()).value });
            s.globals.push(g);
            global_ids.push((s.globals.len() - 1) as u32);
        }
        let elems: Vec<Box<[u64]>> =
            m.elems.iter().map(|seg| seg.items.iter().map(|e| eval_const(&funcs, &globals, *e)).collect()).collect();
        let memory = memories.first().map_or(std::ptr::null_mut(), |&i| s.memories[i as usize].as_ptr());
        let table_ptrs: Vec<*mut TableEntity> = table_ids.iter().map(|&i| s.tables[i as usize].as_ptr()).collect();
        let table0 = table_ptrs.first().copied().unwrap_or(std::ptr::null_mut());
        let mut exports = HashMap::with_capacity(m.exports.len());
        for (name, kind, idx) in &m.exports {
            let e = match kind {
                ExternalKind::Func => Extern::Func(Func(funcs[*idx as usize])),
                ExternalKind::Global => Extern::Global(Global(global_ids[*idx as usize])),
                ExternalKind::Memory => Extern::Memory(Memory(memories[*idx as usize])),
                ExternalKind::Table => Extern::Table(Table(table_ids[*idx as usize])),
                _ => continue,
            };
            exports.insert(name.clone(), e);
        }
        let datas = m.datas.iter().map(|d| d.range.clone()).collect();
        s.instances.push(Pinned::new(InstanceData {
            index,
            module: m.clone(),
            funcs,
            globals,
            memories,
            memory,
            tables: table_ptrs,
            table0,
            call_key: call_key(0, index),
            elems,
            datas,
            exports,
        }));
        // Calls through this instance's functions go straight to it.
        let root = s.instances[index as usize].as_ptr();
        for &f in &s.instances[index as usize].funcs[m.num_imported_funcs as usize..] {
            if let FuncEntity::Wasm { inst, .. } = &mut s.funcs[f as usize] {
                *inst = root;
            }
        }
        let inst = &mut s.instances[index as usize];

        // Active element segments, then active data segments, in order; the first
        // out-of-bounds one traps (earlier writes stay, as the spec says).
        for (i, seg) in m.elems.iter().enumerate() {
            match &seg.mode {
                SegmentMode::Active { index: t, offset } => {
                    let off = eval_const(&inst.funcs, &inst.globals, *offset) as u32 as usize;
                    // SAFETY: table pointers point into boxed tables of this store.
                    let table = unsafe { &mut *inst.tables[*t as usize] };
                    let items = &inst.elems[i];
                    if off.checked_add(items.len()).is_none_or(|end| end > table.elems.len()) {
                        return Err(TrapCode::TableOutOfBounds.into());
                    }
                    for (dst, &raw) in table.elems[off..off + items.len()].iter_mut().zip(items.iter()) {
                        *dst = elem_of(&s.funcs, table.ty.element, raw);
                    }
                    inst.elems[i] = Box::new([]);
                }
                SegmentMode::Declared => inst.elems[i] = Box::new([]),
                SegmentMode::Passive => {}
            }
        }
        for (i, seg) in m.datas.iter().enumerate() {
            if let SegmentMode::Active { index: mi, offset } = &seg.mode {
                let off = eval_const(&inst.funcs, &inst.globals, *offset) as u32 as usize;
                let mem = &mut *s.memories[inst.memories[*mi as usize] as usize];
                let bytes = &m.bytes[seg.range.clone()];
                if off.checked_add(bytes.len()).is_none_or(|end| end > mem.data.len()) {
                    return Err(TrapCode::MemoryOutOfBounds.into());
                }
                mem.data[off..off + bytes.len()].copy_from_slice(bytes);
                inst.datas[i] = 0..0;
            }
        }
        Ok(Instance(index))
    }

    /// The export called `name`.
    pub fn get_export(&self, ctx: impl AsContext, name: &str) -> Option<Extern> {
        ctx.store().inner.instances[self.0 as usize].exports.get(name).copied()
    }
    pub fn get_func(&self, ctx: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(ctx, name)?.into_func()
    }
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        ctx: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let f =
            self.get_func(&ctx, name).ok_or_else(|| Error::BadCall(format!("no exported function named `{name}`")))?;
        f.typed(&ctx)
    }
    pub fn get_memory(&self, ctx: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(ctx, name)?.into_memory()
    }
    pub fn get_global(&self, ctx: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(ctx, name)?.into_global()
    }
    pub fn get_table(&self, ctx: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(ctx, name)?.into_table()
    }
    /// All exports, in no particular order.
    pub fn exports(&self, ctx: impl AsContext) -> Vec<(String, Extern)> {
        let s = ctx.store();
        s.inner.instances[self.0 as usize].exports.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}
