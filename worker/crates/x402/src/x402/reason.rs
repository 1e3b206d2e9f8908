//! Why a payment is refused: the reason strings of the x402 specification and of the official
//! `exact` EVM facilitator (`@x402/evm`), so that official clients can act on them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A reason a payment was refused or could not be settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The header is not base64 JSON of a payment payload.
    InvalidPayload,
    /// The payload's `x402Version` is neither 1 nor 2.
    InvalidX402Version,
    /// A scheme other than `exact`.
    UnsupportedScheme,
    /// The accepted requirements name another asset (or are otherwise not the ones offered).
    InvalidPaymentRequirements,
    /// Another network than the one offered.
    #[serde(rename = "invalid_exact_evm_network_mismatch")]
    NetworkMismatch,
    /// The signature is not the payer's over the authorization.
    #[serde(rename = "invalid_exact_evm_signature")]
    InvalidSignature,
    /// The authorization pays someone other than `payTo`.
    #[serde(rename = "invalid_exact_evm_recipient_mismatch")]
    RecipientMismatch,
    /// The authorization's value is not the price.
    #[serde(rename = "invalid_exact_evm_payload_authorization_value_mismatch")]
    ValueMismatch,
    /// `validBefore` has passed (or is too close to settle in time).
    #[serde(rename = "invalid_exact_evm_payload_authorization_valid_before")]
    Expired,
    /// `validAfter` is still ahead.
    #[serde(rename = "invalid_exact_evm_payload_authorization_valid_after")]
    NotYetValid,
    /// The authorization's nonce was used (on chain, or already settled or in flight here).
    #[serde(rename = "invalid_exact_evm_nonce_already_used")]
    NonceAlreadyUsed,
    /// The payer's token balance is below the price.
    #[serde(rename = "invalid_exact_evm_insufficient_balance")]
    InsufficientBalance,
    /// The settlement transaction failed.
    #[serde(rename = "invalid_exact_evm_transaction_failed")]
    TransactionFailed,
    /// Verification could not finish (e.g. the node is unreachable).
    UnexpectedVerifyError,
    /// Settlement could not finish.
    UnexpectedSettleError,
}

impl Reason {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidPayload => "invalid_payload",
            Self::InvalidX402Version => "invalid_x402_version",
            Self::UnsupportedScheme => "unsupported_scheme",
            Self::InvalidPaymentRequirements => "invalid_payment_requirements",
            Self::NetworkMismatch => "invalid_exact_evm_network_mismatch",
            Self::InvalidSignature => "invalid_exact_evm_signature",
            Self::RecipientMismatch => "invalid_exact_evm_recipient_mismatch",
            Self::ValueMismatch => "invalid_exact_evm_payload_authorization_value_mismatch",
            Self::Expired => "invalid_exact_evm_payload_authorization_valid_before",
            Self::NotYetValid => "invalid_exact_evm_payload_authorization_valid_after",
            Self::NonceAlreadyUsed => "invalid_exact_evm_nonce_already_used",
            Self::InsufficientBalance => "invalid_exact_evm_insufficient_balance",
            Self::TransactionFailed => "invalid_exact_evm_transaction_failed",
            Self::UnexpectedVerifyError => "unexpected_verify_error",
            Self::UnexpectedSettleError => "unexpected_settle_error",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Reason {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serde and `as_str` agree for every reason.
    #[test]
    fn wire_strings_agree() {
        use Reason::*;
        for reason in [
            InvalidPayload,
            InvalidX402Version,
            UnsupportedScheme,
            InvalidPaymentRequirements,
            NetworkMismatch,
            InvalidSignature,
            RecipientMismatch,
            ValueMismatch,
            Expired,
            NotYetValid,
            NonceAlreadyUsed,
            InsufficientBalance,
            TransactionFailed,
            UnexpectedVerifyError,
            UnexpectedSettleError,
        ] {
            let json = serde_json::to_string(&reason).expect("serializes");
            assert_eq!(json, format!("\"{reason}\""));
            assert_eq!(serde_json::from_str::<Reason>(&json).expect("parses"), reason);
        }
    }
}
