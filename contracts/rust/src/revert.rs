//! A revert's data, kept as the node returned it and decoded on demand.

use std::fmt;

use alloy::{
    primitives::{Bytes, hex},
    sol_types::{SolInterface, decode_revert_reason},
};

use crate::bindings::ContractError;

/// The data a call reverted with. Match on it through [`as_error`](Self::as_error) with the error
/// enum of the contract called (alloy's `as_decoded_interface_error`); it prints as the custom error
/// (`UnbondExceedsStake { amount: 5, free: 3 }`), `Error(string)` or `Panic(uint256)`, or the raw
/// bytes.
///
/// ```
/// use alloy::{primitives::aliases::U40, sol_types::SolError};
/// use verigrad_contracts::{Revert, WorkerRegistry::{NothingToWithdraw, WorkerRegistryErrors}};
///
/// let revert = Revert::new(NothingToWithdraw { unbondingUntil: U40::from(9) }.abi_encode().into());
/// assert!(matches!(
///     revert.as_error::<WorkerRegistryErrors>(),
///     Some(WorkerRegistryErrors::NothingToWithdraw(_))
/// ));
/// assert_eq!(revert.to_string(), "NothingToWithdraw { unbondingUntil: 9 }");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revert(Bytes);

impl Revert {
    /// The revert of `data`.
    pub fn new(data: Bytes) -> Self {
        Self(data)
    }

    /// The raw revert data.
    pub fn data(&self) -> &Bytes {
        &self.0
    }

    /// The revert as one of the errors of `E`, the error enum of the contract that was called;
    /// `None` for another error, a string or panic revert, or no data.
    pub fn as_error<E: SolInterface>(&self) -> Option<E> {
        E::abi_decode(&self.0).ok()
    }

    /// The revert as a custom error of any of the core contracts (the first whose selector it
    /// matches), for when the contract that reverted is not known.
    pub fn contract_error(&self) -> Option<ContractError> {
        ContractError::decode(&self.0)
    }
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("no revert data")
        } else if let Some(error) = self.contract_error() {
            error.fmt(f)
        } else if let Some(reason) = decode_revert_reason(&self.0) {
            f.write_str(&reason)
        } else {
            write!(f, "unknown revert data {}", hex::encode_prefixed(&self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{U256, aliases::U96},
        sol_types::{Revert as RevertString, SolError},
    };

    use super::*;
    use crate::{TaskEscrow, TaskStatus, WorkerRegistry};

    fn revert(data: Vec<u8>) -> Revert {
        Revert::new(data.into())
    }

    #[test]
    fn a_custom_error_decodes_to_its_variant() {
        let wrong = TaskEscrow::WrongStatus { taskId: U256::from(7), status: TaskStatus::Settled };
        let decoded = revert(wrong.abi_encode()).as_error::<TaskEscrow::TaskEscrowErrors>();
        assert_eq!(decoded, Some(TaskEscrow::TaskEscrowErrors::WrongStatus(wrong)));
        // Another contract's interface does not claim it.
        let registry = revert(WorkerRegistry::ZeroAmount {}.abi_encode());
        assert_eq!(registry.as_error::<TaskEscrow::TaskEscrowErrors>(), None);
        assert!(matches!(
            registry.contract_error(),
            Some(ContractError::WorkerRegistry(WorkerRegistry::WorkerRegistryErrors::ZeroAmount(
                _
            )))
        ));
    }

    #[test]
    fn an_unknown_selector_stays_raw_bytes() {
        let unknown = revert(vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(unknown.contract_error(), None);
        assert_eq!(unknown.as_error::<TaskEscrow::TaskEscrowErrors>(), None);
        assert_eq!(unknown.data().as_ref(), [0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn reverts_print_by_name() {
        let cases: [(&str, Vec<u8>, &str); 6] = [
            (
                "registry custom error",
                WorkerRegistry::UnbondExceedsStake { amount: U96::from(5), free: U96::from(3) }
                    .abi_encode(),
                "UnbondExceedsStake { amount: 5, free: 3 }",
            ),
            (
                "enum argument",
                TaskEscrow::WrongStatus { taskId: U256::from(7), status: TaskStatus::Created }
                    .abi_encode(),
                "WrongStatus { taskId: 7, status: Created }",
            ),
            ("unit error", WorkerRegistry::ZeroAmount {}.abi_encode(), "ZeroAmount"),
            ("require string", RevertString::from("no").abi_encode(), "revert: no"),
            ("no data", Vec::new(), "no revert data"),
            ("unknown", vec![0xde, 0xad, 0xbe, 0xef], "unknown revert data 0xdeadbeef"),
        ];
        for (name, data, expected) in cases {
            assert_eq!(revert(data).to_string(), expected, "{name}");
        }
    }
}
