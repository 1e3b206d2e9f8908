//! The facilitator's HTTP API, as the x402 specification defines it:
//!
//! | request | answer |
//! |---|---|
//! | `POST /verify` `{paymentPayload, paymentRequirements}` | 200 `VerifyResponse`; 400 with `invalid_payload` when the payload is malformed |
//! | `POST /settle` (the same body) | 200 `SettleResponse`; 400 when malformed |
//! | `GET /supported` | 200 `SupportedResponse` |

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};

use super::Facilitator;
use crate::x402::{FacilitatorRequest, Payment, Reason, SettleResponse, VerifyResponse};

/// The routes of `facilitator`.
pub fn router(facilitator: Arc<Facilitator>) -> Router {
    Router::new()
        .route("/verify", post(verify))
        .route("/settle", post(settle))
        .route(
            "/supported",
            get(|State(f): State<Arc<Facilitator>>| async move { Json(f.supported()) }),
        )
        .with_state(facilitator)
}

/// The payment of a request, or the 400 that a malformed one gets.
fn payment(request: &FacilitatorRequest) -> Result<Payment, Reason> {
    Payment::from_json(request.payment_payload.clone())
}

async fn verify(
    State(facilitator): State<Arc<Facilitator>>,
    Json(request): Json<FacilitatorRequest>,
) -> Response {
    match payment(&request) {
        Ok(payment) => {
            Json(facilitator.verify(&payment, &request.payment_requirements).await).into_response()
        }
        Err(reason) => {
            let body =
                VerifyResponse { is_valid: false, invalid_reason: Some(reason), payer: None };
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}

async fn settle(
    State(facilitator): State<Arc<Facilitator>>,
    Json(request): Json<FacilitatorRequest>,
) -> Response {
    match payment(&request) {
        Ok(payment) => {
            Json(facilitator.settle(&payment, &request.payment_requirements).await).into_response()
        }
        Err(reason) => {
            let body = SettleResponse {
                success: false,
                error_reason: Some(reason),
                payer: None,
                transaction: String::new(),
                network: request.payment_requirements.network.clone(),
            };
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
    }
}
