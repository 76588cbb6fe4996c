//! Knowing, cheaply, that this process is a fork of the one that started the worker.
//!
//! A `pthread_atfork` child handler (registered once, on first use) bumps a generation
//! counter in every child, whoever called `fork()`: a binding's hook, uWSGI, or C code. The
//! hot path compares one atomic load instead of making a `getpid` system call per trace.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn in_child_after_fork() {
    // Only async-signal-safe work is allowed here: one atomic increment.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Changes in a forked child; equal values mean the same process.
pub fn generation() -> u64 {
    REGISTER.call_once(|| {
        // SAFETY: the handler only touches an atomic; registering has no other effect.
        unsafe {
            libc::pthread_atfork(None, None, Some(in_child_after_fork));
        }
    });
    GENERATION.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generation_changes_in_a_forked_child_only() {
        let before = generation();
        assert_eq!(generation(), before, "stable within one process");
        // SAFETY: the child only reads an atomic and exits without unwinding.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = if generation() == before + 1 { 0 } else { 1 };
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "the child saw no new generation");
        assert_eq!(generation(), before, "the parent's generation is unchanged");
    }
}
