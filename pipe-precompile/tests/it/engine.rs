//! The pre-execution engine: parallel simulation and inference, re-simulation for dependent requests,
//! the block's PIPE commitment, and replay without inference.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolCall, SolConstructor, SolError, SolEvent, sol};
use revm::{
    DatabaseCommit, DatabaseRef,
    context::{BlockEnv, TxEnv, result::ExecutionResult},
    database::InMemoryDB,
    primitives::TxKind,
    state::AccountInfo,
};
use verigrad_pipe::{
    ADDRESS, CachedBackend, Engine, EngineConfig, InferenceBackend, InlineBackend,
    PipeInferenceFailed,
};

use crate::{CALLER, creation_code, request, runtime, window};

sol! {
    struct Number { int128 value; int128 decimals; }
    constructor(string volatilityModel, string riskModel);
    function score(Number[] returns_) returns (int256 risk);
    event Scored(int256 volatility, int256 risk);
}

fn inline_backend() -> Arc<dyn InferenceBackend> {
    Arc::new(InlineBackend::new(runtime()))
}

fn engine() -> Engine {
    Engine::new(runtime(), EngineConfig::default())
}

fn funded() -> InMemoryDB {
    let mut db = InMemoryDB::default();
    let funds = U256::from(10).pow(U256::from(24));
    db.insert_account_info(CALLER, AccountInfo { balance: funds, ..Default::default() });
    db
}

fn tx(nonce: u64, kind: TxKind, data: Bytes) -> TxEnv {
    TxEnv::builder()
        .caller(CALLER)
        .kind(kind)
        .data(data)
        .gas_limit(3_000_000)
        .nonce(nonce)
        .chain_id(Some(31337))
        .build()
        .expect("tx")
}

/// A digest of the whole state: accounts and storage, in address and slot order.
fn state_root(db: &InMemoryDB) -> B256 {
    let mut accounts: Vec<_> = db.cache.accounts.iter().collect();
    accounts.sort_by_key(|(address, _)| **address);
    let mut bytes = Vec::new();
    for (address, account) in accounts {
        let info = db.basic_ref(*address).expect("account").unwrap_or_default();
        bytes.extend_from_slice(address.as_slice());
        bytes.extend_from_slice(&info.balance.to_be_bytes::<32>());
        bytes.extend_from_slice(&info.nonce.to_be_bytes());
        bytes.extend_from_slice(info.code_hash.as_slice());
        let mut slots: Vec<_> = account.storage.iter().collect();
        slots.sort();
        for (slot, value) in slots {
            bytes.extend_from_slice(&slot.to_be_bytes::<32>());
            bytes.extend_from_slice(&value.to_be_bytes::<32>());
        }
    }
    keccak256(bytes)
}

/// A block of `n` direct precompile calls on distinct windows.
fn inference_block(n: u64) -> Vec<TxEnv> {
    (0..n)
        .map(|i| {
            let mut w = window();
            w[0].0 += i as i128;
            tx(i, TxKind::Call(ADDRESS), request(0, "verigrad/volatility", "returns", &w))
        })
        .collect()
}

#[test]
fn pipe_block_matches_inline_execution_and_commits_its_results() {
    let state = funded();
    let block = BlockEnv::default();
    let txs = inference_block(8);
    let built = engine().build(&state, &block, &txs);
    let (inline, inline_changes) = engine().execute(&state, &block, &txs, &inline_backend());

    assert_eq!(built.results, inline, "pre-executed answers are the inline answers");
    assert_eq!(built.changes, inline_changes);
    assert!(built.results.iter().all(|r| matches!(r, Ok(ExecutionResult::Success { .. }))));
    assert_eq!(built.pipe.results.len(), 8);
    assert_eq!(built.stats.inferences, 8);
    assert_eq!(built.stats.rounds, 1, "the simulation found every request");
    assert_ne!(built.pipe.root(), B256::ZERO);
}

#[test]
fn replay_from_committed_results_reaches_the_same_state_without_inference() {
    let mut chain = funded();
    let block = BlockEnv::default();
    let txs = inference_block(6);
    let built = engine().build(&chain, &block, &txs);
    chain.commit(built.changes.clone());

    // A fresh node: same genesis, only the block's committed results, no runtime at all.
    let mut replica = funded();
    let replay: Arc<dyn InferenceBackend> = Arc::new(CachedBackend::new(built.pipe.to_cache()));
    let (results, changes) = engine().execute(&replica, &block, &txs, &replay);
    replica.commit(changes);
    assert_eq!(results, built.results);
    assert_eq!(state_root(&replica), state_root(&chain));
}

#[test]
fn a_request_that_depends_on_an_answer_is_found_by_re_simulation() {
    let mut chain = funded();
    let block = BlockEnv::default();
    let rt = runtime();
    let volatility = rt.resolve("verigrad/volatility").expect("model").to_string();
    let risk = rt.resolve("verigrad/risk").expect("model").to_string();
    let mut deploy = creation_code("ChainedConsumer.sol", "ChainedConsumer");
    deploy.extend(constructorCall { volatilityModel: volatility, riskModel: risk }.abi_encode());
    let created = engine().build(&chain, &block, &[tx(0, TxKind::Create, deploy.into())]);
    chain.commit(created.changes);
    let Ok(ExecutionResult::Success { output, .. }) = &created.results[0] else {
        panic!("deploys")
    };
    let consumer: Address = *output.address().expect("address");

    let returns_ = window().iter().map(|(v, d)| Number { value: *v, decimals: *d }).collect();
    let call = scoreCall { returns_ }.abi_encode();
    let built = engine().build(&chain, &block, &[tx(1, TxKind::Call(consumer), call.into())]);

    assert_eq!(built.stats.inferences, 2, "the forecast, then the score that depends on it");
    assert_eq!(built.stats.rounds, 2, "the forecast in the simulation, the score on re-execution");
    assert_eq!(built.pipe.results.len(), 2);
    let Ok(ExecutionResult::Success { logs, .. }) = &built.results[0] else { panic!("scores") };
    let scored = logs.iter().find_map(|log| Scored::decode_log(log).ok()).expect("Scored");
    assert!(scored.risk.is_positive() && scored.volatility.is_positive());
}

#[test]
fn a_missing_model_reverts_the_transaction_and_is_committed_as_a_failure() {
    let state = funded();
    let txs = vec![tx(0, TxKind::Call(ADDRESS), request(0, "nobody/nothing", "x", &[(1, 0)]))];
    let built = engine().build(&state, &BlockEnv::default(), &txs);
    assert!(
        matches!(built.results[0], Ok(ExecutionResult::Revert { .. })),
        "{:?}",
        built.results[0]
    );
    let committed: Vec<_> = built.pipe.results.values().collect();
    assert!(
        matches!(committed[..], [Err(verigrad_pipe::PipeFailure::UnknownModel(_))]),
        "the failure is committed, so a replay reverts the same way: {committed:?}"
    );
}

#[test]
fn inference_past_the_timeout_reverts_and_the_block_still_builds_and_replays() {
    let state = funded();
    let block = BlockEnv::default();
    let txs = inference_block(4);
    // No time at all: every request is past its deadline when inference starts.
    let config = EngineConfig { inference_timeout: Duration::ZERO, ..EngineConfig::default() };
    let built = Engine::new(runtime(), config).build(&state, &block, &txs);

    for result in &built.results {
        let Ok(ExecutionResult::Revert { output, .. }) = result else {
            panic!("a timed-out request reverts its transaction: {result:?}")
        };
        let failed = PipeInferenceFailed::abi_decode(output).expect("a decodable reason");
        assert!(failed.reason.contains("ran past its deadline"), "{}", failed.reason);
    }
    assert_eq!(built.pipe.results.len(), 4, "the failures are committed");
    let replay: Arc<dyn InferenceBackend> = Arc::new(CachedBackend::new(built.pipe.to_cache()));
    let (replayed, _) = engine().execute(&state, &block, &txs, &replay);
    assert_eq!(replayed, built.results, "a replay reverts the same way");
}

/// An account with nothing before the block.
const SECOND: Address = Address::repeat_byte(0xb0);
const UNFUNDED: Address = Address::repeat_byte(0xd0);

fn tx_from(caller: Address, nonce: u64, kind: TxKind, data: Bytes, value: U256) -> TxEnv {
    TxEnv { caller, value, ..tx(nonce, kind, data) }
}

/// A block whose transactions depend on each other: a consumer deployed and called in the same block
/// (its second request depends on its first answer), an account funded and then spending in the
/// block, a request whose own transaction's simulation cannot reach it but a later one's does, the
/// same request twice, and two invalid transactions.
fn tangled_block() -> Vec<TxEnv> {
    let rt = runtime();
    let volatility = rt.resolve("verigrad/volatility").expect("model").to_string();
    let risk = rt.resolve("verigrad/risk").expect("model").to_string();
    let mut deploy = creation_code("ChainedConsumer.sol", "ChainedConsumer");
    deploy.extend(constructorCall { volatilityModel: volatility, riskModel: risk }.abi_encode());
    let consumer = CALLER.create(0);
    let returns_ = window().iter().map(|(v, d)| Number { value: *v, decimals: *d }).collect();
    let forecast = request(0, "verigrad/volatility", "returns", &window());
    let ether = U256::from(10).pow(U256::from(18));
    vec![
        tx(0, TxKind::Create, deploy.into()),
        tx(1, TxKind::Call(consumer), scoreCall { returns_ }.abi_encode().into()),
        tx_from(CALLER, 2, TxKind::Call(SECOND), Bytes::new(), ether),
        // Simulated on the state before the block, SECOND cannot pay the value: only the next
        // transaction's simulation records this request.
        tx_from(SECOND, 0, TxKind::Call(ADDRESS), forecast.clone(), ether / U256::from(2)),
        tx(3, TxKind::Call(ADDRESS), forecast.clone()),
        tx(99, TxKind::Call(ADDRESS), forecast.clone()),
        tx_from(UNFUNDED, 0, TxKind::Call(SECOND), Bytes::new(), ether),
        tx(4, TxKind::Call(ADDRESS), forecast),
    ]
}

#[test]
fn a_tangled_block_builds_exactly_as_sequential_execution_and_replays() {
    let state = funded();
    let block = BlockEnv::default();
    let txs = tangled_block();
    let (inline, inline_changes) = engine().execute(&state, &block, &txs, &inline_backend());
    assert!(inline[..5].iter().all(|r| matches!(r, Ok(ExecutionResult::Success { .. }))));
    assert!(inline[5].is_err() && inline[6].is_err(), "bad nonce, no funds: {inline:?}");

    let mut roots = Vec::new();
    for workers in [1, 2, 3] {
        let config = EngineConfig { workers, ..EngineConfig::default() };
        let built = Engine::new(runtime(), config).build(&state, &block, &txs);
        assert_eq!(built.results, inline, "{workers} workers");
        assert_eq!(built.changes, inline_changes, "{workers} workers");
        assert_eq!(
            built.stats.rounds, 3,
            "the consumer is deployed in the block, and its second request needs its first answer"
        );
        assert_eq!(
            built.pipe.results.len(),
            3,
            "the forecast by name (three calls), the consumer's two"
        );

        let replay: Arc<dyn InferenceBackend> = Arc::new(CachedBackend::new(built.pipe.to_cache()));
        let (replayed, replayed_changes) = engine().execute(&state, &block, &txs, &replay);
        assert_eq!(replayed, inline);
        assert_eq!(replayed_changes, inline_changes);
        roots.push(built.pipe.root());
    }
    assert!(roots.windows(2).all(|pair| pair[0] == pair[1]), "the commitment is the same");
}

/// A block whose transactions were pre-executed as they arrived builds in one round with no
/// inference, to the same results, state and commitment as a cold build; one that arrived late is
/// pre-executed in the build.
#[test]
fn a_pre_executed_block_builds_without_inference_to_the_same_block() {
    let state = funded();
    let block = BlockEnv::default();
    let txs = inference_block(8);
    let engine = engine();
    let cold = engine.build(&state, &block, &txs);

    let pre: Vec<_> = txs.iter().map(|tx| Some(engine.pre_execute(&state, &block, tx))).collect();
    assert!(pre.iter().all(|p| p.as_ref().is_some_and(|p| p.requests.len() == 1)));
    let warm = engine.build_pre_executed(&state, &block, &txs, &pre);
    assert_eq!(warm.results, cold.results);
    assert_eq!(warm.changes, cold.changes);
    assert_eq!(warm.pipe.root(), cold.pipe.root());
    assert_eq!((warm.stats.rounds, warm.stats.inferences), (1, 0), "every answer was ready");

    let mut partly = pre;
    partly[3] = None;
    partly.truncate(6);
    let mixed = engine.build_pre_executed(&state, &block, &txs, &partly);
    assert_eq!(mixed.results, cold.results);
    assert_eq!(mixed.pipe.root(), cold.pipe.root());
    assert_eq!(mixed.stats.inferences, 3, "the late transaction and the two never pre-executed");
}

/// Pre-executed alone on the state before the block, a transaction can ask something else than it
/// does inside the block (a contract deployed earlier in the block, an answer it depends on): the
/// build then infers what missed in later rounds and still matches sequential execution.
#[test]
fn a_tangled_pre_executed_block_builds_exactly_as_sequential_execution() {
    let state = funded();
    let block = BlockEnv::default();
    let txs = tangled_block();
    let (inline, inline_changes) = engine().execute(&state, &block, &txs, &inline_backend());
    let engine = engine();
    let pre: Vec<_> = txs.iter().map(|tx| Some(engine.pre_execute(&state, &block, tx))).collect();
    let built = engine.build_pre_executed(&state, &block, &txs, &pre);
    assert_eq!(built.results, inline);
    assert_eq!(built.changes, inline_changes);
    assert!(built.stats.rounds > 1, "the consumer's requests were not known ahead");
}
