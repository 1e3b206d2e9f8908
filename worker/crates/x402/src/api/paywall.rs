//! x402 in front of a handler: quote, demand payment (402), verify, run, settle, answer — and no
//! output unless the settlement landed.

use std::{future::Future, time::Instant};

use alloy::primitives::{Address, U256};
use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::Value;

use super::{ApiError, rate::RateLimiter};
use crate::{
    facilitator::{FacilitatorClient, unix_now},
    x402::{
        self, DomainInfo, PAYMENT_REQUIRED, PAYMENT_RESPONSE, PAYMENT_SIGNATURE, Payment,
        PaymentRequired, PaymentRequirements, Reason, ResourceInfo, SCHEME, X_PAYMENT,
        X_PAYMENT_RESPONSE, X402_VERSION,
    },
};

/// What every quote has in common: where and in what to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The chain.
    pub chain_id: u64,
    /// The token paid in.
    pub asset: Address,
    /// Its EIP-712 domain.
    pub domain: DomainInfo,
    /// Who is paid.
    pub pay_to: Address,
    /// How long an authorization must stay valid.
    pub max_timeout_seconds: u64,
}

impl Terms {
    /// The requirements for paying `amount`.
    pub fn requirements(&self, amount: U256) -> PaymentRequirements {
        PaymentRequirements {
            scheme: SCHEME.into(),
            network: x402::network(self.chain_id),
            amount,
            asset: self.asset,
            pay_to: self.pay_to,
            max_timeout_seconds: self.max_timeout_seconds,
            extra: Some(self.domain.clone()),
        }
    }
}

/// The payment gate of the API.
#[derive(Debug)]
pub struct Paywall {
    /// Where and in what to pay.
    pub terms: Terms,
    /// Who verifies and settles.
    pub facilitator: FacilitatorClient,
    /// Per-payer admission.
    pub limiter: RateLimiter,
}

/// A request's payment and the requirements it was checked against.
struct Verified {
    payment: Payment,
    requirements: PaymentRequirements,
}

impl Paywall {
    /// Runs `work` once the request carries a valid payment of `amount`, then settles; answers the
    /// output with the settlement header, or the 402/400/429 that explains why not.
    pub async fn charge<F>(
        &self,
        headers: &HeaderMap,
        resource: ResourceInfo,
        amount: U256,
        work: F,
    ) -> Response
    where
        F: Future<Output = Result<Value, ApiError>>,
    {
        let verified = match self.admit(headers, &resource, amount).await {
            Ok(verified) => verified,
            Err(refusal) => return refusal,
        };
        // Nothing is settled, so nothing is charged, when the work fails.
        let output = match work.await {
            Ok(output) => output,
            Err(error) => return error.into_response(),
        };
        let Verified { payment, requirements } = verified;
        let settlement = self.facilitator.settle(&payment, &requirements).await;
        if !settlement.success {
            let reason = settlement.error_reason.unwrap_or(Reason::UnexpectedSettleError);
            return payment_required(
                StatusCode::PAYMENT_REQUIRED,
                resource,
                requirements,
                reason.as_str(),
            );
        }
        let name = if payment.version == 1 { X_PAYMENT_RESPONSE } else { PAYMENT_RESPONSE };
        let mut response = Json(output).into_response();
        if let Ok(value) = HeaderValue::from_str(&x402::encode_header(&settlement)) {
            response.headers_mut().insert(name, value);
        }
        response
    }

    /// Reads, checks, rate-limits and verifies the request's payment.
    async fn admit(
        &self,
        headers: &HeaderMap,
        resource: &ResourceInfo,
        amount: U256,
    ) -> Result<Verified, Response> {
        let requirements = self.terms.requirements(amount);
        let refuse = |status, error: &str| {
            payment_required(status, resource.clone(), requirements.clone(), error)
        };
        let header = headers.get(PAYMENT_SIGNATURE).or_else(|| headers.get(X_PAYMENT));
        let Some(header) = header else {
            return Err(refuse(
                StatusCode::PAYMENT_REQUIRED,
                "PAYMENT-SIGNATURE header is required",
            ));
        };
        let payment = header
            .to_str()
            .map_err(|_| Reason::InvalidPayload)
            .and_then(Payment::from_header)
            .map_err(|reason| {
                let status = match reason {
                    Reason::InvalidPayload => StatusCode::BAD_REQUEST,
                    _ => StatusCode::PAYMENT_REQUIRED,
                };
                refuse(status, reason.as_str())
            })?;
        // The signature is checked before the payer's bucket is touched, so nobody can spend another
        // payer's allowance by naming it; the checks are repeated by the facilitator.
        let terms = &self.terms;
        if let Err(reason) = x402::check(&payment, &requirements, terms.chain_id, unix_now()) {
            return Err(refuse(StatusCode::PAYMENT_REQUIRED, reason.as_str()));
        }
        if !self.limiter.admit(payment.payer(), Instant::now()) {
            let mut response = ApiError(
                StatusCode::TOO_MANY_REQUESTS,
                format!("rate limit for payer {}", payment.payer()),
            )
            .into_response();
            response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
            return Err(response);
        }
        let verdict = self.facilitator.verify(&payment, &requirements).await;
        if !verdict.is_valid {
            let reason = verdict.invalid_reason.unwrap_or(Reason::UnexpectedVerifyError);
            return Err(refuse(StatusCode::PAYMENT_REQUIRED, reason.as_str()));
        }
        Ok(Verified { payment, requirements })
    }
}

/// The amount a request's payment authorizes, if it carries one that parses (what the catalog honours
/// a recent quote by); the payment is checked in full later.
pub(crate) fn offered(headers: &HeaderMap) -> Option<U256> {
    let header = headers.get(PAYMENT_SIGNATURE).or_else(|| headers.get(X_PAYMENT))?;
    let payment = Payment::from_header(header.to_str().ok()?).ok()?;
    Some(payment.exact.authorization.value)
}

/// A 402 (or 400): the [`PaymentRequired`] as the `PAYMENT-REQUIRED` header and as the body.
fn payment_required(
    status: StatusCode,
    resource: ResourceInfo,
    requirements: PaymentRequirements,
    error: &str,
) -> Response {
    let required = PaymentRequired {
        x402_version: X402_VERSION,
        error: Some(error.to_string()),
        resource,
        accepts: vec![requirements],
    };
    let mut response = (status, Json(&required)).into_response();
    if let Ok(value) = HeaderValue::from_str(&x402::encode_header(&required)) {
        response.headers_mut().insert(PAYMENT_REQUIRED, value);
    }
    response
}
