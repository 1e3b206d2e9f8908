//! The embedded database (redb): blocks with their PIPE results, and the current state, written together
//! in one transaction per block so a crash never leaves a block without its state.

use std::path::Path;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use redb::{
    Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
    WriteTransaction,
};
use revm::{bytecode::Bytecode, database::AccountState, state::AccountInfo};

use crate::{
    codec::{CodecError, StoredBlock},
    genesis::Genesis,
    state::{StateDb, StateDiff, genesis_state},
};

const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const BLOCKS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("blocks");
const ACCOUNTS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("accounts");
/// Keyed by `address ‖ slot` (52 bytes), so one account's slots are one range.
const STORAGE: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("storage");
const CODE: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("code");

const GENESIS_KEY: &str = "genesis";

/// A failure of the embedded database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    /// Stored bytes do not decode.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The data directory cannot be used.
    #[error("data directory {path}: {source}")]
    Dir {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Something stored is inconsistent.
    #[error("corrupt database: {0}")]
    Corrupt(String),
}

// redb's error types all convert into `redb::Error`.
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                Self::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// An account row.
#[derive(Debug, RlpEncodable, RlpDecodable)]
struct StoredAccount {
    nonce: u64,
    balance: U256,
    code_hash: B256,
}

/// The chain's database file (`<dir>/chain.redb`).
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let dir_error = |source| StoreError::Dir { path: dir.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(dir_error)?;
        let db = Database::create(dir.join("chain.redb"))?;
        Ok(Self { db })
    }

    /// The stored genesis, if the chain exists.
    pub fn genesis(&self) -> Result<Option<Genesis>, StoreError> {
        let read = self.db.begin_read()?;
        let meta = match read.open_table(META) {
            Ok(table) => table,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let Some(bytes) = meta.get(GENESIS_KEY)? else { return Ok(None) };
        serde_json::from_slice(bytes.value())
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("genesis: {e}")))
    }

    /// Writes a new chain's genesis and block 0.
    pub fn init(&self, genesis: &Genesis, block: &StoredBlock) -> Result<(), StoreError> {
        let write = self.db.begin_write()?;
        let json = serde_json::to_vec(genesis).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        write.open_table(META)?.insert(GENESIS_KEY, json.as_slice())?;
        Self::write_block(&write, block)?;
        Self::write_state(&write, &genesis_state(genesis), &StateDiff::genesis(genesis))?;
        write.commit()?;
        Ok(())
    }

    /// Appends a block and the state it leads to, atomically.
    pub fn append(
        &self,
        block: &StoredBlock,
        state: &StateDb,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        let write = self.db.begin_write()?;
        Self::write_block(&write, block)?;
        Self::write_state(&write, state, diff)?;
        write.commit()?;
        Ok(())
    }

    /// Every block, in order.
    pub fn blocks(&self) -> Result<Vec<StoredBlock>, StoreError> {
        let read = self.db.begin_read()?;
        let table = read.open_table(BLOCKS)?;
        let mut blocks = Vec::with_capacity(table.len()? as usize);
        for (expected, row) in table.iter()?.enumerate() {
            let (number, bytes) = row?;
            if number.value() != expected as u64 {
                return Err(StoreError::Corrupt(format!("block {expected} is missing")));
            }
            blocks.push(StoredBlock::decode(&mut bytes.value()).map_err(CodecError::from)?);
        }
        Ok(blocks)
    }

    /// The state after the last stored block.
    pub fn state(&self) -> Result<StateDb, StoreError> {
        let read = self.db.begin_read()?;
        let mut state = StateDb::new(Default::default());
        let code = read.open_table(CODE)?;
        for row in read.open_table(ACCOUNTS)?.iter()? {
            let (address, bytes) = row?;
            let address = Address::from_slice(address.value());
            let stored = StoredAccount::decode(&mut bytes.value()).map_err(CodecError::from)?;
            let mut info = AccountInfo {
                nonce: stored.nonce,
                balance: stored.balance,
                code_hash: stored.code_hash,
                ..Default::default()
            };
            if !info.is_empty_code_hash() {
                let raw = code.get(stored.code_hash.as_slice())?.ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "code {} of {address} is missing",
                        stored.code_hash
                    ))
                })?;
                let bytecode = Bytecode::new_raw_checked(Bytes::copy_from_slice(raw.value()))
                    .map_err(|e| StoreError::Corrupt(format!("code of {address}: {e:?}")))?;
                info.code = Some(bytecode);
            }
            state.insert_account_info(address, info);
        }
        for row in read.open_table(STORAGE)?.iter()? {
            let (key, value) = row?;
            let (address, slot) = key.value().split_at(20);
            // Loaded accounts exist, so inserting a slot cannot fail.
            let _ = state.insert_account_storage(
                Address::from_slice(address),
                U256::from_be_slice(slot),
                U256::from_be_slice(value.value()),
            );
        }
        Ok(state)
    }

    fn write_block(write: &WriteTransaction, block: &StoredBlock) -> Result<(), StoreError> {
        let mut bytes = Vec::new();
        block.encode(&mut bytes);
        write.open_table(BLOCKS)?.insert(block.header.number, bytes.as_slice())?;
        Ok(())
    }

    /// Rewrites the accounts in `diff` from `state`.
    fn write_state(
        write: &WriteTransaction,
        state: &StateDb,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        let mut accounts = write.open_table(ACCOUNTS)?;
        let mut storage = write.open_table(STORAGE)?;
        let mut code = write.open_table(CODE)?;
        for (address, reset, slots) in &diff.accounts {
            let current = state.cache.accounts.get(address);
            let exists = current.is_some_and(|a| a.account_state != AccountState::NotExisting);
            if *reset || !exists {
                let mut start = address.to_vec();
                start.extend_from_slice(&[0; 32]);
                let mut end = address.to_vec();
                end.extend_from_slice(&[0xff; 32]);
                storage.retain_in(start.as_slice()..=end.as_slice(), |_, _| false)?;
            }
            let Some(account) = current.filter(|_| exists) else {
                accounts.remove(address.as_slice())?;
                continue;
            };
            let info = &account.info;
            let row = StoredAccount {
                nonce: info.nonce,
                balance: info.balance,
                code_hash: info.code_hash,
            };
            let mut bytes = Vec::new();
            row.encode(&mut bytes);
            accounts.insert(address.as_slice(), bytes.as_slice())?;
            if let Some(bytecode) = state.cache.contracts.get(&info.code_hash)
                && !info.is_empty_code_hash()
            {
                code.insert(info.code_hash.as_slice(), bytecode.original_bytes().as_ref())?;
            }
            // A reset account's slots are all new: write every one it holds.
            let written: Vec<U256> =
                if *reset { account.storage.keys().copied().collect() } else { slots.clone() };
            for slot in &written {
                let mut key = address.to_vec();
                key.extend_from_slice(&slot.to_be_bytes::<32>());
                match account.storage.get(slot).filter(|v| !v.is_zero()) {
                    Some(value) => {
                        storage.insert(key.as_slice(), value.to_be_bytes::<32>().as_slice())?
                    }
                    None => storage.remove(key.as_slice())?,
                };
            }
        }
        Ok(())
    }
}
