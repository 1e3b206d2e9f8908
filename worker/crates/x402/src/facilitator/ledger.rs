//! The facilitator's record of every authorization it took on (redb, `x402.redb`), written durably
//! before the settlement is sent: an authorization in the ledger is never sent again, whatever
//! became of the first attempt and across restarts.

use std::{path::Path, sync::Arc};

use alloy::primitives::{Address, B256};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::{ServeError, x402::Reason};

/// `token ‖ payer ‖ nonce` → [`Entry`] as JSON.
const SETTLEMENTS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("x402_settlements");

/// What became of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Entry {
    /// Claimed; the transaction may be on its way.
    Pending,
    /// Settled by this transaction.
    Settled {
        /// The settlement transaction.
        tx: B256,
    },
    /// The attempt failed; the authorization is not tried again.
    Failed {
        /// Why.
        reason: Reason,
    },
}

/// Authorizations by token, payer and nonce. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Ledger {
    db: Arc<Database>,
}

fn key(token: Address, payer: Address, nonce: B256) -> Vec<u8> {
    [token.as_slice(), payer.as_slice(), nonce.as_slice()].concat()
}

impl Ledger {
    /// Opens (or creates) `<dir>/x402.redb`.
    pub fn open(dir: &Path) -> Result<Self, ServeError> {
        std::fs::create_dir_all(dir).map_err(|source| ServeError::io(dir, source))?;
        let db = Database::create(dir.join("x402.redb")).map_err(redb::Error::from)?;
        let txn = db.begin_write().map_err(redb::Error::from)?;
        txn.open_table(SETTLEMENTS).map_err(redb::Error::from)?;
        txn.commit().map_err(redb::Error::from)?;
        Ok(Self { db: Arc::new(db) })
    }

    /// The entry of an authorization, if it was ever claimed.
    pub fn get(
        &self,
        token: Address,
        payer: Address,
        nonce: B256,
    ) -> Result<Option<Entry>, ServeError> {
        let txn = self.db.begin_read().map_err(redb::Error::from)?;
        let table = txn.open_table(SETTLEMENTS).map_err(redb::Error::from)?;
        let found = table.get(key(token, payer, nonce).as_slice()).map_err(redb::Error::from)?;
        found.map(|v| serde_json::from_slice(v.value()).map_err(ServeError::Corrupt)).transpose()
    }

    /// Claims an authorization for settlement: `true` if it was new (and is now
    /// [`Entry::Pending`], durably), `false` if it had been claimed before.
    pub fn claim(&self, token: Address, payer: Address, nonce: B256) -> Result<bool, ServeError> {
        let key = key(token, payer, nonce);
        let txn = self.db.begin_write().map_err(redb::Error::from)?;
        let fresh = {
            let mut table = txn.open_table(SETTLEMENTS).map_err(redb::Error::from)?;
            let fresh = table.get(key.as_slice()).map_err(redb::Error::from)?.is_none();
            if fresh {
                let pending = serde_json::to_vec(&Entry::Pending).map_err(ServeError::Corrupt)?;
                table.insert(key.as_slice(), pending.as_slice()).map_err(redb::Error::from)?;
            }
            fresh
        };
        txn.commit().map_err(redb::Error::from)?;
        Ok(fresh)
    }

    /// Records how a claimed authorization ended. Not forced to disk: lost in a crash, the entry
    /// stays [`Entry::Pending`], which blocks the authorization just the same.
    pub fn finish(
        &self,
        token: Address,
        payer: Address,
        nonce: B256,
        entry: Entry,
    ) -> Result<(), ServeError> {
        let json = serde_json::to_vec(&entry).map_err(ServeError::Corrupt)?;
        let mut txn = self.db.begin_write().map_err(redb::Error::from)?;
        txn.set_durability(Durability::None).map_err(redb::Error::from)?;
        txn.open_table(SETTLEMENTS)
            .map_err(redb::Error::from)?
            .insert(key(token, payer, nonce).as_slice(), json.as_slice())
            .map_err(redb::Error::from)?;
        txn.commit().map_err(redb::Error::from)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_holds_across_reopening() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (token, payer, nonce) =
            (Address::repeat_byte(1), Address::repeat_byte(2), B256::repeat_byte(3));
        {
            let ledger = Ledger::open(dir.path()).expect("open");
            assert_eq!(ledger.get(token, payer, nonce).expect("get"), None);
            assert!(ledger.claim(token, payer, nonce).expect("claim"));
            assert!(!ledger.claim(token, payer, nonce).expect("claim"), "claimed once only");
            assert!(
                ledger.claim(Address::repeat_byte(9), payer, nonce).expect("claim"),
                "per token"
            );
        }
        let ledger = Ledger::open(dir.path()).expect("reopen");
        assert_eq!(ledger.get(token, payer, nonce).expect("get"), Some(Entry::Pending));
        assert!(
            !ledger.claim(token, payer, nonce).expect("claim"),
            "still claimed after a restart"
        );
        let settled = Entry::Settled { tx: B256::repeat_byte(4) };
        ledger.finish(token, payer, nonce, settled).expect("finish");
        assert_eq!(ledger.get(token, payer, nonce).expect("get"), Some(settled));
    }
}
