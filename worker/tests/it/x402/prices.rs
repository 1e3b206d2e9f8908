//! The live price at the x402 door: a worker's quote follows the registry's live price as load moves
//! it, a quote the price rose past moments ago is still honoured at its own amount, and a payment at
//! the price now is charged exactly that — never more than the payer was quoted.

use std::time::Duration;

use alloy::primitives::U256;
use verigrad_contracts::bindings::ModelRegistry;
use verigrad_x402::x402::{self, PAYMENT_SIGNATURE, PaymentPayload, encode_header};

use super::flow::now;
use verigrad_testkit::x402::{
    Market, PAYER_KEY, Server, package_id, payer, post, price_of_volatility, volatility_input,
};
use verigrad_testkit::{DEPLOYER_KEY, Node, address};

#[tokio::test(flavor = "multi_thread")]
async fn quotes_follow_the_live_price_and_a_recent_quote_is_honoured() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::serve(&market, dir.path(), &["--price-refresh", "1"]);
    let chain = market.anvil.chain_id();
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let quote =
        || async { post(&url, &volatility_input(), &[]).await.required().accepts[0].clone() };
    let old = quote().await;
    assert_eq!(old.amount, price_of_volatility(), "no load: the base price");

    // A surge of load: the registry's owner lets itself record load (the escrow does, task by task)
    // and records eight targets' worth, which lifts the live price about 2.6 times.
    let owner = market.deployed.account(market.anvil.url(), DEPLOYER_KEY).await;
    let (rpc, registry) = (owner.chain().rpc().clone(), market.deployed.deployment.model_registry);
    let id = package_id("volatility");
    let params = rpc.view(registry, ModelRegistry::loadParamsCall {}).await.expect("params");
    let mine = ModelRegistry::LoadParams { recorder: owner.address(), ..params };
    owner
        .sender()
        .call(registry, ModelRegistry::setLoadParamsCall { params: mine })
        .await
        .expect("set");
    let load = rpc.view(registry, ModelRegistry::loadCall { releaseId: id }).await.expect("load");
    let executions = load.target * U256::from(8) / U256::from(load.costUnits);
    let record = ModelRegistry::recordLoadCall { releaseId: id, executions };
    owner.sender().call(registry, record).await.expect("recorded");

    // The worker's quote follows within its refresh.
    let mut risen = old.clone();
    for _ in 0..50 {
        risen = quote().await;
        if risen.amount > old.amount {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(risen.amount > old.amount * U256::from(2), "the quote follows the load: {risen:?}");

    // The old quote, paid now: the price rose past it moments ago, so it is honoured at its amount.
    let payer_address = address(PAYER_KEY);
    let before = market.balance(payer_address).await;
    let signed = x402::authorize(&payer(), &old, chain, now()).expect("signs");
    let payment =
        PaymentPayload { x402_version: 2, resource: None, accepted: old.clone(), payload: signed };
    let honoured =
        post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, encode_header(&payment))]).await;
    assert_eq!(honoured.status, 200, "{}", honoured.body);
    assert_eq!(before - market.balance(payer_address).await, old.amount, "charged the quote");

    // A payment for more than the price now is refused with the price now: nobody overpays.
    let inflated =
        x402::PaymentRequirements { amount: risen.amount * U256::from(2), ..risen.clone() };
    let signed = x402::authorize(&payer(), &inflated, chain, now()).expect("signs");
    let payment =
        PaymentPayload { x402_version: 2, resource: None, accepted: inflated, payload: signed };
    let refused =
        post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, encode_header(&payment))]).await;
    assert_eq!(refused.status, 402, "{}", refused.body);
    assert!(refused.required().accepts[0].amount <= risen.amount, "re-quoted at the price now");

    // Paid at the price now, the official way: charged exactly the quote it was given.
    let before = market.balance(payer_address).await;
    let client = alloy::transports::http::reqwest::Client::new();
    let paid =
        verigrad_x402::pay(&client, &url, Some(&volatility_input()), &payer()).await.expect("pays");
    assert_eq!(paid.status, 200, "{}", paid.body);
    let charged = paid.paid.expect("a 402 came first").amount;
    assert!(charged > old.amount, "the live price, above the base");
    assert_eq!(before - market.balance(payer_address).await, charged);
}
