//! PIPE against inline inference on one block, in one process (ratios, not absolute times, are what
//! carry across machines):
//!
//! - block build: 64 transactions that each ask `verigrad/volatility` for a forecast, built with
//!   inference inline during sequential execution vs with PIPE pre-execution;
//! - the precompile's overhead on a cache hit, against one inference of the model.
//!
//! `cargo bench -p verigrad-pipe --bench pipe_block` (add `-- --quick` for fewer samples).

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, Bytes, U256, address};
use alloy_sol_types::SolCall;
use revm::{
    context::{BlockEnv, TxEnv},
    database::InMemoryDB,
    primitives::TxKind,
    state::AccountInfo,
};
use verigrad_inference::{
    ModelInferenceRequest, ModelInput, MultiDimensionalNumberTensor, Number, Runtime,
    runModelInferenceCall,
};
use verigrad_pipe::{
    ADDRESS, Engine, EngineConfig, InferenceBackend, InlineBackend, PipeRequest, ResultCache,
    compute, run,
};

const CALLER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const BLOCK: u64 = 64;

fn call_data(i: u64) -> Bytes {
    let values = (0..16).map(|j| Number::new(((i * 31 + j * 17) % 400) as i128 - 200, 4)).collect();
    let tensor = MultiDimensionalNumberTensor::new("returns", values, vec![1, 16]).expect("tensor");
    runModelInferenceCall {
        request: ModelInferenceRequest {
            mode: 0,
            modelCID: "verigrad/volatility".into(),
            input: ModelInput::numbers(vec![tensor]),
        },
    }
    .abi_encode()
    .into()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(samples: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up
    median(
        (0..samples)
            .map(|_| {
                let started = Instant::now();
                f();
                started.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let samples = if quick { 5 } else { 21 };
    let runtime = Runtime::load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"))
        .expect("models");

    let mut state = InMemoryDB::default();
    state.insert_account_info(
        CALLER,
        AccountInfo { balance: U256::from(10).pow(U256::from(24)), ..Default::default() },
    );
    let txs: Vec<TxEnv> = (0..BLOCK)
        .map(|i| {
            TxEnv::builder()
                .caller(CALLER)
                .kind(TxKind::Call(ADDRESS))
                .data(call_data(i))
                .gas_limit(1_000_000)
                .nonce(i)
                .chain_id(Some(31337))
                .build()
                .expect("tx")
        })
        .collect();
    let block = BlockEnv::default();
    let engine = Engine::new(runtime.clone(), EngineConfig::default());
    let inline: Arc<dyn InferenceBackend> = Arc::new(InlineBackend::new(runtime.clone()));

    let inline_time = time(samples, || {
        let (results, _) = engine.execute(&state, &block, &txs, &inline);
        assert!(results.iter().all(|r| r.as_ref().is_ok_and(|r| r.is_success())));
    });
    let mut last_stats = None;
    let pipe_time = time(samples, || {
        let built = engine.build(&state, &block, &txs);
        assert_eq!(built.pipe.results.len() as u64, BLOCK);
        last_stats = Some(built.stats);
    });

    // The precompile alone: a cache hit against computing the answer.
    let data = call_data(7);
    let request = PipeRequest::decode(&data).expect("request");
    let cache = Arc::new(ResultCache::new());
    cache.insert(request.id, compute(&runtime, &request));
    let cached = verigrad_pipe::CachedBackend::new(cache);
    let reps = 200;
    let hit = time(samples, || {
        for _ in 0..reps {
            assert!(run(&data, 1_000_000, 0, &cached).output.is_success());
        }
    }) / reps;
    let infer = time(samples, || {
        for _ in 0..reps {
            runtime.run("verigrad/volatility", &request.input).expect("runs");
        }
    }) / reps;

    let workers = EngineConfig::default().workers;
    println!(
        "PIPE block build, {BLOCK} inference transactions, {workers} worker threads ({samples} samples, median)"
    );
    println!("  inline sequential      {inline_time:>12.3?}");
    println!(
        "  PIPE pre-execution     {pipe_time:>12.3?}   ratio {:.2}x",
        pipe_time.as_secs_f64() / inline_time.as_secs_f64()
    );
    if let Some(stats) = last_stats {
        println!(
            "    rounds {}, simulate {:.3?}, infer {:.3?}, execute {:.3?}",
            stats.rounds, stats.simulate, stats.infer, stats.execute
        );
    }
    println!("  one inference          {infer:>12.3?}");
    println!(
        "  precompile cache hit   {hit:>12.3?}   overhead {:.1} % of one inference",
        100.0 * hit.as_secs_f64() / infer.as_secs_f64()
    );
}
