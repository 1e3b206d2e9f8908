//! Real processes on loopback: a `pipe-node` on a free port with its own data directory, and forge.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use serde_json::Value;

/// anvil's first development key (public: it holds nothing outside a local chain).
pub(crate) const DEV_KEY: &str =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn tool(name: &str) -> PathBuf {
    repo().join(".tools/bin").join(name)
}

/// A running `pipe-node`, killed when dropped.
pub(crate) struct NodeProcess {
    child: Child,
    pub(crate) url: String,
    pub(crate) chain_id: u64,
    log: PathBuf,
}

impl NodeProcess {
    /// Starts a node on chain `chain_id` with its chain in `data_dir`, mining every `block_time` seconds
    /// (0: on demand), on a port the system picks, and waits until it answers with that chain id.
    pub(crate) async fn start(data_dir: &Path, chain_id: u64, block_time: f64) -> Self {
        let log = data_dir.with_extension("log");
        let log_file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_pipe-node"))
            .args(["--port", "0", "--chain-id", &chain_id.to_string()])
            .args(["--block-time", &block_time.to_string()])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--models")
            .arg(repo().join("models"))
            .stdout(Stdio::from(log_file.try_clone().expect("log file")))
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("pipe-node starts");
        let mut node = Self { child, url: String::new(), chain_id, log };
        node.wait_ready().await;
        node
    }

    /// Waits for the start-up line that names the bound address, then for the chain id there.
    async fn wait_ready(&mut self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("pipe-node exited ({status}); its log:\n{}", self.log());
            }
            let log = self.log();
            if let Some(url) =
                log.split("rpc=").nth(1).and_then(|rest| rest.split_whitespace().next())
            {
                self.url = url.to_string();
                let chain_id = self.provider().get_chain_id().await;
                assert_eq!(chain_id.ok(), Some(self.chain_id), "the node at {url} is ours");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("pipe-node did not start; its log:\n{}", self.log());
    }

    /// The node's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A raw JSON-RPC call.
    pub(crate) async fn rpc(&self, method: &'static str, params: Value) -> Value {
        self.provider()
            .raw_request::<_, Value>(method.into(), params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"))
    }

    /// An alloy provider signing with the first development key.
    pub(crate) fn provider(&self) -> DynProvider {
        let signer: PrivateKeySigner = DEV_KEY.parse().expect("key");
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(self.url.parse().expect("url"))
            .erased()
    }

    /// Kills the node at once (SIGKILL: no clean shutdown, as in a crash).
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a Foundry tool from `.tools/bin` in the repository root; panics with its output on failure.
pub(crate) fn foundry(tool_name: &str, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(tool(tool_name))
        .current_dir(repo())
        .args(args)
        // The deployment scripts read their output path from the environment: use their defaults.
        .env_remove("VERIGRAD_DEPLOYMENTS")
        .env_remove("VERIGRAD_PIPE_DEPLOYMENTS")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{tool_name} (run scripts/setup first): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{tool_name} {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
