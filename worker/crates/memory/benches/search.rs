//! MemSync search at 10 000 and 100 000 memories of one namespace: the ANN index's build time, the
//! search latency (p50, p90) through `Store::search` and `Store::search_exact`, and the ANN search's
//! recall@10 against the exact one.
//!
//! The vectors are unit vectors in 384 dimensions drawn around a few thousand centres (a centre plus
//! noise), shaped like sentence embeddings, which bunch by topic; uniformly random vectors are all
//! about equally far apart, which suits neither text nor an ANN index.
//!
//! `cargo bench -p verigrad-memory --bench search` (`-- 10000` for one size only; `-- ef=32 m=12
//! efc=100` to try other HNSW parameters).

use std::time::{Duration, Instant};

use alloy_primitives::B256;
use verigrad_memory::{
    EMBEDDING_DIM, IndexConfig, NewMemory, Op, SearchFilter, Store, StoreConfig, Write,
};

const NS: B256 = B256::repeat_byte(0x42);
const QUERIES: usize = 200;

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }

    fn vector(&mut self) -> Vec<f32> {
        (0..EMBEDDING_DIM).map(|_| self.next()).collect()
    }
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Each component of the noise is uniform in ±NOISE/2: a noise vector of length ≈ 0.85 against the
/// unit centre, so a cluster's members have a cosine of about 0.6 with each other (sentences on one
/// topic, as MiniLM embeds them) and are never duplicates.
const NOISE: f32 = 0.15;

/// `n` points spread over `centres`, each a centre plus noise.
fn clustered(rng: &mut Rng, centres: &[Vec<f32>], n: usize) -> Vec<Vec<f32>> {
    (0..n)
        .map(|i| {
            let centre = &centres[(i * 7919) % centres.len()];
            unit(centre.iter().map(|c| c + NOISE * rng.next()).collect())
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run(n: usize, index: IndexConfig) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let centres: Vec<Vec<f32>> = (0..(n / 30).max(300)).map(|_| unit(rng.vector())).collect();
    let vectors = clustered(&mut rng, &centres, n);
    let queries = clustered(&mut rng, &centres, QUERIES);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("memory.redb");
    let config = StoreConfig { capacity: 1_000_000, index, ..StoreConfig::default() };
    {
        let store = Store::open(&path, config).expect("open");
        let started = Instant::now();
        for (seq, chunk) in vectors.chunks(10_000).enumerate() {
            let ops = chunk
                .iter()
                .map(|v| {
                    Op::Create(NewMemory {
                        text: "a memory of about the length of one sentence in a chat".into(),
                        embedding: v.clone(),
                        importance: 0.5,
                        ..NewMemory::default()
                    })
                })
                .collect();
            store.write(NS, &Write { expected_seq: seq as u64, now: 1, ops }).expect("write");
        }
        println!("{n}: loaded (writes of 10 000, index updated) in {:.1?}", started.elapsed());
    }
    let started = Instant::now();
    let store = Store::open(&path, config).expect("reopen");
    println!("{n}: open = read + index build in {:.1?}", started.elapsed());

    let filter = SearchFilter { limit: 10, ..SearchFilter::default() };
    let (mut ann, mut exact, mut found) = (Vec::new(), Vec::new(), 0);
    for query in &queries {
        let t = Instant::now();
        let approximate = store.search(NS, query, &filter, 2).expect("search");
        ann.push(t.elapsed());
        let t = Instant::now();
        let reference = store.search_exact(NS, query, &filter, 2).expect("exact");
        exact.push(t.elapsed());
        found += reference
            .iter()
            .filter(|r| approximate.iter().any(|a| a.record.id == r.record.id))
            .count();
    }
    ann.sort();
    exact.sort();
    let recall = found as f64 / (QUERIES * filter.limit) as f64;
    println!(
        "{n}: ANN p50 {:.2?} p90 {:.2?} | exact p50 {:.2?} p90 {:.2?} | recall@10 {recall:.3} ({QUERIES} queries, {:?})",
        percentile(&ann, 0.5),
        percentile(&ann, 0.9),
        percentile(&exact, 0.5),
        percentile(&exact, 0.9),
        config.index,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![10_000, 100_000] } else { sizes };
    let mut index = IndexConfig::default();
    for arg in &args {
        let Some((key, value)) = arg.split_once('=') else { continue };
        let Ok(value) = value.parse() else { continue };
        match key {
            "ef" => index.ef_search = value,
            "m" => index.max_connections = value,
            "efc" => index.ef_construction = value,
            _ => {}
        }
    }
    for n in sizes {
        run(n, index);
    }
}
