//! PIPE's pre-execution inside the node: a transaction is simulated and its requests inferred as it
//! arrives, so the block built from it only executes.

use alloy_primitives::Bytes;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use verigrad_inference::{
    ModelInferenceRequest, ModelInput, MultiDimensionalNumberTensor, Number, runModelInferenceCall,
};
use verigrad_pipe::ADDRESS;
use verigrad_pipe_node::{Node, NodeConfig};

use crate::{harness::repo, returns_window};

/// A direct call of the precompile asking the volatility model about `window`.
fn volatility_call(window: &[(i128, i128)]) -> Bytes {
    let values: Vec<Number> = window.iter().map(|&(v, d)| Number::new(v, d)).collect();
    let shape = vec![1, values.len() as u32];
    let tensor = MultiDimensionalNumberTensor::new("returns", values, shape).expect("tensor");
    let request = ModelInferenceRequest {
        mode: 0,
        modelCID: "verigrad/volatility".into(),
        input: ModelInput::numbers(vec![tensor]),
    };
    runModelInferenceCall { request }.abi_encode().into()
}

#[test]
fn a_transaction_is_pre_executed_as_it_arrives_and_its_block_infers_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node =
        Node::open(NodeConfig::dev(dir.path().join("chain"), repo().join("models"))).expect("node");
    let from = node.accounts()[0];
    for scale in [1, 2] {
        let call = TransactionRequest::default()
            .from(from)
            .to(ADDRESS)
            .input(volatility_call(&returns_window(scale)).into());
        node.send_transaction(call).expect("pooled");
    }
    let mined = node.mine().expect("mined");
    assert_eq!(mined.block.transactions.len(), 2);
    assert_eq!(mined.block.pipe.results.len(), 2, "both answers are committed with the block");
    assert_eq!(
        (mined.stats.rounds, mined.stats.inferences),
        (1, 0),
        "every answer was inferred when its transaction arrived"
    );
}
