//! A worker starts serving a release while it runs (`worker models serve`): its running `worker run`
//! pulls the package from the store node and sells it over x402 within seconds — no restart. Before
//! it did, the release was refused with 404 (which the coordinator falls back from).

use std::time::Duration;

use alloy::transports::http::reqwest::{self, StatusCode};
use verigrad_testkit::{
    free_port,
    market::{KEYS, Market, eventually, volatility_input},
    text,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_running_worker_loads_a_release_it_starts_serving() {
    let market = Market::open().await;
    let worker = market.register_serving(KEYS[0], "compute", vec![market.risk]).await;
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let listen = format!("--listen=127.0.0.1:{port}");
    let _process = market.spawn_pulling(KEYS[0], "late-server", &[&listen]).await;
    let http = reqwest::Client::new();
    eventually("the worker's endpoint", Duration::from_secs(60), || async {
        let health = http.get(format!("{endpoint}/health")).send().await;
        health.is_ok_and(|r| r.status().is_success()).then_some(())
    })
    .await;

    let (input, _) = volatility_input();
    let volatility = market.volatility;
    let infer = || {
        let request =
            http.post(format!("{endpoint}/v1/models/{volatility}/infer")).body(input.clone());
        async move { request.send().await.expect("answered").status() }
    };
    assert_eq!(infer().await, StatusCode::NOT_FOUND, "not served, not loaded");

    let served = market
        .command(Some(KEYS[0]), &["models", "serve", &volatility.to_string()])
        .output()
        .expect("worker models serve");
    assert!(served.status.success(), "{}", text(&served));
    assert!(market.status(worker).await.models.contains(&volatility));

    // Loaded from the store and priced from the registry: sold (402 asks for the payment).
    eventually("the new release for sale", Duration::from_secs(30), || async {
        (infer().await == StatusCode::PAYMENT_REQUIRED).then_some(())
    })
    .await;
    let risk = market.risk;
    let unserved = market
        .command(Some(KEYS[0]), &["models", "unserve", &risk.to_string()])
        .output()
        .expect("worker models unserve");
    assert!(unserved.status.success(), "{}", text(&unserved));
    assert!(!market.status(worker).await.models.contains(&risk));
}
