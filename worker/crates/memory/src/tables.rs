//! The store's redb tables and the record-level operations on them inside one write transaction.
//!
//! A record lives in five tables under the key `namespace ‖ id`: the record without its embedding
//! (JSON), the embedding (little-endian f32), its leaf, its ranking state (for eviction without
//! decoding every record) and, if it expires, an entry in the expiry index. [`Tables::put`] and
//! [`Tables::remove`] are the only writers, so the derived tables cannot drift from the record.

use alloy_primitives::B256;
use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};

use crate::{MemoryError, MemoryRecord, Result, record::embedding_bytes};

/// Namespace → its [`NamespaceState`](crate::NamespaceState) (seq u64 BE ‖ root ‖ count u32 BE).
pub(crate) const STATES: TableDefinition<'_, [u8; 32], [u8; 44]> = TableDefinition::new("states");
/// Namespace ‖ id → the record as JSON, embedding left out.
pub(crate) const RECORDS: TableDefinition<'_, [u8; 64], &[u8]> = TableDefinition::new("records");
/// Namespace ‖ id → the embedding's little-endian f32 bytes.
pub(crate) const EMBEDDINGS: TableDefinition<'_, [u8; 64], &[u8]> =
    TableDefinition::new("embeddings");
/// Namespace ‖ id → the record's leaf.
pub(crate) const LEAVES: TableDefinition<'_, [u8; 64], [u8; 32]> = TableDefinition::new("leaves");
/// Namespace ‖ id → importance f32 LE ‖ reinforcements u32 LE ‖ last access u64 LE.
pub(crate) const RANKS: TableDefinition<'_, [u8; 64], [u8; 16]> = TableDefinition::new("ranks");
/// Namespace ‖ expires_at u64 BE ‖ id → (): the records due to expire, in time order.
pub(crate) const EXPIRIES: TableDefinition<'_, [u8; 72], ()> = TableDefinition::new("expiries");

/// The key of a record.
pub(crate) fn key(namespace: B256, id: B256) -> [u8; 64] {
    let mut key = [0; 64];
    key[..32].copy_from_slice(namespace.as_slice());
    key[32..].copy_from_slice(id.as_slice());
    key
}

/// The keys of every record of `namespace`, as an inclusive range.
pub(crate) fn namespace_range(namespace: B256) -> std::ops::RangeInclusive<[u8; 64]> {
    key(namespace, B256::ZERO)..=key(namespace, B256::repeat_byte(0xff))
}

fn expiry_key(namespace: B256, at: u64, id: B256) -> [u8; 72] {
    let mut key = [0; 72];
    key[..32].copy_from_slice(namespace.as_slice());
    key[32..40].copy_from_slice(&at.to_be_bytes());
    key[40..].copy_from_slice(id.as_slice());
    key
}

/// The ranking state as stored in [`RANKS`].
pub(crate) fn rank_bytes(record: &MemoryRecord) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..4].copy_from_slice(&record.importance.to_le_bytes());
    bytes[4..8].copy_from_slice(&record.reinforcements.to_le_bytes());
    bytes[8..].copy_from_slice(&record.last_access.to_le_bytes());
    bytes
}

/// Decodes [`rank_bytes`]: (importance, reinforcements, last access).
pub(crate) fn decode_rank(bytes: [u8; 16]) -> (f32, u32, u64) {
    let [a, b, c, d, e, f, g, h, rest @ ..] = bytes;
    (f32::from_le_bytes([a, b, c, d]), u32::from_le_bytes([e, f, g, h]), u64::from_le_bytes(rest))
}

/// Decodes a record from its JSON and embedding bytes.
pub(crate) fn decode(json: &[u8], embedding: &[u8]) -> Result<MemoryRecord> {
    let mut record: MemoryRecord =
        serde_json::from_slice(json).map_err(|e| MemoryError::Corrupt(e.to_string()))?;
    if !embedding.len().is_multiple_of(4) {
        return Err(MemoryError::Corrupt(format!("embedding of {} bytes", embedding.len())));
    }
    record.embedding =
        embedding.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok(record)
}

fn encode_without_embedding(record: &MemoryRecord) -> Result<Vec<u8>> {
    // Serialised field by field through a borrowed view would duplicate the struct; an empty
    // embedding costs one clone of the text, which is small.
    let light = MemoryRecord { embedding: Vec::new(), ..record.clone() };
    serde_json::to_vec(&light).map_err(|e| MemoryError::Corrupt(e.to_string()))
}

/// The tables open in one write transaction, for one namespace.
pub(crate) struct Tables<'txn> {
    namespace: B256,
    pub(crate) records: Table<'txn, [u8; 64], &'static [u8]>,
    embeddings: Table<'txn, [u8; 64], &'static [u8]>,
    pub(crate) leaves: Table<'txn, [u8; 64], [u8; 32]>,
    pub(crate) ranks: Table<'txn, [u8; 64], [u8; 16]>,
    pub(crate) expiries: Table<'txn, [u8; 72], ()>,
}

impl<'txn> Tables<'txn> {
    /// Opens the record tables of `namespace` in `txn`.
    pub(crate) fn open(txn: &'txn WriteTransaction, namespace: B256) -> Result<Self> {
        Ok(Self {
            namespace,
            records: txn.open_table(RECORDS)?,
            embeddings: txn.open_table(EMBEDDINGS)?,
            leaves: txn.open_table(LEAVES)?,
            ranks: txn.open_table(RANKS)?,
            expiries: txn.open_table(EXPIRIES)?,
        })
    }

    /// The stored record `id`, if any (expired or not).
    pub(crate) fn get(&self, id: B256) -> Result<Option<MemoryRecord>> {
        let key = key(self.namespace, id);
        let Some(json) = self.records.get(key)? else { return Ok(None) };
        let embedding = self
            .embeddings
            .get(key)?
            .ok_or_else(|| MemoryError::Corrupt(format!("memory {id} has no embedding")))?;
        decode(json.value(), embedding.value()).map(Some)
    }

    /// Stores `record`, replacing any earlier version and its derived rows.
    pub(crate) fn put(&mut self, record: &MemoryRecord) -> Result<()> {
        let previous_expiry = self.get_expiry(record.id)?;
        let key = key(self.namespace, record.id);
        self.records.insert(key, encode_without_embedding(record)?.as_slice())?;
        self.embeddings.insert(key, embedding_bytes(&record.embedding).as_slice())?;
        self.leaves.insert(key, record.leaf().0)?;
        self.ranks.insert(key, rank_bytes(record))?;
        if previous_expiry != record.expires_at {
            if let Some(at) = previous_expiry {
                self.expiries.remove(expiry_key(self.namespace, at, record.id))?;
            }
            if let Some(at) = record.expires_at {
                self.expiries.insert(expiry_key(self.namespace, at, record.id), ())?;
            }
        }
        Ok(())
    }

    /// Removes record `id` and all its rows; `false` if there was none.
    pub(crate) fn remove(&mut self, id: B256) -> Result<bool> {
        let expiry = self.get_expiry(id)?;
        let key = key(self.namespace, id);
        let existed = self.records.remove(key)?.is_some();
        self.embeddings.remove(key)?;
        self.leaves.remove(key)?;
        self.ranks.remove(key)?;
        if let Some(at) = expiry {
            self.expiries.remove(expiry_key(self.namespace, at, id))?;
        }
        Ok(existed)
    }

    /// The ids of the records whose `expires_at` is at or before `now`.
    pub(crate) fn expired(&self, now: u64) -> Result<Vec<B256>> {
        let range = expiry_key(self.namespace, 0, B256::ZERO)
            ..=expiry_key(self.namespace, now, B256::repeat_byte(0xff));
        let mut ids = Vec::new();
        for row in self.expiries.range(range)? {
            let (key, _) = row?;
            ids.push(B256::from_slice(&key.value()[40..]));
        }
        Ok(ids)
    }

    /// Every leaf of the namespace.
    pub(crate) fn all_leaves(&self) -> Result<Vec<B256>> {
        let mut leaves = Vec::new();
        for row in self.leaves.range(namespace_range(self.namespace))? {
            leaves.push(B256::from(row?.1.value()));
        }
        Ok(leaves)
    }

    /// Every record's id with its ranking state.
    pub(crate) fn all_ranks(&self) -> Result<Vec<(B256, [u8; 16])>> {
        let mut ranks = Vec::new();
        for row in self.ranks.range(namespace_range(self.namespace))? {
            let (key, rank) = row?;
            ranks.push((B256::from_slice(&key.value()[32..]), rank.value()));
        }
        Ok(ranks)
    }

    /// Every id of the namespace.
    pub(crate) fn all_ids(&self) -> Result<Vec<B256>> {
        let mut ids = Vec::new();
        for row in self.leaves.range(namespace_range(self.namespace))? {
            ids.push(B256::from_slice(&row?.0.value()[32..]));
        }
        Ok(ids)
    }

    fn get_expiry(&self, id: B256) -> Result<Option<u64>> {
        let Some(json) = self.records.get(key(self.namespace, id))? else { return Ok(None) };
        // Only the one field is needed; decoding the whole record would be the same work.
        #[derive(serde::Deserialize)]
        struct Expiry {
            expires_at: Option<u64>,
        }
        let expiry: Expiry = serde_json::from_slice(json.value())
            .map_err(|e| MemoryError::Corrupt(e.to_string()))?;
        Ok(expiry.expires_at)
    }
}
