//! Blocks, transactions, receipts and logs in the shapes of the Ethereum JSON-RPC (alloy's RPC types,
//! which serialise exactly as clients expect).

use alloy_consensus::{ReceiptEnvelope, Transaction as _};
use alloy_primitives::U256;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};

use crate::block::BlockRecord;

/// A block; with `full`, its transactions as objects, else their hashes.
pub(super) fn block(record: &BlockRecord, full: bool) -> Block {
    let transactions = if full {
        BlockTransactions::Full(
            (0..record.transactions.len()).map(|i| transaction(record, i)).collect(),
        )
    } else {
        BlockTransactions::Hashes(record.transactions.iter().map(|tx| *tx.tx_hash()).collect())
    };
    let size = alloy_rlp::encode(&record.header).len()
        + record
            .transactions
            .iter()
            .map(|tx| alloy_eips::eip2718::Encodable2718::encode_2718_len(tx.inner()))
            .sum::<usize>();
    let header = Header {
        hash: record.hash,
        inner: record.header.clone(),
        total_difficulty: Some(U256::ZERO),
        size: Some(U256::from(size)),
    };
    Block::new(header, transactions).with_withdrawals(Some(Default::default()))
}

/// Transaction `index` of a block.
pub(super) fn transaction(record: &BlockRecord, index: usize) -> Transaction {
    Transaction {
        inner: record.transactions[index].clone(),
        block_hash: Some(record.hash),
        block_number: Some(record.number()),
        transaction_index: Some(index as u64),
        effective_gas_price: Some(record.effective_gas_price(index)),
        block_timestamp: Some(record.header.timestamp),
    }
}

/// Index of a block's first log of transaction `index`.
fn first_log_index(record: &BlockRecord, index: usize) -> u64 {
    record.receipts[..index].iter().map(|r| r.logs().len() as u64).sum()
}

/// Transaction `index`'s logs with their positions.
pub(super) fn logs(record: &BlockRecord, index: usize) -> Vec<Log> {
    let first = first_log_index(record, index);
    record.receipts[index]
        .logs()
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(record.hash),
            block_number: Some(record.number()),
            block_timestamp: Some(record.header.timestamp),
            transaction_hash: Some(*record.transactions[index].tx_hash()),
            transaction_index: Some(index as u64),
            log_index: Some(first + i as u64),
            removed: false,
        })
        .collect()
}

/// The receipt of transaction `index`.
pub(super) fn receipt(record: &BlockRecord, index: usize) -> TransactionReceipt {
    let tx = &record.transactions[index];
    let stored = &record.receipts[index];
    let inner: ReceiptEnvelope<Log> = stored.clone().map_logs({
        let mut positioned = logs(record, index).into_iter();
        move |_| positioned.next().unwrap_or_default()
    });
    TransactionReceipt {
        inner,
        transaction_hash: *tx.tx_hash(),
        transaction_index: Some(index as u64),
        block_hash: Some(record.hash),
        block_number: Some(record.number()),
        gas_used: record.gas_used(index),
        effective_gas_price: record.effective_gas_price(index),
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.signer(),
        to: tx.to(),
        contract_address: tx.is_create().then(|| tx.signer().create(tx.nonce())),
    }
}
