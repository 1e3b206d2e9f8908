//! MemSync end to end: `worker memory serve` store nodes on anvil, a namespace owned on chain, paid and
//! signed calls, roots committed by the owner's signature, replicas catching up and refusing a liar,
//! a delete proven by the new root, and a node killed mid-write.

use std::{path::Path, time::Duration};

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
    transports::http::reqwest,
};
use axum::{Json, Router, routing::get};
use verigrad_contracts::{MemoryRegistryClient, RoleSet, namespace_id};
use verigrad_memory::Snapshot;
use verigrad_memsync::{
    ClientError, MemoryClient, Served,
    auth::{AUTH_HEADER, Call, RequestAuth},
    wire::{CreateRequest, Message, SearchRequest},
};
use verigrad_testkit::{
    Node,
    market::KEYS,
    tokens,
    x402::{Market, Server, payer},
};

/// anvil's development keys 7 and 8 (public test keys): a lying store node and a late replica.
const LIAR_KEY: &str = "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356";
const LATE_KEY: &str = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
const OWNER_KEY: &str = KEYS[4];
const INTRUDER_KEY: &str = KEYS[5];
/// What one memory call costs on these nodes.
const PRICE: u64 = 1_000_000_000_000_000;

/// A `worker memory serve` process as `key`, with its data in `dir`.
pub(crate) fn memory_node(market: &Market, key: &str, dir: &Path) -> Server {
    std::fs::create_dir_all(dir).expect("data dir");
    let mut env = market.env();
    env.retain(|(name, _)| *name != "VERIGRAD_KEY");
    env.push(("VERIGRAD_KEY", key.to_owned()));
    let data = dir.to_string_lossy().into_owned();
    let price = PRICE.to_string();
    let args = ["memory", "serve", "--models", "models", "--data-dir", &data, "--price", &price];
    let mut args = args.to_vec();
    args.extend(["--sync-ms", "300"]);
    Server::start(&env, &args, dir.join("memory.log"))
}

/// Funds `key` and registers it as a store node at `endpoint`.
pub(crate) async fn register_store(market: &Market, key: &str, endpoint: &str) -> Address {
    let account = market.deployed.account(market.anvil.url(), key).await;
    market.deployed.fund(&market.anvil, account.address(), tokens(200)).await;
    let store: RoleSet = "store".parse().expect("roles");
    account.register(store, endpoint.to_owned(), vec![], tokens(100)).await.expect("registers");
    account.address()
}

pub(crate) fn registry(market: &Market) -> MemoryRegistryClient {
    MemoryRegistryClient::new(
        market.rpc.clone(),
        market.deployed.deployment.memory_registry,
        market.deployed.deployment.chain_id,
    )
}

fn user(content: &str) -> Message {
    Message { role: "user".into(), content: content.into() }
}

fn session(thread: &str, messages: &[&str]) -> CreateRequest {
    CreateRequest {
        messages: messages.iter().map(|m| user(m)).collect(),
        agent_id: "assistant-1".into(),
        thread_id: thread.into(),
        source: "chat".into(),
        metadata: None,
        expires_at: None,
    }
}

fn search(query: &str) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        limit: 5,
        categories: None,
        agent_id: None,
        thread_id: None,
        include_history: true,
        proofs: true,
    }
}

/// Polls `node`'s state of the namespace until it is the chain's latest at `seq`.
async fn wait_synced(client: &MemoryClient, seq: u64, log: impl Fn() -> String) -> Served {
    for _ in 0..150 {
        if let Ok(state) = client.state().await
            && state.committed
            && state.seq == seq
        {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the replica did not catch up to seq {seq}:\n{}", log());
}

/// Two store nodes (keys 3 and 4) on a fresh market, registered, and the owner's namespace under
/// `label` held by both; the owner's client pays with the funded payer and talks to node a.
struct Setup {
    market: Market,
    dir: tempfile::TempDir,
    a: Server,
    b: Server,
    nodes: [Address; 2],
    owner: PrivateKeySigner,
    registry: MemoryRegistryClient,
    namespace: B256,
    client: MemoryClient,
}

impl Setup {
    async fn open(label: &str) -> Self {
        let market = Market::open().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let a = memory_node(&market, KEYS[2], &dir.path().join("a"));
        let b = memory_node(&market, KEYS[3], &dir.path().join("b"));
        let nodes = [
            register_store(&market, KEYS[2], &a.url).await,
            register_store(&market, KEYS[3], &b.url).await,
        ];
        let owner: PrivateKeySigner = OWNER_KEY.parse().expect("key");
        let registry = registry(&market);
        let label = B256::right_padding_from(label.as_bytes());
        let namespace = registry
            .create_namespace(owner_sender(&market).await.sender(), label, &nodes)
            .await
            .expect("namespace created");
        assert_eq!(namespace, namespace_id(owner.address(), label));
        let client =
            MemoryClient::new(&a.url, owner.clone(), Some(payer()), registry.domain(), namespace);
        Self { market, dir, a, b, nodes, owner, registry, namespace, client }
    }
}

async fn owner_sender(market: &Market) -> verigrad_contracts::Account {
    market.deployed.account(market.anvil.url(), OWNER_KEY).await
}

#[tokio::test(flavor = "multi_thread")]
async fn memories_are_kept_selectively_committed_synced_and_erased() {
    let Setup { market, dir, a, b, nodes: [node_a, node_b], owner, registry, namespace, client } =
        Setup::open("assistant-1").await;
    let owner_account = owner_sender(&market).await;
    let paying = market.balance(payer().address()).await;

    // Unpaid: 402, nothing kept.
    let unpaid = MemoryClient::new(&a.url, owner.clone(), None, registry.domain(), namespace);
    let refused = unpaid.remember(&session("t1", &["I live in Lisbon."])).await;
    assert!(matches!(refused, Err(ClientError::Refused { status: 402, .. })), "{refused:?}");

    // Session one: a few facts among small talk; only the facts are kept.
    let first = client
        .remember(&session(
            "t1",
            &[
                "Hi! How are you today?",
                "I live in Lisbon and I work as a nurse.",
                "What's the weather like there?",
                "I have a dog called Max.",
                "Thanks, that's all for now.",
            ],
        ))
        .await
        .unwrap_or_else(|e| panic!("remember: {e}\n{}", a.log()));
    let kept = &first.body;
    assert!(kept.memories_created >= 2, "{kept:?}");
    assert!(kept.memories_created < 5, "small talk is not kept: {kept:?}");
    assert!(kept.memories.iter().any(|m| m.text.contains("Lisbon")), "{kept:?}");
    assert_eq!(market.balance(payer().address()).await, paying - U256::from(PRICE));
    assert!(!first.state.committed, "a write is the node's until the owner signs its root");
    let committed = client.commit(&kept.memories, &[]).await.expect("commit");
    let info = registry.namespace_info(namespace).await.expect("rpc").expect("namespace");
    assert_eq!((info.seq, info.root, info.count), (committed.seq, committed.root, committed.count));

    // Another key may not read or write the namespace, and pays nothing.
    let intruder: PrivateKeySigner = INTRUDER_KEY.parse().expect("key");
    let before = market.balance(payer().address()).await;
    let stranger = MemoryClient::new(&a.url, intruder, Some(payer()), registry.domain(), namespace);
    let refused = stranger.search(&search("where does the user live")).await;
    assert!(matches!(refused, Err(ClientError::Refused { status: 403, .. })), "{refused:?}");
    let refused = stranger.remember(&session("t1", &["I live in Paris."])).await;
    assert!(matches!(refused, Err(ClientError::Refused { status: 403, .. })), "{refused:?}");
    assert_eq!(market.balance(payer().address()).await, before);

    // A write at a stale sequence number is refused with the current one, and not charged.
    let stale = stale_write(&a.url, &owner, &registry, namespace, committed.seq - 1).await;
    assert_eq!(stale.0, 409, "{}", stale.1);
    let current = format!("the namespace is at {}", committed.seq);
    assert!(stale.1["error"].as_str().is_some_and(|e| e.contains(&current)), "{}", stale.1);
    assert_eq!(market.balance(payer().address()).await, before);

    // Session two: a changed fact supersedes the old one, which stays as history.
    let second = client
        .remember(&session("t2", &["Big news: I moved to Berlin last month."]))
        .await
        .unwrap_or_else(|e| panic!("remember: {e}\n{}", a.log()));
    assert_eq!(second.body.memories_superseded, 1, "{:?}", second.body);
    let committed = client.commit(&second.body.memories, &[]).await.expect("commit");

    // Search by meaning: the current fact first, the old one as history; proofs verify on chain.
    let found = client.search(&search("Where does the user live?")).await.expect("search");
    assert!(found.state.committed);
    let hits = &found.body.memories;
    let berlin = hits.iter().position(|h| h.record.text.contains("Berlin")).expect("Berlin found");
    let lisbon = hits.iter().position(|h| h.record.text.contains("Lisbon")).expect("history found");
    assert!(berlin < lisbon, "current before history: {hits:?}");
    assert!(hits[lisbon].record.valid_to.is_some() && hits[lisbon].record.superseded_by.is_some());
    for hit in hits {
        let proof = hit.proof.as_ref().expect("proof asked for");
        assert_eq!(proof.leaf, hit.record.leaf());
        assert!(verigrad_memory::verify(committed.root, proof.leaf, &proof.proof));
        let on_chain = registry_verifies(&market, namespace, committed.seq, proof).await;
        assert!(on_chain, "MemoryRegistry.verifyMemory accepts the proof");
    }

    // The second replica catches up from the first and verifies against the chain's root.
    let at_b = client.at(&b.url);
    wait_synced(&at_b, committed.seq, || b.log()).await;
    let found_b = at_b.search(&search("Where does the user live?")).await.expect("search b");
    assert_eq!(found_b.body.memories[0].record.id, hits[0].record.id);

    // A delete erases the memory everywhere, and the new root proves it absent.
    let dog = kept.memories.iter().find(|m| m.text.contains("Max")).expect("the dog was kept");
    client.delete(dog.id).await.expect("delete");
    let committed = client.commit(&[], &[dog.id]).await.expect("commit");
    assert_eq!(client.prove_absent(&registry, dog.id).await.expect("absent"), committed.seq);
    wait_synced(&at_b, committed.seq, || b.log()).await;
    assert_eq!(at_b.prove_absent(&registry, dog.id).await.expect("absent on b"), committed.seq);
    let gone = at_b.get(dog.id).await;
    assert!(matches!(gone, Err(ClientError::Refused { status: 404, .. })), "{gone:?}");
    for node in ["a", "b"] {
        let bytes = std::fs::read(dir.path().join(node).join("memory.redb")).expect("db");
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("dog called Max"), "node {node}'s file still holds the erased text");
    }

    // A lying replica serves records that do not hash to the root: a late replica refuses them and
    // catches up from an honest one.
    let liar_url = lying_replica(a.url.clone(), owner.clone(), registry.clone(), namespace).await;
    let liar = register_store(&market, LIAR_KEY, &liar_url).await;
    let late = memory_node(&market, LATE_KEY, &dir.path().join("late"));
    let late_node = register_store(&market, LATE_KEY, &late.url).await;
    let replicas = vec![liar, node_a, node_b, late_node];
    registry.set_replicas(owner_account.sender(), namespace, &replicas).await.expect("replicas");
    // A commit tells the replicas the root moved.
    let third = client
        .remember(&session("t3", &["I started learning the cello."]))
        .await
        .expect("remember");
    let committed = client.commit(&third.body.memories, &[]).await.expect("commit");
    let at_late = client.at(&late.url);
    wait_synced(&at_late, committed.seq, || late.log()).await;
    assert!(
        late.log().contains("do not match the chain's root"),
        "the liar's records were refused:\n{}",
        late.log()
    );
}

/// `MemoryRegistry.verifyMemory` on `proof`.
async fn registry_verifies(
    market: &Market,
    namespace: B256,
    seq: u64,
    proof: &verigrad_memory::MemoryProof,
) -> bool {
    let call = verigrad_contracts::bindings::MemoryRegistry::verifyMemoryCall {
        namespace,
        seq,
        leaf: proof.leaf,
        proof: proof.proof.clone(),
    };
    market.rpc.view(market.deployed.deployment.memory_registry, call).await.expect("verifyMemory")
}

/// A paid `POST /v1/memories` signed at `seq`: its status and body.
async fn stale_write(
    url: &str,
    owner: &PrivateKeySigner,
    registry: &MemoryRegistryClient,
    namespace: B256,
    seq: u64,
) -> (u16, serde_json::Value) {
    let body = serde_json::to_vec(&session("t1", &["I live in Porto."])).expect("json");
    let call = Call { method: "POST", path: "/v1/memories", body: &body };
    let deadline = now() + 60;
    let auth = RequestAuth::sign(owner, &registry.domain(), namespace, seq, 7, deadline, call)
        .expect("signs");
    let http = reqwest::Client::new();
    let url = format!("{url}/v1/memories");
    let request = || {
        http.post(&url)
            .header(AUTH_HEADER, auth.to_header())
            .header("content-type", "application/json")
            .body(body.clone())
    };
    let paid = verigrad_x402::pay_request(&url, request, &payer()).await.expect("sends");
    (paid.status, paid.body)
}

/// The namespace's snapshot from `url`, asked for by the owner.
async fn raw_snapshot(
    url: &str,
    owner: &PrivateKeySigner,
    registry: &MemoryRegistryClient,
    namespace: B256,
) -> Snapshot {
    let path = format!("/v1/namespaces/{namespace}/snapshot");
    let call = Call { method: "GET", path: &path, body: &[] };
    let nonce = u64::from_be_bytes(B256::random()[..8].try_into().expect("8 bytes"));
    let auth = RequestAuth::sign(owner, &registry.domain(), namespace, 0, nonce, now() + 60, call)
        .expect("signs");
    reqwest::Client::new()
        .get(format!("{url}{path}"))
        .header(AUTH_HEADER, auth.to_header())
        .send()
        .await
        .expect("snapshot")
        .json()
        .await
        .expect("snapshot json")
}

/// An HTTP server answering every snapshot with the honest node's current one, one memory's text
/// changed: a replica serving data that does not match the root.
async fn lying_replica(
    honest: String,
    owner: PrivateKeySigner,
    registry: MemoryRegistryClient,
    namespace: B256,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = Router::new().route(
        "/v1/namespaces/{namespace}/snapshot",
        get(move || {
            let (honest, owner, registry) = (honest.clone(), owner.clone(), registry.clone());
            async move {
                let mut snapshot = raw_snapshot(&honest, &owner, &registry, namespace).await;
                let record = snapshot.records.first_mut().expect("a memory to lie about");
                record.text = "User lives on the Moon.".into();
                Json(snapshot)
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    url
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A store node killed in the middle of a write comes back on a root its leaves prove: the last one
/// the chain holds, or the write's whole new one; never half of it. It then goes on serving.
#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_mid_write_restarts_on_a_whole_root() {
    let Setup { market, dir, a, b: _b, registry, namespace, client, .. } =
        Setup::open("crash").await;
    let data = dir.path().join("a");
    let first = client.remember(&session("t1", &["I live in Lisbon."])).await.expect("remember");
    let committed = client.commit(&first.body.memories, &[]).await.expect("commit");

    let busy = client.clone();
    let write = tokio::spawn(async move {
        let facts = [
            "I work as a carpenter.",
            "I have a cat called Luna.",
            "My partner is called Sam.",
            "I am allergic to peanuts.",
            "I play the violin.",
            "I am vegetarian.",
        ];
        busy.remember(&session("t2", &facts)).await
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    drop(a); // SIGKILL, mid-request
    let _ = write.await;

    let again = memory_node(&market, KEYS[2], &data);
    let client = client.at(&again.url);
    let (leaves, state) = client.leaves().await.expect("the leaves hash to the node's root");
    assert!(
        state.seq == committed.seq || state.seq == committed.seq + 1,
        "a whole write or none: {state:?} after {committed:?}"
    );
    if state.seq == committed.seq {
        assert_eq!((state.root, leaves.len()), (committed.root, committed.count as usize));
    }
    let chain = registry.namespace_info(namespace).await.expect("rpc").expect("namespace");
    assert_eq!(
        (chain.seq, chain.root),
        (committed.seq, committed.root),
        "the chain moved only by the owner"
    );
    let next = client.remember(&session("t3", &["I moved to Porto."])).await.expect("serves again");
    client.commit(&next.body.memories, &[]).await.expect("commits again");
}
