//! A real PIPE consumer: forge's build of `contracts/pipe/examples/RiskGate.sol` (run `forge build`
//! first; `scripts/test` does).

use std::sync::Arc;

use alloy_primitives::{Bytes, I256, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolError, SolEvent, sol};
use revm::{context::result::ExecutionResult, primitives::TxKind};
use verigrad_pipe::{InlineBackend, PipeRequest};

use crate::{Chain, creation_code, position, request, runtime};

sol! {
    struct Number { int128 value; int128 decimals; }
    constructor(string modelCID, int256 maxRisk);
    function openPosition(uint96 collateral, uint96 debt, Number[] features) returns (uint256 id);
    event PositionOpened(uint256 indexed id, address indexed owner, int256 risk);
    error RiskTooHigh(int256 risk, int256 maxRisk);
}

fn features(values: &[(i128, i128)]) -> Vec<Number> {
    values.iter().map(|(value, decimals)| Number { value: *value, decimals: *decimals }).collect()
}

#[test]
fn a_contract_uses_the_answer_inside_the_same_transaction() {
    let risk_id = runtime().resolve("verigrad/risk").expect("risk model").to_string();
    let mut chain = Chain::new(Arc::new(InlineBackend::new(runtime())));
    let mut deploy = creation_code("RiskGate.sol", "RiskGate");
    deploy.extend(
        constructorCall {
            modelCID: risk_id.clone(),
            maxRisk: I256::try_from(200_000).expect("fits"),
        }
        .abi_encode(),
    );
    let ExecutionResult::Success { output, .. } =
        chain.send(revm::primitives::TxKind::Create, deploy.into(), 5_000_000)
    else {
        panic!("deploys");
    };
    let gate = output.address().copied().expect("created address");

    // A well-collateralised position: the model's answer lets it through, in the same transaction.
    let safe = [(300, 2), (5, 2), (20, 2), (75, 1), (40, 1), (0, 0), (1, 3), (1, 0)];
    let call = openPositionCall {
        collateral: U256::from(300u64).to(),
        debt: U256::from(100u64).to(),
        features: features(&safe),
    };
    let result = chain.send(TxKind::Call(gate), Bytes::from(call.abi_encode()), 2_000_000);
    let ExecutionResult::Success { logs, .. } = &result else { panic!("opens: {result:?}") };
    let opened =
        logs.iter().find_map(|log| PositionOpened::decode_log(log).ok()).expect("PositionOpened");
    let expected = runtime()
        .run(
            &risk_id,
            &PipeRequest::decode(&request(2, &risk_id, "features", &safe)).expect("request").input,
        )
        .expect("runs");
    assert_eq!(opened.risk, I256::try_from(expected.numbers[0].values[0].value).expect("fits"));

    // A risky one: the same-transaction answer makes the contract revert with the model's score.
    let risky = openPositionCall {
        collateral: U256::from(115u64).to(),
        debt: U256::from(100u64).to(),
        features: features(&position(115)),
    };
    let result = chain.send(TxKind::Call(gate), Bytes::from(risky.abi_encode()), 2_000_000);
    let ExecutionResult::Revert { output, .. } = result else { panic!("reverts: {result:?}") };
    let error = RiskTooHigh::abi_decode(&output).expect("RiskTooHigh");
    assert!(error.risk > error.maxRisk);
}
