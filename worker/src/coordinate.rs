//! `worker coordinate`: the coordinate role's routing gateway.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use clap::Args;
use verigrad_blobs::StoreClient;
use verigrad_contracts::{Chain, TwinReputationClient, TxSender, memory_domain};
use verigrad_route::{
    Admission, Catalog, Gateway, Reseller, RoutePolicy, RoutingTable, TwinMemory, router,
};
use verigrad_x402::{ApiOptions, paywall};

use crate::{cli::Context, serve::SettlementArgs};

/// `worker coordinate`.
#[derive(Debug, Args)]
pub(crate) struct CoordinateArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9200")]
    listen: SocketAddr,
    /// The store node whose package index names the models.
    #[arg(long, env = "VERIGRAD_STORE_URL", default_value = "http://127.0.0.1:9100")]
    store: String,
    /// Requests one worker may have in flight through this coordinator.
    #[arg(long, default_value_t = 32)]
    max_in_flight: u32,
    /// Requests the coordinator admits at once, over all workers.
    #[arg(long, default_value_t = 256)]
    max_pending: u32,
    /// Requests that may wait for a slot once `--max-pending` are in flight; beyond it the lowest
    /// offer is shed (429 with the quote).
    #[arg(long, default_value_t = 1024)]
    max_waiting: usize,
    /// The longest a request waits for a slot, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    max_wait_ms: u64,
    /// The longest a worker may take to answer, in milliseconds, before an unpaid request is
    /// offered to the next worker (a paid one is answered 502).
    #[arg(long, default_value_t = 30_000)]
    answer_timeout_ms: u64,
    /// Seconds a release's worker list (and a tag's releases) is trusted before the registry is
    /// read again.
    #[arg(long, default_value_t = 5)]
    refresh_secs: u64,
    /// With a key (VERIGRAD_KEY), also serve the x402 facilitator (/verify, /settle,
    /// /supported), settling with that key, and sell cross-checked answers (`?tier=redundant`):
    /// paid to that key, which pays the workers.
    #[command(flatten)]
    settlement: SettlementArgs,
    /// A MemSync store node (`worker memory serve`) keeping twins' memories. With a key
    /// (VERIGRAD_KEY) that a twin's owner made a delegate of the twin's namespace, a paid
    /// invocation's `message` is searched there and the exchange remembered, the store paid by
    /// that key.
    #[arg(long, env = "VERIGRAD_TWIN_MEMORY")]
    twin_memory: Option<String>,
    /// Record each paid, settled twin invocation's payer in TwinReputation, so that it may give the
    /// twin feedback. The key (VERIGRAD_KEY) must hold the registry's PAYER_RECORDER_ROLE.
    #[arg(long)]
    record_invocations: bool,
}

impl CoordinateArgs {
    /// Serves the gateway (and, given a key, the facilitator) until Ctrl-C.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let chain = ctx.chain().await?;
        let paid = match ctx.optional_signer()? {
            Some(signer) => {
                let settlement = self.settlement.options(&ctx.config);
                let options =
                    ApiOptions { settlement, ..ApiOptions::paid(std::path::PathBuf::new()) };
                let deployment = chain.deployment();
                let sender = TxSender::new(
                    chain.rpc().clone(),
                    signer.clone(),
                    deployment.chain_id,
                    options.settlement.gas,
                    options.settlement.receipts,
                );
                let recorder = match self.record_invocations {
                    true => Some((chain.twin_reputation()?, sender.clone())),
                    false => None,
                };
                let (wall, facilitator) = paywall(&chain, sender, &options)?;
                let wall = wall.context("a paid API has a paywall")?;
                Some((Reseller { paywall: wall, signer }, facilitator, recorder))
            }
            None if self.record_invocations => {
                anyhow::bail!(
                    "--record-invocations needs a key (VERIGRAD_KEY) holding PAYER_RECORDER_ROLE"
                )
            }
            None => None,
        };
        let memory = match &self.twin_memory {
            None => None,
            Some(store) => {
                let signer = ctx.optional_signer()?.context(
                    "--twin-memory needs a key (VERIGRAD_KEY) delegated by twins' owners",
                )?;
                let deployment = chain.deployment();
                let domain = memory_domain(deployment.chain_id, deployment.memory_registry);
                Some(TwinMemory::new(store.clone(), signer, domain))
            }
        };
        serve(chain, self, paid, memory).await
    }
}

/// What a coordinator with a key runs: the reseller, the facilitator's routes, and the recorder of
/// paid twin invocations when asked for.
type Paid = (Reseller, axum::Router, Option<(TwinReputationClient, TxSender)>);

async fn serve(
    chain: Chain,
    args: CoordinateArgs,
    paid: Option<Paid>,
    memory: Option<TwinMemory>,
) -> anyhow::Result<()> {
    let CoordinateArgs {
        listen,
        store,
        max_in_flight,
        max_pending,
        max_waiting,
        max_wait_ms,
        answer_timeout_ms,
        refresh_secs,
        ..
    } = args;
    anyhow::ensure!(max_in_flight > 0 && max_pending > 0, "limits must be at least 1");
    let store = store.as_str();
    let answer_timeout = Duration::from_millis(answer_timeout_ms);
    let policy = RoutePolicy { max_in_flight, answer_timeout, ..RoutePolicy::default() };
    let table = Arc::new(RoutingTable::new(chain, policy, Duration::from_secs(refresh_secs)));
    let admission = Admission::new(max_pending, max_waiting, Duration::from_millis(max_wait_ms));
    let gateway = Gateway::new(table, Catalog::new(StoreClient::new(store)), admission);
    let (gateway, facilitator) = match paid {
        Some((reseller, facilitator, recorder)) => {
            let gateway = gateway.with_reseller(reseller);
            let gateway = match recorder {
                Some((reputation, sender)) => gateway.with_invocation_recorder(reputation, sender),
                None => gateway,
            };
            (gateway, Some(facilitator))
        }
        None => (gateway, None),
    };
    let gateway = match memory {
        Some(memory) => gateway.with_twin_memory(memory),
        None => gateway,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen} (another coordinator running?)"))?;
    let bound = listener.local_addr()?;
    tracing::info!(
        url = %format!("http://{bound}"),
        store,
        facilitator = facilitator.is_some(),
        "coordinator routing"
    );
    let routes = router(Arc::new(gateway));
    let routes = match facilitator {
        Some(facilitator) => routes.merge(facilitator),
        None => routes,
    };
    axum::serve(listener, routes)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
