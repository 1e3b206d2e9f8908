//! x402 latency on loopback against anvil (mining on demand): a paid inference (verify + infer +
//! settle) against the same inference served free, and the facilitator's steps alone.
//!
//! `cargo bench -p verigrad-worker --bench x402` (`X402_BENCH_RUNS` requests per series, default 200).
//! Not a test: it prints a table and asserts nothing.

use std::time::{Duration, Instant};

use alloy::primitives::U256;
use verigrad_contracts::{GasPolicy, ReceiptPolicy, TxSender};
use verigrad_x402::{
    facilitator::{Facilitator, Ledger},
    x402::{self, PAYMENT_SIGNATURE, Payment, PaymentPayload, encode_header},
};

use verigrad_testkit::{
    Node, WORKER_KEY, address,
    x402::{Market, Server, offer, payer, post, volatility_input},
};

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    (at(0.50), at(0.99))
}

fn row(name: &str, samples: Vec<Duration>) {
    let n = samples.len();
    let (p50, p99) = percentiles(samples);
    println!("| {name} | {n} | {p50:.3} | {p99:.3} |");
}

/// A fresh signed payment for `requirements`, as the `PAYMENT-SIGNATURE` header value.
fn signed(requirements: &x402::PaymentRequirements, chain_id: u64) -> String {
    let payload = x402::authorize(&payer(), requirements, chain_id, now()).expect("signs");
    encode_header(&PaymentPayload {
        x402_version: 2,
        resource: None,
        accepted: requirements.clone(),
        payload,
    })
}

#[tokio::main]
async fn main() {
    let runs: usize =
        std::env::var("X402_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(200);
    let market = Market::open().await;
    let chain_id = market.anvil.chain_id();
    let dir = tempfile::tempdir().expect("temp dir");
    // One payer sends everything here: lift its rate limit.
    let unlimited = ["--rate.burst", "1000000", "--rate.per-second", "1000000"];
    // Receipts polled every 5 ms rather than the default 250 ms: anvil mines on demand, and the
    // first poll after the broadcast sometimes comes just before the block.
    let config = dir.path().join("worker.toml");
    std::fs::write(&config, "[rpc.receipts]\npoll_ms = 5\n").expect("config");
    let unlimited = [unlimited.as_slice(), &["--config", config.to_str().expect("utf-8")]].concat();
    let paid_server = Server::serve(&market, &dir.path().join("paid"), &unlimited);
    let free_server = Server::serve(&market, &dir.path().join("free"), &["--free"]);
    let input = volatility_input();
    let path = "/v1/models/verigrad/volatility/infer";

    let mut free = Vec::with_capacity(runs);
    for _ in 0..runs + 10 {
        let started = Instant::now();
        let answer = post(&format!("{}{path}", free_server.url), &input, &[]).await;
        free.push(started.elapsed());
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    free.drain(..10); // warm-up

    let requirements =
        post(&format!("{}{path}", paid_server.url), &input, &[]).await.required().accepts[0]
            .clone();
    let headers: Vec<String> = (0..runs).map(|_| signed(&requirements, chain_id)).collect();
    let mut paid = Vec::with_capacity(runs);
    for header in headers {
        let started = Instant::now();
        let answer =
            post(&format!("{}{path}", paid_server.url), &input, &[(PAYMENT_SIGNATURE, header)])
                .await;
        paid.push(started.elapsed());
        assert_eq!(answer.status, 200, "{}\n{}", answer.body, paid_server.log());
    }

    // The facilitator's steps, in process, against the same anvil.
    let sender = TxSender::new(
        market.rpc.clone(),
        WORKER_KEY.parse().expect("key"),
        chain_id,
        GasPolicy::default(),
        ReceiptPolicy { timeout_ms: 30_000, poll_ms: 5 },
    );
    let ledger = Ledger::open(&dir.path().join("facilitator")).expect("ledger");
    let facilitator =
        Facilitator::new(market.rpc.clone(), sender, chain_id, market.token(), ledger);
    let requirements = offer(&market, address(WORKER_KEY));
    let payments: Vec<Payment> = (0..runs)
        .map(|_| Payment::from_header(&signed(&requirements, chain_id)).expect("payment"))
        .collect();
    let mut offline = Vec::with_capacity(runs);
    let mut verify = Vec::with_capacity(runs);
    for payment in &payments {
        let started = Instant::now();
        x402::check(payment, &requirements, chain_id, now()).expect("valid");
        offline.push(started.elapsed());
        let started = Instant::now();
        assert!(facilitator.verify(payment, &requirements).await.is_valid);
        verify.push(started.elapsed());
    }
    let mut settle = Vec::with_capacity(runs);
    for payment in &payments {
        let started = Instant::now();
        assert!(facilitator.settle(payment, &requirements).await.success);
        settle.push(started.elapsed());
    }
    let charged = U256::from(runs) * requirements.amount;
    assert!(market.balance(address(WORKER_KEY)).await >= charged);

    println!("| series | runs | p50 (ms) | p99 (ms) |");
    println!("|---|---:|---:|---:|");
    row("unpaid inference (`--free`), HTTP round trip", free);
    row("paid inference: verify + infer + settle, HTTP round trip", paid);
    row(
        "x402 verification alone (signature, payee, window, amount; ledger; 2 reads in parallel)",
        verify,
    );
    row("  of which the offline checks (EIP-712 hash, ecrecover)", offline);
    row("settlement alone (re-verify, claim, transferWithAuthorization mined)", settle);
}
