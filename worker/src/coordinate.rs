//! `worker coordinate`: the coordinate role's routing gateway.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use verigrad_blobs::StoreClient;
use verigrad_contracts::Chain;
use verigrad_route::{Catalog, Gateway, RoutePolicy, RoutingTable, router};

/// The gateway's limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_in_flight: u32,
    pub(crate) max_pending: u32,
    pub(crate) refresh_secs: u64,
}

/// Serves the gateway until Ctrl-C.
pub(crate) async fn serve(
    chain: Chain,
    listen: SocketAddr,
    store: &str,
    limits: Limits,
    facilitator: Option<axum::Router>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        limits.max_in_flight > 0 && limits.max_pending > 0,
        "limits must be at least 1"
    );
    let policy = RoutePolicy { max_in_flight: limits.max_in_flight, ..RoutePolicy::default() };
    let table =
        Arc::new(RoutingTable::new(chain, policy, Duration::from_secs(limits.refresh_secs)));
    let gateway = Gateway::new(table, Catalog::new(StoreClient::new(store)), limits.max_pending);
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
