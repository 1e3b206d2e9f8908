//! The pre-execution engine: PIPE's two phases around a block.
//!
//! 1. **Simulate** every pending transaction, in parallel, against the state before the block, with the
//!    precompile recording each inference request and answering placeholders.
//! 2. **Infer** the requests on the same bounded pool of threads, each as soon as its transaction's
//!    simulation recorded it.
//! 3. **Execute** the block in order, speculatively, with answers injected from the result cache. The
//!    execution starts with the first transaction whose requests are answered, while the other threads
//!    still simulate and infer the later ones (see [`crate::overlap`]). It is also the re-simulation: a
//!    request no simulation reached (it depends on an answer, or on state an earlier transaction of the
//!    block set) shows up as a miss; the misses are inferred and the block executed again, up to
//!    `max_rounds` rounds in all. Past the bound, a missed call reverts "not pre-executed" —
//!    deterministically, so replay agrees.
//!
//! The block commits to the results it used with a [`PipeCommitment`]; replaying the block with only
//! those results ([`Engine::execute`] with a [`CachedBackend`]) reproduces it without running a model.

use std::{
    collections::BTreeMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, keccak256};
use revm::{
    Context, DatabaseCommit, DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
    context::{BlockEnv, TxEnv, result::ExecutionResult},
    database::CacheDB,
    primitives::hardfork::SpecId,
    state::EvmState,
};
use verigrad_inference::{Deadline, Runtime};

use crate::{
    Answerer, CachedBackend, Charge, ChargeLedger, InferenceBackend, PipeFailure, PipePrecompiles,
    PipeRequest, Resolution, Resolved, ResultCache, SimulationBackend,
    backend::{Cursor, cached_cost_units, not_pre_executed},
    overlap::{self, Progress},
};

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// EVM specification.
    pub spec: SpecId,
    /// Chain id.
    pub chain_id: u64,
    /// Threads that run inference (and simulations).
    pub workers: usize,
    /// Most inference rounds before the block is committed with what is known.
    pub max_rounds: usize,
    /// How long a round's inference may take: a request still running (or not started) when it has
    /// passed fails "ran past its deadline", so a slow model cannot stall the block.
    pub inference_timeout: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            spec: SpecId::PRAGUE,
            chain_id: 31337,
            workers,
            max_rounds: 4,
            inference_timeout: Duration::from_secs(10),
        }
    }
}

/// The PIPE results a block used: `root = keccak256(leaf₀ ‖ leaf₁ ‖ …)` over the entries sorted by
/// request id, `leaf = keccak256(request id ‖ output hash)` — `keccak256(request id ‖ output hash ‖
/// attestation hash)` for an answer the network signed, so the root covers its release and signers;
/// a failure's output hash is that of its revert data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipeCommitment {
    /// The results, by request id.
    pub results: BTreeMap<B256, Resolution>,
    /// The PipeSettlement the node settled the block's charges at after its last transaction, if
    /// any (replay makes the same call).
    pub settlement: Option<Address>,
}

impl PipeCommitment {
    /// Each result's leaf, sorted by request id.
    pub fn leaves(&self) -> impl Iterator<Item = B256> + '_ {
        self.results.iter().map(|(id, resolution)| {
            let output = output_hash(resolution);
            match resolution.as_ref().ok().and_then(|answer| answer.attestation.as_ref()) {
                Some(attestation) => keccak256(
                    [id.as_slice(), output.as_slice(), attestation.hash().as_slice()].concat(),
                ),
                None => keccak256([id.as_slice(), output.as_slice()].concat()),
            }
        })
    }

    /// The block's PIPE root (zero for a block without inference).
    pub fn root(&self) -> B256 {
        if self.results.is_empty() {
            return B256::ZERO;
        }
        let leaves: Vec<u8> = self.leaves().flat_map(|leaf| leaf.0).collect();
        keccak256(leaves)
    }

    /// A cache holding exactly these results (for replay).
    pub fn to_cache(&self) -> Arc<ResultCache> {
        let cache = ResultCache::new();
        for (id, resolution) in &self.results {
            cache.insert(*id, resolution.clone());
        }
        Arc::new(cache)
    }
}

/// The hash a commitment records for a resolution.
pub fn output_hash(resolution: &Resolution) -> B256 {
    match resolution {
        Ok(answer) => answer.output.commitment(),
        Err(failure) => keccak256(failure.revert_data()),
    }
}

/// Where the time of a block went. The phases overlap, so the times are summed over threads and add
/// up to more than the block took.
#[derive(Debug, Clone, Default)]
pub struct EngineStats {
    /// Inference rounds: the simulation's, plus one per speculative execution that found new requests.
    pub rounds: usize,
    /// Distinct requests inferred.
    pub inferences: usize,
    /// Time simulating.
    pub simulate: Duration,
    /// Time inferring.
    pub infer: Duration,
    /// Time executing the block.
    pub execute: Duration,
}

/// A transaction's result, or why it is invalid (bad nonce, no funds): an invalid transaction changes
/// nothing and is left out of the block.
pub type TxOutcome = Result<ExecutionResult, String>;

/// A built block's execution.
#[derive(Debug)]
pub struct BlockOutcome {
    /// One outcome per transaction, in order.
    pub results: Vec<TxOutcome>,
    /// The state the block changed (commit it with `DatabaseCommit::commit`).
    pub changes: EvmState,
    /// The PIPE results the block used.
    pub pipe: PipeCommitment,
    /// What its PIPE calls owe, in call order (to settle after its last transaction).
    pub charges: Vec<Charge>,
    /// Timings.
    pub stats: EngineStats,
}

/// PIPE's pre-execution engine.
#[derive(Debug, Clone)]
pub struct Engine {
    runtime: Runtime,
    /// Who answers recorded requests: the runtime itself unless [`Engine::with_answerer`] says
    /// otherwise.
    answerer: Arc<dyn Answerer>,
    config: EngineConfig,
    precompiles: PipePrecompiles,
    /// The threads that work beside the calling thread, `workers - 1` of them, kept for the engine's
    /// life: starting and joining a thread per block costs as much as simulating a few transactions.
    helpers: Option<Arc<rayon::ThreadPool>>,
}

impl Engine {
    /// An engine running models on `runtime`. If its helper threads cannot be started, it works on
    /// the calling thread alone.
    pub fn new(runtime: Runtime, config: EngineConfig) -> Self {
        let placeholder: Arc<dyn InferenceBackend> = Arc::new(CachedBackend::new(Arc::default()));
        let precompiles = PipePrecompiles::new(config.spec, placeholder);
        let helpers = (config.workers > 1)
            .then(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(config.workers - 1)
                    .thread_name(|i| format!("pipe-worker-{i}"))
                    .build()
                    .ok()
            })
            .flatten()
            .map(Arc::new);
        let answerer = Arc::new(runtime.clone());
        Self { runtime, answerer, config, precompiles, helpers }
    }

    /// The same engine, with recorded requests answered by `answerer` (the worker network) instead
    /// of its own runtime, which then only describes the models (cost units, outputs' shapes).
    pub fn with_answerer(mut self, answerer: Arc<dyn Answerer>) -> Self {
        self.answerer = answerer;
        self
    }

    /// Builds a block of `txs` on `state`: simulates, infers in parallel, executes with the results.
    pub fn build<DB>(&self, state: &DB, block: &BlockEnv, txs: &[TxEnv]) -> BlockOutcome
    where
        DB: DatabaseRef + Sync,
    {
        let cache = Arc::new(ResultCache::for_block(txs.len()));
        let mut stats = EngineStats { rounds: 1, ..EngineStats::default() };
        let deadline = Deadline::after(self.config.inference_timeout);
        let (results, changes, phase2) =
            overlap::first_round(self, state, block, txs, &cache, deadline, &mut stats);
        self.later_rounds(state, block, txs, &cache, (results, changes, phase2), stats)
    }

    /// Runs the rounds after a block's first execution until no call misses its answer (or the
    /// round limit), and returns the block.
    pub(crate) fn later_rounds<DB: DatabaseRef>(
        &self,
        state: &DB,
        block: &BlockEnv,
        txs: &[TxEnv],
        cache: &Arc<ResultCache>,
        executed: (Vec<TxOutcome>, EvmState, Arc<ExecutionBackend>),
        mut stats: EngineStats,
    ) -> BlockOutcome {
        let (mut results, mut changes, mut phase2) = executed;
        loop {
            let missed = phase2.take_missed();
            if missed.is_empty() || stats.rounds >= self.config.max_rounds {
                let pipe = PipeCommitment { results: phase2.take_used(), settlement: None };
                let charges = phase2.ledger.take();
                return BlockOutcome { results, changes, pipe, charges, stats };
            }
            // The speculative execution reached requests no simulation did (they depend on an answer,
            // or on state an earlier transaction of the block set): infer them and run again.
            stats.rounds += 1;
            let started = Instant::now();
            let next = AtomicUsize::new(0);
            let deadline = Deadline::after(self.config.inference_timeout);
            let infer = || {
                while let Some(request) = missed.get(next.fetch_add(1, Ordering::Relaxed)) {
                    self.resolve(request.clone(), cache, deadline);
                }
            };
            self.with_helpers(infer, |_| infer());
            stats.inferences += missed.len();
            stats.infer += started.elapsed();

            let started = Instant::now();
            phase2 = Arc::new(ExecutionBackend::new(cache.clone(), None));
            let backend: Arc<dyn InferenceBackend> = phase2.clone();
            (results, changes) = self.execute(state, block, txs, &backend);
            stats.execute += started.elapsed();
        }
    }

    /// Executes `txs` in order on an overlay of `state`, the precompile answering from `backend`.
    /// Inline inference, the execution phase and replay all run through here.
    pub fn execute<DB: DatabaseRef>(
        &self,
        state: &DB,
        block: &BlockEnv,
        txs: &[TxEnv],
        backend: &Arc<dyn InferenceBackend>,
    ) -> (Vec<TxOutcome>, EvmState) {
        self.execute_with(state, block, txs, backend, |_| {})
    }

    /// [`Self::execute`], calling `before(i)` before transaction `i` runs. One EVM runs the whole block:
    /// building one per transaction costs more than a simple transaction's execution.
    pub(crate) fn execute_with<DB: DatabaseRef>(
        &self,
        state: &DB,
        block: &BlockEnv,
        txs: &[TxEnv],
        backend: &Arc<dyn InferenceBackend>,
        mut before: impl FnMut(usize),
    ) -> (Vec<TxOutcome>, EvmState) {
        let mut evm = self.evm(CacheDB::new(state), block, backend.clone(), false);
        let mut changes = EvmState::default();
        let results = txs
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                before(i);
                backend.begin_transaction(i);
                let outcome = evm.transact(tx.clone()).map_err(|e| e.to_string())?;
                merge(&mut changes, outcome.state.clone());
                evm.commit(outcome.state);
                Ok(outcome.result)
            })
            .collect();
        (results, changes)
    }

    /// Infers a request (giving up at `deadline`) and stores its resolution; returns it whole.
    pub(crate) fn resolve(
        &self,
        request: PipeRequest,
        cache: &ResultCache,
        deadline: Deadline,
    ) -> Arc<Resolved> {
        let resolved = self.infer(request, deadline);
        cache.insert_resolved(resolved.clone());
        resolved
    }

    /// Infers a request (giving up at `deadline`), with the event already encoded so that executing
    /// the call only copies it.
    pub(crate) fn infer(&self, request: PipeRequest, deadline: Deadline) -> Arc<Resolved> {
        let resolution = self.answerer.answer(&request, deadline);
        if let Ok(answer) = &resolution {
            answer.encoded_event(&request);
        }
        Arc::new(Resolved { request, resolution })
    }

    /// The engine's settings.
    pub(crate) fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Runs `helper` on every helper thread while `main` runs on the calling thread, told how many
    /// helpers there are; returns `main`'s result once all have finished.
    pub(crate) fn with_helpers<R>(
        &self,
        helper: impl Fn() + Sync,
        main: impl FnOnce(usize) -> R,
    ) -> R {
        let Some(pool) = &self.helpers else { return main(0) };
        let helper = &helper;
        pool.in_place_scope(|scope| {
            for _ in 0..pool.current_num_threads() {
                scope.spawn(move |_| helper());
            }
            main(pool.current_num_threads())
        })
    }

    /// A simulation recording requests, priced by the release the engine's answerer resolves each
    /// model reference to.
    pub(crate) fn simulation(&self) -> SimulationBackend {
        SimulationBackend::new(self.runtime.clone(), Arc::default())
            .resolving_with(self.answerer.clone())
    }

    /// An EVM for the block on `db`. A simulation's skips the nonce check: it runs each transaction on
    /// the state before the block, where a sender's later transactions have "future" nonces.
    pub(crate) fn evm<'a, DB: revm::Database + DatabaseCommit + 'a>(
        &self,
        db: DB,
        block: &BlockEnv,
        backend: Arc<dyn InferenceBackend>,
        simulation: bool,
    ) -> impl ExecuteCommitEvm<
        Tx = TxEnv,
        ExecutionResult = ExecutionResult,
        State = EvmState,
        Error: std::fmt::Display,
    > + 'a {
        let (chain_id, spec) = (self.config.chain_id, self.config.spec);
        Context::mainnet()
            .with_db(db)
            .modify_block_chained(|b| *b = block.clone())
            .modify_cfg_chained(|cfg| {
                // revm's default is its newest fork; run the one the precompile set was built for.
                cfg.set_spec_and_mainnet_gas_params(spec);
                cfg.chain_id = chain_id;
                cfg.disable_nonce_check = simulation;
            })
            .build_mainnet()
            .with_precompiles(self.precompiles.with_backend(backend))
    }
}

/// The execution phase's backend: answers from the cache, remembers what it served and what it missed.
#[derive(Debug)]
pub(crate) struct ExecutionBackend {
    cache: Arc<ResultCache>,
    /// The first round's simulations, while they still run: a request not in the cache yet may still
    /// be recorded by one of them, so a miss waits for them all before it counts.
    simulations: Option<Arc<Progress>>,
    used: Mutex<Vec<(B256, Resolution)>>,
    missed: Mutex<BTreeMap<B256, PipeRequest>>,
    cursor: Cursor,
    ledger: ChargeLedger,
}

impl ExecutionBackend {
    pub(crate) fn new(cache: Arc<ResultCache>, simulations: Option<Arc<Progress>>) -> Self {
        Self {
            cache,
            simulations,
            used: Mutex::default(),
            missed: Mutex::default(),
            cursor: Cursor::default(),
            ledger: ChargeLedger::default(),
        }
    }

    fn take_used(&self) -> BTreeMap<B256, Resolution> {
        std::mem::take(&mut *self.used.lock().unwrap_or_else(PoisonError::into_inner))
            .into_iter()
            .collect()
    }

    fn take_missed(&self) -> Vec<PipeRequest> {
        std::mem::take(&mut *self.missed.lock().unwrap_or_else(PoisonError::into_inner))
            .into_values()
            .collect()
    }

    fn find(&self, id: &B256) -> Option<Resolution> {
        self.cache.get(id).or_else(|| {
            self.simulations.as_ref()?.wait_all();
            self.cache.get(id)
        })
    }

    fn record_use(&self, id: B256, resolution: &Resolution) {
        self.used.lock().unwrap_or_else(PoisonError::into_inner).push((id, resolution.clone()));
    }
}

impl InferenceBackend for ExecutionBackend {
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure> {
        Ok(self.find(&request.id).as_ref().map_or(0, cached_cost_units))
    }

    fn answer(&self, request: &PipeRequest) -> Resolution {
        let Some(resolution) = self.find(&request.id) else {
            self.missed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(request.id, request.clone());
            return Err(not_pre_executed(request));
        };
        self.record_use(request.id, &resolution);
        resolution
    }

    fn resolved(&self, calldata: &[u8]) -> Option<Arc<Resolved>> {
        let known = self.cache.find(&self.cursor, calldata)?;
        self.record_use(known.request.id, &known.resolution);
        Some(known)
    }

    fn begin_transaction(&self, index: usize) {
        self.cursor.begin(index);
    }

    fn ledger(&self) -> Option<&ChargeLedger> {
        Some(&self.ledger)
    }
}

/// Folds one transaction's (or system call's) state changes into the block's.
pub fn merge(into: &mut EvmState, state: EvmState) {
    for (address, account) in state {
        match into.get_mut(&address) {
            Some(existing) => {
                existing.info = account.info;
                existing.status |= account.status;
                existing.storage.extend(account.storage);
            }
            None => {
                into.insert(address, account);
            }
        }
    }
}
