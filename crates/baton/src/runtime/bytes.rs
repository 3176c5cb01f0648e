//! The bytes of a linear memory: zero-initialised, growable, at a stable
//! address between growths.
//!
//! On Linux, memories of at least [`MAP_MIN`] bytes are anonymous mappings of
//! their own: the kernel hands out zero pages on first touch, so creating one
//! costs neither a `memset` nor resident memory for pages the guest never
//! writes, and growing one is an `mremap` that moves page tables, not bytes.
//! (Through `calloc`, a memory freed and created again, as a host that
//! instantiates module after module does, comes back from the heap and is
//! cleared byte by byte.) Smaller memories, other systems and Miri use the
//! global allocator's zeroed path.

use std::ptr::NonNull;

/// Memories at least this large get their own mapping (where supported).
/// Below it, the allocator's zeroed path is cheaper than the system calls.
#[cfg(all(target_os = "linux", not(miri)))]
const MAP_MIN: usize = 1 << 18;

/// Zero-initialised bytes (see the module docs); derefs to `[u8]`.
pub(crate) struct ZeroedBytes {
    /// Dangling if `len == 0`; else `len` initialised bytes, from the global
    /// allocator (`layout(len)`) or, if `mapped`, from `mmap`/`mremap`.
    ptr: NonNull<u8>,
    len: usize,
    /// Read only where memories can be mapped (Linux, not under Miri).
    #[cfg_attr(not(all(target_os = "linux", not(miri))), allow(dead_code))]
    mapped: bool,
}

// SAFETY: `ZeroedBytes` owns its buffer exclusively (like a `Vec<u8>`).
unsafe impl Send for ZeroedBytes {}
// SAFETY: shared access only reads the buffer (like `&[u8]`).
unsafe impl Sync for ZeroedBytes {}

/// Whether a memory of `len` bytes gets its own mapping.
fn maps(len: usize) -> bool {
    #[cfg(all(target_os = "linux", not(miri)))]
    return len >= MAP_MIN;
    #[cfg(not(all(target_os = "linux", not(miri))))]
    return {
        let _ = len;
        false
    };
}

fn layout(len: usize) -> Option<std::alloc::Layout> {
    std::alloc::Layout::from_size_align(len, 16).ok()
}

impl ZeroedBytes {
    /// `len` zero bytes, or `None` if they cannot be allocated.
    pub(crate) fn new(len: usize) -> Option<ZeroedBytes> {
        if len == 0 {
            return Some(ZeroedBytes { ptr: NonNull::dangling(), len: 0, mapped: false });
        }
        #[cfg(all(target_os = "linux", not(miri)))]
        if maps(len) {
            return map::new(len).map(|ptr| ZeroedBytes { ptr, len, mapped: true });
        }
        // SAFETY: `len > 0`, so the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout(len)?) };
        NonNull::new(ptr).map(|ptr| ZeroedBytes { ptr, len, mapped: false })
    }

    /// The number of bytes.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The first byte (dangling if empty), for the interpreter's raw accesses.
    #[inline]
    pub(crate) fn as_mut_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Grows to `new_len >= self.len()` bytes, the added ones zero; `None`
    /// (and no change) if that cannot be allocated. May move the bytes.
    ///
    /// The work is at most `min(old, added)` bytes written: a mapping grows
    /// by `mremap`; a small buffer that at least doubles moves into fresh
    /// zeroed memory with only its non-zero 4 KiB chunks copied (pages the
    /// guest never used stay untouched); a smaller growth reallocates and
    /// zeroes the added part.
    pub(crate) fn grow(&mut self, new_len: usize) -> Option<()> {
        debug_assert!(new_len >= self.len);
        let added = new_len - self.len;
        if added == 0 {
            return Some(());
        }
        #[cfg(all(target_os = "linux", not(miri)))]
        if self.mapped {
            // SAFETY: `ptr` is a mapping of `len` bytes made by `map`.
            self.ptr = unsafe { map::grow(self.ptr, self.len, new_len)? };
            self.len = new_len;
            return Some(());
        }
        if self.len == 0 || added >= self.len || maps(new_len) {
            let mut fresh = ZeroedBytes::new(new_len)?;
            for (dst, src) in fresh.chunks_mut(4096).zip(self.chunks(4096)) {
                if src.iter().any(|&b| b != 0) {
                    dst[..src.len()].copy_from_slice(src);
                }
            }
            *self = fresh;
            return Some(());
        }
        let old = layout(self.len)?;
        layout(new_len)?;
        // SAFETY: `ptr` was allocated by the global allocator with `old`
        // (not mapped, `len > 0`); `new_len` is non-zero and forms a valid
        // layout with the same alignment (checked just above).
        let ptr = NonNull::new(unsafe { std::alloc::realloc(self.ptr.as_ptr(), old, new_len) })?;
        // SAFETY: the reallocated buffer holds `new_len` bytes; the added ones
        // start at `len`.
        unsafe { ptr.as_ptr().add(self.len).write_bytes(0, added) };
        self.ptr = ptr;
        self.len = new_len;
        Some(())
    }
}

impl std::ops::Deref for ZeroedBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` holds `len` initialised bytes (or is dangling with
        // `len == 0`), owned by `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for ZeroedBytes {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ZeroedBytes {
    fn drop(&mut self) {
        if self.len == 0 {
            return;
        }
        #[cfg(all(target_os = "linux", not(miri)))]
        if self.mapped {
            // SAFETY: `ptr` is a mapping of `len` bytes made by `map`, not
            // used after this.
            unsafe { map::unmap(self.ptr, self.len) };
            return;
        }
        if let Some(l) = layout(self.len) {
            // SAFETY: `ptr` was allocated by the global allocator with this
            // layout (it was valid when allocated, so it is now).
            unsafe { std::alloc::dealloc(self.ptr.as_ptr(), l) };
        }
    }
}

/// Anonymous private mappings (Linux).
#[cfg(all(target_os = "linux", not(miri)))]
mod map {
    use std::ptr::NonNull;

    /// A fresh zero-filled mapping of `len > 0` bytes.
    pub(super) fn new(len: usize) -> Option<NonNull<u8>> {
        // SAFETY: an anonymous private mapping at an address of the kernel's
        // choosing touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(p.cast())
    }

    /// Resizes the mapping `p` of `old` bytes to `new > old` bytes (the added
    /// pages zero), possibly moving it; on failure the old mapping stays.
    ///
    /// # Safety
    /// `p` is a mapping of `old` bytes made by [`new`] or [`grow`], with no
    /// references into it alive.
    pub(super) unsafe fn grow(p: NonNull<u8>, old: usize, new: usize) -> Option<NonNull<u8>> {
        // SAFETY: the caller's contract; MREMAP_MAYMOVE leaves no alias of
        // the old range behind.
        let q = unsafe { libc::mremap(p.as_ptr().cast(), old, new, libc::MREMAP_MAYMOVE) };
        if q == libc::MAP_FAILED {
            return None;
        }
        NonNull::new(q.cast())
    }

    /// Unmaps `p` (`len` bytes).
    ///
    /// # Safety
    /// `p` is a mapping of `len` bytes made by [`new`] or [`grow`], not used
    /// afterwards.
    pub(super) unsafe fn unmap(p: NonNull<u8>, len: usize) {
        // SAFETY: the caller's contract. A failure (only possible for bad
        // arguments) would leak the range, never free someone else's.
        unsafe { libc::munmap(p.as_ptr().cast(), len) };
    }
}

#[cfg(test)]
mod tests {
    use super::ZeroedBytes;

    const PAGE: usize = crate::PAGE_SIZE;

    fn assert_zero(b: &[u8]) {
        assert!(b.iter().all(|&x| x == 0));
    }

    #[test]
    fn growth_keeps_the_contents_and_adds_zeros_on_every_path() {
        // 0 -> 1 page (fresh), 1 -> 2 (doubles: fresh copy), 2 -> 3 (realloc),
        // 3 -> 8 (reaches the mapping size where mapped), 8 -> 40 (mremap).
        let mut b = ZeroedBytes::new(0).unwrap();
        assert_eq!(b.len(), 0);
        let mut written = Vec::new();
        for pages in [1, 2, 3, 8, 40] {
            let old = b.len();
            b.grow(pages * PAGE).unwrap();
            assert_eq!(b.len(), pages * PAGE);
            assert_zero(&b[old..]);
            for &(at, v) in &written {
                assert_eq!(b[at], v, "byte {at} after growing to {pages} pages");
            }
            // Write near both ends of the new part (and in its middle).
            for at in [old, old + (b.len() - old) / 2, b.len() - 1] {
                let v = (at % 251) as u8 | 1;
                b[at] = v;
                written.push((at, v));
            }
        }
        b.grow(b.len()).unwrap();
        for &(at, v) in &written {
            assert_eq!(b[at], v);
        }
    }

    #[test]
    fn a_large_memory_starts_zero() {
        let b = ZeroedBytes::new(64 * PAGE).unwrap();
        assert_eq!(b.len(), 64 * PAGE);
        assert_zero(&b);
        assert!(!b.as_mut_ptr().is_null());
    }
}
