//! Runtime values as the embedder sees them, and their 8-byte slot encoding.
//!
//! In a slot, 32-bit values use the low half (the high half is ignored), floats
//! are stored as their bit patterns, a funcref is `store function index + 1` and
//! an externref is `store externref index + 1`; `0` is the null reference.

use crate::runtime::func::Func;
use crate::runtime::store::{AsContext, AsContextMut};
use crate::types::ValType;
use std::any::Any;

/// An opaque host reference (`externref`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExternRef(pub(crate) u32);

impl ExternRef {
    /// Stores `value` in the store and returns a reference to it.
    pub fn new<T: Any + Send + Sync>(mut ctx: impl AsContextMut, value: T) -> ExternRef {
        let inner = &mut ctx.store_mut().inner;
        inner.externrefs.push(Box::new(value));
        ExternRef((inner.externrefs.len() - 1) as u32)
    }
    /// The host value behind the reference.
    pub fn data<'a, C: AsContext>(&self, ctx: &'a C) -> &'a (dyn Any + Send + Sync) {
        &*ctx.store().inner.externrefs[self.0 as usize]
    }
}

/// A WebAssembly value. Floats are carried as bit patterns so NaN payloads survive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// The bits of an `f32`.
    F32(u32),
    /// The bits of an `f64`.
    F64(u64),
    FuncRef(Option<Func>),
    ExternRef(Option<ExternRef>),
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }
    /// The zero value (or null reference) of a type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }
    pub fn from_f32(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
    pub fn from_f64(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }

    pub(crate) fn to_raw(self) -> u64 {
        match self {
            Val::I32(v) => v as u32 as u64,
            Val::I64(v) => v as u64,
            Val::F32(v) => v as u64,
            Val::F64(v) => v,
            Val::FuncRef(f) => f.map_or(0, |f| f.0 as u64 + 1),
            Val::ExternRef(e) => e.map_or(0, |e| e.0 as u64 + 1),
        }
    }

    pub(crate) fn from_raw(raw: u64, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw as u32 as i32),
            ValType::I64 => Val::I64(raw as i64),
            ValType::F32 => Val::F32(raw as u32),
            ValType::F64 => Val::F64(raw),
            ValType::FuncRef => Val::FuncRef(if raw == 0 { None } else { Some(Func((raw - 1) as u32)) }),
            ValType::ExternRef => Val::ExternRef(if raw == 0 { None } else { Some(ExternRef((raw - 1) as u32)) }),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::from_f32(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::from_f64(v)
    }
}
