//! The chain's history: blocks in memory with indexes, recent states for historical queries, and the
//! embedded database that makes all of it survive a restart.

use std::{
    collections::{HashMap, VecDeque},
    path::Path,
    sync::Arc,
};

use alloy_primitives::B256;

use crate::{
    block::BlockRecord,
    genesis::Genesis,
    state::{StateDb, StateDiff, genesis_state, remember_block_hash},
    store::{Store, StoreError},
};

/// How many recent blocks' states are kept for queries at a past block (like a pruning node).
const RECENT_STATES: usize = 256;

/// The chain.
#[derive(Debug)]
pub struct Chain {
    genesis: Genesis,
    blocks: Vec<Arc<BlockRecord>>,
    by_hash: HashMap<B256, u64>,
    transactions: HashMap<B256, (u64, usize)>,
    states: VecDeque<(u64, Arc<StateDb>)>,
    store: Store,
}

impl Chain {
    /// Opens the chain in `dir`, creating it from `genesis` if there is none. An existing chain keeps
    /// its own genesis (returned by [`Chain::genesis`]) whatever `genesis` says.
    pub fn open(dir: &Path, genesis: Genesis) -> Result<Self, StoreError> {
        let store = Store::open(dir)?;
        let (genesis, blocks, mut state) = match store.genesis()? {
            Some(stored) => {
                let blocks = store
                    .blocks()?
                    .into_iter()
                    .map(BlockRecord::from_stored)
                    .collect::<Result<Vec<_>, _>>()?;
                (stored, blocks, store.state()?)
            }
            None => {
                let state = genesis_state(&genesis);
                let block = BlockRecord::genesis(&genesis, &state);
                store.init(&genesis, &block.to_stored())?;
                (genesis, vec![block], state)
            }
        };
        let Some(head) = blocks.last() else {
            return Err(StoreError::Corrupt("no genesis block".into()));
        };
        if crate::state::state_root(&state) != head.header.state_root {
            return Err(StoreError::Corrupt(format!(
                "the stored state does not match block {}'s state root",
                head.number()
            )));
        }
        for block in blocks.iter().rev().take(256) {
            remember_block_hash(&mut state, block.number(), block.hash);
        }
        let mut chain = Self {
            genesis,
            blocks: Vec::with_capacity(blocks.len()),
            by_hash: HashMap::new(),
            transactions: HashMap::new(),
            states: VecDeque::new(),
            store,
        };
        let head = head.number();
        for block in blocks {
            chain.index(Arc::new(block));
        }
        chain.states.push_back((head, Arc::new(state)));
        Ok(chain)
    }

    fn index(&mut self, block: Arc<BlockRecord>) {
        self.by_hash.insert(block.hash, block.number());
        for (i, tx) in block.transactions.iter().enumerate() {
            self.transactions.insert(*tx.tx_hash(), (block.number(), i));
        }
        self.blocks.push(block);
    }

    /// Appends a sealed block and the state after it (stored first: nothing is served that is not
    /// durable).
    pub fn append(
        &mut self,
        block: BlockRecord,
        mut state: StateDb,
        diff: &StateDiff,
    ) -> Result<(), StoreError> {
        self.store.append(&block.to_stored(), &state, diff)?;
        remember_block_hash(&mut state, block.number(), block.hash);
        let number = block.number();
        self.index(Arc::new(block));
        self.states.push_back((number, Arc::new(state)));
        if self.states.len() > RECENT_STATES {
            self.states.pop_front();
        }
        Ok(())
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The latest block.
    pub fn head(&self) -> &Arc<BlockRecord> {
        // Never empty: `open` always has block 0.
        &self.blocks[self.blocks.len() - 1]
    }

    /// The state after the latest block.
    pub fn head_state(&self) -> Arc<StateDb> {
        self.states.back().map(|(_, state)| state.clone()).unwrap_or_default()
    }

    /// A block by number.
    pub fn block(&self, number: u64) -> Option<&Arc<BlockRecord>> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// A block by hash.
    pub fn block_by_hash(&self, hash: &B256) -> Option<&Arc<BlockRecord>> {
        self.block(*self.by_hash.get(hash)?)
    }

    /// A mined transaction's block and index.
    pub fn transaction(&self, hash: &B256) -> Option<(&Arc<BlockRecord>, usize)> {
        let (number, index) = self.transactions.get(hash)?;
        Some((self.block(*number)?, *index))
    }

    /// The state after block `number`, if it is recent enough to be kept.
    pub fn state_at(&self, number: u64) -> Option<Arc<StateDb>> {
        self.states.iter().find(|(n, _)| *n == number).map(|(_, state)| state.clone())
    }

    /// Every block, in order.
    pub fn blocks(&self) -> &[Arc<BlockRecord>] {
        &self.blocks
    }
}
