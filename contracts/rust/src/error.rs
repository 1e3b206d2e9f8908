//! The chain client's errors, and how a node's error answers are sorted into them: the one place
//! that reads a node's free-text messages.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256},
    rpc::json_rpc::ErrorPayload,
    transports::{RpcError, TransportError},
};

use crate::{deployment::DeploymentError, revert::Revert};

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
    /// A call or gas estimate reverted; match on [`Revert::as_error`].
    #[error("{op} reverted: {revert}")]
    Reverted {
        /// The JSON-RPC method or function that reverted (`eth_call`, `eth_estimateGas`).
        op: &'static str,
        /// What it reverted with, e.g. `UnbondExceedsStake { amount: 5, free: 3 }`.
        revert: Revert,
    },
    /// The node refused a transaction because its nonce was used already: by this transaction
    /// (a resend), or by another one from the same key, mined ("nonce too low") or still in the
    /// pool ("replacement transaction underpriced").
    #[error("{op}: nonce taken: {source}")]
    NonceTaken {
        /// The JSON-RPC method refused.
        op: &'static str,
        /// The node's answer.
        source: TransportError,
    },
    /// The node refused a transaction priced below the block's base fee: the base fee rose past
    /// the fee estimate it was signed with.
    #[error("{op}: max fee below the base fee: {source}")]
    Underpriced {
        /// The JSON-RPC method refused.
        op: &'static str,
        /// The node's answer.
        source: TransportError,
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
    /// A transaction or task lacks the event it must have emitted.
    #[error("no {event} event for {context}")]
    MissingEvent {
        /// The event.
        event: &'static str,
        /// What it was looked for.
        context: String,
    },
    /// The deployment file could not be used.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
    /// The deployment file has no address for a contract: it was written before the deploy script
    /// deployed that contract.
    #[error("the deployment file has no {0} address; redeploy with scripts/Deploy.s.sol")]
    NotDeployed(&'static str),
    /// A token amount does not fit the contract's 96-bit field.
    #[error("amount {0} wei does not fit in a uint96")]
    AmountTooLarge(alloy::primitives::U256),
}

/// A `Result` with [`ChainError`].
pub type Result<T, E = ChainError> = std::result::Result<T, E>;

impl ChainError {
    /// Sorts a failed request's error by what the node meant ([`NodeRefusal`]).
    pub(crate) fn from_rpc(op: &'static str, source: TransportError) -> Self {
        match source.as_error_resp().map(NodeRefusal::of) {
            Some(NodeRefusal::Reverted(revert)) => Self::Reverted { op, revert },
            Some(NodeRefusal::NonceTaken) => Self::NonceTaken { op, source },
            Some(NodeRefusal::Underpriced) => Self::Underpriced { op, source },
            _ => Self::Rpc { op, source },
        }
    }

    /// The revert, if the call reverted.
    pub fn revert(&self) -> Option<&Revert> {
        match self {
            Self::Reverted { revert, .. } => Some(revert),
            _ => None,
        }
    }
}

/// What a node's error answer to a request says. Nodes differ in codes and wording (anvil, geth,
/// reth, pipe-node), so this reads the message — here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeRefusal {
    /// The call or estimate reverted, with this data (empty when the node sent none).
    Reverted(Revert),
    /// The transaction's nonce is below the account's next one, or held by another pending one.
    NonceTaken,
    /// The transaction's max fee per gas is below the base fee: priced before the base fee rose.
    Underpriced,
    /// Anything else: a refusal that retrying would repeat.
    Other,
}

impl NodeRefusal {
    /// Sorts `payload`.
    pub(crate) fn of(payload: &ErrorPayload) -> Self {
        let message = payload.message.to_ascii_lowercase();
        if message.contains("revert") {
            Self::Reverted(Revert::new(payload.as_revert_data().unwrap_or_default()))
        } else if message.contains("nonce too low")
            || message.contains("replacement transaction underpriced")
        {
            Self::NonceTaken
        } else if message.contains("less than block base fee") {
            Self::Underpriced
        } else {
            Self::Other
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

#[cfg(test)]
mod tests {
    use alloy::{sol_types::SolError, transports::TransportErrorKind};

    use super::*;
    use crate::WorkerRegistry;

    /// An error answer of the node, as JSON-RPC sends it.
    fn node_error(json: &str) -> TransportError {
        RpcError::ErrorResp(serde_json::from_str(json).expect("error payload"))
    }

    #[test]
    fn node_answers_are_sorted() {
        let data = alloy::primitives::hex::encode_prefixed(WorkerRegistry::ZeroAmount::SELECTOR);
        let cases = [
            (
                "anvil revert with data",
                format!(r#"{{"code":3,"message":"execution reverted","data":"{data}"}}"#),
                NodeRefusal::Reverted(Revert::new(WorkerRegistry::ZeroAmount::SELECTOR.into())),
            ),
            (
                "revert without data",
                r#"{"code":-32000,"message":"execution reverted"}"#.to_owned(),
                NodeRefusal::Reverted(Revert::new(Default::default())),
            ),
            (
                "geth nonce",
                r#"{"code":-32000,"message":"nonce too low: next nonce 5, tx nonce 4"}"#.to_owned(),
                NodeRefusal::NonceTaken,
            ),
            (
                "anvil nonce",
                r#"{"code":-32003,"message":"Nonce too low"}"#.to_owned(),
                NodeRefusal::NonceTaken,
            ),
            (
                "pending nonce",
                r#"{"code":-32000,"message":"replacement transaction underpriced"}"#.to_owned(),
                NodeRefusal::NonceTaken,
            ),
            (
                "anvil base fee",
                r#"{"code":-32003,"message":"max fee per gas less than block base fee"}"#.to_owned(),
                NodeRefusal::Underpriced,
            ),
            (
                "geth base fee",
                r#"{"code":-32000,"message":"max fee per gas less than block base fee: address 0x0, maxFeePerGas: 1, baseFee: 2"}"#.to_owned(),
                NodeRefusal::Underpriced,
            ),
            (
                "other",
                r#"{"code":-32000,"message":"already known"}"#.to_owned(),
                NodeRefusal::Other,
            ),
        ];
        for (name, json, expected) in cases {
            let payload: ErrorPayload = serde_json::from_str(&json).expect("payload");
            assert_eq!(NodeRefusal::of(&payload), expected, "{name}");
        }
    }

    #[test]
    fn only_transport_failures_and_rate_limits_are_retried() {
        let refused: TransportError = TransportErrorKind::custom_str("connection refused");
        assert!(is_transient(&refused));
        let rejected = node_error(r#"{"code":-32000,"message":"nonce too low"}"#);
        assert!(!is_transient(&rejected));
        let limited = node_error(r#"{"code":429,"message":"slow down"}"#);
        assert!(is_transient(&limited));
        assert!(matches!(
            ChainError::from_rpc("eth_sendRawTransaction", rejected),
            ChainError::NonceTaken { .. }
        ));
        let unknown = node_error(r#"{"code":-32000,"message":"insufficient funds"}"#);
        assert!(matches!(ChainError::from_rpc("eth_call", unknown), ChainError::Rpc { .. }));
        let data = alloy::primitives::hex::encode_prefixed(WorkerRegistry::ZeroAmount::SELECTOR);
        let reverted =
            node_error(&format!(r#"{{"code":3,"message":"execution reverted","data":"{data}"}}"#));
        assert!(!is_transient(&reverted));
        let error = ChainError::from_rpc("eth_estimateGas", reverted);
        assert_eq!(error.to_string(), "eth_estimateGas reverted: ZeroAmount");
        assert!(matches!(
            error.revert().and_then(Revert::as_error::<WorkerRegistry::WorkerRegistryErrors>),
            Some(WorkerRegistry::WorkerRegistryErrors::ZeroAmount(_))
        ));
    }
}
