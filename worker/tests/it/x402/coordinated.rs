//! The network path: a client pays through `worker coordinate`, which routes to a registered
//! `worker serve` and passes the x402 headers through both ways.

use alloy::transports::http::reqwest;
use verigrad_contracts::RoleSet;
use verigrad_x402::pay;

use crate::{
    route::Coordinator,
    store::{StoreNode, models, shipped},
};
use verigrad_testkit::x402::{
    Market, Server, package_id, payer, price_of_volatility, volatility_input,
};
use verigrad_testkit::{Node, WORKER_KEY, address, tokens};

#[tokio::test(flavor = "multi_thread")]
async fn a_client_pays_a_worker_through_the_coordinator() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreNode::start(&dir.path().join("store"));
    let published = models(&store, &["publish", &shipped("volatility").to_string_lossy()]);
    assert!(published.status.success(), "{}", verigrad_testkit::text(&published));

    // The worker serves its API, then registers it as a COMPUTE worker of the model.
    let server = Server::serve(&market, &dir.path().join("worker"), &[]);
    let me = address(WORKER_KEY);
    market.deployed.fund(&market.anvil, me, tokens(200)).await;
    let account = market.deployed.account(market.anvil.url(), WORKER_KEY).await;
    let roles: RoleSet = "compute".parse().expect("roles");
    let model = package_id("volatility");
    account.register(roles, server.url.clone(), vec![model], tokens(100)).await.expect("register");

    let file = market.deployed.file.to_string_lossy().into_owned();
    let coordinator =
        Coordinator::start(market.anvil.url().as_str(), &file, &store.url, 8, None, &[]);
    let url = format!("{}/v1/models/verigrad/volatility/infer", coordinator.url);
    let mine = market.balance(me).await;
    let paid = pay(&reqwest::Client::new(), &url, Some(&volatility_input()), &payer())
        .await
        .expect("pays");
    assert_eq!(paid.status, 200, "{:?}\n{}", paid.body, server.log());
    assert_eq!(paid.paid.expect("a 402 came first").pay_to, me);
    assert!(paid.settlement.expect("PAYMENT-RESPONSE passed through").success);
    assert_eq!(paid.body["numbers"][0]["name"], "volatility");
    assert_eq!(market.balance(me).await, mine + price_of_volatility());
}
