//! `twin:<id>` on pipe-node: a twin's binding read from the TwinRegistry on the state a block builds
//! on (the head at arrival, at build and for calls; the parent on replay), and the check that a twin
//! answer names that binding.

use std::{collections::HashMap, sync::Arc};

use alloy_primitives::{Address, U256, keccak256};
use revm::context::BlockEnv;
use verigrad_contracts::{PROFILE_KEY, bindings::TwinRegistry};
use verigrad_inference::{Runtime, TwinModel};
use verigrad_pipe::{Answer, BoundTwin, PipeFailure, PipeRequest};

use crate::{state::StateDb, view::Views};

/// The twin `model` names, if it is `twin:<…>` (or why its id is not one).
pub fn twin_of(model: &str) -> Option<Result<TwinModel, PipeFailure>> {
    TwinModel::parse(model).map(|parsed| parsed.map_err(PipeFailure::from))
}

/// A deployment's TwinRegistry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Twins {
    /// Its address.
    pub registry: Address,
}

impl Twins {
    /// What `twin` is bound to on the state `views` read, with its published profile, which must be
    /// the document the binding pins. An unknown or unbound twin is an unknown model.
    pub fn resolve(&self, views: &Views<'_>, twin: TwinModel) -> Result<BoundTwin, PipeFailure> {
        let agent = U256::from(twin.id);
        let binding = views
            .call(self.registry, &TwinRegistry::bindingCall { agentId: agent })
            .map_err(|_| PipeFailure::UnknownModel(twin.reference()))?;
        let call = TwinRegistry::getMetadataCall { agentId: agent, metadataKey: PROFILE_KEY.into() };
        let profile = views.call(self.registry, &call).map_err(|e| {
            PipeFailure::Failed(format!("twin {}'s profile cannot be read: {e}", twin.id))
        })?;
        if keccak256(&profile) != binding.profileHash {
            return Err(PipeFailure::Failed(format!(
                "twin {}'s published profile does not match its binding",
                twin.id
            )));
        }
        Ok(BoundTwin { twin, release: binding.release, profile })
    }
}

/// A block's state owned for reading twins while a call on it runs (an `eth_call`'s backend, the
/// network answerer at the head).
#[derive(Debug, Clone)]
pub struct TwinsAt {
    /// The registry, if the chain's deployment has one.
    pub twins: Option<Twins>,
    /// The state.
    pub state: Arc<StateDb>,
    /// The block the reads run in.
    pub block: BlockEnv,
    /// The chain.
    pub chain_id: u64,
}

impl TwinsAt {
    /// What `twin` is bound to on this state, if `runtime` holds the release (the node prices every
    /// answer, and answers or re-executes some, with it).
    pub fn resolve(&self, twin: TwinModel, runtime: &Runtime) -> Result<BoundTwin, PipeFailure> {
        let twins = self.twins.ok_or_else(|| PipeFailure::UnknownModel(twin.reference()))?;
        let views = Views::at(&self.state, self.block.clone(), self.chain_id);
        let bound = twins.resolve(&views, twin)?;
        runtime.resolve(&bound.release.to_string()).map_err(|_| {
            PipeFailure::Failed(format!(
                "twin {} is bound to release {}, which this node does not hold",
                twin.id, bound.release
            ))
        })?;
        Ok(bound)
    }
}

/// Checks twin answers against the bindings on one state, each twin read once: the answer names the
/// binding there, and the workers who signed it ran the bound release.
#[derive(Debug)]
pub(crate) struct TwinChecks {
    twins: Option<Twins>,
    bound: HashMap<u64, Result<BoundTwin, PipeFailure>>,
}

impl TwinChecks {
    /// Checks against `twins` (none deployed: every twin answer fails).
    pub(crate) fn new(twins: Option<Twins>) -> Self {
        Self { twins, bound: HashMap::new() }
    }

    /// Why `answer` does not stand for `request` on the state `views` read, if `request` is a twin's.
    pub(crate) fn check(
        &mut self,
        views: &Views<'_>,
        request: &PipeRequest,
        answer: &Answer,
    ) -> Result<(), String> {
        let Some(twin) = twin_of(&request.model) else { return Ok(()) };
        let bound = self.bound(views, twin.map_err(|e| e.to_string())?)?;
        bound.check_names(&answer.output).map_err(|e| e.to_string())?;
        match &answer.attestation {
            Some(attestation) if attestation.release != bound.release => Err(format!(
                "signed for release {}, not {}'s bound release {}",
                attestation.release,
                twin.reference(),
                bound.release
            )),
            _ => Ok(()),
        }
    }

    /// What `twin` is bound to on the state `views` read.
    pub(crate) fn bound(&mut self, views: &Views<'_>, twin: TwinModel) -> Result<&BoundTwin, String> {
        let twins = self.twins.ok_or("a twin's answer, and no TwinRegistry to check it against")?;
        let bound = self.bound.entry(twin.id).or_insert_with(|| twins.resolve(views, twin));
        bound.as_ref().map_err(|e| format!("{} does not resolve: {e}", twin.reference()))
    }
}
