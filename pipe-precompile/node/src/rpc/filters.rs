//! Polling filters (`eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`): how viem and alloy watch an HTTP node.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::Filter;
use serde_json::Value;

use super::{RpcError, eth, ok, param};
use crate::node::Node;

/// A filter nobody polled for this long is dropped (as geth does).
const FILTER_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug)]
enum Kind {
    /// New blocks after `next - 1`.
    Blocks { next: u64 },
    /// Logs matching `filter` in blocks from `next`.
    Logs { filter: Box<Filter>, next: u64 },
    /// Transactions that entered the pool since the last poll.
    Pending { seen: HashSet<B256> },
}

/// The installed filters.
#[derive(Debug, Default)]
pub struct Filters {
    installed: HashMap<U256, (Kind, Instant)>,
    next_id: u64,
}

impl Filters {
    fn install(&mut self, kind: Kind) -> U256 {
        let now = Instant::now();
        self.installed.retain(|_, (_, polled)| now.duration_since(*polled) < FILTER_TIMEOUT);
        self.next_id += 1;
        let id = U256::from(self.next_id);
        self.installed.insert(id, (kind, now));
        id
    }

    pub(super) fn new_blocks(&mut self, node: &Node) -> U256 {
        let next = node.chain().head().number() + 1;
        self.install(Kind::Blocks { next })
    }

    pub(super) fn new_pending(&mut self) -> U256 {
        self.install(Kind::Pending { seen: HashSet::new() })
    }

    pub(super) fn new_logs(&mut self, node: &Node, params: &[Value]) -> Result<Value, RpcError> {
        let filter: Filter = param(params, 0)?;
        let next = match filter.get_from_block() {
            Some(from) => from,
            None => node.chain().head().number() + 1,
        };
        ok(self.install(Kind::Logs { filter: Box::new(filter), next }))
    }

    pub(super) fn changes(&mut self, node: &Node, params: &[Value]) -> Result<Value, RpcError> {
        let id: U256 = param(params, 0)?;
        let (kind, polled) =
            self.installed.get_mut(&id).ok_or_else(|| RpcError::server("filter not found"))?;
        *polled = Instant::now();
        match kind {
            Kind::Blocks { next } => {
                let chain = node.chain();
                let head = chain.head().number();
                let hashes: Vec<B256> =
                    (*next..=head).filter_map(|n| chain.block(n)).map(|b| b.hash).collect();
                *next = head + 1;
                ok(hashes)
            }
            Kind::Logs { filter, next } => {
                let chain = node.chain();
                let head = chain.head().number();
                let to = filter.get_to_block().map_or(head, |to| to.min(head));
                let logs = if *next <= to {
                    eth::matching_logs(&chain, filter, *next, to)
                } else {
                    Vec::new()
                };
                *next = (*next).max(to + 1);
                ok(logs)
            }
            Kind::Pending { seen } => {
                let fresh: Vec<B256> =
                    node.pool().hashes().into_iter().filter(|h| seen.insert(*h)).collect();
                ok(fresh)
            }
        }
    }

    pub(super) fn all_logs(&mut self, node: &Node, params: &[Value]) -> Result<Value, RpcError> {
        let id: U256 = param(params, 0)?;
        let Some((Kind::Logs { filter, .. }, _)) = self.installed.get(&id) else {
            return Err(RpcError::server("filter not found"));
        };
        let chain = node.chain();
        let (from, to) = eth::filter_range(&chain, filter)?;
        ok(eth::matching_logs(&chain, filter, from, to))
    }

    pub(super) fn uninstall(&mut self, params: &[Value]) -> Result<Value, RpcError> {
        let id: U256 = param(params, 0)?;
        ok(self.installed.remove(&id).is_some())
    }
}
