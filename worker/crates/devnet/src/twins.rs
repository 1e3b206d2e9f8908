//! Twins: the requester registers a twin (an ERC-8004 identity) bound to `verigrad/volatility` 1.0.0,
//! the risk desk's profile and a drift bound over 256 probe windows; pays to invoke it through the
//! coordinator, and asks PIPE for `twin:<id>` on the same input (the same answer); proposes two upgrades that the verifiers check — another architecture, refused, and
//! the model retrained from other seeds, passed — and invokes it again on its new release. The
//! binding's history ends the story.

use std::time::Duration;

use alloy::{
    primitives::{B256, U256, aliases::U96, keccak256},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
    transports::http::reqwest,
};
use serde_json::Value;
use verigrad_blobs::StoreClient;
use verigrad_contracts::{
    TwinRegistryClient, TwinTerms,
    bindings::TwinRegistry::{CheckStatus, DriftCheck},
};
use verigrad_inference::{ModelInferenceRequest, runModelInferenceCall};
use verigrad_inference::{ModelPackage, training};
use verigrad_testkit::{
    DEPLOYER_KEY, LocalChain,
    market::{package_dir, volatility_input},
    tokens,
};

use crate::network::{Network, actor, vgd};

/// The demo's compute workers: they serve the new releases too, to answer for the twin once it moves
/// (the drift checks' committees come from the verifiers of the twin's current release).
const COMPUTE: [&str; 3] = ["worker1", "worker2", "worker3"];

/// Runs the story; fails unless the refused and the passed check end as the docs say.
pub(crate) async fn run(network: &mut Network) -> anyhow::Result<()> {
    println!(
        "\n== Twins: an identity pinned to a release, a profile and a drift bound; moved only by a drift check"
    );
    let market = &network.market;
    let store = StoreClient::new(market.store_url.clone());
    let mut upgrades = Vec::new();
    for (dir, version) in [("volatility-1.0.1", "1.0.1"), ("volatility-2.0.0", "2.0.0")] {
        let dir = package_dir("twins").join(dir);
        let package = ModelPackage::load(&dir)?;
        store.publish(&package, |_| {}).await?;
        let released = network.release_package(&dir)?;
        println!("  the model owner releases verigrad/volatility {version}: {released}");
        upgrades.push(released);
    }
    for name in COMPUTE {
        let key = actor(name).key.expect("a worker's key");
        for release in &upgrades {
            network.worker(key, &["models", "serve", &release.to_string()]).await?;
        }
    }
    println!(
        "  worker1-3 serve both (`worker models serve`): their running `worker run` pulls and loads them, no restart"
    );

    let owner = market.account(DEPLOYER_KEY).await;
    let twins = network.chain.twins()?;
    let agent = twins.register(owner.sender(), "https://example.org/risk-desk.json").await?;
    let profile = std::fs::read(package_dir("twins").join("risk-desk.profile.json"))?;
    twins.publish_profile(owner.sender(), agent, &profile).await?;
    let probes = training::volatility_probes(256)?;
    let probe_set = store.put(probes.encode()).await?;
    let terms = TwinTerms {
        release: market.volatility,
        profile_hash: keccak256(&profile),
        memory_namespace: B256::ZERO,
        probe_set_hash: probe_set,
        drift_bound_ppm: 2_000,
    };
    twins.bind(owner.sender(), agent, &terms).await?;
    println!(
        "  the requester registers twin {agent} (risk-desk): volatility 1.0.0, profile {}, 256 probes in the store, bound 2 000 ppm",
        terms.profile_hash
    );

    let first = invoke(network, agent).await?;
    if matches!(market.chain, LocalChain::PipeNode(_)) {
        through_pipe(network, agent, &first).await?;
    }

    let fee = tokens(1);
    owner.chain().token().approve(owner.sender(), twins.address(), fee * U256::from(2)).await?;
    for (&to, version, expected) in [
        (&upgrades[1], "2.0.0, another architecture", CheckStatus::Refused),
        (&upgrades[0], "1.0.1, retrained from other seeds", CheckStatus::Passed),
    ] {
        let check =
            twins.propose_upgrade(owner.sender(), agent, to, U96::from(fee.to::<u128>())).await?;
        let decided = decided(&twins, check).await?;
        println!(
            "  upgrade to {version}: check {check}; the verifiers of 1.0.0 (their `worker run`) drew a committee, measured, committed and revealed\n    -> {:?} at an agreed {} ppm (bound 2 000)",
            decided.status, decided.agreedPpm
        );
        anyhow::ensure!(
            decided.status == expected,
            "check {check} ended {:?}, not {expected:?}",
            decided.status
        );
    }

    // The compute workers loaded the new release when they started serving it: they answer for the
    // twin on it.
    invoke(network, agent).await?;

    let key = DEPLOYER_KEY;
    let history = network.worker(key, &["twins", "status", "--twin", &agent.to_string()]).await?;
    println!("  worker twins status --twin {agent}:");
    for line in history.lines() {
        println!("    {line}");
    }
    Ok(())
}

/// Pays the coordinator for one invocation of twin `agent` and prints what it answered; the answer.
async fn invoke(network: &Network, agent: U256) -> anyhow::Result<Value> {
    let url = format!("{}/v1/twins/{agent}/invoke", network.coordinator);
    let payer: PrivateKeySigner = DEPLOYER_KEY.parse()?;
    let client = reqwest::Client::new();
    let (input, _) = volatility_input();
    let input: Value = serde_json::from_str(&input)?;
    let paid = verigrad_x402::pay(&client, &url, Some(&input), &payer).await?;
    anyhow::ensure!(paid.status == 200, "HTTP {}: {}", paid.status, paid.body);
    let amount = paid.paid.as_ref().map_or(U256::ZERO, |offer| offer.amount);
    let body = paid.body;
    let named = |i: usize| body["jsons"][i]["value"].as_str().unwrap_or("?").to_owned();
    println!(
        "  POST {url} (x402, paid {} VGD): volatility {} -> {}; answered by release {} with profile {}",
        vgd(amount),
        body["numbers"][0]["values"][0].as_str().unwrap_or("?"),
        body["strings"][0]["values"][0].as_str().unwrap_or("?"),
        named(1),
        named(2),
    );
    Ok(body)
}

/// Asks PIPE for `twin:<agent>` on the same input, in ZKML mode (a twin's: the node re-executes it), by
/// an `eth_call` on pipe-node as a contract's call would, and checks that it answers what the x402
/// door did.
async fn through_pipe(network: &Network, agent: U256, x402: &Value) -> anyhow::Result<()> {
    let (_, input) = volatility_input();
    let model = format!("twin:{agent}");
    let call = runModelInferenceCall {
        request: ModelInferenceRequest { mode: 1, modelCID: model.clone(), input },
    };
    let tx =
        TransactionRequest::default().to(verigrad_pipe::ADDRESS).input(call.abi_encode().into());
    let returned = network.chain.rpc().provider().call(tx).await?;
    let output = runModelInferenceCall::abi_decode_returns(&returned)?;
    let decision =
        output.strings.first().and_then(|t| t.values.first()).map_or("?", String::as_str);
    let same = x402["outputHash"].as_str() == Some(output.commitment().to_string().as_str());
    println!(
        "  PIPE runModelInference(ZKML, \"{model}\", same input) on pipe-node -> {decision}, output {} ({})",
        output.commitment(),
        if same { "the x402 answer's, bit for bit" } else { "NOT the x402 answer's" }
    );
    anyhow::ensure!(same, "PIPE and x402 answered twin {agent} differently");
    Ok(())
}

/// Check `check` once decided (the verifiers' daemons play it out); fails after two minutes.
async fn decided(twins: &TwinRegistryClient, check: U256) -> anyhow::Result<DriftCheck> {
    let started = std::time::Instant::now();
    loop {
        let now = twins.check(check).await?;
        if matches!(now.status, CheckStatus::Passed | CheckStatus::Refused | CheckStatus::Void) {
            return Ok(now);
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "check {check} is still {:?} after two minutes ({} of {} committed, {} revealed); see .devnet/workers/*.log",
            now.status,
            now.commits,
            now.size,
            now.reveals
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
