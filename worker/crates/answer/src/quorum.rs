//! Turning the workers' signed answers into one attested result: every signature checked, every
//! signer staked, and `size` of them agreeing by the model's determinism class.

use alloy::{
    primitives::{Address, B256, U256},
    sol_types::Eip712Domain,
};
use verigrad_contracts::pipe_domain;
use verigrad_inference::{Determinism, agrees};
use verigrad_pipe::{
    Answer, Attestation, PipeFailure, PipeRequest, Resolution, Signed, output_hash, unanswered,
};

use crate::SignedAnswer;

/// What a request needs from the network, and what its answer is worth.
#[derive(Debug, Clone, Copy)]
pub struct Quorum {
    /// Distinct staked workers that must agree.
    pub size: usize,
    /// How their outputs are compared.
    pub determinism: Determinism,
    /// The model's cost units (the answer's gas).
    pub cost_units: u64,
    /// The chain.
    pub chain_id: u64,
    /// Its PipeSettlement: the signatures' EIP-712 domain, and who bills the calls.
    pub settlement: Address,
    /// The release's price: what each call served the answer pays.
    pub price: U256,
}

/// One answer that checked out.
#[derive(Debug)]
struct Checked {
    resolution: Resolution,
    signed: Signed,
}

/// The result `answers` support for `request` on `release`: the first `quorum.size` valid answers
/// that agree, attested by their signatures. An answer whose signature does not recover to its
/// worker, whose worker `eligible` rejects (not staked for the release), that is for another request
/// or release, or that does not decode is dropped (and logged). Too few agreeing answers fail the
/// request "no worker answered".
pub fn attest(
    request: &PipeRequest,
    release: B256,
    answers: &[SignedAnswer],
    quorum: Quorum,
    eligible: impl Fn(Address) -> bool,
) -> Resolution {
    let domain = &pipe_domain(quorum.chain_id, quorum.settlement);
    let mut groups: Vec<Vec<Checked>> = Vec::new();
    let mut seen: Vec<Address> = Vec::new();
    for answer in answers {
        if seen.contains(&answer.worker) {
            continue;
        }
        let checked = match check(request, release, answer, domain, quorum.cost_units, &eligible) {
            Ok(checked) => checked,
            Err(why) => {
                tracing::warn!(worker = %answer.worker, request = %request.id, %why, "answer dropped");
                continue;
            }
        };
        seen.push(answer.worker);
        let group = groups
            .iter_mut()
            .find(|group| same(quorum.determinism, &group[0].resolution, &checked.resolution));
        match group {
            Some(group) => group.push(checked),
            None => groups.push(vec![checked]),
        }
        if let Some(agreed) = groups.iter_mut().find(|group| group.len() >= quorum.size) {
            return attested(release, std::mem::take(agreed), quorum);
        }
    }
    let largest = groups.iter().map(Vec::len).max().unwrap_or(0);
    Err(unanswered(
        request,
        &format!(
            "{} valid of {} answers, at most {largest} agreeing; {} needed",
            seen.len(),
            answers.len(),
            quorum.size
        ),
    ))
}

fn check(
    request: &PipeRequest,
    release: B256,
    answer: &SignedAnswer,
    domain: &Eip712Domain,
    cost_units: u64,
    eligible: &impl Fn(Address) -> bool,
) -> Result<Checked, String> {
    if answer.request_id != request.id || answer.release_id != release {
        return Err("answers another request or release".into());
    }
    let resolution = answer.resolution(cost_units).map_err(|e| e.to_string())?;
    let statement = answer.statement(&resolution);
    statement.verify(domain, answer.worker, &answer.signature).map_err(|e| e.to_string())?;
    if !eligible(answer.worker) {
        return Err("the signer is not staked for the release".into());
    }
    let signed = Signed {
        worker: answer.worker,
        output_hash: statement.outputHash,
        signature: answer.signature.clone(),
    };
    Ok(Checked { resolution, signed })
}

/// Whether two resolutions agree: outputs by the determinism class, failures by their revert data.
fn same(determinism: Determinism, a: &Resolution, b: &Resolution) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => agrees(determinism, &a.output, &b.output),
        (Err(_), Err(_)) => output_hash(a) == output_hash(b),
        _ => false,
    }
}

/// The agreed result: the first answer's output, attested by the group's signatures. A failure
/// every worker agreed on (a malformed input, say) carries no attestation: it pays nobody.
fn attested(release: B256, group: Vec<Checked>, quorum: Quorum) -> Resolution {
    let mut group = group.into_iter().take(quorum.size);
    let first = group.next().expect("a group is never empty");
    let answer = first.resolution.map_err(|failure: PipeFailure| failure)?;
    let signatures = std::iter::once(first.signed).chain(group.map(|c| c.signed)).collect();
    let attestation = Attestation::new(release, quorum.settlement, quorum.price, signatures);
    Ok(Answer::attested(answer.output.clone(), answer.cost_units, Some(attestation)))
}

#[cfg(test)]
mod tests {
    use std::{path::PathBuf, time::Duration};

    use alloy::{primitives::Bytes, signers::local::PrivateKeySigner, sol_types::SolCall};
    use verigrad_inference::{
        LiveRuntime, ModelInferenceRequest, ModelInput, ModelPackage, MultiDimensionalNumberTensor,
        Number, Runtime, TwinModel, invoke_twin, runModelInferenceCall,
    };

    use super::*;
    use crate::{AnswerRequest, Answering, Refusal, TwinPart};

    const CHAIN: u64 = 31338;
    const SETTLEMENT: Address = Address::repeat_byte(0x5e);

    fn runtime() -> (Runtime, B256) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../models/volatility");
        let mut runtime = Runtime::new();
        let id = runtime.add(&ModelPackage::load(dir).expect("shipped package")).expect("loads");
        (runtime, id)
    }

    fn calldata(mode: u8) -> Bytes {
        calldata_on("verigrad/volatility", mode)
    }

    fn calldata_on(model: &str, mode: u8) -> Bytes {
        let values = (0..16).map(|i| Number::new(i * 3 - 20, 3)).collect();
        let tensor = MultiDimensionalNumberTensor::new("returns", values, vec![1, 16]).expect("ok");
        let request = ModelInferenceRequest {
            mode,
            modelCID: model.into(),
            input: ModelInput::numbers(vec![tensor]),
        };
        runModelInferenceCall { request }.abi_encode().into()
    }

    struct Net {
        release: B256,
        workers: Vec<Answering>,
    }

    impl Net {
        /// `honest` honest workers, then `faulty` faulty ones.
        fn new(honest: usize, faulty: usize) -> Self {
            let (runtime, release) = runtime();
            let runtime = LiveRuntime::new(runtime);
            let workers = (0..honest + faulty)
                .map(|i| {
                    let signer = PrivateKeySigner::random();
                    let timeout = Duration::from_secs(10);
                    Answering::new(runtime.clone(), signer, CHAIN, SETTLEMENT, i >= honest, timeout)
                })
                .collect();
            Self { release, workers }
        }

        fn ask(&self) -> AnswerRequest {
            AnswerRequest {
                chain_id: CHAIN,
                release_id: self.release,
                request: calldata(2),
                twin: None,
            }
        }

        fn answers(&self) -> Vec<SignedAnswer> {
            self.workers.iter().map(|w| w.answer(&self.ask()).expect("answers")).collect()
        }

        fn attest(
            &self,
            answers: &[SignedAnswer],
            size: usize,
            eligible: impl Fn(Address) -> bool,
        ) -> Resolution {
            let request = PipeRequest::decode(&self.ask().request).expect("decodes");
            let quorum = Quorum {
                size,
                determinism: Determinism::Exact { scale_bits: 16 },
                cost_units: 1,
                chain_id: CHAIN,
                settlement: SETTLEMENT,
                price: U256::from(5),
            };
            attest(&request, self.release, answers, quorum, eligible)
        }
    }

    #[test]
    fn agreeing_staked_workers_attest_the_answer_and_a_liar_is_left_out() {
        let net = Net::new(2, 1);
        let mut answers = net.answers();
        answers.rotate_right(1); // the liar answers first
        let resolution = net.attest(&answers, 2, |_| true);
        let answer = resolution.expect("two honest workers agree");
        let attestation = answer.attestation.as_ref().expect("attested");
        let liar = net.workers[2].address();
        assert_eq!(attestation.signatures.len(), 2);
        assert!(attestation.signers().all(|signer| signer != liar));
        assert!(attestation.signatures.iter().all(|s| s.output_hash == answer.output.commitment()));
        assert_eq!((attestation.settlement, attestation.price), (SETTLEMENT, U256::from(5)));
    }

    #[test]
    fn forged_unstaked_and_misdirected_answers_count_for_nothing() {
        let net = Net::new(2, 0);
        let answers = net.answers();
        // A signature by another key, claiming to be worker 0's.
        let mut forged = answers[0].clone();
        let impostor = Answering::new(
            LiveRuntime::new(runtime().0),
            PrivateKeySigner::random(),
            CHAIN,
            SETTLEMENT,
            false,
            Duration::from_secs(10),
        );
        forged.signature = impostor.answer(&net.ask()).expect("answers").signature;
        let failed = net.attest(&[forged, answers[1].clone()], 2, |_| true);
        assert!(
            matches!(failed, Err(PipeFailure::Failed(ref m)) if m.contains("no worker answered"))
        );

        let unstaked = net.workers[1].address();
        let failed = net.attest(&answers, 2, |worker| worker != unstaked);
        assert!(failed.is_err(), "an unstaked signer does not count");

        let mut other_request = answers[1].clone();
        other_request.request_id = B256::repeat_byte(1);
        assert!(net.attest(&[answers[0].clone(), other_request], 2, |_| true).is_err());
        // The same worker twice is one answer.
        assert!(net.attest(&[answers[0].clone(), answers[0].clone()], 2, |_| true).is_err());
        assert!(net.attest(&answers, 2, |_| true).is_ok());
    }

    #[test]
    fn a_worker_refuses_what_it_cannot_answer() {
        let net = Net::new(1, 0);
        let worker = &net.workers[0];
        let other_chain = AnswerRequest { chain_id: 1, ..net.ask() };
        assert_eq!(worker.answer(&other_chain), Err(Refusal::WrongChain { asked: 1, mine: CHAIN }));
        let other_release = AnswerRequest { release_id: B256::repeat_byte(7), ..net.ask() };
        assert_eq!(worker.answer(&other_release), Err(Refusal::NotServed(B256::repeat_byte(7))));
        let junk = AnswerRequest { request: Bytes::from_static(b"junk"), ..net.ask() };
        assert!(matches!(worker.answer(&junk), Err(Refusal::Malformed(_))));
    }

    #[test]
    fn a_worker_answers_a_twin_as_invoke_twin_does_and_only_the_twin_it_is_named() {
        let net = Net::new(1, 0);
        let worker = &net.workers[0];
        let (runtime, release) = runtime();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../models/twins");
        let profile = Bytes::from(std::fs::read(dir.join("risk-desk.profile.json")).expect("ok"));
        let twin = TwinModel { id: 3 };
        // A twin is asked in ZKML mode (pipe-node refuses it in the others).
        let asked = AnswerRequest {
            request: calldata_on("twin:3", 1),
            twin: Some(TwinPart { id: 3, profile: profile.clone() }),
            ..net.ask()
        };
        let signed = worker.answer(&asked).expect("answers");
        let request = PipeRequest::decode(&asked.request).expect("decodes");
        assert_eq!((signed.request_id, signed.release_id), (request.id, release));
        let answer = signed.resolution(1).expect("decodes").expect("answered");
        let expected =
            invoke_twin(&runtime, twin, release, &profile, &request.input).expect("invokes");
        assert_eq!(answer.output, expected);
        let quorum = Quorum {
            size: 1,
            determinism: Determinism::Exact { scale_bits: 16 },
            cost_units: 1,
            chain_id: CHAIN,
            settlement: SETTLEMENT,
            price: U256::from(5),
        };
        let attested = attest(&request, release, &[signed], quorum, |_| true).expect("attested");
        assert_eq!(attested.attestation.as_ref().map(|a| a.release), Some(release));

        let part = |id| Some(TwinPart { id, profile: profile.clone() });
        for (name, request, twin) in [
            ("no twin named", calldata_on("twin:3", 1), None),
            ("another twin named", calldata_on("twin:3", 1), part(4)),
            ("a twin named for a release", calldata(1), part(3)),
        ] {
            let asked = AnswerRequest { request, twin, ..net.ask() };
            assert!(matches!(worker.answer(&asked), Err(Refusal::Twin(_))), "{name}");
        }
        let unserved = AnswerRequest { release_id: B256::repeat_byte(7), ..asked };
        assert_eq!(worker.answer(&unserved), Err(Refusal::NotServed(B256::repeat_byte(7))));
    }

    #[test]
    fn an_answer_request_without_a_twin_reads_as_before() {
        let old = r#"{"chainId":1,"releaseId":"0x0000000000000000000000000000000000000000000000000000000000000007","request":"0x01"}"#;
        let asked: AnswerRequest = serde_json::from_str(old).expect("parses");
        assert_eq!(asked.twin, None);
        assert!(!serde_json::to_string(&asked).expect("json").contains("twin"));
    }
}
