//! Handles to memories, globals and tables, usable from the host.

use crate::error::{Error, Result};
use crate::runtime::store::{AsContext, AsContextMut, GlobalEntity, MemoryEntity, Pinned, TableEntity};
use crate::runtime::values::Val;
use crate::types::{GlobalType, MemoryType, Mutability, TableType};

/// A linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Memory(pub(crate) u32);

/// An access outside a memory's bounds from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("out of bounds memory access")]
pub struct MemoryAccessError;

impl Memory {
    pub fn new(mut ctx: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let s = &mut ctx.store_mut().inner;
        s.check_entities(s.memories.len())?;
        if ty.minimum > 65536 || ty.maximum.is_some_and(|m| m > 65536 || m < ty.minimum) {
            return Err(Error::BadCall("invalid memory limits".into()));
        }
        if ty.minimum > s.limits.max_memory_pages {
            return Err(Error::Limit(format!("memory of {} pages exceeds the limit", ty.minimum)));
        }
        s.memories.push(Pinned::new(MemoryEntity::new(ty)?));
        Ok(Memory((s.memories.len() - 1) as u32))
    }
    fn entity<'a>(&self, ctx: &'a impl AsContext) -> &'a MemoryEntity {
        &ctx.store().inner.memories[self.0 as usize]
    }
    /// Current size in pages.
    pub fn size(&self, ctx: impl AsContext) -> u32 {
        self.entity(&ctx).pages()
    }
    /// Current size in bytes.
    pub fn data_size(&self, ctx: impl AsContext) -> usize {
        self.entity(&ctx).data.len()
    }
    pub fn ty(&self, ctx: impl AsContext) -> MemoryType {
        let e = self.entity(&ctx);
        MemoryType { minimum: e.pages(), maximum: e.ty.maximum }
    }
    /// Grows by `delta` pages and returns the previous size in pages.
    pub fn grow(&self, mut ctx: impl AsContextMut, delta: u32) -> Result<u32> {
        let s = &mut ctx.store_mut().inner;
        let limit = s.limits.max_memory_pages;
        s.memories[self.0 as usize]
            .grow(delta, limit)
            .ok_or_else(|| Error::Limit(format!("cannot grow memory by {delta} pages")))
    }
    pub fn data<'a, C: AsContext>(&self, ctx: &'a C) -> &'a [u8] {
        &ctx.store().inner.memories[self.0 as usize].data
    }
    pub fn data_mut<'a, C: AsContextMut>(&self, ctx: &'a mut C) -> &'a mut [u8] {
        &mut ctx.store_mut().inner.memories[self.0 as usize].data
    }
    /// The memory's bytes together with the store's host data, both mutable.
    pub fn data_and_store_mut<'a, T>(&self, ctx: &'a mut impl AsContextMut<Data = T>) -> (&'a mut [u8], &'a mut T) {
        let store = ctx.store_mut();
        let (inner, data) = store.split_mut();
        (&mut inner.memories[self.0 as usize].data, data)
    }
    pub fn read(&self, ctx: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<(), MemoryAccessError> {
        let data = &self.entity(&ctx).data;
        let src = offset.checked_add(buf.len()).and_then(|end| data.get(offset..end)).ok_or(MemoryAccessError)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    pub fn write(&self, mut ctx: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<(), MemoryAccessError> {
        let data = &mut ctx.store_mut().inner.memories[self.0 as usize].data;
        let dst = offset.checked_add(buf.len()).and_then(|end| data.get_mut(offset..end)).ok_or(MemoryAccessError)?;
        dst.copy_from_slice(buf);
        Ok(())
    }
}

/// A global variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Global(pub(crate) u32);

impl Global {
    pub fn new(mut ctx: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        if value.ty() != ty.content {
            return Err(Error::BadCall(format!("global of type {} initialised with {}", ty.content, value.ty())));
        }
        let s = &mut ctx.store_mut().inner;
        s.check_entities(s.globals.len())?;
        s.globals.push(Pinned::new(GlobalEntity { value: value.to_raw(), ty }));
        Ok(Global((s.globals.len() - 1) as u32))
    }
    pub fn ty(&self, ctx: impl AsContext) -> GlobalType {
        ctx.store().inner.globals[self.0 as usize].ty
    }
    pub fn get(&self, ctx: impl AsContext) -> Val {
        let g = &ctx.store().inner.globals[self.0 as usize];
        Val::from_raw(g.value, g.ty.content)
    }
    pub fn set(&self, mut ctx: impl AsContextMut, value: Val) -> Result<()> {
        let g = &mut ctx.store_mut().inner.globals[self.0 as usize];
        if g.ty.mutability != Mutability::Var {
            return Err(Error::BadCall("cannot set an immutable global".into()));
        }
        if value.ty() != g.ty.content {
            return Err(Error::BadCall(format!("global of type {} set to {}", g.ty.content, value.ty())));
        }
        g.value = value.to_raw();
        Ok(())
    }
}

/// A table of references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Table(pub(crate) u32);

impl Table {
    pub fn new(mut ctx: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        if init.ty() != ty.element {
            return Err(Error::BadCall(format!("table of {} initialised with {}", ty.element, init.ty())));
        }
        let s = &mut ctx.store_mut().inner;
        s.check_entities(s.tables.len())?;
        if ty.minimum > s.limits.max_table_elements {
            return Err(Error::Limit(format!("table of {} elements exceeds the limit", ty.minimum)));
        }
        let init = s.elem(ty.element, init.to_raw());
        let table = TableEntity::new(ty, init)
            .ok_or_else(|| Error::Limit(format!("cannot allocate a table of {} elements", ty.minimum)))?;
        s.tables.push(Pinned::new(table));
        Ok(Table((s.tables.len() - 1) as u32))
    }
    fn entity<'a>(&self, ctx: &'a impl AsContext) -> &'a TableEntity {
        &ctx.store().inner.tables[self.0 as usize]
    }
    pub fn ty(&self, ctx: impl AsContext) -> TableType {
        let e = self.entity(&ctx);
        TableType { element: e.ty.element, minimum: e.elems.len() as u32, maximum: e.ty.maximum }
    }
    pub fn size(&self, ctx: impl AsContext) -> u32 {
        self.entity(&ctx).elems.len() as u32
    }
    pub fn get(&self, ctx: impl AsContext, index: u32) -> Option<Val> {
        let e = self.entity(&ctx);
        e.elems.get(index as usize).map(|r| Val::from_raw(r.raw, e.ty.element))
    }
    pub fn set(&self, mut ctx: impl AsContextMut, index: u32, value: Val) -> Result<()> {
        let s = &mut ctx.store_mut().inner;
        let element = s.tables[self.0 as usize].ty.element;
        if value.ty() != element {
            return Err(Error::BadCall("table element type mismatch".into()));
        }
        let elem = s.elem(element, value.to_raw());
        let slot = s.tables[self.0 as usize]
            .elems
            .get_mut(index as usize)
            .ok_or(Error::trap(crate::TrapCode::TableOutOfBounds))?;
        *slot = elem;
        Ok(())
    }
    /// Grows by `delta` elements set to `init`; returns the previous size.
    pub fn grow(&self, mut ctx: impl AsContextMut, delta: u32, init: Val) -> Result<u32> {
        let s = &mut ctx.store_mut().inner;
        let limit = s.limits.max_table_elements;
        let element = s.tables[self.0 as usize].ty.element;
        if init.ty() != element {
            return Err(Error::BadCall("table element type mismatch".into()));
        }
        let init = s.elem(element, init.to_raw());
        s.tables[self.0 as usize]
            .grow(delta, init, limit)
            .ok_or_else(|| Error::Limit(format!("cannot grow table by {delta}")))
    }
}
