//! Translation of function bodies to threaded code (stub).
use crate::error::Result;
use crate::module::ModuleInner;
pub(crate) struct Compiled {}
pub(crate) fn translate(_m: &ModuleInner, _def: usize) -> Result<Compiled> {
    Err(crate::Error::Unsupported("not yet".into()))
}
