//! A loaded model of any architecture: the one type the runtime holds, resolves and runs.

use crate::{
    Architecture, Deadline, InferenceError, Manifest, ModelInput, ModelOutput, ModelPackage,
    Result, embedder::Embedder, mlp::Mlp,
};

/// A verified package turned into something that runs.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per loaded package, built once and held behind the runtime's Arc"
)]
pub(crate) enum Model {
    /// A multilayer perceptron (exact or tolerance class).
    Mlp(Mlp),
    /// A pretrained BERT sentence embedder (tolerance class).
    Embedder(Embedder),
}

impl Model {
    /// Builds the model its manifest's architecture names.
    pub(crate) fn from_package(package: &ModelPackage) -> Result<Self> {
        match package.manifest().architecture {
            Architecture::Mlp { .. } => Mlp::from_package(package).map(Self::Mlp),
            Architecture::SentenceEmbedder { .. } => {
                Embedder::from_package(package).map(Self::Embedder)
            }
        }
    }

    /// Runs the model on one input.
    pub(crate) fn run(&self, input: &ModelInput, deadline: Deadline) -> Result<ModelOutput> {
        match self {
            // Microseconds of work: one checkpoint before it is enough.
            Self::Mlp(model) => {
                deadline.check(&model.manifest().name)?;
                model.run(input)
            }
            Self::Embedder(model) => model.run(input, deadline),
        }
    }

    /// The manifest of the package the model came from.
    pub(crate) fn manifest(&self) -> &Manifest {
        match self {
            Self::Mlp(model) => model.manifest(),
            Self::Embedder(model) => model.manifest(),
        }
    }
}

/// A package whose manifest and files do not describe a model that can run.
pub(crate) fn invalid(manifest: &Manifest, what: &str) -> InferenceError {
    InferenceError::InvalidPackage(format!("{} {}: {what}", manifest.name, manifest.version))
}
