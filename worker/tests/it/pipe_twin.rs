//! PIPE's `twin:<id>` end to end on one pipe-node: a twin bound to `verigrad/volatility` 1.0.0 with the
//! shipped `risk-desk` profile published is answered by a staked worker over the network — the same
//! output `invoke_twin` gives here, naming the twin, its release and its profile, billed and signed
//! for the bound release — through `eth_call` and in a block, asked in ZKML mode (re-executed by the
//! node); the paid call is recorded in the twin's reputation registry, so its payer, and nobody
//! else, may give feedback; an unknown twin, a twin whose published profile is not the one its binding pins, and a twin
//! asked in VANILLA mode fail clearly; replay checks the signature and
//! the twin's binding.

use std::time::Duration;

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{B256, U256, keccak256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use serde_json::Value;
use verigrad_contracts::TwinTerms;
use verigrad_inference::{
    ModelInferenceRequest, ModelPackage, Runtime, TwinModel, invoke_twin, runModelInferenceCall,
};
use verigrad_pipe::{ADDRESS, PipeFailure, PipeRequest};
use verigrad_pipe_node::{
    ReplayChecks, chain::Chain, genesis::Genesis, network::Contracts, replay, replay::ReplayError,
};
use verigrad_testkit::{
    DEPLOYER_KEY, Node, free_port,
    market::{Enrollment, KEYS, Market, MarketOptions, eventually, package_dir, volatility_input},
    repo, tokens,
};

/// `runModelInference` of the shared volatility input on `model`, in `mode`.
fn call_in(mode: u8, model: &str) -> runModelInferenceCall {
    let (_, input) = volatility_input();
    runModelInferenceCall { request: ModelInferenceRequest { mode, modelCID: model.into(), input } }
}

/// The same, in ZKML mode: the mode a twin is asked in.
fn call_on(model: &str) -> runModelInferenceCall {
    call_in(1, model)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_twin_answers_through_pipe_as_invoke_twin_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let coordinator_port = free_port();
    let mut options = MarketOptions::hybrid(coordinator_port);
    options.node.dir = Some(dir.path().join("node"));
    let mut market = Market::open_with(options).await;
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let enrollment = Enrollment { key: KEYS[0], roles: "compute", endpoint: &endpoint };
    let workers = market.register_all(&[enrollment]).await;
    let _worker = market.spawn(KEYS[0], "answerer", &[&format!("--listen=127.0.0.1:{port}")]);
    eventually("the worker to answer PIPE requests", Duration::from_secs(60), || async {
        let health = alloy::transports::http::reqwest::get(format!("{endpoint}/health")).await;
        health.is_ok_and(|r| r.status().is_success()).then_some(())
    })
    .await;
    let _coordinator = market.coordinator(coordinator_port);
    let deployer = market.account(DEPLOYER_KEY).await;
    let settlement = deployer.chain().settlement().expect("PipeSettlement deployed");
    let client = market.account(KEYS[4]).await;
    settlement.deposit(deployer.sender(), client.address(), tokens(10)).await.expect("deposit");

    // Two twins bound to volatility 1.0.0: one with the risk desk's profile published, one whose
    // published profile is not the document its binding pins.
    let profile =
        std::fs::read(repo().join("models/twins/risk-desk.profile.json")).expect("profile");
    let twins = deployer.chain().twins().expect("TwinRegistry deployed");
    let mut agents = Vec::new();
    for published in [&profile[..], br#"{"name":"impostor"}"#] {
        let agent = twins.register(deployer.sender(), "https://example.org/twin.json").await;
        let agent = agent.expect("registered");
        let terms = TwinTerms {
            release: market.volatility,
            profile_hash: keccak256(&profile),
            memory_namespace: B256::ZERO,
            probe_set_hash: keccak256(b"probes"),
            drift_bound_ppm: 2_000,
        };
        twins.bind(deployer.sender(), agent, &terms).await.expect("bound");
        twins.publish_profile(deployer.sender(), agent, published).await.expect("published");
        agents.push(agent.to::<u64>());
    }
    let twin = TwinModel { id: agents[0] };

    // What every door of the twin answers, computed here.
    let mut runtime = Runtime::new();
    let package = ModelPackage::load(package_dir("volatility")).expect("package");
    let release = runtime.add(&package).expect("loads");
    assert_eq!(release, market.volatility);
    let call = call_on(&twin.reference());
    let expected =
        invoke_twin(&runtime, twin, release, &profile, &call.request.input).expect("invokes");
    let names: Vec<_> = expected.jsons.iter().map(|j| (j.name.as_str(), j.value.clone())).collect();
    assert_eq!(names[0], ("twin", twin.id.to_string()));
    assert_eq!(names[1], ("release", release.to_string()));
    assert_eq!(names[2], ("profile", keccak256(&profile).to_string()));

    // eth_call resolves the twin on the head's state and answers as invoke_twin does.
    let rpc = deployer.chain().rpc().clone();
    let tx = TransactionRequest::default()
        .from(deployer.address())
        .to(ADDRESS)
        .input(call.abi_encode().into());
    let returned = rpc.provider().call(tx).await.expect("eth_call answers");
    let output = runModelInferenceCall::abi_decode_returns(&returned).expect("an output");
    assert_eq!(output, expected, "eth_call gives the twin's answer");

    // In a block: the staked worker answers, signs for the bound release, and the call pays its price.
    let receipt = client.sender().call(ADDRESS, call.clone()).await.expect("answered");
    let id = PipeRequest::decode(&call.abi_encode()).expect("a PIPE call").id;
    let result: Value =
        rpc.provider().raw_request("pipe_getResult".into(), (id,)).await.expect("result");
    assert_eq!(result["status"], "answered", "{result}");
    assert_eq!(result["outputHash"], expected.commitment().to_string(), "{result}");
    assert_eq!(result["costUnits"], package.manifest().cost_units, "priced as the release");
    assert_eq!(result["attestation"]["release"], release.to_string(), "{result}");
    let signer = &result["attestation"]["signatures"][0]["worker"];
    assert_eq!(signer.as_str().and_then(|s| s.parse().ok()), Some(workers[0]), "{result}");
    assert!(receipt.status());
    assert_eq!(settlement.balance_of(client.address()).await.expect("balance"), tokens(9));

    // Settlement recorded the paid call for the twin's reputation (the eth_call, which paid nothing,
    // was not): the client may give feedback once, and nobody who paid nothing may.
    let reputation = deployer.chain().twin_reputation().expect("TwinReputation deployed");
    let agent = U256::from(twin.id);
    let paid = reputation.paid_invocations(agent, client.address()).await.expect("read");
    assert_eq!(paid, 1, "one paid call recorded");
    reputation.give_feedback(client.sender(), agent, 90, "pipe").await.expect("feedback");
    let stranger = market.account(KEYS[5]).await;
    for (who, sender) in [("the client, again", client.sender()), ("a stranger", stranger.sender())]
    {
        let refused = reputation.give_feedback(sender, agent, 100, "pipe").await;
        let revert = refused.expect_err(who).to_string();
        assert!(revert.contains("FeedbackNotPaidFor"), "{who}: {revert}");
    }

    // An unknown twin, a twin whose profile is not its binding's and a twin asked in VANILLA mode fail
    // the call, saying why: in
    // eth_call, and in a block (sent with its own gas limit, as no estimate succeeds).
    let caller: PrivateKeySigner = KEYS[5].parse().expect("key");
    let wallet = ProviderBuilder::new()
        .wallet(EthereumWallet::from(caller))
        .connect_http(market.chain.url());
    let mismatch = format!("twin {}'s published profile does not match its binding", agents[1]);
    let vanilla = format!(
        "{} is answered in ZKML mode only (re-executed by every node); Vanilla answers are checked by audits and disputes, which do not run twins yet",
        twin.reference()
    );
    for (call, failure) in [
        (call_on("twin:999"), PipeFailure::UnknownModel("twin:999".into())),
        (call_on(&format!("twin:{}", agents[1])), PipeFailure::Failed(mismatch)),
        (call_in(0, &twin.reference()), PipeFailure::Malformed(vanilla)),
    ] {
        let model = format!("{} in mode {}", call.request.modelCID, call.request.mode);
        let tx = TransactionRequest::default().with_to(ADDRESS).with_input(call.abi_encode());
        let reverted = wallet.call(tx.clone()).await.expect_err("eth_call reverts");
        let data = reverted.as_error_resp().and_then(|e| e.as_revert_data());
        let said = data.and_then(|data| PipeFailure::from_revert_data(&data));
        assert_eq!(said.as_ref(), Some(&failure), "{model}: {reverted}");
        let sent = wallet.send_transaction(tx.with_gas_limit(2_000_000)).await.expect("pooled");
        assert!(!sent.get_receipt().await.expect("mined").status(), "{model} fails");
        let id = PipeRequest::decode(&call.abi_encode()).expect("a PIPE call").id;
        let result: Value =
            rpc.provider().raw_request("pipe_getResult".into(), (id,)).await.expect("result");
        assert_eq!(result["error"], failure.to_string(), "{model}: {result}");
    }

    // Replay checks the signature and that the answer names the twin's binding; without the
    // registry to check it against, it refuses the twin's answer.
    let contracts = Contracts::of(&market.deployed.deployment).expect("contracts");
    market.chain.stop();
    let chain = Chain::open(
        &dir.path().join("node/pipe-node"),
        Genesis::dev(0, 0, 0, 0, 0, 0).expect("genesis"),
    )
    .expect("the chain");
    let checks = ReplayChecks { contracts: Some(contracts), recompute: None };
    let report = replay(chain.genesis(), chain.blocks(), &checks).expect("replays");
    assert_eq!(report.signed_answers, 1);
    let blind = ReplayChecks { contracts: Some(Contracts { twins: None, ..contracts }), ..checks };
    let refused = replay(chain.genesis(), chain.blocks(), &blind);
    assert!(
        matches!(&refused, Err(ReplayError::Answer { request, .. }) if *request == id),
        "{refused:?}"
    );
}
