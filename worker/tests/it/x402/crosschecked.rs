//! Cross-checked answers: a request that requires the REDUNDANT tier is paid to `worker coordinate`,
//! which buys the same inference from three registered `worker serve` processes with its own x402
//! payments and sells the answer a majority agrees on. A liar is outvoted; when nothing agrees, the
//! client is charged nothing. DEEP, and a coordinator without a key, are refused clearly.

use std::sync::Arc;

use alloy::{
    primitives::{Address, U256},
    transports::http::reqwest,
};
use serde_json::json;
use tokio::sync::Semaphore;
use verigrad_contracts::RoleSet;
use verigrad_route::ROUTE_RECEIPT;
use verigrad_testkit::{
    DEPLOYER_KEY, Node, address,
    market::KEYS,
    tokens,
    x402::{Market, Server, package_id, payer, price_of_volatility, volatility_input},
};
use verigrad_x402::pay;

use crate::{
    route::{Coordinator, StandIn, get_json},
    store::{StoreNode, models, shipped},
};

/// Registers `key` as a worker of volatility with `roles` at `endpoint`, 100 tokens staked a role.
async fn register(market: &Market, key: &str, roles: &str, endpoint: &str) {
    let roles: RoleSet = roles.parse().expect("roles");
    let stake = tokens(100) * U256::from(roles.bits().count_ones());
    market.deployed.fund(&market.anvil, address(key), stake + tokens(100)).await;
    let account = market.deployed.account(market.anvil.url(), key).await;
    let model = package_id("volatility");
    account.register(roles, endpoint.into(), vec![model], stake).await.expect("register");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redundant_answer_is_bought_from_three_workers_and_sold_only_when_they_agree() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreNode::start(&dir.path().join("store"));
    let published = models(&store, &["publish", &shipped("volatility").to_string_lossy()]);
    assert!(published.status.success(), "{}", verigrad_testkit::text(&published));

    // Three honest workers, each serving x402 inference with its own key.
    let honest = [KEYS[0], KEYS[2], KEYS[3]];
    let mut servers = Vec::new();
    for (i, key) in honest.into_iter().enumerate() {
        let mut env = market.env();
        env.retain(|(name, _)| *name != "VERIGRAD_KEY");
        env.push(("VERIGRAD_KEY", key.to_string()));
        let data = dir.path().join(format!("worker{i}"));
        std::fs::create_dir_all(&data).expect("dir");
        let data = data.to_string_lossy().into_owned();
        let args = ["serve", "--models", "models", "--data-dir", &data];
        let server = Server::start(&env, &args, dir.path().join(format!("worker{i}.log")));
        // The first also verifies: the escrow prices no task without verifiers.
        let roles = if i == 0 { "compute,verify" } else { "compute" };
        register(&market, key, roles, &server.url).await;
        servers.push(server);
    }

    // The verifier's stake counts from the registry's next epoch (at most 16 blocks away): until then
    // the escrow prices no task of the model.
    for _ in 0..17 {
        market.anvil.rpc("evm_mine", serde_json::json!([])).await;
    }

    // The coordinator sells cross-checked answers with the deployer's key (it holds tokens to buy
    // with); another, without a key, cannot.
    let file = market.deployed.file.to_string_lossy().into_owned();
    let rpc = market.anvil.url().to_string();
    let coordinator = Coordinator::start(&rpc, &file, &store.url, 8, Some(DEPLOYER_KEY), &[]);
    let keyless = Coordinator::start(&rpc, &file, &store.url, 8, None, &[]);
    let http = reqwest::Client::new();
    let url = |at: &Coordinator, query: &str| {
        format!("{}/v1/models/verigrad/volatility/infer?{query}", at.url)
    };
    let input = volatility_input();

    let refused = http.post(url(&keyless, "tier=redundant")).json(&input).send().await;
    let refused = refused.expect("answered");
    let status = refused.status();
    let body = refused.text().await.expect("body");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("VERIGRAD_KEY"), "{body}");
    let deep = http.post(url(&coordinator, "tier=deep")).json(&input).send().await;
    let deep = deep.expect("answered");
    assert_eq!(deep.status(), 422);
    assert!(deep.text().await.expect("body").contains("worker submit --tier deep"));
    let light = http.post(url(&coordinator, "tier=light&value=1000")).json(&input).send().await;
    let light = light.expect("answered");
    assert_eq!(light.status(), 402, "a light answer is paid to its one worker");
    let receipt = light.headers()[ROUTE_RECEIPT].to_str().expect("ascii").to_owned();
    assert!(receipt.contains("tier=light"), "{receipt}");

    // Three agreeing answers: the client pays the coordinator three prices, each worker gets one.
    let price = price_of_volatility();
    let coordinator_address = address(DEPLOYER_KEY);
    let client = payer().address();
    let workers: Vec<Address> = honest.iter().map(|key| address(key)).collect();
    let before = |who: Vec<Address>| async {
        let mut balances = Vec::new();
        for w in who {
            balances.push(market.balance(w).await);
        }
        balances
    };
    let workers_before = before(workers.clone()).await;
    let (client_before, coordinator_before) =
        (market.balance(client).await, market.balance(coordinator_address).await);
    let paid = pay(&http, &url(&coordinator, "tier=redundant"), Some(&input), &payer())
        .await
        .expect("pays");
    assert_eq!(paid.status, 200, "{}", paid.body);
    let asked = paid.paid.expect("a 402 came first");
    assert_eq!((asked.pay_to, asked.amount), (coordinator_address, price * U256::from(3)));
    assert!(paid.settlement.expect("settled").success);
    assert_eq!(paid.body["numbers"][0]["name"], "volatility");
    assert_eq!(market.balance(client).await, client_before - asked.amount);
    assert_eq!(market.balance(coordinator_address).await, coordinator_before);
    for (worker, was) in
        workers.iter().zip(before(workers.clone()).await.iter().zip(&workers_before))
    {
        assert_eq!(*was.0, *was.1 + price, "worker {worker} is paid one price");
    }

    // Unpaid, it is a 402 before any worker is asked.
    let unpaid = http.post(url(&coordinator, "tier=redundant")).json(&input).send().await;
    let unpaid = unpaid.expect("answered");
    assert_eq!(unpaid.status(), 402);
    assert!(unpaid.headers().get(ROUTE_RECEIPT).is_none(), "no worker was asked");

    // A liar joins and an honest worker dies: the two honest answers outvote the liar's.
    let gate = Arc::new(Semaphore::new(0));
    let liar = StandIn::start("liar", gate.clone()).await;
    register(&market, KEYS[4], "compute", &liar.url).await;
    servers.pop();
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let outvoted = pay(&http, &url(&coordinator, "tier=redundant"), Some(&input), &payer())
        .await
        .expect("pays");
    assert_eq!(outvoted.status, 200, "{}", outvoted.body);
    assert_eq!(outvoted.body["numbers"][0]["name"], "volatility");
    let table = get_json(&http, &format!("{}/v1/workers", coordinator.url)).await;
    let rows = table.as_array().expect("rows");
    let row = rows.iter().find(|r| r["address"] == json!(address(KEYS[4]))).expect("liar listed");
    assert!(row["load"]["failures"].as_u64() >= Some(1), "the liar ranks lower: {row}");

    // A second liar, and another honest worker dies: one honest answer against two others, no
    // majority — the client's payment is not settled.
    let other_liar = StandIn::start("other-liar", gate).await;
    register(&market, KEYS[5], "compute", &other_liar.url).await;
    servers.pop();
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let client_before = market.balance(client).await;
    let unsettled = pay(&http, &url(&coordinator, "tier=redundant"), Some(&input), &payer())
        .await
        .expect("pays");
    assert_eq!(unsettled.status, 502, "{}", unsettled.body);
    let why = unsettled.body.to_string();
    assert!(why.contains("disagree") && why.contains("nothing was charged"), "{why}");
    assert_eq!(market.balance(client).await, client_before, "charged nothing");
}
