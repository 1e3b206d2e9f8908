//! Where the precompile's answers come from: computed inline, recorded during simulation, or read from
//! the results the engine pre-executed (or a block committed).

use std::{
    any::Any,
    collections::HashMap,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex, OnceLock, PoisonError, RwLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use alloy_primitives::{B256, Bytes, LogData};
use alloy_sol_types::{SolCall, SolValue};
use verigrad_inference::{
    Deadline, Determinism, Manifest, ModelInferenceRequest, ModelOutput,
    MultiDimensionalNumberTensor, Number, Runtime, runModelInferenceCall,
};

use crate::{
    Answerer, Attestation, Charge, ChargeLedger, INFERENCE_EVENT_TOPIC, Mode, PipeFailure,
    PipeRequest,
};

/// A model's answer and what it costs.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The output.
    pub output: ModelOutput,
    /// The model's cost units (priced into gas).
    pub cost_units: u64,
    /// The output as the precompile returns it (`runModelInference`'s ABI return), encoded once so a
    /// cache hit only copies it.
    pub encoded: Bytes,
    /// The workers that signed it, when the network answered (`None` for the node's own answer).
    pub attestation: Option<Attestation>,
    /// The `ModelInferenceEvent` data, encoded on first use (never, for a simulation's placeholder).
    event: OnceLock<LogData>,
}

// Equal answers are equal whether or not their event has been encoded yet.
impl PartialEq for Answer {
    fn eq(&self, other: &Self) -> bool {
        self.output == other.output
            && self.cost_units == other.cost_units
            && self.attestation == other.attestation
    }
}

impl Eq for Answer {}

impl Answer {
    /// The answer to a request, with its return encoding.
    pub fn new(output: ModelOutput, cost_units: u64) -> Arc<Self> {
        Self::attested(output, cost_units, None)
    }

    /// The answer to a request, signed by the workers of `attestation` (if any).
    pub fn attested(
        output: ModelOutput,
        cost_units: u64,
        attestation: Option<Attestation>,
    ) -> Arc<Self> {
        let encoded = runModelInferenceCall::abi_encode_returns(&output).into();
        Arc::new(Self { output, cost_units, encoded, attestation, event: OnceLock::new() })
    }

    /// An answer read back from its return encoding ([`Answer::encoded`]).
    pub fn decode(
        encoded: &[u8],
        cost_units: u64,
        attestation: Option<Attestation>,
    ) -> Result<Arc<Self>, alloy_sol_types::Error> {
        let output = runModelInferenceCall::abi_decode_returns(encoded)?;
        Ok(Self::attested(output, cost_units, attestation))
    }

    /// The `ModelInferenceEvent(inferenceID, request, response)` data for `request`.
    pub fn event(&self, request: &PipeRequest) -> LogData {
        self.encoded_event(request).clone()
    }

    /// The event data, encoded on the first call; the engine calls it as soon as an answer is
    /// inferred, so execution only copies it.
    pub(crate) fn encoded_event(&self, request: &PipeRequest) -> &LogData {
        self.event.get_or_init(|| {
            let solidity_request = ModelInferenceRequest {
                mode: request.mode_byte(),
                modelCID: request.model.clone(),
                input: request.input.clone(),
            };
            let data =
                (request.id.to_string(), solidity_request, self.output.clone()).abi_encode_params();
            LogData::new_unchecked(vec![*INFERENCE_EVENT_TOPIC], data.into())
        })
    }
}

/// What a request resolved to: an answer, or a failure that reverts the call.
pub type Resolution = Result<Arc<Answer>, PipeFailure>;

/// A request known whole, with what it resolved to: what a cache hit by call data serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The request.
    pub request: PipeRequest,
    /// Its resolution.
    pub resolution: Resolution,
}

/// Answers PIPE requests for the precompile.
pub trait InferenceBackend: Send + Sync + std::fmt::Debug {
    /// The cost units of the request's model, known before any work is done (for the gas check).
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure>;

    /// The answer to a request.
    fn answer(&self, request: &PipeRequest) -> Resolution;

    /// The request these exact call data decode to and its resolution, if the backend already has
    /// them: the precompile then serves it without decoding and hashing the input again, charging the
    /// answer's cost units (none for a failure), as [`CachedBackend`] does.
    fn resolved(&self, _calldata: &[u8]) -> Option<Arc<Resolved>> {
        None
    }

    /// Called before the block's transaction `index` runs, so that a backend that knows each
    /// transaction's requests in call order (from its simulation) can find them by position.
    fn begin_transaction(&self, _index: usize) {}

    /// Where the calls it serves are charged, for a backend that executes a block (a simulation or
    /// an `eth_call` charges nobody).
    fn ledger(&self) -> Option<&ChargeLedger> {
        None
    }
}

/// Runs a request on the runtime, enforcing the mode's requirement.
pub fn compute(runtime: &Runtime, request: &PipeRequest) -> Resolution {
    compute_until(runtime, request, Deadline::NONE)
}

/// [`compute`], giving up at `deadline` (the request then fails "ran past its deadline"). A model that
/// panics fails the request instead of the thread building the block.
pub fn compute_until(runtime: &Runtime, request: &PipeRequest, deadline: Deadline) -> Resolution {
    guarded(|| run_request(runtime, request, deadline))
}

/// Runs `run`, turning a panic into a failed request. The runtime is read-only while a model runs, so
/// a panic leaves nothing half-changed.
pub(crate) fn guarded(run: impl FnOnce() -> Resolution) -> Resolution {
    std::panic::catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|panic| {
        Err(PipeFailure::Failed(format!("model panicked: {}", panic_message(&*panic))))
    })
}

/// What a caught panic said.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

fn run_request(runtime: &Runtime, request: &PipeRequest, deadline: Deadline) -> Resolution {
    let cost_units = mode_checked(runtime, &request.model, request.mode)?.cost_units;
    let output = runtime.run_until(&request.model, &request.input, deadline)?;
    Ok(Answer::new(output, cost_units))
}

/// The manifest of `model`, if it can answer in `mode`: ZKML needs an EXACT model.
pub(crate) fn mode_checked<'r>(
    runtime: &'r Runtime,
    model: &str,
    mode: Mode,
) -> Result<&'r Manifest, PipeFailure> {
    let manifest = runtime.manifest(model)?;
    if mode == Mode::Zkml && !matches!(manifest.determinism, Determinism::Exact { .. }) {
        return Err(PipeFailure::Failed(format!(
            "ZKML mode needs an EXACT model; {} is tolerance-class",
            manifest.name
        )));
    }
    Ok(manifest)
}

/// Results by request id: what the engine pre-executed, or what a block committed.
#[derive(Debug, Default)]
pub struct ResultCache {
    results: RwLock<HashMap<B256, Resolution>>,
    /// Results inserted with their whole request, also by the request's call data: a hit then costs
    /// a fast hash and a comparison of the input instead of decoding it and hashing it with keccak.
    by_calldata: RwLock<HashMap<Bytes, Arc<Resolved>, foldhash::fast::RandomState>>,
    /// Each transaction's requests in the order its simulation made them: the k-th call of
    /// transaction i is found by a comparison of its call data alone, with no hash of it at all.
    positions: Vec<OnceLock<Vec<Option<Arc<Resolved>>>>>,
}

impl ResultCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache for a block of `transactions`, whose requests can be [placed](Self::place).
    pub fn for_block(transactions: usize) -> Self {
        Self { positions: (0..transactions).map(|_| OnceLock::new()).collect(), ..Self::default() }
    }

    /// Records transaction `tx`'s requests in call order (`None` where one is not known whole);
    /// the first placement of a transaction stands.
    pub fn place(&self, tx: usize, requests: Vec<Option<Arc<Resolved>>>) {
        if let Some(slot) = self.positions.get(tx) {
            let _ = slot.set(requests);
        }
    }

    /// The request placed `ordinal`-th in transaction `tx`, if these are its call data.
    pub fn at(&self, tx: usize, ordinal: usize, calldata: &[u8]) -> Option<Arc<Resolved>> {
        let placed = self.positions.get(tx)?.get()?.get(ordinal)?.as_ref()?;
        (placed.request.calldata().as_ref() == calldata).then(|| placed.clone())
    }

    /// The resolution of a request id, if known.
    pub fn get(&self, id: &B256) -> Option<Resolution> {
        self.results.read().unwrap_or_else(PoisonError::into_inner).get(id).cloned()
    }

    /// Records a resolution.
    pub fn insert(&self, id: B256, resolution: Resolution) {
        self.results.write().unwrap_or_else(PoisonError::into_inner).insert(id, resolution);
    }

    /// Records a request's resolution, findable by its id and by its call data; returns it whole.
    pub fn insert_request(&self, request: PipeRequest, resolution: Resolution) -> Arc<Resolved> {
        let resolved = Arc::new(Resolved { request, resolution });
        self.insert_resolved(resolved.clone());
        resolved
    }

    /// [`Self::insert_request`] for a request already paired with its resolution.
    pub fn insert_resolved(&self, resolved: Arc<Resolved>) {
        self.insert(resolved.request.id, resolved.resolution.clone());
        let calldata = resolved.request.calldata().clone();
        self.by_calldata.write().unwrap_or_else(PoisonError::into_inner).insert(calldata, resolved);
    }

    /// A call's request and resolution: by its position when `cursor` knows it, else by call data.
    pub(crate) fn find(&self, cursor: &Cursor, calldata: &[u8]) -> Option<Arc<Resolved>> {
        let (tx, ordinal) = cursor.next_call();
        self.at(tx, ordinal, calldata).or_else(|| self.resolved(calldata))
    }

    /// The request these call data decode to and its resolution, if it was inserted whole.
    pub fn resolved(&self, calldata: &[u8]) -> Option<Arc<Resolved>> {
        self.by_calldata.read().unwrap_or_else(PoisonError::into_inner).get(calldata).cloned()
    }

    /// Number of results.
    pub fn len(&self) -> usize {
        self.results.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no result is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Computes every answer during execution (the baseline PIPE improves on).
#[derive(Debug, Clone)]
pub struct InlineBackend {
    runtime: Runtime,
}

impl InlineBackend {
    /// A backend running models on `runtime`.
    pub fn new(runtime: Runtime) -> Self {
        Self { runtime }
    }
}

impl InferenceBackend for InlineBackend {
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure> {
        Ok(self.runtime.manifest(&request.model)?.cost_units)
    }

    fn answer(&self, request: &PipeRequest) -> Resolution {
        compute(&self.runtime, request)
    }
}

/// PIPE's simulation phase: known results are answered, new requests are recorded and answered with
/// placeholders (zeros, `is_simulation_result = true`).
#[derive(Debug)]
pub struct SimulationBackend {
    runtime: Runtime,
    /// Resolves model references the runtime does not name itself (twins), if any.
    answerer: Option<Arc<dyn Answerer>>,
    known: Arc<ResultCache>,
    recorded: Mutex<Vec<PipeRequest>>,
    /// Placeholders by model reference: the same for every request to a model, so encoded once.
    placeholders: Mutex<HashMap<String, Arc<Answer>>>,
}

impl SimulationBackend {
    /// A simulation that already knows `known`.
    pub fn new(runtime: Runtime, known: Arc<ResultCache>) -> Self {
        Self {
            runtime,
            answerer: None,
            known,
            recorded: Mutex::default(),
            placeholders: Mutex::default(),
        }
    }

    /// The same simulation, pricing and shaping each call by the release `answerer` resolves its
    /// model reference to ([`Answerer::release_of`]), as the answer will be.
    pub fn resolving_with(mut self, answerer: Arc<dyn Answerer>) -> Self {
        self.answerer = Some(answerer);
        self
    }

    /// The manifest of the release answering `model`.
    fn manifest(&self, model: &str) -> Result<&Manifest, PipeFailure> {
        let release = match &self.answerer {
            Some(answerer) => answerer.release_of(model)?,
            None => model.to_owned(),
        };
        Ok(self.runtime.manifest(&release)?)
    }

    fn placeholder(&self, model: &str) -> Resolution {
        let mut placeholders = self.placeholders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(answer) = placeholders.get(model) {
            return Ok(answer.clone());
        }
        let manifest = self.manifest(model)?;
        let numbers = manifest
            .outputs
            .iter()
            .map(|spec| {
                let zeros =
                    vec![Number::new(0, spec.decimals.unwrap_or(6).into()); spec.elements()];
                MultiDimensionalNumberTensor::new(spec.name.clone(), zeros, spec.shape.clone())
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut output = ModelOutput::numbers(numbers);
        output.is_simulation_result = true;
        let answer = Answer::new(output, manifest.cost_units);
        placeholders.insert(model.to_string(), answer.clone());
        Ok(answer)
    }

    /// The requests seen that had no known result.
    pub fn take_recorded(&self) -> Vec<PipeRequest> {
        std::mem::take(&mut *self.recorded.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl InferenceBackend for SimulationBackend {
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure> {
        Ok(self.manifest(&request.model)?.cost_units)
    }

    fn answer(&self, request: &PipeRequest) -> Resolution {
        if let Some(known) = self.known.get(&request.id) {
            return known;
        }
        let placeholder = self.placeholder(&request.model)?;
        self.recorded.lock().unwrap_or_else(PoisonError::into_inner).push(request.clone());
        Ok(placeholder)
    }
}

/// Where execution stands: the transaction running and how many PIPE calls it has made. Atomics,
/// as backends are shared, but only the one thread executing the block moves it.
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    tx: AtomicUsize,
    calls: AtomicUsize,
}

impl Cursor {
    /// Transaction `index` starts.
    pub(crate) fn begin(&self, index: usize) {
        self.tx.store(index, Ordering::Relaxed);
        self.calls.store(0, Ordering::Relaxed);
    }

    /// The position of the call being made: its transaction and its ordinal in it.
    pub(crate) fn next_call(&self) -> (usize, usize) {
        (self.tx.load(Ordering::Relaxed), self.calls.fetch_add(1, Ordering::Relaxed))
    }
}

/// PIPE's execution phase, and replay: answers only from pre-executed (or committed) results.
#[derive(Debug)]
pub struct CachedBackend {
    cache: Arc<ResultCache>,
    cursor: Cursor,
    ledger: ChargeLedger,
}

impl CachedBackend {
    /// A backend answering from `cache`.
    pub fn new(cache: Arc<ResultCache>) -> Self {
        Self { cache, cursor: Cursor::default(), ledger: ChargeLedger::default() }
    }

    /// The charges of the calls it served, in order.
    pub fn take_charges(&self) -> Vec<Charge> {
        self.ledger.take()
    }

    fn lookup(&self, request: &PipeRequest) -> Resolution {
        self.cache.get(&request.id).unwrap_or_else(|| Err(not_pre_executed(request)))
    }
}

/// How a call reverts when the block's results do not hold its request.
pub(crate) fn not_pre_executed(request: &PipeRequest) -> PipeFailure {
    PipeFailure::Failed(format!("request {} was not pre-executed", request.id))
}

/// The cost units a cached resolution charges: a failure charges none, the call reverts with its reason.
pub(crate) fn cached_cost_units(resolution: &Resolution) -> u64 {
    resolution.as_ref().map_or(0, |answer| answer.cost_units)
}

impl InferenceBackend for CachedBackend {
    fn cost_units(&self, request: &PipeRequest) -> Result<u64, PipeFailure> {
        Ok(cached_cost_units(&self.lookup(request)))
    }

    fn answer(&self, request: &PipeRequest) -> Resolution {
        self.lookup(request)
    }

    fn resolved(&self, calldata: &[u8]) -> Option<Arc<Resolved>> {
        self.cache.find(&self.cursor, calldata)
    }

    fn begin_transaction(&self, index: usize) {
        self.cursor.begin(index);
    }

    fn ledger(&self) -> Option<&ChargeLedger> {
        Some(&self.ledger)
    }
}

#[cfg(test)]
mod tests {
    use verigrad_inference::{ModelInput, ModelPackage};

    use super::*;

    /// Resolves `twin:1` to `release`, as pipe-node resolves a twin to its bound release.
    #[derive(Debug)]
    struct Twins {
        release: B256,
    }

    impl Answerer for Twins {
        fn answer(&self, request: &PipeRequest, _: Deadline) -> Resolution {
            Err(PipeFailure::UnknownModel(request.model.clone()))
        }

        fn release_of(&self, model: &str) -> Result<String, PipeFailure> {
            match model {
                "twin:1" => Ok(self.release.to_string()),
                other => Err(PipeFailure::UnknownModel(other.into())),
            }
        }
    }

    #[test]
    fn a_simulation_prices_a_call_by_the_release_its_answerer_resolves_it_to() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/volatility");
        let mut runtime = Runtime::new();
        let release = runtime.add(&ModelPackage::load(dir).expect("package")).expect("loads");
        let cost_units = runtime.manifest(&release.to_string()).expect("manifest").cost_units;
        let call = runModelInferenceCall {
            request: ModelInferenceRequest {
                mode: 0,
                modelCID: "twin:1".into(),
                input: ModelInput::numbers(vec![]),
            },
        };
        let request = PipeRequest::decode(&call.abi_encode()).expect("decodes");
        let plain = SimulationBackend::new(runtime.clone(), Arc::default());
        assert!(matches!(plain.cost_units(&request), Err(PipeFailure::UnknownModel(_))));
        let resolving = plain.resolving_with(Arc::new(Twins { release }));
        assert_eq!(resolving.cost_units(&request), Ok(cost_units));
        let placeholder = resolving.answer(&request).expect("a placeholder");
        assert!(placeholder.output.is_simulation_result);
        assert_eq!(placeholder.cost_units, cost_units);
        assert_eq!(resolving.take_recorded(), [request], "recorded for inference");
    }

    #[test]
    fn a_panicking_model_fails_its_request_and_not_the_caller() {
        let failed = guarded(|| panic!("weights at {:#x} are gone", 0xf4)).expect_err("panicked");
        assert_eq!(failed, PipeFailure::Failed("model panicked: weights at 0xf4 are gone".into()));
        assert_eq!(
            guarded(|| std::panic::panic_any(7u8)).expect_err("panicked"),
            PipeFailure::Failed("model panicked: no message".into())
        );
    }
}
