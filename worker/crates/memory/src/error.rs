//! The crate's one error type.

use alloy_primitives::B256;

/// What can go wrong storing or searching memories.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// The embedded database failed.
    #[error("memory database: {0}")]
    Db(#[from] redb::Error),
    /// The database file or its directory cannot be opened.
    #[error("memory database file: {0}")]
    Io(#[from] std::io::Error),
    /// A stored value does not decode: the file was changed outside this crate.
    #[error("corrupt stored memory: {0}")]
    Corrupt(String),
    /// The write was prepared against another state of the namespace; nothing was written.
    #[error("stale sequence: the write expects seq {expected}, the namespace is at {current}")]
    StaleSequence {
        /// The seq the writer saw.
        expected: u64,
        /// The namespace's seq now.
        current: u64,
    },
    /// No (unexpired) memory has this id in the namespace.
    #[error("no memory {0} in this namespace")]
    NotFound(B256),
    /// The memory was already replaced; supersede its successor instead.
    #[error("memory {id} is already superseded by {by}")]
    AlreadySuperseded {
        /// The memory.
        id: B256,
        /// Its successor.
        by: B256,
    },
    /// An embedding of the wrong length.
    #[error("embedding has {actual} dimensions, expected {expected}")]
    Dimension {
        /// What the model produces.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// An embedding with a NaN or infinity, or all zeros (no direction to compare).
    #[error("embedding is not finite or is all zero")]
    InvalidEmbedding,
    /// An update changes the text without the new text's embedding (search would find the old one).
    #[error("a new text needs its embedding")]
    TextWithoutEmbedding,
    /// A search limit outside 1..=100.
    #[error("search limit {0} is outside 1..=100")]
    Limit(usize),
    /// A snapshot's records do not hash to the root it was expected to have; nothing was replaced.
    #[error("snapshot root mismatch: expected {expected}, its records hash to {computed}")]
    RootMismatch {
        /// The root the snapshot must have (from the chain, or the snapshot's own state).
        expected: B256,
        /// The root of its records.
        computed: B256,
    },
    /// A snapshot's state does not describe its records (count or duplicate ids).
    #[error("snapshot is inconsistent: {0}")]
    BadSnapshot(String),
}

/// A `Result` with [`MemoryError`].
pub type Result<T, E = MemoryError> = std::result::Result<T, E>;

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for MemoryError {
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
    redb::CommitError,
    redb::CompactionError
);
