//! The world state: accounts, storage and code in memory (the embedded database keeps the durable copy),
//! and its Merkle-Patricia state root.

use alloy_primitives::{Address, B256, U256};
use alloy_trie::{
    TrieAccount,
    root::{state_root_unhashed, storage_root_unhashed},
};
use revm::{
    database::{CacheDB, EmptyDB},
    state::{AccountInfo, EvmState},
};

use crate::genesis::Genesis;

/// The state after a block.
pub type StateDb = CacheDB<EmptyDB>;

/// How many past block hashes `BLOCKHASH` can see.
const BLOCK_HASH_WINDOW: u64 = 256;

/// The state of block 0.
pub fn genesis_state(genesis: &Genesis) -> StateDb {
    let mut state = StateDb::new(EmptyDB::default());
    for (address, balance) in &genesis.alloc {
        state
            .insert_account_info(*address, AccountInfo { balance: *balance, ..Default::default() });
    }
    state
}

/// Records block `number`'s hash for `BLOCKHASH`, forgetting the one that falls out of the window.
pub fn remember_block_hash(state: &mut StateDb, number: u64, hash: B256) {
    state.cache.block_hashes.insert(U256::from(number), hash);
    if let Some(old) = number.checked_sub(BLOCK_HASH_WINDOW) {
        state.cache.block_hashes.remove(&U256::from(old));
    }
}

/// The Ethereum state root: empty accounts (EIP-161) and zero slots are not in the trie.
pub fn state_root(state: &StateDb) -> B256 {
    let accounts = state.cache.accounts.iter().filter_map(|(address, account)| {
        let storage: Vec<(B256, U256)> = account
            .storage
            .iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(slot, value)| (B256::from(*slot), *value))
            .collect();
        let info = &account.info;
        if info.is_empty() && storage.is_empty() {
            return None;
        }
        let trie = TrieAccount {
            nonce: info.nonce,
            balance: info.balance,
            storage_root: storage_root_unhashed(storage),
            code_hash: info.code_hash,
        };
        Some((*address, trie))
    });
    state_root_unhashed(accounts)
}

/// The accounts a block changed, and for each whether its storage was reset (created or destroyed) and
/// which slots it wrote: what the durable copy must rewrite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateDiff {
    /// `(address, storage reset, slots written)`.
    pub accounts: Vec<(Address, bool, Vec<U256>)>,
}

impl StateDiff {
    /// The diff of a block's changes.
    pub fn of(changes: &EvmState) -> Self {
        let accounts = changes
            .iter()
            .filter(|(_, account)| account.is_touched())
            .map(|(address, account)| {
                let reset = account.is_created() || account.is_selfdestructed();
                (*address, reset, account.storage.keys().copied().collect())
            })
            .collect();
        Self { accounts }
    }

    /// The diff that writes a genesis.
    pub fn genesis(genesis: &Genesis) -> Self {
        Self { accounts: genesis.alloc.iter().map(|(a, _)| (*a, false, Vec::new())).collect() }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{address, b256};

    use super::*;

    #[test]
    fn empty_state_has_the_empty_trie_root() {
        let state = StateDb::new(EmptyDB::default());
        assert_eq!(
            state_root(&state),
            b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        );
    }

    #[test]
    fn an_account_is_hashed_with_empty_code_and_storage_roots() {
        let mut state = StateDb::new(EmptyDB::default());
        let account = address!("0000000000000000000000000000000000000001");
        state.insert_account_info(
            account,
            AccountInfo { balance: U256::from(1), ..Default::default() },
        );
        let expected = state_root_unhashed([(
            account,
            TrieAccount {
                nonce: 0,
                balance: U256::from(1),
                storage_root: alloy_trie::EMPTY_ROOT_HASH,
                code_hash: alloy_trie::KECCAK_EMPTY,
            },
        )]);
        assert_eq!(state_root(&state), expected);
        assert_ne!(expected, state_root(&StateDb::new(EmptyDB::default())));
    }

    #[test]
    fn zero_slots_and_empty_accounts_are_left_out() {
        let mut state = StateDb::new(EmptyDB::default());
        let before = state_root(&state);
        let account = address!("0000000000000000000000000000000000000002");
        state.insert_account_info(account, AccountInfo::default());
        state.insert_account_storage(account, U256::from(1), U256::ZERO).expect("valid");
        assert_eq!(state_root(&state), before);
        state.insert_account_storage(account, U256::from(1), U256::from(5)).expect("valid");
        assert_ne!(state_root(&state), before);
    }
}
