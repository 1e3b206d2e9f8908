//! Signing and sending transactions: exactly once, with a gas margin, in nonce order.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy::{
    eips::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Address, B256, Bytes},
    providers::{Provider, utils::Eip1559Estimation},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::{
    error::{ChainError, Result},
    gas::GasPolicy,
    nonce::NonceManager,
    rpc::Rpc,
};

/// How many times a transaction is re-signed when its nonce was taken by another transaction.
const NONCE_CONFLICT_ATTEMPTS: u32 = 3;
/// How long one `eth_feeHistory` estimate and base fee price transactions: about a block, which can
/// raise the base fee by at most 12.5 %.
const FEES_FRESH_FOR: Duration = Duration::from_secs(1);
/// How often a transaction still without a receipt is looked after in the node's pool — lost (a
/// restart), or passed by the base fee — about once a block, not at every receipt poll.
const LOST_CHECK_EVERY: Duration = Duration::from_secs(1);
/// A transaction's max fee is at least this many times the latest base fee (above its tip): it
/// stays includable through nine full blocks of base-fee rise (12.5 % each), which a transaction
/// can wait in a pool while blocks are full. A cap, not a price: a block charges its base fee.
const BASE_FEE_MULTIPLE: u128 = 3;
/// A deadline-bound transaction's max fee is at least this many times the latest base fee (above
/// its tip): above every normal transaction priced in the last ten full blocks (3 × 1.125^10 < 10),
/// which matters to nodes that order their pool by max fee (anvil).
const DEADLINE_BASE_FEE_MULTIPLE: u128 = 10;
/// What a deadline-bound transaction tips at least above the estimate, in wei: nodes that order by
/// effective tip (geth, reth) take it before the estimate's tippers.
const DEADLINE_TIP_EXTRA: u128 = 1_000_000_000;

/// How soon a transaction has to be mined, which sets its price.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Urgency {
    /// Whenever blocks have room: priced by the node's fee estimate.
    #[default]
    Normal,
    /// Before a deadline a few blocks away (a vote window, a draw's epoch): priced to be taken
    /// before every normal transaction, and the account's earlier transactions still waiting are
    /// raised to the same price, since a nonce is mined only after those before it.
    Deadline,
}

impl Urgency {
    /// The fees to price a transaction with under `fees`.
    fn price(self, fees: Fees) -> Eip1559Estimation {
        match self {
            Self::Normal => fees.estimate,
            Self::Deadline => deadline_price(fees.estimate, fees.base_fee),
        }
    }
}

/// How long to wait for a receipt, and how often to ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiptPolicy {
    /// Give up waiting after this many milliseconds.
    pub timeout_ms: u64,
    /// Poll every this many milliseconds.
    pub poll_ms: u64,
}

impl Default for ReceiptPolicy {
    fn default() -> Self {
        Self { timeout_ms: 120_000, poll_ms: 250 }
    }
}

/// Sends one account's transactions.
///
/// Each transaction is estimated (plus [`GasPolicy`] headroom) unless its gas limit is set, priced by
/// the node's EIP-1559 estimate, signed locally with the next nonce from the [`NonceManager`], and
/// broadcast as raw bytes. The hash is known before the broadcast, which makes resending safe: if
/// the node does not answer, the retry first asks whether the transaction landed or sits in the pool,
/// and only otherwise sends the same signed bytes again — which the node cannot execute twice, as
/// they carry the same nonce. The same bytes go out again if the node forgets the transaction while
/// we wait for its receipt (a restart that drops the pool); if the base fee rose past its max fee
/// (blocks kept full), it is replaced under the same nonce at a higher price. If the nonce was
/// taken by another transaction from the same key, the manager re-syncs and the call is signed
/// again with a fresh nonce.
/// Clones share the nonce manager, so tasks of one process that send from one key take turns.
///
/// A sender prices by its [`Urgency`]. A deadline-bound transaction that takes a nonce behind
/// waiting transactions of the same account raises them to its price (each is replaced within
/// about a block): otherwise it would wait for them, at their pace.
#[derive(Debug, Clone)]
pub struct TxSender {
    rpc: Rpc,
    wallet: EthereumWallet,
    from: Address,
    chain_id: u64,
    nonces: Arc<NonceManager>,
    fees: Arc<FeeCache>,
    /// One past the highest nonce a deadline-bound transaction took, shared by the clones.
    deadline_nonce: Arc<AtomicU64>,
    urgency: Urgency,
    gas: GasPolicy,
    receipts: ReceiptPolicy,
}

/// The last EIP-1559 fee estimate and when it was read, shared by a sender's clones.
#[derive(Debug, Default)]
struct FeeCache(std::sync::Mutex<Option<(Instant, Fees)>>);

/// The fees to price a transaction with, and the base fee they were made from.
#[derive(Debug, Clone, Copy)]
struct Fees {
    estimate: Eip1559Estimation,
    base_fee: u128,
}

impl FeeCache {
    /// The estimate read less than [`FEES_FRESH_FOR`] ago, if any.
    fn fresh(&self) -> Option<Fees> {
        let cached = *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cached.filter(|(at, _)| at.elapsed() < FEES_FRESH_FOR).map(|(_, fees)| fees)
    }

    /// Drops the estimate: the node refused a price made from it.
    fn forget(&self) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    fn store(&self, fees: Fees) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), fees));
    }
}

impl TxSender {
    /// A sender for `signer`'s account on chain `chain_id`.
    pub fn new(
        rpc: Rpc,
        signer: PrivateKeySigner,
        chain_id: u64,
        gas: GasPolicy,
        receipts: ReceiptPolicy,
    ) -> Self {
        let from = signer.address();
        Self {
            rpc,
            wallet: EthereumWallet::from(signer),
            from,
            chain_id,
            nonces: Arc::default(),
            fees: Arc::default(),
            deadline_nonce: Arc::default(),
            urgency: Urgency::Normal,
            gas,
            receipts,
        }
    }

    /// This sender pricing its transactions for `urgency` (sharing nonces and fees with it).
    pub fn with_urgency(&self, urgency: Urgency) -> Self {
        Self { urgency, ..self.clone() }
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.from
    }

    /// Calls `call` on the contract at `to` in a transaction and waits for its receipt.
    pub async fn call<C: SolCall>(&self, to: Address, call: C) -> Result<TransactionReceipt> {
        self.call_with_min_gas(to, call, 0).await
    }

    /// [`call`](Self::call) with a gas limit of at least `min_gas`, for calls whose cost depends on
    /// what lands before them in the block: the last reveal of a task tallies it and may draw a
    /// committee, the last vote resolves and slashes, none of which the estimate saw. Unused gas is
    /// not charged.
    pub async fn call_with_min_gas<C: SolCall>(
        &self,
        to: Address,
        call: C,
        min_gas: u64,
    ) -> Result<TransactionReceipt> {
        let request = TransactionRequest::default().with_to(to).with_input(call.abi_encode());
        tracing::info!(function = C::SIGNATURE, %to, "sending");
        self.send_with_min_gas(request, min_gas).await
    }

    /// Calls `call` on the contract at `to` in a transaction of exactly `gas`, without an
    /// estimate: for a call a dry run already measured.
    pub async fn call_with_gas<C: SolCall>(
        &self,
        to: Address,
        call: C,
        gas: u64,
    ) -> Result<TransactionReceipt> {
        let request = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode())
            .with_gas_limit(gas);
        tracing::info!(function = C::SIGNATURE, %to, gas, "sending");
        self.send(request).await
    }

    /// Sends `request` (its `to`, `input`, `value`, and `gas` if set) and waits for the receipt; a
    /// mined transaction that failed is [`ChainError::TxReverted`].
    pub async fn send(&self, request: TransactionRequest) -> Result<TransactionReceipt> {
        self.send_with_min_gas(request, 0).await
    }

    async fn send_with_min_gas(
        &self,
        request: TransactionRequest,
        min_gas: u64,
    ) -> Result<TransactionReceipt> {
        let sent = self.broadcast(request, min_gas).await?;
        let receipt = match self.wait(sent).await {
            Ok(receipt) => receipt,
            Err(error) => {
                // The node may have lost the transaction for good: the next nonce is read from
                // the node again, so a lost one is reused instead of leaving a gap that would
                // stall every later transaction.
                self.nonces.resync().await;
                return Err(error);
            }
        };
        if !receipt.status() {
            return Err(ChainError::TxReverted {
                hash: receipt.transaction_hash,
                block: receipt.block_number.unwrap_or_default(),
                gas_used: receipt.gas_used,
            });
        }
        Ok(receipt)
    }

    /// The node's EIP-1559 fee estimate, read at most once per [`FEES_FRESH_FOR`], its max fee at
    /// least [`BASE_FEE_MULTIPLE`] times the latest block's base fee (a busy node's fee history can
    /// lag its blocks); with that base fee.
    async fn fees(&self) -> Result<Fees> {
        if let Some(fees) = self.fees.fresh() {
            return Ok(fees);
        }
        let rpc = &self.rpc;
        let estimate =
            rpc.retry().run("eth_feeHistory", |_| rpc.provider().estimate_eip1559_fees()).await?;
        let base_fee = rpc.base_fee().await?;
        let fees = Fees { estimate: above_base_fee(estimate, base_fee), base_fee };
        self.fees.store(fees);
        Ok(fees)
    }

    /// Prices, signs and broadcasts `request`; returns the transaction the node holds.
    async fn broadcast(&self, request: TransactionRequest, min_gas: u64) -> Result<Signed> {
        let rpc = &self.rpc;
        let request = request.with_from(self.from).with_chain_id(self.chain_id);
        // Estimated before a nonce is taken: a revert here must not consume one.
        let gas_limit = match request.gas {
            Some(gas) => gas,
            None => {
                let estimate = rpc
                    .retry()
                    .run("eth_estimateGas", |_| {
                        rpc.provider().estimate_gas(request.clone()).into_future()
                    })
                    .await?;
                self.gas.limit(estimate).max(min_gas)
            }
        };
        let request = request.with_gas_limit(gas_limit);

        let mut nonce = 0;
        for _ in 0..NONCE_CONFLICT_ATTEMPTS {
            let fees = self.urgency.price(self.fees().await?);
            let slot = self.nonces.acquire(|| rpc.pending_nonce(self.from)).await?;
            nonce = slot.nonce();
            let signed = self
                .sign(
                    request
                        .clone()
                        .with_nonce(nonce)
                        .with_max_fee_per_gas(fees.max_fee_per_gas)
                        .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas),
                )
                .await?;
            match self.send_raw(signed.hash, &signed.raw).await {
                Ok(()) => {
                    tracing::info!(hash = %signed.hash, nonce, gas_limit, urgency = ?self.urgency, "broadcast");
                    slot.used();
                    if self.urgency == Urgency::Deadline {
                        self.deadline_nonce.fetch_max(nonce + 1, Ordering::AcqRel);
                    }
                    return Ok(signed);
                }
                Err(ChainError::NonceTaken { .. }) => {
                    // The slot drops unused: the next acquire re-reads the pending nonce.
                    tracing::warn!(nonce, "nonce taken by another transaction; re-signing");
                }
                Err(ChainError::Underpriced { .. }) => {
                    self.fees.forget();
                    tracing::warn!(nonce, "the base fee rose past the fee estimate; re-pricing");
                }
                Err(error) => return Err(error),
            }
        }
        Err(ChainError::NonceConflict { from: self.from, nonce, attempts: NONCE_CONFLICT_ATTEMPTS })
    }

    /// Signs `request` (nonce, gas limit and fees set).
    async fn sign(&self, request: TransactionRequest) -> Result<Signed> {
        let envelope = request
            .clone()
            .build(&self.wallet)
            .await
            .map_err(|e| ChainError::Sign(e.to_string()))?;
        Ok(Signed {
            hash: *envelope.tx_hash(),
            raw: Bytes::from(envelope.encoded_2718()),
            request,
            urgency: self.urgency,
        })
    }

    /// `eth_sendRawTransaction`, retried through outages without ever having the node hold two
    /// different transactions for one call: before a resend, a transaction the node already knows is
    /// taken as sent. A node that refuses the bytes is also asked, since a resend of bytes it holds
    /// answers "already known" or "nonce too low".
    async fn send_raw(&self, hash: B256, raw: &Bytes) -> Result<()> {
        let rpc = &self.rpc;
        let sent = rpc
            .retry()
            .run("eth_sendRawTransaction", |attempt| async move {
                if attempt > 1 && rpc.provider().get_transaction_by_hash(hash).await?.is_some() {
                    tracing::info!(%hash, attempt, "the previous attempt reached the node");
                    return Ok(());
                }
                rpc.provider().send_raw_transaction(raw).await.map(drop)
            })
            .await;
        match sent {
            Err(ChainError::Rpc { .. } | ChainError::NonceTaken { .. })
                if rpc.knows(hash).await? =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Polls for the receipt of `sent` until [`ReceiptPolicy::timeout_ms`]. Every
    /// [`LOST_CHECK_EVERY`] it also looks after the transaction in the pool: a node that no longer
    /// knows it (its pool was lost in a restart) gets the same signed bytes again, and one the base
    /// fee rose past — it would wait until the base fee falls, and every later nonce of this account
    /// behind it — is replaced under the same nonce at a higher price. A receipt of any version
    /// ends the wait. A node unreachable past the retry budget is waited for, up to the same
    /// timeout: giving up sooner would abandon a transaction that may still be mined.
    async fn wait(&self, mut sent: Signed) -> Result<TransactionReceipt> {
        let started = Instant::now();
        let timeout = Duration::from_millis(self.receipts.timeout_ms);
        let mut versions = vec![sent.hash];
        let mut looked_in_pool = started;
        loop {
            let look_in_pool = looked_in_pool.elapsed() >= LOST_CHECK_EVERY;
            if look_in_pool {
                looked_in_pool = Instant::now();
            }
            match self.poll_receipt(&versions).await {
                Ok(Some(receipt)) => return Ok(receipt),
                Ok(None) if look_in_pool => {
                    if let Some(replacement) = self.look_after(&sent).await? {
                        versions.push(replacement.hash);
                        sent = replacement;
                    }
                }
                Ok(None) => {}
                Err(error @ ChainError::RetriesExhausted { .. }) => {
                    tracing::warn!(hash = %sent.hash, %error, "the node is unreachable; still waiting for the receipt");
                }
                Err(error) => return Err(error),
            }
            if started.elapsed() >= timeout {
                return Err(ChainError::ReceiptTimeout {
                    hash: sent.hash,
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(Duration::from_millis(self.receipts.poll_ms)).await;
        }
    }

    /// One look for a receipt of any of `versions`.
    async fn poll_receipt(&self, versions: &[B256]) -> Result<Option<TransactionReceipt>> {
        for hash in versions.iter().rev() {
            if let Some(receipt) = self.rpc.receipt(*hash).await? {
                return Ok(Some(receipt));
            }
        }
        Ok(None)
    }

    /// Looks after `sent`, still without a receipt, in the node's pool: the same bytes again if the
    /// node no longer knows it; a replacement at a higher price if a deadline-bound transaction of
    /// this account waits behind it, or if the base fee passed it (a node drops such a transaction
    /// from its pool, and refuses the same bytes again).
    async fn look_after(&self, sent: &Signed) -> Result<Option<Signed>> {
        if !self.rpc.knows(sent.hash).await? {
            tracing::warn!(hash = %sent.hash, "the node lost the transaction; sending it again");
            match self.send_raw(sent.hash, &sent.raw).await {
                Ok(()) => return Ok(None),
                Err(ChainError::Underpriced { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        let fees = self.fees().await?;
        let (max_fee, tip) = sent.fees();
        let nonce = sent.request.nonce.unwrap_or_default();
        if sent.urgency == Urgency::Normal && nonce < self.deadline_nonce.load(Ordering::Acquire) {
            let (max_fee, tip) = raised(max_fee, tip, Urgency::Deadline.price(fees));
            let why = "a deadline-bound transaction waits behind it; raised to its price";
            return self.replace(sent, max_fee, tip, Urgency::Deadline, why).await;
        }
        let Some(repriced) = repriced(max_fee, tip, fees.base_fee) else { return Ok(None) };
        // A deadline-bound transaction keeps its lead over normal ones when re-priced.
        let (max_fee, tip) = match sent.urgency {
            Urgency::Normal => repriced,
            Urgency::Deadline => raised(max_fee, tip, Urgency::Deadline.price(fees)),
        };
        let why =
            "the base fee rose past a waiting transaction's max fee; replaced it at a higher price";
        self.replace(sent, max_fee, tip, sent.urgency, why).await
    }

    /// `sent` signed again under its nonce at `max_fee` and `tip`; `None` if the node refused the
    /// replacement because the nonce was mined meanwhile.
    async fn replace(
        &self,
        sent: &Signed,
        max_fee: u128,
        tip: u128,
        urgency: Urgency,
        why: &'static str,
    ) -> Result<Option<Signed>> {
        let mut replacement = self
            .sign(
                sent.request
                    .clone()
                    .with_max_fee_per_gas(max_fee)
                    .with_max_priority_fee_per_gas(tip),
            )
            .await?;
        replacement.urgency = urgency;
        match self.send_raw(replacement.hash, &replacement.raw).await {
            Ok(()) => {
                tracing::info!(
                    replaced = %sent.hash,
                    hash = %replacement.hash,
                    nonce = sent.request.nonce.unwrap_or_default(),
                    max_fee,
                    tip,
                    "{why}"
                );
                Ok(Some(replacement))
            }
            Err(ChainError::NonceTaken { .. } | ChainError::Underpriced { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// A transaction as signed: what a resend or a replacement needs.
#[derive(Debug, Clone)]
struct Signed {
    hash: B256,
    raw: Bytes,
    /// The request signed: nonce, gas limit and fees set.
    request: TransactionRequest,
    /// The urgency it was priced for.
    urgency: Urgency,
}

impl Signed {
    /// Its max fee and tip.
    fn fees(&self) -> (u128, u128) {
        (
            self.request.max_fee_per_gas.unwrap_or_default(),
            self.request.max_priority_fee_per_gas.unwrap_or_default(),
        )
    }
}

/// `estimate` with its max fee at least [`BASE_FEE_MULTIPLE`] times `base_fee` above the tip.
fn above_base_fee(estimate: Eip1559Estimation, base_fee: u128) -> Eip1559Estimation {
    let floor = base_fee
        .saturating_mul(BASE_FEE_MULTIPLE)
        .saturating_add(estimate.max_priority_fee_per_gas);
    Eip1559Estimation { max_fee_per_gas: estimate.max_fee_per_gas.max(floor), ..estimate }
}

/// `estimate` priced for a deadline: its tip doubled, and at least [`DEADLINE_TIP_EXTRA`] more;
/// its max fee at least [`DEADLINE_BASE_FEE_MULTIPLE`] times `base_fee` above that tip.
fn deadline_price(estimate: Eip1559Estimation, base_fee: u128) -> Eip1559Estimation {
    let tip = estimate
        .max_priority_fee_per_gas
        .saturating_mul(2)
        .max(estimate.max_priority_fee_per_gas.saturating_add(DEADLINE_TIP_EXTRA));
    let floor = base_fee.saturating_mul(DEADLINE_BASE_FEE_MULTIPLE).saturating_add(tip);
    Eip1559Estimation {
        max_fee_per_gas: estimate.max_fee_per_gas.max(floor),
        max_priority_fee_per_gas: tip,
    }
}

/// The fees of a replacement of a transaction priced `max_fee` and `tip` that must now go at
/// `price`: at least `price`, and both at least an eighth above the old (what a node requires of a
/// replacement).
fn raised(max_fee: u128, tip: u128, price: Eip1559Estimation) -> (u128, u128) {
    (bump(max_fee).max(price.max_fee_per_gas), bump(tip).max(price.max_priority_fee_per_gas))
}

/// `fee` plus an eighth, and one: the least a node takes as a replacement's price.
fn bump(fee: u128) -> u128 {
    fee.saturating_add(fee / 8).saturating_add(1)
}

/// The fees of a replacement of a transaction priced `max_fee` and `tip` now that the base fee is
/// `base_fee`; `None` while the next block could still take it (its max fee covers a full block's
/// 12.5 % rise). Both rise by at least an eighth, which nodes require of a replacement (geth and
/// anvil: a tenth), and the max fee to [`BASE_FEE_MULTIPLE`] times the base fee above the new tip.
fn repriced(max_fee: u128, tip: u128, base_fee: u128) -> Option<(u128, u128)> {
    if max_fee >= base_fee.saturating_add(base_fee / 8) {
        return None;
    }
    let tip = bump(tip);
    let max_fee = bump(max_fee).max(base_fee.saturating_mul(BASE_FEE_MULTIPLE).saturating_add(tip));
    Some((max_fee, tip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_max_fee_is_kept_above_the_latest_base_fee() {
        let estimate = Eip1559Estimation { max_fee_per_gas: 100, max_priority_fee_per_gas: 1 };
        assert_eq!(above_base_fee(estimate, 20).max_fee_per_gas, 100, "the estimate covers it");
        let lagging = above_base_fee(estimate, 80);
        assert_eq!(lagging.max_fee_per_gas, 241, "three times the base fee, and the tip");
        assert_eq!(lagging.max_priority_fee_per_gas, 1);
    }

    #[test]
    fn a_transaction_is_replaced_only_once_the_base_fee_passes_it_and_then_costs_more() {
        assert_eq!(repriced(113, 1, 100), None, "the next block can still take it");
        let (max_fee, tip) = repriced(111, 8, 100).expect("a full block would pass it");
        assert!(tip * 10 >= 8 * 11, "a node takes a replacement only a tenth dearer: {tip}");
        assert!(max_fee * 10 >= 111 * 11, "{max_fee}");
        assert_eq!(max_fee, 3 * 100 + tip, "room for nine more full blocks");
        let (max_fee, _) = repriced(1_000, 8, 1_000).expect("passed");
        assert_eq!(max_fee, 3_000 + 10, "three times the base fee, above a bump of an eighth");
        let (max_fee, tip) = repriced(u128::MAX - 1, u128::MAX, u128::MAX).expect("passed");
        assert_eq!((max_fee, tip), (u128::MAX, u128::MAX), "saturates, never wraps");
    }

    #[test]
    fn a_deadline_outbids_every_normal_price_of_the_last_ten_full_blocks() {
        let base_fee = 1_000_000_000_000; // 1 000 gwei
        let estimate =
            Eip1559Estimation { max_fee_per_gas: 2 * base_fee + 1, max_priority_fee_per_gas: 1 };
        let fees = Fees { estimate: above_base_fee(estimate, base_fee), base_fee };
        let deadline = Urgency::Deadline.price(fees);
        let normal = Urgency::Normal.price(fees);
        assert_eq!(normal, fees.estimate, "a normal transaction goes at the estimate");
        assert_eq!(
            deadline.max_priority_fee_per_gas,
            1 + DEADLINE_TIP_EXTRA,
            "a gwei above the tip"
        );
        // Ten full blocks raise the base fee by 1.125^10 ≈ 3.25: a normal transaction priced then
        // still asks less than this one.
        let later_base_fee = base_fee * 325 / 100;
        let later = above_base_fee(estimate, later_base_fee);
        assert!(deadline.max_fee_per_gas > later.max_fee_per_gas, "{deadline:?} vs {later:?}");
        let high_tip = Eip1559Estimation {
            max_fee_per_gas: 0,
            max_priority_fee_per_gas: 5 * DEADLINE_TIP_EXTRA,
        };
        assert_eq!(
            deadline_price(high_tip, 0).max_priority_fee_per_gas,
            10 * DEADLINE_TIP_EXTRA,
            "a high tip is doubled"
        );
    }

    #[test]
    fn a_transaction_raised_behind_a_deadline_pays_the_deadline_price_and_a_replacement_margin() {
        let price = Eip1559Estimation { max_fee_per_gas: 10_000, max_priority_fee_per_gas: 100 };
        assert_eq!(raised(3_000, 1, price), (10_000, 100), "the deadline's price, above the old");
        let (max_fee, tip) = raised(9_990, 99, price);
        assert!(
            max_fee * 10 >= 9_990 * 11 && tip * 10 >= 99 * 11,
            "a tenth dearer: {max_fee}, {tip}"
        );
    }
}
