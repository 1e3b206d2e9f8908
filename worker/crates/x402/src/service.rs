//! Running the API and the facilitator: load the models, read prices, bind, serve until shutdown.

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use axum::Router;
use verigrad_inference::{LiveRuntime, Runtime};

use super::{
    ServeError,
    api::{self, Api, Catalog, Paywall, RateLimit, RateLimiter, Terms},
    facilitator::{self, Facilitator, FacilitatorClient, Ledger, token_domain},
};
use verigrad_contracts::{Chain, GasPolicy, ReceiptPolicy, TxSender};

/// How `worker serve` runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The folder of model packages.
    pub models: PathBuf,
    /// How the API is paid.
    pub api: ApiOptions,
}

/// How the paid inference API takes payment.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiOptions {
    /// Another node's facilitator; `None` runs one in this process (and serves its routes).
    pub facilitator: Option<String>,
    /// Who is paid; by default the sender's address.
    pub pay_to: Option<Address>,
    /// Serve without payment (local development, benchmarks).
    pub free: bool,
    /// Per-payer rate limit.
    pub rate: RateLimit,
    /// How long an authorization must stay valid.
    pub max_timeout_seconds: u64,
    /// How often prices are read again from the ModelRegistry.
    pub price_refresh: Duration,
    /// How the in-process facilitator settles.
    pub settlement: SettlementOptions,
}

impl ApiOptions {
    /// Paid, with the in-process facilitator keeping its ledger in `data_dir`; the defaults of
    /// `worker serve`.
    pub fn paid(data_dir: PathBuf) -> Self {
        Self {
            facilitator: None,
            pay_to: None,
            free: false,
            rate: RateLimit::default(),
            max_timeout_seconds: 300,
            price_refresh: Duration::from_secs(2),
            settlement: SettlementOptions {
                data_dir,
                gas: GasPolicy::default(),
                receipts: ReceiptPolicy::default(),
            },
        }
    }
}

/// How a facilitator settles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementOptions {
    /// Where the settlement ledger lives.
    pub data_dir: PathBuf,
    /// Gas for settlements.
    pub gas: GasPolicy,
    /// Waiting for settlement receipts.
    pub receipts: ReceiptPolicy,
}

/// Binds `listen`, tells `bound` the address, and serves `router` until `shutdown`.
async fn run(
    listen: SocketAddr,
    router: Router,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let io = |e| ServeError::io(listen.to_string().as_ref(), e);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io)?;
    bound(listener.local_addr().map_err(io)?);
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await.map_err(io)
}

/// The in-process facilitator settling with `sender`, its ledger in `settlement.data_dir`.
fn facilitator(
    chain: &Chain,
    sender: TxSender,
    settlement: &SettlementOptions,
) -> Result<Facilitator, ServeError> {
    let deployment = chain.deployment();
    let ledger = Ledger::open(&settlement.data_dir)?;
    Ok(Facilitator::new(chain.rpc().clone(), sender, deployment.chain_id, deployment.token, ledger))
}

/// A sender for `signer` on `chain`, with `settlement`'s gas and receipt policies.
fn sender(chain: &Chain, signer: PrivateKeySigner, settlement: &SettlementOptions) -> TxSender {
    let chain_id = chain.deployment().chain_id;
    TxSender::new(chain.rpc().clone(), signer, chain_id, settlement.gas, settlement.receipts)
}

/// The paid inference API over a runtime, with its price refresher; the refresher stops when this
/// is dropped.
#[derive(Debug)]
pub struct PaidApi {
    /// The API's routes, and the facilitator's when it runs in this process.
    pub router: Router,
    refresher: tokio::task::JoinHandle<()>,
}

impl Drop for PaidApi {
    fn drop(&mut self) {
        self.refresher.abort();
    }
}

/// The API selling `runtime`'s models at the ModelRegistry's prices (read now and every
/// `options.price_refresh`). Without `options.facilitator`, payments settle in this process by
/// `sender` (a clone of a worker's account sender shares its nonces), and `sender` is paid unless
/// `options.pay_to` says otherwise.
pub async fn paid_api(
    chain: Chain,
    sender: TxSender,
    runtime: LiveRuntime,
    options: &ApiOptions,
) -> Result<PaidApi, ServeError> {
    let catalog = Catalog::new(runtime);
    catalog.refresh(&chain.models()).await?;
    let (paywall, facilitator_routes) = paywall(&chain, sender, options)?;
    let api = Api::new(catalog, paywall);
    let api = Arc::new(match chain.twins() {
        Ok(twins) => api.with_twins(twins),
        Err(_) => api,
    });
    let refresher = tokio::spawn(refresh_prices(api.clone(), chain, options.price_refresh));
    Ok(PaidApi { router: api::router(api).merge(facilitator_routes), refresher })
}

/// The payment gate `options` describe (none when `options.free`), and the facilitator's routes when
/// it runs in this process: without `options.facilitator`, payments settle here by `sender`, and
/// `sender` is paid unless `options.pay_to` says otherwise.
pub fn paywall(
    chain: &Chain,
    sender: TxSender,
    options: &ApiOptions,
) -> Result<(Option<Paywall>, Router), ServeError> {
    let deployment = *chain.deployment();
    let pay_to = options.pay_to.unwrap_or(sender.address());
    let (client, facilitator_routes) = match &options.facilitator {
        Some(url) => (FacilitatorClient::http(url), Router::new()),
        None => {
            let local = Arc::new(facilitator(chain, sender, &options.settlement)?);
            (FacilitatorClient::InProcess(local.clone()), facilitator::router(local))
        }
    };
    let paywall = (!options.free).then(|| Paywall {
        terms: Terms {
            chain_id: deployment.chain_id,
            asset: deployment.token,
            domain: token_domain(),
            pay_to,
            max_timeout_seconds: options.max_timeout_seconds,
        },
        facilitator: client,
        limiter: RateLimiter::new(options.rate),
    });
    Ok((paywall, facilitator_routes))
}

/// Serves the API (and, without `options.api.facilitator`, the facilitator) until `shutdown`.
/// `signer` settles payments and, unless `options.api.pay_to` says otherwise, is paid.
pub async fn serve(
    chain: Chain,
    signer: PrivateKeySigner,
    options: ServeOptions,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let runtime = LiveRuntime::new(Runtime::load_dir(&options.models)?);
    let sender = sender(&chain, signer, &options.api.settlement);
    let api = paid_api(chain, sender, runtime, &options.api).await?;
    run(options.listen, api.router.clone(), bound, shutdown).await
}

/// Reads the prices again every `every`, keeping the old ones through a node outage.
async fn refresh_prices(api: Arc<Api>, chain: Chain, every: Duration) {
    let models = chain.models();
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = api.catalog().refresh(&models).await {
            tracing::warn!(%e, "price refresh failed; keeping the last prices");
        }
    }
}

/// Serves only the facilitator (`/verify`, `/settle`, `/supported`) until `shutdown`.
pub async fn facilitate(
    chain: Chain,
    signer: PrivateKeySigner,
    listen: SocketAddr,
    settlement: SettlementOptions,
    bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    run(listen, facilitator_routes(&chain, signer, &settlement)?, bound, shutdown).await
}

/// The facilitator's routes (`/verify`, `/settle`, `/supported`), settling with `signer`: for a
/// node that serves them beside others, as the coordinator does.
pub fn facilitator_routes(
    chain: &Chain,
    signer: PrivateKeySigner,
    settlement: &SettlementOptions,
) -> Result<axum::Router, ServeError> {
    let sender = sender(chain, signer, settlement);
    Ok(facilitator::router(Arc::new(facilitator(chain, sender, settlement)?)))
}
