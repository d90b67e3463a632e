//! Memory accounting: a global allocator wrapper that counts live heap
//! bytes (`INFO memory` `used_memory`, what `maxmemory` is compared
//! with), and the resident set size read from `/proc`.
//!
//! A block is counted at what the C allocator really takes for it, not
//! at the size asked for: glibc's malloc adds an 8-byte header and
//! rounds each chunk up to 16 bytes, 32 at least ([`charged`]). Counting
//! requested sizes would undercount a heap of small blocks (one key is
//! one block of about 30 bytes, which costs 48) by a third.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static USED: AtomicUsize = AtomicUsize::new(0);

/// Bytes glibc's malloc takes for a request of `size` bytes: the size
/// plus its 8-byte chunk header, rounded up to 16, at least 32. (Blocks
/// past the mmap threshold are rounded to pages instead; the difference
/// is below 1% at those sizes and is not modelled.)
#[inline]
pub const fn charged(size: usize) -> usize {
    let chunk = (size + 8 + 15) & !15;
    if chunk < 32 {
        32
    } else {
        chunk
    }
}
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting bytes in use.
pub struct CountingAllocator;

unsafe impl GlobalAlloc for CountingAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            USED.fetch_add(charged(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        USED.fetch_sub(charged(layout.size()), Ordering::Relaxed);
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            USED.fetch_add(charged(layout.size()), Ordering::Relaxed);
        }
        ptr
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            let (old, new_charge) = (charged(layout.size()), charged(new_size));
            if new_charge >= old {
                USED.fetch_add(new_charge - old, Ordering::Relaxed);
            } else {
                USED.fetch_sub(old - new_charge, Ordering::Relaxed);
            }
        }
        new
    }
}

/// Heap bytes in use (when the counting allocator is installed).
pub fn used_bytes() -> usize {
    let used = USED.load(Ordering::Relaxed);
    if used > PEAK.load(Ordering::Relaxed) {
        PEAK.store(used, Ordering::Relaxed);
    }
    used
}

static STARTUP: AtomicUsize = AtomicUsize::new(0);

/// Records the heap bytes in use once start-up is done (`MEMORY STATS`
/// `startup.allocated`); later calls change nothing.
pub fn mark_startup() {
    let _ = STARTUP.compare_exchange(0, USED.load(Ordering::Relaxed), Ordering::Relaxed, Ordering::Relaxed);
}

/// The heap bytes recorded by [`mark_startup`] (0 before).
pub fn startup_bytes() -> usize {
    STARTUP.load(Ordering::Relaxed)
}

/// Highest `used_bytes` seen by callers.
pub fn peak_bytes() -> usize {
    PEAK.load(Ordering::Relaxed).max(USED.load(Ordering::Relaxed))
}

extern "C" {
    /// glibc: gives free heap pages back to the system.
    fn malloc_trim(pad: usize) -> i32;
}

/// Hands the allocator's free pages back to the system, so that the
/// resident size follows `used_memory` down after a large delete
/// (`FLUSHALL`, `MEMORY PURGE`). It walks the free lists: call it after
/// rare, large frees only.
pub fn return_free_memory() {
    // SAFETY: malloc_trim has no preconditions; it only releases pages
    // no allocation uses.
    unsafe {
        malloc_trim(0);
    }
}

/// Resident set size of this process, in bytes (0 where unknown).
pub fn rss_bytes() -> usize {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else { return 0 };
    let pages: usize = statm.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// `1.23M`-style sizes as Redis prints them.
pub fn human(bytes: usize) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes}B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    }
}
