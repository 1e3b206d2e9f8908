//! How many threads one inference may use, set once per process by the binary that runs models.
//!
//! candle splits every matrix product of the MLPs across rayon threads, as many as `RAYON_NUM_THREADS`
//! says (read at each product; rayon's global pool reads it once) or every core when it is unset. For
//! the small models verigrad runs that is slower, not faster (89 µs against 2.3 µs a volatility
//! inference on two threads): parallelism comes from running many inferences side by side instead.
//! `.cargo/config.toml` sets the variable only for `cargo run` and `cargo test`, so every binary that
//! runs models takes a `--threads` option (default [`DEFAULT_THREADS`]) and calls [`set_threads`] at
//! startup. The sentence embedder computes on the calling thread whatever the setting.

use std::num::NonZeroUsize;

/// Threads per inference unless a binary's `--threads` says otherwise: one.
pub const DEFAULT_THREADS: NonZeroUsize = NonZeroUsize::MIN;

/// The environment variable candle and rayon size their thread pools by.
const RAYON_NUM_THREADS: &str = "RAYON_NUM_THREADS";

/// Sizes candle's and rayon's thread pools to `threads` for the rest of the process, overriding any
/// `RAYON_NUM_THREADS` it was started with.
///
/// # Safety
///
/// It sets an environment variable, so, as [`std::env::set_var`] requires, no other thread may exist
/// yet: call it first thing in `main`, before building an async runtime or spawning anything.
///
/// ```no_run
/// // In a binary's `main`, after parsing its options and before starting any thread:
/// // SAFETY: no other thread exists yet.
/// unsafe { verigrad_inference::set_threads(verigrad_inference::DEFAULT_THREADS) };
/// ```
pub unsafe fn set_threads(threads: NonZeroUsize) {
    // SAFETY: the caller guarantees that no other thread exists.
    unsafe { std::env::set_var(RAYON_NUM_THREADS, threads.to_string()) };
}
