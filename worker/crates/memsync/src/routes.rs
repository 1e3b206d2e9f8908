//! The HTTP API of a store node's MemSync, in MemSync's shape:
//!
//! | request | who | answer |
//! |---|---|---|
//! | `POST /v1/memories` (messages) | owner, paid | what was kept, reinforced, superseded; the new state |
//! | `POST /v1/memories/search` | owner, paid | the nearest memories, current before history, with proofs if asked |
//! | `GET /v1/memories/{id}` | owner, paid | the memory and its inclusion proof |
//! | `PATCH /v1/memories/{id}` | owner, paid | the memory's new version |
//! | `DELETE /v1/memories/{id}` | owner, paid | the memory erased; the new state |
//! | `GET /v1/leaves` | owner | every (id, leaf): what proves an absence against the chain's root |
//! | `GET /v1/namespaces/{namespace}` | anyone | this node's state against the chain's, attested when committed |
//! | `GET /v1/namespaces/{namespace}/snapshot` | owner or a replica | every record, for a replica to restore |
//! | `POST /v1/namespaces/{namespace}/commit` | anyone | relays the owner's signed `RootUpdate` of this node's state |
//!
//! "Owner" is the namespace's owner or a delegate, by the EIP-712 signature in
//! [`AUTH_HEADER`](crate::auth::AUTH_HEADER) (its namespace, sequence number, nonce and deadline). A
//! write names the sequence number it expects; the answer's `state` is the root the owner signs next.
//! Paid routes take x402 at the node's price per call; a refused or failed call is not charged.

use std::sync::Arc;

use alloy::primitives::{B256, U256};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use verigrad_contracts::{RootUpdate, TxSender};
use verigrad_x402::{
    api::{ApiError, Paywall},
    x402::ResourceInfo,
};

use crate::{
    MemsyncError,
    auth::{AUTH_HEADER, Call, RequestAuth},
    node::{Caller, MemoryNode},
    unix_now,
    wire::{CommitRequest, CreateRequest, MAX_BODY_BYTES, PatchRequest, SearchRequest},
};

/// What the routes serve with.
#[derive(Debug)]
pub struct Service {
    node: Arc<MemoryNode>,
    paywall: Option<Paywall>,
    price: U256,
    relay: TxSender,
}

impl Service {
    /// `node` behind `paywall` at `price` a call (free without a paywall), relaying commits with
    /// `relay`.
    pub fn new(
        node: Arc<MemoryNode>,
        paywall: Option<Paywall>,
        price: U256,
        relay: TxSender,
    ) -> Self {
        Self { node, paywall, price, relay }
    }
}

type Shared = State<Arc<Service>>;

/// The routes.
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/v1/memories", post(create))
        .route("/v1/memories/search", post(search))
        .route("/v1/memories/{id}", get(read).patch(patch).delete(delete))
        .route("/v1/leaves", get(leaves))
        .route("/v1/namespaces/{namespace}", get(state))
        .route("/v1/namespaces/{namespace}/snapshot", get(snapshot))
        .route("/v1/namespaces/{namespace}/commit", post(commit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(service)
}

/// A request as the signature covers it.
struct Request {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Request {
    fn call(&self) -> Call<'_> {
        let path = self.uri.path_and_query().map_or(self.uri.path(), |p| p.as_str());
        Call { method: self.method.as_str(), path, body: &self.body }
    }

    fn auth_header(&self) -> Option<&str> {
        self.headers.get(AUTH_HEADER).and_then(|h| h.to_str().ok())
    }

    fn json<T: DeserializeOwned>(&self) -> Result<T, MemsyncError> {
        serde_json::from_slice(&self.body).map_err(|e| MemsyncError::Body(e.to_string()))
    }
}

/// Authorises `request` (owner or delegate), then behind the paywall spends its nonce, runs `work` off
/// the async threads and answers its JSON with the namespace's state and the node's attestation.
async fn paid<F>(service: &Service, request: Request, description: &str, work: F) -> Response
where
    F: FnOnce(&MemoryNode, &RequestAuth, u64) -> Result<Value, MemsyncError> + Send + 'static,
{
    let node = service.node.clone();
    let now = unix_now();
    let auth = match node.authorize(request.auth_header(), request.call(), Caller::Owner, now).await
    {
        Ok(auth) => auth,
        Err(error) => return error.into_response(),
    };
    let served = async move {
        node.spend(&auth, now)?;
        let namespace = auth.namespace;
        let worker = node.clone();
        let mut answer = tokio::task::spawn_blocking(move || work(&worker, &auth, now))
            .await
            .map_err(|e| MemsyncError::Internal(e.to_string()))??;
        let state = node.served(namespace).await?;
        answer["state"] = json!(state);
        answer["attestation"] = json!(node.attest(&state)?);
        Ok::<_, MemsyncError>(answer)
    };
    let Some(paywall) = &service.paywall else {
        return served.await.map(Json).into_response();
    };
    let host = request.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let resource = ResourceInfo {
        url: format!("http://{host}{}", request.uri.path()),
        description: Some(description.to_owned()),
        mime_type: Some("application/json".into()),
    };
    let work = async { served.await.map_err(|e| ApiError(e.status(), e.to_string())) };
    paywall.charge(&request.headers, resource, service.price, work).await
}

fn to_value(value: impl serde::Serialize) -> Result<Value, MemsyncError> {
    serde_json::to_value(value).map_err(|e| MemsyncError::Internal(e.to_string()))
}

async fn create(
    State(service): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request { method, uri, headers, body };
    let create: CreateRequest =
        match request.json().and_then(|c: CreateRequest| Ok(c.check().map(|()| c)?)) {
            Ok(create) => create,
            Err(error) => return error.into_response(),
        };
    paid(
        &service,
        request,
        "MemSync: keep what matters of a conversation",
        move |node, auth, now| to_value(node.remember(auth.namespace, auth.seq, &create, now)?),
    )
    .await
}

async fn search(
    State(service): Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request { method, uri, headers, body };
    let search: SearchRequest =
        match request.json().and_then(|s: SearchRequest| Ok(s.check().map(|()| s)?)) {
            Ok(search) => search,
            Err(error) => return error.into_response(),
        };
    paid(&service, request, "MemSync: search memories by meaning", move |node, auth, now| {
        Ok(json!({ "memories": node.search(auth.namespace, &search, now)? }))
    })
    .await
}

async fn read(
    State(service): Shared,
    Path(id): Path<B256>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request { method, uri, headers, body: Bytes::new() };
    paid(&service, request, "MemSync: read a memory", move |node, auth, now| {
        to_value(node.get(auth.namespace, id, now)?)
    })
    .await
}

async fn patch(
    State(service): Shared,
    Path(id): Path<B256>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request { method, uri, headers, body };
    let patch: PatchRequest =
        match request.json().and_then(|p: PatchRequest| Ok(p.check().map(|()| p)?)) {
            Ok(patch) => patch,
            Err(error) => return error.into_response(),
        };
    paid(&service, request, "MemSync: change a memory", move |node, auth, now| {
        to_value(node.patch(auth.namespace, auth.seq, id, &patch, now)?)
    })
    .await
}

async fn delete(
    State(service): Shared,
    Path(id): Path<B256>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request { method, uri, headers, body: Bytes::new() };
    paid(&service, request, "MemSync: erase a memory", move |node, auth, now| {
        node.delete(auth.namespace, auth.seq, id, now)?;
        Ok(json!({ "deleted": id }))
    })
    .await
}

/// Every (id, leaf) of the caller's namespace, with its state.
async fn leaves(State(service): Shared, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let request = Request { method, uri, headers, body: Bytes::new() };
    let node = &service.node;
    let answer = async {
        let auth = node
            .authorize(request.auth_header(), request.call(), Caller::Owner, unix_now())
            .await?;
        node.spend(&auth, unix_now())?;
        let leaves = node.store().leaves(auth.namespace)?;
        let leaves: Vec<Value> =
            leaves.iter().map(|(id, leaf)| json!({ "id": id, "leaf": leaf })).collect();
        Ok::<_, MemsyncError>(
            json!({ "leaves": leaves, "state": node.served(auth.namespace).await? }),
        )
    };
    answer.await.map(Json).into_response()
}

/// This node's state of a namespace against the chain's, attested when the chain holds it.
async fn state(State(service): Shared, Path(namespace): Path<B256>) -> Response {
    let node = &service.node;
    let answer = async {
        let state = node.served(namespace).await?;
        Ok::<_, MemsyncError>(json!({ "state": state, "attestation": node.attest(&state)? }))
    };
    answer.await.map(Json).into_response()
}

/// Every record of a namespace, for its owner or another replica.
async fn snapshot(
    State(service): Shared,
    Path(namespace): Path<B256>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request { method, uri, headers, body: Bytes::new() };
    let node = &service.node;
    let answer = async {
        let now = unix_now();
        let auth = node
            .authorize(request.auth_header(), request.call(), Caller::OwnerOrReplica, now)
            .await?;
        if auth.namespace != namespace {
            return Err(MemsyncError::Body(format!(
                "signed for {}, asked for {namespace}",
                auth.namespace
            )));
        }
        node.spend(&auth, now)?;
        to_value(node.snapshot(namespace)?)
    };
    answer.await.map(Json).into_response()
}

/// Relays the owner's signed root of this node's state; the registry checks the signature.
async fn commit(State(service): Shared, Path(namespace): Path<B256>, body: Bytes) -> Response {
    let answer = async {
        let commit: CommitRequest =
            serde_json::from_slice(&body).map_err(|e| MemsyncError::Body(e.to_string()))?;
        let ours = service.node.store().state(namespace)?;
        if ours.seq != commit.seq || ours.root != commit.root || ours.count != commit.count {
            return Err(MemsyncError::NotOurRoot {
                seq: commit.seq,
                ours: ours.root,
                theirs: commit.root,
            });
        }
        let update = RootUpdate {
            namespace,
            seq: commit.seq,
            root: commit.root,
            count: commit.count,
            deadline: U256::from(commit.deadline),
        };
        let receipt =
            service.node.registry.commit_root(&service.relay, &update, commit.signature).await?;
        let state = service.node.served(namespace).await?;
        Ok(
            json!({ "transaction": receipt.transaction_hash, "block": receipt.block_number, "state": state }),
        )
    };
    match answer.await {
        Ok(value) => (StatusCode::OK, Json(value)).into_response(),
        Err(error) => error.into_response(),
    }
}
