//! What PIPE calls owe. A call served an answer the network signed pays the release's price out of
//! its caller's prepaid balance in the chain's PipeSettlement: the precompile checks the balance in
//! the transaction (less what the block already charged the caller) and records the charge here;
//! the node settles the block's charges in one system call after its last transaction. A charge
//! stands whatever the calling frame does afterwards — a revert does not undo it, as it does not
//! undo gas — so an answer cannot be taken out of a reverted frame for free.

use std::sync::{Mutex, PoisonError};

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;

/// One call's charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The PipeSettlement that holds the payer's balance.
    pub settlement: Address,
    /// The contract that called the precompile.
    pub payer: Address,
    /// The release that answered.
    pub release: B256,
    /// The release's price.
    pub price: U256,
    /// The workers that signed the answer, who share the workers' part.
    pub workers: Vec<Address>,
    /// The twin the call invoked (`twin:<id>`), whose reputation registry settlement tells of the
    /// paid call; `None` for a call of a release.
    pub twin: Option<u64>,
}

/// The charges of one execution of a block, in call order.
#[derive(Debug, Default)]
pub struct ChargeLedger {
    charges: Mutex<Vec<Charge>>,
}

impl ChargeLedger {
    /// What `payer` was already charged in this block, at `settlement`.
    pub fn owed(&self, settlement: Address, payer: Address) -> U256 {
        let charges = self.charges.lock().unwrap_or_else(PoisonError::into_inner);
        charges
            .iter()
            .filter(|c| c.settlement == settlement && c.payer == payer)
            .fold(U256::ZERO, |sum, c| sum.saturating_add(c.price))
    }

    /// Records a charge.
    pub fn record(&self, charge: Charge) {
        self.charges.lock().unwrap_or_else(PoisonError::into_inner).push(charge);
    }

    /// The charges recorded, in order; the ledger is left empty.
    pub fn take(&self) -> Vec<Charge> {
        std::mem::take(&mut *self.charges.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The storage slot of `payer`'s prepaid balance in a PipeSettlement: `balanceOf` is its slot 0,
/// so the slot is `keccak256(abi.encode(payer, 0))` (PipeSettlement.t.sol checks the layout).
pub fn balance_slot(payer: Address) -> U256 {
    keccak256((payer, U256::ZERO).abi_encode()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payer_owes_the_sum_of_its_charges_at_one_settlement() {
        let ledger = ChargeLedger::default();
        let (settlement, payer) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let charge = |settlement, payer, price: u64| Charge {
            settlement,
            payer,
            release: B256::ZERO,
            price: U256::from(price),
            workers: Vec::new(),
            twin: None,
        };
        ledger.record(charge(settlement, payer, 3));
        ledger.record(charge(settlement, Address::repeat_byte(9), 100));
        ledger.record(charge(Address::repeat_byte(8), payer, 100));
        ledger.record(charge(settlement, payer, 4));
        assert_eq!(ledger.owed(settlement, payer), U256::from(7));
        assert_eq!(ledger.take().len(), 4);
        assert_eq!(ledger.owed(settlement, payer), U256::ZERO);
    }
}
