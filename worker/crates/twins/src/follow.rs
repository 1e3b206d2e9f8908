//! A verifier's standing part in drift checks, as `worker run` plays it: follow the registry's
//! `UpgradeProposed` events and serve each check — draw its committee once the anchor is mined (anyone
//! may), and, if drawn, measure, commit and reveal — each check on a task of its own.

use std::{sync::Arc, time::Duration};

use alloy::{rpc::types::Filter, sol_types::SolEvent};
use tokio::sync::watch;
use verigrad_contracts::bindings::TwinRegistry::UpgradeProposed;

use crate::{DriftMember, TwinError};

/// Serves every check proposed from block `from` on, polling every `poll`, until `shutdown` turns
/// true.
pub async fn follow(
    member: Arc<DriftMember>,
    from: u64,
    poll: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let rpc = member.chain().rpc().clone();
    let registry = member.registry();
    let mut next = from;
    loop {
        if let Ok(head) = rpc.block_number().await
            && head >= next
        {
            let filter = Filter::new()
                .address(registry)
                .event_signature(UpgradeProposed::SIGNATURE_HASH)
                .from_block(next)
                .to_block(head);
            match rpc.logs(&filter).await {
                Ok(logs) => {
                    for log in logs {
                        if let Ok(proposed) = log.log_decode::<UpgradeProposed>() {
                            tokio::spawn(serve(member.clone(), proposed.inner.data.checkId));
                        }
                    }
                    next = head + 1;
                }
                Err(error) => {
                    tracing::warn!(%error, "reading UpgradeProposed events failed; retrying")
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

async fn serve(member: Arc<DriftMember>, check: alloy::primitives::U256) {
    match member.serve(check).await {
        Ok(verdict) => tracing::info!(%check, ?verdict, "drift check resolved"),
        Err(TwinError::NotDrawn { .. }) => tracing::debug!(%check, "not on the drift committee"),
        Err(error) => tracing::warn!(%check, %error, "drift check: could not play my part"),
    }
}
