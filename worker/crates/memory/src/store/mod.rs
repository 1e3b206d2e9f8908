//! The store node's memory database (redb): many namespaces, each with its records and its state
//! `{seq, root, count}`.
//!
//! A write is one redb transaction: it checks the expected seq, removes expired records, applies the
//! operations in order, evicts down to capacity, recomputes the root and stores the state with the
//! next seq. redb commits atomically (copy-on-write pages, a checksummed commit slot), so a process
//! killed at any point leaves either the previous state or the new one — never a root that does not
//! match the records. The search index is kept in memory, rebuilt at open and updated after each
//! commit.

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    sync::{Mutex, PoisonError, RwLock},
};

use alloy_primitives::B256;
use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable};
use serde::{Deserialize, Serialize};

mod apply;
#[cfg(test)]
pub(crate) mod tests;

use apply::Apply;

use crate::{
    IndexConfig, MemoryError, MemoryRecord, NamespaceState, Result, RetentionPolicy, Topics, Write,
    WriteOutcome,
    index::NamespaceIndex,
    merkle,
    record::check_embedding,
    tables::{self, EMBEDDINGS, LEAVES, RECORDS, STATES, Tables},
};

/// How a store behaves; the same for all its namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoreConfig {
    /// The most records a namespace keeps; a write that would exceed it evicts the lowest-scored.
    pub capacity: u32,
    /// The eviction score.
    pub retention: RetentionPolicy,
    /// The search index.
    pub index: IndexConfig,
    /// Added to a superseded memory's cosine distance when ranking search results: by default 0.2, the
    /// evaluation's choice (`verigrad_distill::SUPERSEDED_PENALTY`), so a current fact comes before
    /// facts of similar distance it did not replace; the fact it replaced always follows it
    /// ([`crate::after_successor`]).
    pub history_penalty: f32,
    /// Compact the file after a write that erased content, so that the erased bytes do not linger
    /// in free pages. Only worth turning off for bulk loads.
    pub compact_after_erase: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            capacity: 100_000,
            retention: RetentionPolicy::default(),
            index: IndexConfig::default(),
            history_penalty: 0.2,
            compact_after_erase: true,
        }
    }
}

/// A namespace's records and state, for a replica to restore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The namespace.
    pub namespace: B256,
    /// Its state when the snapshot was taken.
    pub state: NamespaceState,
    /// Every record, in id order.
    pub records: Vec<MemoryRecord>,
}

/// An inclusion proof of one memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryProof {
    /// The memory's leaf.
    pub leaf: B256,
    /// The siblings from the leaf to the root ([`crate::verify`]).
    pub proof: Vec<B256>,
    /// The namespace's state the proof is for.
    pub state: NamespaceState,
}

/// The memory database of a store node. Share it behind an `Arc`; reads run concurrently, writes
/// one at a time.
#[derive(Debug)]
pub struct Store {
    /// Behind a lock only because compaction needs the database to itself.
    db: RwLock<Database>,
    config: StoreConfig,
    /// Serialises writes, so the index is updated in commit order.
    writer: Mutex<()>,
    pub(crate) indexes: RwLock<HashMap<B256, NamespaceIndex>>,
    /// The single-valued topics its search resolves by recency, if any.
    pub(crate) topics: Option<Topics>,
}

impl Store {
    /// Opens (or creates) the database at `path` and builds every namespace's search index.
    pub fn open(path: &Path, config: StoreConfig) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let db = Database::create(path)?;
        {
            // Created here so that readers never meet a missing table.
            let txn = db.begin_write()?;
            txn.open_table(STATES)?;
            drop(Tables::open(&txn, B256::ZERO)?);
            txn.commit()?;
        }
        let store = Self {
            db: RwLock::new(db),
            config,
            writer: Mutex::new(()),
            indexes: RwLock::new(HashMap::new()),
            topics: None,
        };
        let mut indexes = HashMap::new();
        for namespace in store.namespaces()? {
            let records = store.records(namespace)?;
            indexes.insert(namespace, NamespaceIndex::build(config.index, &records));
        }
        *store.indexes.write().unwrap_or_else(PoisonError::into_inner) = indexes;
        Ok(store)
    }

    /// The same store, its search resolving a question about one of `topics` by recency: the newest
    /// value of the topic first ([`Topics::newest_first`]; `verigrad_distill`'s slot descriptions
    /// are the topics MemSync's node gives it). For such a question, a value superseded by a memory
    /// outside the topic may rank above its replacement.
    pub fn with_topics(self, topics: Topics) -> Self {
        Self { topics: Some(topics), ..self }
    }

    /// The store's configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Applies `write` to `namespace` atomically: all of it or, on any error, nothing.
    pub fn write(&self, namespace: B256, write: &Write) -> Result<WriteOutcome> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let (outcome, changes, erased) = {
            let db = self.db.read().unwrap_or_else(PoisonError::into_inner);
            let txn = db.begin_write()?;
            let applied = {
                let mut states = txn.open_table(STATES)?;
                let current =
                    states.get(namespace.0)?.map(|s| NamespaceState::from_bytes(s.value()));
                let current = current.unwrap_or_default();
                if current.seq != write.expected_seq {
                    return Err(MemoryError::StaleSequence {
                        expected: write.expected_seq,
                        current: current.seq,
                    });
                }
                let mut apply = Apply {
                    tables: Tables::open(&txn, namespace)?,
                    namespace,
                    seq: current.seq + 1,
                    now: write.now,
                    count: u64::from(current.count),
                    outcome: WriteOutcome::default(),
                    changes: BTreeMap::new(),
                    erased: false,
                };
                apply.expire()?;
                for op in &write.ops {
                    apply.op(op)?;
                }
                apply.evict(&self.config)?;
                let leaves = apply.tables.all_leaves()?;
                let state = NamespaceState {
                    seq: apply.seq,
                    root: merkle::root(&leaves),
                    count: u32::try_from(leaves.len()).unwrap_or(u32::MAX),
                };
                states.insert(namespace.0, state.to_bytes())?;
                apply.outcome.state = state;
                (apply.outcome, apply.changes, apply.erased)
            };
            #[cfg(test)]
            crash::pause_if_asked();
            txn.commit()?;
            applied
        };
        self.update_index(namespace, &changes);
        if erased {
            self.erase_free_pages()?;
        }
        Ok(outcome)
    }

    /// The namespace's state; zero for a namespace never written.
    pub fn state(&self, namespace: B256) -> Result<NamespaceState> {
        self.read(|txn| {
            let states = txn.open_table(STATES)?;
            let state = states.get(namespace.0)?.map(|s| NamespaceState::from_bytes(s.value()));
            Ok(state.unwrap_or_default())
        })
    }

    /// Memory `id`, unless it does not exist or has expired by `now`.
    pub fn get(&self, namespace: B256, id: B256, now: u64) -> Result<Option<MemoryRecord>> {
        let record = self.read(|txn| read_record(txn, namespace, id))?;
        Ok(record.filter(|r| !r.is_expired_at(now)))
    }

    /// Every memory of the namespace not expired by `now`, in id order.
    pub fn list(&self, namespace: B256, now: u64) -> Result<Vec<MemoryRecord>> {
        let mut records = self.records(namespace)?;
        records.retain(|r| !r.is_expired_at(now));
        Ok(records)
    }

    /// Every (id, leaf) the root covers, in id order: a client checks an absence by hashing the
    /// leaves to the chain's root and finding the id missing.
    pub fn leaves(&self, namespace: B256) -> Result<Vec<(B256, B256)>> {
        self.read(|txn| {
            let table = txn.open_table(LEAVES)?;
            let mut leaves = Vec::new();
            for row in table.range(tables::namespace_range(namespace))? {
                let (key, leaf) = row?;
                leaves.push((B256::from_slice(&key.value()[32..]), B256::from(leaf.value())));
            }
            Ok(leaves)
        })
    }

    /// The inclusion proof of memory `id` against the namespace's current root.
    pub fn proof(&self, namespace: B256, id: B256) -> Result<MemoryProof> {
        let (state, leaves) = self.read(|txn| {
            let states = txn.open_table(STATES)?;
            let state = states.get(namespace.0)?.map(|s| NamespaceState::from_bytes(s.value()));
            let table = txn.open_table(LEAVES)?;
            let mut leaves = Vec::new();
            let mut own = None;
            for row in table.range(tables::namespace_range(namespace))? {
                let (key, leaf) = row?;
                let leaf = B256::from(leaf.value());
                if key.value()[32..] == id.0 {
                    own = Some(leaf);
                }
                leaves.push(leaf);
            }
            Ok((state.unwrap_or_default(), own.map(|own| (own, leaves))))
        })?;
        let (leaf, leaves) = leaves.ok_or(MemoryError::NotFound(id))?;
        let proof = merkle::proof(&leaves, leaf).ok_or(MemoryError::NotFound(id))?;
        Ok(MemoryProof { leaf, proof, state })
    }

    /// The namespace's records and state, for a replica.
    pub fn snapshot(&self, namespace: B256) -> Result<Snapshot> {
        // One read transaction, so the records and the state belong together.
        self.read(|txn| {
            let states = txn.open_table(STATES)?;
            let state = states.get(namespace.0)?.map(|s| NamespaceState::from_bytes(s.value()));
            let records = records_in(txn, namespace)?;
            Ok(Snapshot { namespace, state: state.unwrap_or_default(), records })
        })
    }

    /// Replaces the namespace with `snapshot`, atomically, after checking that its records hash to
    /// its state's root and, if given, to `expected_root` (the chain's). Returns the new state.
    pub fn restore(
        &self,
        snapshot: &Snapshot,
        expected_root: Option<B256>,
    ) -> Result<NamespaceState> {
        let namespace = snapshot.namespace;
        let mut ids: Vec<B256> = snapshot.records.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != snapshot.records.len() {
            return Err(MemoryError::BadSnapshot("duplicate memory ids".into()));
        }
        if usize::try_from(snapshot.state.count).ok() != Some(ids.len()) {
            return Err(MemoryError::BadSnapshot(format!(
                "state counts {} memories, the snapshot holds {}",
                snapshot.state.count,
                ids.len()
            )));
        }
        for record in &snapshot.records {
            check_embedding(&record.embedding)?;
        }
        let leaves: Vec<B256> = snapshot.records.iter().map(MemoryRecord::leaf).collect();
        let computed = merkle::root(&leaves);
        for expected in [Some(snapshot.state.root), expected_root].into_iter().flatten() {
            if expected != computed {
                return Err(MemoryError::RootMismatch { expected, computed });
            }
        }

        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        {
            let db = self.db.read().unwrap_or_else(PoisonError::into_inner);
            let txn = db.begin_write()?;
            {
                let mut tables = Tables::open(&txn, namespace)?;
                for id in tables.all_ids()? {
                    tables.remove(id)?;
                }
                for record in &snapshot.records {
                    tables.put(record)?;
                }
                txn.open_table(STATES)?.insert(namespace.0, snapshot.state.to_bytes())?;
            }
            txn.commit()?;
        }
        let index = NamespaceIndex::build(self.config.index, &snapshot.records);
        self.indexes.write().unwrap_or_else(PoisonError::into_inner).insert(namespace, index);
        self.erase_free_pages()?;
        Ok(snapshot.state)
    }

    /// Every namespace the store holds.
    pub fn namespaces(&self) -> Result<Vec<B256>> {
        self.read(|txn| {
            let mut namespaces = Vec::new();
            for row in txn.open_table(STATES)?.iter()? {
                namespaces.push(B256::from(row?.0.value()));
            }
            Ok(namespaces)
        })
    }

    /// Every record of `namespace`, expired or not, in id order.
    pub(crate) fn records(&self, namespace: B256) -> Result<Vec<MemoryRecord>> {
        self.read(|txn| records_in(txn, namespace))
    }

    /// Records `ids` of `namespace` in one read transaction (`None` for one removed meanwhile).
    pub(crate) fn records_by_id(
        &self,
        namespace: B256,
        ids: &[B256],
    ) -> Result<Vec<Option<MemoryRecord>>> {
        self.read(|txn| ids.iter().map(|id| read_record(txn, namespace, *id)).collect())
    }

    fn update_index(&self, namespace: B256, changes: &BTreeMap<B256, Option<MemoryRecord>>) {
        let mut indexes = self.indexes.write().unwrap_or_else(PoisonError::into_inner);
        let index = indexes
            .entry(namespace)
            .or_insert_with(|| NamespaceIndex::build(self.config.index, []));
        let mut upserts = Vec::new();
        for (id, change) in changes {
            match change {
                Some(record) => upserts.push(record),
                None => index.remove(*id),
            }
        }
        index.upsert(&upserts);
    }

    /// redb frees a removed value's pages without overwriting them; compaction moves the live pages
    /// over the free ones and truncates the file, so the erased bytes leave it.
    fn erase_free_pages(&self) -> Result<()> {
        if !self.config.compact_after_erase {
            return Ok(());
        }
        let mut db = self.db.write().unwrap_or_else(PoisonError::into_inner);
        while db.compact()? {}
        Ok(())
    }

    fn read<T>(&self, f: impl FnOnce(&ReadTransaction) -> Result<T>) -> Result<T> {
        let db = self.db.read().unwrap_or_else(PoisonError::into_inner);
        let txn = db.begin_read()?;
        f(&txn)
    }
}

fn read_record(txn: &ReadTransaction, namespace: B256, id: B256) -> Result<Option<MemoryRecord>> {
    let key = tables::key(namespace, id);
    let Some(json) = txn.open_table(RECORDS)?.get(key)? else { return Ok(None) };
    let embedding = txn
        .open_table(EMBEDDINGS)?
        .get(key)?
        .ok_or_else(|| MemoryError::Corrupt(format!("memory {id} has no embedding")))?;
    tables::decode(json.value(), embedding.value()).map(Some)
}

fn records_in(txn: &ReadTransaction, namespace: B256) -> Result<Vec<MemoryRecord>> {
    let json = txn.open_table(RECORDS)?;
    let embeddings = txn.open_table(EMBEDDINGS)?;
    let range = tables::namespace_range(namespace);
    let mut records = Vec::new();
    for (row, embedding) in json.range(range.clone())?.zip(embeddings.range(range)?) {
        let ((key, json), (embedding_key, embedding)) = (row?, embedding?);
        if key.value() != embedding_key.value() {
            return Err(MemoryError::Corrupt("records and embeddings disagree".into()));
        }
        records.push(tables::decode(json.value(), embedding.value())?);
    }
    Ok(records)
}

/// A write that stops inside its transaction, for the crash test: the test binary runs itself as a
/// child with `MEMORY_CRASH_PAUSE` set, and kills it while it waits.
#[cfg(test)]
pub(crate) mod crash {
    use std::io::Write as _;

    pub(crate) const ENV: &str = "MEMORY_CRASH_PAUSE";
    pub(crate) const READY: &str = "inside the transaction";
    pub(crate) static ARMED: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    pub(crate) fn pause_if_asked() {
        if ARMED.load(std::sync::atomic::Ordering::SeqCst) {
            println!("{READY}");
            let _ = std::io::stdout().flush();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
        }
    }
}
