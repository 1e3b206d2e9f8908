//! Locking shared state that stays consistent whatever panicked while holding it (id sets, counters,
//! caches): a poisoned lock is taken as it is.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// The value behind `mutex`, poisoned or not.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
