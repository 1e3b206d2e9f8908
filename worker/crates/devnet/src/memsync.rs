//! MemSync: an agent's memory across two sessions. Two store nodes (`worker memory serve`) replicate
//! the requester's namespace; each session's messages are kept selectively, a changed fact supersedes
//! the old one, the owner signs every new root onto the chain, the second node catches up and verifies
//! against it, and a delete changes the root so that the memory is provably gone.

use std::time::Duration;

use alloy::{primitives::B256, signers::local::PrivateKeySigner};
use verigrad_contracts::{MemoryRegistryClient, RoleSet};
use verigrad_memsync::{
    MemoryClient, Served,
    wire::{CreateRequest, Message, SearchRequest},
};
use verigrad_testkit::{DEPLOYER_KEY, Process, market::STAKE_PER_ROLE, tokens};

use crate::network::Network;

/// anvil's development keys 7 and 8 (public test keys): the two store nodes' operators.
const NODES: [(&str, &str, u16); 2] = [
    ("memory-a", "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356", 9300),
    ("memory-b", "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97", 9301),
];

/// Runs the story; fails unless every step verifies against the chain.
pub(crate) async fn run(network: &Network) -> anyhow::Result<()> {
    println!(
        "\n== MemSync: an agent's memory across two sessions, its root on chain, two store nodes"
    );
    let market = &network.market;
    let mut processes = Vec::new();
    let mut replicas = Vec::new();
    for (name, key, port) in NODES {
        let dir = network.dir.join("memory").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let url = format!("http://127.0.0.1:{port}");
        let account = market.account(key).await;
        market.deployed.fund(&market.chain, account.address(), tokens(STAKE_PER_ROLE + 10)).await;
        let store: RoleSet = "store".parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        account.register(store, url.clone(), vec![], tokens(STAKE_PER_ROLE)).await?;
        let listen = format!("127.0.0.1:{port}");
        let data = dir.display().to_string();
        let args =
            ["memory", "serve", "--listen", &listen, "--data-dir", &data, "--sync-ms", "500"];
        let mut process = Process::new(name, network.dir.join(format!("{name}.log")));
        process.spawn(market.command(Some(key), &args));
        process.wait_listening(port, Duration::from_secs(60));
        println!("  {name}: store node {} on {url} (log .devnet/{name}.log)", account.address());
        replicas.push(account.address());
        processes.push(process);
    }

    let owner: PrivateKeySigner = DEPLOYER_KEY.parse()?;
    let requester = market.account(DEPLOYER_KEY).await;
    let registry = network.chain.memory()?;
    let label = B256::right_padding_from(b"assistant");
    let namespace = registry.create_namespace(requester.sender(), label, &replicas).await?;
    println!("  the requester creates namespace {namespace} held by memory-a and memory-b");
    let a = MemoryClient::new(
        &format!("http://127.0.0.1:{}", NODES[0].2),
        owner.clone(),
        Some(owner),
        registry.domain(),
        namespace,
    );

    let monday = [
        "Hi there, how's it going?",
        "I live in Lisbon and I work as a nurse at the city hospital.",
        "Can you recommend a good book?",
        "I have a dog called Max.",
        "Thanks, that's all for today!",
    ];
    let first = remember(&a, "monday", &monday).await?;
    let dog = first.iter().find(|m| m.1.contains("Max")).map(|m| m.0);
    let friday = ["Guess what, I moved to Berlin last month.", "lol the weather is awful today"];
    remember(&a, "friday", &friday).await?;

    println!("  POST /v1/memories/search \"Where does the user live?\" (memory-a, with proofs)");
    let search = SearchRequest {
        query: "Where does the user live?".into(),
        limit: 4,
        categories: None,
        agent_id: None,
        thread_id: None,
        include_history: true,
        proofs: true,
    };
    let found = a.search(&search).await?;
    for hit in &found.body.memories {
        let record = &hit.record;
        let proof = hit.proof.as_ref().ok_or_else(|| anyhow::anyhow!("no proof"))?;
        let proven = verigrad_memory::verify(found.state.root, proof.leaf, &proof.proof);
        let history = if record.valid_to.is_some() { ", history" } else { "" };
        println!(
            "    {:.3}  {}  ({}{history}; proof against the chain's root: {})",
            hit.vector_distance.unwrap_or_default(),
            record.text,
            record.categories.join(","),
            if proven { "ok" } else { "FAILED" }
        );
        anyhow::ensure!(proven, "a proof did not verify");
    }

    let b = a.at(&format!("http://127.0.0.1:{}", NODES[1].2));
    let synced = wait_synced(&b, found.state.seq).await?;
    println!(
        "  memory-b caught up from memory-a: seq {} root {} — its records hash to the chain's root",
        synced.seq, synced.root
    );

    if let Some(dog) = dog {
        a.delete(dog).await?;
        let state = a.commit(&[], &[dog]).await?;
        a.prove_absent(&registry, dog).await?;
        wait_synced(&b, state.seq).await?;
        b.prove_absent(&registry, dog).await?;
        println!(
            "  DELETE the dog memory: new root {} at seq {}; on both nodes the leaves hash to it without the memory",
            state.root, state.seq
        );
    }
    history(&registry, namespace, synced.seq.max(a.state().await?.seq)).await?;
    drop(processes);
    Ok(())
}

/// Sends one session, prints what was kept, and commits the new root; returns (id, text) of the new
/// memories.
async fn remember(
    client: &MemoryClient,
    thread: &str,
    messages: &[&str],
) -> anyhow::Result<Vec<(B256, String)>> {
    println!(
        "  session \"{thread}\": POST /v1/memories with {} messages (paid by x402)",
        messages.len()
    );
    let request = CreateRequest {
        messages: messages
            .iter()
            .map(|m| Message { role: "user".into(), content: (*m).to_owned() })
            .collect(),
        agent_id: "assistant".into(),
        thread_id: thread.into(),
        source: "chat".into(),
        metadata: None,
        expires_at: None,
    };
    let answer = client.remember(&request).await?;
    let kept = answer.body;
    for memory in &kept.memories {
        println!("    kept [{}] {}", memory.categories.join(","), memory.text);
    }
    println!(
        "    {} kept, {} reinforced, {} superseded, {} clauses skipped",
        kept.memories_created,
        kept.memories_reinforced,
        kept.memories_superseded,
        kept.clauses_skipped
    );
    let state = client.commit(&kept.memories, &[]).await?;
    println!(
        "    the requester signs the new root: seq {} root {} ({} memories)",
        state.seq, state.root, state.count
    );
    Ok(kept.memories.into_iter().map(|m| (m.id, m.text)).collect())
}

async fn wait_synced(client: &MemoryClient, seq: u64) -> anyhow::Result<Served> {
    for _ in 0..120 {
        if let Ok(state) = client.state().await
            && state.committed
            && state.seq >= seq
        {
            return Ok(state);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    anyhow::bail!("memory-b did not catch up to seq {seq} (log .devnet/memory-b.log)")
}

/// The namespace's roots on chain, seq by seq.
async fn history(
    registry: &MemoryRegistryClient,
    namespace: B256,
    latest: u64,
) -> anyhow::Result<()> {
    println!("  the namespace's roots on chain (MemoryRegistry.rootAt):");
    for seq in 1..=latest {
        if let Some(root) = registry.root_at(namespace, seq).await? {
            println!(
                "    seq {seq}: {} ({} memories, block {})",
                root.root, root.count, root.committedAt
            );
        }
    }
    Ok(())
}
