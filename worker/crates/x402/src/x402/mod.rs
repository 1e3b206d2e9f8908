//! The x402 protocol, `exact` scheme on EVM: the wire messages and headers, EIP-3009 signing and
//! recovery, the checks that need no chain, and the reasons a payment is refused.
//!
//! ```
//! use alloy::{primitives::{Address, U256}, signers::local::PrivateKeySigner};
//! use verigrad_x402::x402::{self, DomainInfo, Payment, PaymentPayload, PaymentRequirements};
//!
//! let (chain_id, now) = (31337, 1_700_000_000);
//! let offer = PaymentRequirements {
//!     scheme: x402::SCHEME.into(),
//!     network: x402::network(chain_id),
//!     amount: U256::from(10_000),
//!     asset: Address::repeat_byte(0xAA),
//!     pay_to: Address::repeat_byte(0xBB),
//!     max_timeout_seconds: 60,
//!     extra: Some(DomainInfo { name: "Verigrad".into(), version: "1".into() }),
//! };
//! // The payer signs an EIP-3009 authorization and sends it as PAYMENT-SIGNATURE ...
//! let payer = PrivateKeySigner::random();
//! let payload = x402::authorize(&payer, &offer, chain_id, now)?;
//! let header = x402::encode_header(&PaymentPayload {
//!     x402_version: 2,
//!     resource: None,
//!     accepted: offer.clone(),
//!     payload,
//! });
//! // ... and the server reads it back and checks it.
//! let payment = Payment::from_header(&header)?;
//! assert_eq!(x402::check(&payment, &offer, chain_id, now)?, payer.address());
//! # Ok::<(), x402::Reason>(())
//! ```

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
