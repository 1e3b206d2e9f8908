//! The chain survives a crash (SIGKILL), and a replay from genesis with inference switched off reaches
//! the same state root; a tampered PIPE result is caught.

use std::{process::Command, sync::Arc};

use alloy::{
    network::EthereumWallet,
    primitives::U256,
    primitives::aliases::U96,
    providers::{Provider, ProviderBuilder},
};
use verigrad_pipe::Answer;
use verigrad_pipe_node::{
    block::BlockRecord,
    chain::Chain,
    genesis::{Genesis, dev_signers},
    replay::ReplayError,
};

use crate::{
    RiskGate, SAFE_POSITION, address, deploy_examples, harness::NodeProcess, mined, numbers,
    runtime,
};

/// Opens a stopped node's chain in-process.
fn open_chain(node_dir: &std::path::Path) -> Chain {
    let placeholder = Genesis::dev(0, 0, 0, 0, 0, 0).expect("genesis");
    Chain::open(node_dir, placeholder).expect("chain opens after a crash")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_node_keeps_its_chain_and_replays_from_genesis_without_models() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("chain");
    // One-second blocks, so transactions sent together share a block and its PIPE round.
    let node = NodeProcess::start(&data_dir, 31_403, 1.0).await;
    let deployments = deploy_examples(&node, &runtime());
    let gate_address = address(&deployments, "riskGate");

    let mut pending = Vec::new();
    for signer in dev_signers(5).expect("keys").into_iter().skip(1) {
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(node.url.parse().expect("url"));
        let gate = RiskGate::new(gate_address, provider);
        let mut features = SAFE_POSITION;
        features[0].0 += pending.len() as i128; // distinct requests
        pending.push(
            gate.openPosition(U96::from(300), U96::from(100), numbers(&features))
                .send()
                .await
                .expect("sent"),
        );
    }
    let mut blocks = Vec::new();
    for tx in pending {
        let receipt = tx.get_receipt().await.expect("mined");
        assert!(receipt.status());
        blocks.push(receipt.block_number.expect("number"));
    }
    let provider = node.provider();
    let head = provider.get_block_number().await.expect("head");
    let head_block = provider.get_block_by_number(head.into()).await.expect("rpc").expect("block");
    let gate = RiskGate::new(gate_address, &provider);
    assert_eq!(gate.positionCount().call().await.expect("count"), U256::from(4));
    node.kill();

    // In-process replay, with an empty runtime: every answer comes from the committed results.
    let chain = open_chain(&data_dir);
    assert_eq!(chain.head().number(), head, "nothing lost in the crash");
    let report = verigrad_pipe_node::replay(chain.genesis(), chain.blocks(), &Default::default())
        .expect("replays");
    assert_eq!(report.state_root, head_block.header.state_root);
    assert_eq!(report.pipe_results, 4);
    assert_eq!(report.blocks, head);

    // A tampered result (another answer for one request) makes the replay diverge.
    let number = blocks[0] as usize;
    let mut tampered: Vec<Arc<BlockRecord>> = chain.blocks().to_vec();
    let mut block = (*tampered[number]).clone();
    let (id, resolution) =
        block.pipe.results.iter().next().map(|(k, v)| (*k, v.clone())).expect("a result");
    let mut output = resolution.expect("answered").output.clone();
    output.numbers[0].values[0].value += 1;
    block.pipe.results.insert(id, Ok(Answer::new(output, 0)));
    tampered[number] = Arc::new(block);
    assert!(matches!(
        verigrad_pipe_node::replay(chain.genesis(), &tampered, &Default::default()),
        Err(ReplayError::Diverged { .. })
    ));
    drop(chain);

    // The binary's replay command agrees.
    let output = Command::new(env!("CARGO_BIN_EXE_pipe-node"))
        .arg("replay")
        .arg("--data-dir")
        .arg(&data_dir)
        .output()
        .expect("replay runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains(&head_block.header.state_root.to_string()), "{stdout}");

    // A restarted node continues the chain: same head and state, and accepts new transactions.
    let node = NodeProcess::start(&data_dir, 31_403, 0.0).await;
    let provider = node.provider();
    assert_eq!(provider.get_block_number().await.expect("head"), head);
    let gate = RiskGate::new(gate_address, &provider);
    assert_eq!(gate.positionCount().call().await.expect("count"), U256::from(4));
    let receipt =
        mined(gate.openPosition(U96::from(300), U96::from(100), numbers(&SAFE_POSITION))).await;
    assert_eq!(receipt.block_number, Some(head + 1));
}
