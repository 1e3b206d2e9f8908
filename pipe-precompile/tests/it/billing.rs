//! Billing from the attacker's side: a caller pays for every signed answer it is served — up to its
//! prepaid balance, less what the block already charged it — and a frame that reverts after taking
//! an answer still pays, so an answer cannot be smuggled out of a reverted call for free.

use std::sync::Arc;

use alloy_primitives::{Address, B256, Bytes, U256, address};
use alloy_sol_types::SolError;
use revm::{
    bytecode::Bytecode,
    context::{BlockEnv, TxEnv, result::ExecutionResult},
    database::InMemoryDB,
    primitives::TxKind,
    state::AccountInfo,
};
use verigrad_inference::{Deadline, Runtime};
use verigrad_pipe::{
    ADDRESS, Answer, Answerer, Attestation, CachedBackend, Engine, EngineConfig, InferenceBackend,
    PipeInsufficientBalance, PipeRequest, Resolution, Signed, balance_slot, compute_until,
};

use crate::{CALLER, request, runtime, window};

const SETTLEMENT: Address = address!("5e7714e3e47000000000000000000000000005e7");
const WORKER: Address = address!("00000000000000000000000000000000000000a1");
/// Calls PIPE with its own call data, then reverts: `CALLDATACOPY`, `CALL 0xF4`, `REVERT`.
const REVERTER: Address = address!("00000000000000000000000000000000000000bd");
const REVERTER_CODE: [u8; 25] = [
    0x36, 0x60, 0x00, 0x60, 0x00, 0x37, // memory[0..] = call data
    0x60, 0x00, 0x60, 0x00, 0x36, 0x60, 0x00, 0x60, 0x00, 0x60, 0xf4, 0x5a, 0xf1,
    0x50, // CALL 0xF4
    0x60, 0x00, 0x60, 0x00, 0xfd, // REVERT
];

fn price() -> U256 {
    U256::from(10).pow(U256::from(18))
}

/// Answers like the network: the runtime's output, signed (the signature is not checked here) and
/// priced.
#[derive(Debug)]
struct Network(Runtime);

impl Answerer for Network {
    fn answer(&self, request: &PipeRequest, deadline: Deadline) -> Resolution {
        let answer = compute_until(&self.0, request, deadline)?;
        let signed = Signed {
            worker: WORKER,
            output_hash: answer.output.commitment(),
            signature: Bytes::from(vec![1; 65]),
        };
        let attestation = Attestation::new(B256::ZERO, SETTLEMENT, price(), vec![signed]);
        Ok(Answer::attested(answer.output.clone(), answer.cost_units, Some(attestation)))
    }
}

/// A chain where `payer` has prepaid `calls` answers.
fn chain(payer: Address, calls: u64) -> InMemoryDB {
    let mut db = InMemoryDB::default();
    let funds = U256::from(10).pow(U256::from(24));
    db.insert_account_info(CALLER, AccountInfo { balance: funds, ..Default::default() });
    let code = Bytecode::new_raw(Bytes::from_static(&REVERTER_CODE));
    db.insert_account_info(REVERTER, AccountInfo::default().with_code(code));
    db.insert_account_info(SETTLEMENT, AccountInfo::default());
    let balance = price() * U256::from(calls);
    db.insert_account_storage(SETTLEMENT, balance_slot(payer), balance).expect("storage");
    db
}

fn calls(to: Address, n: u64) -> Vec<TxEnv> {
    (0..n)
        .map(|nonce| {
            TxEnv::builder()
                .caller(CALLER)
                .kind(TxKind::Call(to))
                .data(request(0, "verigrad/volatility", "returns", &window()))
                .gas_limit(3_000_000)
                .nonce(nonce)
                .chain_id(Some(31337))
                .build()
                .expect("tx")
        })
        .collect()
}

fn engine() -> Engine {
    Engine::new(runtime(), EngineConfig::default()).with_answerer(Arc::new(Network(runtime())))
}

fn revert_data(result: &ExecutionResult) -> Bytes {
    match result {
        ExecutionResult::Revert { output, .. } => output.clone(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

#[test]
fn a_caller_pays_each_answer_until_its_balance_is_spent_in_the_block() {
    let state = chain(CALLER, 2);
    let built = engine().build(&state, &BlockEnv::default(), &calls(ADDRESS, 3));
    let results: Vec<_> = built.results.iter().map(|r| r.as_ref().expect("valid")).collect();
    assert!(results[0].is_success() && results[1].is_success());
    let refused = PipeInsufficientBalance::abi_decode(&revert_data(results[2])).expect("decodes");
    assert_eq!((refused.payer, refused.price, refused.available), (CALLER, price(), U256::ZERO));

    assert_eq!(built.charges.len(), 2, "two answers served, two charged");
    assert!(built.charges.iter().all(|c| c.payer == CALLER && c.settlement == SETTLEMENT));
    assert!(built.charges.iter().all(|c| c.price == price() && c.workers == vec![WORKER]));

    // Replay charges exactly the same.
    let replay = Arc::new(CachedBackend::new(built.pipe.to_cache()));
    let backend: Arc<dyn InferenceBackend> = replay.clone();
    let (results, _) = engine().execute(&state, &BlockEnv::default(), &calls(ADDRESS, 3), &backend);
    assert_eq!(results, built.results);
    assert_eq!(replay.take_charges(), built.charges);
}

#[test]
fn a_frame_that_reverts_after_its_answer_still_pays() {
    let state = chain(REVERTER, 1);
    let built = engine().build(&state, &BlockEnv::default(), &calls(REVERTER, 2));
    for result in &built.results {
        assert!(matches!(result, Ok(ExecutionResult::Revert { .. })), "the reverter reverts");
    }
    assert_eq!(built.charges.len(), 1, "the first answer is charged though its frame reverted");
    assert_eq!(built.charges[0].payer, REVERTER);
}

#[test]
fn a_caller_without_a_balance_gets_no_answer() {
    let state = chain(Address::repeat_byte(0x77), 5);
    let built = engine().build(&state, &BlockEnv::default(), &calls(ADDRESS, 1));
    let result = built.results[0].as_ref().expect("valid");
    let refused = PipeInsufficientBalance::abi_decode(&revert_data(result)).expect("decodes");
    assert_eq!(refused.available, U256::ZERO);
    assert!(built.charges.is_empty());
}
