//! An authorization is settled at most once: not twice at once, not again after a crash and
//! restart, and not when the ledger holds a claim the chain has not seen (a crash between claiming
//! and sending).

use alloy::primitives::U256;
use verigrad_contracts::{GasPolicy, ReceiptPolicy, TxSender};
use verigrad_x402::{
    facilitator::{Entry, Facilitator, Ledger},
    x402::{self, PAYMENT_SIGNATURE, Payment, PaymentPayload, Reason, encode_header},
};

use super::flow::now;
use verigrad_testkit::x402::{
    Market, PAYER_KEY, Server, payer, post, price_of_volatility, volatility_input,
};
use verigrad_testkit::{Node, WORKER_KEY, address};

#[tokio::test(flavor = "multi_thread")]
async fn no_double_settlement_at_once_or_across_a_restart() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let them = address(PAYER_KEY);
    let theirs = market.balance(them).await;
    let server = Server::serve(&market, dir.path(), &[]);
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let offer = post(&url, &volatility_input(), &[]).await.required().accepts[0].clone();
    let signed = || {
        let payload =
            x402::authorize(&payer(), &offer, market.anvil.chain_id(), now()).expect("signs");
        encode_header(&PaymentPayload {
            x402_version: 2,
            resource: None,
            accepted: offer.clone(),
            payload,
        })
    };

    // The same payment twice at once: one is served, the other refused.
    let payment = signed();
    let headers = [(PAYMENT_SIGNATURE, payment.clone())];
    let input = volatility_input();
    let (a, b) = tokio::join!(post(&url, &input, &headers), post(&url, &input, &headers));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 402], "{} / {}", a.body, b.body);
    assert_eq!(market.balance(them).await, theirs - price_of_volatility());

    // Crash (SIGKILL) and restart on the same ledger: the payment is still spent.
    drop(server);
    let server = Server::serve(&market, dir.path(), &[]);
    let url = format!("{}/v1/models/verigrad/volatility/infer", server.url);
    let replay = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, payment)]).await;
    assert_eq!(
        (replay.status, replay.reason().as_str()),
        (402, "invalid_exact_evm_nonce_already_used")
    );
    let fresh = post(&url, &volatility_input(), &[(PAYMENT_SIGNATURE, signed())]).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(market.balance(them).await, theirs - price_of_volatility() * U256::from(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_in_the_ledger_is_never_sent_after_a_restart() {
    let market = Market::open().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let chain_id = market.anvil.chain_id();
    let token = market.token();
    let facilitator = || {
        let sender = TxSender::new(
            market.rpc.clone(),
            WORKER_KEY.parse().expect("key"),
            chain_id,
            GasPolicy::default(),
            ReceiptPolicy { timeout_ms: 30_000, poll_ms: 50 },
        );
        Facilitator::new(
            market.rpc.clone(),
            sender,
            chain_id,
            token,
            Ledger::open(dir.path()).expect("ledger"),
        )
    };
    let requirements = verigrad_testkit::x402::offer(&market, address(WORKER_KEY));
    let payload = x402::authorize(&payer(), &requirements, chain_id, now()).expect("signs");
    let auth = payload.authorization;
    let header = encode_header(&PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: requirements.clone(),
        payload,
    });
    let payment = Payment::from_header(&header).expect("payment");

    // A facilitator claimed the authorization and stopped before sending it.
    {
        let first = facilitator();
        assert!(first.verify(&payment, &requirements).await.is_valid);
        drop(first);
        let ledger = Ledger::open(dir.path()).expect("ledger");
        assert!(ledger.claim(token, auth.from, auth.nonce).expect("claim"));
    }
    assert!(!market.used(auth.from, auth.nonce).await, "the chain has not seen it");

    // After the restart it is refused, and nothing is sent.
    let restarted = facilitator();
    let theirs = market.balance(auth.from).await;
    let verdict = restarted.verify(&payment, &requirements).await;
    assert_eq!(verdict.invalid_reason, Some(Reason::NonceAlreadyUsed));
    let settled = restarted.settle(&payment, &requirements).await;
    assert!(!settled.success);
    assert_eq!(
        (settled.error_reason, settled.transaction.as_str()),
        (Some(Reason::NonceAlreadyUsed), "")
    );
    assert!(!market.used(auth.from, auth.nonce).await);
    assert_eq!(market.balance(auth.from).await, theirs);
    drop(restarted);
    let ledger = Ledger::open(dir.path()).expect("ledger");
    assert_eq!(ledger.get(token, auth.from, auth.nonce).expect("get"), Some(Entry::Pending));
}
