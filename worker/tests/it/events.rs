//! The event stream across an anvil restart and a worker restart, and a transaction sent while the
//! node is down: no event lost or repeated, no transaction lost or sent twice.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use alloy::{
    primitives::B256,
    rpc::types::{Filter, Log},
};
use verigrad_contracts::{Rpc, bindings::Token};
use verigrad_task::{EventStream, EventsConfig, StreamError, WorkerStore};

use verigrad_testkit::{
    Anvil, DEPLOYER_KEY, Deployed, Node, WORKER_KEY, address, patient, token_balance, tokens,
};

/// A log's identity.
fn key(log: &Log) -> (u64, u64, B256) {
    (
        log.block_number.expect("mined"),
        log.log_index.expect("mined"),
        log.transaction_hash.expect("mined"),
    )
}

/// Reads and commits batches until the stream has passed `head`; returns the logs in order.
async fn drain(stream: &mut EventStream, head: u64) -> Vec<Log> {
    let mut logs = Vec::new();
    while stream.next_block() <= head {
        let batch = tokio::time::timeout(Duration::from_secs(60), stream.next_batch())
            .await
            .expect("a batch in time")
            .expect("batch");
        logs.extend(batch.logs.iter().cloned());
        stream.commit(&batch).expect("commit");
    }
    logs
}

#[tokio::test(flavor = "multi_thread")]
async fn stream_resumes_after_node_and_worker_restarts_without_loss_or_duplicates() {
    let mut anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let deployment = deployed.deployment;
    let data = tempfile::tempdir().expect("data dir");
    let rpc = Rpc::http(anvil.url(), patient());
    // Small ranges, so that resuming happens mid-history too.
    let config = EventsConfig { max_range: 3, confirmations: 0, poll_ms: 50 };
    let watched = vec![deployment.token, deployment.worker_registry];
    let open = || {
        let store = WorkerStore::open(data.path(), &deployment).expect("store");
        EventStream::open(rpc.clone(), store, watched.clone(), deployment.start_block, config)
            .expect("stream")
    };
    let deployer = Arc::new(deployed.account(anvil.url(), DEPLOYER_KEY).await);
    let to = address(WORKER_KEY);
    let transfer = || {
        let deployer = Arc::clone(&deployer);
        async move {
            deployer
                .sender()
                .call(deployment.token, Token::transferCall { to, value: tokens(1) })
                .await
        }
    };

    let mut seen = Vec::new();
    let mut stream = open();
    for _ in 0..3 {
        transfer().await.expect("transfer");
    }
    seen.extend(drain(&mut stream, rpc.block_number().await.expect("head")).await);

    // Events the stream has not read yet when the node goes down and the worker restarts.
    for _ in 0..4 {
        transfer().await.expect("transfer");
    }
    let head_before = rpc.block_number().await.expect("head");
    let resume_at = stream.next_block();
    anvil.stop();
    drop(stream);
    let stream = open();
    assert_eq!(stream.next_block(), resume_at, "resumes from the stored cursor");

    // While the node is down: a transfer is pending in the sender, and the stream is polling.
    let pending = tokio::spawn(transfer());
    let polling = tokio::spawn(async move {
        let batch = stream.next_batch().await;
        (stream, batch)
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!polling.is_finished() && !pending.is_finished(), "both wait for the node");
    anvil.restart();
    let receipt = pending.await.expect("task").expect("sent once the node is back");
    assert!(receipt.status());
    let (mut stream, batch) = polling.await.expect("task");
    let batch = batch.expect("the stream reconnected");
    assert_eq!(batch.from, resume_at);
    seen.extend(batch.logs.iter().cloned());
    stream.commit(&batch).expect("commit");
    let again = stream.commit(&batch).expect_err("a batch is committed once");
    assert!(matches!(again, StreamError::OutOfOrder { .. }), "unexpected {again}");

    let head = rpc.block_number().await.expect("head");
    assert!(head > head_before, "the restarted chain continued from its state");
    seen.extend(drain(&mut stream, head).await);

    // Everything on chain, read in one go, equals what the stream delivered, in the same order.
    let filter =
        Filter::new().address(watched.clone()).from_block(deployment.start_block).to_block(head);
    let all = rpc.logs(&filter).await.expect("logs");
    let delivered: Vec<_> = seen.iter().map(key).collect();
    assert_eq!(delivered, all.iter().map(key).collect::<Vec<_>>());
    assert_eq!(delivered.iter().collect::<BTreeSet<_>>().len(), delivered.len(), "no duplicates");

    // 3 + 4 + 1 transfers of one token each reached the worker: the pending one exactly once.
    assert_eq!(token_balance(&rpc, deployment.token, to).await, tokens(8));
}
