//! A compute worker's PIPE endpoint: `POST /v1/pipe/answer` runs the precompile call it is given on
//! the release it names — a `twin:<id>` call as that twin, with the profile the request carries — and
//! answers with the output signed by the worker's registered key.

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::{Address, B256},
    signers::local::PrivateKeySigner,
    sol_types::Eip712Domain,
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use verigrad_contracts::pipe_domain;
use verigrad_inference::{Deadline, LiveRuntime, TwinModel, falsify};
use verigrad_pipe::{Answer, BoundTwin, PipeRequest, Resolution, compute_until};

use crate::{AnswerRequest, SignedAnswer};

/// Why a worker does not answer a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request is for another chain.
    #[error("this worker answers for chain {mine}, not {asked}")]
    WrongChain {
        /// The chain asked for.
        asked: u64,
        /// The worker's.
        mine: u64,
    },
    /// The call data are no PIPE request.
    #[error("{0}")]
    Malformed(String),
    /// The worker does not run the release the request names.
    #[error("this worker does not serve release {0}")]
    NotServed(B256),
    /// A twin request without the twin it is answered as, or naming another twin than its model
    /// reference.
    #[error("{0}")]
    Twin(String),
    /// Signing failed.
    #[error("signing the answer: {0}")]
    Signing(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::WrongChain { .. } | Self::Malformed(_) | Self::Twin(_) => StatusCode::BAD_REQUEST,
            Self::NotServed(_) => StatusCode::NOT_FOUND,
            Self::Signing(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// What a worker needs to answer PIPE requests.
#[derive(Debug)]
pub struct Answering {
    runtime: LiveRuntime,
    signer: PrivateKeySigner,
    chain_id: u64,
    domain: Eip712Domain,
    faulty: bool,
    timeout: Duration,
}

impl Answering {
    /// A worker answering with `runtime`'s models of the moment and signing with `signer` for chain `chain_id`, whose
    /// PipeSettlement is `settlement`; `faulty` answers wrong outputs on purpose (tests, demos).
    /// A model still running after `timeout` fails the request.
    pub fn new(
        runtime: LiveRuntime,
        signer: PrivateKeySigner,
        chain_id: u64,
        settlement: Address,
        faulty: bool,
        timeout: Duration,
    ) -> Self {
        let domain = pipe_domain(chain_id, settlement);
        Self { runtime, signer, chain_id, domain, faulty, timeout }
    }

    /// The worker's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Runs the request and signs the answer (blocking: the model runs on this thread).
    pub fn answer(&self, asked: &AnswerRequest) -> Result<SignedAnswer, Refusal> {
        if asked.chain_id != self.chain_id {
            return Err(Refusal::WrongChain { asked: asked.chain_id, mine: self.chain_id });
        }
        let request =
            PipeRequest::decode(&asked.request).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let twin = twin_asked(&request, asked)?;
        // A twin's release is the one the node read from its binding; a model's, the one it names.
        let model = match &twin {
            Some(_) => asked.release_id.to_string(),
            None => request.model.clone(),
        };
        let runtime = self.runtime.current();
        if runtime.resolve(&model).ok() != Some(asked.release_id) {
            return Err(Refusal::NotServed(asked.release_id));
        }
        let deadline = Deadline::after(self.timeout);
        let resolution = self.falsified(match &twin {
            Some(twin) => twin.answer(&runtime, &request, deadline),
            None => compute_until(&runtime, &request, deadline),
        });
        let mut answer =
            SignedAnswer::unsigned(self.address(), request.id, asked.release_id, &resolution);
        let signature = answer
            .statement(&resolution)
            .sign(&self.domain, &self.signer)
            .map_err(|e| Refusal::Signing(e.to_string()))?;
        answer.signature = signature.into();
        Ok(answer)
    }

    /// A `--faulty` worker's wrong output in place of the true one.
    fn falsified(&self, resolution: Resolution) -> Resolution {
        match resolution {
            Ok(answer) if self.faulty => {
                let mut output = answer.output.clone();
                falsify(&mut output);
                tracing::warn!("--faulty: answering a PIPE request with a wrong output");
                Ok(Answer::new(output, answer.cost_units))
            }
            other => other,
        }
    }
}

/// The twin a request is answered as: the one `asked` names, which must be the one its model
/// reference is (`twin:<id>`), bound to the release asked for; `None` for any other model.
fn twin_asked(request: &PipeRequest, asked: &AnswerRequest) -> Result<Option<BoundTwin>, Refusal> {
    let twin = TwinModel::parse(&request.model)
        .transpose()
        .map_err(|e| Refusal::Malformed(e.to_string()))?;
    match (twin, &asked.twin) {
        (None, None) => Ok(None),
        (Some(twin), Some(part)) if part.id == twin.id => {
            Ok(Some(BoundTwin { twin, release: asked.release_id, profile: part.profile.clone() }))
        }
        (Some(twin), _) => Err(Refusal::Twin(format!(
            "a {} request must name twin {} and its profile",
            twin.reference(),
            twin.id
        ))),
        (None, Some(part)) => Err(Refusal::Twin(format!(
            "model {} is no twin, and the request names twin {}",
            request.model, part.id
        ))),
    }
}

/// The worker's PIPE route, `POST /v1/pipe/answer` (`worker run --listen` serves it beside the paid
/// inference API and its `/health`).
pub fn router(answering: Arc<Answering>) -> Router {
    Router::new().route("/v1/pipe/answer", post(answer)).with_state(answering)
}

async fn answer(
    State(answering): State<Arc<Answering>>,
    Json(asked): Json<AnswerRequest>,
) -> Response {
    let answered = tokio::task::spawn_blocking(move || answering.answer(&asked)).await;
    match answered {
        Ok(Ok(signed)) => Json(signed).into_response(),
        Ok(Err(refusal)) => {
            (refusal.status(), Json(json!({ "error": refusal.to_string() }))).into_response()
        }
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": format!("the model's thread failed: {e}") })),
        )
            .into_response(),
    }
}
