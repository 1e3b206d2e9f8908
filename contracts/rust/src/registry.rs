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

    /// The blocks in one epoch of frozen draw weights.
    pub async fn epoch_blocks(&self) -> Result<u64> {
        Ok(self.rpc.view(self.address, WorkerRegistry::epochBlocksCall {}).await?.into())
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

/// The anchor block of the seat draw of a task created in `block` (the escrow's `Anchors.forDraw`):
/// two blocks ahead, or the first block of the next epoch when less than half an epoch would be left
/// to draw in. `assign` works from the block after it.
pub fn draw_anchor(block: u64, epoch_blocks: u64) -> u64 {
    let anchor = block + 2;
    let offset = anchor % epoch_blocks;
    if offset > epoch_blocks / 2 { anchor + epoch_blocks - offset } else { anchor }
}

#[cfg(test)]
mod tests {
    use super::draw_anchor;

    #[test]
    fn a_draw_anchor_leaves_half_an_epoch_to_draw_in() {
        // Epochs of 8: anchors at offsets 0..=4 stay two blocks ahead; later ones move to the
        // next epoch's first block.
        let anchors: Vec<u64> = (14..22).map(|block| draw_anchor(block, 8)).collect();
        assert_eq!(anchors, [16, 17, 18, 19, 20, 24, 24, 24]);
        for block in 0..100 {
            let anchor = draw_anchor(block, 8);
            assert!(anchor >= block + 2 && anchor % 8 <= 4, "block {block}: anchor {anchor}");
        }
    }
}
