//! PIPE against inline inference, in one process (ratios, not absolute times, are what carry across
//! machines):
//!
//! - block build: transactions that each ask a model for an answer, built with inference inline
//!   during sequential execution vs with PIPE pre-execution — all of it inside the build, and with the
//!   transactions pre-executed as they arrived (the build then only executes); 64 transactions on
//!   `verigrad/volatility` (the target), then the same for each shipped model, cheapest
//!   first, to show where PIPE starts to pay;
//! - the precompile's overhead on a cache hit, against one inference of the model: found by position
//!   (the execution phase: a transaction's k-th call where its simulation placed it), by call data
//!   (a call off its placed position) and by request id (replaying a block from its committed results).
//!
//! `cargo bench -p verigrad-pipe --bench pipe_block` (add `-- --quick` for fewer samples). The
//! embedder needs its weights (`scripts/setup`).

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
    ModelInferenceRequest, ModelInput, MultiDimensionalNumberTensor, Number, Runtime, StringTensor,
    runModelInferenceCall,
};
use verigrad_pipe::{
    ADDRESS, CachedBackend, Engine, EngineConfig, EngineStats, InferenceBackend, InlineBackend,
    PipeRequest, ResultCache, compute, run,
};

const CALLER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const VOLATILITY: &str = "verigrad/volatility";

/// A model's input for the `i`-th transaction of a block: distinct for each `i`.
fn input(model: &str, i: u64) -> ModelInput {
    let numbers = |name: &str, values: Vec<Number>| {
        let shape = vec![1, values.len() as u32];
        let tensor = MultiDimensionalNumberTensor::new(name, values, shape).expect("tensor");
        ModelInput::numbers(vec![tensor])
    };
    match model {
        VOLATILITY => numbers(
            "returns",
            (0..16).map(|j| Number::new(((i * 31 + j * 17) % 400) as i128 - 200, 4)).collect(),
        ),
        "verigrad/risk" => numbers(
            "features",
            [(150 + i as i128, 2), (80, 2), (90, 2), (45, 1), (5, 1), (2, 0), (30, 3), (8, 0)]
                .map(|(value, decimals)| Number::new(value, decimals))
                .to_vec(),
        ),
        _ => ModelInput::strings(vec![StringTensor::new(
            "text",
            [format!("Transaction {i} asks whether the pool's volatility is rising.")],
        )]),
    }
}

fn call_data(model: &str, i: u64) -> Bytes {
    let request = ModelInferenceRequest { mode: 0, modelCID: model.into(), input: input(model, i) };
    runModelInferenceCall { request }.abi_encode().into()
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

/// One block of `size` calls to `model`, built both ways.
struct BlockRun {
    inline: Duration,
    pipe: Duration,
    /// The build when every transaction was pre-executed as it arrived.
    pre_executed: Duration,
    /// Pre-executing all the block's transactions one after another: the work done as they arrived.
    admission: Duration,
    stats: EngineStats,
}

impl BlockRun {
    fn measure(runtime: &Runtime, model: &str, size: u64, samples: usize, workers: usize) -> Self {
        let mut state = InMemoryDB::default();
        let funds = U256::from(10).pow(U256::from(24));
        state.insert_account_info(CALLER, AccountInfo { balance: funds, ..Default::default() });
        let txs: Vec<TxEnv> = (0..size)
            .map(|i| {
                TxEnv::builder()
                    .caller(CALLER)
                    .kind(TxKind::Call(ADDRESS))
                    .data(call_data(model, i))
                    .gas_limit(10_000_000)
                    .nonce(i)
                    .chain_id(Some(31337))
                    .build()
                    .expect("tx")
            })
            .collect();
        let block = BlockEnv::default();
        let engine =
            Engine::new(runtime.clone(), EngineConfig { workers, ..EngineConfig::default() });
        let inline_backend: Arc<dyn InferenceBackend> =
            Arc::new(InlineBackend::new(runtime.clone()));
        let inline = time(samples, || {
            let (results, _) = engine.execute(&state, &block, &txs, &inline_backend);
            assert!(results.iter().all(|r| r.as_ref().is_ok_and(|r| r.is_success())));
        });
        let mut stats = EngineStats::default();
        let pipe = time(samples, || {
            let built = engine.build(&state, &block, &txs);
            assert_eq!(built.pipe.results.len() as u64, size);
            stats = built.stats;
        });
        let mut pre = Vec::new();
        let admission = time(samples, || {
            pre = txs.iter().map(|tx| Some(engine.pre_execute(&state, &block, tx))).collect();
        });
        let pre_executed = time(samples, || {
            let built = engine.build_pre_executed(&state, &block, &txs, &pre);
            assert_eq!((built.pipe.results.len() as u64, built.stats.inferences), (size, 0));
        });
        Self { inline, pipe, pre_executed, admission, stats }
    }

    fn ratio(&self) -> f64 {
        self.pipe.as_secs_f64() / self.inline.as_secs_f64()
    }

    fn pre_executed_ratio(&self) -> f64 {
        self.pre_executed.as_secs_f64() / self.inline.as_secs_f64()
    }
}

/// The mean time of `f` over `reps` calls (a median of `samples` such means).
fn per_call(samples: usize, reps: u32, mut f: impl FnMut()) -> Duration {
    time(samples, || (0..reps).for_each(|_| f())) / reps
}

fn one_inference(runtime: &Runtime, model: &str, samples: usize) -> Duration {
    let request = PipeRequest::decode(&call_data(model, 7)).expect("request");
    let reps = if model == "verigrad/minilm" { 2 } else { 200 };
    per_call(samples, reps, || {
        runtime.run(model, &request.input).expect("runs");
    })
}

fn main() {
    // One thread per inference, as pipe-node's default: the engine's workers give the parallelism.
    // SAFETY: first thing in `main`, before any other thread exists.
    unsafe { verigrad_inference::set_threads(verigrad_inference::DEFAULT_THREADS) };
    let quick = std::env::args().any(|a| a == "--quick");
    let samples = if quick { 5 } else { 21 };
    let runtime = Runtime::load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"))
        .expect("models (run scripts/setup for the embedder's weights)");
    let workers = EngineConfig::default().workers;

    let target = BlockRun::measure(&runtime, VOLATILITY, 64, samples, workers);
    // On one thread PIPE shows its extra work: half of this ratio bounds what two threads can reach.
    let alone = BlockRun::measure(&runtime, VOLATILITY, 64, samples, 1);
    let infer = one_inference(&runtime, VOLATILITY, samples);

    // The precompile alone, on a cache hit: what the execution phase does (the k-th call of a
    // transaction found where its simulation placed it; by call data when it strays from that), and
    // what replaying a block from its committed results does (decode, keccak id, lookup).
    const CALLS: usize = 2_000;
    let data = call_data(VOLATILITY, 7);
    let request = PipeRequest::decode(&data).expect("request");
    let resolution = compute(&runtime, &request);
    let by_position = Arc::new(ResultCache::for_block(1));
    let placed = by_position.insert_request(request.clone(), resolution.clone());
    by_position.place(0, vec![Some(placed); CALLS]);
    let by_calldata = Arc::new(ResultCache::new());
    by_calldata.insert_request(request.clone(), resolution.clone());
    let by_id = Arc::new(ResultCache::new());
    by_id.insert(request.id, resolution);
    // One transaction making CALLS calls, per sample.
    let hit = |cache: &Arc<ResultCache>| {
        let backend = CachedBackend::new(cache.clone());
        time(samples, || {
            backend.begin_transaction(0);
            for _ in 0..CALLS {
                assert!(run(&data, 1_000_000, 0, &backend).output.is_success());
            }
        }) / CALLS as u32
    };
    let (hit, calldata_hit, replay_hit) = (hit(&by_position), hit(&by_calldata), hit(&by_id));

    println!(
        "PIPE block build, 64 transactions on {VOLATILITY}, {workers} worker threads ({samples} \
         samples, median)"
    );
    println!("  inline sequential      {:>12.3?}", target.inline);
    println!("  PIPE pre-execution     {:>12.3?}   ratio {:.2}x", target.pipe, target.ratio());
    println!(
        "    rounds {}, summed over threads: simulate {:.3?}, infer {:.3?}, execute {:.3?}",
        target.stats.rounds, target.stats.simulate, target.stats.infer, target.stats.execute
    );
    println!(
        "  PIPE on one thread     {:>12.3?}   ratio {:.2}x (PIPE's work against inline's)",
        alone.pipe,
        alone.ratio()
    );
    println!(
        "  PIPE, pre-executed     {:>12.3?}   ratio {:.2}x (transactions pre-executed as they arrived)",
        target.pre_executed,
        target.pre_executed_ratio()
    );
    println!(
        "    pre-executing the 64 as they arrived, one after another: {:.3?} ({:.3?} each)",
        target.admission,
        target.admission / 64
    );
    println!("  one inference          {infer:>12.3?}");
    let percent = |d: Duration| 100.0 * d.as_secs_f64() / infer.as_secs_f64();
    println!("  precompile cache hit   {hit:>12.3?}   {:.1} % of one inference", percent(hit));
    println!(
        "    found by call data   {calldata_hit:>12.3?}   {:.1} % (a call off its placed position)",
        percent(calldata_hit)
    );
    println!(
        "    found by request id  {replay_hit:>12.3?}   {:.1} % (replay)",
        percent(replay_hit)
    );

    println!("\nWhere PIPE pays: the same block per model, cheapest model first");
    println!(
        "  {:<22} {:>6} {:>14} {:>14} {:>14} {:>7} {:>14} {:>7}",
        "model", "txs", "inference", "inline", "PIPE", "ratio", "pre-executed", "ratio"
    );
    let few = if quick { 3 } else { 5 };
    for (model, size, samples) in
        [(VOLATILITY, 64, samples), ("verigrad/risk", 64, samples), ("verigrad/minilm", 8, few)]
    {
        let measured;
        let run = if model == VOLATILITY {
            &target
        } else {
            measured = BlockRun::measure(&runtime, model, size, samples, workers);
            &measured
        };
        let infer = one_inference(&runtime, model, samples.min(few));
        println!(
            "  {model:<22} {size:>6} {infer:>14.3?} {:>14.3?} {:>14.3?} {:>6.2}x {:>14.3?} {:>6.2}x",
            run.inline,
            run.pipe,
            run.ratio(),
            run.pre_executed,
            run.pre_executed_ratio()
        );
    }
}
