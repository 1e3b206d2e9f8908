//! Pre-execution as transactions arrive: a node simulates each pending transaction alone on its head
//! state and infers what it asks before any block is built ([`Engine::pre_execute`]); the block build
//! then only executes, finding each call's answer where that transaction's simulation placed it
//! ([`Engine::build_pre_executed`]). A request the block's own earlier transactions changed (a
//! different input, a call no lone simulation reached) misses, and is inferred in a later round, as
//! in [`Engine::build`]; a transaction that arrived too late to be pre-executed is pre-executed in the
//! build, side by side with the others.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use revm::{
    DatabaseRef, ExecuteEvm,
    context::{BlockEnv, TxEnv},
    database::CacheDB,
};
use verigrad_inference::Deadline;

use crate::{
    BlockOutcome, Engine, EngineStats, InferenceBackend, Resolved, ResultCache,
    engine::ExecutionBackend,
};

/// One transaction's requests, found by simulating it alone ahead of its block, each resolved.
#[derive(Debug, Clone, Default)]
pub struct PreExecuted {
    /// Its requests in the order it made them.
    pub requests: Vec<Arc<Resolved>>,
}

impl Engine {
    /// Pre-executes `tx` as it arrives: simulates it alone on `state` in `block`'s environment and
    /// infers every request it made (giving up after the engine's inference timeout).
    pub fn pre_execute<DB: DatabaseRef>(
        &self,
        state: &DB,
        block: &BlockEnv,
        tx: &TxEnv,
    ) -> PreExecuted {
        let recorder = Arc::new(self.simulation());
        let mut evm = self.evm(CacheDB::new(state), block, recorder.clone(), true);
        // The state is thrown away; a failed simulation still recorded the requests it reached.
        let _ = evm.transact(tx.clone());
        let deadline = Deadline::after(self.config().inference_timeout);
        let requests = recorder
            .take_recorded()
            .into_iter()
            .map(|request| self.infer(request, deadline))
            .collect();
        PreExecuted { requests }
    }

    /// Builds a block of `txs` on `state` whose transactions were pre-executed (`pre[i]` for
    /// `txs[i]`; `None`, or missing, for one that was not): executes with those answers at once,
    /// then runs later rounds for whatever missed.
    pub fn build_pre_executed<DB>(
        &self,
        state: &DB,
        block: &BlockEnv,
        txs: &[TxEnv],
        pre: &[Option<PreExecuted>],
    ) -> BlockOutcome
    where
        DB: DatabaseRef + Sync,
    {
        let mut stats = EngineStats { rounds: 1, ..EngineStats::default() };
        let cache = Arc::new(ResultCache::for_block(txs.len()));
        let late = self.pre_execute_late(state, block, txs, pre, &mut stats);
        let known = pre.iter().enumerate().filter_map(|(i, p)| Some((i, p.as_ref()?)));
        for (i, pre_executed) in known.chain(late.iter().map(|(i, p)| (*i, p))) {
            for resolved in &pre_executed.requests {
                cache.insert_resolved(resolved.clone());
            }
            cache.place(i, pre_executed.requests.iter().cloned().map(Some).collect());
        }

        let started = Instant::now();
        let phase2 = Arc::new(ExecutionBackend::new(cache.clone(), None));
        let backend: Arc<dyn InferenceBackend> = phase2.clone();
        let (results, changes) = self.execute(state, block, txs, &backend);
        stats.execute += started.elapsed();
        self.later_rounds(state, block, txs, &cache, (results, changes, phase2), stats)
    }

    /// Pre-executes, side by side on the engine's threads, the transactions that were not.
    fn pre_execute_late<DB: DatabaseRef + Sync>(
        &self,
        state: &DB,
        block: &BlockEnv,
        txs: &[TxEnv],
        pre: &[Option<PreExecuted>],
        stats: &mut EngineStats,
    ) -> Vec<(usize, PreExecuted)> {
        let missing: Vec<usize> =
            (0..txs.len()).filter(|&i| pre.get(i).is_none_or(Option::is_none)).collect();
        if missing.is_empty() {
            return Vec::new();
        }
        let started = Instant::now();
        let next = AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(missing.len()));
        let work = || {
            while let Some(&i) = missing.get(next.fetch_add(1, Ordering::Relaxed)) {
                let pre_executed = self.pre_execute(state, block, &txs[i]);
                done.lock().unwrap_or_else(PoisonError::into_inner).push((i, pre_executed));
            }
        };
        self.with_helpers(work, |_| work());
        let done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
        stats.simulate += started.elapsed();
        stats.inferences += done.iter().map(|(_, p)| p.requests.len()).sum::<usize>();
        done
    }
}
