//! The shared test vectors `test/vectors/memory-merkle.json`, read by the forge test of the
//! contracts' leaf and proof checks. This test fails if the committed file is not what the code
//! produces; `UPDATE_VECTORS=1 cargo test -p verigrad-memory vectors` rewrites it.

use std::path::PathBuf;

use alloy_primitives::{B256, keccak256};
use serde_json::{Value, json};

use crate::{EMBEDDING_DIM, MemoryRecord, MemoryType, memory_id, proof, root};

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../test/vectors/memory-merkle.json")
}

fn record(namespace: B256, i: u32) -> MemoryRecord {
    MemoryRecord {
        id: memory_id(namespace, 1, i),
        version: 1 + u64::from(i % 2),
        text: format!("memory number {i}"),
        embedding: (0..EMBEDDING_DIM).map(|d| ((d as u32 * 7 + i) % 13) as f32 / 13.0).collect(),
        categories: vec![format!("topic-{}", i % 3), "general".into()],
        memory_type: if i.is_multiple_of(2) { MemoryType::Semantic } else { MemoryType::Episodic },
        agent_id: "agent".into(),
        thread_id: format!("thread-{i}"),
        source: "vectors".into(),
        metadata: Value::Null,
        created_at: 1_700_000_000,
        updated_at: 1_700_000_000,
        valid_from: 1_700_000_000 + u64::from(i),
        valid_to: (i == 3).then_some(1_700_000_500),
        expires_at: (i == 4).then_some(1_900_000_000),
        superseded_by: (i == 3).then(|| memory_id(namespace, 1, 4)),
        importance: 0.5,
        reinforcements: 0,
        last_access: 1_700_000_000,
    }
}

fn case(n: u32) -> Value {
    let namespace = keccak256("verigrad memory-merkle vectors");
    let records: Vec<MemoryRecord> = (0..n).map(|i| record(namespace, i)).collect();
    let leaves: Vec<B256> = records.iter().map(MemoryRecord::leaf).collect();
    let proofs: Vec<Vec<B256>> =
        leaves.iter().map(|l| proof(&leaves, *l).expect("own leaf")).collect();
    json!({
        "ids": records.iter().map(|r| r.id).collect::<Vec<_>>(),
        "versions": records.iter().map(|r| r.version).collect::<Vec<_>>(),
        "contentHashes": records.iter().map(MemoryRecord::content_hash).collect::<Vec<_>>(),
        "attributesHashes": records.iter().map(MemoryRecord::attributes_hash).collect::<Vec<_>>(),
        "leaves": leaves,
        "root": root(&leaves),
        "proofs": proofs,
    })
}

#[test]
fn committed_vectors_are_current() {
    let expected = json!({ "cases": [case(0), case(1), case(2), case(5)] });
    let text = serde_json::to_string_pretty(&expected).expect("json") + "\n";
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(path(), &text).expect("write vectors");
    }
    let committed = std::fs::read_to_string(path()).expect("test/vectors/memory-merkle.json");
    assert_eq!(committed, text, "stale vectors: rerun with UPDATE_VECTORS=1");
}
