//! `eth_call` and `eth_estimateGas`: a transaction run on a block's state and thrown away, with PIPE
//! answering by running the model (each request once per call), a twin's as bound on that state.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use revm::{
    Context, ExecuteEvm, MainBuilder, MainContext,
    context::{BlockEnv, TxEnv, result::ExecutionResult},
    database::CacheDB,
    primitives::hardfork::SpecId,
};
use verigrad_inference::{Deadline, Runtime};
use verigrad_pipe::{
    BoundTwin, InferenceBackend, PipeFailure, PipePrecompiles, PipeRequest, Resolution,
    ResultCache, compute_until,
};

use crate::{
    state::StateDb,
    twins::{TwinsAt, twin_of},
};

/// Runs models for a call, remembering answers so a gas estimate's repeated runs infer once.
#[derive(Debug)]
pub struct CallBackend {
    runtime: Runtime,
    answers: ResultCache,
    deadline: Deadline,
    twins: TwinsAt,
    /// Twins as `twins` resolved them, each read once per call.
    bound: Mutex<HashMap<u64, Result<BoundTwin, PipeFailure>>>,
}

impl CallBackend {
    /// A backend for one call, whose inference must be over by `deadline`, resolving twins on the
    /// state `twins` reads.
    pub fn new(runtime: Runtime, deadline: Deadline, twins: TwinsAt) -> Self {
        Self { runtime, answers: ResultCache::new(), deadline, twins, bound: Mutex::default() }
    }

    /// The twin `model` names, as bound on the call's state; `None` for any other model.
    fn twin(&self, model: &str) -> Option<Result<BoundTwin, PipeFailure>> {
        let twin = match twin_of(model)? {
            Ok(twin) => twin,
            Err(failure) => return Some(Err(failure)),
        };
        let mut bound = self.bound.lock().unwrap_or_else(PoisonError::into_inner);
        let resolved =
            bound.entry(twin.id).or_insert_with(|| self.twins.resolve(twin, &self.runtime));
        Some(resolved.clone())
    }
}

impl InferenceBackend for CallBackend {
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure> {
        let release = match self.twin(&request.model) {
            Some(twin) => twin?.release.to_string(),
            None => request.model.clone(),
        };
        Ok(self.runtime.manifest(&release)?.cost_units)
    }

    fn answer(&self, request: &PipeRequest) -> Resolution {
        if let Some(known) = self.answers.get(&request.id) {
            return known;
        }
        let resolution = match self.twin(&request.model) {
            Some(twin) => twin.and_then(|twin| twin.answer(&self.runtime, request, self.deadline)),
            None => compute_until(&self.runtime, request, self.deadline),
        };
        self.answers.insert(request.id, resolution.clone());
        resolution
    }
}

/// Where a call runs.
#[derive(Debug, Clone)]
pub struct CallContext<'a> {
    /// The state.
    pub state: &'a StateDb,
    /// The block it runs in.
    pub block: BlockEnv,
    /// EVM specification.
    pub spec: SpecId,
    /// Chain id.
    pub chain_id: u64,
    /// The PIPE precompile set, answering from a [`CallBackend`].
    pub precompiles: PipePrecompiles,
    /// The backend.
    pub backend: Arc<dyn InferenceBackend>,
}

impl CallContext<'_> {
    /// Runs `tx` without committing it. Nonce, balance and base-fee checks are off, as in geth's
    /// `eth_call`; an invalid transaction (say, gas above the cap) is an error.
    pub fn transact(&self, tx: TxEnv) -> Result<ExecutionResult, String> {
        let chain_id = self.chain_id;
        let spec = self.spec;
        let mut evm = Context::mainnet()
            .with_db(CacheDB::new(self.state))
            .modify_block_chained(|b| *b = self.block.clone())
            .modify_cfg_chained(|cfg| {
                cfg.set_spec_and_mainnet_gas_params(spec);
                cfg.chain_id = chain_id;
                cfg.disable_nonce_check = true;
                cfg.disable_balance_check = true;
                cfg.disable_base_fee = true;
            })
            .build_mainnet()
            .with_precompiles(self.precompiles.with_backend(self.backend.clone()));
        evm.transact(tx).map(|outcome| outcome.result).map_err(|e| e.to_string())
    }

    /// The least gas limit with which `tx` succeeds (binary search, as geth does), or why it fails at
    /// the cap.
    pub fn estimate_gas(&self, mut tx: TxEnv) -> Result<u64, CallError> {
        let cap = tx.gas_limit;
        let first = self.transact(tx.clone()).map_err(CallError::Invalid)?;
        if !first.is_success() {
            return Err(CallError::Failed(first));
        }
        // The gas spent before refunds is a lower bound; the limit may need more (the 63/64 rule).
        let (mut low, mut high) = (first.gas().total_gas_spent().saturating_sub(1), cap);
        while low + 1 < high {
            let mid = low + (high - low) / 2;
            tx.gas_limit = mid;
            match self.transact(tx.clone()) {
                Ok(result) if result.is_success() => high = mid,
                _ => low = mid,
            }
        }
        Ok(high)
    }
}

/// Why a gas estimate has no answer.
#[derive(Debug)]
pub enum CallError {
    /// The transaction is invalid (for example its gas is above the cap).
    Invalid(String),
    /// It reverts or halts even with all the gas.
    Failed(ExecutionResult),
}
