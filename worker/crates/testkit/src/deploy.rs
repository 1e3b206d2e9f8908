//! Contracts deployed by the project's forge scripts: the core (`scripts/Deploy.s.sol`) and the PIPE
//! example dApps (`scripts/DeployPipe.s.sol`).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use alloy::{
    primitives::{Address, U256},
    transports::http::reqwest::Url,
};
use verigrad_contracts::{
    Account, Chain, Deployment, GasPolicy, ReceiptPolicy, Rpc, bindings::Token,
};

use crate::{DEPLOYER_KEY, Node, patient, repo, text};

/// What a forge script leaves in the repository: its addresses file (forge may only write under
/// `deployments/`) and its broadcast records of one chain id. Removed when dropped.
#[derive(Debug)]
struct Leftovers {
    file: PathBuf,
    script: &'static str,
    chain_id: u64,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        for records in ["broadcast", "cache"] {
            let dir = repo().join(records).join(self.script).join(self.chain_id.to_string());
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs `forge script scripts/<script> --broadcast` on `node` as the deployer, with `env`; it writes
/// its addresses to `file` (relative to the repository), named in `file_variable`.
fn broadcast(
    node: &impl Node,
    script: &'static str,
    file_variable: &str,
    file: &str,
    env: &[(&str, &str)],
) -> Leftovers {
    let mut command = Command::new(repo().join(".tools/bin/forge"));
    command
        .current_dir(repo())
        .args(["script", &format!("scripts/{script}"), "--broadcast", "--rpc-url"])
        .arg(node.url().as_str())
        .args(["--private-key", DEPLOYER_KEY]);
    // The core deploys over 30 M gas: sent as one burst, anvil leaves the transactions past the
    // first full block unmined (with automine, nothing mines them; with a block time, forge waits
    // forever too). One transaction at a time there, each mined before the next is sent.
    if !node.takes_bursts() {
        command.arg("--slow");
    }
    let output = command
        .env(file_variable, file)
        .envs(env.iter().copied())
        .output()
        .expect("forge (run scripts/setup first)");
    assert!(output.status.success(), "forge script {script} failed:\n{}", text(&output));
    Leftovers { file: repo().join(file), script, chain_id: node.chain_id() }
}

/// The core contracts deployed by `scripts/Deploy.s.sol`; what forge left in the repository is
/// removed when dropped.
#[derive(Debug)]
pub struct Deployed {
    /// The contracts' addresses.
    pub deployment: Deployment,
    /// The addresses file, for `--deployment` (`VERIGRAD_DEPLOYMENT`).
    pub file: PathBuf,
    _leftovers: Leftovers,
}

impl Deployed {
    /// Deploys the core on `node` with the deploy script's defaults.
    pub fn on(node: &impl Node) -> Self {
        Self::with_env(node, &[])
    }

    /// Deploys with `env` for the deploy script (e.g. `VERIGRAD_REVEAL_WINDOW`).
    pub fn with_env(node: &impl Node, env: &[(&str, &str)]) -> Self {
        Self::to_file(node, &format!("deployments/worker-test-{}.json", node.chain_id()), env)
    }

    /// Deploys with `env`, writing the addresses to `file` (under `deployments/`).
    pub fn to_file(node: &impl Node, file: &str, env: &[(&str, &str)]) -> Self {
        let leftovers = broadcast(node, "Deploy.s.sol", "VERIGRAD_DEPLOYMENTS", file, env);
        let deployment = Deployment::load(&leftovers.file).expect("deployment file");
        Self { deployment, file: leftovers.file.clone(), _leftovers: leftovers }
    }

    /// The account of `key`, connected to `url` through a patient RPC.
    pub async fn account(&self, url: Url, key: &str) -> Account {
        let chain =
            Chain::connect(Rpc::http(url, patient()), self.deployment).await.expect("connect");
        let receipts = ReceiptPolicy { timeout_ms: 30_000, poll_ms: 50 };
        Account::new(chain, key.parse().expect("key"), GasPolicy::default(), receipts)
    }

    /// Sends `amount` tokens from the deployer to `to`.
    pub async fn fund(&self, node: &impl Node, to: Address, amount: U256) {
        let deployer = self.account(node.url(), DEPLOYER_KEY).await;
        deployer
            .sender()
            .call(self.deployment.token, Token::transferCall { to, value: amount })
            .await
            .expect("transfer");
    }
}

/// The PIPE example dApps deployed by `scripts/DeployPipe.s.sol` on a pipe-node, calling the shipped
/// models; what forge left in the repository is removed when dropped.
#[derive(Debug)]
pub struct PipeDapps {
    /// The token the vault takes deposits in (the deployer holds its supply).
    pub token: Address,
    /// `RiskGate`: opens a position only if the risk model scores it under the limit.
    pub risk_gate: Address,
    /// `VolatilityFeeVault`: charges a deposit fee priced by the volatility model.
    pub volatility_fee_vault: Address,
    /// The addresses file.
    pub file: PathBuf,
    _leftovers: Leftovers,
}

impl PipeDapps {
    /// Deploys the examples on `node`.
    pub fn on(node: &impl Node) -> Self {
        let file = format!("deployments/pipe-{}.json", node.chain_id());
        let leftovers =
            broadcast(node, "DeployPipe.s.sol", "VERIGRAD_PIPE_DEPLOYMENTS", &file, &[]);
        let json: serde_json::Value = read_json(&leftovers.file);
        let address = |key: &str| -> Address {
            json[key]
                .as_str()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("{key} in {json}"))
        };
        Self {
            token: address("token"),
            risk_gate: address("riskGate"),
            volatility_fee_vault: address("volatilityFeeVault"),
            file: leftovers.file.clone(),
            _leftovers: leftovers,
        }
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
