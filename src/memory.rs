//! The allocator's settings, and giving freed memory back to the operating system.
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

/// Tunes glibc's allocator for a server whose every create allocates over a kilobyte: glibc
/// consolidates its fast bins before each such allocation, which under load is a walk of
/// every small block freed since the last one. Without fast bins (the per-thread caches
/// still serve small blocks first) that walk is gone. Call once, before serving.
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's parameters; M_MXFAST 0 is documented.
    unsafe {
        libc::mallopt(libc::M_MXFAST, 0);
    }
}
