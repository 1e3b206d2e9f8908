//! A task market for end-to-end tests of `worker run` and `worker submit`, and for the demo: a local
//! chain (anvil or pipe-node) mining a block every second (so protocol windows close on their own),
//! the core deployed with windows of seconds, the shipped `verigrad/volatility` (exact) and
//! `verigrad/risk` (tolerance) packages published as releases, a store node on loopback, and
//! `worker` processes with their own keys, data directories and logs.

use std::{
    future::Future,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, U256, aliases::U96},
    sol_types::SolValue,
};
use serde_json::Value;
use verigrad_blobs::{BlobDir, StoreClient, router};
use verigrad_contracts::{
    Account, EscrowClient, NewRelease, TaskState, TaskStatus, WorkerStatus,
    bindings::{TaskEscrow, WorkerRegistry},
};
use verigrad_contracts::{DeterminismClass, RiskClass, Tier};
use verigrad_inference::{
    ModelInferenceRequest, ModelInput, ModelPackage, MultiDimensionalNumberTensor, Number, Runtime,
    runModelInferenceCall,
};

use crate::{
    ChainKind, DEPLOYER_KEY, Deployed, LocalChain, Node, NodeOptions, Process, address, repo, text,
    token_balance, tokens, worker_bin,
};

/// anvil's development keys 1–6 (public test keys), for workers.
pub const KEYS: [&str; 6] = [
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
];

/// The treasury: anvil's development account 9, which no test uses.
pub const TREASURY: &str = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";

/// Stake per role, in tokens: the registry's default minimum.
pub const STAKE_PER_ROLE: u64 = 100;
/// What a fault costs, in tokens: the escrow's `minSlash`.
pub const SLASH: u64 = 10;

/// The max fee of the tasks `create_task` makes: two runs, above any LIGHT price with its review
/// reserve.
pub const MAX_FEE: u128 = 2 * 10u128.pow(18);

/// A shipped package's folder.
pub fn package_dir(name: &str) -> PathBuf {
    repo().join("models").join(name)
}

/// Release `id` of `verigrad/<name>` as the tests publish it: version 1.0.0, risk LOW, a 5 %
/// royalty, `price` token wei a run, and one compute unit a run — against the capacity of even one
/// minimum-stake worker (1 024 units a block) the live price then stays at base unless a test
/// loads the release on purpose.
pub fn release(
    name: &str,
    id: B256,
    determinism: DeterminismClass,
    tolerance_e6: u32,
    price: U256,
) -> NewRelease {
    NewRelease {
        repository: format!("verigrad/{name}"),
        id,
        version: "1.0.0".into(),
        determinism,
        tolerance_e6,
        risk: RiskClass::LOW,
        base_price: price,
        royalty_bps: 500,
        cost_units: 1,
        tags: Vec::new(),
    }
}

/// A worker for [`Market::register_all`].
#[derive(Debug, Clone, Copy)]
pub struct Enrollment<'a> {
    /// Its key.
    pub key: &'a str,
    /// Its roles, e.g. `compute,verify`.
    pub roles: &'a str,
    /// Where it answers PIPE requests (`http://127.0.0.1:9001`), or empty.
    pub endpoint: &'a str,
}

/// How a market runs. The defaults suit a test: anvil mining a block a second, windows of seconds,
/// a temporary folder, a store node on any free port, the `worker` binary of this build.
#[derive(Debug, Clone)]
pub struct MarketOptions {
    /// The chain to run.
    pub chain: ChainKind,
    /// Where and how it runs.
    pub node: NodeOptions,
    /// The escrow's challenge, reveal and vote windows, in seconds.
    pub windows: [u64; 3],
    /// The folder of the store's blobs and each worker's data and log [default: a temporary one].
    pub dir: Option<PathBuf>,
    /// The store node's loopback port (0: any free one).
    pub store_port: u16,
    /// The `worker` binary the market's processes run.
    pub worker_bin: PathBuf,
    /// The deployment file, under `deployments/` [default: one of this chain id for tests].
    pub deployment_file: Option<String>,
}

impl Default for MarketOptions {
    fn default() -> Self {
        Self {
            chain: ChainKind::Anvil,
            node: NodeOptions { block_time: Some(1), ..NodeOptions::default() },
            windows: [6, 12, 12],
            dir: None,
            store_port: 0,
            worker_bin: worker_bin(),
            deployment_file: None,
        }
    }
}

impl MarketOptions {
    /// The hybrid on one chain: a pipe-node on a free port that sends PIPE requests to the
    /// coordinator on loopback `coordinator_port`, with the deployment where it looks for the
    /// contracts its signers must be staked in (`deployments/<chain id>.json`).
    pub fn hybrid(coordinator_port: u16) -> Self {
        let port = crate::free_port();
        let chain_id = 40_000 + u64::from(port);
        Self {
            chain: ChainKind::PipeNode,
            node: NodeOptions {
                port: Some(port),
                chain_id: Some(chain_id),
                block_time: Some(1),
                coordinator: Some(format!("http://127.0.0.1:{coordinator_port}")),
                ..NodeOptions::default()
            },
            deployment_file: Some(format!("deployments/{chain_id}.json")),
            ..Self::default()
        }
    }
}

/// The chain, the core, the released models and a store node: what `worker run` and `worker submit`
/// need. The store and the chain stop when the market is dropped.
#[derive(Debug)]
pub struct Market {
    /// The chain, mining a block every second.
    pub chain: LocalChain,
    /// The core contracts on it.
    pub deployed: Deployed,
    /// The store node on loopback.
    pub store_url: String,
    /// The release id of `verigrad/volatility` (exact).
    pub volatility: B256,
    /// The release id of `verigrad/risk` (tolerance).
    pub risk: B256,
    dir: PathBuf,
    worker_bin: PathBuf,
    store: tokio::task::JoinHandle<()>,
    _temp: Option<tempfile::TempDir>,
}

impl Market {
    /// A market on anvil with the default options and both shipped models released.
    pub async fn open() -> Self {
        Self::open_with(MarketOptions::default()).await
    }

    /// A market with `options` and both shipped models released by the deployer.
    pub async fn open_with(options: MarketOptions) -> Self {
        let mut market = Self::start(options).await;
        market.volatility = market.publish("volatility", DeterminismClass::EXACT, 0).await;
        market.risk = market.publish("risk", DeterminismClass::TOLERANCE, 10).await;
        market
    }

    /// Starts the chain, deploys the core with the options' windows and starts the store node;
    /// publishes no release (`volatility` and `risk` are zero until the caller sets them).
    pub async fn start(options: MarketOptions) -> Self {
        let chain = LocalChain::start(options.chain, &options.node);
        let [challenge, reveal, vote] = options.windows.map(|w| w.to_string());
        let env = [
            ("VERIGRAD_CHALLENGE_WINDOW", challenge.as_str()),
            ("VERIGRAD_REVEAL_WINDOW", reveal.as_str()),
            ("VERIGRAD_VOTE_WINDOW", vote.as_str()),
            // Blocks come every second: new stake counts for draws within 8 s, and each draw
            // has at least 3 blocks to land in after its anchor.
            ("VERIGRAD_EPOCH_BLOCKS", "8"),
            // Not the requester's address: its refunds are then exactly what the escrow owes it.
            ("VERIGRAD_TREASURY", TREASURY),
        ];
        let deployed = match &options.deployment_file {
            Some(file) => Deployed::to_file(&chain, file, &env),
            None => Deployed::with_env(&chain, &env),
        };
        let (dir, temp) = match options.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                (dir, None)
            }
            None => {
                let temp = tempfile::tempdir().expect("temp dir");
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let blobs = BlobDir::open(dir.join("store")).expect("blob dir");
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.store_port))
            .await
            .unwrap_or_else(|e| panic!("the store's port {}: {e}", options.store_port));
        let store_url = format!("http://{}", listener.local_addr().expect("addr"));
        let store = tokio::spawn(async move {
            axum::serve(listener, router(blobs, 16 << 20)).await.expect("store serves");
        });
        Self {
            chain,
            deployed,
            store_url,
            volatility: B256::ZERO,
            risk: B256::ZERO,
            dir,
            worker_bin: options.worker_bin,
            store,
            _temp: temp,
        }
    }

    /// Publishes a shipped package as a release (risk LOW, 1 token a run, 5 % royalty).
    async fn publish(&self, name: &str, determinism: DeterminismClass, tolerance_e6: u32) -> B256 {
        let id = ModelPackage::load(package_dir(name)).expect("shipped package").id();
        self.publish_release(name, id, determinism, tolerance_e6).await
    }

    /// Publishes release `id` as `verigrad/<name>` whether or not a package has that id.
    pub async fn publish_release(
        &self,
        name: &str,
        id: B256,
        determinism: DeterminismClass,
        tolerance_e6: u32,
    ) -> B256 {
        let release = release(name, id, determinism, tolerance_e6, tokens(1));
        self.account(DEPLOYER_KEY).await.publish_release(&release).await.expect("release");
        id
    }

    /// The account of `key` on the market's chain.
    pub async fn account(&self, key: &str) -> Account {
        self.deployed.account(self.chain.url(), key).await
    }

    /// The escrow's client, on a patient RPC.
    pub fn escrow(&self) -> EscrowClient {
        EscrowClient::new(
            verigrad_contracts::Rpc::http(self.chain.url(), crate::patient()),
            self.deployed.deployment.task_escrow,
        )
    }

    /// Funds `key` and registers it with `roles`, serving both models, staking the minimum.
    pub async fn register(&self, key: &str, roles: &str) -> Address {
        self.register_serving(key, roles, vec![self.volatility, self.risk]).await
    }

    /// Funds `key` and registers it with `roles`, serving `models`, staking the minimum.
    pub async fn register_serving(&self, key: &str, roles: &str, models: Vec<B256>) -> Address {
        let worker = self.enroll(key, roles, String::new(), models.clone()).await;
        self.wait_eligible(worker, roles, &models).await;
        worker
    }

    /// Funds and registers each worker serving both models, staking the minimum for its roles;
    /// then waits until all count for draws (one epoch for all, not one each).
    pub async fn register_all(&self, workers: &[Enrollment<'_>]) -> Vec<Address> {
        let models = vec![self.volatility, self.risk];
        let mut addresses = Vec::new();
        for worker in workers {
            let endpoint = worker.endpoint.to_owned();
            addresses.push(self.enroll(worker.key, worker.roles, endpoint, models.clone()).await);
        }
        for (address, worker) in addresses.iter().zip(workers) {
            self.wait_eligible(*address, worker.roles, &models).await;
        }
        addresses
    }

    /// Funds `key` with its stake and 100 tokens more, and registers it.
    async fn enroll(&self, key: &str, roles: &str, endpoint: String, models: Vec<B256>) -> Address {
        let roles: verigrad_contracts::RoleSet = roles.parse().expect("roles");
        let stake = tokens(STAKE_PER_ROLE * u64::from(roles.bits().count_ones()));
        self.deployed.fund(&self.chain, address(key), stake + tokens(100)).await;
        let account = self.account(key).await;
        account.register(roles, endpoint, models, stake).await.expect("register");
        account.address()
    }

    /// Waits until `worker`'s new stake counts for draws of its first model: from the registry's
    /// next epoch (8 blocks here), so that a task created next can be assigned at once.
    async fn wait_eligible(&self, worker: Address, roles: &str, models: &[B256]) {
        let roles: verigrad_contracts::RoleSet = roles.parse().expect("roles");
        let role = roles.bits() & roles.bits().wrapping_neg(); // the lowest role bit
        let Some(&model) = models.first().filter(|_| role != 0) else { return };
        let rpc = verigrad_contracts::Rpc::http(self.chain.url(), crate::patient());
        let registry = self.deployed.deployment.worker_registry;
        eventually("the new stake to count for draws", Duration::from_secs(30), || async {
            let call = WorkerRegistry::isEligibleCall { worker, modelId: model, role };
            rpc.view(registry, call).await.expect("isEligible").then_some(())
        })
        .await;
    }

    /// A worker's registry record.
    pub async fn status(&self, worker: Address) -> WorkerStatus {
        self.account(DEPLOYER_KEY).await.chain().worker_status(worker).await.expect("status")
    }

    /// `holder`'s token balance.
    pub async fn balance(&self, holder: Address) -> U256 {
        let rpc = verigrad_contracts::Rpc::http(self.chain.url(), crate::patient());
        token_balance(&rpc, self.deployed.deployment.token, holder).await
    }

    /// The environment of a `worker` command on this market: the node, the deployment, the store,
    /// and `key` if one is given; it logs at `info`, or at this process's `VERIGRAD_LOG`.
    pub fn env(&self, key: Option<&str>) -> Vec<(String, String)> {
        let mut env = vec![
            ("VERIGRAD_RPC_URL".into(), self.chain.url().to_string()),
            ("VERIGRAD_DEPLOYMENT".into(), self.deployed.file.display().to_string()),
            ("VERIGRAD_STORE_URL".into(), self.store_url.clone()),
            ("VERIGRAD_POLL_MS".into(), "300".into()),
            (
                "VERIGRAD_LOG".into(),
                std::env::var("VERIGRAD_LOG").unwrap_or_else(|_| "info".into()),
            ),
            ("NO_COLOR".into(), "1".into()),
        ];
        env.extend(key.map(|key| ("VERIGRAD_KEY".into(), key.into())));
        env
    }

    /// `worker ARGS` on this market as `key`, with nothing else from this process's environment;
    /// the caller sets its output.
    pub fn command(&self, key: Option<&str>, args: &[&str]) -> Command {
        let mut command = Command::new(&self.worker_bin);
        command.args(args).env_clear().envs(self.env(key));
        command
    }

    /// The folder of the store's blobs and the workers' data and logs.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Registers `key` as a verifier and runs its daemon: a quote needs a verifier serving the
    /// model (nobody could audit it otherwise), and an audit needs one that votes.
    pub async fn verifier(&self, key: &str, name: &str) -> WorkerProcess {
        self.register(key, "verify").await;
        self.spawn(key, name, &[])
    }

    /// Starts `worker run` for `key` as `name` (its data directory and log), with the shipped
    /// packages and `extra` flags.
    pub fn spawn(&self, key: &str, name: &str, extra: &[&str]) -> WorkerProcess {
        let models =
            format!("{},{}", package_dir("volatility").display(), package_dir("risk").display());
        self.spawn_with_models(key, name, models, extra)
    }

    /// Publishes the market's two packages to its store node, where workers pull them and the
    /// coordinator finds their names.
    pub async fn publish_packages(&self) {
        let client = StoreClient::new(self.store_url.clone());
        for package in ["volatility", "risk"] {
            let package = ModelPackage::load(package_dir(package)).expect("package");
            client.publish(&package, |_| {}).await.expect("publish");
        }
    }

    /// Starts `worker run` with no package on disk, with `extra` flags: it pulls what it serves
    /// from the store node, where the packages are published first.
    pub async fn spawn_pulling(&self, key: &str, name: &str, extra: &[&str]) -> WorkerProcess {
        self.publish_packages().await;
        let empty = self.dir.join("no-models");
        std::fs::create_dir_all(&empty).expect("empty dir");
        self.spawn_with_models(key, name, empty.display().to_string(), extra)
    }

    fn spawn_with_models(
        &self,
        key: &str,
        name: &str,
        models: String,
        extra: &[&str],
    ) -> WorkerProcess {
        let data = self.dir.join(name);
        let mut args = vec!["run".to_string(), "--models".into(), models, "--data-dir".into()];
        args.push(data.display().to_string());
        args.extend(extra.iter().map(|a| a.to_string()));
        self.process(Some(key), name, args, data)
    }

    /// Starts `worker coordinate` on loopback `port` (0: any) as `coordinator` and waits until it
    /// listens; it holds no key, so it routes but is no facilitator.
    pub fn coordinator(&self, port: u16) -> WorkerProcess {
        let port = if port == 0 { crate::free_port() } else { port };
        let data = self.dir.join("coordinator");
        let listen = format!("127.0.0.1:{port}");
        let args = ["coordinate", "--listen", &listen, "--data-dir", &data.display().to_string()]
            .map(String::from)
            .to_vec();
        let mut coordinator = self.process(None, "coordinator", args, data);
        coordinator.process.wait_listening(port, Duration::from_secs(30));
        coordinator
    }

    /// Starts `worker ARGS` as `name` (its log `<name>.log` in the market's folder).
    fn process(
        &self,
        key: Option<&str>,
        name: &str,
        args: Vec<String>,
        data: PathBuf,
    ) -> WorkerProcess {
        let process = Process::new(name, self.dir.join(format!("{name}.log")));
        let mut worker =
            WorkerProcess { process, bin: self.worker_bin.clone(), env: self.env(key), args, data };
        worker.restart();
        worker
    }

    /// `worker submit --json` by the requester (the deployer) with `args`, started now.
    pub fn submit(&self, args: &[&str]) -> Child {
        self.requester_command("submit", args)
    }

    /// Starts `worker SUBCOMMAND --json ARGS` as the requester (the deployer).
    pub fn requester_command(&self, subcommand: &str, args: &[&str]) -> Child {
        let mut command = self.command(Some(DEPLOYER_KEY), &[subcommand, "--json"]);
        command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().expect("worker submit")
    }

    /// Runs `worker submit` to the end (at most two minutes) and returns its JSON outcome.
    pub async fn submit_and_wait(&self, args: &[&str]) -> Value {
        let output = finish(self.submit(args), Duration::from_secs(120)).await;
        assert!(output.status.success(), "worker submit: {}", text(&output));
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)))
    }

    /// Puts `bytes` in the market's store node.
    pub async fn put(&self, bytes: Vec<u8>) -> B256 {
        StoreClient::new(self.store_url.clone()).put(bytes).await.expect("put")
    }

    /// Creates a task directly (not through `worker submit`) and returns its id.
    pub async fn create_task(&self, model: B256, input_hash: B256, seconds: u64) -> U256 {
        let requester = self.account(DEPLOYER_KEY).await;
        let escrow = self.deployed.deployment.task_escrow;
        requester.approve(escrow, tokens(100)).await.expect("approve");
        let now = requester.chain().rpc().latest_timestamp().await.expect("now");
        let call = TaskEscrow::createTaskCall {
            modelId: model,
            inputHash: input_hash,
            value: U96::ZERO,
            floor: Tier::LIGHT,
            deadline: alloy::primitives::aliases::U40::from(now + seconds),
            maxFee: U96::from(MAX_FEE),
        };
        let receipt = requester.sender().call(escrow, call).await.expect("createTask");
        receipt.decoded_log::<TaskEscrow::TaskCreated>().expect("created").taskId
    }

    /// Assigns a task directly, once its anchor block is mined.
    pub async fn assign(&self, task: U256) {
        let requester = self.account(DEPLOYER_KEY).await;
        let rpc = requester.chain().rpc().clone();
        let escrow = self.deployed.deployment.task_escrow;
        eventually("the task assigned", Duration::from_secs(30), || async {
            let state = self.task(task).await;
            if state.status != TaskStatus::Created {
                return Some(());
            }
            if rpc.block_number().await.expect("block") > state.anchor {
                // A stale anchor is re-anchored instead: the loop then waits for the new one.
                requester
                    .sender()
                    .call(escrow, TaskEscrow::assignCall { taskId: task })
                    .await
                    .expect("assign");
            }
            None
        })
        .await;
    }

    /// A task's state on chain.
    pub async fn task(&self, id: U256) -> TaskState {
        self.escrow().task(id).await.expect("task")
    }
}

impl Drop for Market {
    fn drop(&mut self) {
        self.store.abort();
    }
}

/// A `worker` process (`run`, `coordinate`); killed when dropped. Its log survives restarts
/// (appended).
#[derive(Debug)]
pub struct WorkerProcess {
    process: Process,
    bin: PathBuf,
    env: Vec<(String, String)>,
    args: Vec<String>,
    /// Its data directory (database, pulled packages), kept across restarts.
    pub data: PathBuf,
}

impl WorkerProcess {
    /// Starts the process (again), with the same key, flags and data directory.
    pub fn restart(&mut self) {
        let mut command = Command::new(&self.bin);
        command.args(&self.args).env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        self.process.spawn(command);
    }

    /// Waits until it listens on loopback `port`, at most `limit` (panics past it, with its log).
    pub fn wait_listening(&mut self, port: u16, limit: Duration) {
        self.process.wait_listening(port, limit);
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// SIGTERM, then waits for the exit; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        self.process.stop_with("TERM").is_some_and(|status| status.success())
    }

    /// Whether the process is still running (it has not exited since it was started).
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Its process id while it runs.
    pub fn id(&self) -> Option<u32> {
        self.process.id()
    }

    /// What the process logged, across its restarts.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.process.kill();
        // `VERIGRAD_TEST_LOGS=1 cargo test … -- --nocapture` shows what each worker did.
        if std::env::var_os("VERIGRAD_TEST_LOGS").is_some() {
            eprintln!("── {} ──\n{}", self.process.log_path().display(), self.log());
        }
    }
}

/// Waits for `child` to exit, at most `limit`; kills it and fails if it does not.
pub async fn finish(mut child: Child, limit: Duration) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!("still running after {limit:?}: {}", text(&output));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.wait_with_output().expect("output")
}

/// Polls `check` until it returns `Some`, at most `limit`; panics with `what` otherwise.
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A volatility input (16 log-returns) as `worker submit` takes it, and as the model gets it.
pub fn volatility_input() -> (String, ModelInput) {
    let returns: Vec<String> =
        (0..16).map(|i| format!("{}0.0{}", if i % 3 == 0 { "-" } else { "" }, 10 + i)).collect();
    let json = serde_json::json!({ "numbers": [{ "name": "returns", "shape": [1, 16], "values": returns }] });
    (json.to_string(), verigrad_task::parse_input(&json.to_string()).expect("input"))
}

/// A VANILLA PIPE call of `model` on [`volatility_input`], its first return moved by `shift` in
/// its last decimal place, so that each shift is a request of its own.
pub fn vanilla_call(model: B256, shift: i128) -> runModelInferenceCall {
    let (_, mut input) = volatility_input();
    input.numbers[0].values[0].value += shift;
    let request = ModelInferenceRequest { mode: 0, modelCID: model.to_string(), input };
    runModelInferenceCall { request }
}

/// A risk input (8 loan features).
pub fn risk_input() -> (String, ModelInput) {
    let json = serde_json::json!({ "numbers": [{ "name": "features", "shape": [1, 8],
        "values": ["1.35", "0.6", "0.8", "6.2", "1.5", "1", "0.02", "3.5"] }] });
    (json.to_string(), verigrad_task::parse_input(&json.to_string()).expect("input"))
}

/// The output hash the shipped package `name` gives for `input`, computed here.
pub fn expected_output(name: &str, input: &ModelInput) -> B256 {
    let mut runtime = Runtime::new();
    let id = runtime.add(&ModelPackage::load(package_dir(name)).expect("package")).expect("add");
    runtime.run(&id.to_string(), input).expect("runs").commitment()
}

/// A number tensor input of the wrong shape for the volatility model.
pub fn misshapen_input() -> Vec<u8> {
    let tensor =
        MultiDimensionalNumberTensor::new("returns", vec![Number::new(1, 2); 4], vec![1, 4])
            .expect("tensor");
    ModelInput::numbers(vec![tensor]).abi_encode()
}

/// A JSON field holding a token amount (decimal or hex string).
pub fn amount(value: &Value) -> U256 {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}
