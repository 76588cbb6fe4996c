//! The engine's own threads (the worker, a binding's intake) give way to the application's.
//!
//! On a machine with fewer free cores than busy threads, an SDK thread at the application's
//! priority takes turns with the application's threads and slows them down, which an SDK must
//! never do. At a lower priority it runs on the cores the application leaves idle, and when
//! the application keeps every core busy, the queue's bounds decide what happens (the
//! application never waits for the SDK; what cannot be queued is counted as dropped).
//! `bench/node` measured the app's thread about a tenth faster per trace on a 2-core machine.

/// How far below the thread that starts them the engine's threads run: under contention the
/// scheduler gives a thread 10 nice levels lower about a tenth of the other's share.
#[cfg(target_os = "linux")]
const NICER_BY: libc::c_int = 10;

/// Lowers the calling thread's scheduling priority by [`NICER_BY`] nice levels (to at most
/// 19, the lowest). Linux keeps a nice value per thread, so this affects the calling thread
/// (and threads it starts) only; elsewhere the call would affect the whole process, so it
/// does nothing. Lowering one's own priority needs no privilege; a refusal (a sandbox's
/// seccomp filter, say) leaves the priority as it was.
pub fn yield_to_application() {
    #[cfg(target_os = "linux")]
    // SAFETY: syscalls about the calling thread, with no pointers.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let current = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, (current + NICER_BY).min(19));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn own_niceness() -> libc::c_int {
        // SAFETY: as above.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::syscall(libc::SYS_gettid) as libc::id_t) }
    }

    #[test]
    fn lowers_the_calling_thread_only() {
        let before = own_niceness();
        let lowered = std::thread::spawn(|| {
            yield_to_application();
            own_niceness()
        })
        .join()
        .unwrap();
        assert_eq!(lowered, (before + NICER_BY).min(19));
        assert_eq!(own_niceness(), before, "the calling thread of the test is untouched");
    }
}
