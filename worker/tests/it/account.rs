//! The account commands of the `worker` binary, end to end: register, stake, status, unbond, withdraw.

use alloy::primitives::{B256, U256};
use serde_json::Value;

use verigrad_testkit::{
    Anvil, Deployed, Node, WORKER_KEY, address, free_port, text, tokens, worker,
};

/// Runs `worker status --json` and parses it.
fn status(env: &[(&str, &str)]) -> Value {
    let output = worker(env, &["status", "--json"]);
    assert!(output.status.success(), "{}", text(&output));
    serde_json::from_slice(&output.stdout).expect("status JSON")
}

/// A token amount field of the status JSON.
fn amount(status: &Value, field: &str) -> U256 {
    serde_json::from_value(status[field].clone()).unwrap_or_else(|e| panic!("{field}: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn register_stake_unbond_withdraw_round_trip() {
    let anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let me = address(WORKER_KEY);
    deployed.fund(&anvil, me, tokens(500)).await;

    let url = anvil.url().to_string();
    let file = deployed.file.to_string_lossy().into_owned();
    let env = [
        ("VERIGRAD_RPC_URL", url.as_str()),
        ("VERIGRAD_DEPLOYMENT", file.as_str()),
        ("VERIGRAD_KEY", WORKER_KEY),
    ];
    let run = |args: &[&str]| {
        let output = worker(&env, args);
        assert!(output.status.success(), "worker {args:?}: {}", text(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };

    let before = status(&env);
    assert_eq!(before["registered"], false);

    let model = B256::repeat_byte(0x11).to_string();
    let out = run(&[
        "register",
        "--roles",
        "compute,verify",
        "--endpoint",
        "http://127.0.0.1:9001",
        "--model",
        &model,
        "--stake",
        "200",
    ]);
    assert!(out.contains("registered") && out.contains("compute,verify"), "{out}");
    let registered = status(&env);
    assert_eq!(registered["registered"], true);
    assert_eq!(registered["roles"], "compute,verify");
    assert_eq!(registered["endpoint"], "http://127.0.0.1:9001");
    assert_eq!(registered["models"], serde_json::json!([model]));
    assert_eq!(amount(&registered, "stake"), tokens(200));
    assert_eq!(amount(&registered, "requiredStake"), tokens(200), "100 per role");
    assert_eq!(amount(&registered, "tokenBalance"), tokens(300));
    assert_eq!(
        (registered["jailed"].clone(), registered["reputationBps"].clone()),
        (false.into(), serde_json::json!([0]))
    );

    run(&["stake", "50"]);
    assert_eq!(amount(&status(&env), "stake"), tokens(250));

    // Unbonding below the roles' minimum is refused, and the revert is named.
    let refused = worker(&env, &["unbond", "100"]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("InsufficientStake"), "{}", text(&refused));

    run(&["unbond", "50"]);
    let unbonding = status(&env);
    assert_eq!(amount(&unbonding, "stake"), tokens(200));
    assert_eq!(amount(&unbonding, "unbonding"), tokens(50));
    let until = unbonding["unbondingUntil"].as_u64().expect("until");
    assert_eq!(until, unbonding["now"].as_u64().expect("now") + 7 * 24 * 3600);

    let early = worker(&env, &["withdraw"]);
    assert!(!early.status.success());
    assert!(text(&early).contains("NothingToWithdraw"), "{}", text(&early));

    anvil.rpc("evm_increaseTime", serde_json::json!([7 * 24 * 3600])).await;
    anvil.rpc("evm_mine", serde_json::json!([])).await;
    let out = run(&["withdraw"]);
    assert!(out.contains("withdrew 50"), "{out}");
    let after = status(&env);
    assert_eq!(amount(&after, "unbonding"), U256::ZERO);
    assert_eq!(amount(&after, "tokenBalance"), tokens(300));

    let human = run(&["status"]);
    assert!(human.contains("registered   yes") && human.contains("200 VGD"), "{human}");

    // Leaving: all active stake goes to unbonding.
    run(&["unbond", "all"]);
    let leaving = status(&env);
    assert_eq!(amount(&leaving, "stake"), U256::ZERO);
    assert_eq!(amount(&leaving, "unbonding"), tokens(200));
}

#[test]
fn retries_stop_after_the_budget_with_a_clear_error() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let started = std::time::Instant::now();
    let output = worker(
        &[("VERIGRAD_RPC_URL", &url)],
        &[
            "status",
            "--address",
            &address(WORKER_KEY).to_string(),
            "--rpc.attempts",
            "3",
            "--rpc.backoff-ms",
            "50",
        ],
    );
    let elapsed = started.elapsed();
    assert!(!output.status.success());
    let message = text(&output);
    assert!(message.contains("eth_chainId: gave up after 3 attempts"), "{message}");
    // Two waits, 50 and 100 ms; no attempt hangs.
    assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
}
