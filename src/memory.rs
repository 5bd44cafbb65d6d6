//! The allocator's settings, giving freed memory back to the operating system, and asking
//! the caches for memory ahead of its use.
//!
//! When a sweep drops many idempotency records at once, their bodies go back to the
//! allocator, but glibc keeps small freed blocks in its per-thread arenas and the process's
//! resident size stays at its peak. `malloc_trim` asks every arena to return its free pages,
//! so a mock left running for days falls back towards its idle size after a flood.

/// Returns free heap pages to the OS where the allocator supports it (glibc); elsewhere a no-op.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; any pad is valid.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Tunes glibc's allocator for a server that keeps a little of every request and frees the
/// rest, and calls [`release`] itself after big sweeps:
///
/// - no automatic trim, and the heap grows 16 MiB at a time: by default glibc hands the top
///   of a thread's heap back to the OS as soon as a request's temporary buffers are freed
///   there, and the next request takes it back, page fault by page fault (under a create
///   flood that was a tenth of the CPU time);
/// - one arena for every thread: glibc grows a thread's own arena one page and one
///   `mprotect` at a time, whatever the padding asked for, and only the main arena takes
///   the padding. With one worker per core and per-thread caches in front, sharing it costs
///   little; it also keeps a request's memory in one place wherever its task ran;
/// - no fast bins: every create allocates over a kilobyte, and glibc consolidates its fast
///   bins before each such allocation. The per-thread caches still serve small blocks first.
///
/// Pages grown into but never touched are not resident, so the idle size does not change.
/// Call once, before any other thread starts.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters, to documented values.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MXFAST, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

/// Asks for the cache lines of `len` bytes from `start`, ahead of a use that would otherwise
/// wait for memory: a hint, which never faults, whatever the address.
pub fn prefetch(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // Every line the bytes touch, from the one `start` is in; none for no bytes (an
        // empty buffer's pointer is dangling, and asking for it costs a page walk).
        let into_line = start as usize % 64;
        let span = if len == 0 { 0 } else { into_line + len };
        for offset in (0..span).step_by(64) {
            let line = start.wrapping_sub(into_line).wrapping_add(offset);
            // SAFETY: SSE is part of x86_64, and a prefetch reads nothing: any address is valid.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

#[cfg(test)]
mod tests {
    use super::prefetch;

    #[test]
    fn a_prefetch_changes_nothing_and_never_faults_whatever_the_address() {
        let buffer: Vec<u8> = (0..=255).collect();
        prefetch(buffer.as_ptr().wrapping_add(3), 200);
        prefetch(std::ptr::null(), 64);
        prefetch(std::ptr::without_provenance(usize::MAX - 10), 100);
        assert!(buffer.iter().enumerate().all(|(i, b)| usize::from(*b) == i));
    }
}
