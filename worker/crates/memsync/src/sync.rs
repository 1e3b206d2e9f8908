//! Replicas catch up with each other, and trust only the chain: a replica behind the chain's root
//! asks the namespace's other replicas for their records, one at a time, and keeps the first whose
//! records hash to the root the owner committed. A replica serving anything else is refused (and,
//! if it attested that data, reportable on chain).

use std::time::Duration;

use alloy::{
    primitives::{Address, B256},
    rpc::types::Filter,
    sol_types::SolEvent,
    transports::http::reqwest,
};
use verigrad_contracts::bindings::MemoryRegistry::RootCommitted;
use verigrad_memory::{MemoryError, Snapshot};

use crate::{
    MemsyncError,
    auth::{AUTH_HEADER, Call, RequestAuth},
    node::MemoryNode,
    unix_now,
};

/// How a catch-up ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatchUp {
    /// This replica holds the chain's latest root (or nothing was committed yet).
    UpToDate,
    /// This replica holds writes the owner has not committed yet; it keeps them.
    Ahead,
    /// This replica restored the chain's latest root from `from`.
    Synced {
        /// The replica copied.
        from: Address,
        /// The sequence number restored.
        seq: u64,
    },
    /// No other replica served the chain's root; this one stays as it was.
    Behind,
}

/// A replica whose answer was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The replica.
    pub replica: Address,
    /// Why its answer was not kept.
    pub reason: String,
}

/// Brings `namespace` here to the chain's latest root, from the other replicas; returns how, and
/// every replica refused on the way.
pub async fn catch_up(
    node: &MemoryNode,
    http: &reqwest::Client,
    namespace: B256,
) -> Result<(CatchUp, Vec<Refusal>), MemsyncError> {
    let info = node
        .registry
        .namespace_info(namespace)
        .await?
        .ok_or(MemsyncError::UnknownNamespace(namespace))?;
    if !info.replicas.contains(&node.address()) {
        return Err(MemsyncError::NotReplica { namespace, node: node.address() });
    }
    let local = node.store.state(namespace)?;
    if info.seq == 0 || (local.seq == info.seq && local.root == info.root) {
        return Ok((CatchUp::UpToDate, Vec::new()));
    }
    if local.seq > info.seq {
        return Ok((CatchUp::Ahead, Vec::new()));
    }
    let mut refusals = Vec::new();
    for replica in info.replicas.iter().copied().filter(|r| *r != node.address()) {
        let refuse = |reason: String| Refusal { replica, reason };
        let snapshot = match fetch(node, http, replica, namespace).await {
            Ok(snapshot) => snapshot,
            Err(reason) => {
                refusals.push(refuse(reason));
                continue;
            }
        };
        if snapshot.namespace != namespace || snapshot.state.seq != info.seq {
            let seq = snapshot.state.seq;
            refusals.push(refuse(format!("it is at seq {seq}, the chain at {}", info.seq)));
            continue;
        }
        let store = node.store.clone();
        let root = info.root;
        let restored = tokio::task::spawn_blocking(move || store.restore(&snapshot, Some(root)))
            .await
            .map_err(|e| MemsyncError::Internal(e.to_string()))?;
        match restored {
            Ok(state) => {
                tracing::info!(%namespace, %replica, seq = state.seq, "replica synced and verified against the chain's root");
                return Ok((CatchUp::Synced { from: replica, seq: state.seq }, refusals));
            }
            Err(error @ (MemoryError::RootMismatch { .. } | MemoryError::BadSnapshot(_))) => {
                tracing::warn!(%namespace, %replica, %error, "refused a replica's records: they do not match the chain's root");
                refusals
                    .push(refuse(format!("its records do not match the chain's root: {error}")));
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok((CatchUp::Behind, refusals))
}

/// `replica`'s snapshot of `namespace`, asked for with this node's signature; an error says why not.
async fn fetch(
    node: &MemoryNode,
    http: &reqwest::Client,
    replica: Address,
    namespace: B256,
) -> Result<Snapshot, String> {
    let worker = node.workers.worker(replica).await.map_err(|e| e.to_string())?;
    let path = format!("/v1/namespaces/{namespace}/snapshot");
    let call = Call { method: "GET", path: &path, body: &[] };
    let now = unix_now();
    let auth =
        RequestAuth::sign(&node.key, &node.domain, namespace, 0, rand_nonce(), now + 60, call)
            .map_err(|e| e.to_string())?;
    let url = format!("{}{path}", worker.endpoint.trim_end_matches('/'));
    let response = http
        .get(&url)
        .header(AUTH_HEADER, auth.to_header())
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: {status} {}", String::from_utf8_lossy(&bytes)));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("{url}: not a snapshot: {e}"))
}

/// A fresh nonce: random, so two nodes (or a restart) never reuse one.
fn rand_nonce() -> u64 {
    u64::from_be_bytes(B256::random()[..8].try_into().unwrap_or_default())
}

/// Follows the registry's `RootCommitted` events from `from_block` and catches up every namespace
/// this node replicates as its root moves, checking every `every`; runs until dropped.
pub async fn follow(node: &MemoryNode, http: reqwest::Client, from_block: u64, every: Duration) {
    let rpc = &node.rpc;
    let mut next = from_block;
    let mut pending: Vec<B256> = node.store.namespaces().unwrap_or_default();
    loop {
        if let Ok(head) = rpc.block_number().await
            && head >= next
        {
            let filter = Filter::new()
                .address(node.registry.address())
                .event_signature(RootCommitted::SIGNATURE_HASH)
                .from_block(next)
                .to_block(head);
            match rpc.logs(&filter).await {
                Ok(logs) => {
                    for log in logs {
                        if let Ok(event) = log.log_decode::<RootCommitted>() {
                            pending.push(event.inner.data.namespace);
                        }
                    }
                    next = head + 1;
                }
                Err(error) => {
                    tracing::warn!(%error, "reading RootCommitted events failed; retrying")
                }
            }
        }
        pending.sort_unstable();
        pending.dedup();
        let mut retry = Vec::new();
        for namespace in pending.drain(..) {
            match catch_up(node, &http, namespace).await {
                Ok((CatchUp::Behind, refusals)) => {
                    tracing::warn!(%namespace, ?refusals, "no replica served the chain's root yet");
                    retry.push(namespace);
                }
                Ok(_) => {}
                Err(MemsyncError::UnknownNamespace(_) | MemsyncError::NotReplica { .. }) => {}
                Err(error) => {
                    tracing::warn!(%namespace, %error, "catch-up failed; retrying");
                    retry.push(namespace);
                }
            }
        }
        pending = retry;
        tokio::time::sleep(every).await;
    }
}
