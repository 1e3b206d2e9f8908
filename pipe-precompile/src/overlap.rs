//! The first round of a block build, with its phases overlapped on the engine's threads.
//!
//! Every thread takes the next transaction not yet simulated, simulates it on its own EVM (one per
//! thread, reused), and infers the requests it recorded that no other thread has claimed. Meanwhile the
//! calling thread executes the block in order: before each transaction it helps simulate until that
//! transaction is done, then executes it with the answers injected.
//!
//! The result is the same as simulating everything before executing anything. A call whose request is
//! not in the cache yet may belong to a later transaction's simulation, so it waits for all
//! simulations before it counts as a miss; simulations never see answers, whatever has been inferred by
//! then. With one thread the simulations all run first, since nothing else could finish them.

use std::{
    collections::HashSet,
    sync::{
        Arc, Condvar, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use revm::{
    DatabaseRef, ExecuteEvm,
    context::{BlockEnv, TxEnv},
    database::CacheDB,
    state::EvmState,
};

use verigrad_inference::Deadline;

use crate::{
    Engine, EngineStats, InferenceBackend, ResultCache, SimulationBackend, TxOutcome,
    engine::ExecutionBackend,
};

/// Runs the first round of a block build: simulation, inference and execution, overlapped. Returns
/// the execution, and its backend (what it used and missed).
pub(crate) fn first_round<DB: DatabaseRef + Sync>(
    engine: &Engine,
    state: &DB,
    block: &BlockEnv,
    txs: &[TxEnv],
    cache: &Arc<ResultCache>,
    deadline: Deadline,
    stats: &mut EngineStats,
) -> (Vec<TxOutcome>, EvmState, Arc<ExecutionBackend>) {
    let round = Round {
        engine,
        txs,
        cache,
        deadline,
        claimed: Mutex::default(),
        progress: Arc::new(Progress::new(txs.len())),
        helped: Mutex::default(),
    };
    let phase2 = Arc::new(ExecutionBackend::new(cache.clone(), Some(round.progress.clone())));
    let backend: Arc<dyn InferenceBackend> = phase2.clone();
    let helper = || {
        let _abandon = AbandonOnPanic(&round.progress);
        let mut simulator = Simulator::new(&round, state, block);
        simulator.drain();
        round.helped.lock().unwrap_or_else(PoisonError::into_inner).push(simulator.stats);
    };
    let (results, changes) = engine.with_helpers(helper, |helpers| {
        let mut own = Simulator::new(&round, state, block);
        if helpers == 0 {
            own.drain();
        }
        let started = Instant::now();
        let mut helping = Duration::ZERO;
        let executed = engine.execute_with(state, block, txs, &backend, |i| {
            let started = Instant::now();
            own.until_done(i);
            helping += started.elapsed();
        });
        stats.execute += started.elapsed().saturating_sub(helping);
        round.helped.lock().unwrap_or_else(PoisonError::into_inner).push(own.stats);
        executed
    });
    for share in round.helped.into_inner().unwrap_or_else(PoisonError::into_inner) {
        stats.simulate += share.simulate;
        stats.infer += share.infer;
        stats.inferences += share.inferences;
    }
    (results, changes, phase2)
}

/// What the first round's threads share.
struct Round<'a, 'e> {
    engine: &'e Engine,
    txs: &'a [TxEnv],
    cache: &'a ResultCache,
    /// When the round's inference must be over.
    deadline: Deadline,
    /// Requests some thread has taken to infer, so that each is inferred once.
    claimed: Mutex<HashSet<B256>>,
    progress: Arc<Progress>,
    /// Each thread's time simulating and inferring, and its inferences.
    helped: Mutex<Vec<EngineStats>>,
}

/// One thread's simulations: an EVM on the state before the block, reused for each transaction.
struct Simulator<'r, 'a, 'e, E> {
    round: &'r Round<'a, 'e>,
    evm: E,
    recorder: Arc<SimulationBackend>,
    /// This thread's time simulating and inferring, and its inferences.
    stats: EngineStats,
}

impl<'r, 'a, 'e> Simulator<'r, 'a, 'e, ()> {
    fn new<DB: DatabaseRef>(
        round: &'r Round<'a, 'e>,
        state: &'a DB,
        block: &BlockEnv,
    ) -> Simulator<'r, 'a, 'e, impl ExecuteEvm<Tx = TxEnv> + 'a> {
        // Simulations answer every request with a placeholder, never with what other threads have
        // inferred by then, so what they record does not depend on timing.
        let recorder = Arc::new(round.engine.simulation());
        let evm = round.engine.evm(CacheDB::new(state), block, recorder.clone(), true);
        Simulator { round, evm, recorder, stats: EngineStats::default() }
    }
}

impl<E: ExecuteEvm<Tx = TxEnv>> Simulator<'_, '_, '_, E> {
    /// Simulates transactions until none is left to take.
    fn drain(&mut self) {
        while let Some(i) = self.round.progress.claim() {
            self.simulate(i);
        }
    }

    /// Simulates transactions until transaction `i` is done, then waits if another thread has it.
    fn until_done(&mut self, i: usize) {
        while !self.round.progress.is_done(i) {
            match self.round.progress.claim() {
                Some(next) => self.simulate(next),
                None => self.round.progress.wait(i),
            }
        }
    }

    /// Simulates transaction `i` and infers the requests it recorded that no thread has claimed.
    fn simulate(&mut self, i: usize) {
        let started = Instant::now();
        // The state is thrown away; a failed simulation still recorded the requests it reached.
        let _ = self.evm.transact(self.round.txs[i].clone());
        let recorded = self.recorder.take_recorded();
        let simulated = Instant::now();
        self.stats.simulate += simulated - started;
        let mut placed = Vec::with_capacity(recorded.len());
        for request in recorded {
            let fresh = self
                .round
                .claimed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(request.id);
            if fresh {
                let resolved =
                    self.round.engine.resolve(request, self.round.cache, self.round.deadline);
                placed.push(Some(resolved));
                self.stats.inferences += 1;
            } else {
                // Claimed by another thread, which may still be inferring it: found by call data then.
                placed.push(self.round.cache.resolved(request.calldata()));
            }
        }
        // Placed before the transaction counts as done: its execution finds its calls by position.
        self.round.cache.place(i, placed);
        self.stats.infer += simulated.elapsed();
        self.round.progress.finish(i);
    }
}

/// Which transactions of the first round are simulated, their requests inferred. The flags are
/// atomics: the executor checks one before every transaction, and a lock there would bounce between
/// the threads.
#[derive(Debug)]
pub(crate) struct Progress {
    next: AtomicUsize,
    done: Vec<AtomicBool>,
    left: AtomicUsize,
    /// A simulating thread panicked: what it took will never be done.
    abandoned: AtomicBool,
    /// Held to check a condition and sleep, and to notify, so no wake-up is lost in between.
    sleep: Mutex<()>,
    changed: Condvar,
}

impl Progress {
    fn new(txs: usize) -> Self {
        Self {
            next: AtomicUsize::new(0),
            done: (0..txs).map(|_| AtomicBool::new(false)).collect(),
            left: AtomicUsize::new(txs),
            abandoned: AtomicBool::new(false),
            sleep: Mutex::new(()),
            changed: Condvar::new(),
        }
    }

    /// Takes the next transaction to simulate, in block order.
    fn claim(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        (i < self.done.len()).then_some(i)
    }

    fn finish(&self, i: usize) {
        self.done[i].store(true, Ordering::Release);
        self.left.fetch_sub(1, Ordering::Release);
        self.notify();
    }

    fn is_done(&self, i: usize) -> bool {
        self.done[i].load(Ordering::Acquire)
    }

    /// Blocks until transaction `i` is done.
    fn wait(&self, i: usize) {
        self.wait_until(|| self.is_done(i));
    }

    /// Blocks until every transaction is done.
    pub(crate) fn wait_all(&self) {
        self.wait_until(|| self.left.load(Ordering::Acquire) == 0);
    }

    fn wait_until(&self, ready: impl Fn() -> bool) {
        let mut guard = self.sleep.lock().unwrap_or_else(PoisonError::into_inner);
        while !ready() {
            assert!(!self.abandoned.load(Ordering::Acquire), "a simulation thread panicked");
            guard = self.changed.wait(guard).unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn notify(&self) {
        drop(self.sleep.lock().unwrap_or_else(PoisonError::into_inner));
        self.changed.notify_all();
    }
}

/// Wakes the waiting executor if a simulating thread panics, so it stops waiting and the panic
/// reaches the caller.
struct AbandonOnPanic<'a>(&'a Progress);

impl Drop for AbandonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.abandoned.store(true, Ordering::Release);
            self.0.notify();
        }
    }
}
