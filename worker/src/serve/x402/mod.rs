//! The x402 protocol, `exact` scheme on EVM: the wire messages and headers, EIP-3009 signing and
//! recovery, the checks that need no chain, and the reasons a payment is refused.

mod check;
mod reason;
mod sign;
mod wire;

pub use check::{SETTLE_MARGIN_SECS, check};
pub use reason::Reason;
pub use sign::{authorize, recover, sign, signing_hash};
pub use wire::{
    Authorization, DomainInfo, ExactEvmPayload, FacilitatorRequest, Payment, PaymentPayload,
    PaymentRequired, PaymentRequirements, ResourceInfo, SCHEME, SettleResponse, SupportedKind,
    SupportedResponse, VerifyResponse, X402_VERSION, decode_header, encode_header, network,
};

/// v2 request header carrying the payment.
pub const PAYMENT_SIGNATURE: &str = "PAYMENT-SIGNATURE";
/// v1 request header carrying the payment.
pub const X_PAYMENT: &str = "X-PAYMENT";
/// v2 response header of a 402: the [`PaymentRequired`].
pub const PAYMENT_REQUIRED: &str = "PAYMENT-REQUIRED";
/// v2 response header of a paid answer: the [`SettleResponse`].
pub const PAYMENT_RESPONSE: &str = "PAYMENT-RESPONSE";
/// v1 response header of a paid answer.
pub const X_PAYMENT_RESPONSE: &str = "X-PAYMENT-RESPONSE";
