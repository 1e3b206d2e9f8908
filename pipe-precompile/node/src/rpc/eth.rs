//! The `eth_` methods (and `web3_sha3`, `evm_mine`).

use std::sync::Arc;

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use alloy_rpc_types_eth::{FeeHistory, Filter, FilterBlockOption, TransactionRequest};
use revm::{context::result::ExecutionResult, database::DatabaseRef};
use serde_json::{Value, json};

use super::{RpcError, format, ok, opt_param, param};
use crate::{
    block::BlockRecord,
    call::CallError,
    chain::Chain,
    node::{Node, NodeError, SUGGESTED_TIP, nonce_of},
    state::StateDb,
    tx::call_tx_env,
};

/// The block a `BlockId` names ("pending" and the finality tags are the head: one node, instant
/// finality).
pub(super) fn resolve(chain: &Chain, id: Option<BlockId>) -> Result<Arc<BlockRecord>, RpcError> {
    let not_found = || RpcError::server("block not found");
    let block = match id.unwrap_or_default() {
        BlockId::Hash(hash) => chain.block_by_hash(&hash.block_hash),
        BlockId::Number(BlockNumberOrTag::Number(n)) => chain.block(n),
        BlockId::Number(BlockNumberOrTag::Earliest) => chain.block(0),
        BlockId::Number(_) => Some(chain.head()),
    };
    block.cloned().ok_or_else(not_found)
}

/// The state after the block `id` names, with that block.
fn state_at(
    node: &Node,
    id: Option<BlockId>,
) -> Result<(Arc<BlockRecord>, Arc<StateDb>), RpcError> {
    let chain = node.chain();
    let block = resolve(&chain, id)?;
    let state = chain.state_at(block.number()).ok_or_else(|| {
        RpcError::server(format!("state of block {} is no longer kept", block.number()))
    })?;
    Ok((block, state))
}

fn node_error(e: &NodeError) -> RpcError {
    RpcError::server(e.to_string())
}

pub(super) fn sha3(params: &[Value]) -> Result<Value, RpcError> {
    ok(keccak256(param::<Bytes>(params, 0)?))
}

pub(super) fn gas_price(node: &Node) -> Result<Value, RpcError> {
    let base_fee = node.chain().head().header.base_fee_per_gas.unwrap_or_default();
    ok(format!("{:#x}", u128::from(base_fee) + SUGGESTED_TIP))
}

pub(super) fn fee_history(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let count = param::<U64>(params, 0)?.to::<u64>().clamp(1, 1024);
    let chain = node.chain();
    let newest = resolve(&chain, Some(BlockId::Number(param(params, 1)?)))?.number();
    let percentiles: Option<Vec<f64>> = opt_param(params, 2)?;
    let oldest = newest.saturating_sub(count - 1);
    let blocks: Vec<&Arc<BlockRecord>> = (oldest..=newest).filter_map(|n| chain.block(n)).collect();
    let base_fee = |b: &BlockRecord| u128::from(b.header.base_fee_per_gas.unwrap_or_default());
    let mut base_fees: Vec<u128> = blocks.iter().map(|b| base_fee(b)).collect();
    // The next block's base fee: constant on this chain.
    base_fees.push(blocks.last().map_or(0, |b| base_fee(b)));
    let history = FeeHistory {
        oldest_block: oldest,
        gas_used_ratio: blocks
            .iter()
            .map(|b| b.header.gas_used as f64 / b.header.gas_limit.max(1) as f64)
            .collect(),
        reward: percentiles.map(|p| vec![vec![SUGGESTED_TIP; p.len()]; blocks.len()]),
        base_fee_per_blob_gas: vec![1; blocks.len() + 1],
        blob_gas_used_ratio: vec![0.0; blocks.len()],
        base_fee_per_gas: base_fees,
    };
    ok(history)
}

pub(super) fn balance(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let address: Address = param(params, 0)?;
    let (_, state) = state_at(node, opt_param(params, 1)?)?;
    ok(crate::node::balance_of(&state, address))
}

pub(super) fn transaction_count(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let address: Address = param(params, 0)?;
    let id: Option<BlockId> = opt_param(params, 1)?;
    let (_, state) = state_at(node, id)?;
    let mut nonce = nonce_of(&state, address);
    if id == Some(BlockId::Number(BlockNumberOrTag::Pending)) {
        nonce = node.pool().next_nonce(address, nonce);
    }
    ok(format!("{nonce:#x}"))
}

fn code_of(state: &StateDb, address: Address) -> Bytes {
    state
        .basic_ref(address)
        .ok()
        .flatten()
        .and_then(|info| info.code.or_else(|| state.code_by_hash_ref(info.code_hash).ok()))
        .map(|code| code.original_bytes())
        .unwrap_or_default()
}

pub(super) fn code(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let address: Address = param(params, 0)?;
    let (_, state) = state_at(node, opt_param(params, 1)?)?;
    ok(code_of(&state, address))
}

pub(super) fn storage_at(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let address: Address = param(params, 0)?;
    let slot: U256 = param(params, 1)?;
    let (_, state) = state_at(node, opt_param(params, 2)?)?;
    let value = state.storage_ref(address, slot).unwrap_or_default();
    ok(B256::from(value))
}

pub(super) fn account_info(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let address: Address = param(params, 0)?;
    let (_, state) = state_at(node, opt_param(params, 1)?)?;
    ok(json!({
        "balance": crate::node::balance_of(&state, address),
        "nonce": format!("{:#x}", nonce_of(&state, address)),
        "code": code_of(&state, address),
    }))
}

fn execution_error(result: &ExecutionResult) -> RpcError {
    match result {
        ExecutionResult::Revert { output, .. } => RpcError::reverted(output),
        ExecutionResult::Halt { reason, .. } => {
            RpcError::server(format!("execution halted: {reason:?}"))
        }
        ExecutionResult::Success { .. } => RpcError::server("unexpected success"),
    }
}

pub(super) fn call(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let request: TransactionRequest = param(params, 0)?;
    if params.get(2).is_some_and(|overrides| !overrides.is_null()) {
        return Err(RpcError::invalid_params("state overrides are not supported"));
    }
    let (block, state) = state_at(node, opt_param(params, 1)?)?;
    let context = node.call_context(&state, &block);
    let tx = call_tx_env(&request, block.header.gas_limit, node.chain_id());
    match context.transact(tx).map_err(RpcError::server)? {
        ExecutionResult::Success { output, .. } => ok(output.into_data()),
        failed => Err(execution_error(&failed)),
    }
}

pub(super) fn estimate_gas(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let request: TransactionRequest = param(params, 0)?;
    let (block, state) = state_at(node, opt_param(params, 1)?)?;
    let context = node.call_context(&state, &block);
    let tx = call_tx_env(&request, block.header.gas_limit, node.chain_id());
    match context.estimate_gas(tx) {
        Ok(gas) => ok(format!("{gas:#x}")),
        Err(CallError::Invalid(reason)) => Err(RpcError::server(reason)),
        Err(CallError::Failed(result)) => Err(execution_error(&result)),
    }
}

pub(super) fn send_raw_transaction(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let raw: Bytes = param(params, 0)?;
    ok(node.submit_raw(&raw).map_err(|e| node_error(&e))?)
}

pub(super) fn send_transaction(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    ok(node.send_transaction(param(params, 0)?).map_err(|e| node_error(&e))?)
}

pub(super) fn transaction_by_hash(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let hash: B256 = param(params, 0)?;
    if let Some((block, index)) = node.chain().transaction(&hash) {
        return ok(format::transaction(block, index));
    }
    match node.pool().get(&hash) {
        Some(pending) => ok(alloy_rpc_types_eth::Transaction {
            inner: (*pending).clone(),
            block_hash: None,
            block_number: None,
            transaction_index: None,
            effective_gas_price: None,
            block_timestamp: None,
        }),
        None => ok(Value::Null),
    }
}

pub(super) fn receipt(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let hash: B256 = param(params, 0)?;
    match node.chain().transaction(&hash) {
        Some((block, index)) => ok(format::receipt(block, index)),
        None => ok(Value::Null),
    }
}

/// `eth_getBlockByNumber` and `eth_getBlockByHash`: unknown blocks are `null`.
pub(super) fn block(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let id: BlockId = param(params, 0)?;
    let full: bool = opt_param(params, 1)?.unwrap_or(false);
    match resolve(&node.chain(), Some(id)) {
        Ok(block) => ok(format::block(&block, full)),
        Err(_) => ok(Value::Null),
    }
}

pub(super) fn block_receipts(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let Ok(block) = resolve(&node.chain(), Some(param(params, 0)?)) else { return ok(Value::Null) };
    ok((0..block.transactions.len()).map(|i| format::receipt(&block, i)).collect::<Vec<_>>())
}

pub(super) fn block_transaction_count(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let Ok(block) = resolve(&node.chain(), Some(param(params, 0)?)) else { return ok(Value::Null) };
    ok(format!("{:#x}", block.transactions.len()))
}

pub(super) fn transaction_by_block_and_index(
    node: &Node,
    params: &[Value],
) -> Result<Value, RpcError> {
    let index = param::<U64>(params, 1)?.to::<usize>();
    match resolve(&node.chain(), Some(param(params, 0)?)) {
        Ok(block) if index < block.transactions.len() => ok(format::transaction(&block, index)),
        _ => ok(Value::Null),
    }
}

/// The logs of blocks `from..=to` that match `filter`.
pub(super) fn matching_logs(
    chain: &Chain,
    filter: &Filter,
    from: u64,
    to: u64,
) -> Vec<alloy_rpc_types_eth::Log> {
    (from..=to)
        .filter_map(|n| chain.block(n))
        .filter(|block| filter.matches_bloom(block.header.logs_bloom))
        .flat_map(|block| (0..block.transactions.len()).flat_map(move |i| format::logs(block, i)))
        .filter(|log| filter.matches(&log.inner))
        .collect()
}

/// The block range a filter covers, given the head.
pub(super) fn filter_range(chain: &Chain, filter: &Filter) -> Result<(u64, u64), RpcError> {
    let head = chain.head().number();
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let block =
                chain.block_by_hash(&hash).ok_or_else(|| RpcError::server("block not found"))?;
            Ok((block.number(), block.number()))
        }
        FilterBlockOption::Range { from_block, to_block } => {
            let number = |tag: Option<BlockNumberOrTag>, default: u64| match tag {
                Some(BlockNumberOrTag::Number(n)) => n.min(head),
                Some(BlockNumberOrTag::Earliest) => 0,
                Some(_) => head,
                None => default,
            };
            Ok((number(from_block, head), number(to_block, head)))
        }
    }
}

pub(super) fn logs(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let filter: Filter = param(params, 0)?;
    let chain = node.chain();
    let (from, to) = filter_range(&chain, &filter)?;
    ok(matching_logs(&chain, &filter, from, to))
}

/// `evm_mine` / `anvil_mine [count]`: mines blocks now, with whatever is pending.
pub(super) fn mine(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let count = opt_param::<U64>(params, 0)?.map_or(1, |n| n.to::<u64>()).clamp(1, 10_000);
    for _ in 0..count {
        node.mine().map_err(|e| node_error(&e))?;
    }
    ok("0x0")
}
