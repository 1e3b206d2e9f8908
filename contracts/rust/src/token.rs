//! The token's client: balances, allowances, approvals and EIP-3009 authorizations.

use alloy::primitives::{Address, B256, U256};

use crate::{bindings::Token, chain::Chain, error::Result, rpc::Rpc, sender::TxSender};

impl Chain {
    /// The network token.
    pub fn token(&self) -> TokenClient {
        TokenClient::new(self.rpc().clone(), self.deployment().token)
    }
}

/// The network token at one address, read through one node.
#[derive(Debug, Clone)]
pub struct TokenClient {
    rpc: Rpc,
    address: Address,
}

impl TokenClient {
    /// The token at `address`.
    pub fn new(rpc: Rpc, address: Address) -> Self {
        Self { rpc, address }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// `account`'s balance, token wei.
    pub async fn balance_of(&self, account: Address) -> Result<U256> {
        self.rpc.view(self.address, Token::balanceOfCall { account }).await
    }

    /// What `spender` may pull from `owner`, token wei.
    pub async fn allowance(&self, owner: Address, spender: Address) -> Result<U256> {
        self.rpc.view(self.address, Token::allowanceCall { owner, spender }).await
    }

    /// Approves `spender` to pull `amount` tokens from `sender`'s account, unless its allowance
    /// already covers it.
    pub async fn approve(&self, sender: &TxSender, spender: Address, amount: U256) -> Result<()> {
        if self.allowance(sender.address(), spender).await? < amount {
            let call = Token::approveCall { spender, value: amount };
            sender.call(self.address, call).await?;
        }
        Ok(())
    }

    /// Whether `authorizer`'s EIP-3009 authorization `nonce` was used or cancelled.
    pub async fn authorization_used(&self, authorizer: Address, nonce: B256) -> Result<bool> {
        self.rpc.view(self.address, Token::authorizationStateCall { authorizer, nonce }).await
    }
}
