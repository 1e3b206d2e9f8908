//! pipe-node end to end: the real binary on loopback, the example dApps deployed by `forge script`,
//! transactions sent with alloy and `cast`, restarts, and replay from genesis.

mod dapps;
mod harness;
mod preexec;
mod restart;

use std::path::PathBuf;

use alloy::sol;
use verigrad_inference::Runtime;

sol! {
    struct Number { int128 value; int128 decimals; }

    #[sol(rpc)]
    contract RiskGate {
        event PositionOpened(uint256 indexed id, address indexed owner, int256 risk);
        error RiskTooHigh(int256 risk, int256 maxRisk);
        function openPosition(uint96 collateral, uint96 debt, Number[] calldata features) external returns (uint256 id);
        function positionCount() external view returns (uint256);
    }

    #[sol(rpc)]
    contract VolatilityFeeVault {
        event Deposited(address indexed account, uint256 amount, uint256 fee, int256 volatility, uint256 feeBps);
        function deposit(uint256 amount, Number[] calldata recentReturns) external returns (uint256 fee);
        function balanceOf(address account) external view returns (uint256);
    }

    #[sol(rpc)]
    contract Token {
        function approve(address spender, uint256 amount) external returns (bool);
    }
}

/// The shipped models.
pub(crate) fn runtime() -> Runtime {
    Runtime::load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models"))
        .expect("models")
}

pub(crate) fn numbers(values: &[(i128, i128)]) -> Vec<Number> {
    values.iter().map(|(value, decimals)| Number { value: *value, decimals: *decimals }).collect()
}

/// A position the risk model scores as safe (collateral ratio 3.0, low volatility).
pub(crate) const SAFE_POSITION: [(i128, i128); 8] =
    [(300, 2), (5, 2), (20, 2), (75, 1), (40, 1), (0, 0), (1, 3), (1, 0)];

/// Sixteen log-returns, 4 decimals.
pub(crate) fn returns_window(scale: i128) -> Vec<(i128, i128)> {
    [12, -8, 5, -15, 9, -3, 11, -6, 140, -210, 95, -180, 260, -120, 75, -300]
        .iter()
        .map(|v| (v * scale, 4))
        .collect()
}

/// Deploys the example dApps with `forge script` and returns their addresses (the script writes them to
/// `deployments/pipe-<chainId>.json`; each test runs its own chain id).
pub(crate) fn deploy_examples(node: &harness::NodeProcess, runtime: &Runtime) -> serde_json::Value {
    let volatility = runtime.resolve("verigrad/volatility").expect("volatility").to_string();
    let risk = runtime.resolve("verigrad/risk").expect("risk").to_string();
    harness::foundry(
        "forge",
        &[
            "script",
            "scripts/DeployPipe.s.sol",
            "--rpc-url",
            &node.url,
            "--broadcast",
            "--private-key",
            harness::DEV_KEY,
        ],
        &[("VERIGRAD_VOLATILITY_MODEL", &volatility), ("VERIGRAD_RISK_MODEL", &risk)],
    );
    let deployments = harness::repo().join(format!("deployments/pipe-{}.json", node.chain_id));
    serde_json::from_str(&std::fs::read_to_string(&deployments).expect("deployments written"))
        .expect("deployments JSON")
}

/// Sends a contract call and waits for its receipt, which must show success.
pub(crate) async fn mined<P, D>(
    call: alloy::contract::CallBuilder<P, D>,
) -> alloy::rpc::types::TransactionReceipt
where
    P: alloy::providers::Provider,
    D: alloy::contract::CallDecoder,
{
    let receipt = call.send().await.expect("sent").get_receipt().await.expect("mined");
    assert!(receipt.status(), "transaction {} reverted", receipt.transaction_hash);
    receipt
}

/// The first event of type `E` a receipt logged.
pub(crate) fn event<E: alloy::sol_types::SolEvent>(
    receipt: &alloy::rpc::types::TransactionReceipt,
) -> E {
    receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| E::decode_log(&log.inner).ok().map(|decoded| decoded.data))
        .unwrap_or_else(|| panic!("no {} in the receipt", E::SIGNATURE))
}

pub(crate) fn address(deployments: &serde_json::Value, key: &str) -> alloy::primitives::Address {
    deployments[key]
        .as_str()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{key} deployed"))
}
