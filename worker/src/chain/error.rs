//! The chain client's errors, and how RPC failures are sorted into them.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256},
    sol_types::{SolInterface, decode_revert_reason},
    transports::{RpcError, TransportError},
};

use crate::{
    bindings::{ModelRegistry, TaskEscrow, Token, WorkerRegistry},
    deployment::DeploymentError,
};

/// A chain client failure.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node refused a request, or answered with an error that retrying would not change.
    #[error("{op}: {source}")]
    Rpc {
        /// The JSON-RPC method or step that failed.
        op: &'static str,
        /// The transport's error.
        source: TransportError,
    },
    /// The node stayed unreachable (or rate-limited us) through the whole retry budget.
    #[error("{op}: gave up after {attempts} attempts in {elapsed:.1?}: {last}")]
    RetriesExhausted {
        /// The JSON-RPC method or step that failed.
        op: &'static str,
        /// Attempts made.
        attempts: u32,
        /// Time spent, backoff included.
        elapsed: Duration,
        /// The last attempt's error.
        last: TransportError,
    },
    /// A call or gas estimate reverted; `reason` is the decoded custom error when the ABIs know it.
    #[error("{op} reverted: {reason}")]
    Reverted {
        /// The JSON-RPC method that reverted (`eth_call`, `eth_estimateGas`).
        op: &'static str,
        /// The decoded revert, e.g. `UnbondExceedsStake { amount: 5, stake: 3 }`.
        reason: String,
    },
    /// A transaction was mined but failed.
    #[error("transaction {hash} reverted in block {block} (gas used {gas_used})")]
    TxReverted {
        /// The transaction.
        hash: B256,
        /// The block it was mined in.
        block: u64,
        /// Gas it used.
        gas_used: u64,
    },
    /// A transaction was broadcast but no receipt appeared in time; it may still be mined.
    #[error("transaction {hash} has no receipt after {waited:?}; it may still be mined")]
    ReceiptTimeout {
        /// The transaction.
        hash: B256,
        /// How long we polled.
        waited: Duration,
    },
    /// Every nonce we signed with was taken by other transactions from the same account.
    #[error(
        "nonce {nonce} of {from} was taken by another transaction {attempts} times; is another process sending with this key?"
    )]
    NonceConflict {
        /// The sending account.
        from: Address,
        /// The last nonce tried.
        nonce: u64,
        /// Signing attempts made.
        attempts: u32,
    },
    /// The answer of a call does not decode as the function's return type.
    #[error("{op}: cannot decode the answer: {source}")]
    Decode {
        /// The function called.
        op: &'static str,
        /// The decoding error.
        source: alloy::sol_types::Error,
    },
    /// The transaction could not be signed.
    #[error("cannot sign the transaction: {0}")]
    Sign(String),
    /// The node serves another chain than the deployment.
    #[error("the node is chain {node}, but the deployment file is for chain {deployment}")]
    WrongChain {
        /// The node's chain id.
        node: u64,
        /// The deployment's chain id.
        deployment: u64,
    },
    /// The deployment file could not be used.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
    /// A token amount does not fit the contract's 96-bit field.
    #[error("amount {0} wei does not fit in a uint96")]
    AmountTooLarge(alloy::primitives::U256),
}

/// A `Result` with [`ChainError`].
pub type Result<T, E = ChainError> = std::result::Result<T, E>;

impl ChainError {
    /// Sorts a failed request's error: a revert becomes [`ChainError::Reverted`] (decoded), anything
    /// else [`ChainError::Rpc`].
    pub(crate) fn from_rpc(op: &'static str, source: TransportError) -> Self {
        match source.as_error_resp() {
            Some(payload) if payload.message.contains("revert") => {
                let reason = match payload.as_revert_data() {
                    Some(data) => decode_revert(&data),
                    None => payload.message.to_string(),
                };
                Self::Reverted { op, reason }
            }
            _ => Self::Rpc { op, source },
        }
    }
}

/// Whether retrying could help: the transport failed (connection refused or reset, timeout, an HTTP
/// error status) or the node asked us to slow down. A node's answer to the request itself (a revert,
/// a rejected transaction) would only repeat.
pub(crate) fn is_transient(error: &TransportError) -> bool {
    match error {
        RpcError::Transport(_) => true,
        RpcError::ErrorResp(payload) => payload.is_retry_err(),
        _ => false,
    }
}

/// Names a revert: a custom error of one of the core contracts (`UnbondExceedsStake { amount: 5,
/// stake: 3 }`), `Error(string)` or `Panic(uint256)`, or the raw bytes.
///
/// ```
/// use alloy::sol_types::SolError;
/// use verigrad_worker::bindings::WorkerRegistry::NothingToWithdraw;
///
/// let data = NothingToWithdraw { unbondingUntil: alloy::primitives::aliases::U40::from(9) }.abi_encode();
/// assert_eq!(verigrad_worker::decode_revert(&data), "NothingToWithdraw { unbondingUntil: 9 }");
/// ```
pub fn decode_revert(data: &[u8]) -> String {
    named::<WorkerRegistry::WorkerRegistryErrors>(data)
        .or_else(|| named::<TaskEscrow::TaskEscrowErrors>(data))
        .or_else(|| named::<ModelRegistry::ModelRegistryErrors>(data))
        .or_else(|| named::<Token::TokenErrors>(data))
        .or_else(|| decode_revert_reason(data))
        .unwrap_or_else(|| {
            format!("unknown revert data {}", alloy::primitives::hex::encode_prefixed(data))
        })
}

/// Decodes `data` as one of `E`'s errors and prints it without the enum's wrapper: the variant
/// `X(X { .. })` prints as `X { .. }`.
fn named<E: SolInterface + std::fmt::Debug>(data: &[u8]) -> Option<String> {
    let printed = format!("{:?}", E::abi_decode(data).ok()?);
    let inner =
        printed.split_once('(').and_then(|(_, rest)| rest.strip_suffix(')')).map(str::to_owned);
    Some(inner.unwrap_or(printed))
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::aliases::U96,
        sol_types::{Revert, SolError},
        transports::TransportErrorKind,
    };

    use super::*;

    #[test]
    fn reverts_are_named() {
        let cases: [(&str, Vec<u8>, &str); 4] = [
            (
                "registry custom error",
                WorkerRegistry::UnbondExceedsStake { amount: U96::from(5), free: U96::from(3) }
                    .abi_encode(),
                "UnbondExceedsStake { amount: 5, free: 3 }",
            ),
            ("unit error", WorkerRegistry::ZeroAmount {}.abi_encode(), "ZeroAmount"),
            ("require string", Revert::from("no").abi_encode(), "revert: no"),
            ("unknown", vec![0xde, 0xad, 0xbe, 0xef], "unknown revert data 0xdeadbeef"),
        ];
        for (name, data, expected) in cases {
            assert_eq!(decode_revert(&data), expected, "{name}");
        }
    }

    /// An error answer of the node, as JSON-RPC sends it.
    fn node_error(json: &str) -> TransportError {
        RpcError::ErrorResp(serde_json::from_str(json).expect("error payload"))
    }

    #[test]
    fn only_transport_failures_and_rate_limits_are_retried() {
        let refused: TransportError = TransportErrorKind::custom_str("connection refused");
        assert!(is_transient(&refused));
        let rejected = node_error(r#"{"code":-32000,"message":"nonce too low"}"#);
        assert!(!is_transient(&rejected));
        let limited = node_error(r#"{"code":429,"message":"slow down"}"#);
        assert!(is_transient(&limited));
        assert!(matches!(ChainError::from_rpc("eth_call", rejected), ChainError::Rpc { .. }));
        let data = alloy::primitives::hex::encode_prefixed(WorkerRegistry::ZeroAmount::SELECTOR);
        let reverted =
            node_error(&format!(r#"{{"code":3,"message":"execution reverted","data":"{data}"}}"#));
        assert!(!is_transient(&reverted));
        let error = ChainError::from_rpc("eth_estimateGas", reverted);
        assert_eq!(error.to_string(), "eth_estimateGas reverted: ZeroAmount");
    }
}
