//! The on-chain core of one deployment, read through one node. Each contract's client module adds
//! the accessor that reaches it from here (`chain.escrow()`, `chain.token()`, …).

use alloy::primitives::{Address, B256, U256};
use serde::Serialize;

use crate::{
    deployment::Deployment,
    error::{ChainError, Result},
    roles::RoleSet,
    rpc::Rpc,
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
        let registry = self.workers();
        let record = registry.worker(worker).await?;
        let roles = RoleSet::from_bits(record.roles);
        let required_stake = registry.required_stake(roles).await?;
        let models = registry.models_of(worker).await?;
        let pairs: Vec<_> = models.iter().map(|&model| (worker, model)).collect();
        let reputation_bps = registry.reputations(&pairs).await?;
        let token_balance = self.token().balance_of(worker).await?;
        let eth_balance = self.rpc.balance(worker).await?;
        let now = self.rpc.latest_timestamp().await?;
        let jailed_until = record.jailedUntil.to::<u64>();
        Ok(WorkerStatus {
            address: worker,
            registered: record.registered,
            roles,
            stake: U256::from(record.stake),
            locked: U256::from(record.locked),
            required_stake,
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
