//! `POST /v1/twins/{id}/invoke`: a twin invoked like a model. The worker reads the twin's binding on
//! chain — its release and the hash of its profile — and the profile document from the twin's
//! ERC-8004 metadata, refuses a document that does not hash to the binding, and sells
//! [`invoke_twin`] on the bound release at that release's price. The answer names the twin, the
//! release and the profile it used, as a PIPE `twin:<id>` answer does.

use alloy::primitives::{B256, U256};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use serde_json::json;
use verigrad_contracts::TwinRegistryClient;
use verigrad_inference::{ModelInput, ModelOutput, TwinModel, TwinProfile, invoke_twin};
use verigrad_task::output_json;

use super::{ApiError, Shared, inference_request, sell};

/// What an invocation runs: the twin, its bound release, and its checked profile document.
#[derive(Debug)]
struct Bound {
    twin: TwinModel,
    release: B256,
    profile: Vec<u8>,
}

pub(super) async fn invoke(
    State(api): Shared,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let bound = match bound(api.twins.as_ref(), &id).await {
        Ok(bound) => bound,
        Err(e) => return e.into_response(),
    };
    let (release, input) = match inference_request(&api, &bound.release.to_string(), &body) {
        Ok(request) => request,
        Err(ApiError(StatusCode::NOT_FOUND, _)) => {
            let why = format!("this worker does not serve twin {id}'s release {}", bound.release);
            return ApiError(StatusCode::NOT_FOUND, why).into_response();
        }
        Err(e) => return e.into_response(),
    };
    let twin = bound.twin;
    let work = async {
        let output = run(&api, bound, input).await?;
        let mut answer = output_json(&output);
        answer["outputHash"] = json!(output.commitment());
        answer["model"] = json!(release);
        answer["twin"] = json!(twin.id);
        Ok(answer)
    };
    sell(&api, &headers, &uri, release, format!("twin {} on {release}", twin.id), work).await
}

/// The twin `id` names, with its binding's release and its published profile, checked.
async fn bound(twins: Option<&TwinRegistryClient>, id: &str) -> Result<Bound, ApiError> {
    let twin =
        TwinModel::from_id(id).map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.to_string()))?;
    let twins = twins.ok_or_else(|| {
        ApiError(StatusCode::NOT_FOUND, "no TwinRegistry is deployed on this chain".into())
    })?;
    let agent = U256::from(twin.id);
    let chain = |e: verigrad_contracts::ChainError| {
        ApiError(StatusCode::BAD_GATEWAY, format!("reading twin {}: {e}", twin.id))
    };
    let binding = twins.binding(agent).await.map_err(chain)?.ok_or_else(|| {
        ApiError(StatusCode::NOT_FOUND, format!("no twin {} is registered and bound", twin.id))
    })?;
    let profile = twins.profile(agent).await.map_err(chain)?;
    if TwinProfile::hash(&profile) != binding.profileHash {
        let why = format!(
            "twin {}'s published profile does not hash to its binding's {}",
            twin.id, binding.profileHash
        );
        return Err(ApiError(StatusCode::UNPROCESSABLE_ENTITY, why));
    }
    Ok(Bound { twin, release: binding.release, profile })
}

/// Runs the twin off the async threads.
async fn run(api: &super::Api, bound: Bound, input: ModelInput) -> Result<ModelOutput, ApiError> {
    let runtime = api.catalog.runtime();
    api.count_inference();
    tokio::task::spawn_blocking(move || {
        invoke_twin(&runtime, bound.twin, bound.release, &bound.profile, &input)
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(ApiError::from)
}
