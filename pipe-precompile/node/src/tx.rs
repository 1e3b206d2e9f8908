//! Transactions into revm's transaction environment: signed ones for blocks, requests for `eth_call`.

use alloy_consensus::{Transaction, TxEnvelope, transaction::Recovered};
use alloy_primitives::{TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use revm::context::{TxEnv, either::Either};

/// The environment a signed transaction executes in.
pub fn signed_tx_env(tx: &Recovered<TxEnvelope>) -> TxEnv {
    let inner = tx.inner();
    TxEnv {
        tx_type: inner.tx_type() as u8,
        caller: tx.signer(),
        gas_limit: inner.gas_limit(),
        gas_price: inner.max_fee_per_gas(),
        gas_priority_fee: inner.max_priority_fee_per_gas(),
        kind: inner.kind(),
        value: inner.value(),
        data: inner.input().clone(),
        nonce: inner.nonce(),
        chain_id: inner.chain_id(),
        access_list: inner.access_list().cloned().unwrap_or_default(),
        blob_hashes: inner.blob_versioned_hashes().map(<[_]>::to_vec).unwrap_or_default(),
        max_fee_per_blob_gas: inner.max_fee_per_blob_gas().unwrap_or_default(),
        authorization_list: inner
            .authorization_list()
            .map(|list| list.iter().cloned().map(Either::Left).collect())
            .unwrap_or_default(),
    }
}

/// The environment of a call or gas estimate. Fees default to zero (calls skip the base-fee check);
/// the gas limit defaults to `gas_cap`, and is capped by it.
pub fn call_tx_env(request: &TransactionRequest, gas_cap: u64, chain_id: u64) -> TxEnv {
    let gas_price = request.gas_price.or(request.max_fee_per_gas).unwrap_or_default();
    // A request with neither gas price nor fee cap is legacy-shaped (type 0); a fee cap makes it 1559.
    let tx_type = match (request.max_fee_per_gas, request.authorization_list.is_some()) {
        (_, true) => 4,
        (Some(_), false) => 2,
        (None, false) if request.access_list.is_some() => 1,
        _ => 0,
    };
    TxEnv {
        tx_type,
        caller: request.from.unwrap_or_default(),
        gas_limit: request.gas.unwrap_or(gas_cap).min(gas_cap),
        gas_price,
        gas_priority_fee: request.max_priority_fee_per_gas.filter(|_| tx_type >= 2),
        kind: request.to.unwrap_or(TxKind::Create),
        value: request.value.unwrap_or(U256::ZERO),
        data: request.input.input().cloned().unwrap_or_default(),
        nonce: request.nonce.unwrap_or_default(),
        chain_id: Some(chain_id),
        access_list: request.access_list.clone().unwrap_or_default(),
        blob_hashes: Vec::new(),
        max_fee_per_blob_gas: 0,
        authorization_list: request
            .authorization_list
            .iter()
            .flatten()
            .cloned()
            .map(Either::Left)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes, address};
    use alloy_rpc_types_eth::TransactionInput;

    use super::*;

    #[test]
    fn call_requests_default_to_a_free_legacy_call_capped_by_the_gas_cap() {
        let to = address!("00000000000000000000000000000000000000F4");
        let request = TransactionRequest {
            to: Some(TxKind::Call(to)),
            gas: Some(u64::MAX),
            input: TransactionInput::new(Bytes::from_static(&[1, 2])),
            ..Default::default()
        };
        let env = call_tx_env(&request, 30_000_000, 7);
        assert_eq!(env.tx_type, 0);
        assert_eq!(env.gas_limit, 30_000_000);
        assert_eq!(env.gas_price, 0);
        assert_eq!(env.caller, Address::ZERO);
        assert_eq!(env.kind, TxKind::Call(to));
        assert_eq!(env.data.as_ref(), &[1, 2]);
        assert_eq!(env.chain_id, Some(7));

        let eip1559 = TransactionRequest {
            max_fee_per_gas: Some(5),
            max_priority_fee_per_gas: Some(1),
            ..Default::default()
        };
        let env = call_tx_env(&eip1559, 1_000, 7);
        assert_eq!((env.tx_type, env.gas_price, env.gas_priority_fee), (2, 5, Some(1)));
        assert_eq!(env.kind, TxKind::Create);
    }
}
