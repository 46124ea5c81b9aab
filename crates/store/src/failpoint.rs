//! Crash points: every durable write of [`crate::SqliteStore`] passes one just before it
//! commits and one just after. With the `failpoints` feature (tests only) a test can arm the
//! n-th point passed on its thread: there the write panics with [`PowerCut`], which stops the
//! station right there as a power cut would (an uncommitted SQLite transaction rolls back as
//! it unwinds). Without the feature the points compile to nothing.
//!
//! A write is atomic, so "just before its commit" and "before it began" leave the same data
//! on disk; the point before a write stands for both.

#[cfg(feature = "failpoints")]
mod armed {
    use std::cell::{Cell, RefCell};

    /// The panic payload of an armed point: which write, and before or after its commit.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PowerCut {
        pub point: String,
    }

    thread_local! {
        static PASSED: Cell<u64> = const { Cell::new(0) };
        static ARMED: Cell<Option<u64>> = const { Cell::new(None) };
        static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// From now on on this thread: count points from zero, and cut the power at the
    /// `at`-th one passed (1-based); `None` only counts.
    pub fn arm(at: Option<u64>) {
        PASSED.with(|p| p.set(0));
        ARMED.with(|a| a.set(at));
        TRACE.with(|t| t.borrow_mut().clear());
    }

    /// The points passed on this thread since [`arm`], in order ("tx_begin:before", ...).
    pub fn trace() -> Vec<String> {
        TRACE.with(|t| t.borrow().clone())
    }

    pub(crate) fn pass(write: &'static str, phase: &'static str) {
        let n = PASSED.with(|p| {
            p.set(p.get() + 1);
            p.get()
        });
        let point = format!("{write}:{phase}");
        TRACE.with(|t| t.borrow_mut().push(point.clone()));
        if ARMED.with(|a| a.get()) == Some(n) {
            ARMED.with(|a| a.set(None));
            std::panic::panic_any(PowerCut { point });
        }
    }
}

#[cfg(feature = "failpoints")]
pub use armed::{arm, trace, PowerCut};

/// Runs a durable write between its two crash points.
pub(crate) fn durable<T>(
    write: &'static str,
    body: impl FnOnce() -> crate::Result<T>,
) -> crate::Result<T> {
    #[cfg(feature = "failpoints")]
    armed::pass(write, "before");
    let result = body();
    #[cfg(feature = "failpoints")]
    if result.is_ok() {
        armed::pass(write, "after");
    }
    #[cfg(not(feature = "failpoints"))]
    let _ = write;
    result
}
