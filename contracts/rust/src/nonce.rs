//! Nonces for one sending account, kept locally and re-read from the node after any failure.

use std::future::Future;

use tokio::sync::{Mutex, MutexGuard};

use crate::error::Result;

/// Hands out the account's nonces in order, one transaction at a time.
///
/// The next nonce is cached after each broadcast, so a burst of transactions needs no
/// `eth_getTransactionCount`. Whenever a transaction is not known to have reached the node — the
/// estimate reverted, signing failed, the node refused it, the task was cancelled, no receipt came
/// (the sender calls [`NonceManager::resync`]) — the cache is
/// dropped and the next [`NonceManager::acquire`] re-reads the pending count, so a failure can neither
/// leave a gap (which would stall every later transaction) nor reuse a nonce.
#[derive(Debug, Default)]
pub(crate) struct NonceManager {
    next: Mutex<Option<u64>>,
}

/// A nonce held for one transaction. Holding it excludes other senders of the same account until it
/// is [used](NonceSlot::used) or dropped; dropping it unused makes the manager re-sync.
#[derive(Debug)]
pub(crate) struct NonceSlot<'a> {
    next: MutexGuard<'a, Option<u64>>,
    nonce: u64,
    used: bool,
}

impl NonceManager {
    /// Takes the next nonce, reading `pending_count` (the node's `eth_getTransactionCount(pending)`)
    /// when nothing is cached.
    pub(crate) async fn acquire<F, Fut>(&self, pending_count: F) -> Result<NonceSlot<'_>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<u64>>,
    {
        let mut next = self.next.lock().await;
        let nonce = match *next {
            Some(nonce) => nonce,
            None => {
                let nonce = pending_count().await?;
                tracing::debug!(nonce, "nonce synced from the node");
                *next = Some(nonce);
                nonce
            }
        };
        Ok(NonceSlot { next, nonce, used: false })
    }

    /// Drops the cached nonce, so the next [`acquire`](Self::acquire) re-reads the node's count:
    /// after a broadcast transaction's fate became unknown (no receipt in time, the node lost it).
    pub(crate) async fn resync(&self) {
        *self.next.lock().await = None;
    }
}

impl NonceSlot<'_> {
    /// The nonce to sign with.
    pub(crate) fn nonce(&self) -> u64 {
        self.nonce
    }

    /// Records that a transaction with this nonce reached the node.
    pub(crate) fn used(mut self) {
        *self.next = Some(self.nonce + 1);
        self.used = true;
    }
}

impl Drop for NonceSlot<'_> {
    fn drop(&mut self) {
        if !self.used {
            *self.next = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    use super::*;

    #[tokio::test]
    async fn caches_after_use_and_resyncs_after_a_failure() {
        let manager = NonceManager::default();
        let chain = AtomicU64::new(7);
        let reads = AtomicU32::new(0);
        let pending = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok(chain.load(Ordering::SeqCst))
        };

        let slot = manager.acquire(pending).await.expect("nonce");
        assert_eq!(slot.nonce(), 7);
        slot.used();
        let slot = manager.acquire(pending).await.expect("nonce");
        assert_eq!((slot.nonce(), reads.load(Ordering::SeqCst)), (8, 1), "cached");
        drop(slot); // e.g. the node refused the transaction

        chain.store(12, Ordering::SeqCst); // another process sent four transactions meanwhile
        let slot = manager.acquire(pending).await.expect("nonce");
        assert_eq!((slot.nonce(), reads.load(Ordering::SeqCst)), (12, 2), "re-read");
        slot.used();

        // A transaction sent with 12 was lost by the node: after a resync 12 is handed out again.
        manager.resync().await;
        let slot = manager.acquire(pending).await.expect("nonce");
        assert_eq!((slot.nonce(), reads.load(Ordering::SeqCst)), (12, 3), "re-read after resync");
    }
}
