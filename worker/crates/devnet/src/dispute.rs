//! The demo's last act: a worker that signs a wrong PIPE answer is disputed and slashed. liar6
//! answers with `--faulty`; while the honest workers' PIPE endpoints are down the coordinator routes a
//! VANILLA call to it, and its wrong answer is committed and paid; an auditor re-runs the block's
//! VANILLA answers, disputes the wrong one (`worker pipe audit --dispute`), and the escrow's
//! committee decides the dispute's DEEP task. (Verifiers audit a random 5 % of answers by themselves;
//! this auditor checks them all.)

use std::time::Duration;

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    sol_types::SolCall,
};
use serde_json::Value;
use verigrad_pipe::{ADDRESS as PIPE, PipeRequest};
use verigrad_testkit::{DEPLOYER_KEY, market::vanilla_call, repo, tokens};

use crate::network::{Network, actor, vgd};

/// Runs the story; fails unless the liar's answer is disputed, upheld and its stake slashed.
pub(crate) async fn run(network: &mut Network) -> anyhow::Result<()> {
    println!(
        "\n== a lying worker: liar6 registers for compute and answers PIPE requests with --faulty"
    );
    network.register(&[("liar6", "compute")]).await;
    network.run_worker("liar6", &["--faulty"]);
    let liar = actor("liar6").address;
    wait_answering("liar6").await?;
    println!(
        "  worker1-3 stop for a moment: the coordinator routes the next VANILLA call to liar6"
    );
    for name in ["worker1", "worker2", "worker3"] {
        if let Some(mut process) = network.processes.remove(name) {
            process.terminate();
        }
    }
    let deployer = network.market.account(DEPLOYER_KEY).await;
    let settlement = network.chain.settlement()?;
    settlement.deposit(deployer.sender(), deployer.address(), tokens(1)).await?;
    let call = vanilla_call(network.market.volatility, 0);
    let request = PipeRequest::decode(&call.abi_encode()).map_err(|e| anyhow::anyhow!("{e}"))?.id;
    let receipt = deployer.sender().call(PIPE, call).await?;
    let block = receipt.block_number.unwrap_or_default();
    let results: Value = deployer
        .chain()
        .rpc()
        .provider()
        .raw_request("pipe_getBlockResults".into(), [format!("{block:#x}")])
        .await?;
    let signer = results["results"][0]["attestation"]["signatures"][0]["worker"].as_str();
    anyhow::ensure!(
        signer.and_then(|s| s.parse::<Address>().ok()) == Some(liar),
        "the VANILLA call was not answered by liar6: {results}"
    );
    println!(
        "    block {block}: request {request} answered and signed by liar6 (wrongly), paid 1 VGD"
    );
    for name in ["worker1", "worker2", "worker3"] {
        network.run_worker(name, &[]);
    }
    let before = network.market.status(liar).await.stake;
    println!(
        "  an auditor re-runs block {block}'s VANILLA answers, finds liar6's wrong and disputes it"
    );
    println!(
        "  (worker pipe audit --dispute): a DEEP task re-executes the request in the escrow's committee;"
    );
    println!("  liar6 stakes {} VGD", vgd(U256::from(before)));
    let models = repo().join("models").display().to_string();
    let block = block.to_string();
    let args =
        ["pipe", "audit", "--from", &block, "--to", &block, "--dispute", "--models", &models];
    let said = network.worker(DEPLOYER_KEY, &args).await?;
    for line in said.lines() {
        println!("    {line}");
    }
    let after = network.market.status(liar).await.stake;
    anyhow::ensure!(said.contains("Upheld") && after < before, "liar6 was not slashed");
    println!(
        "    -> liar6 slashed: stake {} -> {} VGD",
        vgd(U256::from(before)),
        vgd(U256::from(after))
    );
    Ok(())
}

/// Waits until `name` answers on its PIPE endpoint.
async fn wait_answering(name: &str) -> anyhow::Result<()> {
    let port = actor(name).answer_port.unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}/health");
    for _ in 0..120 {
        if alloy::transports::http::reqwest::get(&url).await.is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("{name} does not answer PIPE requests on {url}")
}
