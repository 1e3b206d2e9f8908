//! The worker's HTTP API, payment-gated by x402:
//!
//! | request | answer |
//! |---|---|
//! | `GET /health` | 200, with the number of inferences run |
//! | `GET /v1/models` | 200 the catalog: every model with its current price, and the payment terms |
//! | `POST /v1/models/{model}/infer` (tensors as JSON, as [`parse_input`](verigrad_task::parse_input) reads them) | 200 the output tensors and their commitment, after payment |
//! | `POST /v1/embeddings` (OpenAI's shape) | 200 the embeddings, after payment |
//! | `POST /v1/twins/{id}/invoke` (tensors, as for a model) | 200 the twin's answer on its bound release, naming twin, release and profile, after payment ([`twins`]) |
//!
//! `{model}` is a package id, `name@version`, or a name (`verigrad/volatility` — the slash may stay
//! as it is). A paid route without payment answers 402 with `PAYMENT-REQUIRED`; see [`Paywall`].
//! Errors are JSON `{"error": "…"}`.

mod catalog;
mod embeddings;
mod paywall;
mod rate;
mod twins;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use alloy::primitives::{B256, U256};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};
use verigrad_contracts::TwinRegistryClient;
use verigrad_inference::{Architecture, InferenceError, ModelInput, ModelOutput};

pub use catalog::{Catalog, Listing};
pub use embeddings::{EmbeddingInput, EmbeddingRequest, EmbeddingResponse};
pub use paywall::{Paywall, Terms};
pub use rate::{RateLimit, RateLimiter};

use super::x402::ResourceInfo;
use verigrad_task::{check_input, output_json, parse_input};

/// What the API serves with.
#[derive(Debug)]
pub struct Api {
    catalog: Catalog,
    paywall: Option<Paywall>,
    inferences: AtomicU64,
    /// Where twins' bindings are read; `None` where no TwinRegistry is deployed.
    twins: Option<TwinRegistryClient>,
}

impl Api {
    /// An API selling `catalog`'s models behind `paywall`; without one, everything is free (local
    /// development and benchmarks).
    pub fn new(catalog: Catalog, paywall: Option<Paywall>) -> Self {
        Self { catalog, paywall, inferences: AtomicU64::new(0), twins: None }
    }

    /// The API, also invoking the twins `twins` registers.
    pub fn with_twins(mut self, twins: TwinRegistryClient) -> Self {
        self.twins = Some(twins);
        self
    }

    fn count_inference(&self) {
        self.inferences.fetch_add(1, Ordering::Relaxed);
    }

    /// The models and their prices.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }
}

/// The API's routes.
pub fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/v1/models", get(models))
        .route("/v1/models/{model}/infer", post(infer))
        .route("/v1/models/{namespace}/{name}/infer", post(infer_namespaced))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/twins/{id}/invoke", post(twins::invoke))
        .with_state(api)
}

/// An error answer: a status and a message, sent as `{"error": "…"}`.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<InferenceError> for ApiError {
    fn from(e: InferenceError) -> Self {
        let status = match e {
            InferenceError::UnknownModel(_) => StatusCode::NOT_FOUND,
            InferenceError::MalformedTensor(_) => StatusCode::BAD_REQUEST,
            InferenceError::Twin(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, e.to_string())
    }
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

type Shared = State<Arc<Api>>;

/// Liveness, and how many inferences ran (a paid request that is refused runs none).
async fn health(State(api): Shared) -> Json<Value> {
    Json(json!({ "status": "ok", "inferences": api.inferences.load(Ordering::Relaxed) }))
}

async fn models(State(api): Shared) -> Json<Value> {
    let terms = api.paywall.as_ref().map(|p| {
        json!({
            "network": super::x402::network(p.terms.chain_id),
            "asset": p.terms.asset,
            "payTo": p.terms.pay_to,
            "scheme": super::x402::SCHEME,
        })
    });
    Json(json!({ "object": "list", "data": api.catalog.listings(), "payment": terms }))
}

async fn infer_namespaced(
    state: Shared,
    Path((namespace, name)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    infer(state, Path(format!("{namespace}/{name}")), uri, headers, body).await
}

async fn infer(
    State(api): Shared,
    Path(model): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (id, input) = match inference_request(&api, &model, &body) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let work = async {
        let output = run(&api, id, input).await?;
        let mut answer = output_json(&output);
        answer["outputHash"] = json!(output.commitment());
        answer["model"] = json!(id);
        Ok(answer)
    };
    let description = format!("inference on {model}");
    sell(&api, &headers, &uri, id, description, work).await
}

async fn embeddings(
    State(api): Shared,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (id, model, texts, input) = match embeddings_request(&api, &body) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let work = async {
        let output = run(&api, id, input).await?;
        let response = EmbeddingResponse::new(model, texts, &output)
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e))?;
        Ok(json!(response))
    };
    sell(&api, &headers, &uri, id, format!("embeddings by {id}"), work).await
}

/// The model and input of an inference request, checked against the model's schema before any
/// payment is asked for.
fn inference_request(api: &Api, model: &str, body: &[u8]) -> Result<(B256, ModelInput), ApiError> {
    let runtime = api.catalog.runtime();
    let id = runtime.resolve(model)?;
    let text = std::str::from_utf8(body).map_err(|_| bad_request("the input is not UTF-8"))?;
    let input = parse_input(text).map_err(|e| bad_request(e.to_string()))?;
    check_input(&input, runtime.manifest(model)?).map_err(|e| bad_request(e.to_string()))?;
    Ok((id, input))
}

/// An embeddings request checked against its model: the package id, `name@version`, the number
/// of texts and the model input.
fn embeddings_request(
    api: &Api,
    body: &[u8],
) -> Result<(B256, String, usize, ModelInput), ApiError> {
    let request: EmbeddingRequest =
        serde_json::from_slice(body).map_err(|e| bad_request(format!("request: {e}")))?;
    let runtime = api.catalog.runtime();
    let id = runtime.resolve(&request.model)?;
    let manifest = runtime.manifest(&request.model)?;
    if !matches!(manifest.architecture, Architecture::SentenceEmbedder { .. }) {
        return Err(bad_request(format!("{} is not a sentence embedder", request.model)));
    }
    let (texts, input) = request.to_input(manifest).map_err(bad_request)?;
    Ok((id, format!("{}@{}", manifest.name, manifest.version), texts.len(), input))
}

/// Runs `work` behind the paywall at the model's price (or free without a paywall).
async fn sell(
    api: &Api,
    headers: &HeaderMap,
    uri: &Uri,
    id: B256,
    description: String,
    work: impl Future<Output = Result<Value, ApiError>>,
) -> Response {
    let Some(paywall) = &api.paywall else {
        return work.await.map(Json).into_response();
    };
    let offered = paywall::offered(headers);
    let Some(price) = api.catalog.charge_for(id, offered) else {
        let message = format!("model {id} has no release in the ModelRegistry, so it is not sold");
        return ApiError(StatusCode::NOT_FOUND, message).into_response();
    };
    if price == U256::ZERO {
        return work.await.map(Json).into_response();
    }
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let resource = ResourceInfo {
        url: format!("http://{host}{}", uri.path()),
        description: Some(description),
        mime_type: Some("application/json".into()),
    };
    paywall.charge(headers, resource, price, work).await
}

/// Runs a model off the async threads.
async fn run(api: &Api, id: B256, input: ModelInput) -> Result<ModelOutput, ApiError> {
    let runtime = api.catalog.runtime();
    api.count_inference();
    tokio::task::spawn_blocking(move || runtime.run(&id.to_string(), &input))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(ApiError::from)
}
