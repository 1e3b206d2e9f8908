//! The node's own reads of contract state — who is staked for a release — run as calls on a block's
//! state, at arrival on the head and on replay on each block's parent.

use std::sync::Arc;

use alloy_primitives::{Address, TxKind};
use alloy_sol_types::SolCall;
use revm::context::{BlockEnv, TxEnv};
use verigrad_pipe::{CachedBackend, InferenceBackend, PipePrecompiles};

use crate::{call::CallContext, node::SPEC, state::StateDb};

/// Gas a view may use.
const VIEW_GAS: u64 = 30_000_000;

/// Why a view has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The call is invalid, reverted, or returned what does not decode.
    #[error("{contract}: {reason}")]
    Failed {
        /// The contract called.
        contract: Address,
        /// Why.
        reason: String,
    },
}

/// Views on one state, in one block's environment.
#[derive(Debug)]
pub struct Views<'a> {
    context: CallContext<'a>,
}

impl<'a> Views<'a> {
    /// Views on `state` in `block` of chain `chain_id`. PIPE answers nothing here: a view that calls
    /// a model reverts.
    pub fn at(state: &'a StateDb, block: BlockEnv, chain_id: u64) -> Self {
        let backend: Arc<dyn InferenceBackend> = Arc::new(CachedBackend::new(Arc::default()));
        let precompiles = PipePrecompiles::new(SPEC, backend.clone());
        Self { context: CallContext { state, block, spec: SPEC, chain_id, precompiles, backend } }
    }

    /// Calls `call` on `contract` and decodes what it returns.
    pub fn call<C: SolCall>(&self, contract: Address, call: &C) -> Result<C::Return, ViewError> {
        let failed = |reason: String| ViewError::Failed { contract, reason };
        let tx = TxEnv {
            kind: TxKind::Call(contract),
            data: call.abi_encode().into(),
            gas_limit: VIEW_GAS,
            chain_id: Some(self.context.chain_id),
            ..TxEnv::default()
        };
        let result = self.context.transact(tx).map_err(failed)?;
        if !result.is_success() {
            return Err(failed(format!("the call did not succeed: {result:?}")));
        }
        let output = result.output().cloned().unwrap_or_default();
        C::abi_decode_returns(&output).map_err(|e| failed(e.to_string()))
    }
}
