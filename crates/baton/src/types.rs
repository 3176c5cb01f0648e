//! Value and entity types shared by the decoder, the translator and the API.

use std::fmt;
use std::sync::Arc;

/// A WebAssembly value type (SIMD excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    FuncRef,
    ExternRef,
}

impl ValType {
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    pub(crate) fn from_wp(t: wasmparser::ValType) -> Result<ValType, crate::Error> {
        use wasmparser::ValType as W;
        Ok(match t {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::Ref(r) if r.is_func_ref() => ValType::FuncRef,
            W::Ref(r) if r.is_extern_ref() => ValType::ExternRef,
            other => return Err(crate::Error::Unsupported(format!("value type {other:?}"))),
        })
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A function signature.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    params_results: Arc<[ValType]>,
    len_params: usize,
}

impl FuncType {
    pub fn new(params: impl IntoIterator<Item = ValType>, results: impl IntoIterator<Item = ValType>) -> Self {
        let mut v: Vec<ValType> = params.into_iter().collect();
        let len_params = v.len();
        v.extend(results);
        FuncType { params_results: v.into(), len_params }
    }
    pub fn params(&self) -> &[ValType] {
        &self.params_results[..self.len_params]
    }
    pub fn results(&self) -> &[ValType] {
        &self.params_results[self.len_params..]
    }
}

impl fmt::Debug for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(func (param")?;
        for p in self.params() {
            write!(f, " {p}")?;
        }
        write!(f, ") (result")?;
        for r in self.results() {
            write!(f, " {r}")?;
        }
        write!(f, "))")
    }
}

/// Mutability of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    Const,
    Var,
}

/// The type of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    pub content: ValType,
    pub mutability: Mutability,
}

impl GlobalType {
    pub fn new(content: ValType, mutability: Mutability) -> Self {
        GlobalType { content, mutability }
    }
}

/// The type of a linear memory, in 64 KiB pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    pub minimum: u32,
    pub maximum: Option<u32>,
}

impl MemoryType {
    pub fn new(minimum: u32, maximum: Option<u32>) -> Self {
        MemoryType { minimum, maximum }
    }
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    pub element: ValType,
    pub minimum: u32,
    pub maximum: Option<u32>,
}

impl TableType {
    pub fn new(element: ValType, minimum: u32, maximum: Option<u32>) -> Self {
        TableType { element, minimum, maximum }
    }
}

/// The type of an import or export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    Func(FuncType),
    Global(GlobalType),
    Memory(MemoryType),
    Table(TableType),
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => write!(f, "{t}"),
            ExternType::Global(g) => write!(f, "global {:?} {}", g.mutability, g.content),
            ExternType::Memory(m) => write!(f, "memory {} {:?}", m.minimum, m.maximum),
            ExternType::Table(t) => write!(f, "table {} {:?} {}", t.minimum, t.maximum, t.element),
        }
    }
}

/// An import of a module.
#[derive(Debug, Clone)]
pub struct ImportType {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) ty: ExternType,
}

impl ImportType {
    pub fn module(&self) -> &str {
        &self.module
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn ty(&self) -> &ExternType {
        &self.ty
    }
}

/// An export of a module.
#[derive(Debug, Clone)]
pub struct ExportType {
    pub(crate) name: String,
    pub(crate) ty: ExternType,
}

impl ExportType {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn ty(&self) -> &ExternType {
        &self.ty
    }
}
