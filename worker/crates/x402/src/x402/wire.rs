//! The x402 messages as they travel (x402 v2, with v1 payment payloads accepted), and the base64 JSON
//! form of the `PAYMENT-*` / `X-PAYMENT*` headers.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, Bytes, U256};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::DeserializeOwned};
use serde_json::Value;

use super::Reason;

/// The protocol version this node speaks.
pub const X402_VERSION: u8 = 2;
/// The one scheme served: a fixed amount by EIP-3009 `transferWithAuthorization`.
pub const SCHEME: &str = "exact";

/// The CAIP-2 name of an EVM chain: `eip155:<chain id>`.
pub fn network(chain_id: u64) -> String {
    format!("eip155:{chain_id}")
}

/// Token amounts and times travel as decimal strings; `0x` hex and JSON numbers are accepted too.
mod uint {
    use super::*;

    pub(super) fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        match Value::deserialize(d)? {
            Value::String(text) => text.parse().map_err(serde::de::Error::custom),
            Value::Number(n) if n.is_u64() => Ok(U256::from(n.as_u64().unwrap_or_default())),
            other => Err(serde::de::Error::custom(format!("not an unsigned integer: {other}"))),
        }
    }
}

/// The EIP-712 domain of the asset, which the payer signs under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainInfo {
    /// The token's EIP-712 name.
    pub name: String,
    /// The token's EIP-712 version.
    pub version: String,
}

/// One way to pay, as offered in `accepts` and echoed in a payment's `accepted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequirements {
    /// `exact`.
    pub scheme: String,
    /// CAIP-2 network, `eip155:<chain id>`.
    pub network: String,
    /// The price in token wei (`maxAmountRequired` in v1 requirements).
    #[serde(with = "uint", alias = "maxAmountRequired")]
    pub amount: U256,
    /// The token contract.
    pub asset: Address,
    /// Who is paid.
    pub pay_to: Address,
    /// How long an authorization must stay valid for the request to be served and settled.
    pub max_timeout_seconds: u64,
    /// The asset's EIP-712 domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra: Option<DomainInfo>,
}

/// What is being paid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceInfo {
    /// The resource's URL.
    pub url: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The MIME type of its answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// The body of a 402 and the `PAYMENT-REQUIRED` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequired {
    /// Always [`X402_VERSION`].
    pub x402_version: u8,
    /// Why the request was not served: a [`Reason`] string, or a plain message when no payment came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The resource.
    pub resource: ResourceInfo,
    /// The ways to pay.
    pub accepts: Vec<PaymentRequirements>,
}

/// An EIP-3009 `TransferWithAuthorization`, as signed by the payer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    /// The payer.
    pub from: Address,
    /// The payee.
    pub to: Address,
    /// Token wei.
    #[serde(with = "uint")]
    pub value: U256,
    /// Valid strictly after this unix time.
    #[serde(with = "uint")]
    pub valid_after: U256,
    /// Valid strictly before this unix time.
    #[serde(with = "uint")]
    pub valid_before: U256,
    /// A random 32-byte nonce, single use per payer.
    pub nonce: B256,
}

/// The `exact` EVM scheme's payload: the authorization and its 65-byte signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactEvmPayload {
    /// `r ‖ s ‖ v` over the EIP-712 hash of the authorization.
    pub signature: Bytes,
    /// What was signed.
    pub authorization: Authorization,
}

/// A v2 payment payload (`PAYMENT-SIGNATURE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentPayload {
    /// 2.
    pub x402_version: u8,
    /// The resource paid for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceInfo>,
    /// The requirements the payer chose from `accepts`.
    pub accepted: PaymentRequirements,
    /// The signed authorization.
    pub payload: ExactEvmPayload,
}

/// A v1 payment payload (`X-PAYMENT`): scheme and network at the top, no `accepted`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentPayloadV1 {
    scheme: String,
    network: String,
    payload: ExactEvmPayload,
}

/// A payment of either version, reduced to what verification needs. `raw` is the payload exactly as
/// the client sent it, for forwarding to a facilitator.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// 1 or 2.
    pub version: u8,
    /// The scheme the payer chose.
    pub scheme: String,
    /// The network the payer chose.
    pub network: String,
    /// The asset the payer chose (v2 only; v1 names none).
    pub asset: Option<Address>,
    /// The signed authorization.
    pub exact: ExactEvmPayload,
    /// The payload as received.
    pub raw: Value,
}

impl Payment {
    /// Reads a payment payload of version 1 or 2 from its JSON.
    pub fn from_json(raw: Value) -> Result<Self, Reason> {
        let version = raw.get("x402Version").and_then(Value::as_u64);
        let bad = |_| Reason::InvalidPayload;
        let (version, scheme, network, asset, exact) = match version {
            Some(2) => {
                let p = PaymentPayload::deserialize(&raw).map_err(bad)?;
                (2, p.accepted.scheme, p.accepted.network, Some(p.accepted.asset), p.payload)
            }
            Some(1) => {
                let p = PaymentPayloadV1::deserialize(&raw).map_err(bad)?;
                (1, p.scheme, p.network, None, p.payload)
            }
            Some(_) => return Err(Reason::InvalidX402Version),
            None => return Err(Reason::InvalidPayload),
        };
        Ok(Self { version, scheme, network, asset, exact, raw })
    }

    /// Reads a payment from a `PAYMENT-SIGNATURE` or `X-PAYMENT` header.
    pub fn from_header(header: &str) -> Result<Self, Reason> {
        Self::from_json(decode_header(header)?)
    }

    /// The payer.
    pub fn payer(&self) -> Address {
        self.exact.authorization.from
    }
}

/// `POST /verify` and `POST /settle` bodies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FacilitatorRequest {
    /// The version of the payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x402_version: Option<u8>,
    /// The payment payload as the client sent it.
    pub payment_payload: Value,
    /// What the resource server asks for.
    pub payment_requirements: PaymentRequirements,
}

/// The answer of `POST /verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    /// Whether the payment would be accepted.
    pub is_valid: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_reason: Option<Reason>,
    /// The payer, when the payload named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Address>,
}

/// The answer of `POST /settle`, and the `PAYMENT-RESPONSE` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleResponse {
    /// Whether the transfer landed.
    pub success: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<Reason>,
    /// The payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Address>,
    /// The settlement transaction hash; empty when none was mined.
    pub transaction: String,
    /// The network.
    pub network: String,
}

/// One kind of payment a facilitator settles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupportedKind {
    /// Protocol version.
    pub x402_version: u8,
    /// Scheme.
    pub scheme: String,
    /// Network.
    pub network: String,
}

/// The answer of `GET /supported`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportedResponse {
    /// What is settled.
    pub kinds: Vec<SupportedKind>,
    /// Extensions implemented (none).
    pub extensions: Vec<String>,
    /// The accounts that send settlements, by CAIP-2 pattern.
    pub signers: BTreeMap<String, Vec<Address>>,
}

/// A header value: base64 of the JSON.
pub fn encode_header(value: &impl Serialize) -> String {
    // Serializing these plain structs cannot fail.
    STANDARD.encode(serde_json::to_vec(value).unwrap_or_default())
}

/// Reads a base64 JSON header; anything malformed is [`Reason::InvalidPayload`].
pub fn decode_header<T: DeserializeOwned>(header: &str) -> Result<T, Reason> {
    let bytes = STANDARD.decode(header.trim()).map_err(|_| Reason::InvalidPayload)?;
    serde_json::from_slice(&bytes).map_err(|_| Reason::InvalidPayload)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The v2 payload of the specification's example.
    const SPEC_V2: &str = r#"{
      "x402Version": 2,
      "resource": {"url": "https://api.example.com/premium-data", "mimeType": "application/json"},
      "accepted": {"scheme": "exact", "network": "eip155:84532", "amount": "10000",
        "asset": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
        "payTo": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", "maxTimeoutSeconds": 60,
        "extra": {"name": "USDC", "version": "2"}},
      "payload": {
        "signature": "0x2d6a7588d6acca505cbf0d9a4a227e0c52c6c34008c8e8986a1283259764173608a2ce6496642e377d6da8dbbf5836e9bd15092f9ecab05ded3d6293af148b571c",
        "authorization": {"from": "0x857b06519E91e3A54538791bDbb0E22373e36b66",
          "to": "0x209693Bc6afc0C5328bA36FaF03C514EF312287C", "value": "10000",
          "validAfter": "1740672089", "validBefore": "1740672154",
          "nonce": "0xf3746613c2d920b5fdabc0856f2aeb2d4f88ee6037b8cc5d04a71a4462f13480"}},
      "extensions": {}
    }"#;

    #[test]
    fn reads_the_specification_examples() {
        let payment = Payment::from_json(serde_json::from_str(SPEC_V2).expect("json")).expect("v2");
        assert_eq!((payment.version, payment.network.as_str()), (2, "eip155:84532"));
        assert_eq!(payment.exact.authorization.value, U256::from(10_000));
        assert_eq!(payment.exact.signature.len(), 65);

        let mut v1: Value = serde_json::from_str(SPEC_V2).expect("json");
        v1["x402Version"] = 1.into();
        v1["scheme"] = "exact".into();
        v1["network"] = "base-sepolia".into();
        let payment = Payment::from_header(&encode_header(&v1)).expect("v1");
        assert_eq!((payment.version, payment.asset), (1, None));
    }

    #[test]
    fn malformed_payments_are_invalid_payloads() {
        let cases = [
            ("not base64", "%%%".to_string()),
            ("not JSON", STANDARD.encode("{nope")),
            ("no version", encode_header(&serde_json::json!({"payload": {}}))),
            ("no authorization", encode_header(&serde_json::json!({"x402Version": 1}))),
        ];
        for (name, header) in cases {
            assert_eq!(Payment::from_header(&header), Err(Reason::InvalidPayload), "{name}");
        }
        let v3 = encode_header(&serde_json::json!({"x402Version": 3}));
        assert_eq!(Payment::from_header(&v3), Err(Reason::InvalidX402Version));
    }

    #[test]
    fn amounts_are_decimal_strings_on_the_wire() {
        let requirements = PaymentRequirements {
            scheme: SCHEME.into(),
            network: network(31337),
            amount: U256::from(25) * U256::from(10).pow(U256::from(15)),
            asset: Address::repeat_byte(1),
            pay_to: Address::repeat_byte(2),
            max_timeout_seconds: 60,
            extra: Some(DomainInfo { name: "Verigrad".into(), version: "1".into() }),
        };
        let json = serde_json::to_value(&requirements).expect("json");
        assert_eq!(json["amount"], "25000000000000000");
        assert_eq!(json["payTo"], Address::repeat_byte(2).to_string());
        let back: PaymentRequirements = decode_header(&encode_header(&json)).expect("round trip");
        assert_eq!(back, requirements);
    }
}
