//! MemSync's memories (docs/memsync.md): the records and what the chain commits of them (leaf,
//! Merkle root, inclusion proofs), the crash-safe store (redb) with sequence numbers, capacity, decay
//! and expiry, and search by meaning through an approximate-nearest-neighbour index.
//!
//! This crate neither serves HTTP nor talks to the chain (`verigrad-memsync` does) nor decides what
//! to remember (`verigrad-distill` does).
#![warn(unused_crate_dependencies)]

mod error;
mod index;
mod merkle;
mod ops;
mod rank;
mod record;
mod search;
mod store;
mod tables;

#[cfg(test)]
mod vectors;

pub use error::{MemoryError, Result};
pub use index::IndexConfig;
pub use merkle::{hash_pair, proof, root, verify};
pub use ops::{MemoryPatch, NamespaceState, NewMemory, Op, Write, WriteOutcome};
pub use rank::RetentionPolicy;
pub use record::{
    EMBEDDING_DIM, MemoryRecord, MemoryType, check_embedding, embedding_bytes, leaf, memory_id,
};
pub use search::{Hit, SearchFilter};
pub use store::{MemoryProof, Snapshot, Store, StoreConfig};
