//! The end of a block: one system call to the chain's PipeSettlement, which settles what the
//! block's PIPE calls were charged (the caller's balance to the workers, the model owner and the
//! protocol) and then executes the withdrawals queued before — so that within a block a balance
//! only ever falls through charges the precompile has already counted.

use alloy_primitives::{Address, U256, aliases::U96};
use alloy_sol_types::SolCall;
use revm::{
    Context, DatabaseCommit, MainBuilder, MainContext, SystemCallEvm, context::BlockEnv,
    database::CacheDB, state::EvmState,
};
use verigrad_contracts::PipeSettlement;
use verigrad_pipe::{Charge, merge};

use crate::{node::SPEC, state::StateDb};

/// The block's charges at `settlement`, the calls of one payer for one release (or twin) answered by
/// the same workers summed into one charge that counts them (in the order each first appeared):
/// settlement splits a sum as it splits its parts, but for rounding dust, which goes to the treasury
/// either way — and a block of many calls settles in a few loop iterations, not one per call.
fn aggregated(settlement: Address, charges: &[Charge]) -> Vec<PipeSettlement::Charge> {
    let mut summed: Vec<PipeSettlement::Charge> = Vec::new();
    for charge in charges.iter().filter(|charge| charge.settlement == settlement) {
        let price = U96::saturating_from(charge.price);
        let twin = U256::from(charge.twin.unwrap_or(0));
        let same = summed.iter_mut().find(|c| {
            c.payer == charge.payer
                && c.releaseId == charge.release
                && c.twinId == twin
                && c.workers == charge.workers
        });
        match same {
            Some(same) => {
                same.price = same.price.saturating_add(price);
                same.calls += 1;
            }
            None => summed.push(PipeSettlement::Charge {
                payer: charge.payer,
                releaseId: charge.release,
                price,
                workers: charge.workers.clone(),
                twinId: twin,
                calls: 1,
            }),
        }
    }
    summed
}

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
    let charges = aggregated(settlement, charges);
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

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    #[test]
    fn a_payers_calls_to_a_release_by_the_same_workers_settle_as_one_charge() {
        let (settlement, payer) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let charge = |payer, worker: u8, price: u64, twin| Charge {
            settlement,
            payer,
            release: B256::ZERO,
            price: U256::from(price),
            workers: vec![Address::repeat_byte(worker)],
            twin,
        };
        let mut elsewhere = charge(payer, 7, 100, None);
        elsewhere.settlement = Address::repeat_byte(9);
        let charges = [
            charge(payer, 7, 3, None),
            charge(payer, 8, 5, None),
            charge(payer, 7, 4, None),
            charge(Address::repeat_byte(3), 7, 6, None),
            charge(payer, 7, 2, Some(4)),
            charge(payer, 7, 2, Some(4)),
            charge(payer, 7, 2, Some(5)),
            elsewhere,
        ];
        let summed = aggregated(settlement, &charges);
        let summary: Vec<(u64, u64, u64)> =
            summed.iter().map(|c| (c.price.to::<u64>(), c.twinId.to::<u64>(), c.calls)).collect();
        assert_eq!(
            summary,
            vec![(7, 0, 2), (5, 0, 1), (6, 0, 1), (4, 4, 2), (2, 5, 1)],
            "per payer, release, twin and workers, in first-seen order, counting the calls"
        );
    }
}
