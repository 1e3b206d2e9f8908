//! `worker models release` on a real chain: a model owner's repository is created once, and each
//! release pins the terms given (or the package manifest's).

use alloy::primitives::{B256, U256, aliases::U96};
use verigrad_contracts::{DeterminismClass, RiskClass, bindings::ModelRegistry, repository_id};
use verigrad_inference::ModelPackage;
use verigrad_testkit::market::{Market, MarketOptions, package_dir};
use verigrad_testkit::{DEPLOYER_KEY, address, text};

/// Runs `worker models release ARGS` as the deployer; returns the printed release id and stderr.
fn release(market: &Market, args: &[&str]) -> (B256, String) {
    let output = market.command(Some(DEPLOYER_KEY), args).output().expect("worker runs");
    assert!(output.status.success(), "{}", text(&output));
    let id = String::from_utf8_lossy(&output.stdout).trim().parse().expect("a release id");
    (id, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn models_release_creates_the_repository_once_and_pins_the_terms() {
    let market = Market::start(MarketOptions::default()).await;
    let volatility_dir = package_dir("volatility").display().to_string();
    let risk_dir = package_dir("risk").display().to_string();

    // From the manifest: name, version, determinism, cost units; the defaults: risk LOW, 1 token, 5 %.
    let (volatility, said) = release(&market, &["models", "release", &volatility_dir]);
    assert_eq!(volatility, ModelPackage::load(&volatility_dir).expect("package").id());
    assert!(said.contains("created the repository verigrad/volatility"), "{said}");

    // Into the same repository, every term given.
    let flags = ["--name", "verigrad/volatility", "--version", "2.0.0", "--risk", "high"];
    let terms = ["--epsilon", "2e-5", "--price", "0.5", "--royalty-bps", "250"];
    let args: Vec<&str> =
        ["models", "release", risk_dir.as_str()].into_iter().chain(flags).chain(terms).collect();
    let (risk, said) = release(&market, &args);
    assert!(!said.contains("created the repository"), "the repository exists: {said}");

    let registry = market.deployed.deployment.model_registry;
    let account = market.account(DEPLOYER_KEY).await;
    let rpc = account.chain().rpc();
    let repo = repository_id(address(DEPLOYER_KEY), "verigrad/volatility");
    let releases = rpc.view(registry, ModelRegistry::releasesOfCall { repoId: repo }).await;
    assert_eq!(releases.expect("releasesOf"), [volatility, risk]);

    let models = account.chain().models();
    let first = models.release(volatility).await.expect("read").expect("published");
    assert_eq!((first.repoId, first.version.as_str()), (repo, "1.0.0"));
    assert_eq!((first.determinism, first.toleranceE6), (DeterminismClass::EXACT, 0));
    assert_eq!((first.risk, first.royaltyBps), (RiskClass::LOW, 500));
    assert_eq!(first.basePrice, U96::from(10u128.pow(18)));
    let second = models.release(risk).await.expect("read").expect("published");
    assert_eq!((second.repoId, second.version.as_str()), (repo, "2.0.0"));
    assert_eq!((second.determinism, second.toleranceE6), (DeterminismClass::TOLERANCE, 20));
    assert_eq!((second.risk, second.royaltyBps), (RiskClass::HIGH, 250));
    assert_eq!(U256::from(second.basePrice), U256::from(5 * 10u128.pow(17)));
    // Each release's load counts its manifest's compute units a run, and it starts at its base price.
    for (id, units, price) in [(volatility, 64, first.basePrice), (risk, 48, second.basePrice)] {
        let load = models.load(id).await.expect("read").expect("published");
        assert_eq!((load.costUnits, load.price), (units, price));
    }
}
