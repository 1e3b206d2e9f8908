//! Pending transactions, by sender and nonce: what the next block can include, in arrival order, without
//! ever putting a sender's transactions out of nonce order.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use alloy_consensus::{Transaction, TxEnvelope, transaction::Recovered};
use alloy_primitives::{Address, B256};

/// A pending transaction.
pub type PooledTx = Arc<Recovered<TxEnvelope>>;

/// Why the pool refused a transaction (JSON-RPC error messages follow geth's wording, which tools match).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The nonce was already used.
    #[error("nonce too low: next nonce {expected}, tx nonce {got}")]
    NonceTooLow {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The same transaction is already pending.
    #[error("already known")]
    AlreadyKnown,
    /// A different transaction with this nonce is pending and this one does not pay 10 % more.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
}

#[derive(Debug)]
struct Entry {
    tx: PooledTx,
    arrival: u64,
}

/// The pool.
#[derive(Debug, Default)]
pub struct TxPool {
    by_sender: HashMap<Address, BTreeMap<u64, Entry>>,
    by_hash: HashMap<B256, (Address, u64)>,
    arrivals: u64,
}

impl TxPool {
    /// Adds a transaction from `tx.signer()`, whose next on-chain nonce is `state_nonce`.
    pub fn add(&mut self, tx: PooledTx, state_nonce: u64) -> Result<B256, PoolError> {
        let hash = *tx.tx_hash();
        let sender = tx.signer();
        let nonce = tx.nonce();
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow { expected: state_nonce, got: nonce });
        }
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let queue = self.by_sender.entry(sender).or_default();
        if let Some(pending) = queue.get(&nonce) {
            let old = pending.tx.max_fee_per_gas();
            if tx.max_fee_per_gas() < old + old / 10 {
                return Err(PoolError::ReplacementUnderpriced);
            }
            self.by_hash.remove(pending.tx.tx_hash());
        }
        self.arrivals += 1;
        queue.insert(nonce, Entry { tx, arrival: self.arrivals });
        self.by_hash.insert(hash, (sender, nonce));
        Ok(hash)
    }

    /// The nonce a sender's next transaction should carry.
    pub fn next_nonce(&self, sender: Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(queue) = self.by_sender.get(&sender) {
            while queue.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// A pending transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<PooledTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        Some(self.by_sender.get(sender)?.get(nonce)?.tx.clone())
    }

    /// Hashes of every pending transaction.
    pub fn hashes(&self) -> Vec<B256> {
        self.by_hash.keys().copied().collect()
    }

    /// Number of pending transactions.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The transactions the next block can include: each sender's run of consecutive nonces from its
    /// on-chain nonce, merged in arrival order, within `gas_limit` (by the transactions' own limits).
    pub fn executable(
        &self,
        state_nonce: impl Fn(Address) -> u64,
        gas_limit: u64,
    ) -> Vec<PooledTx> {
        let mut runs: Vec<std::collections::VecDeque<&Entry>> = self
            .by_sender
            .iter()
            .map(|(sender, queue)| {
                let mut expected = state_nonce(*sender);
                queue
                    .range(expected..)
                    .map_while(|(nonce, entry)| {
                        (*nonce == expected).then(|| {
                            expected += 1;
                            entry
                        })
                    })
                    .collect()
            })
            .collect();
        let mut selected = Vec::new();
        let mut gas = 0u64;
        // The earliest-arrived head among the senders' runs goes next.
        while let Some(run) = runs
            .iter_mut()
            .filter(|run| !run.is_empty())
            .min_by_key(|run| run.front().map(|entry| entry.arrival))
        {
            let Some(entry) = run.pop_front() else { break };
            if gas + entry.tx.gas_limit() > gas_limit {
                // This sender's later nonces cannot go before it: leave the whole run for the next block.
                run.clear();
                continue;
            }
            gas += entry.tx.gas_limit();
            selected.push(entry.tx.clone());
        }
        selected
    }

    /// Forgets transactions (included in a block, or found invalid).
    pub fn remove(&mut self, hashes: impl IntoIterator<Item = B256>) {
        for hash in hashes {
            let Some((sender, nonce)) = self.by_hash.remove(&hash) else { continue };
            if let Some(queue) = self.by_sender.get_mut(&sender) {
                queue.remove(&nonce);
                if queue.is_empty() {
                    self.by_sender.remove(&sender);
                }
            }
        }
    }

    /// Drops transactions whose nonce the chain has passed.
    pub fn prune(&mut self, state_nonce: impl Fn(Address) -> u64) {
        let stale: Vec<B256> = self
            .by_sender
            .iter()
            .flat_map(|(sender, queue)| {
                let next = state_nonce(*sender);
                queue.range(..next).map(|(_, entry)| *entry.tx.tx_hash()).collect::<Vec<_>>()
            })
            .collect();
        self.remove(stale);
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_primitives::{Signature, TxKind, U256};

    use super::*;

    fn tx(sender: u8, nonce: u64, max_fee: u128, gas: u64) -> PooledTx {
        let inner = TxEip1559 {
            chain_id: 1,
            nonce,
            gas_limit: gas,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: 0,
            to: TxKind::Call(Address::ZERO),
            ..Default::default()
        };
        let signature = Signature::new(U256::from(1), U256::from(u64::from(sender) + 1), false);
        let signed = inner.into_signed(signature);
        Arc::new(Recovered::new_unchecked(TxEnvelope::from(signed), Address::repeat_byte(sender)))
    }

    #[test]
    fn runs_of_consecutive_nonces_in_arrival_order() {
        let mut pool = TxPool::default();
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        pool.add(tx(1, 1, 10, 21_000), 0).expect("valid"); // arrives before its predecessor
        pool.add(tx(2, 5, 10, 21_000), 5).expect("valid");
        pool.add(tx(1, 0, 10, 21_000), 0).expect("valid");
        pool.add(tx(1, 3, 10, 21_000), 0).expect("valid"); // gap: not executable
        let nonces = |addr| if addr == a { 0 } else { 5 };
        let picked: Vec<(Address, u64)> =
            pool.executable(nonces, 1_000_000).iter().map(|t| (t.signer(), t.nonce())).collect();
        assert_eq!(picked, vec![(b, 5), (a, 0), (a, 1)]);
        assert_eq!(pool.next_nonce(a, 0), 2);
        assert_eq!(pool.next_nonce(b, 5), 6);
    }

    #[test]
    fn gas_limit_defers_a_senders_remaining_run() {
        let mut pool = TxPool::default();
        pool.add(tx(1, 0, 10, 600), 0).expect("valid");
        pool.add(tx(1, 1, 10, 600), 0).expect("valid");
        pool.add(tx(2, 0, 10, 300), 0).expect("valid");
        let picked = pool.executable(|_| 0, 1_000);
        let picked: Vec<(u8, u64)> = picked.iter().map(|t| (t.signer().0[0], t.nonce())).collect();
        assert_eq!(picked, vec![(1, 0), (2, 0)]);
    }

    #[test]
    fn refuses_low_nonces_duplicates_and_cheap_replacements() {
        let mut pool = TxPool::default();
        assert_eq!(
            pool.add(tx(1, 0, 10, 21_000), 1),
            Err(PoolError::NonceTooLow { expected: 1, got: 0 })
        );
        let first = tx(1, 1, 100, 21_000);
        pool.add(first.clone(), 1).expect("valid");
        assert_eq!(pool.add(first, 1), Err(PoolError::AlreadyKnown));
        assert_eq!(pool.add(tx(1, 1, 105, 21_001), 1), Err(PoolError::ReplacementUnderpriced));
        let replacement = tx(1, 1, 110, 21_002);
        pool.add(replacement.clone(), 1).expect("valid");
        assert_eq!(pool.len(), 1);
        assert_eq!(
            pool.get(replacement.tx_hash()).map(|t| *t.tx_hash()),
            Some(*replacement.tx_hash())
        );
    }

    #[test]
    fn prune_and_remove_forget_transactions() {
        let mut pool = TxPool::default();
        let first = tx(1, 0, 10, 21_000);
        pool.add(first.clone(), 0).expect("valid");
        pool.add(tx(1, 1, 10, 21_000), 0).expect("valid");
        pool.remove([*first.tx_hash()]);
        assert_eq!(pool.len(), 1);
        pool.prune(|_| 2);
        assert!(pool.is_empty());
    }
}
