//! A store node's memory service without HTTP: who may call (the chain's say), what a call does to the
//! store, and what the node signs.

use std::{path::Path, sync::Arc};

use alloy::{
    primitives::{Address, B256, Bytes},
    signers::local::PrivateKeySigner,
    sol_types::Eip712Domain,
};
use serde::{Deserialize, Serialize};
use verigrad_contracts::{MemoryRegistryClient, Rpc, ServedRoot, WorkerRegistryClient};
use verigrad_distill::{Decision, Distiller, Embedder, MiniLm};
use verigrad_memory::{
    Hit, MemoryPatch, MemoryProof, MemoryRecord, NamespaceState, NewMemory, Op, SearchFilter,
    Snapshot, Store, Write, WriteOutcome,
};

use crate::{
    MemsyncError,
    auth::{self, Call, NonceLedger, RequestAuth},
    view::StoreView,
    wire::{CreateRequest, PatchRequest, SearchRequest},
};

/// What the node serves with.
#[derive(Debug)]
pub struct MemoryNode {
    pub(crate) store: Arc<Store>,
    pub(crate) distiller: Distiller<MiniLm>,
    pub(crate) registry: MemoryRegistryClient,
    pub(crate) workers: WorkerRegistryClient,
    pub(crate) rpc: Rpc,
    /// The node's operator key: its attestations, and its requests to other replicas.
    pub(crate) key: PrivateKeySigner,
    pub(crate) domain: Eip712Domain,
    pub(crate) nonces: NonceLedger,
}

/// Whom a request may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The namespace's owner or one of its delegates.
    Owner,
    /// The owner, a delegate, or another replica of the namespace (a snapshot for sync).
    OwnerOrReplica,
}

/// The namespace's state here, and whether the chain holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    /// The namespace.
    pub namespace: B256,
    /// Its sequence number here.
    pub seq: u64,
    /// Its root here.
    pub root: B256,
    /// Its memories here.
    pub count: u32,
    /// The chain's latest sequence number.
    pub chain_seq: u64,
    /// Whether this state is the chain's latest: its proofs then verify against the chain.
    pub committed: bool,
}

/// The node's EIP-712 attestation of a committed root it serves; a false one is reportable on chain
/// (`MemoryRegistry.reportFalseRoot`) and costs the node its stake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attestation {
    /// The node.
    pub node: Address,
    /// The sequence number attested.
    pub seq: u64,
    /// The root attested.
    pub root: B256,
    /// The node's signature over `ServedRoot(namespace, seq, root)`.
    pub signature: Bytes,
}

/// One memory in an answer, with its inclusion proof when asked for.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryAnswer {
    /// The memory (MemSync's shape).
    #[serde(flatten)]
    pub record: MemoryRecord,
    /// Cosine distance to the query (searches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector_distance: Option<f32>,
    /// Its leaf and the siblings up to the root.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<MemoryProof>,
}

/// What `POST /v1/memories` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Created {
    /// New memories (superseding ones included).
    pub memories_created: usize,
    /// Existing memories restated.
    pub memories_reinforced: usize,
    /// Memories that became history.
    pub memories_superseded: usize,
    /// Clauses not kept.
    pub clauses_skipped: usize,
    /// The categories of the memories created.
    pub categories_detected: Vec<String>,
    /// The memories created.
    pub memories: Vec<MemoryRecord>,
    /// Memories erased as expired or to keep the namespace within capacity.
    pub memories_erased: Vec<B256>,
}

impl MemoryNode {
    /// A node serving `store` with `distiller`, answering to `registry`.
    pub fn new(
        store: Arc<Store>,
        distiller: Distiller<MiniLm>,
        registry: MemoryRegistryClient,
        workers: WorkerRegistryClient,
        rpc: Rpc,
        key: PrivateKeySigner,
        data_dir: &Path,
    ) -> Result<Self, MemsyncError> {
        let domain = registry.domain();
        let nonces = NonceLedger::open(&data_dir.join("nonces.redb"))?;
        Ok(Self { store, distiller, registry, workers, rpc, key, domain, nonces })
    }

    /// The node's address.
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// The EIP-712 domain requests are signed in.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Checks a request's signature and that its signer may act on its namespace, which this node
    /// replicates; the nonce is not spent yet ([`Self::spend`]), so a request refused for payment may
    /// be sent again with it.
    pub(crate) async fn authorize(
        &self,
        header: Option<&str>,
        call: Call<'_>,
        caller: Caller,
        now: u64,
    ) -> Result<RequestAuth, MemsyncError> {
        let auth = RequestAuth::from_header(header.ok_or(auth::AuthError::Missing)?)?;
        auth::verify(&auth, &self.domain, call, now)?;
        let namespace = auth.namespace;
        let info = self
            .registry
            .namespace_info(namespace)
            .await?
            .ok_or(MemsyncError::UnknownNamespace(namespace))?;
        if !info.replicas.contains(&self.address()) {
            return Err(MemsyncError::NotReplica { namespace, node: self.address() });
        }
        let allowed = self.registry.is_authorized(namespace, auth.signer).await?
            || (caller == Caller::OwnerOrReplica && info.replicas.contains(&auth.signer));
        if !allowed {
            return Err(MemsyncError::Forbidden { namespace, signer: auth.signer });
        }
        Ok(auth)
    }

    /// Spends the request's nonce: from here on it is served at most once.
    pub(crate) fn spend(&self, auth: &RequestAuth, now: u64) -> Result<(), MemsyncError> {
        Ok(self.nonces.spend(auth, now)?)
    }

    /// The namespace's state here, against the chain's.
    pub async fn served(&self, namespace: B256) -> Result<Served, MemsyncError> {
        let local = self.store.state(namespace)?;
        let chain = self.registry.namespace_info(namespace).await?;
        let (chain_seq, chain_root) = chain.map(|c| (c.seq, c.root)).unwrap_or_default();
        Ok(served(namespace, local, chain_seq, chain_root))
    }

    /// The node's attestation of `served`, if the chain holds it.
    pub fn attest(&self, served: &Served) -> Result<Option<Attestation>, MemsyncError> {
        if !served.committed {
            return Ok(None);
        }
        let message =
            ServedRoot { namespace: served.namespace, seq: served.seq, root: served.root };
        let signature = message.sign(&self.domain, &self.key).map_err(MemsyncError::Sign)?;
        Ok(Some(Attestation {
            node: self.address(),
            seq: served.seq,
            root: served.root,
            signature,
        }))
    }

    /// Keeps what matters of `request`'s messages in `namespace` at `seq`.
    pub(crate) fn remember(
        &self,
        namespace: B256,
        seq: u64,
        request: &CreateRequest,
        now: u64,
    ) -> Result<Created, MemsyncError> {
        let messages: Vec<_> = request.messages.iter().map(crate::view::message).collect();
        let view = StoreView::new(&self.store, namespace, now);
        let decisions = self.distiller.distill(&messages, &view)?;
        let template = |new: verigrad_distill::NewMemory| NewMemory {
            text: new.text,
            embedding: new.embedding,
            categories: new.categories.iter().map(|c| crate::view::category_name(*c)).collect(),
            memory_type: crate::view::memory_type(new.memory_type),
            agent_id: request.agent_id.clone(),
            thread_id: request.thread_id.clone(),
            source: request.source.clone(),
            metadata: request.metadata.clone().unwrap_or_default(),
            valid_from: None,
            expires_at: request.expires_at,
            importance: new.importance,
        };
        let (mut reinforced, mut superseded, mut skipped) = (0, 0, 0);
        let mut ops = Vec::new();
        for decision in decisions {
            match decision {
                Decision::Create(new) => ops.push(Op::Create(template(new))),
                Decision::Reinforce { id } => {
                    reinforced += 1;
                    ops.push(Op::Reinforce { id, at: now });
                }
                Decision::Supersede { old_id, new } => {
                    superseded += 1;
                    ops.push(Op::Supersede { old: old_id, new: template(new), at: now });
                }
                Decision::Skip { .. } => skipped += 1,
            }
        }
        let outcome = if ops.is_empty() {
            self.check_seq(namespace, seq)?;
            WriteOutcome { state: self.store.state(namespace)?, ..WriteOutcome::default() }
        } else {
            self.store.write(namespace, &Write { expected_seq: seq, now, ops })?
        };
        let memories: Vec<MemoryRecord> = outcome
            .created
            .iter()
            .filter_map(|id| self.store.get(namespace, *id, now).transpose())
            .collect::<Result<_, _>>()?;
        let mut categories: Vec<String> =
            memories.iter().flat_map(|m| m.categories.iter().cloned()).collect();
        categories.sort_unstable();
        categories.dedup();
        Ok(Created {
            memories_created: memories.len(),
            memories_reinforced: reinforced,
            memories_superseded: superseded,
            clauses_skipped: skipped,
            categories_detected: categories,
            memories,
            memories_erased: [outcome.expired, outcome.evicted].concat(),
        })
    }

    /// The memories nearest to `request.query`.
    pub(crate) fn search(
        &self,
        namespace: B256,
        request: &SearchRequest,
        now: u64,
    ) -> Result<Vec<MemoryAnswer>, MemsyncError> {
        let query = self.distiller.embedder().embed(std::slice::from_ref(&request.query))?;
        let filter = SearchFilter {
            limit: request.limit,
            categories: request.categories.clone().unwrap_or_default(),
            agent_id: request.agent_id.clone(),
            thread_id: request.thread_id.clone(),
            include_history: request.include_history,
            at_time: None,
        };
        let hits = self.store.search(namespace, &query[0], &filter, now)?;
        hits.into_iter()
            .map(|Hit { record, vector_distance, .. }| {
                let proof = match request.proofs {
                    true => Some(self.store.proof(namespace, record.id)?),
                    false => None,
                };
                Ok(MemoryAnswer { record, vector_distance: Some(vector_distance), proof })
            })
            .collect()
    }

    /// Memory `id` with its proof.
    pub(crate) fn get(
        &self,
        namespace: B256,
        id: B256,
        now: u64,
    ) -> Result<MemoryAnswer, MemsyncError> {
        let record = self.store.get(namespace, id, now)?.ok_or(MemsyncError::NoMemory(id))?;
        let proof = Some(self.store.proof(namespace, id)?);
        Ok(MemoryAnswer { record, vector_distance: None, proof })
    }

    /// Changes memory `id` at `seq`.
    pub(crate) fn patch(
        &self,
        namespace: B256,
        seq: u64,
        id: B256,
        request: &PatchRequest,
        now: u64,
    ) -> Result<MemoryRecord, MemsyncError> {
        if self.store.get(namespace, id, now)?.is_none() {
            return Err(MemsyncError::NoMemory(id));
        }
        let embedding = match &request.memory {
            Some(text) => Some(self.distiller.embedder().embed(std::slice::from_ref(text))?),
            None => None,
        };
        let patch = MemoryPatch {
            text: request.memory.clone(),
            embedding: embedding.map(|mut e| e.remove(0)),
            categories: request.categories.clone(),
            metadata: request.metadata.clone(),
            expires_at: request.expires_at.map(Some),
            importance: None,
        };
        let write = Write { expected_seq: seq, now, ops: vec![Op::Update { id, patch }] };
        self.store.write(namespace, &write)?;
        self.store.get(namespace, id, now)?.ok_or(MemsyncError::NoMemory(id))
    }

    /// Erases memory `id` at `seq`.
    pub(crate) fn delete(
        &self,
        namespace: B256,
        seq: u64,
        id: B256,
        now: u64,
    ) -> Result<(), MemsyncError> {
        if self.store.get(namespace, id, now)?.is_none() {
            return Err(MemsyncError::NoMemory(id));
        }
        let write = Write { expected_seq: seq, now, ops: vec![Op::Delete { id }] };
        self.store.write(namespace, &write)?;
        Ok(())
    }

    /// The namespace's records, for a replica.
    pub(crate) fn snapshot(&self, namespace: B256) -> Result<Snapshot, MemsyncError> {
        Ok(self.store.snapshot(namespace)?)
    }

    /// Refuses `seq` unless it is the namespace's here (a write that changes nothing still checks).
    fn check_seq(&self, namespace: B256, seq: u64) -> Result<(), MemsyncError> {
        let current = self.store.state(namespace)?.seq;
        if current != seq {
            return Err(MemsyncError::Memory(verigrad_memory::MemoryError::StaleSequence {
                expected: seq,
                current,
            }));
        }
        Ok(())
    }
}

/// `local` against the chain's latest `(chain_seq, chain_root)`.
pub(crate) fn served(
    namespace: B256,
    local: NamespaceState,
    chain_seq: u64,
    chain_root: B256,
) -> Served {
    Served {
        namespace,
        seq: local.seq,
        root: local.root,
        count: local.count,
        chain_seq,
        committed: local.seq == chain_seq && local.root == chain_root,
    }
}
