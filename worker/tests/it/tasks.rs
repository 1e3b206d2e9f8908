//! Tasks end to end: real `worker run` processes answering, verifying and settling tasks that
//! `worker submit` (or the test) creates on anvil, at every tier, with faulty, absent, killed
//! workers and bad inputs; and on pipe-node, the one chain of the demo.

use std::time::Duration;

use alloy::primitives::{Address, B256, U256, keccak256};
use serde_json::Value;
use verigrad_contracts::DeterminismClass;
use verigrad_contracts::{SeatState, TaskStatus};
use verigrad_task::{INPUT_REJECTED, WorkerStore};

use verigrad_testkit::market::{
    KEYS, Market, MarketOptions, SLASH, STAKE_PER_ROLE, amount, eventually, expected_output,
    finish, misshapen_input, risk_input, volatility_input,
};
use verigrad_testkit::{ChainKind, text, tokens};

const LIMIT: Duration = Duration::from_secs(90);

/// `worker submit` flags for `model` with `input` at `floor`.
fn submit_args<'a>(model: &'a str, input: &'a str, floor: &'a str) -> Vec<&'a str> {
    vec!["--model", model, "--input", input, "--floor", floor, "--deadline", "60"]
}

/// Waits until `paid` of `workers` have claimed a payout over their balance before, and nobody has
/// anything credited left.
async fn wait_paid(market: &Market, workers: &[(Address, U256)], paid: usize) {
    eventually("the payouts claimed", LIMIT, || async {
        let escrow = market.escrow();
        let mut gained = 0;
        for &(worker, before) in workers {
            if !escrow.claimable(worker).await.ok()?.is_zero() {
                return None;
            }
            gained += usize::from(market.balance(worker).await > before);
        }
        (gained == paid).then_some(())
    })
    .await;
}

async fn balances(market: &Market, workers: &[Address]) -> Vec<(Address, U256)> {
    let mut out = Vec::new();
    for &worker in workers {
        out.push((worker, market.balance(worker).await));
    }
    out
}

/// Waits until a seat of `task` — `by` that worker's, or anyone's — has committed.
async fn wait_committed(market: &Market, task: U256, by: Option<Address>) {
    eventually("a commit", LIMIT, || async {
        let state = market.task(task).await;
        let seats = market.escrow().seats(&state).await.ok()?;
        seats
            .iter()
            .any(|s| s.state == SeatState::Committed && by.is_none_or(|w| s.worker == w))
            .then_some(())
    })
    .await;
}

fn output_hash(outcome: &Value) -> B256 {
    outcome["outputHash"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .unwrap_or_else(|| panic!("no output: {outcome}"))
}

/// Runs one task at `floor` with `workers` honest compute+verify workers (with the packages on
/// disk, or `pulling` them from the store node); checks the result against a local execution, that
/// the seats and the committee (DEEP's, or a random audit's) claimed their pay, and that nobody is
/// slashed.
async fn tier_round_trip(floor: &str, model: &str, workers: usize, expect_k: u64, pulling: bool) {
    tier_round_trip_on(Market::open().await, floor, model, workers, expect_k, pulling).await;
}

/// [`tier_round_trip`] on `market`.
async fn tier_round_trip_on(
    market: Market,
    floor: &str,
    model: &str,
    workers: usize,
    expect_k: u64,
    pulling: bool,
) {
    let mut addresses = Vec::new();
    for key in &KEYS[..workers] {
        addresses.push(market.register(key, "compute,verify").await);
    }
    let mut running = Vec::new();
    for (i, key) in KEYS[..workers].iter().enumerate() {
        let name = format!("w{i}");
        running.push(if pulling {
            market.spawn_pulling(key, &name, &[]).await
        } else {
            market.spawn(key, &name, &[])
        });
    }
    let before = balances(&market, &addresses).await;
    let (json, input) = if model == "risk" { risk_input() } else { volatility_input() };
    let id = if model == "risk" { market.risk } else { market.volatility }.to_string();

    let outcome = market.submit_and_wait(&submit_args(&id, &json, floor)).await;
    assert_eq!(outcome["tier"], floor, "{outcome}");
    assert_eq!(outcome["redundancy"], expect_k, "{outcome}");
    assert_eq!(amount(&outcome["refunded"]), U256::ZERO, "the quote was the fee: {outcome}");
    let hash = output_hash(&outcome);
    if model == "volatility" {
        assert_eq!(hash, expected_output(model, &input), "the exact model's output, bit for bit");
    }
    let output = &outcome["output"]["numbers"][0];
    assert_eq!(output["name"], if model == "risk" { "risk" } else { "volatility" }, "{outcome}");
    assert_eq!(output["values"].as_array().map(Vec::len), Some(1), "{outcome}");

    let task = market.task(amount(&outcome["task"])).await;
    let paid = usize::from(task.redundancy + task.committee_size);
    if floor == "deep" {
        assert!(task.committee_size > 0, "DEEP is reviewed");
    }
    wait_paid(&market, &before, paid).await;
    for worker in addresses {
        let status = market.status(worker).await;
        assert_eq!(status.faults, 0, "{worker} slashed");
        assert_eq!(status.stake, tokens(2 * STAKE_PER_ROLE), "{worker} lost stake");
    }
    if pulling {
        for worker in &running {
            assert!(worker.log().contains("model pulled from the store"), "{}", worker.log());
        }
    }
}

/// LIGHT, with workers that hold no package and pull them from the store node.
#[tokio::test(flavor = "multi_thread")]
async fn light_task_finalizes_and_pays() {
    tier_round_trip("light", "volatility", 3, 1, true).await;
}

/// LIGHT on pipe-node: the task market on the chain that also runs PIPE, as the demo has it.
#[tokio::test(flavor = "multi_thread")]
async fn light_task_finalizes_and_pays_on_pipe_node() {
    let options = MarketOptions { chain: ChainKind::PipeNode, ..MarketOptions::default() };
    tier_round_trip_on(Market::open_with(options).await, "light", "volatility", 3, 1, false).await;
}

/// REDUNDANT: three seats agree; a fourth worker stays free to sit on the committee of a random audit
/// (a committee never seats a party to the task: with every verifier seated, an audit would be void).
#[tokio::test(flavor = "multi_thread")]
async fn redundant_task_finalizes_and_pays() {
    tier_round_trip("redundant", "volatility", 4, 3, false).await;
}

/// DEEP: three seats agree (tolerance model), then a committee of the fourth worker re-executes.
#[tokio::test(flavor = "multi_thread")]
async fn deep_task_is_reviewed_and_pays_seats_and_committee() {
    tier_round_trip("deep", "risk", 4, 3, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faulty_worker_is_slashed_by_the_quorum() {
    let market = Market::open().await;
    let honest =
        [market.register(KEYS[0], "compute").await, market.register(KEYS[1], "compute").await];
    let faulty = market.register(KEYS[2], "compute").await;
    let _verifier = market.verifier(KEYS[3], "verifier").await;
    let _honest = [market.spawn(KEYS[0], "a", &[]), market.spawn(KEYS[1], "b", &[])];
    let faulty_worker = market.spawn(KEYS[2], "faulty", &["--faulty"]);
    let (json, input) = volatility_input();
    let model = market.volatility.to_string();

    let outcome = market.submit_and_wait(&submit_args(&model, &json, "redundant")).await;
    assert_eq!(output_hash(&outcome), expected_output("volatility", &input), "the majority's");
    let status = market.status(faulty).await;
    assert_eq!(status.faults, 1);
    assert_eq!(status.stake, tokens(STAKE_PER_ROLE - SLASH));
    assert!(status.jailed);
    assert!(faulty_worker.log().contains("--faulty"), "{}", faulty_worker.log());
    for worker in honest {
        let status = market.status(worker).await;
        assert_eq!((status.faults, status.tasks_done), (0, 1), "{worker}");
    }
}

/// A tolerance model: reveals that differ go to a committee, which decodes each seat's output and
/// accepts those within ε of its own execution.
#[tokio::test(flavor = "multi_thread")]
async fn faulty_worker_on_a_tolerance_model_is_rejected_by_the_committee() {
    let market = Market::open().await;
    let honest =
        [market.register(KEYS[0], "compute").await, market.register(KEYS[1], "compute").await];
    let faulty = market.register(KEYS[2], "compute").await;
    let verifier = market.register(KEYS[3], "verify").await;
    let before = market.balance(verifier).await;
    let _running = [
        market.spawn(KEYS[0], "a", &[]),
        market.spawn(KEYS[1], "b", &[]),
        market.spawn(KEYS[2], "faulty", &["--faulty"]),
        market.spawn(KEYS[3], "verifier", &[]),
    ];
    let (json, input) = risk_input();
    let model = market.risk.to_string();

    let outcome = market.submit_and_wait(&submit_args(&model, &json, "redundant")).await;
    assert_eq!(output_hash(&outcome), expected_output("risk", &input), "an honest seat's output");
    let status = market.status(faulty).await;
    assert_eq!((status.faults, status.stake), (1, tokens(STAKE_PER_ROLE - SLASH)));
    for worker in honest {
        let status = market.status(worker).await;
        assert_eq!((status.faults, status.tasks_done), (0, 1), "{worker}");
    }
    // The committee member voted with the outcome and claimed its share.
    wait_paid(&market, &[(verifier, before)], 1).await;
}

/// Drift: no verifier at work, so the verification backlog is the drifting compute worker's. It
/// serves only the risk model, so the LIGHT volatility task is the faulty worker's; it re-executes
/// that result, challenges it, and the committee — started only once the review is open — upholds
/// the challenge. The faulty worker drifts too, and never checks its own task.
#[tokio::test(flavor = "multi_thread")]
async fn a_compute_worker_drifts_to_verification_and_catches_a_wrong_result() {
    let market = Market::open().await;
    let faulty = market.register_serving(KEYS[0], "compute", vec![market.volatility]).await;
    let drifter = market.register_serving(KEYS[1], "compute", vec![market.risk]).await;
    market.register(KEYS[2], "verify").await;
    market.register(KEYS[3], "verify").await;
    let faulty_worker = market.spawn(KEYS[0], "faulty", &["--faulty", "--drift-bps", "0"]);
    let drifting = market.spawn(KEYS[1], "drifter", &["--drift-bps", "0"]);
    let (json, _) = volatility_input();
    let model = market.volatility.to_string();
    let submit = market.submit(&submit_args(&model, &json, "light"));

    let task = U256::from(1);
    eventually("a review of the result", LIMIT, || async {
        (market.task(task).await.status == TaskStatus::Reviewing).then_some(())
    })
    .await;
    let _committee = [market.spawn(KEYS[2], "v1", &[]), market.spawn(KEYS[3], "v2", &[])];
    let output = finish(submit, Duration::from_secs(120)).await;
    assert!(output.status.success(), "worker submit: {}", text(&output));
    let outcome: Value = serde_json::from_slice(&output.stdout).expect("outcome");
    assert_eq!(outcome["outputHash"], Value::Null, "the wrong result fell: {outcome}");

    let status = market.status(faulty).await;
    assert_eq!((status.faults, status.stake), (1, tokens(STAKE_PER_ROLE - SLASH)));
    assert_eq!(market.status(drifter).await.faults, 0);
    assert!(drifting.log().contains("checking results too"), "{}", drifting.log());
    assert!(!faulty_worker.log().contains("challenging"), "a worker never checks its own task");
    if market.task(task).await.challenger.is_zero() {
        // The audit lottery sent the result to review before anyone could challenge it.
        return;
    }
    assert_eq!(
        market.task(task).await.challenger,
        drifter,
        "the drifting compute worker challenged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn faulty_light_result_is_challenged_and_slashed() {
    let market = Market::open().await;
    let faulty = market.register(KEYS[0], "compute").await;
    let verifiers =
        [market.register(KEYS[1], "verify").await, market.register(KEYS[2], "verify").await];
    let before = balances(&market, &verifiers).await;
    let _faulty = market.spawn(KEYS[0], "faulty", &["--faulty"]);
    let verifier_procs = [market.spawn(KEYS[1], "v1", &[]), market.spawn(KEYS[2], "v2", &[])];
    let (json, _) = volatility_input();
    let model = market.volatility.to_string();

    let outcome = market.submit_and_wait(&submit_args(&model, &json, "light")).await;
    assert_eq!(outcome["outputHash"], Value::Null, "the wrong result fell: {outcome}");
    assert_eq!(amount(&outcome["refunded"]), tokens(1), "the whole fee back");
    let status = market.status(faulty).await;
    assert_eq!((status.faults, status.stake), (1, tokens(STAKE_PER_ROLE - SLASH)));
    if market.task(U256::from(1)).await.challenger.is_zero() {
        // The 0.5 % audit lottery sent the result to the verifiers before anyone could challenge:
        // they rejected it, which is the other way LIGHT catches a wrong result.
        return;
    }
    assert!(verifier_procs.iter().any(|v| v.log().contains("challenging")), "nobody challenged");
    // The upheld challenger gets its bond back and the bounty, half the slashed stake (the rest
    // goes to the treasury); the other verifier, the committee, is paid a run from the review fund,
    // which holds just this task's reserve; both verifiers claim.
    let reserve = market.task(U256::from(1)).await.reserve;
    eventually("the challenger and the committee paid", LIMIT, || async {
        let after = balances(&market, &verifiers).await;
        let gained: U256 = after.iter().map(|(_, b)| *b).sum::<U256>()
            - before.iter().map(|(_, b)| *b).sum::<U256>();
        (gained == tokens(SLASH) / U256::from(2) + reserve).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_show_is_slashed_and_the_requester_refunded() {
    let market = Market::open().await;
    let absent = market.register(KEYS[0], "compute").await;
    let _verifier = market.verifier(KEYS[1], "verifier").await;
    let model = market.volatility.to_string();
    let (json, _) = volatility_input();

    let outcome =
        market.submit_and_wait(&["--model", &model, "--input", &json, "--deadline", "15"]).await;
    assert_eq!(outcome["outputHash"], Value::Null, "{outcome}");
    assert_eq!(amount(&outcome["refunded"]), tokens(1), "the whole fee back: {outcome}");
    let status = market.status(absent).await;
    assert_eq!((status.faults, status.stake), (1, tokens(STAKE_PER_ROLE - SLASH)));
    assert!(status.jailed);
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_killed_between_commit_and_reveal_reveals_after_restart() {
    let market = Market::open().await;
    let victim = market.register(KEYS[0], "compute").await;
    for key in &KEYS[1..3] {
        market.register(key, "compute").await;
    }
    let _verifier = market.verifier(KEYS[3], "verifier").await;
    let mut killed = market.spawn(KEYS[0], "victim", &[]);
    let (json, input) = volatility_input();
    let model = market.volatility.to_string();
    let submit = market.submit(&submit_args(&model, &json, "redundant"));

    // The victim commits alone; reveals cannot open before the others commit.
    wait_committed(&market, U256::from(1), Some(victim)).await;
    killed.kill();
    {
        let deployment = market.deployed.deployment;
        let store = WorkerStore::open(&killed.data, &deployment).expect("the victim's database");
        let pending = store.pending().expect("pending");
        assert_eq!(pending.len(), 1, "the commitment was stored before it was sent");
        assert_eq!(pending[0].1.output_hash, expected_output("volatility", &input));
    }
    killed.restart();
    let _others = [market.spawn(KEYS[1], "b", &[]), market.spawn(KEYS[2], "c", &[])];

    let output = finish(submit, LIMIT).await;
    assert!(output.status.success(), "{}", text(&output));
    let outcome: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(output_hash(&outcome), expected_output("volatility", &input));
    let status = market.status(victim).await;
    assert_eq!((status.faults, status.tasks_done), (0, 1), "revealed in time, not slashed");
    let log = killed.log();
    assert!(log.contains("resuming a stored commitment") && log.contains("revealed"), "{log}");
}

/// The chain's node goes away for a few seconds mid-task (stopped, then restarted from its state):
/// workers whose retry budget is shorter than the outage keep running, re-send what the node lost,
/// and the task finalizes with everyone paid and nobody slashed.
#[tokio::test(flavor = "multi_thread")]
async fn workers_ride_out_an_rpc_outage_mid_task() {
    let mut market = Market::open().await;
    let mut addresses = Vec::new();
    for key in &KEYS[..3] {
        addresses.push(market.register(key, "compute").await);
    }
    let _verifier = market.verifier(KEYS[3], "verifier").await;
    // Two attempts 100 ms apart: every request made during the outage gives up.
    let impatient = ["--rpc.attempts", "2", "--rpc.backoff-ms", "100"];
    let mut workers: Vec<_> = KEYS[..3]
        .iter()
        .enumerate()
        .map(|(i, key)| market.spawn(key, &format!("w{i}"), &impatient))
        .collect();
    let (json, input) = volatility_input();
    let model = market.volatility.to_string();
    let submit = market.submit(&submit_args(&model, &json, "redundant"));

    wait_committed(&market, U256::from(1), None).await;
    market.chain.stop();
    tokio::time::sleep(Duration::from_secs(5)).await;
    market.chain.restart();

    let output = finish(submit, LIMIT).await;
    assert!(output.status.success(), "{}", text(&output));
    let outcome: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(output_hash(&outcome), expected_output("volatility", &input));
    for (worker, process) in addresses.iter().zip(&mut workers) {
        assert!(process.is_running(), "{worker} exited:\n{}", process.log());
        let status = market.status(*worker).await;
        assert_eq!((status.faults, status.tasks_done), (0, 1), "{worker}: {}", process.log());
    }
    assert!(
        workers.iter().all(|w| w.log().contains("gave up after 2 attempts")),
        "the outage outlasted every worker's retry budget"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_inputs_end_with_a_refund() {
    let market = Market::open().await;
    // A release the worker serves but whose package exists nowhere.
    let ghost =
        market.publish_release("ghost", B256::repeat_byte(0x42), DeterminismClass::EXACT, 0).await;
    market.register_serving(KEYS[0], "compute", vec![market.volatility, ghost]).await;
    let worker = market.spawn(KEYS[0], "w", &["--max-input-kib", "1"]);
    // An audit (at least 9.1 % of LIGHT tasks) needs a verifier of both models, or its review
    // would be void and the task would close with no result. The size limit is a network-wide
    // rule: the verifier keeps the same one.
    market.register_serving(KEYS[1], "verify", vec![market.volatility, ghost]).await;
    let _verifier = market.spawn(KEYS[1], "v", &["--max-input-kib", "1"]);
    let (_, good_input) = volatility_input();
    let good = market.put(alloy::sol_types::SolValue::abi_encode(&good_input)).await;
    let oversized = {
        let (_, mut input) = volatility_input();
        input.strings.push(verigrad_inference::StringTensor::new("padding", ["x".repeat(4096)]));
        alloy::sol_types::SolValue::abi_encode(&input)
    };
    let inputs = [
        ("not a ModelInput", market.volatility, market.put(vec![1, 2, 3]).await),
        ("wrong shape", market.volatility, market.put(misshapen_input()).await),
        ("over the size limit", market.volatility, market.put(oversized).await),
        ("missing from the store", market.volatility, keccak256(b"never stored")),
        ("a model nobody has", ghost, good),
    ];
    let requester = verigrad_testkit::address(verigrad_testkit::DEPLOYER_KEY);
    let escrow = market.escrow();
    let owed_before = escrow.claimable(requester).await.expect("claimable");
    let mut tasks = Vec::new();
    for &(_, model, input) in &inputs {
        tasks.push(market.create_task(model, input, 60).await);
    }
    for &task in &tasks {
        market.assign(task).await;
    }
    for &task in &tasks {
        let settled = tokio::time::timeout(LIMIT, async {
            while market.task(task).await.status != TaskStatus::Settled {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
        .await;
        assert!(
            settled.is_ok(),
            "task {task} did not settle: {:?}\nworker log:\n{}",
            market.task(task).await,
            worker.log()
        );
        let result = escrow.result_of(task).await.expect("result");
        assert_eq!(result, Some(INPUT_REJECTED), "task {task}: a clear failed state");
    }
    // Each task's whole max fee but its review reserve was credited back to the requester, and
    // the worker that said so is no worse off: a rightful rejection is not a fault.
    let owed = escrow.claimable(requester).await.expect("claimable");
    let mut refunds = U256::ZERO;
    for &task in &tasks {
        refunds += U256::from(verigrad_testkit::market::MAX_FEE) - market.task(task).await.reserve;
    }
    assert_eq!(owed - owed_before, refunds);
    let status = market.status(verigrad_testkit::address(KEYS[0])).await;
    assert_eq!(status.faults, 0, "the worker that rejected the inputs was not slashed");
    let log = worker.log();
    for reason in ["malformed input", "malformed tensor", "over the limit", "404", "unavailable"] {
        assert!(log.contains(reason), "the log says why ({reason}): {log}");
    }
    assert!(log.contains("answering INPUT_REJECTED"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_refuses_unknown_models_and_malformed_input() {
    let market = Market::open().await;
    let (json, _) = volatility_input();
    let unknown = B256::repeat_byte(7).to_string();
    let volatility = market.volatility.to_string();
    for (args, says) in [
        (vec!["--model", unknown.as_str(), "--input", json.as_str()], "unknown model"),
        (vec!["--model", "verigrad/nope", "--input", json.as_str()], "unknown model"),
        (vec!["--model", volatility.as_str(), "--input", "{\"numbers\":[]}"], "malformed input"),
        (vec!["--model", volatility.as_str(), "--input", "{not json"], "malformed input"),
        (
            vec![
                "--model",
                "verigrad/volatility",
                "--input",
                r#"{"numbers":[{"name":"returns","shape":[1,2],"values":[1,2]}]}"#,
            ],
            "malformed input",
        ),
    ] {
        let mut full = args.clone();
        full.extend(["--models", "../models"]);
        let output = finish(market.submit(&full), LIMIT).await;
        assert!(!output.status.success(), "{args:?} accepted");
        assert!(text(&output).contains(says), "{args:?}: {}", text(&output));
    }
}

/// `worker load` creates tasks in batches at a steady rate, assigns and follows them, and judges
/// the run itself: every task finalized, the escrow balanced to the wei, nobody slashed.
#[tokio::test(flavor = "multi_thread")]
async fn load_runs_tasks_to_settlement_and_checks_the_ledger() {
    let market = Market::open().await;
    for key in &KEYS[..3] {
        market.register(key, "compute,verify").await;
    }
    let _workers = [
        market.spawn(KEYS[0], "a", &[]),
        market.spawn(KEYS[1], "b", &[]),
        market.spawn(KEYS[2], "c", &[]),
    ];
    let (json, _) = volatility_input();
    let model = market.volatility.to_string();
    let args = [
        "--tasks",
        "12",
        "--rate",
        "6",
        "--floor",
        "light",
        "--model",
        &model,
        "--input",
        &json,
        "--deadline",
        "120",
        "--expect-slashed",
        "none",
    ];
    let output = finish(market.requester_command("load", &args), LIMIT).await;
    assert!(output.status.success(), "{}", text(&output));
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["created"], 12, "{report}");
    assert_eq!(report["finalized"], 12, "{report}");
    assert_eq!(report["tiers"], serde_json::json!([12, 0, 0]), "{report}");
    assert_eq!(report["escrowBalance"], report["escrowLiabilities"], "{report}");
    assert!(text(&output).contains("check passed"), "{}", text(&output));
}

/// SIGTERM lets the current step finish and exits cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn run_stops_cleanly_on_sigterm() {
    let market = Market::open().await;
    let address = market.register(KEYS[0], "compute,verify").await;
    let mut worker = market.spawn(KEYS[0], "w", &["--log.format", "json"]);
    eventually("the worker running", LIMIT, || async {
        worker.log().contains("worker running").then_some(())
    })
    .await;
    assert!(worker.terminate(), "{}", worker.log());
    // Structured logs: one JSON object a line, the message and its fields apart.
    let lines: Vec<Value> = worker
        .log()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let running = lines
        .iter()
        .find(|l| l["fields"]["message"] == "worker running")
        .unwrap_or_else(|| panic!("no start line: {lines:?}"));
    assert_eq!(running["level"], "INFO");
    assert_eq!(running["fields"]["worker"], address.to_string(), "{running}");
    assert_eq!(lines.last().map(|l| &l["fields"]["message"]), Some(&"worker stopped".into()));
}
