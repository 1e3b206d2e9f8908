//! A twin's drift check end to end: a twin bound to `verigrad/volatility` 1.0.0 on a real anvil, its
//! probe set in a real store node, three verifiers each running `DriftMember` (pulling both releases
//! from the store, measuring, committing, revealing). A move to another architecture (2.0.0, 2 832
//! ppm) is refused and the twin keeps its release; a move to the same model retrained from other
//! seeds (1.0.1, 1 206 ppm) passes under the 2 000 ppm bound, and the binding's history says so.

use std::time::Duration;

use alloy::primitives::{B256, U256, aliases::U96, keccak256};
use verigrad_blobs::StoreClient;
use verigrad_contracts::{
    DeterminismClass, RoleSet, TwinTerms,
    bindings::TwinRegistry::{BindingChange, CheckStatus},
};
use verigrad_inference::{ModelPackage, training};
use verigrad_testkit::{
    Anvil, DEPLOYER_KEY, Deployed, Node, address,
    market::{KEYS, release},
    text, tokens, worker,
};
use verigrad_twins::{DriftMember, MemberOptions};

use crate::store::{StoreNode, models, shipped};

#[tokio::test(flavor = "multi_thread")]
async fn a_twin_moves_to_its_retrained_release_and_refuses_another_architecture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreNode::start(&dir.path().join("store"));
    let twins_dir = shipped("twins");
    let packages = [
        shipped("volatility"),
        twins_dir.join("volatility-1.0.1"),
        twins_dir.join("volatility-2.0.0"),
    ];
    let mut ids = Vec::new();
    for package in &packages {
        let published = models(&store, &["publish", &package.to_string_lossy()]);
        assert!(published.status.success(), "{}", verigrad_testkit::text(&published));
        ids.push(ModelPackage::load(package).expect("package").id());
    }
    let (shipped_release, retrained, narrow) = (ids[0], ids[1], ids[2]);

    let anvil = Anvil::start();
    let deployed = Deployed::on(&anvil);
    let owner = deployed.account(anvil.url(), DEPLOYER_KEY).await;
    for (id, version) in [(shipped_release, "1.0.0"), (retrained, "1.0.1"), (narrow, "2.0.0")] {
        let mut new =
            release("volatility", id, DeterminismClass::EXACT, 0, tokens(1) / U256::from(100));
        new.version = version.into();
        owner.publish_release(&new).await.expect("published");
    }
    // Three verifiers serving every release; their stake counts from the registry's next epoch.
    let mut members = Vec::new();
    for (i, key) in KEYS[..3].iter().enumerate() {
        deployed.fund(&anvil, address(key), tokens(200)).await;
        let account = deployed.account(anvil.url(), key).await;
        let roles: RoleSet = "verify".parse().expect("roles");
        let releases = vec![shipped_release, retrained, narrow];
        account.register(roles, String::new(), releases, tokens(100)).await.expect("register");
        let options = MemberOptions {
            models: Vec::new(),
            cache: dir.path().join(format!("cache{i}")),
            poll: Duration::from_millis(300),
            // Generous: CI runs this beside other end-to-end tests on two cores.
            patience: Duration::from_secs(120),
        };
        let signer = key.parse().expect("key");
        let member = DriftMember::new(
            account.chain().clone(),
            account.sender().clone(),
            signer,
            StoreClient::new(store.url.clone()),
            options,
        )
        .expect("member");
        members.push(member);
    }
    let mine = || async {
        for _ in 0..20 {
            anvil.rpc("evm_mine", serde_json::json!([])).await;
        }
    };
    mine().await;

    // The twin: bound to 1.0.0, its behaviour pinned on 256 probe windows within 2 000 ppm.
    let twins = owner.chain().twins().expect("deployed");
    let agent =
        twins.register(owner.sender(), "https://example.org/twin.json").await.expect("registered");
    let probes = training::volatility_probes(256).expect("probes");
    let stored = StoreClient::new(store.url.clone()).put(probes.encode()).await.expect("stored");
    assert_eq!(stored, probes.commitment(), "the store names the probe set by its commitment");
    let terms = TwinTerms {
        release: shipped_release,
        profile_hash: keccak256(b"a cautious volatility forecaster"),
        memory_namespace: B256::ZERO,
        probe_set_hash: probes.commitment(),
        drift_bound_ppm: 2_000,
    };
    twins.bind(owner.sender(), agent, &terms).await.expect("bound");
    let token = owner.chain().token();
    token.approve(owner.sender(), twins.address(), tokens(2)).await.expect("approved");
    let fee = U96::from(tokens(1).to::<u128>());

    // Each check: proposed, then the three members (and blocks, for the committee's anchor) until
    // it resolves.
    let decide = |to: B256| {
        let (twins, owner, members, anvil) = (&twins, &owner, &members, &anvil);
        async move {
            let check =
                twins.propose_upgrade(owner.sender(), agent, to, fee).await.expect("proposed");
            let votes = async {
                let (a, b, c) = tokio::join!(
                    members[0].serve(check),
                    members[1].serve(check),
                    members[2].serve(check)
                );
                vec![a, b, c]
            };
            let miner = async {
                loop {
                    anvil.rpc("evm_mine", serde_json::json!([])).await;
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
            };
            let verdicts = tokio::select! {
                verdicts = votes => verdicts,
                () = miner => unreachable!("the miner never stops"),
            };
            let verdicts: Vec<CheckStatus> = verdicts
                .into_iter()
                .map(|v| v.unwrap_or_else(|e| panic!("a member: {e}")))
                .collect();
            (check, verdicts)
        }
    };

    let (refused, verdicts) = decide(narrow).await;
    assert!(verdicts.iter().all(|v| *v == CheckStatus::Refused), "{verdicts:?}");
    let check = twins.check(refused).await.expect("check");
    assert_eq!(check.agreedPpm, 2_832, "every member measured the documented drift");
    let binding = twins.binding(agent).await.expect("read").expect("bound");
    assert_eq!(binding.release, shipped_release, "the twin keeps its release");

    let (passed, verdicts) = decide(retrained).await;
    assert!(verdicts.iter().all(|v| *v == CheckStatus::Passed), "{verdicts:?}");
    assert_eq!(twins.check(passed).await.expect("check").agreedPpm, 1_206);
    let history = twins.history(agent).await.expect("history");
    assert_eq!(history.len(), 2, "bound, then moved by the passed check");
    assert_eq!(history[0].release, shipped_release);
    assert_eq!((history[1].release, history[1].change), (retrained, BindingChange::Release));
    assert_eq!(U256::from(history[1].checkId), passed);
    for key in &KEYS[..3] {
        let earned = twins.claimable(address(key)).await.expect("claimable");
        assert!(earned > U256::ZERO, "each agreeing member earns a share of the fees");
    }

    // The history as `worker twins status` prints it.
    let rpc = anvil.url().to_string();
    let file = deployed.file.to_string_lossy().into_owned();
    let env = [("VERIGRAD_RPC_URL", rpc.as_str()), ("VERIGRAD_DEPLOYMENT", file.as_str())];
    let status = worker(&env, &["twins", "status", "--twin", &agent.to_string()]);
    let printed = text(&status);
    assert!(status.status.success(), "{printed}");
    assert!(printed.contains("2 binding versions"), "{printed}");
    assert!(
        printed.contains(&format!("release by check {passed}; release {retrained}")),
        "{printed}"
    );
}
