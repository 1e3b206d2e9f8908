//! The HTTP server (JSON-RPC over POST) and the miner task.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::post,
};
use tokio::net::TcpListener;

use crate::{node::Node, rpc::Rpc};

/// Serves `rpc` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    rpc: Arc<Rpc>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route("/", post(handle)).with_state(rpc);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

async fn handle(State(rpc): State<Arc<Rpc>>, body: Bytes) -> impl IntoResponse {
    // Calls run models and blocks run the EVM: keep that work off the async threads.
    let answer = tokio::task::spawn_blocking(move || rpc.handle_body(&body)).await;
    match answer {
        Ok(Some(value)) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], value.to_string())
                .into_response()
        }
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "request handler failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Mines forever: every `block_time`, or whenever transactions are pending if `None`.
pub async fn mine_forever(node: Arc<Node>, block_time: Option<Duration>) {
    let mut ticker = block_time.map(tokio::time::interval);
    loop {
        match &mut ticker {
            Some(ticker) => {
                ticker.tick().await;
            }
            None => {
                // A wake-up can be stale (its transaction went into the last block): only mine when
                // something is pending.
                while node.pool().is_empty() {
                    node.transaction_arrived().await;
                }
            }
        }
        // Paused (`evm_setAutomine false`): only `evm_mine` builds blocks.
        while !node.automine() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let miner = node.clone();
        match tokio::task::spawn_blocking(move || miner.mine()).await {
            Ok(Ok(mined)) => log_block(&mined),
            Ok(Err(e)) => tracing::error!(error = %e, "mining failed"),
            Err(e) => tracing::error!(error = %e, "miner panicked"),
        }
    }
}

fn log_block(mined: &crate::node::Mined) {
    let block = &mined.block;
    let stats = &mined.stats;
    tracing::info!(
        number = block.number(),
        txs = block.transactions.len(),
        gas = block.header.gas_used,
        pipe_results = block.pipe.results.len(),
        pipe_root = %block.pipe_root(),
        rounds = stats.rounds,
        inferred_in_build = stats.inferences,
        simulate = ?stats.simulate,
        infer = ?stats.infer,
        execute = ?stats.execute,
        "mined block"
    );
    for (hash, reason) in &mined.dropped {
        tracing::warn!(%hash, reason, "dropped invalid transaction");
    }
}

/// Binds `addr`, with a clear error when the port is taken.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e} (is another node running?)"))
}
