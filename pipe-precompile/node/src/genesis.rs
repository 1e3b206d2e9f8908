//! The chain's first block: anvil's development accounts, prefunded.

use alloy_primitives::{Address, U256};
use alloy_signer_local::{MnemonicBuilder, PrivateKeySigner, coins_bip39::English};
use serde::{Deserialize, Serialize};

/// The mnemonic anvil derives its development accounts from (public: never hold real funds with it).
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// `count` development keys, `m/44'/60'/0'/0/i` of [`DEV_MNEMONIC`] (the same accounts as anvil's).
pub fn dev_signers(count: u32) -> anyhow::Result<Vec<PrivateKeySigner>> {
    (0..count)
        .map(|index| {
            Ok(MnemonicBuilder::<English>::default().phrase(DEV_MNEMONIC).index(index)?.build()?)
        })
        .collect()
}

/// What block 0 holds. Stored with the chain, so a restart keeps the chain's identity whatever its flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Block 0's timestamp (seconds).
    pub timestamp: u64,
    /// Gas limit of every block.
    pub gas_limit: u64,
    /// Base fee of every block (wei): constant, so fee estimates never go stale on a local chain.
    pub base_fee: u64,
    /// Prefunded accounts.
    pub alloc: Vec<(Address, U256)>,
}

impl Genesis {
    /// A genesis funding `accounts` development accounts with `balance_eth` ether each.
    pub fn dev(
        chain_id: u64,
        accounts: u32,
        balance_eth: u64,
        gas_limit: u64,
        base_fee: u64,
        timestamp: u64,
    ) -> anyhow::Result<Self> {
        let balance = U256::from(balance_eth) * U256::from(10).pow(U256::from(18));
        let alloc =
            dev_signers(accounts)?.iter().map(|signer| (signer.address(), balance)).collect();
        Ok(Self { chain_id, timestamp, gas_limit, base_fee, alloc })
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::address;

    use super::*;

    #[test]
    fn dev_accounts_are_anvils() {
        let signers = dev_signers(2).expect("derives");
        assert_eq!(signers[0].address(), address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"));
        assert_eq!(signers[1].address(), address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"));
    }
}
