//! This process's resident memory, for tests that bound what a plug-in
//! can make the host hold.

/// A field of `/proc/self/status`, in bytes.
pub fn proc_status(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB");
    kib * 1024
}

/// Resident memory now, after glibc has given back what it can: freed
/// memory that the allocator keeps for reuse is not memory the host holds
/// for the plug-in.
pub fn rss() -> u64 {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: malloc_trim only releases free memory of the allocator; it
    // touches no live allocation and is safe to call at any time.
    unsafe {
        malloc_trim(0);
    }
    proc_status("VmRSS:")
}

/// Resident memory at its highest since [`reset_peak`].
pub fn peak_rss() -> u64 {
    proc_status("VmHWM:")
}

pub fn reset_peak() {
    // Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the RSS peak");
}
