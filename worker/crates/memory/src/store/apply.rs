//! One write's operations, applied inside its transaction.

use std::collections::BTreeMap;

use alloy_primitives::B256;

use crate::{
    MemoryError, MemoryRecord, NewMemory, Op, Result, StoreConfig, WriteOutcome, memory_id,
    record::check_embedding,
    tables::{self, Tables},
};

/// One write's work inside its transaction.
pub(super) struct Apply<'txn> {
    pub(super) tables: Tables<'txn>,
    pub(super) namespace: B256,
    pub(super) seq: u64,
    pub(super) now: u64,
    pub(super) count: u64,
    pub(super) outcome: WriteOutcome,
    /// The final state of each record touched, `None` if removed: what the index must learn.
    pub(super) changes: BTreeMap<B256, Option<MemoryRecord>>,
    /// Whether content left the database (a removal or a replaced text).
    pub(super) erased: bool,
}

impl Apply<'_> {
    pub(super) fn op(&mut self, op: &Op) -> Result<()> {
        match op {
            Op::Create(new) => {
                self.create(new, new.valid_from.unwrap_or(self.now))?;
            }
            Op::Reinforce { id, at } => {
                let mut record = self.existing(*id)?;
                record.reinforcements = record.reinforcements.saturating_add(1);
                record.last_access = record.last_access.max(*at);
                self.put(record)?;
            }
            Op::Supersede { old, new, at } => {
                let mut record = self.existing(*old)?;
                if let Some(by) = record.superseded_by {
                    return Err(MemoryError::AlreadySuperseded { id: *old, by });
                }
                let new_id = self.create(new, *at)?;
                record.valid_to = Some(*at);
                record.superseded_by = Some(new_id);
                record.version += 1;
                record.updated_at = self.now;
                self.put(record)?;
            }
            Op::Update { id, patch } => {
                let mut record = self.existing(*id)?;
                if patch.text.is_some() && patch.embedding.is_none() {
                    return Err(MemoryError::TextWithoutEmbedding);
                }
                if let Some(text) = &patch.text {
                    self.erased |= *text != record.text;
                    record.text.clone_from(text);
                }
                if let Some(embedding) = &patch.embedding {
                    check_embedding(embedding)?;
                    record.embedding.clone_from(embedding);
                }
                if let Some(categories) = &patch.categories {
                    record.categories.clone_from(categories);
                }
                if let Some(metadata) = &patch.metadata {
                    record.metadata = metadata.clone();
                }
                if let Some(expires_at) = patch.expires_at {
                    record.expires_at = expires_at;
                }
                if let Some(importance) = patch.importance {
                    record.importance = importance;
                }
                record.version += 1;
                record.updated_at = self.now;
                record.last_access = record.last_access.max(self.now);
                self.put(record)?;
            }
            Op::Delete { id } => {
                self.existing(*id)?;
                self.remove(*id)?;
            }
        }
        Ok(())
    }

    fn create(&mut self, new: &NewMemory, valid_from: u64) -> Result<B256> {
        check_embedding(&new.embedding)?;
        let index = u32::try_from(self.outcome.created.len()).unwrap_or(u32::MAX);
        let id = memory_id(self.namespace, self.seq, index);
        let record = MemoryRecord {
            id,
            version: 1,
            text: new.text.clone(),
            embedding: new.embedding.clone(),
            categories: new.categories.clone(),
            memory_type: new.memory_type,
            agent_id: new.agent_id.clone(),
            thread_id: new.thread_id.clone(),
            source: new.source.clone(),
            metadata: new.metadata.clone(),
            created_at: self.now,
            updated_at: self.now,
            valid_from,
            valid_to: None,
            expires_at: new.expires_at,
            superseded_by: None,
            importance: new.importance,
            reinforcements: 0,
            last_access: self.now,
        };
        self.count += 1;
        self.put(record)?;
        self.outcome.created.push(id);
        Ok(id)
    }

    /// Record `id`, which must exist (expired ones were removed before the operations ran).
    fn existing(&self, id: B256) -> Result<MemoryRecord> {
        self.tables.get(id)?.ok_or(MemoryError::NotFound(id))
    }

    fn put(&mut self, record: MemoryRecord) -> Result<()> {
        self.tables.put(&record)?;
        self.changes.insert(record.id, Some(record));
        Ok(())
    }

    fn remove(&mut self, id: B256) -> Result<()> {
        if self.tables.remove(id)? {
            self.count -= 1;
            self.erased = true;
            self.changes.insert(id, None);
        }
        Ok(())
    }

    pub(super) fn expire(&mut self) -> Result<()> {
        for id in self.tables.expired(self.now)? {
            self.remove(id)?;
            self.outcome.expired.push(id);
        }
        Ok(())
    }

    /// Removes the lowest-scored records until the namespace is within capacity.
    pub(super) fn evict(&mut self, config: &StoreConfig) -> Result<()> {
        let capacity = u64::from(config.capacity);
        if self.count <= capacity {
            return Ok(());
        }
        let mut scored: Vec<(f64, u64, B256)> = self
            .tables
            .all_ranks()?
            .into_iter()
            .map(|(id, rank)| {
                let (importance, reinforcements, last_access) = tables::decode_rank(rank);
                let score =
                    config.retention.score(importance, reinforcements, last_access, self.now);
                (score, last_access, id)
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let excess = usize::try_from(self.count - capacity).unwrap_or(usize::MAX);
        for (_, _, id) in scored.into_iter().take(excess) {
            self.remove(id)?;
            self.outcome.evicted.push(id);
        }
        Ok(())
    }
}
