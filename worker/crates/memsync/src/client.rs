//! A namespace owner's client: signs every call, pays x402 when the node asks, checks what it is told
//! against the leaves before signing a root, and proves inclusion and absence against the chain.

use alloy::{
    primitives::{B256, U256},
    signers::local::PrivateKeySigner,
    sol_types::Eip712Domain,
    transports::http::reqwest::{self, Method},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use verigrad_contracts::{MemoryRegistryClient, RootUpdate};
use verigrad_memory::{MemoryProof, MemoryRecord};

use crate::{
    auth::{AUTH_HEADER, Call, RequestAuth},
    node::{Created, Served},
    unix_now,
    wire::{CommitRequest, CreateRequest, PatchRequest, SearchRequest},
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached, or answered what is not JSON.
    #[error("{url}: {message}")]
    Http {
        /// The request.
        url: String,
        /// What happened.
        message: String,
    },
    /// The node refused: its status and `error`.
    #[error("{status}: {error}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The node's reason.
        error: String,
        /// The whole answer.
        body: Value,
    },
    /// The node's answer does not add up: what it claims is not what its leaves prove.
    #[error("the node's answer does not verify: {0}")]
    Unverified(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(#[from] alloy::signers::Error),
    /// The chain could not be read.
    #[error(transparent)]
    Chain(#[from] verigrad_contracts::ChainError),
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Found {
    /// The memory.
    #[serde(flatten)]
    pub record: MemoryRecord,
    /// Cosine distance to the query.
    pub vector_distance: Option<f32>,
    /// Its inclusion proof, when asked for.
    pub proof: Option<MemoryProof>,
}

/// An answer with the namespace's state it was served at.
#[derive(Debug, Clone, Deserialize)]
pub struct Answer<T> {
    /// The answer.
    #[serde(flatten)]
    pub body: T,
    /// The node's state of the namespace.
    pub state: Served,
}

/// A search's hits.
#[derive(Debug, Clone, Deserialize)]
pub struct Hits {
    /// Nearest first, current facts before history.
    pub memories: Vec<Found>,
}

/// The client of one namespace on one store node.
#[derive(Debug, Clone)]
pub struct MemoryClient {
    http: reqwest::Client,
    url: String,
    owner: PrivateKeySigner,
    payer: Option<PrivateKeySigner>,
    domain: Eip712Domain,
    namespace: B256,
}

impl MemoryClient {
    /// `owner` (the owner or a delegate) on `namespace` at the node `url`, paying with `payer` when
    /// the node asks; `domain` is the registry's ([`MemoryRegistryClient::domain`]).
    pub fn new(
        url: &str,
        owner: PrivateKeySigner,
        payer: Option<PrivateKeySigner>,
        domain: Eip712Domain,
        namespace: B256,
    ) -> Self {
        let url = url.trim_end_matches('/').to_owned();
        Self { http: reqwest::Client::new(), url, owner, payer, domain, namespace }
    }

    /// The same client on another node.
    pub fn at(&self, url: &str) -> Self {
        Self { url: url.trim_end_matches('/').to_owned(), ..self.clone() }
    }

    /// The node's state of the namespace.
    pub async fn state(&self) -> Result<Served, ClientError> {
        #[derive(Deserialize)]
        struct Body {
            state: Served,
        }
        let path = format!("/v1/namespaces/{}", self.namespace);
        let body: Body = self.send(Method::GET, &path, None, 0).await?;
        Ok(body.state)
    }

    /// Sends a batch of messages; the node keeps what matters. The write is at the node's current
    /// sequence number.
    pub async fn remember(&self, request: &CreateRequest) -> Result<Answer<Created>, ClientError> {
        let seq = self.state().await?.seq;
        self.send(Method::POST, "/v1/memories", Some(json_bytes(request)), seq).await
    }

    /// Searches by meaning.
    pub async fn search(&self, request: &SearchRequest) -> Result<Answer<Hits>, ClientError> {
        self.send(Method::POST, "/v1/memories/search", Some(json_bytes(request)), 0).await
    }

    /// One memory with its proof.
    pub async fn get(&self, id: B256) -> Result<Answer<Found>, ClientError> {
        self.send(Method::GET, &format!("/v1/memories/{id}"), None, 0).await
    }

    /// Changes one memory.
    pub async fn patch(
        &self,
        id: B256,
        request: &PatchRequest,
    ) -> Result<Answer<MemoryRecord>, ClientError> {
        let seq = self.state().await?.seq;
        self.send(Method::PATCH, &format!("/v1/memories/{id}"), Some(json_bytes(request)), seq)
            .await
    }

    /// Erases one memory.
    pub async fn delete(&self, id: B256) -> Result<Answer<Value>, ClientError> {
        let seq = self.state().await?.seq;
        self.send(Method::DELETE, &format!("/v1/memories/{id}"), None, seq).await
    }

    /// Every (id, leaf) of the namespace, checked to hash to the state's root.
    pub async fn leaves(&self) -> Result<(Vec<(B256, B256)>, Served), ClientError> {
        #[derive(Deserialize)]
        struct Leaf {
            id: B256,
            leaf: B256,
        }
        #[derive(Deserialize)]
        struct Body {
            leaves: Vec<Leaf>,
            state: Served,
        }
        let body: Body = self.send(Method::GET, "/v1/leaves", None, 0).await?;
        let leaves: Vec<(B256, B256)> = body.leaves.into_iter().map(|l| (l.id, l.leaf)).collect();
        let hashes: Vec<B256> = leaves.iter().map(|(_, leaf)| *leaf).collect();
        let root = verigrad_memory::root(&hashes);
        if root != body.state.root || hashes.len() != body.state.count as usize {
            return Err(ClientError::Unverified(format!(
                "{} leaves hash to {root}, the node says {} of root {}",
                hashes.len(),
                body.state.count,
                body.state.root
            )));
        }
        Ok((leaves, body.state))
    }

    /// Checks the node's current state against its leaves — every memory of `kept` in it, no id of
    /// `gone` — then signs its root and has the node relay it to the registry. Returns the state
    /// committed.
    pub async fn commit(
        &self,
        kept: &[MemoryRecord],
        gone: &[B256],
    ) -> Result<Served, ClientError> {
        let (leaves, state) = self.leaves().await?;
        for record in kept {
            if !leaves.contains(&(record.id, record.leaf())) {
                return Err(ClientError::Unverified(format!(
                    "memory {} is not under the root",
                    record.id
                )));
            }
        }
        if let Some(id) = gone.iter().find(|id| leaves.iter().any(|(l, _)| l == *id)) {
            return Err(ClientError::Unverified(format!("memory {id} is still under the root")));
        }
        let deadline = unix_now() + 300;
        let update = RootUpdate {
            namespace: self.namespace,
            seq: state.seq,
            root: state.root,
            count: state.count,
            deadline: U256::from(deadline),
        };
        let signature = update.sign(&self.domain, &self.owner)?;
        let commit = CommitRequest {
            seq: state.seq,
            root: state.root,
            count: state.count,
            deadline,
            signature,
        };
        let path = format!("/v1/namespaces/{}/commit", self.namespace);
        let url = format!("{}{path}", self.url);
        let response = self.http.post(&url).json(&commit).send().await;
        read::<Value>(&url, response).await?;
        Ok(state)
    }

    /// Proves `id` absent from the namespace as the chain holds it: the node's leaves hash to the
    /// chain's latest root and none is `id`'s.
    pub async fn prove_absent(
        &self,
        registry: &MemoryRegistryClient,
        id: B256,
    ) -> Result<u64, ClientError> {
        let (leaves, state) = self.leaves().await?;
        let chain = registry
            .namespace_info(self.namespace)
            .await?
            .ok_or_else(|| ClientError::Unverified("the namespace is not on chain".into()))?;
        if chain.seq != state.seq || chain.root != state.root {
            return Err(ClientError::Unverified(format!(
                "the node serves seq {} root {}, the chain holds seq {} root {}",
                state.seq, state.root, chain.seq, chain.root
            )));
        }
        if leaves.iter().any(|(leaf_id, _)| *leaf_id == id) {
            return Err(ClientError::Unverified(format!("memory {id} is under the chain's root")));
        }
        Ok(chain.seq)
    }

    /// Signs and sends one call at `seq`, paying when asked; decodes a 2xx answer as `T`.
    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        seq: u64,
    ) -> Result<T, ClientError> {
        let body = body.unwrap_or_default();
        let call = Call { method: method.as_str(), path, body: &body };
        let nonce = u64::from_be_bytes(B256::random()[..8].try_into().unwrap_or_default());
        let auth = RequestAuth::sign(
            &self.owner,
            &self.domain,
            self.namespace,
            seq,
            nonce,
            unix_now() + 120,
            call,
        )?;
        let header = auth.to_header();
        let url = format!("{}{path}", self.url);
        let request = || {
            let builder = self.http.request(method.clone(), &url).header(AUTH_HEADER, &header);
            match body.is_empty() {
                true => builder,
                false => builder.header("content-type", "application/json").body(body.clone()),
            }
        };
        match &self.payer {
            Some(payer) => {
                let paid = verigrad_x402::pay_request(&url, request, payer)
                    .await
                    .map_err(|e| ClientError::Http { url: url.clone(), message: e.to_string() })?;
                decode(&url, paid.status, paid.body)
            }
            None => read(&url, request().send().await).await,
        }
    }
}

fn json_bytes(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

async fn read<T: DeserializeOwned>(
    url: &str,
    response: reqwest::Result<reqwest::Response>,
) -> Result<T, ClientError> {
    let http =
        |e: reqwest::Error| ClientError::Http { url: url.to_owned(), message: e.to_string() };
    let response = response.map_err(http)?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(http)?;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    decode(url, status, body)
}

fn decode<T: DeserializeOwned>(url: &str, status: u16, body: Value) -> Result<T, ClientError> {
    if !(200..300).contains(&status) {
        let error = body.get("error").and_then(Value::as_str).unwrap_or_default().to_owned();
        return Err(ClientError::Refused { status, error, body });
    }
    serde_json::from_value(body)
        .map_err(|e| ClientError::Http { url: url.to_owned(), message: format!("answer: {e}") })
}
