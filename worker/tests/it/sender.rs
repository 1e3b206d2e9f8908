//! The transaction sender's nonce handling: reverts before and after mining, and a second process
//! sending with the same key; its pricing: a base fee that passed a waiting transaction, and a
//! deadline-bound transaction behind its account's waiting ones.

use std::sync::Arc;

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::U256,
    providers::{Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use verigrad_contracts::{ChainError, Urgency, bindings::Token};

use crate::proxy::LossyProxy;
use verigrad_testkit::{
    Anvil, DEPLOYER_KEY, Deployed, Node, WORKER_KEY, address, token_balance, tokens,
};

#[tokio::test(flavor = "multi_thread")]
async fn nonce_manager_recovers_after_reverts_and_foreign_transactions() {
    let anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let token = deployed.deployment.token;
    let deployer = deployed.account(anvil.url(), DEPLOYER_KEY).await;
    let sender = deployer.sender();
    let to = address(WORKER_KEY);
    let transfer = |value: U256| Token::transferCall { to, value };
    let provider = ProviderBuilder::new().connect_http(anvil.url());
    let mined_nonce =
        || async { provider.get_transaction_count(sender.address()).await.expect("nonce") };

    sender.call(token, transfer(tokens(1))).await.expect("first transfer");
    let start = mined_nonce().await;

    // Reverts in the estimate: named, and no nonce is consumed (a gap would stall what follows).
    let error =
        sender.call(token, transfer(U256::MAX >> 8)).await.expect_err("more than the supply");
    assert!(
        matches!(
            error.revert().and_then(|r| r.as_error::<Token::TokenErrors>()),
            Some(Token::TokenErrors::ERC20InsufficientBalance(_))
        ),
        "unexpected {error}"
    );
    sender.call(token, transfer(tokens(1))).await.expect("after an estimate revert");
    assert_eq!(mined_nonce().await, start + 1);

    // Reverts on chain (a gas limit given, so no estimate): mined, the nonce is used.
    let doomed = TransactionRequest::default()
        .with_to(token)
        .with_input(transfer(U256::MAX >> 8).abi_encode())
        .with_gas_limit(100_000);
    let error = sender.send(doomed).await.expect_err("reverts on chain");
    assert!(matches!(error, ChainError::TxReverted { .. }), "unexpected {error}");
    assert_eq!(mined_nonce().await, start + 2);
    sender.call(token, transfer(tokens(1))).await.expect("after an on-chain revert");
    assert_eq!(mined_nonce().await, start + 3);

    // Another process sends with the same key: the cached nonce is stale; the sender re-syncs.
    let signer: PrivateKeySigner = DEPLOYER_KEY.parse().expect("key");
    let other =
        ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(anvil.url());
    for _ in 0..2 {
        let request = TransactionRequest::default()
            .with_to(token)
            .with_input(transfer(tokens(1)).abi_encode());
        other.send_transaction(request).await.expect("send").get_receipt().await.expect("mined");
    }
    sender.call(token, transfer(tokens(1))).await.expect("after foreign transactions");
    assert_eq!(mined_nonce().await, start + 6);

    // Every successful transfer landed once: 1 + 1 + 1 + 2 + 1 tokens.
    assert_eq!(token_balance(deployer.chain().rpc(), token, to).await, tokens(6));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broadcast_whose_answer_was_lost_is_not_sent_again() {
    let anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let token = deployed.deployment.token;
    let proxy = LossyProxy::start(anvil.url(), 1).await;
    let deployer = deployed.account(proxy.url.clone(), DEPLOYER_KEY).await;
    let to = address(WORKER_KEY);
    let direct = ProviderBuilder::new().connect_http(anvil.url());
    let before = direct.get_transaction_count(deployer.address()).await.expect("nonce");

    let receipt = deployer
        .sender()
        .call(token, Token::transferCall { to, value: tokens(1) })
        .await
        .expect("sent despite the lost answer");
    assert!(receipt.status());

    // The retry found the transaction at the node and did not broadcast again.
    assert_eq!(proxy.broadcasts(), 1);
    assert_eq!(direct.get_transaction_count(deployer.address()).await.expect("nonce"), before + 1);
    assert_eq!(token_balance(deployer.chain().rpc(), token, to).await, tokens(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_the_node_lost_in_a_restart_is_sent_again_and_lands_once() {
    let mut anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let token = deployed.deployment.token;
    let proxy = LossyProxy::start(anvil.url(), 0).await;
    let deployer = Arc::new(deployed.account(proxy.url.clone(), DEPLOYER_KEY).await);
    let to = address(WORKER_KEY);
    let direct = ProviderBuilder::new().connect_http(anvil.url());
    let before = direct.get_transaction_count(deployer.address()).await.expect("nonce");

    // The node holds the transaction in its pool, unmined, when it is restarted.
    let pending = transfer_left_in_the_pool(&anvil, &deployer, token, to).await;
    anvil.stop();
    anvil.restart(); // mining on arrival again, with the chain but not the pool

    let receipt = pending.await.expect("task").expect("mined after the restart");
    assert!(receipt.status());
    assert_eq!(proxy.broadcasts(), 2, "the same bytes went out again");
    assert_eq!(direct.get_transaction_count(deployer.address()).await.expect("nonce"), before + 1);
    assert_eq!(token_balance(deployer.chain().rpc(), token, to).await, tokens(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_the_base_fee_passed_is_replaced_at_a_higher_price_and_lands_once() {
    let OnFreshChain { anvil, token, deployer } = OnFreshChain::start().await;
    let to = address(WORKER_KEY);
    let direct = ProviderBuilder::new().connect_http(anvil.url());
    let before = direct.get_transaction_count(deployer.address()).await.expect("nonce");

    // The transaction waits in the pool, priced at today's base fee...
    let pending = transfer_left_in_the_pool(&anvil, &deployer, token, to).await;
    // ...when full blocks drive the base fee far past its max fee: no block can take it.
    const HIGH_BASE_FEE: u128 = 1_000_000_000_000; // 1 000 gwei
    anvil
        .rpc("anvil_setNextBlockBaseFeePerGas", serde_json::json!([HIGH_BASE_FEE.to_string()]))
        .await;
    anvil.rpc("evm_mine", serde_json::json!([])).await;
    assert_eq!(
        direct.get_transaction_count(deployer.address()).await.expect("nonce"),
        before,
        "not mined at the high base fee"
    );
    anvil.rpc("evm_setAutomine", serde_json::json!([true])).await;

    let receipt = pending.await.expect("task").expect("mined once re-priced");
    assert!(receipt.status());
    assert!(
        receipt.effective_gas_price > HIGH_BASE_FEE / 2,
        "the replacement paid the risen base fee: {}",
        receipt.effective_gas_price
    );
    assert_eq!(direct.get_transaction_count(deployer.address()).await.expect("nonce"), before + 1);
    assert_eq!(token_balance(deployer.chain().rpc(), token, to).await, tokens(1), "once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_bound_transaction_raises_its_account_s_waiting_ones_ahead_of_later_traffic() {
    let OnFreshChain { anvil, token, deployer } = OnFreshChain::start().await;
    let to = address(WORKER_KEY);
    let direct = ProviderBuilder::new().connect_http(anvil.url());

    // The deployer's transfer waits in the pool at a normal price...
    let waiting = transfer_left_in_the_pool(&anvil, &deployer, token, to).await;
    // ...and another account sends at twice its max fee (a later normal price, after the base fee
    // rose): a node would take that one first.
    let block = direct.get_block_by_number(Default::default()).await.expect("block");
    let base_fee = u128::from(block.expect("latest").header.base_fee_per_gas.expect("1559"));
    let signer: PrivateKeySigner = WORKER_KEY.parse().expect("key");
    let other =
        ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(anvil.url());
    let payment = TransactionRequest::default()
        .with_to(address(DEPLOYER_KEY))
        .with_value(U256::from(1))
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(6 * base_fee)
        .with_max_priority_fee_per_gas(1);
    let later = other.send_transaction(payment).await.expect("sent");
    // Then the deployer sends a deadline-bound transfer, behind its waiting one.
    let urgent = tokio::spawn({
        let sender = deployer.sender().with_urgency(Urgency::Deadline);
        async move { sender.call(token, Token::transferCall { to, value: tokens(1) }).await }
    });
    // Both are in the pool, and the waiting transfer was raised to the deadline's price.
    let raised = || async {
        let pool: serde_json::Value = direct
            .raw_request("txpool_content".into(), serde_json::json!([]))
            .await
            .expect("txpool_content");
        let senders = pool["pending"].as_object().map_or(0, |pending| pending.len());
        let fees = max_fees_waiting(&pool, deployer.address());
        (senders == 2 && fees.len() == 2 && fees.iter().all(|fee| *fee >= 10 * base_fee), pool)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (done, pool) = raised().await;
        if done {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not raised: {pool}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // One block takes all three: the deployer's two first, the other account's after them.
    anvil.rpc("evm_mine", serde_json::json!([])).await;
    let first = waiting.await.expect("task").expect("mined");
    let second = urgent.await.expect("task").expect("mined");
    let third = later.get_receipt().await.expect("mined");
    assert_eq!(first.block_number, third.block_number, "one block");
    let order = [first, second, third].map(|r| r.transaction_index.expect("index"));
    assert_eq!(order, [0, 1, 2], "the raised transfer, the deadline-bound one, then the later one");
    assert_eq!(token_balance(deployer.chain().rpc(), token, to).await, tokens(2), "each once");
}

/// A fresh anvil with the core deployed, and the deployer's account.
struct OnFreshChain {
    anvil: Anvil,
    token: alloy::primitives::Address,
    deployer: Arc<verigrad_contracts::Account>,
}

impl OnFreshChain {
    async fn start() -> Self {
        let anvil = Anvil::start();
        let deployed = Deployed::on(&anvil);
        let token = deployed.deployment.token;
        let deployer = Arc::new(deployed.account(anvil.url(), DEPLOYER_KEY).await);
        Self { anvil, token, deployer }
    }
}

/// The max fees of `from`'s transactions in a `txpool_content` answer's pending pool.
fn max_fees_waiting(pool: &serde_json::Value, from: alloy::primitives::Address) -> Vec<u128> {
    let from = from.to_string();
    pool["pending"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(sender, _)| sender.eq_ignore_ascii_case(&from))
        .flat_map(|(_, by_nonce)| by_nonce.as_object().into_iter().flat_map(|txs| txs.values()))
        .filter_map(|tx| tx["maxFeePerGas"].as_str())
        .filter_map(|fee| u128::from_str_radix(fee.trim_start_matches("0x"), 16).ok())
        .collect()
}

/// Turns `anvil`'s mining on arrival off and has `deployer`'s sender transfer a token to `to`;
/// returns the call, waiting for its receipt, once the transaction is in the pool.
async fn transfer_left_in_the_pool(
    anvil: &Anvil,
    deployer: &Arc<verigrad_contracts::Account>,
    token: alloy::primitives::Address,
    to: alloy::primitives::Address,
) -> tokio::task::JoinHandle<verigrad_contracts::Result<alloy::rpc::types::TransactionReceipt>> {
    let direct = ProviderBuilder::new().connect_http(anvil.url());
    let before = direct.get_transaction_count(deployer.address()).await.expect("nonce");
    anvil.rpc("evm_setAutomine", serde_json::json!([false])).await;
    let pending = tokio::spawn({
        let deployer = Arc::clone(deployer);
        async move { deployer.sender().call(token, Token::transferCall { to, value: tokens(1) }).await }
    });
    while direct.get_transaction_count(deployer.address()).pending().await.expect("nonce") == before
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    pending
}
