//! A twin invoked over x402 through the coordinator: `POST /v1/twins/{id}/invoke` is routed to a
//! `worker serve` serving the twin's bound release, which applies the twin's published profile and
//! is paid the release's price. The answer is `invoke_twin`'s, names the twin, release and profile;
//! a message beside the tensors is remembered in the twin's MemSync namespace (on a real `worker
//! memory serve`, by the coordinator as the owner's delegate) and recalled by a later invocation;
//! the coordinator records each paid invocation in `TwinReputation`, so that its payer — and nobody
//! who paid nothing — may give feedback; bad invocations (an unknown twin, a profile that no longer
//! matches the binding) are refused before anything is paid.

use alloy::{
    primitives::{B256, keccak256},
    transports::http::reqwest,
};
use std::time::Duration;

use verigrad_contracts::{RoleSet, TwinTerms, bindings::TwinReputation};
use verigrad_inference::{ModelPackage, Runtime, TwinModel, invoke_twin};
use verigrad_task::{output_json, parse_input};
use verigrad_x402::pay;

use crate::{
    memory::{memory_node, register_store, registry},
    route::Coordinator,
    store::{StoreNode, models, shipped},
};
use serde_json::json;
use verigrad_testkit::x402::{
    Market, Server, package_id, payer, price_of_volatility, volatility_input,
};
use verigrad_testkit::{
    DEPLOYER_KEY, Node, WORKER_KEY, address,
    market::{KEYS, eventually},
    tokens,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_twin_is_invoked_over_x402_with_its_profile_on_its_bound_release() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreNode::start(&dir.path().join("store"));
    let published = models(&store, &["publish", &shipped("volatility").to_string_lossy()]);
    assert!(published.status.success(), "{}", verigrad_testkit::text(&published));
    let server = Server::serve(&market, &dir.path().join("worker"), &[]);
    let me = address(WORKER_KEY);
    market.deployed.fund(&market.anvil, me, tokens(200)).await;
    let account = market.deployed.account(market.anvil.url(), WORKER_KEY).await;
    let release = package_id("volatility");
    let roles: RoleSet = "compute".parse().expect("roles");
    account
        .register(roles, server.url.clone(), vec![release], tokens(100))
        .await
        .expect("register");

    // The twin's memory: a namespace of its owner's on two store nodes, the coordinator's key its
    // delegate (and the store's payer).
    let owner = market.deployed.account(market.anvil.url(), DEPLOYER_KEY).await;
    let memory = memory_node(&market, KEYS[2], &dir.path().join("memory"));
    let replica = memory_node(&market, KEYS[4], &dir.path().join("replica"));
    let nodes = [
        register_store(&market, KEYS[2], &memory.url).await,
        register_store(&market, KEYS[4], &replica.url).await,
    ];
    let registry = registry(&market);
    let label = B256::right_padding_from(b"risk-desk");
    let namespace = registry.create_namespace(owner.sender(), label, &nodes).await.expect("ns");
    let delegate = address(KEYS[3]);
    registry.set_delegate(owner.sender(), namespace, delegate, true).await.expect("delegated");
    market.deployed.fund(&market.anvil, delegate, tokens(10)).await;

    // The twin: the risk desk's profile published in its metadata, its hash in the binding.
    let twins = owner.chain().twins().expect("deployed");
    let agent = twins.register(owner.sender(), "https://example.org/desk.json").await.expect("id");
    let profile = std::fs::read(shipped("twins").join("risk-desk.profile.json")).expect("profile");
    twins.publish_profile(owner.sender(), agent, &profile).await.expect("published");
    let terms = TwinTerms {
        release,
        profile_hash: keccak256(&profile),
        memory_namespace: namespace,
        probe_set_hash: keccak256(b"probes"),
        drift_bound_ppm: 2_000,
    };
    twins.bind(owner.sender(), agent, &terms).await.expect("bound");

    let file = market.deployed.file.to_string_lossy().into_owned();
    // The coordinator records paid invocations, so that their payers may give feedback.
    let reputation = owner.chain().twin_reputation().expect("deployed");
    let recorder =
        TwinReputation::grantRoleCall { role: keccak256("PAYER_RECORDER_ROLE"), account: delegate };
    owner.sender().call(market.deployed.deployment.twin_reputation, recorder).await.expect("role");
    let flags = ["--twin-memory", memory.url.as_str(), "--record-invocations"];
    let coordinator = Coordinator::start(
        market.anvil.url().as_str(),
        &file,
        &store.url,
        8,
        Some(KEYS[3]),
        &flags,
    );
    let invoke = |id: &str| format!("{}/v1/twins/{id}/invoke", coordinator.url);
    let http = reqwest::Client::new();
    let input = volatility_input();

    // Paid to the worker at the release's price; the answer is the twin's, computed here alike,
    // and what the user said is remembered.
    let earned = market.balance(me).await;
    let mut told = input.clone();
    told["message"] = json!("I live in Lisbon and I work as a treasurer for a DAO.");
    let paid = pay(&http, &invoke(&agent.to_string()), Some(&told), &payer()).await.expect("pays");
    assert_eq!(paid.status, 200, "{:?}\n{}", paid.body, server.log());
    assert_eq!(paid.paid.expect("a 402 came first").pay_to, me);
    assert_eq!(market.balance(me).await, earned + price_of_volatility());
    assert!(paid.body["remembered"].as_u64().is_some_and(|n| n >= 1), "{}", paid.body);
    let mut runtime = Runtime::new();
    runtime.add(&ModelPackage::load(shipped("volatility")).expect("package")).expect("added");
    let twin = TwinModel { id: agent.to::<u64>() };
    let parsed = parse_input(&input.to_string()).expect("input");
    let expected = invoke_twin(&runtime, twin, release, &profile, &parsed).expect("invoked");
    let body = paid.body;
    for part in ["numbers", "strings", "jsons"] {
        assert_eq!(body[part], output_json(&expected)[part], "{part}");
    }
    assert_eq!(body["outputHash"], serde_json::json!(expected.commitment()));
    assert_eq!(body["strings"][0]["name"], "decision");
    let names = &body["jsons"];
    assert_eq!(names[0], serde_json::json!({ "name": "twin", "value": agent.to_string() }));
    assert_eq!(names[1]["value"], release.to_string());
    assert_eq!(names[2]["value"], keccak256(&profile).to_string());

    // A later invocation recalls it by meaning; the namespace's root is on chain.
    let mut asked = input.clone();
    asked["message"] = json!("Where does the user live?");
    let again =
        pay(&http, &invoke(&agent.to_string()), Some(&asked), &payer()).await.expect("pays");
    assert_eq!(again.status, 200, "{:?}", again.body);
    let memories = again.body["memories"].as_array().expect("memories recalled").clone();
    assert!(memories.iter().any(|m| m["memory"].as_str().is_some_and(|t| t.contains("Lisbon"))));
    let info = registry.namespace_info(namespace).await.expect("rpc").expect("namespace");
    assert_eq!(info.seq, 1, "the first exchange's root was signed onto the chain: {info:?}");
    assert_eq!(
        (info.count, again.body["remembered"].clone()),
        (2, json!(0)),
        "a question keeps nothing: {}",
        again.body
    );
    let earned = earned + price_of_volatility();

    // Both paid invocations are recorded: the payer may give feedback, once per invocation; someone
    // who paid nothing may not.
    let payer_address = address(verigrad_testkit::x402::PAYER_KEY);
    let recorded = eventually("both invocations recorded", Duration::from_secs(20), || async {
        let paid = reputation.paid_invocations(agent, payer_address).await.expect("read");
        (paid == 2).then_some(paid)
    })
    .await;
    assert_eq!(recorded, 2);
    let client =
        market.deployed.account(market.anvil.url(), verigrad_testkit::x402::PAYER_KEY).await;
    reputation.give_feedback(client.sender(), agent, 90, "volatility").await.expect("feedback");
    let stranger = market.deployed.account(market.anvil.url(), KEYS[5]).await;
    let refused = reputation.give_feedback(stranger.sender(), agent, 0, "volatility").await;
    let revert = refused.expect_err("feedback without a paid invocation").to_string();
    assert!(revert.contains("FeedbackNotPaidFor"), "{revert}");

    // Refused before any payment: no such twin, a malformed id, and a profile that no longer
    // hashes to the binding (metadata changes at once; the binding's profile only after a delay).
    let spent = market.balance(address(verigrad_testkit::x402::PAYER_KEY)).await;
    let refused = |id: &'static str| {
        let (http, url) = (http.clone(), invoke(id));
        let input = input.clone();
        async move { http.post(url).json(&input).send().await.expect("answered") }
    };
    let unknown = refused("99").await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.expect("body").contains("no twin 99"));
    assert_eq!(refused("zero").await.status(), 400);
    twins.publish_profile(owner.sender(), agent, b"{\"name\":\"swapped\"}").await.expect("set");
    let swapped = pay(&http, &invoke(&agent.to_string()), Some(&input), &payer()).await;
    let swapped = swapped.expect("answered");
    assert_eq!(swapped.status, 422, "{:?}", swapped.body);
    assert!(
        swapped.body.to_string().contains("does not hash to its binding"),
        "{:?}",
        swapped.body
    );
    assert_eq!(market.balance(address(verigrad_testkit::x402::PAYER_KEY)).await, spent);
    assert_eq!(market.balance(me).await, earned + price_of_volatility(), "nothing more paid");
}
