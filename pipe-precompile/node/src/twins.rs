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
        let call =
            TwinRegistry::getMetadataCall { agentId: agent, metadataKey: PROFILE_KEY.into() };
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
        let twin = twin.map_err(|e| e.to_string())?;
        let bound = self.bound(views, twin)?;
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
    pub(crate) fn bound(
        &mut self,
        views: &Views<'_>,
        twin: TwinModel,
    ) -> Result<&BoundTwin, String> {
        let twins = self.twins.ok_or("a twin's answer, and no TwinRegistry to check it against")?;
        let bound = self.bound.entry(twin.id).or_insert_with(|| twins.resolve(views, twin));
        bound.as_ref().map_err(|e| format!("{} does not resolve: {e}", twin.reference()))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, Bytes};
    use alloy_sol_types::{SolCall, SolValue};
    use revm::{bytecode::Bytecode, database::EmptyDB, state::AccountInfo};
    use verigrad_inference::{JsonScalar, ModelOutput, TwinProfile};
    use verigrad_pipe::{Attestation, PipeRequest};

    use super::*;

    const REGISTRY: Address = Address::repeat_byte(0x7e);
    const RELEASE: B256 = B256::repeat_byte(0x11);
    const PROFILE: &[u8] = br#"{"name":"desk"}"#;

    /// A stand-in registry whose `binding` pins `pinned` to [`RELEASE`] and whose `getMetadata`
    /// returns `published`, for any twin: code that returns one of two constant blobs by selector.
    fn registry(pinned: B256, published: &[u8]) -> StateDb {
        let zero = B256::ZERO;
        let binding = (RELEASE, pinned, zero, zero, 2_000u32, 0u64, 0u64, 0u16).abi_encode();
        let metadata =
            TwinRegistry::getMetadataCall::abi_encode_returns(&Bytes::copy_from_slice(published));
        // 0x00: selector == binding ? jump 0x1f : return the metadata blob; 0x1f: return binding.
        let ret = |length: usize, offset: usize| {
            let [lh, ll] = u16::try_from(length).expect("short").to_be_bytes();
            let [oh, ol] = u16::try_from(offset).expect("short").to_be_bytes();
            [0x61, lh, ll, 0x61, oh, ol, 0x60, 0x00, 0x39, 0x61, lh, ll, 0x60, 0x00, 0xf3]
        };
        let mut code = vec![0x60, 0x00, 0x35, 0x60, 0xe0, 0x1c, 0x63];
        code.extend_from_slice(&TwinRegistry::bindingCall::SELECTOR);
        code.extend_from_slice(&[0x14, 0x61, 0x00, 0x1f, 0x57]);
        code.extend_from_slice(&ret(metadata.len(), 0x2f));
        code.push(0x5b);
        code.extend_from_slice(&ret(binding.len(), 0x2f + metadata.len()));
        code.extend_from_slice(&metadata);
        code.extend_from_slice(&binding);
        let mut state = StateDb::new(EmptyDB::default());
        let info = AccountInfo::default().with_code(Bytecode::new_raw(code.into()));
        state.insert_account_info(REGISTRY, info);
        state
    }

    fn views(state: &StateDb) -> Views<'_> {
        Views::at(state, BlockEnv::default(), 1)
    }

    fn resolve(state: &StateDb, registry: Address, id: u64) -> Result<BoundTwin, PipeFailure> {
        Twins { registry }.resolve(&views(state), TwinModel { id })
    }

    #[test]
    fn a_twin_resolves_to_its_release_and_the_profile_its_binding_pins() {
        let state = registry(TwinProfile::hash(PROFILE), PROFILE);
        let bound = resolve(&state, REGISTRY, 3).expect("bound");
        assert_eq!((bound.twin.id, bound.release), (3, RELEASE));
        assert_eq!(&bound.profile[..], PROFILE);

        let tampered = registry(TwinProfile::hash(PROFILE), br#"{"name":"other"}"#);
        assert_eq!(
            resolve(&tampered, REGISTRY, 3),
            Err(PipeFailure::Failed(
                "twin 3's published profile does not match its binding".into()
            ))
        );
        assert_eq!(
            resolve(&state, Address::repeat_byte(1), 9),
            Err(PipeFailure::UnknownModel("twin:9".into())),
            "no registry there: no such twin"
        );
        assert!(matches!(twin_of("twin:x"), Some(Err(PipeFailure::UnknownModel(_)))));
        assert!(twin_of("verigrad/volatility").is_none());
    }

    #[test]
    fn a_twin_answer_must_name_the_binding_and_be_signed_for_its_release() {
        let state = registry(TwinProfile::hash(PROFILE), PROFILE);
        let views = views(&state);
        let request = |model: &str| {
            let call = verigrad_inference::runModelInferenceCall {
                request: verigrad_inference::ModelInferenceRequest {
                    mode: 0,
                    modelCID: model.into(),
                    input: verigrad_inference::ModelInput::numbers(vec![]),
                },
            };
            PipeRequest::decode(&call.abi_encode()).expect("decodes")
        };
        let bound = resolve(&state, REGISTRY, 3).expect("bound");
        let names = |answerer: verigrad_inference::TwinAnswerer| {
            let mut output = ModelOutput::numbers(vec![]);
            output.jsons = [
                ("twin", answerer.twin.id.to_string()),
                ("release", answerer.release.to_string()),
                ("profile", answerer.profile.to_string()),
            ]
            .map(|(name, value)| JsonScalar { name: name.into(), value })
            .to_vec();
            output
        };
        let signed = |release| {
            let attestation = Attestation::new(release, Address::ZERO, Default::default(), vec![]);
            Answer::attested(names(bound.answerer()), 1, Some(attestation))
        };
        let other_twin =
            verigrad_inference::TwinAnswerer { twin: TwinModel { id: 4 }, ..bound.answerer() };
        let cases = [
            ("names the binding", "twin:3", Answer::new(names(bound.answerer()), 1), true),
            ("signed for the bound release", "twin:3", signed(RELEASE), true),
            ("signed for another release", "twin:3", signed(B256::repeat_byte(2)), false),
            ("names another twin", "twin:3", Answer::new(names(other_twin), 1), false),
            ("no names", "twin:3", Answer::new(ModelOutput::numbers(vec![]), 1), false),
            (
                "not a twin's request",
                "verigrad/volatility",
                Answer::new(ModelOutput::numbers(vec![]), 1),
                true,
            ),
        ];
        let mut checks = TwinChecks::new(Some(Twins { registry: REGISTRY }));
        for (name, model, answer, holds) in cases {
            assert_eq!(checks.check(&views, &request(model), &answer).is_ok(), holds, "{name}");
        }
        let mut blind = TwinChecks::new(None);
        let answer = Answer::new(names(bound.answerer()), 1);
        assert!(blind.check(&views, &request("twin:3"), &answer).is_err(), "no registry");
    }
}
