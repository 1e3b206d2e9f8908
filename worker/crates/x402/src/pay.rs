//! A paying client: request, read the 402, sign an EIP-3009 authorization for the price, and send
//! the request again with it.

use alloy::{primitives::U256, signers::local::PrivateKeySigner, transports::http::reqwest};
use serde_json::Value;

use super::{
    facilitator::unix_now,
    x402::{
        self, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, PaymentPayload,
        PaymentRequired, PaymentRequirements, Reason, SCHEME, SettleResponse, X_PAYMENT_RESPONSE,
        X402_VERSION,
    },
};

/// Why a payment could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The server could not be reached, or answered garbage.
    #[error("{url}: {message}")]
    Http {
        /// The request.
        url: String,
        /// What happened.
        message: String,
    },
    /// The 402 carries no requirements this client can pay.
    #[error("no payable requirements in the 402 (need scheme exact on an eip155 network): {0}")]
    Unpayable(String),
    /// The authorization could not be signed.
    #[error("cannot sign the authorization: {0}")]
    Sign(Reason),
    /// The 402 asks more than the payer would pay.
    #[error("{url} asks {asked}, more than the {most} this payer pays")]
    TooDear {
        /// The request.
        url: String,
        /// What the 402 asks, token wei.
        asked: U256,
        /// The most the payer pays, token wei.
        most: U256,
    },
}

/// The answer to a paid (or free) request.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidResponse {
    /// The final HTTP status.
    pub status: u16,
    /// The final body (JSON, or a JSON string of the text).
    pub body: Value,
    /// What was paid, if a payment was asked for.
    pub paid: Option<PaymentRequirements>,
    /// The settlement, when the server sent one.
    pub settlement: Option<SettleResponse>,
}

/// Requests `url` (POST with `body`, else GET); on a 402, pays with `signer` and asks again.
pub async fn pay(
    http: &reqwest::Client,
    url: &str,
    body: Option<&Value>,
    signer: &PrivateKeySigner,
) -> Result<PaidResponse, PayError> {
    let request = || match body {
        Some(body) => http.post(url).json(body),
        None => http.get(url),
    };
    pay_request(url, request, signer).await
}

/// Sends the request `request` builds (to `url`, named in errors); on a 402, pays with `signer` and
/// sends a fresh one with the payment.
pub async fn pay_request(
    url: &str,
    request: impl Fn() -> reqwest::RequestBuilder,
    signer: &PrivateKeySigner,
) -> Result<PaidResponse, PayError> {
    pay_request_up_to(url, request, signer, U256::MAX).await
}

/// [`pay_request`], refusing ([`PayError::TooDear`]) a 402 that asks more than `most` token wei.
pub async fn pay_request_up_to(
    url: &str,
    request: impl Fn() -> reqwest::RequestBuilder,
    signer: &PrivateKeySigner,
    most: U256,
) -> Result<PaidResponse, PayError> {
    let failed =
        |e: reqwest::Error| PayError::Http { url: url.to_string(), message: e.to_string() };
    let first = request().send().await.map_err(failed)?;
    if first.status().as_u16() != 402 {
        return read(first, None).await.map_err(failed);
    }
    let required = required(first).await.map_err(PayError::Unpayable)?;
    let requirements = required
        .accepts
        .iter()
        .find(|r| r.scheme == SCHEME && r.network.starts_with("eip155:"))
        .cloned()
        .ok_or_else(|| {
            PayError::Unpayable(serde_json::to_string(&required.accepts).unwrap_or_default())
        })?;
    if requirements.amount > most {
        let (url, asked) = (url.to_string(), requirements.amount);
        return Err(PayError::TooDear { url, asked, most });
    }
    let chain_id = requirements.network["eip155:".len()..]
        .parse()
        .map_err(|_| PayError::Unpayable(requirements.network.clone()))?;
    let signed =
        x402::authorize(signer, &requirements, chain_id, unix_now()).map_err(PayError::Sign)?;
    let payment = PaymentPayload {
        x402_version: X402_VERSION,
        resource: Some(required.resource),
        accepted: requirements.clone(),
        payload: signed,
    };
    let second = request()
        .header(PAYMENT_SIGNATURE, x402::encode_header(&payment))
        .send()
        .await
        .map_err(failed)?;
    read(second, Some(requirements)).await.map_err(failed)
}

/// The requirements of a 402: the `PAYMENT-REQUIRED` header, else the body.
async fn required(response: reqwest::Response) -> Result<PaymentRequired, String> {
    if let Some(header) = response.headers().get(PAYMENT_REQUIRED) {
        let text = header.to_str().map_err(|e| e.to_string())?;
        return x402::decode_header(text).map_err(|r| format!("PAYMENT-REQUIRED: {r}"));
    }
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("402 body: {e}"))
}

async fn read(
    response: reqwest::Response,
    paid: Option<PaymentRequirements>,
) -> Result<PaidResponse, reqwest::Error> {
    let status = response.status().as_u16();
    let settlement = [PAYMENT_RESPONSE, X_PAYMENT_RESPONSE]
        .iter()
        .find_map(|name| response.headers().get(*name))
        .and_then(|h| h.to_str().ok())
        .and_then(|text| x402::decode_header(text).ok());
    let bytes = response.bytes().await?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Ok(PaidResponse { status, body, paid, settlement })
}
