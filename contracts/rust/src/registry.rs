//! The worker registry's client: workers' records, stake requirements, reputation and who serves a
//! model, with the reads of many workers batched.

use alloy::primitives::{Address, B256, U256};

use crate::{
    RoleSet,
    bindings::WorkerRegistry::{self, Worker},
    chain::Chain,
    error::Result,
    rpc::Rpc,
};

impl Chain {
    /// The worker registry.
    pub fn workers(&self) -> WorkerRegistryClient {
        WorkerRegistryClient::new(self.rpc().clone(), self.deployment().worker_registry)
    }
}

/// The worker registry of a deployment, read through one node.
#[derive(Debug, Clone)]
pub struct WorkerRegistryClient {
    rpc: Rpc,
    address: Address,
}

impl WorkerRegistryClient {
    /// The registry at `address`.
    pub fn new(rpc: Rpc, address: Address) -> Self {
        Self { rpc, address }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// `worker`'s record (all zero if it never registered).
    pub async fn worker(&self, worker: Address) -> Result<Worker> {
        self.rpc.view(self.address, WorkerRegistry::getWorkerCall { worker }).await
    }

    /// The records of `workers`, in order, in one round trip.
    pub async fn workers(&self, workers: &[Address]) -> Result<Vec<Worker>> {
        let calls: Vec<_> =
            workers.iter().map(|&worker| WorkerRegistry::getWorkerCall { worker }).collect();
        self.rpc.view_many(self.address, &calls).await
    }

    /// The least active stake a worker with `roles` needs, token wei.
    pub async fn required_stake(&self, roles: RoleSet) -> Result<U256> {
        let call = WorkerRegistry::requiredStakeCall { roles: roles.bits() };
        Ok(U256::from(self.rpc.view(self.address, call).await?))
    }

    /// The model releases `worker` serves.
    pub async fn models_of(&self, worker: Address) -> Result<Vec<B256>> {
        self.rpc.view(self.address, WorkerRegistry::modelsOfCall { worker }).await
    }

    /// The workers registered for `model` with every role of `roles`.
    pub async fn workers_of(&self, model: B256, roles: RoleSet) -> Result<Vec<Address>> {
        let call = WorkerRegistry::workersOfCall { modelId: model, role: roles.bits() };
        self.rpc.view(self.address, call).await
    }

    /// The reputation, in basis points, of each `(worker, model)` pair, in order, in one round
    /// trip.
    pub async fn reputations(&self, pairs: &[(Address, B256)]) -> Result<Vec<u16>> {
        let calls: Vec<_> = pairs
            .iter()
            .map(|&(worker, model)| WorkerRegistry::reputationBpsCall { worker, modelId: model })
            .collect();
        self.rpc.view_many(self.address, &calls).await
    }
}
