#if canImport(Glibc)
import Glibc
#endif

/// SIGINT/SIGTERM handling for a program that runs a server until told to
/// stop. Call `block()` first thing, before any thread starts (threads
/// inherit the mask, so the signal can only be taken by `wait()`).
public enum ShutdownSignals {
    /// Blocks SIGINT and SIGTERM on the calling thread and the threads it starts.
    public static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for SIGINT or SIGTERM; returns the signal number.
    public static func wait() -> Int32 {
        var set = signalSet()
        var signal: Int32 = 0
        sigwait(&set, &signal)
        return signal
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
