//! The PIPE precompile at `0x…F4`, and the precompile provider that serves it beside Ethereum's.

use std::sync::{Arc, LazyLock};

use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256, address, keccak256};
use alloy_sol_types::SolError;
use revm::{
    context::Cfg,
    context_interface::{ContextTr, JournalTr},
    handler::{EthPrecompiles, PrecompileProvider, precompile_output_to_interpreter_result},
    interpreter::{CallInputs, InterpreterResult},
    precompile::{PrecompileHalt, PrecompileOutput},
    primitives::{AddressSet, hardfork::SpecId},
};

use verigrad_inference::TwinModel;

use crate::{
    Answer, ChargeLedger, InferenceBackend, PipeFailure, PipeInsufficientBalance, PipeRequest,
    Resolution, backend::cached_cost_units, balance_slot,
};

/// Address of the PIPE precompile.
pub const ADDRESS: Address = address!("00000000000000000000000000000000000000F4");
/// Gas every call pays, covering decoding and the cache lookup.
pub const BASE_GAS: u64 = 30_000;
/// Gas per input element (a number, or 32 bytes of string).
pub const GAS_PER_ELEMENT: u64 = 200;
/// Gas per cost unit of the model (its manifest's `cost_units`).
pub const GAS_PER_COST_UNIT: u64 = 500;

/// `ModelInferenceEvent(string,ModelInferenceRequest,ModelOutput)`'s topic.
pub static INFERENCE_EVENT_TOPIC: LazyLock<B256> = LazyLock::new(|| {
    keccak256(
        "ModelInferenceEvent(string,(uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[])),\
         (((string,(int128,int128)[],uint32[])[],(string,string[])[],(string,string)[],bool)))",
    )
});

/// One served call: what the EVM gets back, and the event to log when it succeeded.
#[derive(Debug)]
pub struct Served {
    /// The precompile's result.
    pub output: PrecompileOutput,
    /// `ModelInferenceEvent` data, for a successful call.
    pub event: Option<LogData>,
    /// The answer served, for a successful call.
    pub answer: Option<Arc<Answer>>,
    /// The twin the call invoked, if it named one (`twin:<id>`).
    pub twin: Option<u64>,
}

/// Runs the precompile: checks gas before any work, decodes, prices, answers.
///
/// Bad input and failed inference revert with a decodable custom error and spend the gas charged so
/// far; too little gas halts with out-of-gas. Call data the backend already knows whole
/// ([`InferenceBackend::resolved`]) are served without decoding them again.
pub fn run(input: &[u8], gas_limit: u64, reservoir: u64, backend: &dyn InferenceBackend) -> Served {
    let charge = Metered { gas_limit, reservoir };
    if gas_limit < BASE_GAS {
        return charge.halt();
    }
    if let Some(known) = backend.resolved(input) {
        let cost_units = cached_cost_units(&known.resolution);
        return charge.serve(&known.request, || Ok(cost_units), || known.resolution.clone());
    }
    match PipeRequest::decode(input) {
        Ok(request) => {
            charge.serve(&request, || backend.cost_units(&request), || backend.answer(&request))
        }
        Err(failure) => charge.revert(BASE_GAS, failure.revert_data()),
    }
}

/// The gas a call may spend, and how each way it ends is charged.
#[derive(Debug, Clone, Copy)]
struct Metered {
    gas_limit: u64,
    reservoir: u64,
}

impl Metered {
    fn halt(self) -> Served {
        Served {
            output: PrecompileOutput::halt(PrecompileHalt::OutOfGas, self.reservoir),
            event: None,
            answer: None,
            twin: None,
        }
    }

    fn revert(self, gas: u64, data: Bytes) -> Served {
        Served {
            output: PrecompileOutput::revert(gas, data, self.reservoir),
            event: None,
            answer: None,
            twin: None,
        }
    }

    /// Prices a decoded request (base, elements, then model cost units, each checked against the
    /// limit before going on) and answers it.
    fn serve(
        self,
        request: &PipeRequest,
        cost_units: impl FnOnce() -> Result<u64, PipeFailure>,
        answer: impl FnOnce() -> Resolution,
    ) -> Served {
        let gas = BASE_GAS.saturating_add(request.elements().saturating_mul(GAS_PER_ELEMENT));
        if gas > self.gas_limit {
            return self.halt();
        }
        let cost_units = match cost_units() {
            Ok(units) => units,
            Err(failure) => return self.revert(gas, failure.revert_data()),
        };
        let gas = gas.saturating_add(cost_units.saturating_mul(GAS_PER_COST_UNIT));
        if gas > self.gas_limit {
            return self.halt();
        }
        match answer() {
            Ok(answer) => Served {
                // A simulation's state, logs included, is thrown away: skip encoding the event.
                event: (!answer.output.is_simulation_result).then(|| answer.event(request)),
                output: PrecompileOutput::new(gas, answer.encoded.clone(), self.reservoir),
                answer: Some(answer),
                twin: TwinModel::parse(&request.model).and_then(Result::ok).map(|twin| twin.id),
            },
            Err(failure) => self.revert(gas, failure.revert_data()),
        }
    }
}

/// Charges `payer` for a signed answer with a price, if its balance at the answer's settlement,
/// less what the block already charged it, covers the price; else the revert data refusing the call.
fn bill<CTX: ContextTr>(
    context: &mut CTX,
    ledger: &ChargeLedger,
    payer: Address,
    answer: &Answer,
    twin: Option<u64>,
) -> Option<Bytes> {
    let attestation = answer.attestation.as_ref().filter(|a| !a.price.is_zero())?;
    let settlement = attestation.settlement;
    let journal = context.journal_mut();
    let loaded = journal.load_account(settlement).is_ok();
    let balance = loaded
        .then(|| journal.sload(settlement, balance_slot(payer)).ok())
        .flatten()
        .map_or(U256::ZERO, |load| load.data);
    let available = balance.saturating_sub(ledger.owed(settlement, payer));
    if available < attestation.price {
        let price = attestation.price;
        return Some(PipeInsufficientBalance { payer, price, available }.abi_encode().into());
    }
    ledger.record(crate::Charge {
        settlement,
        payer,
        release: attestation.release,
        price: attestation.price,
        workers: attestation.signers().collect(),
        twin,
    });
    None
}

/// Ethereum's precompiles plus PIPE at [`ADDRESS`].
#[derive(Debug, Clone)]
pub struct PipePrecompiles {
    eth: EthPrecompiles,
    backend: Arc<dyn InferenceBackend>,
    /// Shared: an EVM is built per transaction, and cloning the set would allocate each time.
    warm: Arc<AddressSet>,
}

impl PipePrecompiles {
    /// The precompiles of `spec`, with PIPE answering from `backend`.
    pub fn new(spec: SpecId, backend: Arc<dyn InferenceBackend>) -> Self {
        let eth = EthPrecompiles::new(spec);
        let warm = Self::warm_set(&eth);
        Self { eth, backend, warm }
    }

    fn warm_set(eth: &EthPrecompiles) -> Arc<AddressSet> {
        let mut warm = eth.warm_addresses().clone();
        warm.insert(ADDRESS);
        Arc::new(warm)
    }

    /// The same precompiles answering from another backend (shares the address set).
    pub fn with_backend(&self, backend: Arc<dyn InferenceBackend>) -> Self {
        Self { eth: self.eth.clone(), backend, warm: self.warm.clone() }
    }
}

impl<CTX: ContextTr> PrecompileProvider<CTX> for PipePrecompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as Cfg>::Spec) -> bool {
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec);
        if changed {
            self.warm = Self::warm_set(&self.eth);
        }
        changed
    }

    fn run(
        &mut self,
        context: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<Self::Output>, String> {
        if inputs.bytecode_address != ADDRESS {
            return self.eth.run(context, inputs);
        }
        let input = inputs.input.bytes(context);
        let mut served = run(&input, inputs.gas_limit, inputs.reservoir, &*self.backend);
        if let (Some(answer), Some(ledger)) = (&served.answer, self.backend.ledger())
            && let Some(refusal) = bill(context, ledger, inputs.caller, answer, served.twin)
        {
            let gas = served.output.gas_used;
            served = Metered { gas_limit: inputs.gas_limit, reservoir: inputs.reservoir }
                .revert(gas, refusal);
        }
        // A static call may not log; the answer itself is still served.
        if let (Some(data), false) = (served.event, inputs.is_static) {
            context.journal_mut().log(Log { address: ADDRESS, data });
        }
        Ok(Some(precompile_output_to_interpreter_result(served.output, inputs.gas_limit)))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}
