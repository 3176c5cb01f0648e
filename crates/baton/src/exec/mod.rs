//! Execution (stub).
use crate::error::Result;
use crate::runtime::store::Store;
#[derive(Clone, Copy, Default)]
pub(crate) struct Frame {}
pub(crate) fn invoke<T>(_store: &mut Store<T>, _func: u32, _slots: &mut [u64]) -> Result<()> {
    Err(crate::Error::Unsupported("not yet".into()))
}
