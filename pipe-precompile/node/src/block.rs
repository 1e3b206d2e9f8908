//! A block: built from executed transactions (sealing), kept in memory for the RPC, and stored.

use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Eip658Value, Header, Receipt, ReceiptEnvelope, Transaction, TxEnvelope,
    TxReceipt,
    proofs::{calculate_receipt_root, calculate_transaction_root},
    transaction::Recovered,
};
use alloy_eips::{
    eip2718::{Decodable2718, Encodable2718},
    eip7685::EMPTY_REQUESTS_HASH,
};
use alloy_primitives::{Address, B64, B256, Bloom, Bytes, U256, keccak256};
use alloy_trie::EMPTY_ROOT_HASH;
use revm::context::{BlockEnv, result::ExecutionResult};
use verigrad_pipe::PipeCommitment;

use crate::{
    codec::{CodecError, StoredBlock, load_commitment, store_commitment},
    genesis::Genesis,
    state::{StateDb, state_root},
};

/// A Prague header with nothing in it: no ommers, transactions, withdrawals, blobs or EIP-7685 requests
/// (this chain has no consensus layer, so the beacon root is zero).
fn empty_header() -> Header {
    Header {
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        nonce: B64::ZERO,
        withdrawals_root: Some(EMPTY_ROOT_HASH),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}

/// A block as the node serves it.
#[derive(Debug, Clone)]
pub struct BlockRecord {
    /// The header's hash.
    pub hash: B256,
    /// The consensus header.
    pub header: Header,
    /// The transactions with their senders.
    pub transactions: Vec<Recovered<TxEnvelope>>,
    /// One receipt per transaction.
    pub receipts: Vec<ReceiptEnvelope>,
    /// The PIPE results the block used (its root is the header's `extra_data`).
    pub pipe: PipeCommitment,
}

impl BlockRecord {
    /// Block 0.
    pub fn genesis(genesis: &Genesis, state: &StateDb) -> Self {
        let header = Header {
            state_root: state_root(state),
            gas_limit: genesis.gas_limit,
            timestamp: genesis.timestamp,
            base_fee_per_gas: Some(genesis.base_fee),
            ..empty_header()
        };
        Self::from_parts(header, Vec::new(), Vec::new(), PipeCommitment::default())
    }

    fn from_parts(
        header: Header,
        transactions: Vec<Recovered<TxEnvelope>>,
        receipts: Vec<ReceiptEnvelope>,
        pipe: PipeCommitment,
    ) -> Self {
        Self { hash: header.hash_slow(), header, transactions, receipts, pipe }
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// The stored form.
    pub fn to_stored(&self) -> StoredBlock {
        StoredBlock {
            header: self.header.clone(),
            senders: self.transactions.iter().map(Recovered::signer).collect(),
            transactions: self.transactions.iter().map(|tx| tx.encoded_2718().into()).collect(),
            receipts: self.receipts.iter().map(|r| r.encoded_2718().into()).collect(),
            pipe: store_commitment(&self.pipe),
            settlement: self.pipe.settlement.unwrap_or_default(),
        }
    }

    /// A stored block read back.
    pub fn from_stored(stored: StoredBlock) -> Result<Self, CodecError> {
        if stored.senders.len() != stored.transactions.len() {
            return Err(alloy_rlp::Error::Custom("a sender per transaction").into());
        }
        let transactions = stored
            .transactions
            .iter()
            .zip(&stored.senders)
            .map(|(raw, sender)| {
                let tx = TxEnvelope::decode_2718(&mut raw.as_ref())
                    .map_err(|_| alloy_rlp::Error::Custom("transaction"))?;
                Ok(Recovered::new_unchecked(tx, *sender))
            })
            .collect::<Result<_, CodecError>>()?;
        let receipts = stored
            .receipts
            .iter()
            .map(|raw| {
                ReceiptEnvelope::decode_2718(&mut raw.as_ref())
                    .map_err(|_| alloy_rlp::Error::Custom("receipt").into())
            })
            .collect::<Result<_, CodecError>>()?;
        let pipe = load_commitment(&stored.pipe, stored.settlement)?;
        Ok(Self::from_parts(stored.header, transactions, receipts, pipe))
    }

    /// The environment of the block after this one.
    pub fn child_env(&self, timestamp: u64, beneficiary: Address) -> BlockEnv {
        BlockEnv {
            number: U256::from(self.number() + 1),
            beneficiary,
            timestamp: U256::from(timestamp.max(self.header.timestamp + 1)),
            gas_limit: self.header.gas_limit,
            basefee: self.header.base_fee_per_gas.unwrap_or_default(),
            difficulty: U256::ZERO,
            // Unpredictable enough for a local chain, and reproducible on replay.
            prevrandao: Some(keccak256(self.hash)),
            ..Default::default()
        }
    }

    /// Seals the block after `self` from its environment, its executed transactions, the state they
    /// lead to, and the PIPE results they used.
    pub fn seal_child(
        &self,
        env: &BlockEnv,
        executed: Vec<(Recovered<TxEnvelope>, ExecutionResult)>,
        state: &StateDb,
        pipe: PipeCommitment,
    ) -> Self {
        let mut cumulative = 0u64;
        let mut bloom = Bloom::default();
        let mut transactions = Vec::with_capacity(executed.len());
        let mut receipts = Vec::with_capacity(executed.len());
        for (tx, result) in executed {
            cumulative += result.tx_gas_used();
            let receipt = Receipt {
                status: Eip658Value::Eip658(result.is_success()),
                cumulative_gas_used: cumulative,
                logs: result.into_logs(),
            }
            .with_bloom();
            bloom |= receipt.bloom();
            receipts.push(ReceiptEnvelope::from_typed(tx.tx_type(), receipt));
            transactions.push(tx);
        }
        let envelopes: Vec<&TxEnvelope> = transactions.iter().map(Recovered::inner).collect();
        let pipe_root = pipe.root();
        let header = Header {
            parent_hash: self.hash,
            beneficiary: env.beneficiary,
            state_root: state_root(state),
            transactions_root: calculate_transaction_root(&envelopes),
            receipts_root: calculate_receipt_root(&receipts),
            logs_bloom: bloom,
            number: self.number() + 1,
            gas_limit: env.gas_limit,
            gas_used: cumulative,
            timestamp: env.timestamp.saturating_to(),
            // The PIPE root: what the block's inference answers were.
            extra_data: if pipe_root.is_zero() { Bytes::new() } else { pipe_root.0.into() },
            mix_hash: env.prevrandao.unwrap_or_default(),
            base_fee_per_gas: Some(env.basefee),
            ..empty_header()
        };
        Self::from_parts(header, transactions, receipts, pipe)
    }

    /// The PIPE root the header carries.
    pub fn pipe_root(&self) -> B256 {
        B256::try_from(self.header.extra_data.as_ref()).unwrap_or_default()
    }

    /// Gas used by transaction `index` alone.
    pub fn gas_used(&self, index: usize) -> u64 {
        let before = index.checked_sub(1).map_or(0, |i| self.receipts[i].cumulative_gas_used());
        self.receipts[index].cumulative_gas_used() - before
    }

    /// The price per gas transaction `index` paid.
    pub fn effective_gas_price(&self, index: usize) -> u128 {
        self.transactions[index].effective_gas_price(self.header.base_fee_per_gas)
    }
}
