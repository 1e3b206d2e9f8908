//! The end of a block: one system call to the chain's PipeSettlement, which settles what the
//! block's PIPE calls were charged (the caller's balance to the workers, the model owner and the
//! protocol) and then executes the withdrawals queued before — so that within a block a balance
//! only ever falls through charges the precompile has already counted.

use alloy_primitives::{Address, aliases::U96};
use alloy_sol_types::SolCall;
use revm::{
    Context, DatabaseCommit, MainBuilder, MainContext, SystemCallEvm, context::BlockEnv,
    database::CacheDB, state::EvmState,
};
use verigrad_contracts::PipeSettlement;
use verigrad_pipe::{Charge, merge};

use crate::{node::SPEC, state::StateDb};

/// Settles `charges` at `settlement` on `state` after the block's `changes`, folding the call's
/// changes into them — if there is anything to settle: a charge, or a queued withdrawal. Returns
/// whether it called. A call that fails (it never should) changes nothing and is logged: settlement
/// must not make a block impossible to build.
pub fn settle(
    state: &StateDb,
    block: &BlockEnv,
    chain_id: u64,
    changes: &mut EvmState,
    settlement: Address,
    charges: &[Charge],
) -> bool {
    let charges: Vec<PipeSettlement::Charge> = charges
        .iter()
        .filter(|charge| charge.settlement == settlement)
        .map(|charge| PipeSettlement::Charge {
            payer: charge.payer,
            releaseId: charge.release,
            price: U96::saturating_from(charge.price),
            workers: charge.workers.clone(),
        })
        .collect();
    let empty = charges.is_empty();
    let data = PipeSettlement::settleCall { charges }.abi_encode();
    let mut db = CacheDB::new(state);
    db.commit(changes.clone());
    let mut evm = Context::mainnet()
        .with_db(db)
        .modify_block_chained(|b| *b = block.clone())
        .modify_cfg_chained(|cfg| {
            cfg.set_spec_and_mainnet_gas_params(SPEC);
            cfg.chain_id = chain_id;
        })
        .build_mainnet();
    if empty {
        let queued = PipeSettlement::queuedWithdrawalsCall {}.abi_encode();
        let queued = evm.system_call_one(settlement, queued.into()).ok().and_then(|result| {
            PipeSettlement::queuedWithdrawalsCall::abi_decode_returns(result.output()?).ok()
        });
        if queued.is_none_or(|queued| queued.is_zero()) {
            return false;
        }
    }
    match evm.system_call(settlement, data.into()) {
        Ok(outcome) if outcome.result.is_success() => merge(changes, outcome.state),
        Ok(outcome) => {
            tracing::error!(%settlement, result = ?outcome.result, "PIPE settlement failed");
        }
        Err(error) => tracing::error!(%settlement, %error, "PIPE settlement failed"),
    }
    true
}
