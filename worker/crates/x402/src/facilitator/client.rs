//! How the worker's API reaches a facilitator: in process, or over HTTP (`--facilitator URL`).

use std::sync::Arc;

use alloy::transports::http::reqwest;
use serde::{Serialize, de::DeserializeOwned};

use super::Facilitator;
use crate::x402::{
    FacilitatorRequest, Payment, PaymentRequirements, Reason, SettleResponse, VerifyResponse,
};

/// A facilitator to verify and settle with.
#[derive(Debug, Clone)]
pub enum FacilitatorClient {
    /// This process's own.
    InProcess(Arc<Facilitator>),
    /// Another node's, at this base URL.
    Http {
        /// The HTTP client.
        http: reqwest::Client,
        /// e.g. `http://127.0.0.1:9000`.
        base: String,
    },
}

impl FacilitatorClient {
    /// A client of the facilitator at `base`.
    pub fn http(base: &str) -> Self {
        Self::Http { http: reqwest::Client::new(), base: base.trim_end_matches('/').to_string() }
    }

    /// `POST /verify`; a facilitator that cannot be asked is `unexpected_verify_error`.
    pub async fn verify(
        &self,
        payment: &Payment,
        requirements: &PaymentRequirements,
    ) -> VerifyResponse {
        match self {
            Self::InProcess(f) => f.verify(payment, requirements).await,
            Self::Http { http, base } => {
                let answer = post(http, base, "verify", &request(payment, requirements)).await;
                answer.unwrap_or_else(|e| {
                    tracing::warn!(%e, "facilitator /verify");
                    VerifyResponse {
                        is_valid: false,
                        invalid_reason: Some(Reason::UnexpectedVerifyError),
                        payer: Some(payment.payer()),
                    }
                })
            }
        }
    }

    /// `POST /settle`; a facilitator that cannot be asked is `unexpected_settle_error`.
    pub async fn settle(
        &self,
        payment: &Payment,
        requirements: &PaymentRequirements,
    ) -> SettleResponse {
        match self {
            Self::InProcess(f) => f.settle(payment, requirements).await,
            Self::Http { http, base } => {
                let answer = post(http, base, "settle", &request(payment, requirements)).await;
                answer.unwrap_or_else(|e| {
                    tracing::warn!(%e, "facilitator /settle");
                    SettleResponse {
                        success: false,
                        error_reason: Some(Reason::UnexpectedSettleError),
                        payer: Some(payment.payer()),
                        transaction: String::new(),
                        network: requirements.network.clone(),
                    }
                })
            }
        }
    }
}

fn request(payment: &Payment, requirements: &PaymentRequirements) -> FacilitatorRequest {
    FacilitatorRequest {
        x402_version: Some(payment.version),
        payment_payload: payment.raw.clone(),
        payment_requirements: requirements.clone(),
    }
}

/// Posts JSON and reads the JSON answer, whatever its status (a 400 carries a reason too).
async fn post<T: DeserializeOwned>(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    body: &impl Serialize,
) -> Result<T, String> {
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let response = http
        .post(format!("{base}/{path}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{path}: {e}"))
}
