//! The Model Hub as a routing layer, end to end: `worker coordinate` on a real anvil and a real store
//! node choosing among two releases of one repository — named by repository, by version, by a
//! capability tag published in the ModelRegistry — by live price, measured latency and preference,
//! and falling back across releases when workers die or stall. The workers' APIs are stand-ins that
//! say who answered and which release they were asked for.

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::{Address, U256},
    transports::http::reqwest::{self, StatusCode},
};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use verigrad_contracts::{DeterminismClass, RoleSet, bindings::ModelRegistry};
use verigrad_route::{ROUTE_RECEIPT, SERVED_BY};
use verigrad_testkit::{
    Anvil, DEPLOYER_KEY, Deployed, Node, address,
    market::{KEYS, release},
    tokens,
};

use crate::{
    route::{Coordinator, StandIn, get_json},
    store::{StoreNode, models, shipped},
};

const CHEAP: u64 = 10u64.pow(15);
const DEAR: u64 = 3 * 10u64.pow(15);
const TAG: &str = "risk/liquidation";

/// The shipped risk package as version `version`: the same model, another release id.
fn risk_version(dir: &std::path::Path, version: &str) -> std::path::PathBuf {
    let copy = dir.join(version);
    std::fs::create_dir_all(&copy).expect("dir");
    for entry in std::fs::read_dir(shipped("risk")).expect("package") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), copy.join(entry.file_name())).expect("copy");
    }
    let manifest = copy.join("manifest.json");
    let mut json: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("manifest")).expect("json");
    json["version"] = json!(version);
    std::fs::write(&manifest, serde_json::to_string_pretty(&json).expect("json")).expect("write");
    copy
}

/// Who answered a routed request, the release in the receipt, and the path the worker was asked on.
struct Routed {
    status: StatusCode,
    worker: Option<Address>,
    receipt: String,
    body: Value,
}

async fn routed(response: reqwest::Response) -> Routed {
    let status = response.status();
    let header = |name| response.headers().get(name).map(|v| v.to_str().expect("ascii").to_owned());
    let worker = header(SERVED_BY).map(|w| w.parse().expect("address"));
    let receipt = header(ROUTE_RECEIPT).unwrap_or_default();
    let body = response.json().await.unwrap_or_default();
    Routed { status, worker, receipt, body }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_routes_by_repository_version_and_tag_to_the_cheaper_faster_release() {
    // Two versions of one model in the store, published as two releases of one repository: the
    // older at a third of the newer's price, both tagged with the capability.
    let dir = tempfile::tempdir().expect("dir");
    let store = StoreNode::start(&dir.path().join("store"));
    let mut ids = Vec::new();
    for version in ["1.0.0", "1.1.0"] {
        let package = risk_version(dir.path(), version);
        let published = models(&store, &["publish", &package.to_string_lossy()]);
        assert!(published.status.success(), "{}", verigrad_testkit::text(&published));
        ids.push(verigrad_inference::ModelPackage::load(&package).expect("package").id());
    }
    let (cheap, dear) = (ids[0], ids[1]);

    let anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let owner = deployed.account(anvil.url(), DEPLOYER_KEY).await;
    for (id, version, price) in [(cheap, "1.0.0", CHEAP), (dear, "1.1.0", DEAR)] {
        let mut new = release("risk", id, DeterminismClass::TOLERANCE, 10, U256::from(price));
        new.version = version.into();
        new.tags = vec![TAG.into()];
        owner.publish_release(&new).await.expect("published with its tag");
    }
    let tagged = owner.chain().models().releases_tagged(TAG).await;
    assert_eq!(tagged.expect("read"), vec![cheap, dear]);

    // fast and slow serve the cheap release, other the dear one.
    let gate = Arc::new(Semaphore::new(0));
    let workers: Vec<(Address, StandIn)> = {
        let mut workers = Vec::new();
        let plan = [("fast", 0, cheap), ("slow", 300, cheap), ("other", 0, dear)];
        for (key, (name, delay_ms, serves)) in KEYS[1..4].iter().zip(plan) {
            let api = StandIn::slow(name, gate.clone(), Duration::from_millis(delay_ms)).await;
            deployed.fund(&anvil, address(key), tokens(300)).await;
            let account = deployed.account(anvil.url(), key).await;
            let roles: RoleSet = "compute".parse().expect("roles");
            let endpoint = api.url.clone();
            account.register(roles, endpoint, vec![serves], tokens(200)).await.expect("register");
            workers.push((address(key), api));
        }
        workers
    };
    let (fast, slow, other) = (workers[0].0, workers[1].0, workers[2].0);

    let file = deployed.file.to_string_lossy().into_owned();
    let url = anvil.url().to_string();
    let coordinator = Coordinator::start(&url, &file, &store.url, 8, None, &[]);
    let http = reqwest::Client::new();
    let ask = |model: &str, query: &str| {
        let target = format!("{}/v1/models/{model}/infer?{query}", coordinator.url);
        let request = http.post(target).json(&json!({})).send();
        async move { routed(request.await.expect("answered")).await }
    };

    // A burst spreads over every worker, so each is measured: slow's answers take 300 ms.
    let burst: Vec<_> = (0..6).map(|_| tokio::spawn(ask("verigrad/risk", ""))).collect();
    for request in burst {
        assert_eq!(request.await.expect("task").status, StatusCode::OK);
    }

    // By repository: the cheaper release, on its faster worker; the worker is asked for it by id.
    for _ in 0..4 {
        let answer = ask("verigrad/risk", "").await;
        assert_eq!(answer.worker, Some(fast), "{}", answer.receipt);
        assert!(answer.receipt.contains(&format!("release={cheap}")), "{}", answer.receipt);
        assert_eq!(answer.body["path"], format!("/v1/models/{cheap}/infer"));
    }
    let table = get_json(&http, &format!("{}/v1/workers", coordinator.url)).await;
    let p50 = |worker: Address| {
        let rows = table.as_array().expect("rows");
        let row = rows.iter().find(|row| row["address"] == json!(worker)).expect("listed");
        row["load"]["p50Ms"].as_f64().expect("measured")
    };
    assert!(p50(slow) >= 300.0 && p50(fast) < 300.0, "{table}");

    // By capability tag: the same choice. By version: that release. By preference: latency ignores
    // the price, price takes the cheaper release, max_price filters releases or refuses with the
    // cheapest quote.
    let by_tag = ask(TAG, "").await;
    assert_eq!((by_tag.status, by_tag.worker), (StatusCode::OK, Some(fast)), "{}", by_tag.receipt);
    assert!(by_tag.receipt.contains("among=3"), "{}", by_tag.receipt);
    let by_version = ask("verigrad/risk@1.1.0", "").await;
    assert_eq!(by_version.worker, Some(other));
    assert_eq!(by_version.body["path"], format!("/v1/models/{dear}/infer"));
    assert!(ask(TAG, "sort=price").await.receipt.contains(&format!("release={cheap}")));
    let within = ask(TAG, &format!("max_price={}", DEAR - 1)).await;
    assert_eq!(within.worker, Some(fast));
    let refused = ask(TAG, "max_price=1").await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.body["quote"], json!(CHEAP.to_string()), "{}", refused.body);
    assert_eq!(ask("nothing/tagged", "").await.status, StatusCode::NOT_FOUND);

    // The catalog lists each release with its tags and live price.
    let listed = get_json(&http, &format!("{}/v1/models", coordinator.url)).await;
    let releases = listed["data"].as_array().expect("data");
    assert_eq!(releases.len(), 2, "{listed}");
    for row in releases {
        assert_eq!(row["tags"], json!([TAG]), "{listed}");
    }

    // Fallbacks: the fast worker dies, and a worker registers for the cheap release without holding
    // it; a coordinator that waits 150 ms at most tries the dead one (refused), the forgetful one
    // (404), slow (too slow), then the other release's worker, which answers.
    workers[0].1.server.abort();
    let forgetful = StandIn::forgetful().await;
    deployed.fund(&anvil, address(KEYS[4]), tokens(300)).await;
    let account = deployed.account(anvil.url(), KEYS[4]).await;
    let roles: RoleSet = "compute".parse().expect("roles");
    let endpoint = forgetful.url.clone();
    account.register(roles, endpoint, vec![cheap], tokens(200)).await.expect("register");
    let impatient = ["--answer-timeout-ms", "150"];
    let strict = Coordinator::start(&url, &file, &store.url, 8, None, &impatient);
    let target = format!("{}/v1/models/{TAG}/infer", strict.url);
    let answer = routed(http.post(target).json(&json!({})).send().await.expect("answered")).await;
    assert_eq!((answer.status, answer.worker), (StatusCode::OK, Some(other)), "{}", answer.body);
    assert!(answer.receipt.contains("fallbacks=3"), "{}", answer.receipt);
    assert!(answer.receipt.contains(&format!("release={dear}")), "{}", answer.receipt);

    // Deprecating the cheap release takes it out of routing once the listing is re-read.
    let deprecate = ModelRegistry::deprecateCall { releaseId: cheap };
    owner.sender().call(deployed.deployment.model_registry, deprecate).await.expect("deprecated");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let answer = ask("verigrad/risk", "").await;
    assert_eq!((answer.status, answer.worker), (StatusCode::OK, Some(other)), "{}", answer.receipt);
}
