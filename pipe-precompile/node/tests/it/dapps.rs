//! The example dApps on pipe-node: each transaction's model answer is used inside it and listed in its
//! block's PIPE results.

use alloy::{
    primitives::aliases::U96,
    primitives::{B256, I256, U256},
    providers::Provider,
};
use serde_json::json;
use verigrad_inference::{ModelInput, MultiDimensionalNumberTensor, Number as RuntimeNumber};

use crate::{
    RiskGate, SAFE_POSITION, Token, VolatilityFeeVault, address, deploy_examples, event,
    harness::{DEV_KEY, NodeProcess, foundry},
    mined, numbers, returns_window, runtime,
};

/// The model's first output, as the contract reads it: fixed point with `decimals` places.
fn expected_output(model: &str, tensor: &str, values: &[(i128, i128)], decimals: u32) -> I256 {
    let input = MultiDimensionalNumberTensor::new(
        tensor,
        values.iter().map(|(v, d)| RuntimeNumber::new(*v, *d)).collect(),
        vec![1, values.len() as u32],
    )
    .expect("tensor");
    let output = runtime().run(model, &ModelInput::numbers(vec![input])).expect("inference");
    let number = &output.numbers[0].values[0];
    let shift = i128::from(decimals) - number.decimals;
    let value = if shift >= 0 {
        number.value * 10i128.pow(shift as u32)
    } else {
        number.value / 10i128.pow((-shift) as u32)
    };
    I256::try_from(value).expect("fits")
}

#[tokio::test(flavor = "multi_thread")]
async fn example_dapps_use_the_answer_in_the_same_transaction_and_the_block_lists_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = NodeProcess::start(&dir.path().join("chain"), 31_401, 0.0).await;
    let runtime = runtime();
    let deployments = deploy_examples(&node, &runtime);
    let provider = node.provider();

    // The risk gate: a safe position opens, scored by the model inside the transaction.
    let gate = RiskGate::new(address(&deployments, "riskGate"), &provider);
    let receipt =
        mined(gate.openPosition(U96::from(300), U96::from(100), numbers(&SAFE_POSITION))).await;
    let opened: RiskGate::PositionOpened = event(&receipt);
    assert_eq!(opened.risk, expected_output("verigrad/risk", "features", &SAFE_POSITION, 6));
    assert_eq!(gate.positionCount().call().await.expect("count"), U256::from(1));

    // The block committed to that result: the request id is in `pipe_getBlockResults`, and the header's
    // extraData is the PIPE root.
    let number = receipt.block_number.expect("block number");
    let results = node.rpc("pipe_getBlockResults", json!([format!("{number:#x}")])).await;
    assert_eq!(results["results"].as_array().map(Vec::len), Some(1), "{results}");
    assert_eq!(results["results"][0]["status"], "answered");
    let block = provider.get_block_by_number(number.into()).await.expect("rpc").expect("block");
    let root: B256 = serde_json::from_value(results["pipeRoot"].clone()).expect("root");
    assert_eq!(block.header.extra_data.as_ref(), root.as_slice());
    assert!(!root.is_zero());
    let by_id = node.rpc("pipe_getResult", json!([results["results"][0]["requestId"]])).await;
    assert_eq!(by_id["blockNumber"], json!(format!("{number:#x}")));

    // The fee vault: the deposit fee is priced by the volatility forecast of the same transaction.
    let vault_address = address(&deployments, "volatilityFeeVault");
    let token = Token::new(address(&deployments, "token"), &provider);
    mined(token.approve(vault_address, U256::MAX)).await;
    let vault = VolatilityFeeVault::new(vault_address, &provider);
    let window = returns_window(1);
    let amount = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
    let receipt = mined(vault.deposit(amount, numbers(&window))).await;
    let deposited: VolatilityFeeVault::Deposited = event(&receipt);
    assert_eq!(deposited.volatility, expected_output("verigrad/volatility", "returns", &window, 8));
    assert!(deposited.fee > U256::ZERO);

    // cast needs nothing beyond --rpc-url (and a key to sign).
    let chain_id = foundry("cast", &["chain-id", "--rpc-url", &node.url], &[]);
    assert_eq!(chain_id.trim(), "31401");
    let gate_hex = gate.address().to_string();
    foundry(
        "cast",
        &[
            "send",
            &gate_hex,
            "openPosition(uint96,uint96,(int128,int128)[])",
            "300",
            "100",
            "[(300,2),(5,2),(20,2),(75,1),(40,1),(0,0),(1,3),(1,0)]",
            "--rpc-url",
            &node.url,
            "--private-key",
            DEV_KEY,
        ],
        &[],
    );
    let count = foundry(
        "cast",
        &["call", &gate_hex, "positionCount()(uint256)", "--rpc-url", &node.url],
        &[],
    );
    assert_eq!(count.trim(), "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_revert_with_decodable_pipe_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = NodeProcess::start(&dir.path().join("chain"), 31_402, 0.0).await;
    let deployments = deploy_examples(&node, &runtime());
    let provider = node.provider();
    let gate = RiskGate::new(address(&deployments, "riskGate"), &provider);

    // A malformed tensor (negative decimals) reverts in the call
    // with PipeMalformedTensor's selector, and the node stays up.
    let mut bad = SAFE_POSITION;
    bad[0] = (1, -1);
    let error = gate
        .openPosition(U96::from(300), U96::from(100), numbers(&bad))
        .call()
        .await
        .expect_err("reverts");
    let data = error.as_revert_data().expect("revert data");
    let selector = &alloy::primitives::keccak256("PipeMalformedTensor(string)")[..4];
    assert_eq!(&data[..4], selector, "{error}");

    // A risky position is refused by the contract itself, with the model's score in the error.
    let risky = [(105, 2), (90, 2), (95, 2), (30, 1), (1, 1), (3, 0), (50, 3), (10, 0)];
    let error = gate
        .openPosition(U96::from(105), U96::from(100), numbers(&risky))
        .call()
        .await
        .expect_err("refused");
    let refused = error.as_decoded_error::<RiskGate::RiskTooHigh>().expect("RiskTooHigh");
    assert_eq!(refused.risk, expected_output("verigrad/risk", "features", &risky, 6));

    // The chain runs Prague (as `foundry.toml`'s evm_version): a gas limit above Osaka's 2^24 cap is valid.
    let transfer = alloy::rpc::types::TransactionRequest::default()
        .to(alloy::primitives::Address::repeat_byte(7))
        .gas_limit(20_000_000);
    let receipt = provider.send_transaction(transfer).await.expect("sent").get_receipt().await;
    assert!(receipt.expect("mined").status());

    // Invalid transactions get the errors wallets expect; nothing is mined.
    let before = provider.get_block_number().await.expect("head");
    let bad_raw = node
        .provider()
        .raw_request::<_, String>("eth_sendRawTransaction".into(), ["0x02dead"])
        .await;
    assert!(bad_raw.expect_err("refused").to_string().contains("failed to decode transaction"));
    assert_eq!(provider.get_block_number().await.expect("head"), before);
}
