//! The contracts' events, read in block ranges with `eth_getLogs` and resumed from the store.

use std::time::Duration;

use alloy::{
    primitives::Address,
    rpc::types::{Filter, Log},
};
use serde::{Deserialize, Serialize};
use verigrad_contracts::{ChainError, Result, Rpc};

use crate::store::{StoreError, WorkerStore};

/// How the event stream polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// Most blocks asked for in one `eth_getLogs` (nodes cap the range).
    pub max_range: u64,
    /// Blocks left unread behind the head, so a shallow reorganisation cannot change what was read.
    pub confirmations: u64,
    /// Wait between polls when there is no new block, in milliseconds.
    pub poll_ms: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self { max_range: 2_000, confirmations: 0, poll_ms: 1_000 }
    }
}

/// The logs of blocks `from..=to`, in chain order.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBatch {
    /// First block read.
    pub from: u64,
    /// Last block read.
    pub to: u64,
    /// The logs of the watched contracts in those blocks.
    pub logs: Vec<Log>,
}

/// A failure of the event stream.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Reading from the node failed (after its retries).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The cursor could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A batch was committed that does not start where the stream stands.
    #[error("batch from block {from} committed, but the stream is at block {next}")]
    OutOfOrder {
        /// The batch's first block.
        from: u64,
        /// The stream's first uncommitted block.
        next: u64,
    },
}

/// Events of a set of contracts, delivered once each, in order, across node outages and restarts
/// of the worker.
///
/// [`next_batch`](Self::next_batch) returns the logs of the next blocks; the same blocks come again
/// until the caller [`commit`](Self::commit)s the batch, which records its last block in the
/// [`WorkerStore`]. A stream opened later starts after that block — or at the deployment's first
/// block the first time. While the node is unreachable, reads retry with backoff (the RPC's
/// [`RetryPolicy`](verigrad_contracts::RetryPolicy)); once the budget is spent the error is returned and the next
/// call starts over from the same block, so nothing is skipped.
#[derive(Debug)]
pub struct EventStream {
    rpc: Rpc,
    store: WorkerStore,
    addresses: Vec<Address>,
    config: EventsConfig,
    next: u64,
}

impl EventStream {
    /// Opens the stream of `addresses`' logs, resuming after the stored cursor, or at `start_block`.
    pub fn open(
        rpc: Rpc,
        store: WorkerStore,
        addresses: Vec<Address>,
        start_block: u64,
        config: EventsConfig,
    ) -> Result<Self, StreamError> {
        let next = store.cursor()?.map_or(start_block, |done| done + 1);
        Ok(Self { rpc, store, addresses, config, next })
    }

    /// The first block not yet committed.
    pub fn next_block(&self) -> u64 {
        self.next
    }

    /// Waits until at least one new block is confirmed, then returns the logs from the first
    /// uncommitted block on (at most `max_range` blocks).
    pub async fn next_batch(&self) -> Result<LogBatch, StreamError> {
        let to = loop {
            let head = self.rpc.block_number().await?;
            let confirmed = head.saturating_sub(self.config.confirmations);
            if confirmed >= self.next {
                break confirmed.min(self.next.saturating_add(self.config.max_range.max(1) - 1));
            }
            tokio::time::sleep(Duration::from_millis(self.config.poll_ms)).await;
        };
        let filter =
            Filter::new().address(self.addresses.clone()).from_block(self.next).to_block(to);
        let logs = self.rpc.logs(&filter).await?;
        tracing::debug!(from = self.next, to, logs = logs.len(), "events read");
        Ok(LogBatch { from: self.next, to, logs })
    }

    /// Marks `batch` processed: stores its last block and moves past it.
    pub fn commit(&mut self, batch: &LogBatch) -> Result<(), StreamError> {
        if batch.from != self.next {
            return Err(StreamError::OutOfOrder { from: batch.from, next: self.next });
        }
        self.store.set_cursor(batch.to)?;
        self.next = batch.to + 1;
        Ok(())
    }
}
