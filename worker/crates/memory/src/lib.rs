//! MemSync's memories (docs/memsync.md): the records and what the chain commits of them (leaf,
//! Merkle root, inclusion proofs), the crash-safe store (redb) with sequence numbers, capacity, decay
//! and expiry, and search by meaning through an approximate-nearest-neighbour index.
//!
//! This crate neither serves HTTP nor talks to the chain (`verigrad-memsync` does) nor decides what
//! to remember (`verigrad-distill` does).
//!
//! ```
//! use alloy_primitives::B256;
//! use verigrad_memory::{
//!     EMBEDDING_DIM, NewMemory, Op, SearchFilter, Store, StoreConfig, Write, verify,
//! };
//!
//! # fn main() -> verigrad_memory::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(&dir.path().join("memory.redb"), StoreConfig::default())?;
//! let namespace = B256::repeat_byte(1);
//! let tea = NewMemory {
//!     text: "prefers green tea".into(),
//!     embedding: vec![0.05; EMBEDDING_DIM],
//!     importance: 0.7,
//!     ..NewMemory::default()
//! };
//! let outcome = store.write(namespace, &Write { expected_seq: 0, now: 100, ops: vec![Op::Create(tea)] })?;
//!
//! let hits = store.search(namespace, &[0.05; EMBEDDING_DIM], &SearchFilter::default(), 100)?;
//! assert_eq!(hits[0].record.text, "prefers green tea");
//! let proof = store.proof(namespace, outcome.created[0])?;
//! assert!(verify(outcome.state.root, proof.leaf, &proof.proof));
//! # Ok(())
//! # }
//! ```
#![warn(unused_crate_dependencies)]

mod error;
mod index;
mod merkle;
mod ops;
mod rank;
mod recency;
mod record;
mod search;
mod store;
mod tables;
mod topic;

#[cfg(test)]
mod vectors;

pub use error::{MemoryError, Result};
pub use index::IndexConfig;
pub use merkle::{hash_pair, proof, root, verify};
pub use ops::{MemoryPatch, NamespaceState, NewMemory, Op, Write, WriteOutcome};
pub use rank::RetentionPolicy;
pub use recency::{Candidate, NEWER_ALIKE_MARGIN, after_successor, prefer_newer};
pub use record::{
    EMBEDDING_DIM, MemoryRecord, MemoryType, check_embedding, embedding_bytes, leaf, memory_id,
};
pub use search::{Hit, SearchFilter};
pub use store::{MemoryProof, Snapshot, Store, StoreConfig};
pub use topic::Topics;
