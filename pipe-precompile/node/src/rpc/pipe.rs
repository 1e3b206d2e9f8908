//! The `pipe_` namespace: the PIPE results a block committed to, one result by request id, and the
//! models the node can run.

use alloy_eips::BlockId;
use alloy_primitives::B256;
use serde_json::{Value, json};
use verigrad_inference::{ModelOutput, Number};
use verigrad_pipe::{Resolution, output_hash};

use super::{RpcError, eth, ok, param};
use crate::{network::InferenceSource, node::Node};

/// A fixed-point number as a decimal string: `(12345, 3)` → `"12.345"`.
fn decimal(number: &Number) -> String {
    let (value, decimals) = (number.value, number.decimals);
    if decimals <= 0 {
        let scale = 10i128.checked_pow(decimals.unsigned_abs().min(38) as u32).unwrap_or(i128::MAX);
        return value.saturating_mul(scale).to_string();
    }
    let digits = value.unsigned_abs().to_string();
    let places = decimals.min(76) as usize;
    let padded = format!("{digits:0>width$}", width = places + 1);
    let (whole, fraction) = padded.split_at(padded.len() - places);
    format!("{}{whole}.{fraction}", if value < 0 { "-" } else { "" })
}

fn output_json(output: &ModelOutput) -> Value {
    let numbers: Vec<Value> = output
        .numbers
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "shape": t.shape,
                "values": t.values.iter().map(decimal).collect::<Vec<_>>(),
            })
        })
        .collect();
    let strings: Vec<Value> =
        output.strings.iter().map(|t| json!({ "name": t.name, "values": t.values })).collect();
    json!({ "numbers": numbers, "strings": strings })
}

fn result_json(id: &B256, resolution: &Resolution) -> Value {
    let mut entry = json!({ "requestId": id, "outputHash": output_hash(resolution) });
    match resolution {
        Ok(answer) => {
            entry["status"] = json!("answered");
            entry["costUnits"] = json!(answer.cost_units);
            entry["output"] = output_json(&answer.output);
            if let Some(attestation) = &answer.attestation {
                let signatures: Vec<Value> = attestation
                    .signatures
                    .iter()
                    .map(|s| {
                        json!({
                            "worker": s.worker,
                            "outputHash": s.output_hash,
                            "signature": s.signature,
                        })
                    })
                    .collect();
                entry["attestation"] = json!({
                    "release": attestation.release,
                    "settlement": attestation.settlement,
                    "price": attestation.price.to_string(),
                    "signatures": signatures,
                });
            }
        }
        Err(failure) => {
            entry["status"] = json!("failed");
            entry["error"] = json!(failure.to_string());
            entry["revertData"] = json!(failure.revert_data());
        }
    }
    entry
}

/// `pipe_getBlockResults(block)`: the block's PIPE root and every result it used.
pub(super) fn block_results(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let id: BlockId = param(params, 0)?;
    let block = eth::resolve(&node.chain(), Some(id))?;
    let results: Vec<Value> =
        block.pipe.results.iter().map(|(id, resolution)| result_json(id, resolution)).collect();
    ok(json!({
        "blockNumber": format!("{:#x}", block.number()),
        "blockHash": block.hash,
        "pipeRoot": block.pipe_root(),
        "results": results,
    }))
}

/// `pipe_getResult(requestId)`: the latest block that committed the request, and its result.
pub(super) fn result(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let id: B256 = param(params, 0)?;
    let chain = node.chain();
    let found = chain.blocks().iter().rev().find_map(|block| {
        block.pipe.results.get(&id).map(|resolution| (block.clone(), resolution.clone()))
    });
    match found {
        Some((block, resolution)) => {
            let mut entry = result_json(&id, &resolution);
            entry["blockNumber"] = json!(format!("{:#x}", block.number()));
            entry["blockHash"] = json!(block.hash);
            ok(entry)
        }
        None => ok(Value::Null),
    }
}

/// `pipe_models`: the packages the node runs.
pub(super) fn models(node: &Node) -> Result<Value, RpcError> {
    let runtime = node.runtime();
    let models: Vec<Value> = runtime
        .ids()
        .filter_map(|id| {
            let manifest = runtime.manifest(&id.to_string()).ok()?;
            Some(json!({
                "id": id,
                "name": format!("{}@{}", manifest.name, manifest.version),
                "determinism": manifest.determinism,
                "costUnits": manifest.cost_units,
                "inputs": manifest.inputs,
                "outputs": manifest.outputs,
            }))
        })
        .collect();
    ok(models)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_numbers_print_as_decimals() {
        assert_eq!(decimal(&Number::new(12345, 3)), "12.345");
        assert_eq!(decimal(&Number::new(-5, 2)), "-0.05");
        assert_eq!(decimal(&Number::new(7, 0)), "7");
        assert_eq!(decimal(&Number::new(7, -2)), "700");
        assert_eq!(decimal(&Number::new(0, 1)), "0.0");
    }
}

/// `pipe_setInference("auto" | "network" | "local")`: where answers come from from now on (a
/// development switch, like anvil's; the benchmark compares the two on one chain).
pub(super) fn set_inference(node: &Node, params: &[Value]) -> Result<Value, RpcError> {
    let name: String = param(params, 0)?;
    let source = <InferenceSource as clap::ValueEnum>::from_str(&name, true).map_err(|_| {
        RpcError::new(-32602, format!("unknown inference source {name:?}: auto, network or local"))
    })?;
    node.network().set_source(source);
    ok(format!("{source:?}").to_lowercase())
}
