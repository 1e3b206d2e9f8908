//! The network on loopback: the chain with the core, the store node with the shipped models, their
//! releases, the workers and the coordinator; and what the story prints about it.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy::primitives::{Address, B256, U256, utils::format_units};
use anyhow::Context as _;
use verigrad_blobs::StoreClient;
use verigrad_contracts::{Chain, Rpc, bindings::ModelRegistry};
use verigrad_inference::ModelPackage;
use verigrad_testkit::{
    ChainKind, DEPLOYER_KEY, Node, NodeOptions, address,
    market::{
        Enrollment, KEYS, Market, MarketOptions, STAKE_PER_ROLE, TREASURY, WorkerProcess,
        package_dir,
    },
    patient, tokens,
};

use crate::{binaries::Binaries, cli::Ports};

/// anvil's development key 8: the model owner, who earns the royalty. A public test key.
const MODEL_OWNER_KEY: &str = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";

/// One of the demo's accounts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor {
    /// Its name in the story.
    pub(crate) name: &'static str,
    /// Its key, if the demo signs with it.
    pub(crate) key: Option<&'static str>,
    /// Its address.
    pub(crate) address: Address,
    /// Whether it registers as a worker.
    pub(crate) worker: bool,
    /// The loopback port a compute worker answers PIPE requests on (`worker run --listen`).
    pub(crate) answer_port: Option<u16>,
}

/// The requester, six workers, the model owner and the treasury: anvil's development accounts
/// 0–6, 8 and 9. Compute worker N answers PIPE requests on port 9000 + N.
pub(crate) fn actors() -> [Actor; 9] {
    let key = |name, key: &'static str, worker, answer_port| Actor {
        name,
        key: Some(key),
        address: address(key),
        worker,
        answer_port,
    };
    let treasury = TREASURY.parse().expect("an address");
    [
        key("requester", DEPLOYER_KEY, false, None),
        key("worker1", KEYS[0], true, Some(9001)),
        key("worker2", KEYS[1], true, Some(9002)),
        key("worker3", KEYS[2], true, Some(9003)),
        key("verifier4", KEYS[3], true, None),
        key("faulty5", KEYS[4], true, Some(9005)),
        key("liar6", KEYS[5], true, Some(9006)),
        key("model-owner", MODEL_OWNER_KEY, false, None),
        Actor { name: "treasury", key: None, address: treasury, worker: false, answer_port: None },
    ]
}

/// The actor called `name`.
pub(crate) fn actor(name: &str) -> Actor {
    actors().into_iter().find(|a| a.name == name).expect("a demo actor")
}

/// The running network: the market (chain, core, store node, releases) and its processes.
#[derive(Debug)]
pub(crate) struct Network {
    /// The chain, the core, the store and the releases.
    pub(crate) market: Market,
    /// A client of the chain.
    pub(crate) chain: Chain,
    /// `worker run` and `worker coordinate` processes by name.
    pub(crate) processes: BTreeMap<&'static str, WorkerProcess>,
    /// The coordinator's URL.
    pub(crate) coordinator: String,
    /// The demo's folder, `.devnet/`.
    pub(crate) dir: PathBuf,
}

impl Network {
    /// Starts the chain (`kind`) and deploys the core with `windows`, starts the store and publishes
    /// the shipped models to it, and releases them on chain as the model owner.
    pub(crate) async fn start(
        kind: ChainKind,
        ports: &Ports,
        windows: [u64; 3],
        binaries: &Binaries,
    ) -> anyhow::Result<Self> {
        let dir = verigrad_testkit::repo().join(".devnet");
        for old in ["workers", "pipe-node", "store"] {
            let _ = std::fs::remove_dir_all(dir.join(old));
        }
        let (name, port, chain_id) = match kind {
            ChainKind::Anvil => ("anvil", ports.anvil, 31_337),
            ChainKind::PipeNode => ("pipe-node", ports.pipe_node, 31_338),
        };
        let answering = actors().into_iter().filter_map(|a| Some((a.name, a.answer_port?)));
        let fixed =
            [(name, port), ("the store", ports.store), ("the coordinator", ports.coordinator)];
        for (what, port) in fixed.into_iter().chain(answering) {
            free(what, port)?;
        }
        let [challenge, reveal, vote] = windows;
        println!(
            "== deploying the on-chain core to {name} (http://127.0.0.1:{port}, a block a second; challenge, reveal and\n   \
             vote windows {challenge}, {reveal}, {vote} s; registry epochs of 8 blocks: new stake counts for draws\n   \
             from the next epoch)"
        );
        let node = NodeOptions {
            port: Some(port),
            chain_id: Some(chain_id),
            block_time: Some(1),
            dir: Some(dir.clone()),
            pipe_node: Some(binaries.pipe_node.clone()),
            // PIPE requests go to the staked workers through the demo's coordinator.
            coordinator: Some(format!("http://127.0.0.1:{}", ports.coordinator)),
        };
        let options = MarketOptions {
            chain: kind,
            node,
            windows,
            dir: Some(dir.join("workers")),
            store_port: ports.store,
            worker_bin: binaries.worker.clone(),
            deployment_file: Some(format!("deployments/{chain_id}.json")),
        };
        let mut market = Market::start(options).await;
        let deployment = market.deployed.deployment;
        println!("  Token           {}", deployment.token);
        println!("  WorkerRegistry  {}", deployment.worker_registry);
        println!("  ModelRegistry   {}", deployment.model_registry);
        println!("  TaskEscrow      {}", deployment.task_escrow);
        let chain = Chain::connect(Rpc::http(market.chain.url(), patient()), deployment).await?;

        println!("== store node on {}; publishing the shipped models to it", market.store_url);
        let store = StoreClient::new(market.store_url.clone());
        for (name, class) in [("volatility", "EXACT"), ("risk", "TOLERANCE 1e-5")] {
            let package = ModelPackage::load(package_dir(name))?;
            let id = store.publish(&package, |_| {}).await?;
            println!("  {:<20} {id} ({class})", package.manifest().name);
        }

        println!(
            "== the model owner publishes both as releases, tagged by capability: worker models release --tag (1 VGD a run, 5 % royalty)"
        );
        market.volatility = release(&market, "volatility", "forecast/volatility")?;
        market.risk = release(&market, "risk", "risk/liquidation")?;
        Ok(Self { market, chain, processes: BTreeMap::new(), coordinator: String::new(), dir })
    }

    /// Releases the package in `dir` as the model owner (untagged); its release id.
    pub(crate) fn release_package(&self, dir: &std::path::Path) -> anyhow::Result<B256> {
        release_dir(&self.market, dir, &[])
    }

    /// Registers the named workers (`(name, roles)`), each with the minimum stake for its roles and,
    /// if it computes, the endpoint it answers PIPE requests on.
    pub(crate) async fn register(&self, workers: &[(&'static str, &str)]) {
        let endpoints: Vec<String> = workers
            .iter()
            .map(|(name, roles)| match actor(name).answer_port {
                Some(port) if roles.contains("compute") => format!("http://127.0.0.1:{port}"),
                _ => String::new(),
            })
            .collect();
        let enrollments: Vec<Enrollment<'_>> = workers
            .iter()
            .zip(&endpoints)
            .map(|((name, roles), endpoint)| Enrollment {
                key: actor(name).key.expect("a worker's key"),
                roles,
                endpoint,
            })
            .collect();
        self.market.register_all(&enrollments).await;
        for ((name, roles), endpoint) in workers.iter().zip(&endpoints) {
            let stake = STAKE_PER_ROLE * roles.split(',').count() as u64;
            println!("  {name:<10} {roles:<16} stake {stake} VGD {endpoint}");
        }
    }

    /// Starts `worker run` for the named worker with `extra` flags (its data and log in
    /// `.devnet/workers/`), answering PIPE requests on its port if it has one.
    pub(crate) fn run_worker(&mut self, name: &'static str, extra: &[&str]) {
        let actor = actor(name);
        let listen = actor.answer_port.map(|port| format!("--listen=127.0.0.1:{port}"));
        let flags: Vec<&str> = extra.iter().copied().chain(listen.as_deref()).collect();
        let process = self.market.spawn(actor.key.expect("a worker's key"), name, &flags);
        self.processes.insert(name, process);
    }

    /// Starts the coordinator on `port`.
    pub(crate) fn run_coordinator(&mut self, port: u16) {
        let process = self.market.coordinator(port);
        self.coordinator = format!("http://127.0.0.1:{port}");
        self.processes.insert("coordinator", process);
    }

    /// Runs `worker ARGS` as `key` to the end; returns its stdout, or fails with its stderr.
    pub(crate) async fn worker(&self, key: &str, args: &[&str]) -> anyhow::Result<String> {
        let mut command = tokio::process::Command::from(self.market.command(Some(key), args));
        let output = command.kill_on_drop(true).output().await.context("running worker")?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::ensure!(
            output.status.success(),
            "worker {}: {}\n{stderr}",
            args.join(" "),
            output.status
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Submits a task as the requester and prints its settled result.
    pub(crate) async fn submit(
        &self,
        title: &str,
        model: B256,
        input: &str,
        floor: &str,
    ) -> anyhow::Result<()> {
        println!("\n== {title}");
        let started = Instant::now();
        let model = model.to_string();
        let args =
            ["submit", "--model", &model, "--input", input, "--floor", floor, "--deadline", "120"];
        for line in self.worker(DEPLOYER_KEY, &args).await?.lines() {
            println!("    {line}");
        }
        println!("    -> done in {} s", started.elapsed().as_secs());
        Ok(())
    }

    /// Prints each actor's wallet and claimable balance, and each worker's stake and faults.
    pub(crate) async fn balances(&self) -> anyhow::Result<()> {
        println!("  balances (wallet + claimable | stake, faults):");
        let token = self.chain.token();
        let escrow = self.market.escrow();
        for actor in actors() {
            let wallet = token.balance_of(actor.address).await?;
            let owed = escrow.claimable(actor.address).await?;
            let status = if actor.worker {
                let status = self.chain.worker_status(actor.address).await?;
                if status.registered {
                    format!(" | stake {}, faults {}", vgd(status.stake), status.faults)
                } else {
                    " | not registered".into()
                }
            } else {
                String::new()
            };
            println!("    {:<12} {:>14} + {:>8}{status}", actor.name, vgd(wallet), vgd(owed));
        }
        Ok(())
    }

    /// What the escrow holds and what it owes.
    pub(crate) async fn escrow_books(&self) -> anyhow::Result<(U256, U256)> {
        let escrow = self.chain.deployment().task_escrow;
        let held = self.chain.token().balance_of(escrow).await?;
        Ok((held, self.market.escrow().liabilities().await?))
    }
}

impl Network {
    /// Funds each demo worker in `names` with `vgd` tokens from the deployer and adds them to its
    /// stake, which counts for draws from the registry's next epoch (waited for).
    pub(crate) async fn add_stake(&self, names: &[&str], vgd: u64) -> anyhow::Result<()> {
        let amount = tokens(vgd);
        for name in names {
            let key = actor(name).key.context("a worker's key")?;
            self.market.deployed.fund(&self.market.chain, address(key), amount).await;
            self.market.account(key).await.add_stake(amount).await?;
        }
        // The registry's epochs are 8 blocks of a second.
        tokio::time::sleep(Duration::from_secs(9)).await;
        Ok(())
    }

    /// Sets the registry's `unitsPerWorker` (as its owner, the deployer) so that the volatility
    /// model's serving stake has a capacity of about `runs` executions a block — a live price that
    /// rises from that load on — once the workers' stake counts for draws (the next registry
    /// epoch); returns the value set.
    pub(crate) async fn set_capacity(&self, runs: u64) -> anyhow::Result<u64> {
        let owner = self.market.account(DEPLOYER_KEY).await;
        let rpc = owner.chain().rpc().clone();
        let registry = self.market.deployed.deployment.model_registry;
        let id = self.market.volatility;
        let params = rpc.view(registry, ModelRegistry::loadParamsCall {}).await?;
        let mut load = rpc.view(registry, ModelRegistry::loadCall { releaseId: id }).await?;
        // A target of 1 means no stake counts yet: it does from the next epoch (8 blocks).
        for _ in 0..30 {
            if load.target > U256::from(1) {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            load = rpc.view(registry, ModelRegistry::loadCall { releaseId: id }).await?;
        }
        anyhow::ensure!(
            load.target > U256::from(1),
            "no compute stake counts for the volatility model"
        );
        // The target scales with unitsPerWorker: target' = target × upw' / upw, for
        // 2 × target' / cost = runs.
        let wanted = U256::from(runs * u64::from(load.costUnits) / 2);
        let units = U256::from(params.unitsPerWorker) * wanted;
        let units_per_worker = units.div_ceil(load.target).saturating_to::<u64>().max(1);
        let new = ModelRegistry::LoadParams { unitsPerWorker: units_per_worker, ..params };
        owner.sender().call(registry, ModelRegistry::setLoadParamsCall { params: new }).await?;
        Ok(units_per_worker)
    }
}

/// Publishes shipped package `name` as a release tagged `tag` with `worker models release`, as the
/// model owner.
fn release(market: &Market, name: &str, tag: &str) -> anyhow::Result<B256> {
    release_dir(market, &package_dir(name), &["--tag", tag])
}

/// `worker models release DIR FLAGS…` as the model owner; the release id.
fn release_dir(market: &Market, dir: &std::path::Path, flags: &[&str]) -> anyhow::Result<B256> {
    let dir = dir.display().to_string();
    let args: Vec<&str> =
        ["models", "release", &dir].into_iter().chain(flags.iter().copied()).collect();
    let output = market.command(Some(MODEL_OWNER_KEY), &args).output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(output.status.success(), "worker models release {dir}: {stderr}");
    Ok(String::from_utf8_lossy(&output.stdout).trim().parse()?)
}

/// Fails if something already listens on loopback `port`.
fn free(what: &str, port: u16) -> anyhow::Result<()> {
    anyhow::ensure!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "something already listens on 127.0.0.1:{port}, where {what} would; stop it or choose another port (--help)"
    );
    Ok(())
}

/// Token wei as VGD with at most four decimals, cut (not rounded): `299.9845`.
pub(crate) fn vgd(wei: U256) -> String {
    let text = format_units(wei, 18).unwrap_or_else(|_| wei.to_string());
    match text.split_once('.') {
        Some((whole, fraction)) => format!("{whole}.{}", &fraction[..fraction.len().min(4)]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vgd_keeps_four_decimals() {
        let cases = [
            ("0", "0.0000"),
            ("1000000000000000000", "1.0000"),
            ("299984512345678901234", "299.9845"),
            ("50000000000000", "0.0000"),
        ];
        for (wei, shown) in cases {
            assert_eq!(vgd(wei.parse().expect("wei")), shown, "{wei}");
        }
    }

    #[test]
    fn the_actors_are_the_dev_accounts() {
        let treasury = actor("treasury");
        assert_eq!(treasury.address, TREASURY.parse::<Address>().expect("address"));
        assert_eq!(
            actor("model-owner").address,
            "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f".parse::<Address>().expect("address"),
            "anvil's account 8"
        );
    }
}
