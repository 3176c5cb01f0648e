//! The embedding API: engine, store, modules' instances, functions, memories,
//! globals, tables and the linker.

pub(crate) mod bytes;
pub mod entities;
pub mod func;
pub mod instance;
pub mod linker;
pub mod store;
pub mod values;
