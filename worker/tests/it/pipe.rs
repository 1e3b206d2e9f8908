//! PIPE answered by the staked worker network, end to end on one pipe-node: real `worker run
//! --listen` processes and a coordinator answer a dApp's TEE call (three agreeing) and a direct
//! VANILLA call (one), each signed and paid in its block; a crashed worker is routed around; with
//! every worker down a call fails cleanly in its block; replay checks every signature and fails on
//! a tampered one; a faulty worker's signed answer is disputed and slashed, by hand and by a
//! verifier's audit.

use std::{sync::Arc, time::Duration};

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, Bytes, U256},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use serde_json::{Value, json};
use verigrad_contracts::{ChainError, PipeDisputes, Ruling, bindings::RiskGate};
use verigrad_pipe::{ADDRESS, PipeRequest};
use verigrad_pipe_node::{
    ReplayChecks, block::BlockRecord, chain::Chain, genesis::Genesis, network::Contracts, replay,
    replay::ReplayError,
};
use verigrad_testkit::{
    DEPLOYER_KEY, Node, PipeDapps, free_port,
    market::{Enrollment, KEYS, Market, MarketOptions, eventually, vanilla_call},
    tokens,
    x402::volatility_input,
};

/// A well-collateralised position for `RiskGate` (the risk model scores it low).
const SAFE: [(i128, i128); 8] =
    [(300, 2), (5, 2), (20, 2), (75, 1), (40, 1), (0, 0), (1, 3), (1, 0)];

/// What each answering worker earns of a 1-token price: 90 % (5 % royalty, 5 % protocol fee),
/// shared by the signers.
fn share(signers: u64) -> U256 {
    tokens(9) / U256::from(10 * signers)
}

#[tokio::test(flavor = "multi_thread")]
async fn pipe_calls_are_answered_signed_and_paid_by_the_staked_workers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let coordinator_port = free_port();
    let mut options = MarketOptions::hybrid(coordinator_port);
    options.node.dir = Some(dir.path().join("node"));
    let mut market = Market::open_with(options).await;

    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let endpoints: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let enrollments: Vec<Enrollment<'_>> = (0..3)
        .map(|i| Enrollment { key: KEYS[i], roles: "compute", endpoint: &endpoints[i] })
        .collect();
    let workers = market.register_all(&enrollments).await;
    let mut processes: Vec<_> = (0..3)
        .map(|i| {
            let listen = format!("--listen=127.0.0.1:{}", ports[i]);
            market.spawn(KEYS[i], &format!("answerer{i}"), &[&listen])
        })
        .collect();
    for endpoint in &endpoints {
        let health = format!("{endpoint}/health");
        eventually("a worker to answer PIPE requests", Duration::from_secs(60), || async {
            reqwest_ok(&health).await.then_some(())
        })
        .await;
    }
    let _coordinator = market.coordinator(coordinator_port);
    let dapps = PipeDapps::on(&market.chain);
    let deployer = market.account(DEPLOYER_KEY).await;
    let settlement = deployer.chain().settlement().expect("PipeSettlement deployed");
    for payer in [dapps.risk_gate, deployer.address()] {
        settlement.deposit(deployer.sender(), payer, tokens(10)).await.expect("deposit");
    }
    let rpc = deployer.chain().rpc().clone();

    // TEE: RiskGate's call is answered by three staked workers that agree, and paid by RiskGate.
    let open = RiskGate::openPositionCall {
        collateral: alloy::primitives::aliases::U96::from(300),
        debt: alloy::primitives::aliases::U96::from(100),
        features: SAFE
            .iter()
            .map(|&(value, decimals)| RiskGate::Number { value, decimals })
            .collect(),
    };
    let receipt = deployer.sender().call(dapps.risk_gate, open).await.expect("the position opens");
    let tee = block_results(&rpc, receipt.block_number.expect("mined")).await;
    let signers = signers_of(&tee[0]);
    assert_eq!(signers.len(), 3, "a TEE answer needs three agreeing workers: {tee:?}");
    assert!(signers.iter().all(|s| workers.contains(s)));
    assert_eq!(settlement.balance_of(dapps.risk_gate).await.expect("balance"), tokens(9));
    for worker in &workers {
        assert_eq!(settlement.claimable(*worker).await.expect("claimable"), share(3));
    }

    // VANILLA: one staked worker answers the deployer's own call, which the deployer pays.
    let vanilla = |shift| vanilla_call(market.volatility, shift);
    let receipt = deployer.sender().call(ADDRESS, vanilla(0)).await.expect("answered");
    let answered = block_results(&rpc, receipt.block_number.expect("mined")).await;
    assert_eq!(signers_of(&answered[0]).len(), 1, "{answered:?}");
    assert_eq!(settlement.balance_of(deployer.address()).await.expect("balance"), tokens(9));

    // The same endpoints sell inference over x402: the coordinator lists the models its workers
    // serve at the registry's price, and routes a paid request to one, which settles on this chain.
    let coordinator = format!("http://127.0.0.1:{coordinator_port}");
    market.publish_packages().await; // the coordinator names models by the store's index
    let listed: Value = alloy::transports::http::reqwest::get(format!("{coordinator}/v1/models"))
        .await
        .expect("GET /v1/models")
        .json()
        .await
        .expect("JSON");
    let volatility = listed["data"]
        .as_array()
        .and_then(|models| models.iter().find(|m| m["id"] == json!(market.volatility)))
        .unwrap_or_else(|| panic!("the coordinator lists the volatility model: {listed}"));
    assert_eq!(
        (&volatility["workers"], &volatility["price"]),
        (&json!(3), &json!("1000000000000000000"))
    );
    let url = format!("{coordinator}/v1/models/verigrad/volatility/infer");
    let client = alloy::transports::http::reqwest::Client::new();
    let payer = DEPLOYER_KEY.parse().expect("key");
    let paid = verigrad_x402::pay(&client, &url, Some(&volatility_input()), &payer).await;
    let paid = paid.expect("pays");
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    assert!(workers.contains(&paid.paid.expect("a 402 came first").pay_to));
    assert!(paid.settlement.expect("settled").success);

    // A crashed worker is routed around: the call is answered by another.
    processes[0].kill();
    let receipt = deployer.sender().call(ADDRESS, vanilla(1)).await.expect("answered");
    let answered = block_results(&rpc, receipt.block_number.expect("mined")).await;
    let signers = signers_of(&answered[0]);
    assert!(signers.len() == 1 && signers[0] != workers[0], "{answered:?}");

    // Signers that leave between an answer's arrival and its block: a call waiting behind a nonce
    // gap is answered as it arrives, then every worker unbonds before the gap is filled. The build
    // re-checks the answer on the state it builds on and asks again — nobody is staked now, so the
    // call fails in its block instead of committing an answer replay would refuse (checked below).
    let late_payer: PrivateKeySigner = KEYS[5].parse().expect("key");
    let payer_address = late_payer.address();
    settlement.deposit(deployer.sender(), payer_address, tokens(1)).await.expect("deposit");
    let wallet = ProviderBuilder::new()
        .wallet(EthereumWallet::from(late_payer))
        .connect_http(market.chain.url());
    let nonce = wallet.get_transaction_count(payer_address).await.expect("nonce");
    let late_call = vanilla(3);
    let late = PipeRequest::decode(&late_call.abi_encode()).expect("a PIPE call").id;
    let gapped = TransactionRequest::default()
        .with_to(ADDRESS)
        .with_input(late_call.abi_encode())
        .with_nonce(nonce + 1)
        .with_gas_limit(2_000_000);
    let waiting = wallet.send_transaction(gapped).await.expect("pooled behind the gap");
    for key in &KEYS[..3] {
        market.account(key).await.unbond(None).await.expect("unbond");
    }
    let filler = TransactionRequest::default().with_to(payer_address).with_nonce(nonce);
    let _filled = wallet.send_transaction(filler).await.expect("fills the gap");
    let receipt = waiting.get_receipt().await.expect("mined");
    assert!(!receipt.status(), "the call fails: no staked worker is left to answer it");
    let result: Value =
        rpc.provider().raw_request("pipe_getResult".into(), (late,)).await.expect("result");
    let error = result["error"].as_str().unwrap_or_default();
    assert!(error.contains("no staked worker"), "{result}");
    assert_eq!(settlement.balance_of(payer_address).await.expect("balance"), tokens(1));

    // Every worker down: the call fails in its block, naming why, and nobody is paid for it.
    for process in &mut processes {
        process.kill();
    }
    let call = vanilla(2);
    let id = PipeRequest::decode(&call.abi_encode()).expect("a PIPE call").id;
    let failed = deployer.sender().call(ADDRESS, call).await;
    assert!(matches!(failed, Err(ChainError::TxReverted { .. })), "{failed:?}");
    let result: Value =
        rpc.provider().raw_request("pipe_getResult".into(), (id,)).await.expect("result");
    assert_eq!(result["status"], "failed", "{result}");
    let error = result["error"].as_str().unwrap_or_default();
    assert!(error.contains("no worker answered"), "{error}");
    assert_eq!(settlement.balance_of(deployer.address()).await.expect("balance"), tokens(8));

    // Replay checks every signature and signer; a tampered signature fails it.
    let contracts = Contracts::of(&market.deployed.deployment);
    market.chain.stop();
    let chain = Chain::open(
        &dir.path().join("node/pipe-node"),
        Genesis::dev(0, 0, 0, 0, 0, 0).expect("genesis"),
    )
    .expect("the chain");
    let checks = ReplayChecks { contracts, recompute: None };
    let report = replay(chain.genesis(), chain.blocks(), &checks).expect("replays");
    assert_eq!(report.signed_answers, 3);
    let tampered = tamper(chain.blocks());
    let refused = replay(chain.genesis(), &tampered, &checks);
    assert!(matches!(refused, Err(ReplayError::Answer { .. })), "{refused:?}");
}

/// The chain with one signed answer's first signature altered.
fn tamper(blocks: &[Arc<BlockRecord>]) -> Vec<Arc<BlockRecord>> {
    let mut blocks = blocks.to_vec();
    let (index, id) = blocks
        .iter()
        .enumerate()
        .find_map(|(i, block)| {
            let (id, _) = block
                .pipe
                .results
                .iter()
                .find(|(_, r)| r.as_ref().is_ok_and(|answer| answer.attestation.is_some()))?;
            Some((i, *id))
        })
        .expect("a signed answer");
    let mut block = (*blocks[index]).clone();
    let resolution = block.pipe.results.get_mut(&id).expect("the result");
    let answer = resolution.as_mut().expect("an answer");
    let mut forged = (**answer).clone();
    let attestation = forged.attestation.as_mut().expect("signed");
    let mut signature = attestation.signatures[0].signature.to_vec();
    signature[10] ^= 1;
    attestation.signatures[0].signature = Bytes::from(signature);
    *answer = Arc::new(forged);
    blocks[index] = Arc::new(block);
    blocks
}

async fn reqwest_ok(url: &str) -> bool {
    alloy::transports::http::reqwest::get(url).await.is_ok_and(|r| r.status().is_success())
}

/// `pipe_getBlockResults(block).results`.
async fn block_results(rpc: &verigrad_contracts::Rpc, block: u64) -> Vec<Value> {
    let number = format!("{block:#x}");
    let results: Value = rpc
        .provider()
        .raw_request("pipe_getBlockResults".into(), (number,))
        .await
        .expect("results");
    results["results"].as_array().cloned().unwrap_or_default()
}

/// The workers that signed a result.
fn signers_of(result: &Value) -> Vec<Address> {
    result["attestation"]["signatures"]
        .as_array()
        .map(|signatures| {
            signatures.iter().filter_map(|s| s["worker"].as_str()?.parse().ok()).collect()
        })
        .unwrap_or_default()
}

/// A market on one pipe-node where only a faulty worker answers PIPE requests, and the deployer's
/// VANILLA call it answered wrongly: honest compute+verify workers and a verifier run the tasks,
/// each `worker run` given `verifier_flags` (the last is the verifier's). Returns the market, the
/// liar, the request id, and the running processes.
async fn a_wrong_vanilla_answer(
    verifier_flags: [&str; 4],
) -> (Market, Address, alloy::primitives::B256, Vec<verigrad_testkit::market::WorkerProcess>) {
    let (coordinator_port, answer_port) = (free_port(), free_port());
    let options = MarketOptions::hybrid(coordinator_port);
    let market = Market::open_with(options).await;
    let endpoint = format!("http://127.0.0.1:{answer_port}");
    let enrollments = [
        Enrollment { key: KEYS[0], roles: "compute,verify", endpoint: "" },
        Enrollment { key: KEYS[1], roles: "compute,verify", endpoint: "" },
        Enrollment { key: KEYS[2], roles: "compute,verify", endpoint: "" },
        Enrollment { key: KEYS[3], roles: "verify", endpoint: "" },
        Enrollment { key: KEYS[4], roles: "compute", endpoint: &endpoint },
    ];
    let workers = market.register_all(&enrollments).await;
    let mut processes: Vec<_> = (0..4)
        .map(|i| market.spawn(KEYS[i], &format!("honest{i}"), &[verifier_flags[i]]))
        .collect();
    let listen = format!("--listen=127.0.0.1:{answer_port}");
    processes.push(market.spawn(KEYS[4], "liar", &["--faulty", &listen]));
    eventually("the liar to answer PIPE requests", Duration::from_secs(60), || async {
        reqwest_ok(&format!("{endpoint}/health")).await.then_some(())
    })
    .await;
    processes.push(market.coordinator(coordinator_port));
    let deployer = market.account(DEPLOYER_KEY).await;
    let settlement = deployer.chain().settlement().expect("PipeSettlement deployed");
    settlement.deposit(deployer.sender(), deployer.address(), tokens(10)).await.expect("deposit");
    let call = vanilla_call(market.volatility, 0);
    let request = PipeRequest::decode(&call.abi_encode()).expect("a PIPE call").id;
    let receipt = deployer.sender().call(ADDRESS, call).await.expect("answered (wrongly)");
    let answered =
        block_results(deployer.chain().rpc(), receipt.block_number.expect("mined")).await;
    assert_eq!(signers_of(&answered[0]), [workers[4]], "the liar signed it: {answered:?}");
    (market, workers[4], request, processes)
}

/// A faulty worker's signed VANILLA answer, disputed by a node whose own execution contradicts it:
/// the dispute's DEEP task re-executes the request (its input is the request itself, found by its
/// id in the store) and the signer is slashed.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_signed_answer_is_disputed_and_slashed() {
    // No verifier audits here: the deployer disputes by hand.
    let (market, liar, request, _processes) = a_wrong_vanilla_answer(["--audit-bps=0"; 4]).await;
    let stake_before = market.status(liar).await.stake;

    let dispute = |args: &[&str]| {
        let mut command = market.command(Some(DEPLOYER_KEY), &["pipe"]);
        command.args(args);
        command.output().expect("worker pipe")
    };
    let models = verigrad_testkit::repo().join("models").display().to_string();
    // An audit of the chain at full rate, without disputing, finds the one wrong answer.
    let audited = dispute(&["audit", "--models", &models]);
    let said = String::from_utf8_lossy(&audited.stdout).to_string();
    assert!(audited.status.success(), "{said}{}", String::from_utf8_lossy(&audited.stderr));
    assert!(said.contains("audited 1 of 1 signed VANILLA answers: 1 wrong, 0 disputed"), "{said}");
    // The disputer follows the dispute's task to the committee's decision, then resolves it.
    let disputed = dispute(&["dispute", &request.to_string(), "--models", &models]);
    let said = String::from_utf8_lossy(&disputed.stdout).to_string();
    assert!(disputed.status.success(), "{said}{}", String::from_utf8_lossy(&disputed.stderr));
    assert!(said.contains(&format!("{liar}'s answer")), "{said}");
    assert!(said.contains("Upheld"), "{said}");
    assert!(market.status(liar).await.stake < stake_before, "the liar was slashed");
}

/// The network's own audit: a verifier running `worker run --audit-bps 10000` draws the liar's
/// VANILLA answer after its block, re-runs it, disputes it and sees the dispute through. The liar
/// loses stake; the auditor is owed more than the bond it put up.
#[tokio::test(flavor = "multi_thread")]
async fn the_audit_catches_a_wrong_vanilla_answer_and_the_liar_is_slashed() {
    let flags = ["--audit-bps=0", "--audit-bps=0", "--audit-bps=0", "--audit-bps=10000"];
    let (market, liar, _request, _processes) = a_wrong_vanilla_answer(flags).await;
    let stake_before = market.status(liar).await.stake;
    let deployer = market.account(DEPLOYER_KEY).await;
    let (rpc, disputes) = (deployer.chain().rpc(), market.deployed.deployment.pipe_disputes);
    let first = U256::from(1);
    let ruling =
        eventually("the audit's dispute to be ruled", Duration::from_secs(240), || async {
            let dispute =
                rpc.view(disputes, PipeDisputes::disputeOfCall { disputeId: first }).await;
            dispute.ok().filter(|d| d.ruling != Ruling::Open).map(|d| (d.ruling, d.disputer))
        })
        .await;
    let auditor = verigrad_testkit::address(KEYS[3]);
    assert_eq!(ruling, (Ruling::Upheld, auditor), "the verifier's audit disputed it, and won");
    assert!(market.status(liar).await.stake < stake_before, "the liar was slashed");
    let bond = rpc.view(disputes, PipeDisputes::disputeBondCall {}).await.expect("bond");
    let owed = rpc.view(disputes, PipeDisputes::claimableCall { account: auditor }).await;
    assert!(owed.expect("claimable") > U256::from(bond), "the auditor earned a bounty");
}
