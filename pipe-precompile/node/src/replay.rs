//! Replay: re-execute a stored chain from genesis with inference switched off, answering PIPE only
//! from each block's committed results, and check every block comes out identical — and that every
//! answer the network gave is signed by workers staked for its release on the state before its block,
//! and every twin's answer names the twin's binding there.

use std::sync::{Arc, Mutex, PoisonError};

use revm::{DatabaseCommit, context::BlockEnv};
use verigrad_inference::{Deadline, Runtime};
use verigrad_pipe::{
    Answer, CachedBackend, ChargeLedger, Engine, EngineConfig, InferenceBackend, Mode, PipeFailure,
    PipeRequest, Resolution, compute, output_hash,
};

use crate::{
    block::BlockRecord,
    genesis::Genesis,
    network::Contracts,
    node::SPEC,
    settle::settle,
    state::{StateDb, genesis_state, remember_block_hash},
    twins::{TwinChecks, twin_of},
    tx::signed_tx_env,
    view::Views,
};

/// Where a replay diverged.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Block 0 differs from the genesis.
    #[error("block 0 does not match the stored genesis")]
    Genesis,
    /// A transaction the block included is invalid on replay.
    #[error("block {block}: transaction {index} is invalid on replay: {reason}")]
    Invalid {
        /// Block number.
        block: u64,
        /// Transaction index.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A committed answer's signatures or signers do not check out.
    #[error("block {block}: the answer to request {request} does not check out: {reason}")]
    Answer {
        /// Block number.
        block: u64,
        /// The request.
        request: alloy_primitives::B256,
        /// Why.
        reason: String,
    },
    /// A re-executed block differs.
    #[error("block {block}: {what} differs on replay (stored {stored}, replayed {replayed})")]
    Diverged {
        /// Block number.
        block: u64,
        /// Which commitment.
        what: &'static str,
        /// The stored value.
        stored: String,
        /// The replayed value.
        replayed: String,
    },
}

/// What a successful replay checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayReport {
    /// Blocks re-executed (after genesis).
    pub blocks: u64,
    /// Transactions re-executed.
    pub transactions: usize,
    /// PIPE results used from the commitments (no model ran).
    pub pipe_results: usize,
    /// Of those, answers the network signed (each signature and signer checked).
    pub signed_answers: usize,
    /// ZKML answers re-executed (with a runtime to run them).
    pub zkml_recomputed: usize,
    /// The final state root, equal to the stored head's.
    pub state_root: alloy_primitives::B256,
}

/// What a replay checks beyond re-execution.
#[derive(Debug, Clone, Default)]
pub struct ReplayChecks {
    /// The contracts signed answers are checked against (a chain with signed answers cannot be
    /// replayed without them).
    pub contracts: Option<Contracts>,
    /// Models to re-execute every ZKML answer with, bit for bit; without them no model runs.
    pub recompute: Option<Runtime>,
}

/// Replays `blocks` (block 0 first) on `genesis`, answering PIPE from the committed results.
pub fn replay(
    genesis: &Genesis,
    blocks: &[Arc<BlockRecord>],
    checks: &ReplayChecks,
) -> Result<ReplayReport, ReplayError> {
    let contracts = checks.contracts;
    let engine = Engine::new(
        Runtime::new(),
        EngineConfig { spec: SPEC, chain_id: genesis.chain_id, ..EngineConfig::default() },
    );
    let mut state = genesis_state(genesis);
    let Some(first) = blocks.first() else { return Err(ReplayError::Genesis) };
    if BlockRecord::genesis(genesis, &state).hash != first.hash {
        return Err(ReplayError::Genesis);
    }
    remember_block_hash(&mut state, 0, first.hash);
    let mut report = ReplayReport {
        blocks: 0,
        transactions: 0,
        pipe_results: 0,
        signed_answers: 0,
        zkml_recomputed: 0,
        state_root: first.header.state_root,
    };
    for pair in blocks.windows(2) {
        let (parent, stored) = (&pair[0], &pair[1]);
        let number = stored.number();
        let env = parent.child_env(stored.header.timestamp, stored.header.beneficiary);
        report.signed_answers += check_answers(&state, &env, genesis.chain_id, stored, contracts)?;
        let envs: Vec<_> = stored.transactions.iter().map(signed_tx_env).collect();
        let cached = Arc::new(CachedBackend::new(stored.pipe.to_cache()));
        let replaying = Arc::new(Replaying {
            cached: cached.clone(),
            recompute: checks.recompute.is_some(),
            served: Mutex::default(),
        });
        let backend: Arc<dyn InferenceBackend> = replaying.clone();
        let (results, mut changes) = engine.execute(&state, &env, &envs, &backend);
        // `state` is still the parent's: the block's changes are committed below.
        let views = Views::at(&state, env.clone(), genesis.chain_id);
        let served = replaying.take_served();
        let recompute = checks.recompute.as_ref();
        report.zkml_recomputed += check_served(&views, number, served, contracts, recompute)?;
        if let Some(settlement) = stored.pipe.settlement {
            let charges = cached.take_charges();
            settle(&state, &env, genesis.chain_id, &mut changes, settlement, &charges);
        }
        let executed =
            stored
                .transactions
                .iter()
                .zip(results)
                .enumerate()
                .map(|(index, (tx, result))| {
                    result
                        .map(|result| (tx.clone(), result))
                        .map_err(|reason| ReplayError::Invalid { block: number, index, reason })
                })
                .collect::<Result<Vec<_>, _>>()?;
        state.commit(changes);
        let replayed = parent.seal_child(&env, executed, &state, stored.pipe.clone());
        let checks = [
            ("state root", stored.header.state_root, replayed.header.state_root),
            ("receipts root", stored.header.receipts_root, replayed.header.receipts_root),
            ("block hash", stored.hash, replayed.hash),
        ];
        for (what, stored, replayed) in checks {
            if stored != replayed {
                return Err(ReplayError::Diverged {
                    block: number,
                    what,
                    stored: stored.to_string(),
                    replayed: replayed.to_string(),
                });
            }
        }
        remember_block_hash(&mut state, number, replayed.hash);
        report.blocks += 1;
        report.transactions += stored.transactions.len();
        report.pipe_results += stored.pipe.results.len();
        report.state_root = replayed.header.state_root;
    }
    Ok(report)
}

/// Checks the signed answers `block` committed on `state`, the state before it; returns how many.
fn check_answers(
    state: &StateDb,
    env: &BlockEnv,
    chain_id: u64,
    block: &BlockRecord,
    contracts: Option<Contracts>,
) -> Result<usize, ReplayError> {
    let views = Views::at(state, env.clone(), chain_id);
    let mut signed = 0;
    for (request, resolution) in &block.pipe.results {
        let Ok(answer) = resolution else { continue };
        if answer.attestation.is_none() {
            continue;
        }
        let failed = |reason: String| ReplayError::Answer {
            block: block.number(),
            request: *request,
            reason,
        };
        let contracts = contracts.ok_or_else(|| {
            failed("it is signed, and no deployment names the contracts to check it against".into())
        })?;
        contracts.check(&views, chain_id, *request, answer).map_err(failed)?;
        signed += 1;
    }
    Ok(signed)
}

/// Checks the answers a block's calls were served that replay re-checks on `views`, the state before
/// the block: each twin's answer names the twin's binding there, and each ZKML answer equals
/// `recompute`'s re-execution (a twin's as bound there). Returns how many were re-executed.
fn check_served(
    views: &Views<'_>,
    block: u64,
    served: Vec<(PipeRequest, Arc<Answer>)>,
    contracts: Option<Contracts>,
    recompute: Option<&Runtime>,
) -> Result<usize, ReplayError> {
    let mut twins = TwinChecks::new(contracts.and_then(|contracts| contracts.twins));
    let mut recomputed = 0;
    for (request, answer) in served {
        let id = request.id;
        let failed = |reason: String| ReplayError::Answer { block, request: id, reason };
        twins.check(views, &request, &answer).map_err(failed)?;
        let Some(runtime) = recompute.filter(|_| request.mode == Mode::Zkml) else { continue };
        let mine = match twin_of(&request.model) {
            Some(Ok(twin)) => {
                twins.bound(views, twin).map_err(failed)?.answer(runtime, &request, Deadline::NONE)
            }
            _ => compute(runtime, &request),
        };
        if output_hash(&mine) != answer.output.commitment() {
            return Err(failed("the ZKML answer differs from the re-execution".into()));
        }
        recomputed += 1;
    }
    Ok(recomputed)
}

/// Replay's backend: serves the committed results, keeping the answers replay re-checks once the
/// block ran — every twin's, and every ZKML one for a validator that runs models.
#[derive(Debug)]
struct Replaying {
    cached: Arc<CachedBackend>,
    /// Whether ZKML answers are re-executed.
    recompute: bool,
    served: Mutex<Vec<(PipeRequest, Arc<Answer>)>>,
}

impl Replaying {
    /// The answers kept since the last call, in call order.
    fn take_served(&self) -> Vec<(PipeRequest, Arc<Answer>)> {
        std::mem::take(&mut *self.served.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl InferenceBackend for Replaying {
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure> {
        self.cached.cost_units(request)
    }

    fn answer(&self, request: &PipeRequest) -> Resolution {
        let committed = self.cached.answer(request);
        let rechecked =
            twin_of(&request.model).is_some() || self.recompute && request.mode == Mode::Zkml;
        if let Ok(answer) = &committed
            && rechecked
        {
            let kept = (request.clone(), answer.clone());
            self.served.lock().unwrap_or_else(PoisonError::into_inner).push(kept);
        }
        committed
    }

    fn begin_transaction(&self, index: usize) {
        self.cached.begin_transaction(index);
    }

    fn ledger(&self) -> Option<&ChargeLedger> {
        self.cached.ledger()
    }
}
