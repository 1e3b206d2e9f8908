//! The JSON-RPC 2.0 front: request envelopes and batches, errors, and the method table (`eth_`, `net_`,
//! `web3_`, the dev methods `evm_mine`/`anvil_mine`, and the `pipe_` namespace).

mod eth;
mod filters;
mod format;
mod pipe;

use std::sync::{Arc, Mutex, PoisonError};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub use filters::Filters;

use crate::node::Node;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct RpcError {
    /// The error code.
    pub code: i64,
    /// The message.
    pub message: String,
    /// Revert data, for reverted calls.
    pub data: Option<Value>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }

    /// `-32602`: the parameters are wrong.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(-32602, message)
    }

    /// `-32000`: the request is well-formed but cannot be served (geth's code for invalid transactions).
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(-32000, message)
    }

    /// `3`: execution reverted, with the revert data (what `cast`, forge, viem and alloy decode).
    pub fn reverted(output: &[u8]) -> Self {
        use alloy_sol_types::{Panic, Revert, SolError};
        // Only `Error(string)` and `Panic(uint256)` carry a reason; custom errors are left to the
        // caller's ABI, from `data`.
        let message = if let Ok(revert) = Revert::abi_decode(output) {
            format!("execution reverted: {}", revert.reason)
        } else if let Ok(panic) = Panic::abi_decode(output) {
            format!("execution reverted: {panic}")
        } else {
            "execution reverted".to_string()
        };
        Self {
            code: 3,
            message,
            data: Some(Value::String(alloy_primitives::hex::encode_prefixed(output))),
        }
    }
}

/// The JSON-RPC service of one node.
#[derive(Debug)]
pub struct Rpc {
    node: Arc<Node>,
    filters: Mutex<Filters>,
}

impl Rpc {
    /// The service for `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Self { node, filters: Mutex::default() }
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Answers a request body: one request, or a batch. `None` when there is nothing to answer (only
    /// notifications).
    pub fn handle_body(&self, body: &[u8]) -> Option<Value> {
        let request: Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(e) => {
                return Some(response(
                    Value::Null,
                    Err(RpcError::new(-32700, format!("parse error: {e}"))),
                ));
            }
        };
        match request {
            Value::Array(batch) if batch.is_empty() => {
                Some(response(Value::Null, Err(RpcError::new(-32600, "empty batch"))))
            }
            Value::Array(batch) => {
                let answers: Vec<Value> =
                    batch.into_iter().filter_map(|r| self.handle_one(r)).collect();
                (!answers.is_empty()).then_some(Value::Array(answers))
            }
            single => self.handle_one(single),
        }
    }

    fn handle_one(&self, request: Value) -> Option<Value> {
        let Value::Object(mut fields) = request else {
            return Some(response(Value::Null, Err(RpcError::new(-32600, "invalid request"))));
        };
        let id = fields.remove("id");
        let Some(Value::String(method)) = fields.remove("method") else {
            return Some(response(
                id.unwrap_or_default(),
                Err(RpcError::new(-32600, "missing method")),
            ));
        };
        let params = match fields.remove("params") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(params)) => params,
            Some(_) => {
                let error = RpcError::invalid_params("params must be an array");
                return Some(response(id.unwrap_or_default(), Err(error)));
            }
        };
        let result = self.dispatch(&method, &params);
        if let Err(e) = &result {
            tracing::debug!(method, error = %e, "rpc error");
        }
        // A request without an id is a notification: no answer.
        id.map(|id| response(id, result))
    }

    fn dispatch(&self, method: &str, params: &[Value]) -> Result<Value, RpcError> {
        let node = &self.node;
        match method {
            "web3_clientVersion" => ok(format!("pipe-node/{}", env!("CARGO_PKG_VERSION"))),
            "web3_sha3" => eth::sha3(params),
            "net_version" => ok(node.chain_id().to_string()),
            "net_listening" => ok(true),
            "net_peerCount" => ok("0x0"),
            "eth_chainId" => ok(format!("{:#x}", node.chain_id())),
            "eth_syncing" | "eth_mining" => ok(false),
            "eth_hashrate" => ok("0x0"),
            "eth_coinbase" => ok(alloy_primitives::Address::ZERO),
            "eth_accounts" => ok(node.accounts()),
            "eth_blockNumber" => ok(format!("{:#x}", node.chain().head().number())),
            "eth_gasPrice" => eth::gas_price(node),
            "eth_maxPriorityFeePerGas" => ok(format!("{:#x}", crate::node::SUGGESTED_TIP)),
            "eth_blobBaseFee" => ok("0x1"),
            "eth_feeHistory" => eth::fee_history(node, params),
            "eth_getBalance" => eth::balance(node, params),
            "eth_getTransactionCount" => eth::transaction_count(node, params),
            "eth_getCode" => eth::code(node, params),
            "eth_getStorageAt" => eth::storage_at(node, params),
            "eth_getAccountInfo" => eth::account_info(node, params),
            "eth_call" => eth::call(node, params),
            "eth_estimateGas" => eth::estimate_gas(node, params),
            "eth_sendRawTransaction" => eth::send_raw_transaction(node, params),
            "eth_sendTransaction" => eth::send_transaction(node, params),
            "eth_getTransactionByHash" => eth::transaction_by_hash(node, params),
            "eth_getTransactionReceipt" => eth::receipt(node, params),
            "eth_getBlockByNumber" | "eth_getBlockByHash" => eth::block(node, params),
            "eth_getBlockReceipts" => eth::block_receipts(node, params),
            "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => {
                eth::block_transaction_count(node, params)
            }
            "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
                eth::transaction_by_block_and_index(node, params)
            }
            "eth_getUncleCountByBlockNumber" | "eth_getUncleCountByBlockHash" => ok("0x0"),
            "eth_getLogs" => eth::logs(node, params),
            "eth_newFilter" => self.filters().new_logs(node, params),
            "eth_newBlockFilter" => ok(self.filters().new_blocks(node)),
            "eth_newPendingTransactionFilter" => ok(self.filters().new_pending()),
            "eth_getFilterChanges" => self.filters().changes(node, params),
            "eth_getFilterLogs" => self.filters().all_logs(node, params),
            "eth_uninstallFilter" => self.filters().uninstall(params),
            "evm_mine" => eth::mine(node, &[]),
            "anvil_mine" => eth::mine(node, params),
            "evm_setAutomine" | "anvil_setAutomine" => {
                node.set_automine(param(params, 0)?);
                ok(true)
            }
            "txpool_status" => ok(json!({
                "pending": format!("{:#x}", node.pool().len()),
                "queued": "0x0",
            })),
            "pipe_getBlockResults" => pipe::block_results(node, params),
            "pipe_getResult" => pipe::result(node, params),
            "pipe_models" => pipe::models(node),
            "pipe_setInference" => pipe::set_inference(node, params),
            _ => Err(RpcError::new(
                -32601,
                format!("the method {method} does not exist/is not available"),
            )),
        }
    }

    fn filters(&self) -> std::sync::MutexGuard<'_, Filters> {
        self.filters.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn ok(value: impl serde::Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| RpcError::new(-32603, e.to_string()))
}

#[allow(clippy::needless_pass_by_value)] // `json!` moves what it is given
fn response(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => {
            let mut object = json!({ "code": error.code, "message": error.message });
            if let Some(data) = error.data {
                object["data"] = data;
            }
            json!({ "jsonrpc": "2.0", "id": id, "error": object })
        }
    }
}

/// Parameter `index`, required.
fn param<T: DeserializeOwned>(params: &[Value], index: usize) -> Result<T, RpcError> {
    let value = params
        .get(index)
        .ok_or_else(|| RpcError::invalid_params(format!("missing parameter {index}")))?;
    serde_json::from_value(value.clone())
        .map_err(|e| RpcError::invalid_params(format!("parameter {index}: {e}")))
}

/// Parameter `index`, optional (absent or null).
fn opt_param<T: DeserializeOwned>(params: &[Value], index: usize) -> Result<Option<T>, RpcError> {
    match params.get(index) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => param(params, index).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialise_with_code_message_and_data() {
        let reverted = RpcError::reverted(&[0xde, 0xad]);
        let value = response(json!(1), Err(reverted));
        assert_eq!(value["error"]["code"], 3);
        assert_eq!(value["error"]["message"], "execution reverted");
        assert_eq!(value["error"]["data"], "0xdead");
        let ok = response(json!("a"), Ok(json!("0x1")));
        assert_eq!(ok, json!({"jsonrpc": "2.0", "id": "a", "result": "0x1"}));
    }

    #[test]
    fn parameters_are_checked() {
        let params = vec![json!("0x10"), Value::Null];
        assert_eq!(param::<alloy_primitives::U64>(&params, 0).expect("valid").to::<u64>(), 16);
        assert_eq!(opt_param::<bool>(&params, 1).expect("valid"), None);
        assert_eq!(opt_param::<bool>(&params, 5).expect("valid"), None);
        assert_eq!(param::<bool>(&params, 3).expect_err("invalid").code, -32602);
        assert_eq!(param::<bool>(&params, 0).expect_err("invalid").code, -32602);
    }
}
