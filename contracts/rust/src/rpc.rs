//! Reads from the node, each retried through transient failures.

use alloy::{
    eips::BlockNumberOrTag,
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, U256},
    providers::{DynProvider, Provider, RootProvider},
    rpc::client::BatchRequest,
    rpc::types::{Block, Filter, Log, TransactionReceipt, TransactionRequest},
    sol_types::SolCall,
    transports::http::reqwest::Url,
};

use crate::{
    error::{ChainError, Result},
    retry::RetryPolicy,
};

/// Calls sent in one JSON-RPC batch by [`Rpc::view_many`]: a node caps a batch's size.
const CALLS_PER_BATCH: usize = 100;

/// Where the chain is: the latest block's number and timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The latest block's number.
    pub block: u64,
    /// The latest block's timestamp (unix seconds).
    pub time: u64,
}

/// What a mined block spent of its gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockGas {
    /// Gas used by its transactions.
    pub used: u64,
    /// Its gas limit.
    pub limit: u64,
}

/// A JSON-RPC connection over HTTP whose reads retry under a [`RetryPolicy`].
#[derive(Clone)]
pub struct Rpc {
    provider: DynProvider,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rpc").field("retry", &self.retry).finish_non_exhaustive()
    }
}

impl Rpc {
    /// A connection to `url`. Nothing is sent until the first request, so a node that is down now
    /// may come up later.
    pub fn http(url: Url, retry: RetryPolicy) -> Self {
        Self { provider: RootProvider::new_http(url).erased(), retry }
    }

    /// The underlying provider (no fillers, no wallet).
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// `eth_chainId`.
    pub async fn chain_id(&self) -> Result<u64> {
        self.retry.run("eth_chainId", |_| self.provider.get_chain_id()).await
    }

    /// `eth_blockNumber`.
    pub async fn block_number(&self) -> Result<u64> {
        self.retry.run("eth_blockNumber", |_| self.provider.get_block_number()).await
    }

    /// The latest block's timestamp, in seconds.
    pub async fn latest_timestamp(&self) -> Result<u64> {
        Ok(self.head().await?.time)
    }

    /// The latest block's number and timestamp, read together.
    pub async fn head(&self) -> Result<Head> {
        let block = self.block(BlockNumberOrTag::Latest).await?;
        Ok(block.map_or(Head { block: 0, time: 0 }, |b| Head {
            block: b.header.number,
            time: b.header.timestamp,
        }))
    }

    /// The gas used and the gas limit of block `number`; `None` if it is not mined.
    pub async fn block_gas(&self, number: u64) -> Result<Option<BlockGas>> {
        let block = self.block(BlockNumberOrTag::Number(number)).await?;
        Ok(block.map(|b| BlockGas { used: b.header.gas_used, limit: b.header.gas_limit }))
    }

    /// The base fee per gas of the latest block (zero on a chain without EIP-1559).
    pub async fn base_fee(&self) -> Result<u128> {
        let block = self.block(BlockNumberOrTag::Latest).await?;
        Ok(block.and_then(|b| b.header.base_fee_per_gas).map_or(0, u128::from))
    }

    /// `eth_getBlockByNumber`, without the transactions: `None` if it is not mined.
    async fn block(&self, tag: BlockNumberOrTag) -> Result<Option<Block>> {
        self.retry
            .run("eth_getBlockByNumber", |_| self.provider.get_block_by_number(tag).into_future())
            .await
    }

    /// `eth_getBalance` at the latest block.
    pub async fn balance(&self, account: Address) -> Result<U256> {
        self.retry.run("eth_getBalance", |_| self.provider.get_balance(account).into_future()).await
    }

    /// `eth_getTransactionCount` counting the node's pending transactions.
    pub async fn pending_nonce(&self, account: Address) -> Result<u64> {
        self.retry
            .run("eth_getTransactionCount", |_| {
                self.provider.get_transaction_count(account).pending().into_future()
            })
            .await
    }

    /// `eth_getLogs`.
    pub async fn logs(&self, filter: &Filter) -> Result<Vec<Log>> {
        self.retry.run("eth_getLogs", |_| self.provider.get_logs(filter)).await
    }

    /// `eth_getTransactionReceipt`: `None` while the transaction is not mined.
    pub async fn receipt(&self, hash: B256) -> Result<Option<TransactionReceipt>> {
        self.retry
            .run("eth_getTransactionReceipt", |_| {
                self.provider.get_transaction_receipt(hash).into_future()
            })
            .await
    }

    /// Whether the node knows the transaction, mined or still in its pool.
    pub async fn knows(&self, hash: B256) -> Result<bool> {
        let found = self
            .retry
            .run("eth_getTransactionByHash", |_| {
                self.provider.get_transaction_by_hash(hash).into_future()
            })
            .await?;
        Ok(found.is_some())
    }

    /// Calls a view function of the contract at `to` (`eth_call` at the latest block) and decodes
    /// its answer; a revert is [`ChainError::Reverted`], its data kept to decode on demand.
    pub async fn view<C: SolCall>(&self, to: Address, call: C) -> Result<C::Return> {
        self.call_as(TransactionRequest::default(), to, call).await
    }

    /// [`view`](Self::view) with `from` as the caller: a dry run of a call that checks its sender.
    pub async fn view_as<C: SolCall>(
        &self,
        from: Address,
        to: Address,
        call: C,
    ) -> Result<C::Return> {
        self.call_as(TransactionRequest::default().with_from(from), to, call).await
    }

    async fn call_as<C: SolCall>(
        &self,
        request: TransactionRequest,
        to: Address,
        call: C,
    ) -> Result<C::Return> {
        let request = request.with_to(to).with_input(call.abi_encode());
        let answer = self
            .retry
            .run("eth_call", |_| self.provider.call(request.clone()).into_future())
            .await?;
        decode::<C>(&answer)
    }

    /// Calls a view function of the contract at `to` once for each of `calls`, sending the
    /// `eth_call`s 100 to a JSON-RPC batch (one round trip each), and decodes the
    /// answers in order. A revert of any call fails the whole read.
    pub async fn view_many<C: SolCall>(&self, to: Address, calls: &[C]) -> Result<Vec<C::Return>> {
        let requests: Vec<TransactionRequest> = calls
            .iter()
            .map(|call| TransactionRequest::default().with_to(to).with_input(call.abi_encode()))
            .collect();
        let mut answers = Vec::with_capacity(calls.len());
        for chunk in requests.chunks(CALLS_PER_BATCH) {
            let data = self
                .retry
                .run("eth_call", |_| async move {
                    let mut batch = BatchRequest::new(self.provider.client());
                    let waiters = chunk
                        .iter()
                        .map(|request| {
                            batch.add_call::<_, Bytes>(
                                "eth_call",
                                &(request, BlockNumberOrTag::Latest),
                            )
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    batch.send().await?;
                    futures_util::future::try_join_all(waiters).await
                })
                .await?;
            for answer in &data {
                answers.push(decode::<C>(answer)?);
            }
        }
        Ok(answers)
    }
}

/// Decodes `C`'s answer, checking that its values are in range (an enum's variant).
fn decode<C: SolCall>(answer: &[u8]) -> Result<C::Return> {
    C::abi_decode_returns_validate(answer)
        .map_err(|source| ChainError::Decode { op: C::SIGNATURE, source })
}
