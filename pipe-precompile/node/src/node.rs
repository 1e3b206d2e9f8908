//! The node: the chain, the pending pool and the PIPE engine that turns pending transactions into
//! blocks; what the JSON-RPC handlers and the miner call.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{
    SignableTransaction, Transaction, TxEnvelope, transaction::SignerRecoverable,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use revm::{DatabaseCommit, context::BlockEnv, primitives::hardfork::SpecId};
use tokio::sync::Notify;
use verigrad_inference::{Deadline, Runtime};
use verigrad_pipe::{
    CachedBackend, Engine, EngineConfig, EngineStats, PipePrecompiles, PreExecuted,
};

use crate::{
    block::BlockRecord,
    call::{CallBackend, CallContext},
    chain::Chain,
    genesis::{Genesis, dev_signers},
    network::{BuildChecks, InferenceSource, NetworkAnswerer, NetworkConfig},
    settle::settle,
    state::{StateDb, StateDiff},
    store::StoreError,
    twins::TwinsAt,
    tx::signed_tx_env,
    txpool::{PoolError, TxPool},
    view::Views,
};

/// The EVM rules the chain runs (the Solidity build targets the same: `evm_version = "prague"`).
pub const SPEC: SpecId = SpecId::PRAGUE;

/// The priority fee suggested to wallets (wei).
pub const SUGGESTED_TIP: u128 = 1_000_000_000;

/// The node's settings.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Where the chain database lives.
    pub data_dir: PathBuf,
    /// Model packages PIPE can run.
    pub models_dir: PathBuf,
    /// EIP-155 chain id of a new chain.
    pub chain_id: u64,
    /// Development accounts prefunded at genesis (anvil's mnemonic).
    pub accounts: u32,
    /// Ether per development account.
    pub balance_eth: u64,
    /// Gas limit per block.
    pub gas_limit: u64,
    /// Base fee per gas (wei).
    pub base_fee: u64,
    /// Mine every interval; `None` mines as soon as transactions are pending.
    pub block_time: Option<Duration>,
    /// Threads for simulation and inference.
    pub workers: usize,
    /// How long a block's inference round, or a call's inference, may take.
    pub inference_timeout: Duration,
    /// Where PIPE's answers come from: the worker network or the node's own runtime.
    pub network: NetworkConfig,
}

impl NodeConfig {
    /// The defaults for `dir`: chain 31338, 10 accounts of 10 000 ether, 30 M gas, 1 gwei, on demand.
    pub fn dev(data_dir: PathBuf, models_dir: PathBuf) -> Self {
        Self {
            data_dir,
            models_dir,
            chain_id: 31338,
            accounts: 10,
            balance_eth: 10_000,
            gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            block_time: None,
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            inference_timeout: Duration::from_secs(10),
            network: NetworkConfig {
                source: InferenceSource::Auto,
                coordinator: "http://127.0.0.1:9200".into(),
                deployments: PathBuf::from("deployments"),
                tee_quorum: 3,
                timeout: Duration::from_secs(2),
            },
        }
    }
}

/// Why the node refused a request.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The transaction is invalid; the message is the one wallets expect.
    #[error("{0}")]
    InvalidTransaction(String),
    /// The pool refused it.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// `eth_sendTransaction` from an account the node holds no key for.
    #[error("unknown account {0}")]
    UnknownAccount(Address),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A mined block's summary.
#[derive(Debug, Clone)]
pub struct Mined {
    /// The block.
    pub block: Arc<BlockRecord>,
    /// Transactions left out as invalid, with why.
    pub dropped: Vec<(B256, String)>,
    /// Where the time went.
    pub stats: EngineStats,
}

/// The node.
#[derive(Debug)]
pub struct Node {
    config: NodeConfig,
    runtime: Runtime,
    engine: Engine,
    /// The worker network: answers, and the contracts a block settles at.
    network: Arc<NetworkAnswerer>,
    precompiles: PipePrecompiles,
    chain: Arc<RwLock<Chain>>,
    pool: Mutex<TxPool>,
    signers: Vec<PrivateKeySigner>,
    mining: Mutex<()>,
    /// Whether the miner task builds blocks (`evm_setAutomine`); `evm_mine` always does.
    automine: AtomicBool,
    pending: Notify,
    /// Pending transactions' requests, simulated and inferred as each arrived, by transaction hash.
    pre_executed: Mutex<HashMap<B256, PreExecuted>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// An account's nonce in `state`.
pub fn nonce_of(state: &StateDb, address: Address) -> u64 {
    state.cache.accounts.get(&address).map_or(0, |a| a.info.nonce)
}

/// An account's balance in `state`.
pub fn balance_of(state: &StateDb, address: Address) -> U256 {
    state.cache.accounts.get(&address).map_or(U256::ZERO, |a| a.info.balance)
}

impl Node {
    /// Opens (or creates) the chain and loads the models.
    pub fn open(config: NodeConfig) -> anyhow::Result<Self> {
        let runtime = Runtime::load_dir(&config.models_dir).map_err(|e| {
            anyhow::anyhow!("loading models from {}: {e}", config.models_dir.display())
        })?;
        let genesis = Genesis::dev(
            config.chain_id,
            config.accounts,
            config.balance_eth,
            config.gas_limit,
            config.base_fee,
            now(),
        )?;
        let chain = Arc::new(RwLock::new(Chain::open(&config.data_dir, genesis)?));
        let chain_id = chain.read().unwrap_or_else(PoisonError::into_inner).genesis().chain_id;
        let signers = dev_signers(config.accounts)?;
        let engine_config = EngineConfig {
            spec: SPEC,
            chain_id,
            workers: config.workers,
            inference_timeout: config.inference_timeout,
            ..EngineConfig::default()
        };
        let network = NetworkAnswerer::new(runtime.clone(), chain.clone(), config.network.clone())
            .map_err(|e| anyhow::anyhow!("starting the network client: {e}"))?;
        let network = Arc::new(network);
        let engine = Engine::new(runtime.clone(), engine_config).with_answerer(network.clone());
        let placeholder = Arc::new(CachedBackend::new(Arc::default()));
        Ok(Self {
            precompiles: PipePrecompiles::new(SPEC, placeholder),
            engine,
            network,
            runtime,
            config,
            chain,
            pool: Mutex::default(),
            signers,
            mining: Mutex::new(()),
            automine: AtomicBool::new(true),
            pending: Notify::new(),
            pre_executed: Mutex::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The model runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Read access to the chain.
    pub fn chain(&self) -> RwLockReadGuard<'_, Chain> {
        self.chain.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pending pool.
    pub fn pool(&self) -> MutexGuard<'_, TxPool> {
        lock(&self.pool)
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain().genesis().chain_id
    }

    /// The development accounts the node signs for.
    pub fn accounts(&self) -> Vec<Address> {
        self.signers.iter().map(PrivateKeySigner::address).collect()
    }

    /// Whether the miner task builds blocks.
    pub fn automine(&self) -> bool {
        self.automine.load(Ordering::Relaxed)
    }

    /// Pauses (`false`) or resumes the miner task; blocks are then only built by `evm_mine`.
    pub fn set_automine(&self, on: bool) {
        self.automine.store(on, Ordering::Relaxed);
        self.pending.notify_one();
    }

    /// The worker network's answerer (where answers come from can be switched).
    pub fn network(&self) -> &NetworkAnswerer {
        &self.network
    }

    /// Resolves when a transaction arrives (the on-demand miner waits on it).
    pub async fn transaction_arrived(&self) {
        self.pending.notified().await;
    }

    /// Validates and pools a signed transaction (EIP-2718 bytes).
    pub fn submit_raw(&self, mut raw: &[u8]) -> Result<B256, NodeError> {
        let invalid = |m: &str| NodeError::InvalidTransaction(m.to_string());
        let tx = TxEnvelope::decode_2718(&mut raw).map_err(|e| {
            NodeError::InvalidTransaction(format!("failed to decode transaction: {e}"))
        })?;
        if tx.is_eip4844() {
            return Err(invalid("blob transactions are not supported"));
        }
        let sender = tx.recover_signer().map_err(|_| invalid("invalid sender signature"))?;
        let (head, state) = {
            let chain = self.chain();
            (chain.head().clone(), chain.head_state())
        };
        if let Some(id) = tx.chain_id()
            && id != self.chain_id()
        {
            return Err(NodeError::InvalidTransaction(format!(
                "invalid chain id {id}: this chain is {}",
                self.chain_id()
            )));
        }
        if tx.gas_limit() > head.header.gas_limit {
            return Err(invalid("exceeds block gas limit"));
        }
        let base_fee = u128::from(head.header.base_fee_per_gas.unwrap_or_default());
        if tx.max_fee_per_gas() < base_fee {
            return Err(NodeError::InvalidTransaction(format!(
                "max fee per gas less than block base fee: maxFeePerGas {}, baseFee {base_fee}",
                tx.max_fee_per_gas()
            )));
        }
        let cost = U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas()) + tx.value();
        let balance = balance_of(&state, sender);
        if cost > balance {
            return Err(NodeError::InvalidTransaction(format!(
                "insufficient funds for gas * price + value: have {balance} want {cost}"
            )));
        }
        let recovered =
            Arc::new(alloy_consensus::transaction::Recovered::new_unchecked(tx, sender));
        let env = signed_tx_env(&recovered);
        let hash = self.pool().add(recovered, nonce_of(&state, sender))?;
        // PIPE's pre-execution: simulated alone on the head state and its requests inferred now,
        // before any block is built (concurrent arrivals pre-execute side by side).
        let pre_executed =
            self.engine.pre_execute(&*state, &head.child_env(now(), Address::ZERO), &env);
        lock(&self.pre_executed).insert(hash, pre_executed);
        self.pending.notify_one();
        Ok(hash)
    }

    /// `eth_sendTransaction`: fills in what is missing, signs with the development key, and pools it.
    pub fn send_transaction(&self, mut request: TransactionRequest) -> Result<B256, NodeError> {
        let from = request.from.unwrap_or_default();
        let signer = self
            .signers
            .iter()
            .find(|s| s.address() == from)
            .ok_or(NodeError::UnknownAccount(from))?;
        let (head, state) = {
            let chain = self.chain();
            (chain.head().clone(), chain.head_state())
        };
        request.chain_id.get_or_insert(self.chain_id());
        if request.nonce.is_none() {
            request.nonce = Some(self.pool().next_nonce(from, nonce_of(&state, from)));
        }
        if request.gas_price.is_none() {
            let base_fee = u128::from(head.header.base_fee_per_gas.unwrap_or_default());
            request.max_priority_fee_per_gas.get_or_insert(SUGGESTED_TIP);
            request.max_fee_per_gas.get_or_insert(2 * base_fee + SUGGESTED_TIP);
        }
        if request.gas.is_none() {
            let estimate = self
                .call_context(&state, &head)
                .estimate_gas(crate::tx::call_tx_env(
                    &request,
                    head.header.gas_limit,
                    self.chain_id(),
                ))
                .map_err(|_| {
                    NodeError::InvalidTransaction(
                        "gas required exceeds allowance or always fails".into(),
                    )
                })?;
            request.gas = Some(estimate);
        }
        let unsigned = request
            .build_typed_tx()
            .map_err(|_| NodeError::InvalidTransaction("incomplete transaction request".into()))?;
        let signature =
            alloy_signer::SignerSync::sign_hash_sync(signer, &unsigned.signature_hash())
                .map_err(|e| NodeError::InvalidTransaction(format!("signing failed: {e}")))?;
        let signed: TxEnvelope = unsigned.into_signed(signature).into();
        self.submit_raw(&signed.encoded_2718())
    }

    /// The context calls at block `head` (with state `state`) run in: the next block's environment,
    /// twins resolved on `state`.
    pub fn call_context<'a>(&self, state: &'a Arc<StateDb>, head: &BlockRecord) -> CallContext<'a> {
        let block = head.child_env(now(), Address::ZERO);
        let twins = TwinsAt {
            twins: self.network.contracts().and_then(|contracts| contracts.twins),
            state: state.clone(),
            block: block.clone(),
            chain_id: self.chain_id(),
        };
        CallContext {
            state,
            block,
            spec: SPEC,
            chain_id: self.chain_id(),
            precompiles: self.precompiles.clone(),
            backend: Arc::new(CallBackend::new(
                self.runtime.clone(),
                Deadline::after(self.config.inference_timeout),
                twins,
            )),
        }
    }

    /// Drops the pre-executions with an answer that no longer holds on the state the block builds on
    /// (a signed one's signers or price, a twin's binding; see [`BuildChecks`]): the build asks
    /// again for those transactions.
    fn still_attested(
        &self,
        state: &StateDb,
        env: &BlockEnv,
        pre: Vec<Option<PreExecuted>>,
    ) -> Vec<Option<PreExecuted>> {
        let Some(contracts) = self.network.contracts() else { return pre };
        let mut checks =
            BuildChecks::new(contracts, Views::at(state, env.clone(), self.chain_id()));
        pre.into_iter()
            .map(|pre| {
                pre.filter(|pre| {
                    let holds = pre.requests.iter().all(|resolved| match &resolved.resolution {
                        Ok(answer) => checks.answer_holds(&resolved.request, answer),
                        Err(_) => true,
                    });
                    if !holds {
                        tracing::info!("an answer no longer holds at build; asking again");
                    }
                    holds
                })
            })
            .collect()
    }

    /// Builds and appends the next block from the pending transactions (an empty block if none):
    /// execution with the answers pre-executed as they arrived (any transaction that was not is
    /// pre-executed now), later rounds for what the block's own changes made different, commitment.
    pub fn mine(&self) -> Result<Mined, NodeError> {
        let _one_at_a_time = lock(&self.mining);
        let (parent, state) = {
            let chain = self.chain();
            (chain.head().clone(), chain.head_state())
        };
        let txs = self.pool().executable(|a| nonce_of(&state, a), parent.header.gas_limit);
        let env = parent.child_env(now(), Address::ZERO);
        let envs: Vec<_> = txs.iter().map(|tx| signed_tx_env(tx)).collect();
        let pre: Vec<Option<PreExecuted>> = {
            let pre_executed = lock(&self.pre_executed);
            txs.iter().map(|tx| pre_executed.get(tx.tx_hash()).cloned()).collect()
        };
        let pre = self.still_attested(&state, &env, pre);
        let mut outcome = self.engine.build_pre_executed(&*state, &env, &envs, &pre);
        if let Some(contracts) = self.network.contracts() {
            let (settlement, charges) = (contracts.settlement, &outcome.charges);
            if settle(&state, &env, self.chain_id(), &mut outcome.changes, settlement, charges) {
                outcome.pipe.settlement = Some(settlement);
            }
        }

        let mut executed = Vec::with_capacity(txs.len());
        let mut dropped = Vec::new();
        for (tx, result) in txs.iter().zip(outcome.results) {
            match result {
                Ok(result) => executed.push(((**tx).clone(), result)),
                Err(reason) => dropped.push((*tx.tx_hash(), reason)),
            }
        }
        let mut next = (*state).clone();
        let diff = StateDiff::of(&outcome.changes);
        next.commit(outcome.changes);
        let block = parent.seal_child(&env, executed, &next, outcome.pipe);
        let number = block.number();
        let included: Vec<B256> = block.transactions.iter().map(|tx| *tx.tx_hash()).collect();
        self.chain.write().unwrap_or_else(PoisonError::into_inner).append(block, next, &diff)?;
        let block = self.chain().block(number).cloned().ok_or_else(|| {
            StoreError::Corrupt(format!("block {number} vanished after it was appended"))
        })?;
        let head_state = self.chain().head_state();
        let mut pool = self.pool();
        pool.remove(included.into_iter().chain(dropped.iter().map(|(hash, _)| *hash)));
        pool.prune(|a| nonce_of(&head_state, a));
        let pending: HashSet<B256> = pool.hashes().into_iter().collect();
        lock(&self.pre_executed).retain(|hash, _| pending.contains(hash));
        Ok(Mined { block, dropped, stats: outcome.stats })
    }
}
