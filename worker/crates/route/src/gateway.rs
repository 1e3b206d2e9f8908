//! The coordinator's HTTP front: inference requests in, routed to a worker, the worker's answer out.
//!
//! | route | what |
//! |---|---|
//! | `GET /v1/models` | the releases some registered worker serves: id, name, tags, price, how many workers |
//! | `POST /v1/models/{model}/infer` | routed to a worker serving `model` (see below) |
//! | `POST /v1/embeddings` | routed by the body's `model` (default `verigrad/minilm`) |
//! | `POST /v1/twins/{id}/invoke` | routed to a worker serving the twin's bound release (see [`invoke`]) |
//! | `POST /v1/pipe/answers` | a PIPE request from pipe-node, sent to its quorum of workers (see [`crate::pipe`]) |
//! | `GET /v1/workers` | the routing table: each worker seen, its price, reputation and load |
//! | `GET /health` | 200, with the requests in flight |
//!
//! `{model}` (or the embeddings body's `model`) is the Model Hub's routing key: a release id, a
//! `name@version`, a repository `name` — any of its live releases — or a capability tag published with
//! releases (`forecast/volatility`, `embedding/384`) — any live release carrying it. The router picks
//! the release and the worker together, and the worker is asked for that release by id. Requests and
//! answers otherwise pass through unchanged, x402 headers included, so payment stays between the
//! client and the worker. `?sort=cost|price|latency` says what the choice favours and `?max_price=WEI`
//! refuses (503, with the quote) a model that costs more now; every routed answer carries a receipt,
//! `x-verigrad-route`, saying which release and worker were chosen, at what price, why, and what the
//! coordinator knew of it. A request that carries a payment goes to the worker it pays (its `payTo`),
//! for the release priced at what it pays: the 402 that asked for it came from that worker. The
//! answer says who served it in `x-verigrad-worker`. A worker that cannot be reached, or does not
//! answer within the policy's `answer_timeout`, is marked down and the next one tried (an unpaid
//! request only: a paid one belongs to its worker).
//! Admission ([`Admission`]) bounds the requests in flight and the line waiting for a slot, ordered by
//! the fee each credibly offers (the model's price, for an x402 payment that would settle it; nothing
//! otherwise): a request shed — outbid in a
//! full line, displaced by a higher offer, out of time, or with every worker at its queue limit — is
//! answered 429 with `Retry-After` and the model's current quote, and nothing was charged.
//!
//! `?tier=light|redundant|deep&value=WEI` says what verification the answer needs ([`crate::assurance`]):
//! the escrow's decision for each worker picks who may answer alone, and when k workers must agree
//! the coordinator buys their answers and sells the agreed one ([`crate::crosscheck`]).

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

use verigrad_contracts::{TokenClient, TwinReputationClient, TxSender};
use verigrad_inference::{DECISION_OUTPUT, TwinModel};
use verigrad_x402::{
    facilitator::offer,
    x402::{Payment, SettleResponse, decode_header},
};

use super::{
    Admission, Candidate, Catalog, Dispatch, Plan, Required, Reseller, Route, RoutingTable, Sort,
    TwinMemory, crosscheck,
};

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
    /// Sells cross-checked answers; `None` without a key, and such requests are refused.
    pub(crate) reseller: Option<Reseller>,
    /// Twins' memories; `None` keeps none (a `message` is answered with `memoryError`).
    twin_memory: Option<TwinMemory>,
    /// Records paid twin invocations in `TwinReputation`, so that their payers may give feedback.
    recorder: Option<(TwinReputationClient, TxSender)>,
}

impl Gateway {
    /// A gateway routing with `table`, naming models with `catalog`, admitting by `admission`.
    pub fn new(table: Arc<RoutingTable>, catalog: Catalog, admission: Arc<Admission>) -> Self {
        let token = table.chain().token();
        let http = reqwest::Client::new();
        Self {
            table,
            catalog,
            admission,
            token,
            http,
            reseller: None,
            twin_memory: None,
            recorder: None,
        }
    }

    /// The gateway, also selling cross-checked answers through `reseller`.
    pub fn with_reseller(mut self, reseller: Reseller) -> Self {
        self.reseller = Some(reseller);
        self
    }

    /// The gateway, also consulting and updating twins' memories through `memory`.
    pub fn with_twin_memory(mut self, memory: TwinMemory) -> Self {
        self.twin_memory = Some(memory);
        self
    }

    /// The gateway, also recording each paid twin invocation's payer in `reputation`, sent by `sender`
    /// (whose key holds `PAYER_RECORDER_ROLE`).
    pub fn with_invocation_recorder(
        mut self,
        reputation: TwinReputationClient,
        sender: TxSender,
    ) -> Self {
        self.recorder = Some((reputation, sender));
        self
    }

    /// Records in the background that `payer` paid for an invocation of `twin`, if this gateway
    /// records and the answer says the payment settled.
    fn record_paid(&self, twin: TwinModel, payer: Option<Address>, answer: &Response) {
        let (Some((reputation, sender)), Some(payer)) = (&self.recorder, payer) else { return };
        let settled = answer
            .headers()
            .get("payment-response")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| decode_header::<SettleResponse>(h).ok())
            .is_some_and(|settled| settled.success);
        if !settled {
            return;
        }
        let (reputation, sender) = (reputation.clone(), sender.clone());
        tokio::spawn(async move {
            let agent = U256::from(twin.id);
            match reputation.record_invocation(&sender, agent, payer).await {
                Ok(_) => tracing::debug!(twin = twin.id, %payer, "paid invocation recorded"),
                Err(e) => {
                    tracing::warn!(twin = twin.id, %payer, error = %e, "recording a paid invocation failed")
                }
            }
        });
    }

    /// What `payment` credibly offers for a request quoted at `quote` (see [`offer`]): the quote if
    /// it would pay it.
    async fn offered(&self, quote: U256, payment: Option<&Payment>) -> U256 {
        let Some(payment) = payment else { return U256::ZERO };
        offer(&self.token, self.table.chain().deployment().chain_id, payment, quote).await
    }

    /// The releases `model` names: a release id, `name@version`, a repository's `name` (each of its
    /// releases), or else a capability tag published in the model registry (each release carrying
    /// it). Empty if it names none.
    async fn releases(&self, model: &str) -> Result<Vec<B256>, Response> {
        let named = self
            .catalog
            .resolve(model)
            .await
            .map_err(|e| error(StatusCode::BAD_GATEWAY, &format!("model catalog: {e}")))?;
        if !named.is_empty() || !is_tag(model) {
            return Ok(named);
        }
        self.table
            .tagged(model)
            .await
            .map_err(|e| error(StatusCode::BAD_GATEWAY, &format!("reading the registry: {e}")))
    }
}

/// Whether `text` could be a capability tag: 1 to 64 bytes of `a-z`, `0-9`, `/`, `-`, `_`, `.` (the
/// model registry's `tagRelease` rule). Anything else is not looked up.
fn is_tag(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/-_.".contains(&b))
}

/// The coordinator's routes.
pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/models/{*rest}", post(infer))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/twins/{id}/invoke", post(invoke))
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

/// What a request asks of the routing
/// (`?sort=cost|price|latency&max_price=WEI&tier=light|redundant|deep&value=WEI`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Preferences {
    sort: Sort,
    /// The most one execution may cost, token wei.
    max_price: Option<U256>,
    /// The verification its answer needs.
    required: Required,
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
        let required = Required::parse(query.get("tier").copied(), query.get("value").copied())?;
        Ok(Self { sort, max_price, required })
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
    forward(&gateway, model, Work::Infer, preferences, &uri, headers, body).await
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
    forward(&gateway, &model, Work::Embeddings, preferences, &uri, headers, body).await
}

/// `POST /v1/twins/{id}/invoke`: the twin's binding on chain names its release, and the request is
/// routed as one for that release (price, latency, tier, fallbacks, payment), to be answered by the
/// worker's own twin route, which reads the binding again and applies the profile. A body's
/// `message` (text beside the tensors) is for the twin's memory ([`TwinMemory`]): once the answer is
/// paid, the memories the message recalls are listed in it (`memories`) and the exchange is
/// remembered (`remembered`: how many memories it kept; or `memoryError` — a paid answer is never
/// withheld for its memory).
async fn invoke(
    State(gateway): State<Arc<Gateway>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let preferences = match Preferences::of(&uri) {
        Ok(preferences) => preferences,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let twin = match TwinModel::from_id(&id) {
        Ok(twin) => twin,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let Ok(twins) = gateway.table.chain().twins() else {
        return error(StatusCode::NOT_FOUND, "no TwinRegistry is deployed on this chain");
    };
    let binding = match twins.binding(U256::from(twin.id)).await {
        Ok(Some(binding)) => binding,
        Ok(None) => {
            return error(StatusCode::NOT_FOUND, &format!("no twin {id} is registered and bound"));
        }
        Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("reading twin {id}: {e}")),
    };
    let (body, message) = match take_message(body) {
        Ok(split) => split,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let name = twin.reference();
    let release = binding.release;
    let payer = payment(&headers).map(|p| p.payer());
    let answered =
        route(&gateway, &name, &[release], Work::Twin(twin), preferences, &uri, headers, body)
            .await;
    if answered.status() == StatusCode::OK {
        gateway.record_paid(twin, payer, &answered);
    }
    // The memory is consulted only for a paid answer: nothing is spent on the store before.
    let Some(message) = message else { return answered };
    if answered.status() != StatusCode::OK {
        return answered;
    }
    let namespace = binding.memoryNamespace;
    with_json(answered, async |answer: &mut Value| {
        let memory = match &gateway.twin_memory {
            _ if namespace.is_zero() => Err(format!("twin {id} is bound to no MemSync namespace")),
            None => Err("this coordinator keeps no twins' memory".to_owned()),
            Some(memory) => Ok(memory),
        };
        let kept = async |memory: &TwinMemory, answer: &mut Value| {
            let recalled = memory.recall(namespace, twin, &message).await;
            answer["memories"] = json!(recalled.map_err(|e| format!("recalling: {e}"))?);
            let said = answer_text(answer);
            let kept = memory.remember(namespace, twin, &message, &said).await;
            kept.map_err(|e| format!("remembering: {e}"))
        };
        let outcome = match memory {
            Ok(memory) => kept(memory, answer).await,
            Err(why) => Err(why),
        };
        match outcome {
            Ok(kept) => answer["remembered"] = json!(kept),
            Err(why) => answer["memoryError"] = json!(why),
        }
    })
    .await
}

/// The body without its `message` (what the worker is sent), and the message. A body that is not a
/// JSON object goes as it came, for the worker to refuse.
fn take_message(body: Bytes) -> Result<(Bytes, Option<String>), String> {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(&body) else {
        return Ok((body, None));
    };
    match fields.remove("message") {
        None => Ok((body, None)),
        Some(Value::String(message)) if !message.trim().is_empty() => {
            let rest = serde_json::to_vec(&fields).map_err(|e| e.to_string())?;
            Ok((Bytes::from(rest), Some(message)))
        }
        Some(_) => Err("\"message\" must be non-empty text".to_owned()),
    }
}

/// What the twin answered, in words, for its memory: its decisions, else its first output.
fn answer_text(answer: &Value) -> String {
    let strings = answer["strings"].as_array().into_iter().flatten();
    let decided: Vec<&str> = strings
        .filter(|t| t["name"] == DECISION_OUTPUT)
        .flat_map(|t| t["values"].as_array().into_iter().flatten().filter_map(Value::as_str))
        .collect();
    if !decided.is_empty() {
        return format!("decided: {}", decided.join(", "));
    }
    format!("answered: {}", answer["numbers"][0]["values"])
}

/// `response` with its JSON body edited by `edit` (its other headers kept).
async fn with_json(response: Response, edit: impl AsyncFnOnce(&mut Value)) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER_BYTES).await else {
        return error(StatusCode::BAD_GATEWAY, "the worker's answer could not be read");
    };
    let Ok(mut answer) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    edit(&mut answer).await;
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(answer.to_string()))
}

/// The largest answer the coordinator edits (a twin's answer with its memories).
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// What a routed request asks of the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Work {
    /// `POST /v1/models/{release}/infer`.
    Infer,
    /// `POST /v1/embeddings`, the body's `model` set to the release.
    Embeddings,
    /// `POST /v1/twins/{id}/invoke`: the worker applies the twin's profile around its release.
    Twin(TwinModel),
}

impl Work {
    /// The path and body that ask a worker for this work on `release`.
    pub(crate) fn request(self, release: B256, body: &Bytes) -> (String, Bytes) {
        match self {
            Self::Infer => (format!("/v1/models/{release}/infer"), body.clone()),
            Self::Embeddings => {
                let named = serde_json::from_slice::<Value>(body).ok().and_then(|mut v| {
                    v.as_object_mut()?.insert("model".into(), json!(release));
                    serde_json::to_vec(&v).ok()
                });
                // A body that is not a JSON object goes as it came, for the worker to refuse.
                ("/v1/embeddings".to_owned(), named.map_or_else(|| body.clone(), Bytes::from))
            }
            Self::Twin(twin) => (format!("/v1/twins/{}/invoke", twin.id), body.clone()),
        }
    }
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
        let tags = match gateway.table.chain().models().tags_of(id).await {
            Ok(tags) => tags,
            Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("reading the registry: {e}")),
        };
        data.push(json!({
            "id": id,
            "name": name,
            "tags": tags,
            "price": first.price.to_string(),
            "workers": candidates.len(),
        }));
    }
    Json(json!({ "object": "list", "data": data })).into_response()
}

async fn workers(State(gateway): State<Arc<Gateway>>) -> Response {
    Json(gateway.table.rows()).into_response()
}

/// Routes one request: resolve the releases `model` names, choose a release and a worker (or, when
/// its verification needs it, several workers to agree), send, and fall over to the next choice if
/// a worker cannot be reached or does not answer in time.
async fn forward(
    gateway: &Gateway,
    model: &str,
    work: Work,
    preferences: Preferences,
    uri: &Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let releases = match gateway.releases(model).await {
        Ok(releases) if releases.is_empty() => {
            return error(StatusCode::NOT_FOUND, &format!("unknown model '{model}'"));
        }
        Ok(releases) => releases,
        Err(response) => return response,
    };
    route(gateway, model, &releases, work, preferences, uri, headers, body).await
}

/// Routes one request for `model` to a worker serving one of `releases`.
#[allow(clippy::too_many_arguments)]
async fn route(
    gateway: &Gateway,
    model: &str,
    releases: &[B256],
    work: Work,
    preferences: Preferences,
    uri: &Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let candidates = match gateway.table.candidates_of(releases).await {
        Ok(candidates) => candidates,
        Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("reading the registry: {e}")),
    };
    let refused = |narrowed| match narrowed {
        Narrowed::NoWorker => no_worker(model, releases, None),
        Narrowed::NotServedBy(worker) => no_worker(model, releases, Some(worker)),
        Narrowed::AboveMaxPrice(quote) => {
            let max_price = preferences.max_price.unwrap_or_default();
            let why = format!("'{model}' costs {quote} now, above max_price {max_price}");
            quoted(StatusCode::SERVICE_UNAVAILABLE, model, &why, Some(quote))
        }
    };
    let candidates = match narrow(candidates, preferences.max_price, None) {
        Ok(candidates) => candidates,
        Err(narrowed) => return refused(narrowed),
    };
    // The verification the request needs: one worker the escrow's policy trusts alone, or several
    // that must agree.
    let (candidates, cross_check) = if preferences.required.is_default() {
        (candidates, None)
    } else {
        let escrow = gateway.table.chain().escrow();
        match crate::plan(&escrow, candidates, preferences.required).await {
            Ok(Plan::Single(candidates)) => (candidates, None),
            Ok(Plan::CrossChecked(check)) => (Vec::new(), Some(check)),
            Ok(Plan::Refused(why)) => {
                return error(StatusCode::UNPROCESSABLE_ENTITY, &format!("'{model}': {why}"));
            }
            Err(e) => return error(StatusCode::BAD_GATEWAY, &format!("reading the escrow: {e}")),
        }
    };
    let quote = match &cross_check {
        Some(check) => Some(check.cost()),
        None => candidates.iter().map(|c| c.price).min(),
    };
    let payment = payment(&headers);
    let paid = payment.as_ref().map(|p| (p.exact.authorization.to, p.exact.authorization.value));
    // A cross-check is paid to the coordinator; a single answer to the worker the payment names.
    let candidates = match (&cross_check, narrow(candidates, None, paid)) {
        (Some(_), _) => Vec::new(),
        (None, Ok(candidates)) => candidates,
        (None, Err(narrowed)) => return refused(narrowed),
    };
    let pinned = paid.map(|(worker, _)| worker);
    // The offer only ranks a request that has to wait: with a slot free and nobody waiting it is
    // admitted at once, and the payment's chain reads are left to the worker's facilitator.
    let fee = if gateway.admission.has_room() {
        U256::ZERO
    } else {
        gateway.offered(quote.unwrap_or_default(), payment.as_ref()).await
    };
    let _permit = match gateway.admission.admit(fee).await {
        Ok(permit) => permit,
        Err(why) => return quoted(StatusCode::TOO_MANY_REQUESTS, model, &why.to_string(), quote),
    };
    if let Some(check) = cross_check {
        return crosscheck::sell(gateway, check, work, preferences.sort, &headers, uri, &body)
            .await;
    }
    let timeout = gateway.table.policy().answer_timeout;
    let mut tried: Vec<Address> = Vec::new();
    loop {
        let dispatch = match gateway.table.dispatch(&candidates, &tried, preferences.sort) {
            Ok(dispatch) => dispatch,
            Err(Route::Busy) => {
                let why = "every worker serving the model is at its queue limit";
                return quoted(StatusCode::TOO_MANY_REQUESTS, model, why, quote);
            }
            Err(_) if !tried.is_empty() => {
                return error(StatusCode::BAD_GATEWAY, &unreachable(model, &tried));
            }
            Err(_) => return no_worker(model, releases, pinned),
        };
        let (path, body) = work.request(dispatch.candidate.release, &body);
        let url = format!("{}{path}", dispatch.candidate.endpoint.trim_end_matches('/'));
        let mut request = gateway.http.post(url).timeout(timeout).body(body);
        for name in FORWARDED {
            if let Some(value) = headers.get(name) {
                request = request.header(name, value.as_bytes());
            }
        }
        let mut receipt = receipt(&dispatch, preferences.sort, pinned.is_some(), tried.len());
        if !preferences.required.is_default() {
            receipt.push_str("; tier=light");
        }
        match request.send().await {
            // A worker registered for a release it has not loaded (it started serving it after it
            // started) charged nothing: safe to offer to another, unless the payment names it.
            Ok(answer) if answer.status() == reqwest::StatusCode::NOT_FOUND && pinned.is_none() => {
                tracing::warn!(worker = %dispatch.candidate.address, release = %dispatch.candidate.release, "worker does not hold the release; trying the next");
                tried.push(dispatch.candidate.address);
                dispatch.failed();
            }
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
            // Not delivered, or not answered in time: safe to offer to another worker (inference has
            // no side effects), unless the payment names this one.
            Err(e) if (e.is_connect() || e.is_timeout()) && pinned.is_none() => {
                tracing::warn!(worker = %dispatch.candidate.address, error = %e, "worker failed; trying the next");
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

/// Why no candidate is left for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Narrowed {
    /// No registered worker serves any live release the model names.
    NoWorker,
    /// Every release costs more than the request's `max_price`; the cheapest quote.
    AboveMaxPrice(U256),
    /// The worker the payment pays serves none of them.
    NotServedBy(Address),
}

/// The candidates a request may go to: those within its `max_price`, and for a payment of `amount`
/// to `worker`, that worker's — serving the release it quoted at `amount`, if one is priced so now
/// (else its others: the worker honours a quote the price has since moved past, or re-quotes).
fn narrow(
    mut candidates: Vec<Candidate>,
    max_price: Option<U256>,
    paid: Option<(Address, U256)>,
) -> Result<Vec<Candidate>, Narrowed> {
    let cheapest = candidates.iter().map(|c| c.price).min().ok_or(Narrowed::NoWorker)?;
    if let Some(max_price) = max_price {
        candidates.retain(|c| c.price <= max_price);
        if candidates.is_empty() {
            return Err(Narrowed::AboveMaxPrice(cheapest));
        }
    }
    if let Some((worker, amount)) = paid {
        candidates.retain(|c| c.address == worker);
        if candidates.is_empty() {
            return Err(Narrowed::NotServedBy(worker));
        }
        if candidates.iter().any(|c| c.price == amount) {
            candidates.retain(|c| c.price == amount);
        }
    }
    Ok(candidates)
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

fn no_worker(model: &str, releases: &[B256], pinned: Option<Address>) -> Response {
    let named = match releases {
        [release] => format!("'{model}' ({release})"),
        _ => format!("'{model}' ({} releases)", releases.len()),
    };
    let message = match pinned {
        Some(worker) => format!("the paid worker {worker} does not serve {named} here"),
        None => format!("no registered worker serves {named}"),
    };
    error(StatusCode::SERVICE_UNAVAILABLE, &message)
}

fn unreachable(model: &str, tried: &[Address]) -> String {
    format!(
        "no worker serving '{model}' answered: each was unreachable, too slow or did not hold the release (tried {})",
        tried.len()
    )
}

/// A refusal naming the model's quote — the cheapest live price among its releases, token wei —
/// with `Retry-After: 1` (load moves prices and queues).
fn quoted(status: StatusCode, model: &str, why: &str, quote: Option<U256>) -> Response {
    let quote = quote.map(|q| q.to_string());
    let body = json!({ "error": why, "name": model, "quote": quote });
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
    response
}

/// The routing receipt: which release and worker were chosen, at what price, by what preference,
/// among how many offers (worker × release), and what the coordinator knew of the worker
/// (`x-verigrad-route`).
fn receipt(dispatch: &Dispatch, sort: Sort, pinned: bool, tried: usize) -> String {
    let (candidate, load) = (&dispatch.candidate, &dispatch.load);
    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
    let why = if pinned { "paid worker" } else { sort.name() };
    format!(
        "worker={}; release={}; price={}; why={why}; among={}; in-flight={}; p50-ms={}; p90-ms={}; reputation-bps={}; fallbacks={tried}",
        candidate.address,
        candidate.release,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(worker: u8, release: u8, price: u64) -> Candidate {
        Candidate {
            address: Address::repeat_byte(worker),
            release: B256::repeat_byte(release),
            endpoint: String::new(),
            reputation_bps: 10_000,
            price: U256::from(price),
            free_stake: U256::ZERO,
        }
    }

    #[test]
    fn max_price_keeps_the_releases_within_it_and_quotes_the_cheapest_otherwise() {
        let all = vec![offer(1, 1, 100), offer(2, 2, 300), offer(3, 1, 100)];
        let within = narrow(all.clone(), Some(U256::from(200)), None).expect("two left");
        assert_eq!(within, vec![offer(1, 1, 100), offer(3, 1, 100)]);
        assert_eq!(narrow(all.clone(), None, None), Ok(all.clone()));
        assert_eq!(
            narrow(all, Some(U256::from(99)), None),
            Err(Narrowed::AboveMaxPrice(U256::from(100)))
        );
        assert_eq!(narrow(Vec::new(), None, None), Err(Narrowed::NoWorker));
    }

    #[test]
    fn a_payment_keeps_its_worker_and_the_release_it_was_quoted_for() {
        // Worker 1 serves both releases; it was paid 300, release 2's price.
        let all = vec![offer(1, 1, 100), offer(1, 2, 300), offer(2, 2, 300)];
        let paid = |amount| Some((Address::repeat_byte(1), U256::from(amount)));
        assert_eq!(narrow(all.clone(), None, paid(300)), Ok(vec![offer(1, 2, 300)]));
        // A price that moved since the quote: any of its releases, for the worker to judge.
        assert_eq!(
            narrow(all.clone(), None, paid(250)),
            Ok(vec![offer(1, 1, 100), offer(1, 2, 300)])
        );
        let stranger = Address::repeat_byte(9);
        let elsewhere = narrow(all, None, Some((stranger, U256::from(100))));
        assert_eq!(elsewhere, Err(Narrowed::NotServedBy(stranger)));
    }

    #[test]
    fn the_worker_is_asked_for_the_chosen_release_by_id() {
        let release = B256::repeat_byte(7);
        let (path, body) = Work::Infer.request(release, &Bytes::from_static(b"{}"));
        assert_eq!(path, format!("/v1/models/{release}/infer"));
        assert_eq!(body, Bytes::from_static(b"{}"));
        let asked = Bytes::from_static(br#"{"model":"embedding/384","input":["hi"]}"#);
        let (path, body) = Work::Embeddings.request(release, &asked);
        assert_eq!(path, "/v1/embeddings");
        let body: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(body, json!({ "model": release, "input": ["hi"] }));
        let garbage = Bytes::from_static(b"not json");
        assert_eq!(Work::Embeddings.request(release, &garbage).1, garbage);
    }

    #[test]
    fn a_twin_invocations_message_is_taken_out_of_what_the_worker_is_sent() {
        let body = Bytes::from_static(br#"{"numbers":[],"message":"I live in Lisbon."}"#);
        let (sent, message) = take_message(body).expect("split");
        assert_eq!(message.as_deref(), Some("I live in Lisbon."));
        assert_eq!(serde_json::from_slice::<Value>(&sent).expect("json"), json!({ "numbers": [] }));
        let plain = Bytes::from_static(br#"{"numbers":[]}"#);
        assert_eq!(take_message(plain.clone()), Ok((plain, None)));
        let garbage = Bytes::from_static(b"not json");
        assert_eq!(take_message(garbage.clone()), Ok((garbage, None)), "the worker refuses it");
        for bad in [&br#"{"message":""}"#[..], br#"{"message":3}"#] {
            assert!(take_message(Bytes::from_static(bad)).is_err());
        }
    }

    #[test]
    fn a_twin_answer_is_remembered_by_its_decisions() {
        let decided = json!({ "strings": [{ "name": "decision", "values": ["trim", "hold"] }] });
        assert_eq!(answer_text(&decided), "decided: trim, hold");
        let numbers = json!({ "numbers": [{ "name": "y", "values": ["0.5"] }], "strings": [] });
        assert_eq!(answer_text(&numbers), r#"answered: ["0.5"]"#);
    }

    #[test]
    fn a_twin_is_asked_of_its_worker_by_id() {
        let twin = TwinModel { id: 4 };
        let (path, _) = Work::Twin(twin).request(B256::ZERO, &Bytes::from_static(b"{}"));
        assert_eq!(path, "/v1/twins/4/invoke");
    }

    #[test]
    fn only_the_registry_tag_alphabet_is_looked_up_as_a_tag() {
        assert!(is_tag("embedding/384") && is_tag("forecast/volatility") && is_tag("a.b_c-d"));
        assert!(
            !is_tag("") && !is_tag("Embedding/384") && !is_tag("a b") && !is_tag(&"a".repeat(65))
        );
    }
}
