//! `--pipe-bench`: blocks of PIPE transactions on one pipe-node, answered by the three staked
//! workers against the same blocks answered by pipe-node's own runtime — in one run, on one chain,
//! round after round, so that the ratio is what carries across machines.
//!
//! With the miner paused (`evm_setAutomine false`), each round sends TXS direct VANILLA calls of
//! `verigrad/volatility` one after another — `eth_sendRawTransaction` answers once the transaction
//! is pre-executed, so its round trip is the arrival → answer latency — then builds the block with
//! `evm_mine` and times that call; once with `pipe_setInference network`, once `local`.

use std::time::{Duration, Instant};

use alloy::{
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, address},
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use anyhow::Context as _;
use serde_json::Value;
use verigrad_testkit::{DEPLOYER_KEY, Node, market::vanilla_call, tokens};

use crate::network::Network;

/// The PIPE precompile.
const PIPE: Address = address!("00000000000000000000000000000000000000F4");

/// Gas a call is given: well above what one uses, and 64 of them fit a 30 M block.
const GAS: u64 = 300_000;

/// What one block measured.
#[derive(Debug, Default)]
struct Sample {
    /// Each transaction's `eth_sendRawTransaction` round trip.
    arrivals: Vec<Duration>,
    /// The `evm_mine` round trip.
    build: Duration,
}

/// Runs `rounds` rounds of a `txs`-transaction block per answer source and prints the figures.
pub(crate) async fn run(network: &Network, txs: usize, rounds: usize) -> anyhow::Result<()> {
    println!(
        "== PIPE bench: {rounds} round(s) of a block of {txs} PIPE transactions (VANILLA, verigrad/volatility),"
    );
    println!(
        "   answered by the staked workers (worker1-3) and by pipe-node's own runtime in turn"
    );
    let market = &network.market;
    let signer: PrivateKeySigner = DEPLOYER_KEY.parse()?;
    let deployer = market.account(DEPLOYER_KEY).await;
    let settlement = deployer.chain().settlement()?;
    let calls = u64::try_from(txs * rounds)?;
    settlement.deposit(deployer.sender(), signer.address(), tokens(calls + 1)).await?;
    let provider = ProviderBuilder::new().connect_http(market.chain.url());
    let wallet = EthereumWallet::from(signer.clone());
    let chain_id = provider.get_chain_id().await?;
    let mut nonce = provider.get_transaction_count(signer.address()).await?;
    let rpc = |method: &'static str, params: Value| {
        let provider = provider.clone();
        async move {
            provider
                .raw_request::<_, Value>(method.into(), params)
                .await
                .with_context(|| method.to_string())
        }
    };
    rpc("evm_setAutomine", serde_json::json!([false])).await?;
    let mut network_samples = Vec::new();
    let mut local_samples = Vec::new();
    for round in 0..rounds {
        for source in ["network", "local"] {
            rpc("pipe_setInference", serde_json::json!([source])).await?;
            let mut sample = Sample::default();
            for i in 0..txs {
                let salt = (round * 2 + usize::from(source == "local")) * txs + i;
                let tx = TransactionRequest::default()
                    .with_to(PIPE)
                    .with_input(vanilla_call(market.volatility, i128::try_from(salt)?).abi_encode())
                    .with_nonce(nonce)
                    .with_chain_id(chain_id)
                    .with_gas_limit(GAS)
                    .with_max_fee_per_gas(3_000_000_000)
                    .with_max_priority_fee_per_gas(1_000_000_000);
                nonce += 1;
                let raw = tx.build(&wallet).await?.encoded_2718();
                let started = Instant::now();
                // The node answers once the transaction is pre-executed: its receipt comes with
                // the block, which the paused miner leaves to `evm_mine`.
                let _pending = provider.send_raw_transaction(&raw).await?;
                sample.arrivals.push(started.elapsed());
            }
            let started = Instant::now();
            rpc("evm_mine", serde_json::json!([])).await?;
            sample.build = started.elapsed();
            let head = provider.get_block_number().await?;
            let results =
                rpc("pipe_getBlockResults", serde_json::json!([format!("{head:#x}")])).await?;
            check(&results, txs, source == "network")?;
            println!(
                "  round {} {source:>7}: block {head} built in {:>7.1} ms; arrival -> answer p50 {:.1} ms",
                round + 1,
                ms(sample.build),
                ms(percentile(&sample.arrivals, 50)),
            );
            if source == "network" {
                network_samples.push(sample)
            } else {
                local_samples.push(sample)
            }
        }
    }
    rpc("pipe_setInference", serde_json::json!(["auto"])).await?;
    rpc("evm_setAutomine", serde_json::json!([true])).await?;
    report(&network_samples, &local_samples);
    Ok(())
}

/// Fails unless the block answered all `txs` calls, signed by the network when `signed`.
fn check(results: &Value, txs: usize, signed: bool) -> anyhow::Result<()> {
    let results = results["results"].as_array().context("the block's PIPE results")?;
    let answered = results.iter().filter(|r| r["status"] == "answered").count();
    let attested = results.iter().filter(|r| r.get("attestation").is_some()).count();
    anyhow::ensure!(answered == txs, "{answered} of {txs} calls answered");
    anyhow::ensure!(attested == if signed { txs } else { 0 }, "{attested} signed answers");
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

/// The `p`-th percentile of `samples` (nearest rank).
fn percentile(samples: &[Duration], p: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// Prints the medians over rounds and the ratio.
fn report(network: &[Sample], local: &[Sample]) {
    let median_build =
        |samples: &[Sample]| percentile(&samples.iter().map(|s| s.build).collect::<Vec<_>>(), 50);
    let arrivals =
        |samples: &[Sample]| samples.iter().flat_map(|s| s.arrivals.clone()).collect::<Vec<_>>();
    let (net, own) = (median_build(network), median_build(local));
    println!();
    println!("  answers from        block build (median)   arrival -> answer p50 / p99");
    for (name, build, samples) in [("the workers", net, network), ("pipe-node", own, local)] {
        let arrivals = arrivals(samples);
        println!(
            "  {name:<18} {:>10.1} ms            {:>6.1} / {:>6.1} ms",
            ms(build),
            ms(percentile(&arrivals, 50)),
            ms(percentile(&arrivals, 99))
        );
    }
    println!(
        "  build with the network's answers / with its own: {:.2}x",
        net.as_secs_f64() / own.as_secs_f64().max(f64::MIN_POSITIVE)
    );
}
