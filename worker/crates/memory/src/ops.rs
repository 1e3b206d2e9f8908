//! What a write is made of, and what it reports.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::MemoryType;

/// A namespace's committed state: what `MemoryRegistry` holds for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceState {
    /// The local sequence number: one per write, 0 before the first.
    pub seq: u64,
    /// The Merkle root over the namespace's records ([`crate::root`]).
    pub root: B256,
    /// How many records the root covers.
    pub count: u32,
}

impl NamespaceState {
    pub(crate) fn to_bytes(self) -> [u8; 44] {
        let mut bytes = [0; 44];
        bytes[..8].copy_from_slice(&self.seq.to_be_bytes());
        bytes[8..40].copy_from_slice(self.root.as_slice());
        bytes[40..].copy_from_slice(&self.count.to_be_bytes());
        bytes
    }

    pub(crate) fn from_bytes(bytes: [u8; 44]) -> Self {
        let mut seq = [0; 8];
        seq.copy_from_slice(&bytes[..8]);
        let mut count = [0; 4];
        count.copy_from_slice(&bytes[40..]);
        Self {
            seq: u64::from_be_bytes(seq),
            root: B256::from_slice(&bytes[8..40]),
            count: u32::from_be_bytes(count),
        }
    }
}

/// A memory to create; the store gives it its id, version 1 and its times.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewMemory {
    /// The text.
    pub text: String,
    /// Its MiniLM embedding.
    pub embedding: Vec<f32>,
    /// Topic labels.
    pub categories: Vec<String>,
    /// Semantic or episodic.
    pub memory_type: MemoryType,
    /// The agent; empty for none.
    pub agent_id: String,
    /// The conversation; empty for none.
    pub thread_id: String,
    /// Where it came from.
    pub source: String,
    /// Caller data.
    pub metadata: serde_json::Value,
    /// From when the fact holds; the write's `now` if `None` (a supersede uses its `at`).
    pub valid_from: Option<u64>,
    /// When it stops existing.
    pub expires_at: Option<u64>,
    /// The importance `verigrad-distill` gave it.
    pub importance: f32,
}

/// The fields an update may change; `None` keeps a field. A new text needs its new embedding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemoryPatch {
    /// The new text.
    pub text: Option<String>,
    /// The new text's embedding.
    pub embedding: Option<Vec<f32>>,
    /// New categories.
    pub categories: Option<Vec<String>>,
    /// New metadata.
    pub metadata: Option<serde_json::Value>,
    /// A new expiry (`Some(None)` removes it).
    pub expires_at: Option<Option<u64>>,
    /// A new importance.
    pub importance: Option<f32>,
}

/// One change of a write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Stores a new memory.
    Create(NewMemory),
    /// A near-duplicate was seen: counts a reinforcement and refreshes the last access. The record's
    /// version and leaf stay as they are.
    Reinforce {
        /// The memory reinforced.
        id: B256,
        /// When.
        at: u64,
    },
    /// A contradiction: `old` stops holding at `at` (its `valid_to`, `superseded_by` and version
    /// change; it stays as history) and `new` is created, holding from `at`.
    Supersede {
        /// The memory replaced.
        old: B256,
        /// Its replacement.
        new: NewMemory,
        /// When the replacement takes over.
        at: u64,
    },
    /// Changes a memory in place (a new version).
    Update {
        /// The memory.
        id: B256,
        /// What changes.
        patch: MemoryPatch,
    },
    /// Removes a memory: its text and embedding are erased from the database file.
    Delete {
        /// The memory.
        id: B256,
    },
}

/// A batch of operations, applied atomically in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Write {
    /// The namespace's seq the writer saw; any other refuses the write.
    pub expected_seq: u64,
    /// The write's time: creation times, and which records have expired.
    pub now: u64,
    /// The operations.
    pub ops: Vec<Op>,
}

/// What a committed write did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteOutcome {
    /// The namespace's new state (seq one higher).
    pub state: NamespaceState,
    /// The ids given to created memories, in the order of their operations.
    pub created: Vec<B256>,
    /// Memories removed because they had expired.
    pub expired: Vec<B256>,
    /// Memories removed to bring the namespace back to capacity, lowest score first.
    pub evicted: Vec<B256>,
}
