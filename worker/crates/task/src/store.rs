//! The worker's embedded database (redb): what must survive a crash.
//!
//! - the last block whose events were processed, so the event stream resumes where it stopped;
//! - per task, the salt of its commitment (an output's, or a committee vote's), written before the
//!   commitment is sent — a worker that lost it could not reveal and would be slashed;
//! - per task, the committee vote it committed to, for the same reason;
//! - per task, the pending commit/reveal record: which output was committed and which transactions
//!   carry the commit and the reveal;
//! - the tasks the worker follows until they are settled (a seat, a committee place, a result to check).
//!
//! Every write is its own durable transaction. A database belongs to one deployment (chain id and
//! escrow address); opening it for another is refused, so a cursor can never skip a new chain's events.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use alloy::primitives::{B256, U256};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use verigrad_contracts::Deployment;

const META: TableDefinition<'_, &str, &str> = TableDefinition::new("meta");
const CURSOR: TableDefinition<'_, &str, u64> = TableDefinition::new("cursor");
/// Task id (big-endian) → salt.
const SALTS: TableDefinition<'_, [u8; 32], [u8; 32]> = TableDefinition::new("salts");
/// Task id (big-endian) → [`PendingResult`] as JSON.
const PENDING: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("pending");
/// Task id (big-endian) → the accept mask of the vote this worker committed to.
const VOTES: TableDefinition<'_, [u8; 32], u8> = TableDefinition::new("votes");
/// Task id (big-endian) of each task the worker follows.
const WATCHED: TableDefinition<'_, [u8; 32], ()> = TableDefinition::new("watched");

const DEPLOYMENT_KEY: &str = "deployment";
const CURSOR_KEY: &str = "events";

/// A failure of the worker's database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("worker database: {0}")]
    Db(#[from] redb::Error),
    /// The data directory cannot be created.
    #[error("data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database was created for another deployment.
    #[error("{path} belongs to deployment {stored}, not {expected}; use another data directory")]
    OtherDeployment {
        /// The database file.
        path: PathBuf,
        /// The deployment it was created for.
        stored: String,
        /// The deployment in use now.
        expected: String,
    },
    /// A stored record does not decode.
    #[error("corrupt record for task {task}: {source}")]
    Corrupt {
        /// The task.
        task: U256,
        /// The decoding error.
        source: serde_json::Error,
    },
}

/// A `Result` with [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// What a worker committed for a task and how far the commit–reveal got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingResult {
    /// The output hash committed to (revealed with the task's salt).
    pub output_hash: B256,
    /// The commit transaction, once broadcast.
    pub commit_tx: Option<B256>,
    /// The reveal transaction, once broadcast.
    pub reveal_tx: Option<B256>,
}

/// The worker's database, `<data dir>/worker.redb`. Cheap to clone; clones share one handle.
#[derive(Debug, Clone)]
pub struct WorkerStore {
    db: Arc<Database>,
}

impl WorkerStore {
    /// Opens (or creates) the database in `dir` for `deployment`.
    pub fn open(dir: &Path, deployment: &Deployment) -> StoreResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::Dir { path: dir.to_path_buf(), source })?;
        let path = dir.join("worker.redb");
        let db = Database::create(&path).map_err(redb::Error::from)?;
        let store = Self { db: Arc::new(db) };
        let expected = format!("{}/{}", deployment.chain_id, deployment.task_escrow);
        let stored = store.write(|txn| {
            // Created here so that readers never meet a missing table.
            txn.open_table(CURSOR)?;
            txn.open_table(SALTS)?;
            txn.open_table(PENDING)?;
            txn.open_table(VOTES)?;
            txn.open_table(WATCHED)?;
            let mut meta = txn.open_table(META)?;
            let stored = meta.get(DEPLOYMENT_KEY)?.map(|v| v.value().to_owned());
            if stored.is_none() {
                meta.insert(DEPLOYMENT_KEY, expected.as_str())?;
            }
            Ok(stored)
        })?;
        match stored {
            Some(stored) if stored != expected => {
                Err(StoreError::OtherDeployment { path, stored, expected })
            }
            _ => Ok(store),
        }
    }

    /// The last block whose events were processed, if any.
    pub fn cursor(&self) -> StoreResult<Option<u64>> {
        self.read(|txn| Ok(txn.open_table(CURSOR)?.get(CURSOR_KEY)?.map(|v| v.value())))
    }

    /// Records that the events of every block up to `block` were processed.
    pub fn set_cursor(&self, block: u64) -> StoreResult<()> {
        self.write(|txn| {
            txn.open_table(CURSOR)?.insert(CURSOR_KEY, block)?;
            Ok(())
        })
    }

    /// The salt for `task`'s commitment: created at random and stored durably on first use, the
    /// same one afterwards (also after a restart).
    pub fn salt(&self, task: U256) -> StoreResult<B256> {
        self.write(|txn| {
            let mut salts = txn.open_table(SALTS)?;
            let key = task.to_be_bytes::<32>();
            if let Some(salt) = salts.get(key)? {
                return Ok(B256::from(salt.value()));
            }
            let salt = B256::random();
            salts.insert(key, salt.0)?;
            Ok(salt)
        })
    }

    /// Stores (or replaces) `task`'s pending record.
    pub fn record(&self, task: U256, pending: &PendingResult) -> StoreResult<()> {
        let json =
            serde_json::to_vec(pending).map_err(|source| StoreError::Corrupt { task, source })?;
        self.write(|txn| {
            txn.open_table(PENDING)?.insert(task.to_be_bytes::<32>(), json.as_slice())?;
            Ok(())
        })
    }

    /// Every pending record, by task id.
    pub fn pending(&self) -> StoreResult<Vec<(U256, PendingResult)>> {
        let rows = self.read(|txn| {
            let table = txn.open_table(PENDING)?;
            let mut rows = Vec::new();
            for row in table.iter()? {
                let (task, json) = row?;
                rows.push((U256::from_be_bytes(task.value()), json.value().to_vec()));
            }
            Ok(rows)
        })?;
        rows.into_iter()
            .map(|(task, json)| {
                serde_json::from_slice(&json)
                    .map(|pending| (task, pending))
                    .map_err(|source| StoreError::Corrupt { task, source })
            })
            .collect()
    }

    /// Follows `task` until [`forget`](Self::forget) (again after a restart).
    pub fn watch(&self, task: U256) -> StoreResult<()> {
        self.write(|txn| {
            txn.open_table(WATCHED)?.insert(task.to_be_bytes::<32>(), ())?;
            Ok(())
        })
    }

    /// The tasks followed, in id order.
    pub fn watched(&self) -> StoreResult<Vec<U256>> {
        self.read(|txn| {
            let table = txn.open_table(WATCHED)?;
            let mut tasks = Vec::new();
            for row in table.iter()? {
                tasks.push(U256::from_be_bytes(row?.0.value()));
            }
            Ok(tasks)
        })
    }

    /// The vote this worker committed to on `task`, stored first as `mask` if none is: a vote once
    /// committed is never changed, so a restarted worker reveals what it committed.
    pub fn vote(&self, task: U256, mask: u8) -> StoreResult<u8> {
        self.write(|txn| {
            let mut votes = txn.open_table(VOTES)?;
            let key = task.to_be_bytes::<32>();
            if let Some(stored) = votes.get(key)? {
                return Ok(stored.value());
            }
            votes.insert(key, mask)?;
            Ok(mask)
        })
    }

    /// The vote stored for `task`, if any.
    pub fn stored_vote(&self, task: U256) -> StoreResult<Option<u8>> {
        self.read(|txn| {
            Ok(txn.open_table(VOTES)?.get(task.to_be_bytes::<32>())?.map(|v| v.value()))
        })
    }

    /// Drops everything kept for `task` — salt, pending record, the watch — once the task needs
    /// nothing more from this worker.
    pub fn forget(&self, task: U256) -> StoreResult<()> {
        self.write(|txn| {
            let key = task.to_be_bytes::<32>();
            txn.open_table(SALTS)?.remove(key)?;
            txn.open_table(PENDING)?.remove(key)?;
            txn.open_table(VOTES)?.remove(key)?;
            txn.open_table(WATCHED)?.remove(key)?;
            Ok(())
        })
    }

    /// Runs `f` in a write transaction and commits it. Inside, every redb error converts into
    /// `redb::Error` with `?`.
    fn write<T>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<T, redb::Error>,
    ) -> StoreResult<T> {
        let txn = self.db.begin_write().map_err(redb::Error::from)?;
        let value = f(&txn)?;
        txn.commit().map_err(redb::Error::from)?;
        Ok(value)
    }

    /// Runs `f` in a read transaction.
    fn read<T>(
        &self,
        f: impl FnOnce(&redb::ReadTransaction) -> Result<T, redb::Error>,
    ) -> StoreResult<T> {
        let txn = self.db.begin_read().map_err(redb::Error::from)?;
        Ok(f(&txn)?)
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, address};

    use super::*;

    fn deployment(escrow: Address) -> Deployment {
        Deployment {
            chain_id: 31337,
            deployer: Address::ZERO,
            token: Address::repeat_byte(1),
            worker_registry: Address::repeat_byte(2),
            model_registry: Address::repeat_byte(3),
            task_escrow: escrow,
            pipe_settlement: Address::ZERO,
            pipe_disputes: Address::ZERO,
            memory_registry: Address::ZERO,
            twin_registry: Address::ZERO,
            twin_reputation: Address::ZERO,
            twin_validation: Address::ZERO,
            start_block: 0,
        }
    }

    const ESCROW: Address = address!("0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9");

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let task = U256::from(7);
        let pending = PendingResult {
            output_hash: B256::repeat_byte(9),
            commit_tx: Some(B256::ZERO),
            reveal_tx: None,
        };
        let salt = {
            let store = WorkerStore::open(dir.path(), &deployment(ESCROW)).expect("open");
            assert_eq!(store.cursor().expect("cursor"), None);
            store.set_cursor(41).expect("cursor");
            store.set_cursor(42).expect("cursor");
            store.record(task, &pending).expect("record");
            store.watch(U256::from(9)).expect("watch");
            store.watch(task).expect("watch");
            let salt = store.salt(task).expect("salt");
            assert_eq!(store.salt(task).expect("salt"), salt, "stable");
            assert_ne!(store.salt(U256::from(8)).expect("salt"), salt, "one per task");
            salt
        };
        let store = WorkerStore::open(dir.path(), &deployment(ESCROW)).expect("reopen");
        assert_eq!(store.cursor().expect("cursor"), Some(42));
        assert_eq!(store.salt(task).expect("salt"), salt);
        assert_eq!(store.pending().expect("pending"), vec![(task, pending)]);
        assert_eq!(store.watched().expect("watched"), vec![task, U256::from(9)]);

        store.forget(task).expect("forget");
        assert!(store.pending().expect("pending").is_empty());
        assert_eq!(store.watched().expect("watched"), vec![U256::from(9)]);
        assert_ne!(store.salt(task).expect("salt"), salt, "a forgotten salt is not reused");
    }

    #[test]
    fn refuses_another_deployment() {
        let dir = tempfile::tempdir().expect("temp dir");
        drop(WorkerStore::open(dir.path(), &deployment(ESCROW)).expect("open"));
        let error = WorkerStore::open(dir.path(), &deployment(Address::repeat_byte(5)))
            .expect_err("other escrow");
        assert!(matches!(error, StoreError::OtherDeployment { .. }), "unexpected {error}");
        assert!(error.to_string().contains("another data directory"), "{error}");
    }
}
