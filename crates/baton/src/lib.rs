//! Baton: a WebAssembly runtime whose engine is a threaded-code interpreter.
//!
//! The pipeline is: [`module`] decodes and validates (with `wasmparser`),
//! [`translate`] turns each function body into threaded code (cells of a handler
//! pointer followed by immediates, operands addressed as frame slots), and
//! [`exec`] runs it, each handler passing control straight to the next one.
//! The [`runtime`] module is the embedding API, shaped like wasmtime's and wasmi's.
//!
//! ```
//! use baton::{Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let wat = r#"(module
//!     (import "host" "double" (func $double (param i32) (result i32)))
//!     (func (export "run") (param i32) (result i32)
//!         local.get 0
//!         call $double
//!         i32.const 1
//!         i32.add))"#;
//! let module = Module::new(&engine, wat).unwrap();
//! let mut store = Store::new(&engine, ());
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "double", |x: i32| x * 2).unwrap();
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
//! assert_eq!(run.call(&mut store, 20).unwrap(), 41);
//! ```
#![cfg_attr(feature = "nightly-tail", feature(explicit_tail_calls))]
#![cfg_attr(feature = "nightly-tail", allow(incomplete_features))]

pub mod error;
pub mod exec;
pub mod module;
pub mod runtime;
pub mod translate;
pub mod types;

/// Size of a WebAssembly page in bytes.
pub const PAGE_SIZE: usize = 65536;

pub use error::{Error, Result, Trap, TrapCode};
pub use module::Module;
pub use runtime::entities::{Global, Memory, MemoryAccessError, Table};
pub use runtime::func::{Caller, Func, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy};
pub use runtime::instance::{Extern, Instance};
pub use runtime::linker::Linker;
pub use runtime::store::{AsContext, AsContextMut, Config, Engine, InterruptHandle, Store, StoreLimits};
pub use runtime::values::{ExternRef, Val};
pub use types::{ExportType, ExternType, FuncType, GlobalType, ImportType, MemoryType, Mutability, TableType, ValType};
