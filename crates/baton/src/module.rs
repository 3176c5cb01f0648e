//! Decoding and validation: turns module bytes (or text) into a [`Module`].
//!
//! `wasmparser` parses and fully validates every section and function body up
//! front, so a `Module` is always valid. Function bodies are kept as byte
//! ranges and translated to threaded code either here (eager) or on their first
//! call (lazy, the default); see [`crate::translate`].

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use wasmparser::{
    BinaryReader, ElementItems, ElementKind, ExternalKind, FunctionBody, Operator, Parser, Payload, TypeRef, Validator,
    WasmFeatures,
};

use crate::error::{Error, Result};
use crate::runtime::store::Engine;
use crate::translate::Compiled;
use crate::types::*;

/// A constant initializer expression (Wasm 2.0 subset).
#[derive(Debug, Clone, Copy)]
pub(crate) enum ConstExpr {
    /// A number, as slot bits.
    Value(u64),
    RefNull,
    RefFunc(u32),
    GlobalGet(u32),
}

impl ConstExpr {
    fn parse(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
        let mut ops = expr.get_operators_reader();
        let op = ops.read().map_err(|e| Error::Invalid(e.to_string()))?;
        let c = match op {
            Operator::I32Const { value } => ConstExpr::Value(value as u32 as u64),
            Operator::I64Const { value } => ConstExpr::Value(value as u64),
            Operator::F32Const { value } => ConstExpr::Value(value.bits() as u64),
            Operator::F64Const { value } => ConstExpr::Value(value.bits()),
            Operator::RefNull { .. } => ConstExpr::RefNull,
            Operator::RefFunc { function_index } => ConstExpr::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstExpr::GlobalGet(global_index),
            other => return Err(Error::Unsupported(format!("constant expression {other:?}"))),
        };
        Ok(c)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum SegmentMode {
    Passive,
    Active { index: u32, offset: ConstExpr },
    Declared,
}

#[derive(Debug, Clone)]
pub(crate) struct ElemSegment {
    pub(crate) mode: SegmentMode,
    pub(crate) items: Vec<ConstExpr>,
}

#[derive(Debug, Clone)]
pub(crate) struct DataSegment {
    pub(crate) mode: SegmentMode,
    pub(crate) range: Range<usize>,
}

/// The threaded code of one defined function, filled in on first use.
pub(crate) struct FuncCode {
    /// Index of the function in the module's function index space.
    pub(crate) index: u32,
    pub(crate) module: *const ModuleInner,
    pub(crate) compiled: OnceLock<Compiled>,
}

// SAFETY: `module` points at the `ModuleInner` that owns this `FuncCode`, which
// is immutable apart from the `OnceLock`, itself `Sync`.
unsafe impl Send for FuncCode {}
// SAFETY: see above.
unsafe impl Sync for FuncCode {}

pub(crate) struct ModuleInner {
    pub(crate) engine: Engine,
    pub(crate) bytes: Arc<[u8]>,
    pub(crate) types: Vec<FuncType>,
    pub(crate) type_ids: Vec<u32>,
    pub(crate) imports: Vec<ImportType>,
    /// Type index of every function (imports first).
    pub(crate) funcs: Vec<u32>,
    pub(crate) num_imported_funcs: u32,
    pub(crate) tables: Vec<TableType>,
    pub(crate) num_imported_tables: u32,
    pub(crate) memories: Vec<MemoryType>,
    pub(crate) num_imported_memories: u32,
    pub(crate) globals: Vec<GlobalType>,
    pub(crate) global_inits: Vec<ConstExpr>,
    pub(crate) num_imported_globals: u32,
    pub(crate) exports: Vec<(String, ExternalKind, u32)>,
    pub(crate) start: Option<u32>,
    pub(crate) elems: Vec<ElemSegment>,
    pub(crate) datas: Vec<DataSegment>,
    pub(crate) bodies: Vec<Range<usize>>,
    pub(crate) code: Box<[FuncCode]>,
    /// The name section's contents (offset in `bytes`), decoded on first use.
    pub(crate) name_section: Option<Range<usize>>,
    pub(crate) names: OnceLock<std::collections::HashMap<u32, String>>,
}

impl ModuleInner {
    pub(crate) fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize] as usize]
    }
    pub(crate) fn func_name(&self, func: u32) -> String {
        match self.names().get(&func) {
            Some(n) => n.clone(),
            None => format!("func[{func}]"),
        }
    }
    /// Function names from the name section (decoded lazily: only backtraces
    /// and `Module::func_name` need them).
    pub(crate) fn names(&self) -> &std::collections::HashMap<u32, String> {
        self.names.get_or_init(|| {
            let mut map = std::collections::HashMap::new();
            if let Some(r) = &self.name_section {
                read_names(&self.bytes[r.clone()], r.start, &mut map);
            }
            map
        })
    }
    /// The body of defined function `def` (index among defined functions).
    pub(crate) fn body(&self, def: usize) -> FunctionBody<'_> {
        let r = self.bodies[def].clone();
        FunctionBody::new(BinaryReader::new(&self.bytes[r.clone()], r.start))
    }
    /// Threaded code of defined function `def`, translating it on first use.
    pub(crate) fn compiled(&self, def: usize) -> Result<&Compiled> {
        let fc = &self.code[def];
        if let Some(c) = fc.compiled.get() {
            return Ok(c);
        }
        let c = crate::translate::translate(self, def)?;
        Ok(fc.compiled.get_or_init(|| c))
    }
}

/// A validated WebAssembly module, ready to instantiate in any store of its engine.
#[derive(Clone)]
pub struct Module {
    pub(crate) inner: Arc<ModuleInner>,
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module").field("funcs", &self.inner.funcs.len()).finish()
    }
}

pub(crate) fn features() -> WasmFeatures {
    // Wasm 2.0 without SIMD.
    WasmFeatures::WASM2 & !WasmFeatures::SIMD & !WasmFeatures::RELAXED_SIMD
}

pub(crate) fn invalid(e: wasmparser::BinaryReaderError) -> Error {
    Error::Invalid(format!("{} (at offset {:#x})", e.message(), e.offset()))
}

fn table_type(t: &wasmparser::TableType) -> Result<TableType> {
    if t.table64 || t.shared {
        return Err(Error::Unsupported("64-bit or shared tables".into()));
    }
    let element = ValType::from_wp(wasmparser::ValType::Ref(t.element_type))?;
    Ok(TableType { element, minimum: t.initial as u32, maximum: t.maximum.map(|m| m as u32) })
}

fn memory_type(m: &wasmparser::MemoryType) -> Result<MemoryType> {
    if m.memory64 || m.shared || m.page_size_log2.is_some() {
        return Err(Error::Unsupported("64-bit, shared or custom-page-size memories".into()));
    }
    Ok(MemoryType { minimum: m.initial as u32, maximum: m.maximum.map(|m| m as u32) })
}

fn global_type(g: &wasmparser::GlobalType) -> Result<GlobalType> {
    Ok(GlobalType {
        content: ValType::from_wp(g.content_type)?,
        mutability: if g.mutable { Mutability::Var } else { Mutability::Const },
    })
}

impl Module {
    /// Decodes and validates a module from its binary encoding (or, with the
    /// `wat` feature, its text format).
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        #[cfg(feature = "wat")]
        if !bytes.starts_with(b"\0asm") {
            let bin = wat::parse_bytes(bytes).map_err(|e| Error::Malformed(e.to_string()))?;
            return Module::from_binary(engine, &bin);
        }
        Module::from_binary(engine, bytes)
    }

    /// Reads a module from a file (binary, or text with the `wat` feature).
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).map_err(|e| Error::Host(format!("cannot read {}: {e}", path.display()).into()))?;
        Module::new(engine, bytes)
    }

    /// Decodes and validates a module from its binary encoding only.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        let lazy = engine.config().lazy;
        // Lazy translation of a module whose bodies are validated on this
        // thread alone: wasmparser validates the whole module first, then the
        // sections are decoded below without a validator of our own. The body
        // validation compiled inside wasmparser (`validate_all`) runs about
        // 10 % fewer instructions than the same generic code instantiated
        // here (callgrind, CoreMark: 390 K against 436 K per module), and
        // validation is nearly all of lazy translation.
        let whole = lazy && !validates_in_parallel(engine, bytes.len());
        if whole {
            Validator::new_with_features(features()).validate_all(bytes).map_err(invalid)?;
        }
        let bytes: Arc<[u8]> = bytes.into();
        let mut validator = (!whole).then(|| Validator::new_with_features(features()));
        // Function bodies are validated after the sections are read, in
        // parallel for large modules (see `validate_bodies`).
        let mut pending = Vec::new();
        let mut code_bytes = 0usize;
        let mut types = Vec::new();
        let mut imports = Vec::new();
        let mut funcs = Vec::new();
        let (mut nif, mut nit, mut nim, mut nig) = (0u32, 0u32, 0u32, 0u32);
        let mut tables = Vec::new();
        let mut memories = Vec::new();
        let mut globals = Vec::new();
        let mut global_inits = Vec::new();
        let mut exports = Vec::new();
        let mut start = None;
        let mut elems = Vec::new();
        let mut datas = Vec::new();
        let mut bodies = Vec::new();
        let mut name_section = None;

        for payload in Parser::new(0).parse_all(&bytes) {
            let payload = payload.map_err(invalid)?;
            if let Some(validator) = validator.as_mut() {
                if let wasmparser::ValidPayload::Func(to_validate, body) =
                    validator.payload(&payload).map_err(invalid)?
                {
                    code_bytes += body.range().end - body.range().start;
                    pending.push((to_validate, body));
                }
            }
            match payload {
                Payload::TypeSection(r) => {
                    types.reserve(capacity(r.count(), r.range().len()));
                    for ty in r.into_iter_err_on_gc_types() {
                        let ft = ty.map_err(invalid)?;
                        let params = ft.params().iter().map(|t| ValType::from_wp(*t)).collect::<Result<Vec<_>>>()?;
                        let results = ft.results().iter().map(|t| ValType::from_wp(*t)).collect::<Result<Vec<_>>>()?;
                        types.push(FuncType::new(params, results));
                    }
                }
                Payload::ImportSection(r) => {
                    imports.reserve(capacity(r.count(), r.range().len()));
                    for imp in r {
                        let imp = imp.map_err(invalid)?;
                        let ty = match imp.ty {
                            TypeRef::Func(t) => {
                                funcs.push(t);
                                nif += 1;
                                ExternType::Func(types[t as usize].clone())
                            }
                            TypeRef::Table(t) => {
                                let t = table_type(&t)?;
                                tables.push(t);
                                nit += 1;
                                ExternType::Table(t)
                            }
                            TypeRef::Memory(m) => {
                                let m = memory_type(&m)?;
                                memories.push(m);
                                nim += 1;
                                ExternType::Memory(m)
                            }
                            TypeRef::Global(g) => {
                                let g = global_type(&g)?;
                                globals.push(g);
                                nig += 1;
                                ExternType::Global(g)
                            }
                            other => return Err(Error::Unsupported(format!("import kind {other:?}"))),
                        };
                        imports.push(ImportType { module: imp.module.to_string(), name: imp.name.to_string(), ty });
                    }
                }
                Payload::FunctionSection(r) => {
                    funcs.reserve(capacity(r.count(), r.range().len()));
                    for t in r {
                        funcs.push(t.map_err(invalid)?);
                    }
                }
                Payload::TableSection(r) => {
                    for t in r {
                        let t = t.map_err(invalid)?;
                        if !matches!(t.init, wasmparser::TableInit::RefNull) {
                            return Err(Error::Unsupported("table initializer expressions".into()));
                        }
                        tables.push(table_type(&t.ty)?);
                    }
                }
                Payload::MemorySection(r) => {
                    let range = r.range().start..r.range().end;
                    check_memory_limits_encoding(&bytes[range.clone()], range.start)?;
                    for m in r {
                        memories.push(memory_type(&m.map_err(invalid)?)?);
                    }
                }
                Payload::GlobalSection(r) => {
                    globals.reserve(capacity(r.count(), r.range().len()));
                    global_inits.reserve(capacity(r.count(), r.range().len()));
                    for g in r {
                        let g = g.map_err(invalid)?;
                        globals.push(global_type(&g.ty)?);
                        global_inits.push(ConstExpr::parse(&g.init_expr)?);
                    }
                }
                Payload::ExportSection(r) => {
                    exports.reserve(capacity(r.count(), r.range().len()));
                    for e in r {
                        let e = e.map_err(invalid)?;
                        exports.push((e.name.to_string(), e.kind, e.index));
                    }
                }
                Payload::StartSection { func, .. } => start = Some(func),
                Payload::ElementSection(r) => {
                    for e in r {
                        let e = e.map_err(invalid)?;
                        let mode = match e.kind {
                            ElementKind::Passive => SegmentMode::Passive,
                            ElementKind::Declared => SegmentMode::Declared,
                            ElementKind::Active { table_index, offset_expr } => SegmentMode::Active {
                                index: table_index.unwrap_or(0),
                                offset: ConstExpr::parse(&offset_expr)?,
                            },
                        };
                        let mut items = Vec::new();
                        match e.items {
                            ElementItems::Functions(r) => {
                                for f in r {
                                    items.push(ConstExpr::RefFunc(f.map_err(invalid)?));
                                }
                            }
                            ElementItems::Expressions(_, r) => {
                                for x in r {
                                    items.push(ConstExpr::parse(&x.map_err(invalid)?)?);
                                }
                            }
                        }
                        elems.push(ElemSegment { mode, items });
                    }
                }
                Payload::DataSection(r) => {
                    datas.reserve(capacity(r.count(), r.range().len()));
                    for d in r {
                        let d = d.map_err(invalid)?;
                        let mode = match d.kind {
                            wasmparser::DataKind::Passive => SegmentMode::Passive,
                            wasmparser::DataKind::Active { memory_index, offset_expr } => {
                                SegmentMode::Active { index: memory_index, offset: ConstExpr::parse(&offset_expr)? }
                            }
                        };
                        let start = d.data.as_ptr() as usize - bytes.as_ptr() as usize;
                        datas.push(DataSegment { mode, range: start..start + d.data.len() });
                    }
                }
                Payload::CodeSectionStart { count, size, .. } => {
                    bodies.reserve(capacity(count, size as usize));
                    pending.reserve(capacity(count, size as usize));
                }
                Payload::CodeSectionEntry(body) => {
                    let r = body.range();
                    bodies.push(r.start..r.end);
                }
                Payload::CustomSection(c) if c.name() == "name" => {
                    let start = c.data_offset();
                    name_section = Some(start..start + c.data().len());
                }
                _ => {}
            }
        }

        // Lazy translation validates every body now (unless `validate_all`
        // did above); eager translation validates each body in the same pass
        // that translates it (below).
        if lazy && !whole {
            let validate = |_: usize, fv: &mut crate::translate::BodyValidator, body: &FunctionBody<'_>| {
                fv.validate(body).map_err(invalid)
            };
            for_each_body(engine, std::mem::take(&mut pending), code_bytes, false, &validate)?;
        }
        let type_ids = engine.type_ids(&types);
        let n_defined = bodies.len();
        let inner = Arc::new_cyclic(|weak: &std::sync::Weak<ModuleInner>| {
            let me = weak.as_ptr();
            let code = (0..n_defined)
                .map(|i| FuncCode { index: nif + i as u32, module: me, compiled: OnceLock::new() })
                .collect();
            ModuleInner {
                engine: engine.clone(),
                bytes: bytes.clone(),
                types,
                type_ids,
                imports,
                funcs,
                num_imported_funcs: nif,
                tables,
                num_imported_tables: nit,
                memories,
                num_imported_memories: nim,
                globals,
                global_inits,
                num_imported_globals: nig,
                exports,
                start,
                elems,
                datas,
                bodies,
                code,
                name_section,
                names: OnceLock::new(),
            }
        });
        if !lazy {
            let translate = |def: usize, fv: &mut crate::translate::BodyValidator, _: &FunctionBody<'_>| {
                let compiled = crate::translate::translate_validating(&inner, def, Some(fv))?;
                let _ = inner.code[def].compiled.set(compiled);
                Ok(())
            };
            for_each_body(engine, pending, code_bytes, true, &translate)?;
        }
        Ok(Module { inner })
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = &ImportType> {
        self.inner.imports.iter()
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType> + '_ {
        self.inner.exports.iter().map(|(name, kind, idx)| {
            let m = &self.inner;
            let ty = match kind {
                ExternalKind::Func => ExternType::Func(m.func_type(*idx).clone()),
                ExternalKind::Table => ExternType::Table(m.tables[*idx as usize]),
                ExternalKind::Memory => ExternType::Memory(m.memories[*idx as usize]),
                ExternalKind::Global => ExternType::Global(m.globals[*idx as usize]),
                _ => unreachable!("validated module exports only Wasm 2.0 kinds"),
            };
            ExportType { name: name.clone(), ty }
        })
    }

    /// Function name from the name section, if any.
    pub fn func_name(&self, index: u32) -> Option<&str> {
        self.inner.names().get(&index).map(|s| s.as_str())
    }
}

/// Code size from which lazy translation validates bodies in parallel (see
/// [`for_each_body`]).
const VALIDATE_PARALLEL_MIN: usize = 16 * 1024;

/// Whether a module of `len` bytes may have its bodies validated on the
/// pool: if it has that much code, parallelism is on and there is a pool.
/// (`len` bounds the code size from above.)
fn validates_in_parallel(engine: &Engine, len: usize) -> bool {
    len >= VALIDATE_PARALLEL_MIN && engine.config().parallel && pool().is_some()
}

type BodyToValidate<'a> = (wasmparser::FuncToValidate<wasmparser::ValidatorResources>, FunctionBody<'a>);

/// Runs `work(def, validator, body)` (`translating` if it translates as well as
/// validates) on every function body (`def` is its index
/// among defined functions); also on the threads of [`pool`] when there is
/// enough code to pay for them (and `Config::parallel_translation` allows).
/// The error reported is that of the first failing function.
fn for_each_body<'a>(
    engine: &Engine,
    bodies: Vec<BodyToValidate<'a>>,
    code_bytes: usize,
    translating: bool,
    work: &(dyn Fn(usize, &mut crate::translate::BodyValidator, &FunctionBody<'a>) -> Result<()> + Sync),
) -> Result<()> {
    // One body, reusing the validator's allocations from the previous one.
    let one = |allocs: &mut wasmparser::FuncValidatorAllocations, def: usize, b: BodyToValidate<'a>| {
        let (to_validate, body) = b;
        let mut fv = to_validate.into_validator(std::mem::take(allocs));
        let r = work(def, &mut fv, &body);
        *allocs = fv.into_allocations();
        r
    };
    let run = |bodies: Vec<BodyToValidate<'a>>| -> Result<()> {
        let mut allocs = engine.take_validator_allocs();
        let r = bodies.into_iter().enumerate().try_for_each(|(def, b)| one(&mut allocs, def, b));
        engine.recycle_validator_allocs(allocs);
        r
    };
    // Below this much code, handing bodies to the pool costs more than it
    // saves. Measured on 2 cores in the paired benchmark (wasmi's time over
    // Baton's): translating (with validation) CoreMark's 7 KB of code goes
    // from 0.96x to 1.28x in parallel, validating it alone from 1.01x to 0.7x
    // (waking the pool costs about what a few KB of validation does);
    // argon2's 35 KB validates 1.3x faster than wasmi's in parallel.
    let threshold = if translating { 2 * 1024 } else { VALIDATE_PARALLEL_MIN };
    if code_bytes < threshold || bodies.len() < 2 || !engine.config().parallel {
        return run(bodies);
    }
    let Some(pool) = pool() else { return run(bodies) };
    // The calling thread works too (`in_place_scope`), with one worker per
    // thread of the pool.
    let threads = pool.current_num_threads() + 1;
    // Threads take bodies one at a time, largest first (so one big function
    // does not leave a thread idle at the end); the error reported is still
    // that of the first failing function in module order.
    let mut order: Vec<usize> = (0..bodies.len()).collect();
    let size = |b: &BodyToValidate<'a>| b.1.range().end - b.1.range().start;
    order.sort_by_key(|&i| std::cmp::Reverse(size(&bodies[i])));
    let slots: Vec<std::sync::Mutex<Option<BodyToValidate<'a>>>> =
        bodies.into_iter().map(|b| std::sync::Mutex::new(Some(b))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let worker = || -> Option<(usize, Error)> {
        let mut allocs = engine.take_validator_allocs();
        let mut first: Option<(usize, Error)> = None;
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&def) = order.get(k) else {
                engine.recycle_validator_allocs(allocs);
                return first;
            };
            let taken = slots[def].lock().map(|mut g| g.take()).unwrap_or(None);
            let Some(b) = taken else { continue };
            if let Err(e) = one(&mut allocs, def, b) {
                if first.as_ref().is_none_or(|(d, _)| def < *d) {
                    first = Some((def, e));
                }
            }
        }
    };
    let errors = std::sync::Mutex::new(Vec::new());
    let work = || {
        let e = worker();
        errors.lock().unwrap_or_else(|e| e.into_inner()).push(e);
    };
    pool.in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| work());
        }
        work();
    });
    let errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
    match errors.into_iter().flatten().min_by_key(|(def, _)| *def) {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

/// The threads that validate and translate bodies beside the calling one:
/// one fewer than the machine has (up to 7), so that the caller and the pool
/// together take every core and no more (with one thread per core as well,
/// the pool's idle threads spinning for work took the caller's core while it
/// parsed and instantiated: CoreMark's eager translation on 2 cores ran 10-25 %
/// slower in the paired benchmark). `None` on a single core or if no thread
/// can be started.
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if cores < 2 {
            return None;
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(cores - 1)
            .thread_name(|i| format!("baton-translate-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Room to reserve for a section's `count` entries: no more than its
/// `bytes` (every entry takes at least one), so that a forged count cannot
/// make a small module allocate much.
fn capacity(count: u32, bytes: usize) -> usize {
    (count as usize).min(bytes)
}

/// wasmparser reads memory limits as 64-bit LEBs even without memory64; a
/// 32-bit memory's limits must be at most 5 bytes long.
fn check_memory_limits_encoding(section: &[u8], offset: usize) -> Result<()> {
    let malformed =
        |e: wasmparser::BinaryReaderError| Error::Malformed(format!("{} (at offset {:#x})", e.message(), e.offset()));
    let mut r = BinaryReader::new(section, offset);
    let count = r.read_var_u32().map_err(malformed)?;
    for _ in 0..count {
        let flags = r.read_u8().map_err(malformed)?;
        if flags & 0x04 != 0 {
            // 64-bit memory: rejected later as unsupported/invalid.
            return Ok(());
        }
        r.read_var_u32().map_err(malformed)?;
        if flags & 0x01 != 0 {
            r.read_var_u32().map_err(malformed)?;
        }
    }
    Ok(())
}

fn read_names(data: &[u8], offset: usize, names: &mut std::collections::HashMap<u32, String>) {
    let reader = wasmparser::NameSectionReader::new(BinaryReader::new(data, offset));
    // The name section is advisory: stop quietly at the first malformed entry.
    for sub in reader {
        let Ok(sub) = sub else { return };
        if let wasmparser::Name::Function(map) = sub {
            for n in map {
                let Ok(n) = n else { return };
                names.insert(n.index, n.name.to_string());
            }
        }
    }
}
