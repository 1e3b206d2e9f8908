//! Real processes on loopback: anvil on a free port (restartable with its state), the contracts
//! deployed by `forge script scripts/Deploy.s.sol`, and the `worker` binary.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, U256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use verigrad_contracts::{
    Account, Chain, Deployment, GasPolicy, ReceiptPolicy, RetryPolicy, Rpc, bindings::Token,
};

/// anvil's development key 0: the deployer, holding the token supply. A public test key: it holds
/// nothing outside a local chain.
pub const DEPLOYER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/// anvil's development key 1: a worker. A public test key.
pub const WORKER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/// One token (18 decimals).
pub fn tokens(n: u64) -> U256 {
    U256::from(n) * U256::from(10).pow(U256::from(18))
}

/// The repository's root: forge runs there, and the shipped models and tools live under it.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// The `worker` binary of the build running this test or bench. Cargo builds a package's binaries
/// before its integration tests and benches, next to their `deps/` folder; `CARGO_BIN_EXE_worker`
/// would name it too, but cargo sets that only while compiling the package that has the binary.
pub fn worker_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let profile = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    profile.join(format!("worker{}", std::env::consts::EXE_SUFFIX))
}

/// A loopback port nothing listens on (just now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// A retry policy patient enough to span an anvil restart in these tests.
pub fn patient() -> RetryPolicy {
    RetryPolicy { attempts: 40, initial_backoff_ms: 50, max_backoff_ms: 400 }
}

/// An anvil process on a fixed port, dumping its state to a file when stopped, so it can be
/// restarted on the same port with the same chain. Killed when dropped.
#[derive(Debug)]
pub struct Anvil {
    child: Option<Child>,
    port: u16,
    block_time: Option<u64>,
    state: PathBuf,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Anvil {
    /// Starts anvil with a chain id of its own (so concurrent forge broadcasts do not share files),
    /// mining a block per transaction.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts anvil mining a block every `seconds` whether or not transactions wait, so block time
    /// moves on by itself and protocol windows close without anyone sending.
    pub fn start_mining_every(seconds: u64) -> Self {
        Self::start_with(Some(seconds))
    }

    fn start_with(block_time: Option<u64>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let mut anvil = Self {
            child: None,
            port,
            block_time,
            state: dir.path().join("state.json"),
            log: dir.path().join("anvil.log"),
            _dir: dir,
        };
        anvil.spawn();
        anvil
    }

    /// The chain id: distinct per port.
    pub fn chain_id(&self) -> u64 {
        40_000 + u64::from(self.port)
    }

    /// The JSON-RPC endpoint.
    pub fn url(&self) -> Url {
        format!("http://127.0.0.1:{}", self.port).parse().expect("url")
    }

    fn spawn(&mut self) {
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("log");
        let mut command = Command::new(repo().join(".tools/bin/anvil"));
        command
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--chain-id", &self.chain_id().to_string()])
            .arg("--dump-state")
            .arg(&self.state)
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log));
        if self.state.exists() {
            command.arg("--load-state").arg(&self.state);
        }
        if let Some(seconds) = self.block_time {
            command.args(["--block-time", &seconds.to_string()]);
        }
        self.child = Some(command.spawn().expect("anvil (run scripts/setup first)"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "anvil did not start:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops anvil the way an operator would (SIGTERM), which writes its state file.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "SIGTERM to anvil");
        child.wait().expect("anvil exits");
        assert!(self.state.exists(), "anvil dumped its state");
    }

    /// Starts anvil again on the same port from the dumped state.
    pub fn restart(&mut self) {
        self.spawn();
    }

    /// Calls an anvil-only method (time travel, mining).
    pub async fn rpc(&self, method: &'static str, params: serde_json::Value) {
        let provider = ProviderBuilder::new().connect_http(self.url());
        provider
            .raw_request::<_, serde_json::Value>(method.into(), params)
            .await
            .unwrap_or_else(|e| panic!("{method}: {e}"));
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The core contracts deployed on an anvil by `scripts/Deploy.s.sol`. What forge leaves in the
/// repository — the addresses file (it may only write under `deployments/`) and the broadcast
/// records of this chain id — is removed when dropped.
#[derive(Debug)]
pub struct Deployed {
    /// The contracts' addresses.
    pub deployment: Deployment,
    /// The addresses file, for `--deployment` (`VERIGRAD_DEPLOYMENT`).
    pub file: PathBuf,
}

impl Deployed {
    /// Deploys the core on `anvil` with the deploy script's defaults.
    pub fn on(anvil: &Anvil) -> Self {
        Self::with_env(anvil, &[])
    }

    /// Deploys with `env` for the deploy script (e.g. `VERIGRAD_REVEAL_WINDOW`).
    pub fn with_env(anvil: &Anvil, env: &[(&str, &str)]) -> Self {
        let relative = format!("deployments/worker-test-{}.json", anvil.chain_id());
        let output = Command::new(repo().join(".tools/bin/forge"))
            .current_dir(repo())
            .args(["script", "scripts/Deploy.s.sol", "--broadcast", "--rpc-url"])
            .arg(anvil.url().as_str())
            .args(["--private-key", DEPLOYER_KEY])
            .env("VERIGRAD_DEPLOYMENTS", &relative)
            .envs(env.iter().copied())
            .output()
            .expect("forge (run scripts/setup first)");
        assert!(output.status.success(), "forge script failed:\n{}", text(&output));
        let file = repo().join(relative);
        let deployment = Deployment::load(&file).expect("deployment file");
        Self { deployment, file }
    }

    /// The account of `key`, connected to `url` through a patient RPC.
    pub async fn account(&self, url: Url, key: &str) -> Account {
        let chain =
            Chain::connect(Rpc::http(url, patient()), self.deployment).await.expect("connect");
        let receipts = ReceiptPolicy { timeout_ms: 30_000, poll_ms: 50 };
        Account::new(chain, key.parse().expect("key"), GasPolicy::default(), receipts)
    }

    /// Sends `amount` tokens from the deployer to `to`.
    pub async fn fund(&self, anvil: &Anvil, to: Address, amount: U256) {
        let deployer = self.account(anvil.url(), DEPLOYER_KEY).await;
        deployer
            .sender()
            .call(self.deployment.token, Token::transferCall { to, value: amount })
            .await
            .expect("transfer");
    }
}

impl Drop for Deployed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        for records in ["broadcast", "cache"] {
            let dir = repo()
                .join(records)
                .join("Deploy.s.sol")
                .join(self.deployment.chain_id.to_string());
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `holder`'s token balance.
pub async fn token_balance(rpc: &Rpc, token: Address, holder: Address) -> U256 {
    rpc.view(token, Token::balanceOfCall { account: holder }).await.expect("balanceOf")
}

/// The address of a key.
pub fn address(key: &str) -> Address {
    key.parse::<PrivateKeySigner>().expect("key").address()
}

/// Runs the `worker` binary with `env` and `args`; returns its output.
pub fn worker(env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(worker_bin())
        .args(args)
        .env_clear()
        .env("VERIGRAD_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("worker runs")
}

/// A process's stdout and stderr, for assertion messages.
pub fn text(output: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
