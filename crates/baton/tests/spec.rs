//! Runs the WebAssembly 2.0 core spec tests (`tests/spec-testsuite/*.wast`) against Baton.
//!
//! A custom harness (`harness = false`): every command of every file is run, one
//! table row per file (passed / failed commands) is printed, then a closing line
//! `N passed, N failed`; the exit status is non-zero if anything failed.
//!
//! Usage: `cargo test -p baton --test spec [-- [--details] [FILTER...]]`. A FILTER
//! keeps the files whose name contains it. `--details` (or `SPEC_DETAILS=1`)
//! prints each failure: file:line, the command, expected vs got;
//! `SPEC_DETAILS_MAX=N` caps that at N failures per file. `SPEC_DIR=path` runs
//! the `.wast` files of another folder instead.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use baton::{
    Engine, Error, ExternRef, Func, Global, GlobalType, Instance, Linker, Memory, MemoryType, Module, Mutability,
    Store, Table, TableType, Val, ValType,
};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, WastRet, Wat};

/// Outcome of one command: `Err` carries "expected vs got" text.
type Outcome = Result<(), String>;

/// One failed command.
struct Failure {
    line: usize,
    command: String,
    detail: String,
}

/// Per-file results.
#[derive(Default)]
struct FileReport {
    passed: usize,
    failures: Vec<Failure>,
}

/// State of one `.wast` file: a store, a linker holding `spectest` and the
/// registered instances, and the modules defined so far.
struct Runner {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    current: Option<Instance>,
    instances: HashMap<String, Instance>,
    definitions: HashMap<String, Module>,
    externrefs: HashMap<u32, ExternRef>,
}

impl Runner {
    fn new(eager: bool) -> Result<Runner, Error> {
        let mut config = baton::Config::default();
        config.lazy_translation(!eager);
        let engine = Engine::new(&config);
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        linker.allow_shadowing(true);
        spectest(&mut linker, &mut store)?;
        Ok(Runner {
            engine,
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            externrefs: HashMap::new(),
        })
    }

    fn run(&mut self, directive: WastDirective<'_>) -> Outcome {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                // Until this module exists, later commands must not silently run
                // against the previous one.
                self.current = None;
                if let Some(name) = &name {
                    self.instances.remove(name);
                }
                let module = self.compile(&mut module)?;
                let inst =
                    self.linker.instantiate(&mut self.store, &module).map_err(|e| format!("instantiation: {e}"))?;
                self.set_current(name, inst);
                Ok(())
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let module = self.compile(&mut module)?;
                if let Some(name) = name {
                    self.definitions.insert(name, module);
                }
                Ok(())
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                self.current = None;
                let module = module.ok_or("module instance without a module name")?;
                let def =
                    self.definitions.get(module.name()).ok_or_else(|| format!("unknown module {}", module.name()))?;
                let inst = self.linker.instantiate(&mut self.store, def).map_err(|e| format!("instantiation: {e}"))?;
                self.set_current(instance.map(|i| i.name().to_string()), inst);
                Ok(())
            }
            WastDirective::Register { name, module, .. } => {
                let inst = self.instance(module.map(|m| m.name()))?;
                self.linker.instance(&self.store, name, inst).map_err(|e| format!("register: {e}"))?;
                Ok(())
            }
            WastDirective::Invoke(invoke) => self.invoke(&invoke).map(drop).map_err(|e| format!("got error: {e}")),
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = match self.execute(exec)? {
                    Ok(vals) => vals,
                    Err(e) => return Err(format!("expected {}, got error: {e}", fmt_rets(&results))),
                };
                if got.len() != results.len() {
                    return Err(format!("expected {}, got {}", fmt_rets(&results), fmt_vals(&self.store, &got)));
                }
                for (v, r) in got.iter().zip(&results) {
                    if !self.matches(v, r)? {
                        return Err(format!("expected {}, got {}", fmt_rets(&results), fmt_vals(&self.store, &got)));
                    }
                }
                Ok(())
            }
            WastDirective::AssertTrap { exec, message, .. } => match self.execute(exec)? {
                Ok(vals) => Err(format!("expected trap \"{message}\", got {}", fmt_vals(&self.store, &vals))),
                Err(e) => expect_trap(&e, message),
            },
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Ok(vals) => Err(format!("expected exhaustion \"{message}\", got {}", fmt_vals(&self.store, &vals))),
                Err(e) => expect_trap(&e, message),
            },
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => {
                // Text that `wast` itself refuses to encode is rejected before Baton
                // sees it, which is the expected outcome.
                let Ok(bytes) = module.encode() else { return Ok(()) };
                match Module::new(&self.engine, &bytes) {
                    Ok(_) => Err(format!("expected the module to be rejected (\"{message}\"), but it compiled")),
                    Err(_) => Ok(()),
                }
            }
            WastDirective::AssertUnlinkable { mut module, message, .. } => {
                let module = self.compile_wat(&mut module)?;
                match self.linker.instantiate(&mut self.store, &module) {
                    Ok(_) => Err(format!("expected link failure \"{message}\", but it instantiated")),
                    Err(Error::Link(_) | Error::Limit(_)) => Ok(()),
                    Err(e) => Err(format!("expected link failure \"{message}\", got error: {e}")),
                }
            }
            other => Err(format!("unsupported directive {other:?}").chars().take(200).collect()),
        }
    }

    fn set_current(&mut self, name: Option<String>, inst: Instance) {
        self.current = Some(inst);
        if let Some(name) = name {
            self.instances.insert(name, inst);
        }
    }

    fn instance(&self, name: Option<&str>) -> Result<Instance, String> {
        match name {
            Some(n) => self.instances.get(n).copied().ok_or_else(|| format!("unknown instance ${n}")),
            None => self.current.ok_or_else(|| "no current instance".to_string()),
        }
    }

    fn compile(&mut self, module: &mut QuoteWat<'_>) -> Result<Module, String> {
        let bytes = module.encode().map_err(|e| format!("wast cannot encode the module: {e}"))?;
        Module::new(&self.engine, &bytes).map_err(|e| format!("compilation: {e}"))
    }

    fn compile_wat(&mut self, module: &mut Wat<'_>) -> Result<Module, String> {
        let bytes = module.encode().map_err(|e| format!("wast cannot encode the module: {e}"))?;
        Module::new(&self.engine, &bytes).map_err(|e| format!("compilation: {e}"))
    }

    /// Runs an `invoke`, `get` or module instantiation. The outer `Err` is a
    /// failure of the test itself (bad name, bad module), the inner one the
    /// error Baton reported.
    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Result<Vec<Val>, Error>, String> {
        match exec {
            WastExecute::Invoke(invoke) => {
                self.instance(invoke.module.map(|m| m.name()))?;
                Ok(self.invoke(&invoke))
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self.instance(module.map(|m| m.name()))?;
                let g = inst.get_global(&self.store, global).ok_or_else(|| format!("no global export \"{global}\""))?;
                Ok(Ok(vec![g.get(&self.store)]))
            }
            WastExecute::Wat(mut module) => {
                let module = self.compile_wat(&mut module)?;
                Ok(self.linker.instantiate(&mut self.store, &module).map(|_| Vec::new()))
            }
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, Error> {
        let inst = self.instance(invoke.module.map(|m| m.name())).map_err(Error::BadCall)?;
        let func: Func = inst
            .get_func(&self.store, invoke.name)
            .ok_or_else(|| Error::BadCall(format!("no function export \"{}\"", invoke.name)))?;
        let args = invoke.args.iter().map(|a| self.arg(a)).collect::<Result<Vec<_>, _>>().map_err(Error::BadCall)?;
        let mut results: Vec<Val> = func.ty(&self.store).results().iter().map(|t| Val::default_for(*t)).collect();
        func.call(&mut self.store, &args, &mut results)?;
        Ok(results)
    }

    fn externref(&mut self, n: u32) -> ExternRef {
        *self.externrefs.entry(n).or_insert_with(|| ExternRef::new(&mut self.store, n))
    }

    fn arg(&mut self, arg: &WastArg<'_>) -> Result<Val, String> {
        let WastArg::Core(arg) = arg else { return Err(format!("unsupported argument {arg:?}")) };
        Ok(match arg {
            WastArgCore::I32(v) => Val::I32(*v),
            WastArgCore::I64(v) => Val::I64(*v),
            WastArgCore::F32(v) => Val::F32(v.bits),
            WastArgCore::F64(v) => Val::F64(v.bits),
            WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => Val::FuncRef(None),
            WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => Val::ExternRef(None),
            WastArgCore::RefExtern(n) => Val::ExternRef(Some(self.externref(*n))),
            other => return Err(format!("unsupported argument {other:?}")),
        })
    }

    /// Does `val` match the expected result `ret`? `Err` for patterns Baton
    /// cannot have (SIMD, GC references).
    fn matches(&self, val: &Val, ret: &WastRet<'_>) -> Result<bool, String> {
        let WastRet::Core(ret) = ret else { return Err(format!("unsupported result pattern {ret:?}")) };
        self.matches_core(val, ret)
    }

    fn matches_core(&self, val: &Val, ret: &WastRetCore<'_>) -> Result<bool, String> {
        Ok(match (ret, val) {
            (WastRetCore::I32(e), Val::I32(v)) => e == v,
            (WastRetCore::I64(e), Val::I64(v)) => e == v,
            (WastRetCore::F32(p), Val::F32(bits)) => match p {
                NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
                NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
                NanPattern::Value(e) => e.bits == *bits,
            },
            (WastRetCore::F64(p), Val::F64(bits)) => match p {
                NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
                NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
                NanPattern::Value(e) => e.bits == *bits,
            },
            (WastRetCore::RefNull(ty), Val::FuncRef(r)) => r.is_none() && ref_null_kind(ty.as_ref(), ValType::FuncRef),
            (WastRetCore::RefNull(ty), Val::ExternRef(r)) => {
                r.is_none() && ref_null_kind(ty.as_ref(), ValType::ExternRef)
            }
            (WastRetCore::RefFunc(_), Val::FuncRef(r)) => r.is_some(),
            (WastRetCore::RefExtern(n), Val::ExternRef(r)) => match (n, r) {
                (_, None) => false,
                (None, Some(_)) => true,
                (Some(n), Some(r)) => r.data(&self.store).downcast_ref::<u32>() == Some(n),
            },
            (WastRetCore::Either(alts), v) => {
                for alt in alts {
                    if self.matches_core(v, alt)? {
                        return Ok(true);
                    }
                }
                false
            }
            (
                WastRetCore::V128(_)
                | WastRetCore::RefHost(_)
                | WastRetCore::RefAny
                | WastRetCore::RefEq
                | WastRetCore::RefArray
                | WastRetCore::RefStruct
                | WastRetCore::RefI31
                | WastRetCore::RefI31Shared,
                _,
            ) => return Err(format!("unsupported result pattern {ret:?}")),
            _ => false,
        })
    }
}

/// Is a null of type `ty` what `(ref.null kind)` expects? A bare `ref.null` takes any.
fn ref_null_kind(kind: Option<&HeapType<'_>>, ty: ValType) -> bool {
    match kind {
        None => true,
        Some(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => ty == ValType::FuncRef,
        Some(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => ty == ValType::ExternRef,
        Some(_) => false,
    }
}

/// `err` must be a trap whose text agrees with the spec's `message`: one
/// contains the other (the spec sometimes abbreviates, e.g. "out of bounds").
fn expect_trap(err: &Error, message: &str) -> Outcome {
    let Some(code) = err.trap_code() else { return Err(format!("expected trap \"{message}\", got error: {err}")) };
    let got = code.to_string();
    if got.contains(message) || message.contains(&got) {
        Ok(())
    } else {
        Err(format!("expected trap \"{message}\", got trap \"{got}\""))
    }
}

/// The `spectest` host module every spec file may import.
fn spectest(linker: &mut Linker<()>, store: &mut Store<()>) -> Result<(), Error> {
    linker.func_wrap("spectest", "print", || {})?;
    linker.func_wrap("spectest", "print_i32", |_: i32| {})?;
    linker.func_wrap("spectest", "print_i64", |_: i64| {})?;
    linker.func_wrap("spectest", "print_f32", |_: f32| {})?;
    linker.func_wrap("spectest", "print_f64", |_: f64| {})?;
    linker.func_wrap("spectest", "print_i32_f32", |_: i32, _: f32| {})?;
    linker.func_wrap("spectest", "print_f64_f64", |_: f64, _: f64| {})?;
    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::from_f32(666.6)),
        ("global_f64", ValType::F64, Val::from_f64(666.6)),
    ];
    for (name, ty, value) in globals {
        let g = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), value)?;
        linker.define("spectest", name, g)?;
    }
    let table = Table::new(&mut *store, TableType::new(ValType::FuncRef, 10, Some(20)), Val::FuncRef(None))?;
    linker.define("spectest", "table", table)?;
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define("spectest", "memory", memory)?;
    Ok(())
}

fn fmt_val(store: &Store<()>, v: &Val) -> String {
    match v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:{} ({b:#010x})", f32::from_bits(*b)),
        Val::F64(b) => format!("f64:{} ({b:#018x})", f64::from_bits(*b)),
        Val::FuncRef(None) => "ref.null func".into(),
        Val::FuncRef(Some(_)) => "ref.func".into(),
        Val::ExternRef(None) => "ref.null extern".into(),
        Val::ExternRef(Some(r)) => match r.data(store).downcast_ref::<u32>() {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern".into(),
        },
    }
}

fn fmt_vals(store: &Store<()>, vals: &[Val]) -> String {
    format!("[{}]", vals.iter().map(|v| fmt_val(store, v)).collect::<Vec<_>>().join(", "))
}

fn fmt_ret(r: &WastRet<'_>) -> String {
    let WastRet::Core(r) = r else { return format!("{r:?}") };
    match r {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(NanPattern::Value(x)) => format!("f32:{} ({:#010x})", f32::from_bits(x.bits), x.bits),
        WastRetCore::F64(NanPattern::Value(x)) => format!("f64:{} ({:#018x})", f64::from_bits(x.bits), x.bits),
        WastRetCore::F32(NanPattern::CanonicalNan) => "f32:nan:canonical".into(),
        WastRetCore::F32(NanPattern::ArithmeticNan) => "f32:nan:arithmetic".into(),
        WastRetCore::F64(NanPattern::CanonicalNan) => "f64:nan:canonical".into(),
        WastRetCore::F64(NanPattern::ArithmeticNan) => "f64:nan:arithmetic".into(),
        WastRetCore::RefNull(_) => "ref.null".into(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        other => format!("{other:?}"),
    }
}

fn fmt_rets(rets: &[WastRet<'_>]) -> String {
    format!("[{}]", rets.iter().map(fmt_ret).collect::<Vec<_>>().join(", "))
}

/// The first line of a command's source text, as a label for failures.
fn command_text(text: &str, offset: usize) -> String {
    let start = text[..offset].rfind('(').filter(|&p| text[p..offset].trim() == "(").unwrap_or(offset);
    let line = text[start..].lines().next().unwrap_or("");
    let mut s: String = line.chars().take(120).collect();
    if s.len() < line.len() {
        s.push_str("...");
    }
    s
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

fn run_file(path: &Path, eager: bool) -> FileReport {
    let mut report = FileReport::default();
    let fail = |report: &mut FileReport, line, command: String, detail: String| {
        report.failures.push(Failure { line, command, detail })
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            fail(&mut report, 0, "read".into(), e.to_string());
            return report;
        }
    };
    // names.wast deliberately uses bidirectional-override characters in names.
    let mut lexer = Lexer::new(&text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            fail(&mut report, 0, "lex".into(), e.to_string());
            return report;
        }
    };
    let wast = match parser::parse::<Wast<'_>>(&buf) {
        Ok(w) => w,
        Err(e) => {
            fail(&mut report, 0, "parse".into(), e.to_string());
            return report;
        }
    };
    let mut runner = match Runner::new(eager) {
        Ok(r) => r,
        Err(e) => {
            fail(&mut report, 0, "spectest".into(), e.to_string());
            return report;
        }
    };
    for directive in wast.directives {
        let offset = directive.span().offset();
        let (line, _) = directive.span().linecol_in(&text);
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.run(directive)))
            .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(&*p))));
        match outcome {
            Ok(()) => report.passed += 1,
            Err(detail) => fail(&mut report, line + 1, command_text(&text, offset), detail),
        }
    }
    report
}

fn main() -> ExitCode {
    let mut details = std::env::var("SPEC_DETAILS").is_ok_and(|v| !v.is_empty() && v != "0");
    let max_details: usize = std::env::var("SPEC_DETAILS_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let mut filters = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--details" => details = true,
            // Flags cargo or a CI may pass to any test binary (--quiet, --nocapture, ...).
            a if a.starts_with('-') => {}
            a => filters.push(a.to_string()),
        }
    }
    let dir = std::env::var_os("SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/spec-testsuite"));
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "wast")).collect()
        }
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    files.sort();
    files.retain(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
    });

    // Panics are reported as failures of their command; keep the default hook quiet.
    std::panic::set_hook(Box::new(|_| {}));

    // Guests recurse deeply in some tests (call stack exhaustion); give the
    // runner thread room regardless of the platform's default.
    let worker = std::thread::Builder::new().stack_size(64 << 20).spawn(move || {
        let (mut passed, mut failed, mut clean) = (0, 0, 0);
        // Every file runs twice: with lazy translation (the default; bodies are
        // validated up front and translated on first call) and with eager
        // translation (validated and translated in one pass).
        println!("{:<28} {:>7} {:>7} {:>7} {:>7}", "file", "lazy ok", "failed", "eager ok", "failed");
        for path in &files {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let lazy = run_file(path, false);
            let eager = run_file(path, true);
            println!(
                "{:<28} {:>7} {:>7} {:>7} {:>7}",
                name,
                lazy.passed,
                lazy.failures.len(),
                eager.passed,
                eager.failures.len()
            );
            for (mode, report) in [("lazy", &lazy), ("eager", &eager)] {
                if details {
                    for f in report.failures.iter().take(max_details) {
                        println!("  [{mode}] {name}:{}: {}\n      {}", f.line, f.command, f.detail);
                    }
                }
                passed += report.passed;
                failed += report.failures.len();
            }
            clean += usize::from(lazy.failures.is_empty() && eager.failures.is_empty());
        }
        println!("{clean} of {} files pass entirely", files.len());
        (passed, failed)
    });
    let (passed, failed) = match worker.map(|h| h.join()) {
        Ok(Ok(counts)) => counts,
        _ => {
            eprintln!("the spec runner thread could not run to its end");
            return ExitCode::FAILURE;
        }
    };
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
