//! The coordinator's HTTP front: inference requests in, routed to a worker, the worker's answer out.
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/models` | the models some registered worker serves: id, name, price, how many workers |
//! | `POST /v1/models/{model}/infer` | routed to a worker serving `model` (a package id or a name) |
//! | `POST /v1/embeddings` | routed by the body's `model` (default `verigrad/minilm`) |
//! | `POST /v1/pipe/answers` | a PIPE request from pipe-node, sent to its quorum of workers (see [`crate::pipe`]) |
//! | `GET /v1/workers` | the routing table: each worker seen, its price, reputation and load |
//! | `GET /health` | 200, with the requests in flight |
//!
//! Requests and answers pass through unchanged, x402 headers included, so payment stays between the
//! client and the worker. `?sort=cost|price|latency` says what the choice favours and `?max_price=WEI`
//! refuses (503, with the quote) a model that costs more now; every routed answer carries a receipt,
//! `x-verigrad-route`, saying which worker was chosen, at what price, why, and what the coordinator
//! knew of it. A request that carries a payment goes to the worker it pays (its `payTo`):
//! the 402 that asked for it came from that worker. The answer says who served it in
//! `x-verigrad-worker`. A worker that cannot be reached is marked down and the next one tried.
//! Admission ([`Admission`]) bounds the requests in flight and the line waiting for a slot, ordered by
//! the fee each credibly offers (the model's price, for an x402 payment that would settle it; nothing
//! otherwise): a request shed — outbid in a
//! full line, displaced by a higher offer, out of time, or with every worker at its queue limit — is
//! answered 429 with `Retry-After` and the model's current quote, and nothing was charged.

use std::{collections::HashMap, sync::Arc};

use alloy::{
    primitives::{Address, B256, U256},
    transports::http::reqwest,
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use verigrad_contracts::TokenClient;
use verigrad_x402::{facilitator::offer, x402::Payment};

use super::{Admission, Catalog, Dispatch, Route, RoutingTable, Sort};

/// Headers passed from the client to the worker.
const FORWARDED: [&str; 4] = ["content-type", "accept", "payment-signature", "x-payment"];
/// Headers passed from the worker back to the client.
const RETURNED: [&str; 5] =
    ["content-type", "payment-required", "payment-response", "x-payment-response", "retry-after"];
/// Header naming the worker that answered.
pub const SERVED_BY: &str = "x-verigrad-worker";
/// Header saying what the router chose and why (see [`receipt`]).
pub const ROUTE_RECEIPT: &str = "x-verigrad-route";
/// Model the embeddings route uses when the body names none.
const DEFAULT_EMBEDDER: &str = "verigrad/minilm";

/// What the handlers share.
#[derive(Debug)]
pub struct Gateway {
    /// Who serves what, and how they are doing.
    pub table: Arc<RoutingTable>,
    /// Model names.
    pub catalog: Catalog,
    /// Who is let through when the coordinator is loaded.
    pub admission: Arc<Admission>,
    /// The network Token, in which payments are checked before they count as offers.
    token: TokenClient,
    pub(crate) http: reqwest::Client,
}

impl Gateway {
    /// A gateway routing with `table`, naming models with `catalog`, admitting by `admission`.
    pub fn new(table: Arc<RoutingTable>, catalog: Catalog, admission: Arc<Admission>) -> Self {
        let token = table.chain().token();
        Self { table, catalog, admission, token, http: reqwest::Client::new() }
    }

    /// What `payment` credibly offers for `model` (see [`offer`]): its price if it would pay it.
    async fn offered(&self, model: B256, payment: Option<&Payment>) -> U256 {
        let Some(payment) = payment else { return U256::ZERO };
        let Ok(candidates) = self.table.candidates(model).await else { return U256::ZERO };
        let Some(quote) = candidates.first().map(|c| c.price) else { return U256::ZERO };
        offer(&self.token, self.table.chain().deployment().chain_id, payment, quote).await
    }
}

/// The coordinator's routes.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/models/{*rest}", post(infer))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/pipe/answers", post(crate::pipe::answers))
        .route("/v1/workers", get(workers))
        .route(
            "/health",
            get(|State(gateway): State<Arc<Gateway>>| async move {
                let occupancy = gateway.admission.occupancy();
                Json(json!({
                    "status": "ok",
                    "inFlight": occupancy.in_flight,
                    "waiting": occupancy.waiting,
                }))
            }),
        )
        .with_state(gateway)
}

/// What a request asks of the routing (`?sort=cost|price|latency&max_price=WEI`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Preferences {
    sort: Sort,
    /// The most one execution may cost, token wei.
    max_price: Option<U256>,
}

impl Preferences {
    /// The preferences in `uri`'s query string (both values are plain tokens: nothing to decode).
    fn of(uri: &Uri) -> Result<Self, String> {
        let query: HashMap<&str, &str> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        let sort = query.get("sort").map(|s| s.parse()).transpose()?.unwrap_or_default();
        let max_price = query
            .get("max_price")
            .map(|p| {
                p.parse().map_err(|_| format!("max_price {p:?} is not an amount in token wei"))
            })
            .transpose()?;
        Ok(Self { sort, max_price })
    }
}

async fn infer(
    State(gateway): State<Arc<Gateway>>,
    Path(rest): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(model) = rest.strip_suffix("/infer") else {
        return error(StatusCode::NOT_FOUND, "no such route: use /v1/models/{model}/infer");
    };
    let preferences = match Preferences::of(&uri) {
        Ok(preferences) => preferences,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let path = format!("/v1/models/{rest}");
    forward(&gateway, model, &path, preferences, headers, body).await
}

async fn embeddings(
    State(gateway): State<Arc<Gateway>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let preferences = match Preferences::of(&uri) {
        Ok(preferences) => preferences,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let named = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("model").and_then(Value::as_str).map(str::to_owned));
    let model = named.unwrap_or_else(|| DEFAULT_EMBEDDER.to_owned());
    forward(&gateway, &model, "/v1/embeddings", preferences, headers, body).await
}

/// The store's packages that registered compute workers serve, with the ModelRegistry's price.
async fn models(State(gateway): State<Arc<Gateway>>) -> Response {
    let packages = match gateway.catalog.packages().await {
        Ok(packages) => packages,
        Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("model catalog: {e}")),
    };
    let mut data = Vec::new();
    for (name, id) in packages {
        let candidates = match gateway.table.candidates(id).await {
            Ok(candidates) => candidates,
            Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("reading the registry: {e}")),
        };
        let Some(first) = candidates.first() else { continue };
        data.push(json!({
            "id": id,
            "name": name,
            "price": first.price.to_string(),
            "workers": candidates.len(),
        }));
    }
    Json(json!({ "object": "list", "data": data })).into_response()
}

async fn workers(State(gateway): State<Arc<Gateway>>) -> Response {
    Json(gateway.table.rows()).into_response()
}

/// Routes one request: resolve the model, pick a worker, send, and fall over to the next worker if
/// one cannot be reached.
async fn forward(
    gateway: &Gateway,
    model: &str,
    path: &str,
    preferences: Preferences,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = match gateway.catalog.resolve(model).await {
        Ok(Some(id)) => id,
        Ok(None) => return error(StatusCode::NOT_FOUND, &format!("unknown model '{model}'")),
        Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("model catalog: {e}")),
    };
    if let Some(max_price) = preferences.max_price {
        let quote = gateway.table.candidates(id).await.ok().and_then(|c| Some(c.first()?.price));
        if let Some(quote) = quote.filter(|&quote| quote > max_price) {
            let why = format!("'{model}' costs {quote} now, above max_price {max_price}");
            return quoted(StatusCode::SERVICE_UNAVAILABLE, model, id, &why, Some(quote));
        }
    }
    let payment = payment(&headers);
    let pinned = payment.as_ref().map(|p| p.exact.authorization.to);
    // The offer only ranks a request that has to wait: with a slot free and nobody waiting it is
    // admitted at once, and the payment's chain reads are left to the worker's facilitator.
    let fee = if gateway.admission.has_room() {
        U256::ZERO
    } else {
        gateway.offered(id, payment.as_ref()).await
    };
    let _permit = match gateway.admission.admit(fee).await {
        Ok(permit) => permit,
        Err(why) => return shed(gateway, model, id, &why.to_string()).await,
    };
    let mut tried: Vec<Address> = Vec::new();
    loop {
        let dispatch = match gateway.table.dispatch(id, pinned, &tried, preferences.sort).await {
            Ok(Ok(dispatch)) => dispatch,
            Ok(Err(Route::Busy)) => {
                let why = "every worker serving the model is at its queue limit";
                return shed(gateway, model, id, why).await;
            }
            Ok(Err(_)) if !tried.is_empty() => {
                return error(StatusCode::BAD_GATEWAY, &unreachable(model, &tried));
            }
            Ok(Err(_)) => return no_worker(model, id, pinned),
            Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("reading the registry: {e}")),
        };
        let url = format!("{}{path}", dispatch.candidate.endpoint.trim_end_matches('/'));
        let mut request = gateway.http.post(url).body(body.clone());
        for name in FORWARDED {
            if let Some(value) = headers.get(name) {
                request = request.header(name, value.as_bytes());
            }
        }
        let receipt = receipt(&dispatch, preferences.sort, pinned.is_some(), tried.len());
        match request.send().await {
            Ok(answer) => {
                let worker = dispatch.candidate.address;
                let mut response = relay(answer, worker).await;
                if let Ok(value) = HeaderValue::from_str(&receipt) {
                    response.headers_mut().insert(HeaderName::from_static(ROUTE_RECEIPT), value);
                }
                if response.status().is_server_error() {
                    dispatch.failed();
                } else {
                    dispatch.succeeded();
                }
                return response;
            }
            // Not delivered: safe to offer to another worker, unless the payment names this one.
            Err(e) if e.is_connect() && pinned.is_none() => {
                tracing::warn!(worker = %dispatch.candidate.address, error = %e, "worker unreachable");
                tried.push(dispatch.candidate.address);
                dispatch.failed();
            }
            Err(e) => {
                let worker = dispatch.candidate.address;
                dispatch.failed();
                return error(StatusCode::BAD_GATEWAY, &format!("worker {worker}: {e}"));
            }
        }
    }
}

/// The worker's answer, as the client gets it.
async fn relay(answer: reqwest::Response, worker: Address) -> Response {
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = HeaderMap::new();
    for name in RETURNED {
        if let Some(value) = answer.headers().get(name)
            && let Ok(value) = HeaderValue::from_bytes(value.as_bytes())
        {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&worker.to_string()) {
        headers.insert(HeaderName::from_static(SERVED_BY), value);
    }
    match answer.bytes().await {
        Ok(body) => (status, headers, body).into_response(),
        Err(e) => error(StatusCode::BAD_GATEWAY, &format!("worker {worker} broke off: {e}")),
    }
}

/// A request's x402 payment (`PAYMENT-SIGNATURE`, or v1's `X-PAYMENT`), if it carries one that
/// parses; one that does not is passed on for the worker to refuse.
fn payment(headers: &HeaderMap) -> Option<Payment> {
    let header = headers.get("payment-signature").or_else(|| headers.get("x-payment"))?;
    Payment::from_header(header.to_str().ok()?).ok()
}

fn no_worker(model: &str, id: B256, pinned: Option<Address>) -> Response {
    let message = match pinned {
        Some(worker) => format!("the paid worker {worker} does not serve '{model}' ({id}) here"),
        None => format!("no registered worker serves '{model}' ({id})"),
    };
    error(StatusCode::SERVICE_UNAVAILABLE, &message)
}

fn unreachable(model: &str, tried: &[Address]) -> String {
    format!("no worker serving '{model}' could be reached (tried {})", tried.len())
}

/// 429 with `Retry-After` and the model's current quote (its live price at the registry, token wei).
async fn shed(gateway: &Gateway, model: &str, id: B256, why: &str) -> Response {
    let quote = match gateway.table.candidates(id).await {
        Ok(candidates) => candidates.first().map(|c| c.price),
        Err(_) => None,
    };
    quoted(StatusCode::TOO_MANY_REQUESTS, model, id, why, quote)
}

/// A refusal naming the model's quote, with `Retry-After: 1` (load moves prices and queues).
fn quoted(status: StatusCode, model: &str, id: B256, why: &str, quote: Option<U256>) -> Response {
    let quote = quote.map(|q| q.to_string());
    let body = json!({ "error": why, "model": id, "name": model, "quote": quote });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
    response
}

/// The routing receipt: which worker was chosen, at what price, by what preference, among how many,
/// and what the coordinator knew of it (`x-verigrad-route`).
fn receipt(dispatch: &Dispatch, sort: Sort, pinned: bool, tried: usize) -> String {
    let (candidate, load) = (&dispatch.candidate, &dispatch.load);
    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    let why = if pinned { "paid worker" } else { sort.name() };
    format!(
        "worker={}; price={}; why={why}; among={}; in-flight={}; p50-ms={}; p90-ms={}; reputation-bps={}; fallbacks={tried}",
        candidate.address,
        candidate.price,
        dispatch.among,
        load.in_flight,
        ms(load.p50_ms),
        ms(load.p90_ms),
        candidate.reputation_bps,
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}
