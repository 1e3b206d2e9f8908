//! A memory record and what the chain commits of it: its content hash, attributes hash and leaf
//! (docs/memsync.md, "Memories, leaves and the tree").

use alloy_primitives::{B256, keccak256};
use alloy_sol_types::{
    SolType, SolValue,
    sol_data::{Array, FixedBytes, String as SolString, Uint},
};
use serde::{Deserialize, Serialize};

use crate::{MemoryError, Result};

/// The Solidity types of the attributes hash's `abi.encode` (`uint8` has no `SolValue`: `Vec<u8>` is
/// `bytes`).
type Attributes = (
    Uint<8>,
    Array<SolString>,
    SolString,
    SolString,
    Uint<64>,
    Uint<64>,
    FixedBytes<32>,
    Uint<64>,
    FixedBytes<32>,
);

/// The length of a MiniLM sentence embedding.
pub const EMBEDDING_DIM: usize = 384;

/// What kind of memory a record holds, in MemSync's words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryType {
    /// A lasting fact about the user or the world ("prefers tea").
    #[default]
    Semantic,
    /// Something that happened at a time ("missed the 9:40 train on Monday").
    Episodic,
}

impl MemoryType {
    /// The `uint8` the attributes hash encodes: 0 semantic, 1 episodic.
    pub const fn code(self) -> u8 {
        match self {
            Self::Semantic => 0,
            Self::Episodic => 1,
        }
    }
}

/// One memory of a namespace. Serialised in MemSync's API shape (`memory` for the text, `type`,
/// snake_case times as unix seconds); the embedding travels too, so a snapshot is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// The memory's id, [`memory_id`] of the write that created it.
    pub id: B256,
    /// Starts at 1; every committed change (update, being superseded) adds one.
    pub version: u64,
    /// The text of the memory.
    #[serde(rename = "memory")]
    pub text: String,
    /// The text's MiniLM embedding ([`EMBEDDING_DIM`] floats).
    pub embedding: Vec<f32>,
    /// Topic labels (MemSync's categories); order is irrelevant to the hash.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Semantic or episodic.
    #[serde(rename = "type", default)]
    pub memory_type: MemoryType,
    /// The agent the memory belongs to; empty for none.
    #[serde(default)]
    pub agent_id: String,
    /// The conversation it came from; empty for none.
    #[serde(default)]
    pub thread_id: String,
    /// Where it came from (e.g. "chat", "import"); not committed.
    #[serde(default)]
    pub source: String,
    /// Free-form caller data; not committed.
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// When it was stored.
    pub created_at: u64,
    /// When it last changed (a new version).
    pub updated_at: u64,
    /// From when the fact holds.
    pub valid_from: u64,
    /// Until when it held; `None` while current.
    #[serde(default)]
    pub valid_to: Option<u64>,
    /// When it stops existing; `None` for never.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// The memory that replaced it.
    #[serde(default)]
    pub superseded_by: Option<B256>,
    /// Local ranking state, not committed: how much the memory matters, 0..=1 by convention.
    #[serde(default)]
    pub importance: f32,
    /// Local ranking state: how often it was restated (a near-duplicate reinforced it).
    #[serde(default)]
    pub reinforcements: u32,
    /// Local ranking state: when it was last created, reinforced or changed.
    #[serde(default)]
    pub last_access: u64,
}

impl MemoryRecord {
    /// `keccak256(utf8 text)`.
    pub fn content_hash(&self) -> B256 {
        keccak256(self.text.as_bytes())
    }

    /// `keccak256` of the embedding's little-endian f32 bytes.
    pub fn embedding_hash(&self) -> B256 {
        keccak256(embedding_bytes(&self.embedding))
    }

    /// `keccak256(abi.encode(uint8 type, string[] categories (sorted), string agentId, string threadId,
    /// uint64 validFrom, uint64 validTo, bytes32 supersededBy, uint64 expiresAt, bytes32 embeddingHash))`
    /// with 0 for an absent `valid_to`, `superseded_by` and `expires_at`.
    pub fn attributes_hash(&self) -> B256 {
        self.attributes_hash_with(self.embedding_hash())
    }

    fn attributes_hash_with(&self, embedding_hash: B256) -> B256 {
        let mut categories = self.categories.clone();
        categories.sort();
        // `abi.encode(a, b, …)` is the parameter encoding: no leading offset for the dynamic tuple.
        let encoded = Attributes::abi_encode_params(&(
            self.memory_type.code(),
            categories,
            self.agent_id.clone(),
            self.thread_id.clone(),
            self.valid_from,
            self.valid_to.unwrap_or(0),
            self.superseded_by.unwrap_or(B256::ZERO),
            self.expires_at.unwrap_or(0),
            embedding_hash,
        ));
        keccak256(encoded)
    }

    /// The record's leaf in its namespace's tree.
    pub fn leaf(&self) -> B256 {
        leaf(self.id, self.version, self.content_hash(), self.attributes_hash())
    }

    /// Whether the fact held at `at`: begun and not yet superseded.
    pub fn is_current_at(&self, at: u64) -> bool {
        self.valid_from <= at && self.valid_to.is_none_or(|to| at < to)
    }

    /// Whether the record is gone by `now` (reads hide it; the next write removes it).
    pub fn is_expired_at(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// `keccak256(bytes.concat(keccak256(abi.encode(bytes32 id, uint64 version, bytes32 contentHash,
/// bytes32 attributesHash))))`: hashed twice, as OpenZeppelin's `MerkleProof` expects of leaves, so a
/// leaf can never be mistaken for an inner node.
pub fn leaf(id: B256, version: u64, content_hash: B256, attributes_hash: B256) -> B256 {
    let inner = keccak256((id, version, content_hash, attributes_hash).abi_encode_params());
    keccak256(inner)
}

/// The id of the `index`-th memory created by the write that moves `namespace` to `seq`:
/// `keccak256(abi.encode(bytes32 namespace, uint64 seq, uint32 index))`. Unique because a namespace's
/// sequence numbers only grow and a write numbers the memories it creates; the namespace in the hash
/// keeps ids of different namespaces apart.
pub fn memory_id(namespace: B256, seq: u64, index: u32) -> B256 {
    keccak256((namespace, seq, index).abi_encode_params())
}

/// The embedding as little-endian f32 bytes (what [`MemoryRecord::embedding_hash`] hashes and the
/// store keeps).
pub fn embedding_bytes(embedding: &[f32]) -> Vec<u8> {
    embedding.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Checks that `embedding` has [`EMBEDDING_DIM`] finite floats and is not all zero (cosine distance
/// needs a direction).
pub fn check_embedding(embedding: &[f32]) -> Result<()> {
    if embedding.len() != EMBEDDING_DIM {
        return Err(MemoryError::Dimension { expected: EMBEDDING_DIM, actual: embedding.len() });
    }
    if embedding.iter().any(|x| !x.is_finite()) || embedding.iter().all(|&x| x == 0.0) {
        return Err(MemoryError::InvalidEmbedding);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::b256;

    use super::*;

    /// A record with every committed field set, for hashing tests.
    pub(crate) fn sample() -> MemoryRecord {
        MemoryRecord {
            id: B256::repeat_byte(0x11),
            version: 3,
            text: "prefers green tea".into(),
            embedding: (0..EMBEDDING_DIM).map(|i| i as f32 / 100.0).collect(),
            categories: vec!["preferences".into(), "food".into()],
            memory_type: MemoryType::Episodic,
            agent_id: "agent-1".into(),
            thread_id: "thread-9".into(),
            source: "chat".into(),
            metadata: serde_json::json!({"k": 1}),
            created_at: 1_700_000_000,
            updated_at: 1_700_000_100,
            valid_from: 1_700_000_000,
            valid_to: Some(1_700_000_200),
            expires_at: Some(1_800_000_000),
            superseded_by: Some(B256::repeat_byte(0x22)),
            importance: 0.5,
            reinforcements: 2,
            last_access: 1_700_000_150,
        }
    }

    #[test]
    fn serde_shape_is_memsyncs() {
        let json = serde_json::to_value(sample()).expect("json");
        assert_eq!(json["memory"], "prefers green tea");
        assert_eq!(json["type"], "episodic");
        assert_eq!(json["created_at"], 1_700_000_000);
        assert_eq!(json["categories"][0], "preferences");
        let back: MemoryRecord = serde_json::from_value(json).expect("back");
        assert_eq!(back, sample());
    }

    /// The parameter encoding, checked against `cast abi-encode` (Solidity's `abi.encode`).
    #[test]
    fn abi_encodings_match_solidity() {
        let id = memory_id(B256::repeat_byte(0x11), 7, 2);
        let expected = keccak256(
            [
                B256::repeat_byte(0x11).0,
                B256::left_padding_from(&[7]).0,
                B256::left_padding_from(&[2]).0,
            ]
            .concat(),
        );
        assert_eq!(id, expected);

        // cast abi-encode "f(uint8,string[],string,string,uint64,uint64,bytes32,uint64,bytes32)" 1
        // '["food","preferences"]' agent-1 thread-9 1700000000 1700000200 0x22…22 1800000000 0x00…00
        // | cast keccak
        assert_eq!(
            sample().attributes_hash_with(B256::ZERO),
            b256!("0xb0d0bcdad27d2dcbf14818859eb2543231e1cf9bbe492ac309b108c53e7b2930")
        );
    }

    #[test]
    fn hashes_cover_committed_fields_only() {
        let base = sample();
        let leaf = base.leaf();
        let mut reordered = base.clone();
        reordered.categories.reverse();
        reordered.source = "import".into();
        reordered.metadata = serde_json::Value::Null;
        reordered.importance = 0.9;
        reordered.reinforcements = 7;
        reordered.last_access = 0;
        reordered.created_at = 1;
        reordered.updated_at = 2;
        assert_eq!(
            reordered.leaf(),
            leaf,
            "ranking state, source, metadata and order are not committed"
        );

        type Change = (&'static str, fn(&mut MemoryRecord));
        let changes: [Change; 10] = [
            ("version", |r| r.version += 1),
            ("text", |r| r.text.push('!')),
            ("embedding", |r| r.embedding[0] += 1.0),
            ("category", |r| r.categories.push("x".into())),
            ("type", |r| r.memory_type = MemoryType::Semantic),
            ("agent", |r| r.agent_id.clear()),
            ("thread", |r| r.thread_id.clear()),
            ("valid_to", |r| r.valid_to = None),
            ("superseded_by", |r| r.superseded_by = None),
            ("expires_at", |r| r.expires_at = None),
        ];
        for (name, change) in changes {
            let mut changed = base.clone();
            change(&mut changed);
            assert_ne!(changed.leaf(), leaf, "{name} is committed");
        }
    }

    /// A fixed leaf: `cast keccak $(cast keccak $(cast abi-encode "f(bytes32,uint64,bytes32,bytes32)"
    /// 0x01…01 1 0x02…02 0x03…03))`.
    #[test]
    fn leaf_matches_solidity() {
        let leaf = leaf(B256::repeat_byte(1), 1, B256::repeat_byte(2), B256::repeat_byte(3));
        assert_eq!(
            leaf,
            b256!("0x883cab1c9e7f1bc5cbaac815d73287c77d8184d6d80bc53bed7cc6ae097ef64e")
        );
    }

    #[test]
    fn embeddings_are_checked() {
        assert!(check_embedding(&sample().embedding).is_ok(), "starts at zero but is not all zero");
        assert!(matches!(
            check_embedding(&[1.0; 3]),
            Err(MemoryError::Dimension { actual: 3, .. })
        ));
        assert!(matches!(
            check_embedding(&[0.0; EMBEDDING_DIM]),
            Err(MemoryError::InvalidEmbedding)
        ));
        let mut nan = vec![1.0; EMBEDDING_DIM];
        nan[5] = f32::NAN;
        assert!(matches!(check_embedding(&nan), Err(MemoryError::InvalidEmbedding)));
    }
}
