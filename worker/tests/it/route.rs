//! The coordinate role end to end: `worker coordinate` routing over loopback to workers registered on
//! a real anvil, model names resolved through a real store node. The workers' inference APIs are
//! stand-ins here (the subject is the router): each answers with its own name, or holds a request
//! until the test lets it go.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use alloy::{
    primitives::{Address, U256, keccak256},
    sol_types::SolValue,
    transports::http::reqwest::{self, StatusCode},
};
use axum::{
    Json, Router,
    body::Bytes,
    http::{HeaderMap, Uri},
    routing::post,
};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use verigrad_contracts::{DeterminismClass, RiskClass};
use verigrad_contracts::{RoleSet, bindings::ModelRegistry};
use verigrad_route::{ROUTE_RECEIPT, SERVED_BY};

use crate::store::{StoreNode, models, shipped};
use verigrad_testkit::{Anvil, DEPLOYER_KEY, Deployed, Node, address, tokens};
use verigrad_x402::x402;

/// anvil's development keys 2 and 3: the two compute workers.
const WORKER_KEYS: [&str; 2] = [
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// A worker's inference API stand-in: answers `{"worker": name, "path": …}` after `delay`, echoing
/// any payment header; a body `{"hold": true}` waits for a permit from `gate` first.
pub(crate) struct StandIn {
    pub(crate) url: String,
    pub(crate) server: tokio::task::JoinHandle<()>,
}

impl StandIn {
    pub(crate) async fn start(name: &'static str, gate: Arc<Semaphore>) -> Self {
        Self::slow(name, gate, Duration::ZERO).await
    }

    pub(crate) async fn slow(name: &'static str, gate: Arc<Semaphore>, delay: Duration) -> Self {
        let handler = move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let gate = gate.clone();
            async move {
                let body: Value = serde_json::from_slice(&body).unwrap_or_default();
                if body["hold"] == true {
                    gate.acquire().await.expect("gate").forget();
                }
                tokio::time::sleep(delay).await;
                let paid = headers
                    .get("payment-signature")
                    .map(|v| v.to_str().unwrap_or_default().to_owned());
                Json(json!({ "worker": name, "paid": paid, "path": uri.path() }))
            }
        };
        Self::serve(Router::new().route("/v1/models/{*rest}", post(handler))).await
    }

    /// A worker registered for models it never loaded: every request is answered 404, as a real
    /// worker answers for a release it does not hold.
    pub(crate) async fn forgetful() -> Self {
        let handler = |uri: Uri| async move {
            let error = json!({ "error": format!("unknown model at {}", uri.path()) });
            (StatusCode::NOT_FOUND, Json(error))
        };
        Self::serve(Router::new().route("/v1/models/{*rest}", post(handler))).await
    }

    async fn serve(app: Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Self { url, server }
    }
}

/// A `worker coordinate` process, killed when dropped.
pub(crate) struct Coordinator {
    child: Child,
    pub(crate) url: String,
    _data: tempfile::TempDir,
}

impl Coordinator {
    /// Starts a coordinator; with `facilitator_key`, it also serves the x402 facilitator, settling
    /// with that key.
    pub(crate) fn start(
        rpc: &str,
        deployment: &str,
        store: &str,
        max_in_flight: u32,
        facilitator_key: Option<&str>,
        extra: &[&str],
    ) -> Self {
        let data = tempfile::tempdir().expect("dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_worker"));
        command
            .args(["coordinate", "--listen", "127.0.0.1:0", "--store", store])
            .args(["--max-in-flight", &max_in_flight.to_string(), "--refresh-secs", "1"])
            .args(extra)
            .arg("--data-dir")
            .arg(data.path())
            .env_clear()
            .env("VERIGRAD_RPC_URL", rpc)
            .env("VERIGRAD_DEPLOYMENT", deployment)
            .env("VERIGRAD_LOG", "info")
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped());
        if let Some(key) = facilitator_key {
            command.env("VERIGRAD_KEY", key);
        }
        let mut child = command.spawn().expect("coordinator starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
        let url = lines
            .find_map(|line| {
                let start = line.find("http://")?;
                Some(line[start..].split_whitespace().next()?.to_string())
            })
            .expect("the coordinator reports its address");
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, url, _data: data }
    }
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An x402 payment header paying `to` (only the field the router reads is filled in).
/// A real x402 payment header: the deployer (who holds tokens) authorizes `value` to `to` in the
/// Token of chain `chain_id` — what the coordinator's admission checks and ranks by.
fn offering(chain_id: u64, token: Address, to: Address, value: u64) -> String {
    let requirements = x402::PaymentRequirements {
        scheme: x402::SCHEME.into(),
        network: x402::network(chain_id),
        amount: U256::from(value),
        asset: token,
        pay_to: to,
        max_timeout_seconds: 300,
        extra: Some(verigrad_x402::facilitator::token_domain()),
    };
    let signer = DEPLOYER_KEY.parse().expect("key");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time");
    let signed = x402::authorize(&signer, &requirements, chain_id, now.as_secs()).expect("signs");
    let payment = x402::PaymentPayload {
        x402_version: x402::X402_VERSION,
        resource: None,
        accepted: requirements,
        payload: signed,
    };
    x402::encode_header(&payment)
}

/// `GET url` as JSON.
pub(crate) async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.expect("GET").json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_coordinator_routes_by_load_follows_payments_fails_over_and_sheds() {
    // A store naming the risk model, and the release priced on chain.
    let store_dir = tempfile::tempdir().expect("dir");
    let store = StoreNode::start(store_dir.path());
    let package = shipped("risk");
    let published = models(&store, &["publish", &package.to_string_lossy()]);
    assert!(published.status.success(), "{}", verigrad_testkit::text(&published));
    let model = verigrad_inference::ModelPackage::load(&package).expect("package").id();

    let anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let owner = deployed.account(anvil.url(), DEPLOYER_KEY).await;
    let registry = deployed.deployment.model_registry;
    let name = "verigrad/risk".to_string();
    owner
        .sender()
        .call(registry, ModelRegistry::createRepositoryCall { name: name.clone() })
        .await
        .expect("repo");
    let repo_id = keccak256((owner.address(), name).abi_encode_params());
    let release = ModelRegistry::publishReleaseCall {
        repoId: repo_id,
        releaseId: model,
        version: "1.0.0".into(),
        determinism: DeterminismClass::TOLERANCE,
        toleranceE6: 10,
        risk: RiskClass::LOW,
        basePrice: alloy::primitives::aliases::U96::from(10u64.pow(15)),
        royaltyBps: 500,
    };
    owner.sender().call(registry, release).await.expect("release");

    // Two compute workers serving it, each with its stand-in API.
    let gate = Arc::new(Semaphore::new(0));
    let mut stand_ins = Vec::new();
    for (key, name) in WORKER_KEYS.iter().zip(["first", "second"]) {
        let api = StandIn::start(name, gate.clone()).await;
        deployed.fund(&anvil, address(key), tokens(300)).await;
        let account = deployed.account(anvil.url(), key).await;
        let roles: RoleSet = "compute".parse().expect("roles");
        account.register(roles, api.url.clone(), vec![model], tokens(200)).await.expect("register");
        stand_ins.push(api);
    }
    let workers = WORKER_KEYS.map(address);

    let file = deployed.file.to_string_lossy().into_owned();
    let coordinator =
        Coordinator::start(anvil.url().as_str(), &file, &store.url, 1, Some(DEPLOYER_KEY), &[]);
    let http = reqwest::Client::new();
    let infer = |model: &str, body: Value, payment: Option<String>| {
        let mut request =
            http.post(format!("{}/v1/models/{model}/infer", coordinator.url)).json(&body);
        if let Some(payment) = payment {
            request = request.header("payment-signature", payment);
        }
        request.send()
    };
    let (chain_id, token) = (anvil.chain_id(), deployed.deployment.token);
    let price = 10u64.pow(15);

    // By name or by id, to a registered worker, the answer passed through.
    for reference in ["verigrad/risk", &model.to_string()] {
        let answer = infer(reference, json!({}), None).await.expect("routed");
        assert_eq!(answer.status(), StatusCode::OK);
        let served: Address =
            answer.headers()[SERVED_BY].to_str().expect("header").parse().expect("address");
        assert!(workers.contains(&served), "{served}");
        let body: Value = answer.json().await.expect("json");
        assert!(body["worker"] == "first" || body["worker"] == "second", "{body}");
    }
    let unknown = infer("nobody/nothing", json!({}), None).await.expect("answered");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.text().await.expect("text").contains("unknown model 'nobody/nothing'"));

    // Preferences and receipts: each routed answer says what was chosen and why; `sort` changes the
    // reason, a `max_price` below the live price is refused with the quote, a bad preference is a 400.
    let ask = |query: &str| {
        http.post(format!("{}/v1/models/verigrad/risk/infer?{query}", coordinator.url))
            .json(&json!({}))
            .send()
    };
    let routed = ask("").await.expect("routed");
    let receipt = routed.headers()[ROUTE_RECEIPT].to_str().expect("header").to_owned();
    assert!(receipt.contains("why=cost") && receipt.contains("among=2"), "{receipt}");
    assert!(receipt.contains(&format!("price={}", 10u64.pow(15))), "{receipt}");
    let fastest = ask("sort=latency").await.expect("routed");
    assert_eq!(fastest.status(), StatusCode::OK);
    assert!(fastest.headers()[ROUTE_RECEIPT].to_str().expect("header").contains("why=latency"));
    let capped = ask("max_price=1").await.expect("answered");
    assert_eq!(capped.status(), StatusCode::SERVICE_UNAVAILABLE);
    let refusal: Value = capped.json().await.expect("json");
    assert_eq!(refusal["quote"], json!(10u64.pow(15).to_string()), "{refusal}");
    assert_eq!(ask("max_price=1000000000000000").await.expect("routed").status(), StatusCode::OK);
    assert_eq!(ask("sort=fastest").await.expect("answered").status(), StatusCode::BAD_REQUEST);
    let table = get_json(&http, &format!("{}/v1/workers", coordinator.url)).await;
    let measured =
        table.as_array().expect("rows").iter().filter(|row| row["load"]["p90Ms"].is_number());
    assert!(measured.count() >= 1, "answer-time percentiles per worker: {table}");

    // A paid request goes to the worker it pays, payment header and all.
    for (i, worker) in workers.iter().enumerate() {
        let payment = offering(chain_id, token, *worker, price);
        let answer =
            infer("verigrad/risk", json!({}), Some(payment.clone())).await.expect("routed");
        assert_eq!(answer.headers()[SERVED_BY].to_str().expect("header"), worker.to_string());
        let body: Value = answer.json().await.expect("json");
        assert_eq!(body["worker"], ["first", "second"][i]);
        assert_eq!(body["paid"], payment);
    }

    // One request in flight per worker: two held requests fill both queues, a third is shed.
    let held: Vec<_> = (0..2)
        .map(|_| tokio::spawn(infer("verigrad/risk", json!({ "hold": true }), None)))
        .collect();
    let mut full = None;
    for _ in 0..100 {
        let status = get_json(&http, &format!("{}/health", coordinator.url)).await;
        if status["inFlight"] == 2 {
            full = Some(status);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(full.is_some(), "both workers took a held request");
    let shed = infer("verigrad/risk", json!({}), None).await.expect("answered");
    assert_eq!(shed.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(shed.headers()["retry-after"], "1");
    let refusal: Value = shed.json().await.expect("json");
    assert_eq!(refusal["quote"], json!(10u64.pow(15).to_string()), "the 429 quotes the price");
    gate.add_permits(2);
    let mut served_held = Vec::new();
    for request in held {
        let answer = request.await.expect("task").expect("routed");
        assert_eq!(answer.status(), StatusCode::OK);
        served_held.push(answer.headers()[SERVED_BY].to_str().expect("header").to_owned());
    }
    served_held.sort();
    let mut both: Vec<String> = workers.iter().map(ToString::to_string).collect();
    both.sort();
    assert_eq!(served_held, both, "the second held request went to the idle worker");

    // The first worker's API goes away: requests fall over to the second, which it now ranks first.
    stand_ins[0].server.abort();
    let _ = (&mut stand_ins[0].server).await;
    for _ in 0..3 {
        let answer = infer("verigrad/risk", json!({}), None).await.expect("routed");
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()[SERVED_BY].to_str().expect("header"), workers[1].to_string());
    }
    let table = get_json(&http, &format!("{}/v1/workers", coordinator.url)).await;
    let first = table
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["address"] == json!(workers[0]))
        .expect("first listed");
    assert!(first["load"]["failures"].as_u64() >= Some(1), "{table}");
    assert_eq!(first["price"], json!(U256::from(10u64.pow(15))));

    // A coordinator admitting one request at a time with one waiting: a held request in flight and
    // an unpaid one waiting, a paid offer displaces the unpaid one (429, with the quote), then gets
    // the slot the held request frees.
    let narrow = ["--max-pending", "1", "--max-waiting", "1", "--max-wait-ms", "20000"];
    let loaded = Coordinator::start(anvil.url().as_str(), &file, &store.url, 4, None, &narrow);
    let post = |body: Value, payment: Option<String>| {
        let mut request =
            http.post(format!("{}/v1/models/verigrad/risk/infer", loaded.url)).json(&body);
        if let Some(payment) = payment {
            request = request.header("payment-signature", payment);
        }
        request.send()
    };
    let occupancy = |in_flight: u64, waiting: u64| {
        let health = format!("{}/health", loaded.url);
        let http = http.clone();
        async move {
            for _ in 0..200 {
                let status = get_json(&http, &health).await;
                if status["inFlight"] == in_flight && status["waiting"] == waiting {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            panic!("the coordinator never had {in_flight} in flight and {waiting} waiting");
        }
    };
    let held = tokio::spawn(post(json!({ "hold": true }), None));
    occupancy(1, 0).await;
    let unpaid = tokio::spawn(post(json!({}), None));
    occupancy(1, 1).await;
    // The attacker's try: a header claiming a thousand times the price would not settle (the worker
    // takes exactly its price), so it offers nothing and cannot push the waiting request out.
    let inflated = offering(chain_id, token, workers[1], price * 1_000);
    let bluff = post(json!({}), Some(inflated)).await.expect("answered");
    assert_eq!(bluff.status(), StatusCode::TOO_MANY_REQUESTS);
    let refusal: Value = bluff.json().await.expect("json");
    assert!(refusal["error"].as_str().unwrap_or_default().contains("full"), "{refusal}");
    occupancy(1, 1).await;
    let payment = offering(chain_id, token, workers[1], price);
    let paid = tokio::spawn(post(json!({}), Some(payment)));
    let displaced = unpaid.await.expect("task").expect("answered");
    assert_eq!(displaced.status(), StatusCode::TOO_MANY_REQUESTS);
    let refusal: Value = displaced.json().await.expect("json");
    assert!(refusal["error"].as_str().unwrap_or_default().contains("higher offer"), "{refusal}");
    assert_eq!(refusal["quote"], json!(10u64.pow(15).to_string()));
    gate.add_permits(1);
    assert_eq!(held.await.expect("task").expect("routed").status(), StatusCode::OK);
    let served = paid.await.expect("task").expect("routed");
    assert_eq!(served.status(), StatusCode::OK, "the paid offer got the freed slot");
    assert_eq!(served.headers()[SERVED_BY].to_str().expect("header"), workers[1].to_string());

    // The coordinator is also the x402 facilitator.
    let supported = get_json(&http, &format!("{}/supported", coordinator.url)).await;
    let network = format!("eip155:{}", anvil.chain_id());
    assert!(
        supported["kinds"].as_array().into_iter().flatten().any(|k| k["network"] == network),
        "{supported}"
    );
}
