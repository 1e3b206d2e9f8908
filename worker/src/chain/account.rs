//! A worker's account in the registry: register, stake, unbond, withdraw, and its status.

use alloy::{
    primitives::{Address, B256, U256, aliases::U96, ruint::UintTryFrom},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use serde::Serialize;

use super::{
    error::{ChainError, Result},
    gas::GasPolicy,
    rpc::Rpc,
    sender::{ReceiptPolicy, TxSender},
};
use crate::{
    bindings::{Token, WorkerRegistry},
    deployment::Deployment,
    role_set::RoleSet,
};

/// The on-chain core, read through one node.
#[derive(Debug, Clone)]
pub struct Chain {
    rpc: Rpc,
    deployment: Deployment,
}

/// A worker's registry record and balances, as `worker status` shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStatus {
    /// The worker.
    pub address: Address,
    /// Whether it has registered.
    pub registered: bool,
    /// Its roles.
    pub roles: RoleSet,
    /// Bonded stake, token wei (locked stake included).
    pub stake: U256,
    /// Part of the stake locked as collateral by open task seats, token wei.
    pub locked: U256,
    /// Minimum active stake its roles need, token wei.
    pub required_stake: U256,
    /// Stake waiting out the unbonding delay, token wei.
    pub unbonding: U256,
    /// When the unbonding stake may be withdrawn (unix seconds; 0 if none).
    pub unbonding_until: u64,
    /// End of its jail time (unix seconds; 0 if never jailed).
    pub jailed_until: u64,
    /// Whether it is jailed at the latest block.
    pub jailed: bool,
    /// Reputation in basis points on each model of `models`, in the same order.
    pub reputation_bps: Vec<u16>,
    /// Tasks completed with an accepted result, over all models.
    pub tasks_done: u32,
    /// Proven faults, over all models.
    pub faults: u32,
    /// Its API endpoint.
    pub endpoint: String,
    /// Model releases it serves.
    pub models: Vec<B256>,
    /// Tokens in its wallet, token wei.
    pub token_balance: U256,
    /// Its ether balance, wei (pays for gas).
    pub eth_balance: U256,
    /// The latest block's timestamp, against which `jailed` and withdrawals are judged.
    pub now: u64,
}

impl Chain {
    /// Connects to the deployment through `rpc`, checking that the node serves its chain.
    pub async fn connect(rpc: Rpc, deployment: Deployment) -> Result<Self> {
        let node = rpc.chain_id().await?;
        if node != deployment.chain_id {
            return Err(ChainError::WrongChain { node, deployment: deployment.chain_id });
        }
        Ok(Self { rpc, deployment })
    }

    /// The node connection.
    pub fn rpc(&self) -> &Rpc {
        &self.rpc
    }

    /// The contracts.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// Reads `worker`'s registry record, reputation and balances.
    pub async fn worker_status(&self, worker: Address) -> Result<WorkerStatus> {
        let registry = self.deployment.worker_registry;
        let token = self.deployment.token;
        let record = self.rpc.view(registry, WorkerRegistry::getWorkerCall { worker }).await?;
        let roles = RoleSet::from_bits(record.roles);
        let required_stake = self
            .rpc
            .view(registry, WorkerRegistry::requiredStakeCall { roles: roles.bits() })
            .await?;
        let models = self.rpc.view(registry, WorkerRegistry::modelsOfCall { worker }).await?;
        let mut reputation_bps = Vec::with_capacity(models.len());
        for &model in &models {
            let call = WorkerRegistry::reputationBpsCall { worker, modelId: model };
            reputation_bps.push(self.rpc.view(registry, call).await?);
        }
        let token_balance = self.rpc.view(token, Token::balanceOfCall { account: worker }).await?;
        let eth_balance = self.rpc.balance(worker).await?;
        let now = self.rpc.latest_timestamp().await?;
        let jailed_until = record.jailedUntil.to::<u64>();
        Ok(WorkerStatus {
            address: worker,
            registered: record.registered,
            roles,
            stake: U256::from(record.stake),
            locked: U256::from(record.locked),
            required_stake: U256::from(required_stake),
            unbonding: U256::from(record.unbonding),
            unbonding_until: record.unbondingUntil.to(),
            jailed_until,
            jailed: jailed_until > now,
            reputation_bps,
            tasks_done: record.tasksDone,
            faults: record.faults,
            endpoint: record.endpoint,
            models,
            token_balance,
            eth_balance,
            now,
        })
    }
}

/// A worker's own account: the [`Chain`] plus a [`TxSender`] for its key.
#[derive(Debug)]
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
            TxSender::new(chain.rpc.clone(), signer, chain.deployment.chain_id, gas, receipts);
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
        self.sender.call(self.chain.deployment.worker_registry, call).await
    }

    /// Adds `amount` token wei of stake (approved to the registry first if needed).
    pub async fn add_stake(&self, amount: U256) -> Result<TransactionReceipt> {
        let amount = to_u96(amount)?;
        self.approve_registry(amount).await?;
        let call = WorkerRegistry::addStakeCall { amount };
        self.sender.call(self.chain.deployment.worker_registry, call).await
    }

    /// Starts unbonding `amount` token wei, or all active stake when `None`. Returns the receipt and
    /// when the stake may be withdrawn (unix seconds).
    pub async fn unbond(&self, amount: Option<U256>) -> Result<(TransactionReceipt, u64)> {
        let amount = match amount {
            Some(amount) => to_u96(amount)?,
            None => {
                let worker = WorkerRegistry::getWorkerCall { worker: self.address() };
                self.chain.rpc.view(self.chain.deployment.worker_registry, worker).await?.stake
            }
        };
        let call = WorkerRegistry::unbondCall { amount };
        let receipt = self.sender.call(self.chain.deployment.worker_registry, call).await?;
        let until = receipt
            .decoded_log::<WorkerRegistry::Unbonding>()
            .map_or(0, |log| log.unbondingUntil.to::<u64>());
        Ok((receipt, until))
    }

    /// Withdraws all stake whose unbonding delay has passed. Returns the receipt and the amount.
    pub async fn withdraw(&self) -> Result<(TransactionReceipt, U256)> {
        let call = WorkerRegistry::withdrawCall {};
        let receipt = self.sender.call(self.chain.deployment.worker_registry, call).await?;
        let amount = receipt
            .decoded_log::<WorkerRegistry::Withdrawn>()
            .map_or(U256::ZERO, |log| U256::from(log.amount));
        Ok((receipt, amount))
    }

    /// Approves the registry to pull `amount` unless its allowance already covers it.
    async fn approve_registry(&self, amount: U96) -> Result<()> {
        self.approve(self.chain.deployment.worker_registry, U256::from(amount)).await
    }

    /// Approves `spender` to pull `amount` tokens unless its allowance already covers it.
    pub async fn approve(&self, spender: Address, amount: U256) -> Result<()> {
        let token = self.chain.deployment.token;
        let allowance = self
            .chain
            .rpc
            .view(token, Token::allowanceCall { owner: self.address(), spender })
            .await?;
        if allowance < amount {
            self.sender.call(token, Token::approveCall { spender, value: amount }).await?;
        }
        Ok(())
    }
}

/// Narrows a token amount to the registry's `uint96`.
pub(crate) fn to_u96(amount: U256) -> Result<U96> {
    U96::uint_try_from(amount).ok().ok_or(ChainError::AmountTooLarge(amount))
}
