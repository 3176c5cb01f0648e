//! Bounds-checked access to guest linear memory: every guest pointer goes
//! through here, and an out-of-range one becomes `EFAULT`, never a panic.

use crate::types::{Errno, IOVEC_SIZE};

/// A view of the guest's linear memory.
pub(crate) struct GuestMem<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMem<'a> {
    pub(crate) fn new(bytes: &'a mut [u8]) -> Self {
        GuestMem { bytes }
    }

    fn range(&self, ptr: u32, len: usize) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        if end > self.bytes.len() {
            return Err(Errno::FAULT);
        }
        Ok(start..end)
    }

    /// Fails with `EFAULT` unless `[ptr, ptr + len)` lies in memory; used to
    /// check result pointers before doing any I/O.
    pub(crate) fn check(&self, ptr: u32, len: u32) -> Result<(), Errno> {
        self.range(ptr, len as usize).map(|_| ())
    }

    pub(crate) fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len as usize)?;
        Ok(&self.bytes[r])
    }

    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len as usize)?;
        Ok(&mut self.bytes[r])
    }

    pub(crate) fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let r = self.range(ptr, data.len())?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn read_array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let r = self.range(ptr, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[r]);
        Ok(out)
    }

    pub(crate) fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.read_array::<1>(ptr)?[0])
    }
    pub(crate) fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(self.read_array(ptr)?))
    }
    pub(crate) fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.read_array(ptr)?))
    }
    pub(crate) fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.read_array(ptr)?))
    }
    pub(crate) fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }
    pub(crate) fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Reads a guest string of `len` bytes; it must be UTF-8 (WASI paths are).
    pub(crate) fn read_str(&self, ptr: u32, len: u32) -> Result<String, Errno> {
        let bytes = self.slice(ptr, len)?;
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| Errno::ILSEQ)
    }

    /// Reads an array of `iovec`/`ciovec` records: `(buf, buf_len)` pairs,
    /// each checked to lie inside memory.
    pub(crate) fn iovecs(&self, iovs: u32, count: u32) -> Result<Vec<(u32, u32)>, Errno> {
        let total = (count as usize).checked_mul(IOVEC_SIZE).ok_or(Errno::FAULT)?;
        self.range(iovs, total)?;
        let mut out = Vec::with_capacity(count as usize);
        for i in 0..count {
            let at = iovs + i * IOVEC_SIZE as u32;
            let buf = self.read_u32(at)?;
            let len = self.read_u32(at + 4)?;
            self.range(buf, len as usize)?;
            out.push((buf, len));
        }
        Ok(out)
    }
}
