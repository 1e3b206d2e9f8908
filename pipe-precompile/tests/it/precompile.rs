//! Direct calls to the precompile.

use std::sync::Arc;

use alloy_sol_types::{SolCall, SolError};
use revm::{
    context::result::{ExecutionResult, HaltReason, OutOfGasError},
    primitives::TxKind,
};
use verigrad_inference::runModelInferenceCall;
use verigrad_pipe::{
    ADDRESS, BASE_GAS, CachedBackend, GAS_PER_COST_UNIT, GAS_PER_ELEMENT, INFERENCE_EVENT_TOPIC,
    InferenceBackend, InlineBackend, PipeInferenceFailed, PipeMalformedTensor, PipeRequest,
    PipeUnknownModel, Resolved, ResultCache, SimulationBackend, compute,
};

use crate::{Chain, position, request, runtime, window};

const VOLATILITY: &str = "verigrad/volatility";

fn inline() -> Chain {
    Chain::new(Arc::new(InlineBackend::new(runtime())))
}

fn revert_data(result: ExecutionResult) -> Vec<u8> {
    match result {
        ExecutionResult::Revert { output, .. } => output.to_vec(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

#[test]
fn a_call_returns_the_model_output_and_logs_the_inference() {
    let mut chain = inline();
    let data = request(1, VOLATILITY, "returns", &window());
    let result = chain.send(TxKind::Call(ADDRESS), data.clone(), 1_000_000);
    let ExecutionResult::Success { output, logs, gas, .. } = result else {
        panic!("expected success, got {result:?}");
    };
    let answer = runModelInferenceCall::abi_decode_returns(output.data()).expect("decodes");
    let expected = runtime()
        .run(VOLATILITY, &PipeRequest::decode(&data).expect("request").input)
        .expect("runs");
    assert_eq!(answer, expected, "the precompile serves exactly what the runtime computes");
    assert!(!answer.is_simulation_result);

    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].address, ADDRESS);
    assert_eq!(logs[0].topics(), &[*INFERENCE_EVENT_TOPIC]);

    let precompile_gas = BASE_GAS + 16 * GAS_PER_ELEMENT + 64 * GAS_PER_COST_UNIT;
    let spent = gas.total_gas_spent();
    assert!(spent > precompile_gas + 21_000, "gas {spent} covers base + elements + cost units");
}

#[test]
fn an_unknown_model_reverts_with_a_decodable_reason() {
    let mut chain = inline();
    let result =
        chain.send(TxKind::Call(ADDRESS), request(0, "nobody/nothing", "x", &[(1, 0)]), 1_000_000);
    let error = PipeUnknownModel::abi_decode(&revert_data(result)).expect("PipeUnknownModel");
    assert_eq!(error.modelCID, "nobody/nothing");
}

#[test]
fn malformed_calls_and_tensors_revert_with_a_decodable_reason() {
    let mut chain = inline();
    for (name, data) in [
        ("not a call", vec![0xde, 0xad]),
        ("wrong shape", request(0, VOLATILITY, "returns", &window()[..15]).to_vec()),
        ("wrong tensor", request(0, VOLATILITY, "prices", &window()).to_vec()),
        ("bad mode", request(7, VOLATILITY, "returns", &window()).to_vec()),
    ] {
        let result = chain.send(TxKind::Call(ADDRESS), data.into(), 1_000_000);
        let error = PipeMalformedTensor::abi_decode(&revert_data(result)).expect(name);
        assert!(!error.reason.is_empty(), "{name}");
    }
}

#[test]
fn zkml_mode_refuses_a_tolerance_model() {
    let mut chain = inline();
    let result = chain.send(
        TxKind::Call(ADDRESS),
        request(1, "verigrad/risk", "features", &position(115)),
        1_000_000,
    );
    let error = PipeInferenceFailed::abi_decode(&revert_data(result)).expect("PipeInferenceFailed");
    assert!(error.reason.contains("EXACT"), "{}", error.reason);
}

#[test]
fn too_little_gas_halts_out_of_gas() {
    let mut chain = inline();
    let data = request(0, VOLATILITY, "returns", &window());
    let result = chain.send(TxKind::Call(ADDRESS), data, 21_000 + 2_000 + BASE_GAS + 100);
    assert!(
        matches!(
            result,
            ExecutionResult::Halt { reason: HaltReason::OutOfGas(OutOfGasError::Precompile), .. }
        ),
        "{result:?}"
    );
}

#[test]
fn simulation_records_requests_and_answers_placeholders() {
    let cache = Arc::new(ResultCache::new());
    let simulation = Arc::new(SimulationBackend::new(runtime(), cache.clone()));
    let mut chain = Chain::new(simulation.clone());
    let data = request(0, VOLATILITY, "returns", &window());
    let ExecutionResult::Success { output, .. } =
        chain.send(TxKind::Call(ADDRESS), data.clone(), 1_000_000)
    else {
        panic!("simulation answers");
    };
    let placeholder = runModelInferenceCall::abi_decode_returns(output.data()).expect("decodes");
    assert!(placeholder.is_simulation_result);
    assert!(placeholder.numbers[0].values.iter().all(|n| n.value == 0));
    let recorded = simulation.take_recorded();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0], PipeRequest::decode(&data).expect("request"));

    // Once the result is known, re-simulation answers it and records nothing new.
    cache.insert(recorded[0].id, compute(&runtime(), &recorded[0]));
    let ExecutionResult::Success { output, .. } =
        chain.send(TxKind::Call(ADDRESS), data, 1_000_000)
    else {
        panic!("answers");
    };
    assert!(
        !runModelInferenceCall::abi_decode_returns(output.data())
            .expect("decodes")
            .is_simulation_result
    );
    assert!(simulation.take_recorded().is_empty());
}

#[test]
fn execution_serves_only_pre_executed_results() {
    let data = request(0, VOLATILITY, "returns", &window());
    let request = PipeRequest::decode(&data).expect("request");
    let cache = Arc::new(ResultCache::new());
    let mut chain = Chain::new(Arc::new(CachedBackend::new(cache.clone())));

    let missing = chain.send(TxKind::Call(ADDRESS), data.clone(), 1_000_000);
    let error = PipeInferenceFailed::abi_decode(&revert_data(missing)).expect("not pre-executed");
    assert!(error.reason.contains("pre-executed"), "{}", error.reason);

    let answer = compute(&runtime(), &request);
    cache.insert(request.id, answer.clone());
    let ExecutionResult::Success { output, .. } =
        chain.send(TxKind::Call(ADDRESS), data, 1_000_000)
    else {
        panic!("cache hit");
    };
    let served = runModelInferenceCall::abi_decode_returns(output.data()).expect("decodes");
    assert_eq!(served, answer.expect("computed").output.clone());
}

/// Random corruptions of valid call data — flipped bytes, truncations, inflated length and offset words —
/// never panic the precompile: every one is answered, reverted with a decodable reason, or halted.
#[test]
fn fuzzed_call_data_never_panics_and_always_gets_an_answer_or_a_reason() {
    let backend = InlineBackend::new(runtime());
    let valid = request(0, VOLATILITY, "returns", &window()).to_vec();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut answered, mut reverted) = (0, 0);
    for _ in 0..3_000 {
        let mut data = valid.clone();
        match next() % 4 {
            0 => {
                let at = (next() as usize) % data.len();
                data[at] ^= 1 << (next() % 8);
            }
            1 => data.truncate((next() as usize) % data.len()),
            2 => {
                // A length or offset word blown up: the decoder must bound it, not allocate it.
                let word = 4 + 32 * ((next() as usize) % ((data.len() - 4) / 32));
                data[word..word + 32].copy_from_slice(&[0xff; 32]);
            }
            _ => data.extend((0..(next() % 64)).map(|_| next() as u8)),
        }
        let served = verigrad_pipe::run(&data, 10_000_000, 0, &backend);
        if served.output.is_success() {
            answered += 1;
        } else if served.output.is_revert() {
            let reason = served.output.bytes.to_vec();
            let decodable = PipeMalformedTensor::abi_decode(&reason).is_ok()
                || PipeUnknownModel::abi_decode(&reason).is_ok()
                || PipeInferenceFailed::abi_decode(&reason).is_ok();
            assert!(decodable, "revert data is one of the PIPE errors");
            reverted += 1;
        }
    }
    assert!(reverted > 1_000, "most corruptions are refused ({reverted})");
    assert!(answered > 0, "some corruptions are harmless (trailing bytes, a flipped value bit)");
}

/// The execution phase finds a transaction's k-th call where its simulation placed it (a comparison
/// of call data, no hash); a call off its placed position is found by call data, if known whole.
#[test]
fn a_cache_hit_finds_a_call_by_its_position_or_else_by_its_call_data() {
    let (a, b) = (
        request(0, VOLATILITY, "returns", &window()),
        request(1, VOLATILITY, "returns", &window()),
    );
    let decoded = |data: &[u8]| PipeRequest::decode(data).expect("request");
    let placed = |request: PipeRequest| {
        Some(Arc::new(Resolved { resolution: compute(&runtime(), &request), request }))
    };
    let cache = Arc::new(ResultCache::for_block(2));
    cache.place(0, vec![placed(decoded(&a)), placed(decoded(&b))]);
    let backend = CachedBackend::new(cache.clone());
    let found = |data: &[u8]| backend.resolved(data).map(|r| r.request.clone());

    backend.begin_transaction(0);
    assert_eq!(found(&a), Some(decoded(&a)), "the first call, where it was placed");
    assert_eq!(
        found(&a),
        None,
        "the second place holds another call, and nothing is known by call data"
    );
    backend.begin_transaction(1);
    assert_eq!(found(&a), None, "nothing was placed for transaction 1");
    cache.insert_request(decoded(&a), compute(&runtime(), &decoded(&a)));
    assert_eq!(found(&a), Some(decoded(&a)), "off its position, found by call data");
    backend.begin_transaction(0);
    assert_eq!(found(&a), Some(decoded(&a)));
    assert_eq!(found(&b), Some(decoded(&b)), "each transaction counts its calls from zero");
}
