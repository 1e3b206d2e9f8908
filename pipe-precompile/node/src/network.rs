//! PIPE answered by the staked worker network: each request a transaction makes, recorded while it is
//! pre-executed on arrival, goes to the coordinator, which asks compute workers serving the release;
//! the node keeps the answers whose EIP-712 signatures recover to workers staked for the release at
//! the head, and commits the result once the mode's quorum agrees.
//!
//! | mode | answers | what it guarantees |
//! |---|---|---|
//! | VANILLA | one staked worker | a signed, slashable answer (verifiers audit a random sample after the block) |
//! | TEE | `--tee-quorum` staked workers agreeing by determinism class | stake-backed agreement, not an enclave |
//! | ZKML | one staked worker, EXACT models only | re-computed by the node: a wrong answer fails the call |

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, PoisonError, RwLock, mpsc},
    time::{Duration, SystemTime},
};

use alloy::{
    primitives::{Address, B256, U256},
    transports::http::reqwest,
};
use verigrad_answer::{
    AnswerRequest, AnswersReply, AnswersRequest, Quorum, SignedAnswer, TwinPart, attest,
};
use verigrad_contracts::{
    Deployment, PipeAnswer, PipeSettlement, RoleSet, WorkerRegistry, pipe_domain,
};
use verigrad_inference::{Deadline, Determinism, Runtime, TwinModel};
use verigrad_pipe::{
    Answer, Answerer, Attestation, BoundTwin, Mode, PipeFailure, PipeRequest, Resolution,
    compute_until, output_hash, unanswered,
};

use crate::{
    block::BlockRecord,
    chain::Chain,
    node::now,
    state::StateDb,
    twins::{TwinChecks, Twins, TwinsAt, twin_of},
    view::{ViewError, Views},
};

/// Where answers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InferenceSource {
    /// The network for every release a compute worker is registered for on this chain, the node's
    /// own runtime for the others (development).
    Auto,
    /// Always the network: a request no staked worker answers fails.
    Network,
    /// Always the node's own runtime (no worker is asked, nothing is signed).
    Local,
}

/// How the node reaches the network.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// Where answers come from at start.
    pub source: InferenceSource,
    /// The coordinator's URL.
    pub coordinator: String,
    /// Where `<chain id>.json`, naming the registry and the PipeSettlement, is found.
    pub deployments: PathBuf,
    /// Workers that must agree on a TEE-mode answer.
    pub tee_quorum: usize,
    /// The longest the node waits for the network's answers to one request.
    pub timeout: Duration,
}

/// The contracts the network's answers are checked against, read from the deployment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contracts {
    /// The WorkerRegistry: who is staked for a release.
    pub registry: Address,
    /// The PipeSettlement: the EIP-712 domain of the answers.
    pub settlement: Address,
    /// The TwinRegistry `twin:<id>` requests resolve in, if deployed.
    pub twins: Option<Twins>,
}

impl Contracts {
    /// The contracts of a deployment, if it has a PipeSettlement.
    pub fn of(deployment: &Deployment) -> Option<Self> {
        let registry = deployment.twin_registry;
        (!deployment.pipe_settlement.is_zero()).then_some(Self {
            registry: deployment.worker_registry,
            settlement: deployment.pipe_settlement,
            twins: (!registry.is_zero()).then_some(Twins { registry }),
        })
    }

    /// Whether `worker` may answer for `release` on the state `views` read: a compute worker the
    /// registry would draw for it.
    pub fn is_staked(&self, views: &Views<'_>, worker: Address, release: B256) -> bool {
        let call = WorkerRegistry::isEligibleCall {
            worker,
            modelId: release,
            role: RoleSet::COMPUTE.bits(),
        };
        views.call(self.registry, &call).unwrap_or(false)
    }

    /// Checks a committed answer's attestation on the state before its block: every signature
    /// recovers to its signer, every signer was staked for the release, and the committed output is
    /// one of those signed. Returns how many workers signed.
    pub fn check(
        &self,
        views: &Views<'_>,
        chain_id: u64,
        request: B256,
        answer: &Answer,
    ) -> Result<usize, String> {
        let Some(attestation) = &answer.attestation else { return Ok(0) };
        if attestation.settlement != self.settlement {
            return Err(format!("signed for another PipeSettlement ({})", attestation.settlement));
        }
        let call = PipeSettlement::priceCall { releaseId: attestation.release };
        let price = views.call(self.settlement, &call).map_err(|e| e.to_string())?;
        if U256::from(price) != attestation.price {
            return Err(format!("priced {}, not the release's price {price}", attestation.price));
        }
        let domain = pipe_domain(chain_id, self.settlement);
        let committed = answer.output.commitment();
        if !attestation.signatures.iter().any(|s| s.output_hash == committed) {
            return Err("no signer signed the committed output".into());
        }
        for signed in &attestation.signatures {
            let statement = PipeAnswer {
                requestId: request,
                releaseId: attestation.release,
                outputHash: signed.output_hash,
            };
            statement
                .verify(&domain, signed.worker, &signed.signature)
                .map_err(|e| format!("worker {}: {e}", signed.worker))?;
            if !self.is_staked(views, signed.worker, attestation.release) {
                return Err(format!(
                    "worker {} was not staked for release {}",
                    signed.worker, attestation.release
                ));
            }
        }
        Ok(attestation.signatures.len())
    }
}

/// What a block being built re-checks of its pre-executed answers on the state it builds on: every
/// signer still staked for the release, the price still the release's, and a twin's answer still
/// of the twin's binding. All can change between an answer's arrival and its block (a slash, an
/// unbond, a new price, a rebinding); a signature cannot. Replay checks the same on the same state,
/// so a block never commits an answer replay would refuse. Each (signer, release), each release's
/// price and each twin's binding is read once per block.
pub(crate) struct BuildChecks<'a> {
    contracts: Contracts,
    views: Views<'a>,
    staked: HashMap<(Address, B256), bool>,
    prices: HashMap<B256, Option<U256>>,
    twins: TwinChecks,
}

impl<'a> BuildChecks<'a> {
    /// Checks against `contracts` on the state `views` read.
    pub(crate) fn new(contracts: Contracts, views: Views<'a>) -> Self {
        let twins = TwinChecks::new(contracts.twins);
        Self { contracts, views, staked: HashMap::new(), prices: HashMap::new(), twins }
    }

    /// Whether a pre-executed answer still holds: its attestation, if signed, and for a twin's
    /// request, the twin's binding.
    pub(crate) fn answer_holds(&mut self, request: &PipeRequest, answer: &Answer) -> bool {
        answer.attestation.as_ref().is_none_or(|attestation| self.holds(attestation))
            && self.twins.check(&self.views, request, answer).is_ok()
    }

    /// Whether `attestation` still holds: its settlement, its price and every signer's stake.
    fn holds(&mut self, attestation: &Attestation) -> bool {
        let release = attestation.release;
        let (contracts, views) = (self.contracts, &self.views);
        let price = *self.prices.entry(release).or_insert_with(|| {
            let call = PipeSettlement::priceCall { releaseId: release };
            views.call(contracts.settlement, &call).ok().map(U256::from)
        });
        attestation.settlement == contracts.settlement
            && price == Some(attestation.price)
            && attestation.signatures.iter().all(|signed| {
                *self
                    .staked
                    .entry((signed.worker, release))
                    .or_insert_with(|| contracts.is_staked(views, signed.worker, release))
            })
    }
}

/// The deployment file as last read, and when it was written.
#[derive(Debug, Default)]
struct Known {
    modified: Option<SystemTime>,
    contracts: Option<Contracts>,
}

/// An [`Answerer`] asking the worker network.
#[derive(Debug)]
pub struct NetworkAnswerer {
    runtime: Runtime,
    chain: Arc<RwLock<Chain>>,
    chain_id: u64,
    config: NetworkConfig,
    http: reqwest::Client,
    /// Runs the HTTP calls: the engine asks from its own threads, outside any async runtime.
    io: tokio::runtime::Runtime,
    known: RwLock<Known>,
    /// Where answers come from now (`pipe_setInference` changes it).
    source: RwLock<InferenceSource>,
}

impl NetworkAnswerer {
    /// An answerer for `chain`, describing models with `runtime` (and answering with it where the
    /// network does not serve a release).
    pub fn new(
        runtime: Runtime,
        chain: Arc<RwLock<Chain>>,
        config: NetworkConfig,
    ) -> std::io::Result<Self> {
        let chain_id = chain.read().unwrap_or_else(PoisonError::into_inner).genesis().chain_id;
        let io = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pipe-network")
            .enable_all()
            .build()?;
        let source = RwLock::new(config.source);
        Ok(Self {
            runtime,
            chain,
            chain_id,
            config,
            http: reqwest::Client::new(),
            io,
            known: RwLock::default(),
            source,
        })
    }

    /// Where answers come from now.
    pub fn source(&self) -> InferenceSource {
        *self.source.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes where answers come from (a development switch, for benchmarks).
    pub fn set_source(&self, source: InferenceSource) {
        *self.source.write().unwrap_or_else(PoisonError::into_inner) = source;
    }

    /// The contracts of this chain's deployment file, re-read when the file changes (the core is
    /// deployed after the node starts).
    pub fn contracts(&self) -> Option<Contracts> {
        let path = self.config.deployments.join(format!("{}.json", self.chain_id));
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        {
            let known = self.known.read().unwrap_or_else(PoisonError::into_inner);
            if known.modified == modified {
                return known.contracts;
            }
        }
        let contracts = Deployment::for_chain(&self.config.deployments, self.chain_id)
            .ok()
            .as_ref()
            .and_then(Contracts::of);
        *self.known.write().unwrap_or_else(PoisonError::into_inner) = Known { modified, contracts };
        contracts
    }

    /// The head and its state: what the next block builds on.
    fn head(&self) -> (Arc<BlockRecord>, Arc<StateDb>) {
        let chain = self.chain.read().unwrap_or_else(PoisonError::into_inner);
        (chain.head().clone(), chain.head_state())
    }

    /// What `twin` is bound to at the head (the state the next block builds on).
    fn bound_twin(&self, twin: TwinModel) -> Result<BoundTwin, PipeFailure> {
        let (head, state) = self.head();
        let at = TwinsAt {
            twins: self.contracts().and_then(|c| c.twins),
            state,
            block: head.child_env(now(), Address::ZERO),
            chain_id: self.chain_id,
        };
        at.resolve(twin, &self.runtime)
    }

    /// What answers `request`: its model's release, or the bound release and profile of its twin.
    fn target(&self, request: &PipeRequest) -> Result<Target, PipeFailure> {
        match twin_of(&request.model) {
            Some(twin) => {
                let twin = self.bound_twin(twin?)?;
                twin.admits(request.mode)?;
                Ok(Target { release: twin.release, twin: Some(twin) })
            }
            None => Ok(Target { release: self.runtime.resolve(&request.model)?, twin: None }),
        }
    }

    /// The compute workers registered for `release` and which of them are staked for it now.
    fn staked(&self, contracts: Contracts, release: B256) -> Staked {
        let (head, state) = self.head();
        let views = Views::at(&state, head.child_env(now(), Address::ZERO), self.chain_id);
        let role = RoleSet::COMPUTE.bits();
        let listed = views
            .call(contracts.registry, &WorkerRegistry::workersOfCall { modelId: release, role })
            .unwrap_or_default();
        let eligible = listed
            .iter()
            .copied()
            .filter(|&worker| contracts.is_staked(&views, worker, release))
            .collect();
        let price = views
            .call(contracts.settlement, &PipeSettlement::priceCall { releaseId: release })
            .map(U256::from);
        Staked { listed: listed.len(), eligible, price }
    }

    /// Asks the coordinator, waiting at most `timeout`.
    fn ask(&self, asked: &AnswersRequest, timeout: Duration) -> Result<AnswersReply, String> {
        let url = format!("{}/v1/pipe/answers", self.config.coordinator.trim_end_matches('/'));
        let request = self.http.post(url).json(asked).timeout(timeout);
        let (sender, receiver) = mpsc::channel();
        self.io.spawn(async move {
            let reply = match request.send().await {
                Ok(response) if response.status().is_success() => {
                    response.json::<AnswersReply>().await.map_err(|e| e.to_string())
                }
                Ok(response) => Err(format!("the coordinator answered {}", response.status())),
                Err(e) => Err(format!("the coordinator cannot be reached: {e}")),
            };
            let _ = sender.send(reply);
        });
        receiver
            .recv_timeout(timeout + Duration::from_millis(100))
            .map_err(|_| "the coordinator did not answer in time".to_string())?
    }

    fn ask_network(
        &self,
        request: &PipeRequest,
        target: &Target,
        deadline: Deadline,
        contracts: Contracts,
        eligible: &[Address],
        price: U256,
    ) -> Resolution {
        let release = target.release;
        let manifest = self.runtime.manifest(&release.to_string())?;
        let size = match request.mode {
            Mode::Tee => self.config.tee_quorum,
            Mode::Vanilla => 1,
            Mode::Zkml if matches!(manifest.determinism, Determinism::Exact { .. }) => 1,
            Mode::Zkml => return target.compute(&self.runtime, request, deadline),
        };
        // Ask more workers than must agree where a liar could block the quorum: a TEE quorum of k
        // out of up to 2k − 1 answers; for ZKML, a second answer in case the first is wrong.
        let wanted = match request.mode {
            Mode::Vanilla => 1,
            Mode::Tee => eligible.len().min(2 * size - 1).max(size),
            Mode::Zkml => eligible.len().clamp(1, 2),
        };
        let timeout = deadline.remaining().unwrap_or(self.config.timeout).min(self.config.timeout);
        let asked = AnswersRequest {
            request: AnswerRequest {
                chain_id: self.chain_id,
                release_id: release,
                request: request.calldata().clone(),
                twin: target.twin.as_ref().map(TwinPart::of),
            },
            quorum: u32::try_from(wanted).unwrap_or(u32::MAX),
            timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        };
        let mut reply = match self.ask(&asked, timeout) {
            Ok(reply) => reply,
            Err(why) => return Err(unanswered(request, &why)),
        };
        let cost_units = manifest.cost_units;
        if request.mode == Mode::Zkml {
            // Every validator re-executes a ZKML answer: only answers equal to the node's own count.
            let mine = output_hash(&target.compute(&self.runtime, request, deadline));
            keep(&mut reply, "differ from the re-execution", |answer| {
                answer.resolution(cost_units).is_ok_and(|theirs| output_hash(&theirs) == mine)
            });
        }
        if let Some(twin) = &target.twin {
            // A block commits a twin's answer only if it names the binding (see `BuildChecks`).
            keep(&mut reply, "do not name the twin's binding", |answer| {
                answer.resolution(cost_units).is_ok_and(|theirs| match theirs {
                    Ok(theirs) => twin.check_names(&theirs.output).is_ok(),
                    Err(_) => true,
                })
            });
        }
        let quorum = Quorum {
            size,
            determinism: manifest.determinism,
            cost_units: manifest.cost_units,
            chain_id: self.chain_id,
            settlement: contracts.settlement,
            price,
        };
        let attested =
            attest(request, release, &reply.answers, quorum, |worker| eligible.contains(&worker));
        match attested {
            Err(PipeFailure::Failed(why)) if !reply.errors.is_empty() => {
                Err(PipeFailure::Failed(format!("{why}; {}", reply.errors.join("; "))))
            }
            other => other,
        }
    }
}

/// Keeps the answers `kept` accepts, noting how many others there were and why they were dropped.
fn keep(reply: &mut AnswersReply, why: &str, kept: impl Fn(&SignedAnswer) -> bool) {
    let before = reply.answers.len();
    reply.answers.retain(kept);
    if reply.answers.len() < before {
        reply.errors.push(format!("{} answer(s) {why}", before - reply.answers.len()));
    }
}

/// What answers a request: a release, run as itself or as the twin bound to it.
#[derive(Debug)]
struct Target {
    release: B256,
    twin: Option<BoundTwin>,
}

impl Target {
    /// The answer of the node's own runtime.
    fn compute(&self, runtime: &Runtime, request: &PipeRequest, deadline: Deadline) -> Resolution {
        match &self.twin {
            Some(twin) => twin.answer(runtime, request, deadline),
            None => compute_until(runtime, request, deadline),
        }
    }
}

/// Who can answer for a release now.
#[derive(Debug)]
struct Staked {
    /// Compute workers registered for it.
    listed: usize,
    /// Those staked enough to answer (the registry's draw eligibility).
    eligible: Vec<Address>,
    /// What a call pays for an answer, if the release is published.
    price: Result<U256, ViewError>,
}

impl Answerer for NetworkAnswerer {
    fn answer(&self, request: &PipeRequest, deadline: Deadline) -> Resolution {
        let target = self.target(request)?;
        let local = || target.compute(&self.runtime, request, deadline);
        let source = self.source();
        if source == InferenceSource::Local {
            return local();
        }
        let release = target.release;
        let Some(contracts) = self.contracts() else {
            return match source {
                InferenceSource::Auto => local(),
                _ => Err(unanswered(request, "no PipeSettlement is deployed on this chain")),
            };
        };
        let staked = self.staked(contracts, release);
        if staked.listed == 0 && source == InferenceSource::Auto {
            return local();
        }
        if staked.eligible.is_empty() {
            return Err(unanswered(request, &format!("no staked worker serves release {release}")));
        }
        let price = match &staked.price {
            Ok(price) => *price,
            Err(e) => {
                return Err(unanswered(request, &format!("release {release} has no price: {e}")));
            }
        };
        self.ask_network(request, &target, deadline, contracts, &staked.eligible, price)
    }

    fn release_of(&self, model: &str) -> Result<String, PipeFailure> {
        match twin_of(model) {
            Some(twin) => Ok(self.bound_twin(twin?)?.release.to_string()),
            None => Ok(model.to_owned()),
        }
    }
}
