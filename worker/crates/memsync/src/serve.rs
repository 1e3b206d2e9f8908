//! A store node's MemSync from a chain and a key: open the store, load the models, take payment,
//! follow the registry to keep replicas in step, and serve until shutdown.

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy::{primitives::U256, signers::local::PrivateKeySigner, transports::http::reqwest};
use verigrad_contracts::{Chain, TxSender};
use verigrad_distill::Distiller;
use verigrad_memory::{Store, StoreConfig};
use verigrad_x402::ApiOptions;

use crate::{
    MemsyncError,
    node::MemoryNode,
    routes::{self, Service},
    sync,
};

/// How `worker memory serve` runs.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The node's data: the memory database and the nonce ledger.
    pub data_dir: PathBuf,
    /// The model packages (MiniLM, the importance model and the slot-pair model).
    pub models: PathBuf,
    /// The store's capacity, retention and index.
    pub store: StoreConfig,
    /// What a call costs, token wei.
    pub price: U256,
    /// How calls are paid (x402).
    pub api: ApiOptions,
    /// How often the registry is read for moved roots.
    pub sync_every: Duration,
}

/// Serves MemSync with `key` as the node's operator key until `shutdown`.
pub async fn serve(
    chain: Chain,
    key: PrivateKeySigner,
    options: NodeOptions,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), MemsyncError> {
    let io = |what: String| move |source| MemsyncError::Io { what, source };
    let distiller = Distiller::load(&options.models)?;
    // The slot descriptions the distiller's pair model places facts with are the topics a search
    // resolves by recency, as the evaluation's store does (docs/memsync.md).
    let store = Arc::new(
        Store::open(&options.data_dir.join("memory.redb"), options.store)?
            .with_topics(distiller.slot_pair().topics()),
    );
    let deployment = *chain.deployment();
    let settlement = &options.api.settlement;
    let sender = TxSender::new(
        chain.rpc().clone(),
        key.clone(),
        deployment.chain_id,
        settlement.gas,
        settlement.receipts,
    );
    let (paywall, facilitator) = verigrad_x402::paywall(&chain, sender.clone(), &options.api)
        .map_err(|e| MemsyncError::Internal(e.to_string()))?;
    let node = Arc::new(MemoryNode::new(
        store,
        distiller,
        chain.memory()?,
        chain.workers(),
        chain.rpc().clone(),
        key,
        &options.data_dir,
    )?);
    let follower = {
        let node = node.clone();
        let every = options.sync_every;
        tokio::spawn(async move {
            sync::follow(&node, reqwest::Client::new(), deployment.start_block, every).await;
        })
    };
    let service = Arc::new(Service::new(node, paywall, options.price, sender));
    let router = routes::router(service).merge(facilitator);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(io(options.listen.to_string()))?;
    bound(listener.local_addr().map_err(io(options.listen.to_string()))?);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(io(options.listen.to_string()));
    follower.abort();
    served
}
