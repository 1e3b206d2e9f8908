//! PIPE billing's client: a paying contract's prepaid balance, the price of a call, the payees'
//! credit, and the transactions of payers (deposit, withdrawal request) and payees (claim).
//!
//! The node's side of billing (the balance check inside a call, the end-of-block `settle` system
//! call) reads and writes state directly and does not go through this client.

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::TransactionReceipt,
};

use crate::{
    bindings::PipeSettlement,
    chain::Chain,
    error::{ChainError, Result},
    rpc::Rpc,
    sender::TxSender,
    token::TokenClient,
};

impl Chain {
    /// PIPE billing; [`ChainError::NotDeployed`] if the deployment file predates it.
    pub fn settlement(&self) -> Result<SettlementClient> {
        let deployment = self.deployment();
        if deployment.pipe_settlement.is_zero() {
            return Err(ChainError::NotDeployed("pipeSettlement"));
        }
        Ok(SettlementClient::new(self.rpc().clone(), deployment.pipe_settlement, self.token()))
    }
}

/// PIPE billing at one address, read through one node.
#[derive(Debug, Clone)]
pub struct SettlementClient {
    rpc: Rpc,
    address: Address,
    token: TokenClient,
}

impl SettlementClient {
    /// The settlement contract at `address`, paid in `token`.
    pub fn new(rpc: Rpc, address: Address, token: TokenClient) -> Self {
        Self { rpc, address, token }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// `account`'s prepaid balance, token wei: what its PIPE calls can still pay for (less, within
    /// a block, what the block has already charged it).
    pub async fn balance_of(&self, account: Address) -> Result<U256> {
        self.rpc.view(self.address, PipeSettlement::balanceOfCall { account }).await
    }

    /// The price of one PIPE call of release `id`, token wei; an unknown release is the model
    /// registry's `UnknownRelease` revert.
    pub async fn price(&self, id: B256) -> Result<U256> {
        let call = PipeSettlement::priceCall { releaseId: id };
        Ok(U256::from(self.rpc.view(self.address, call).await?))
    }

    /// What `account` may claim (worker shares, royalties, protocol fees), token wei.
    pub async fn claimable(&self, account: Address) -> Result<U256> {
        self.rpc.view(self.address, PipeSettlement::claimableCall { account }).await
    }

    /// Tops up `account`'s balance with `amount` token wei from `sender`, approving the contract
    /// first if its allowance does not cover it.
    pub async fn deposit(
        &self,
        sender: &TxSender,
        account: Address,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        self.token.approve(sender, self.address, amount).await?;
        sender.call(self.address, PipeSettlement::depositCall { account, amount }).await
    }

    /// Asks to withdraw up to `amount` of `sender`'s balance (0 cancels a request). Nothing moves
    /// now: the end-of-block settlement first charges the block's calls, then transfers what is
    /// left up to `amount`.
    pub async fn request_withdrawal(
        &self,
        sender: &TxSender,
        amount: U256,
    ) -> Result<TransactionReceipt> {
        sender.call(self.address, PipeSettlement::requestWithdrawalCall { amount }).await
    }

    /// Claims `sender`'s credit. Returns the receipt and the amount transferred.
    pub async fn claim(&self, sender: &TxSender) -> Result<(TransactionReceipt, U256)> {
        let receipt = sender.call(self.address, PipeSettlement::claimCall {}).await?;
        let amount =
            receipt.decoded_log::<PipeSettlement::Claimed>().map_or(U256::ZERO, |log| log.amount);
        Ok((receipt, amount))
    }
}

#[cfg(test)]
mod tests {
    use alloy::sol_types::SolError;

    use super::*;
    use crate::{ContractError, Revert, bindings::PipeSettlement::PipeSettlementErrors};

    /// Billing's reverts decode to its own errors, from any call that reached it.
    #[test]
    fn its_reverts_decode_by_name() {
        let account = Address::repeat_byte(0x11);
        let cases: [(Vec<u8>, &str); 3] = [
            (
                PipeSettlement::CallerNotSystem { caller: account }.abi_encode(),
                "CallerNotSystem { caller: 0x1111111111111111111111111111111111111111 }",
            ),
            (
                PipeSettlement::InvalidDeposit { account, amount: U256::ZERO }.abi_encode(),
                "InvalidDeposit { account: 0x1111111111111111111111111111111111111111, amount: 0 }",
            ),
            (
                PipeSettlement::NothingClaimable { account }.abi_encode(),
                "NothingClaimable { account: 0x1111111111111111111111111111111111111111 }",
            ),
        ];
        for (data, expected) in cases {
            let revert = Revert::new(data.into());
            assert!(revert.as_error::<PipeSettlementErrors>().is_some(), "{expected}");
            assert!(matches!(revert.contract_error(), Some(ContractError::PipeSettlement(_))));
            assert_eq!(revert.to_string(), expected);
        }
    }
}
