//! An account on a deployment: a worker's registry commands (register, stake, unbond, withdraw)
//! and approvals; a model owner's releases are in `release.rs`.

use alloy::{
    primitives::{Address, B256, U256, aliases::U96, ruint::UintTryFrom},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};

use crate::{
    bindings::WorkerRegistry,
    chain::Chain,
    error::{ChainError, Result},
    gas::GasPolicy,
    roles::RoleSet,
    sender::{ReceiptPolicy, TxSender},
};

/// An account: the [`Chain`] plus a [`TxSender`] for its key — a worker's, a model owner's, a
/// requester's. Clones share the sender's nonces.
#[derive(Debug, Clone)]
pub struct Account {
    chain: Chain,
    sender: TxSender,
}

impl Account {
    /// The account of `signer` on `chain`.
    pub fn new(
        chain: Chain,
        signer: PrivateKeySigner,
        gas: GasPolicy,
        receipts: ReceiptPolicy,
    ) -> Self {
        let sender =
            TxSender::new(chain.rpc().clone(), signer, chain.deployment().chain_id, gas, receipts);
        Self { chain, sender }
    }

    /// The worker's address.
    pub fn address(&self) -> Address {
        self.sender.address()
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// The transaction sender (for calls beyond the account commands).
    pub fn sender(&self) -> &TxSender {
        &self.sender
    }

    /// Registers with `roles`, `endpoint` and the served `models`, staking `stake` token wei (approved
    /// to the registry first if needed). Returns the registration's receipt.
    pub async fn register(
        &self,
        roles: RoleSet,
        endpoint: String,
        models: Vec<B256>,
        stake: U256,
    ) -> Result<TransactionReceipt> {
        let stake = to_u96(stake)?;
        self.approve_registry(stake).await?;
        let call = WorkerRegistry::registerCall { roles: roles.bits(), endpoint, models, stake };
        self.sender.call(self.chain.deployment().worker_registry, call).await
    }

    /// Serves one more model release with the roles and stake already registered (its draws count
    /// from the registry's next epoch).
    pub async fn serve_model(&self, model: B256) -> Result<TransactionReceipt> {
        let call = WorkerRegistry::serveModelCall { modelId: model };
        self.sender.call(self.chain.deployment().worker_registry, call).await
    }

    /// Stops serving the release `model`.
    pub async fn stop_serving(&self, model: B256) -> Result<TransactionReceipt> {
        let call = WorkerRegistry::stopServingCall { modelId: model };
        self.sender.call(self.chain.deployment().worker_registry, call).await
    }

    /// Adds `amount` token wei of stake (approved to the registry first if needed).
    pub async fn add_stake(&self, amount: U256) -> Result<TransactionReceipt> {
        let amount = to_u96(amount)?;
        self.approve_registry(amount).await?;
        let call = WorkerRegistry::addStakeCall { amount };
        self.sender.call(self.chain.deployment().worker_registry, call).await
    }

    /// Starts unbonding `amount` token wei, or all active stake when `None`. Returns the receipt and
    /// when the stake may be withdrawn (unix seconds).
    pub async fn unbond(&self, amount: Option<U256>) -> Result<(TransactionReceipt, u64)> {
        let amount = match amount {
            Some(amount) => to_u96(amount)?,
            None => self.chain.workers().worker(self.address()).await?.stake,
        };
        let call = WorkerRegistry::unbondCall { amount };
        let receipt = self.sender.call(self.chain.deployment().worker_registry, call).await?;
        let until = receipt
            .decoded_log::<WorkerRegistry::Unbonding>()
            .map_or(0, |log| log.unbondingUntil.to::<u64>());
        Ok((receipt, until))
    }

    /// Withdraws all stake whose unbonding delay has passed. Returns the receipt and the amount.
    pub async fn withdraw(&self) -> Result<(TransactionReceipt, U256)> {
        let call = WorkerRegistry::withdrawCall {};
        let receipt = self.sender.call(self.chain.deployment().worker_registry, call).await?;
        let amount = receipt
            .decoded_log::<WorkerRegistry::Withdrawn>()
            .map_or(U256::ZERO, |log| U256::from(log.amount));
        Ok((receipt, amount))
    }

    /// Approves the registry to pull `amount` unless its allowance already covers it.
    async fn approve_registry(&self, amount: U96) -> Result<()> {
        self.approve(self.chain.deployment().worker_registry, U256::from(amount)).await
    }

    /// Approves `spender` to pull `amount` tokens unless its allowance already covers it.
    pub async fn approve(&self, spender: Address, amount: U256) -> Result<()> {
        self.chain.token().approve(&self.sender, spender, amount).await
    }
}

/// Narrows a token amount to the registry's `uint96`.
pub fn to_u96(amount: U256) -> Result<U96> {
    U96::uint_try_from(amount).ok().ok_or(ChainError::AmountTooLarge(amount))
}
