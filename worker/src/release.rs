//! `worker models release`: a model owner publishes a release in the ModelRegistry.

use std::path::Path;

use alloy::primitives::{B256, U256};
use anyhow::Context as _;
use clap::Args;
use verigrad_contracts::{DeterminismClass, EnumName, NewRelease, RiskClass};
use verigrad_inference::{Determinism, ModelPackage};

use crate::{
    account::tokens,
    cli::{Context, parse_enum, parse_tokens},
};

/// `worker models release`.
#[derive(Debug, Args)]
pub(crate) struct ReleaseArgs {
    /// The package: its folder (the id, and the defaults of name, version and determinism, come
    /// from its manifest), or its release id (0x…, with --name, --version and --determinism).
    package: String,
    /// The repository's name, unique per owner; created if the key has none of that name
    /// [default: the manifest's name].
    #[arg(long)]
    name: Option<String>,
    /// The release's version [default: the manifest's].
    #[arg(long)]
    version: Option<String>,
    /// How two executions' outputs are compared: exact (by hash) or tolerance (element-wise
    /// within --epsilon) [default: the manifest's].
    #[arg(long, value_parser = parse_enum::<DeterminismClass>)]
    determinism: Option<DeterminismClass>,
    /// A tolerance release's largest difference per element, e.g. 1e-5 (kept in millionths on
    /// chain) [default: the manifest's].
    #[arg(long)]
    epsilon: Option<f64>,
    /// How much harm a wrong answer can do: low, medium, high or critical.
    #[arg(long, value_parser = parse_enum::<RiskClass>, default_value = "low")]
    risk: RiskClass,
    /// Price of one execution, in tokens.
    #[arg(long, value_parser = parse_tokens, default_value = "1")]
    price: U256,
    /// The owner's royalty on each execution, in basis points.
    #[arg(long, default_value_t = 500)]
    royalty_bps: u16,
    /// Compute units of one execution: the load each run brings, which the live price follows
    /// [default: the manifest's cost_units; 1 with a release id].
    #[arg(long)]
    cost_units: Option<u32>,
    /// A capability tag to publish with the release (`forecast/volatility`, `embedding/384`:
    /// a-z, 0-9, `/`, `-`, `_`, `.`), so a coordinator can route requests naming the capability to
    /// it; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
}

impl ReleaseArgs {
    /// Publishes the release as the key's account and prints its id.
    pub(crate) async fn run(self, ctx: &Context) -> anyhow::Result<()> {
        let release = self.release()?;
        let account = ctx.account().await?;
        let published = account.publish_release(&release).await?;
        if published.created_repository {
            eprintln!("created the repository {} ({})", release.repository, published.repository);
        }
        eprintln!(
            "published {} {} ({}, risk {}, {} a run, royalty {} bps, {} compute units a run)",
            release.repository,
            release.version,
            determinism_text(&release),
            release.risk.name(),
            tokens(release.base_price),
            release.royalty_bps,
            release.cost_units
        );
        if !release.tags.is_empty() {
            eprintln!("tagged {}", release.tags.join(", "));
        }
        println!("{}", release.id);
        Ok(())
    }

    /// The release the arguments describe, the package's manifest filling what they leave out.
    fn release(&self) -> anyhow::Result<NewRelease> {
        let (id, manifest) = match self.package.parse::<B256>() {
            Ok(id) => (id, None),
            Err(_) => {
                let package = ModelPackage::load(Path::new(&self.package))
                    .with_context(|| format!("loading the package in {}", self.package))?;
                let manifest = package.manifest().clone();
                (package.id(), Some(manifest))
            }
        };
        let needed = |what: &str| format!("--{what} is needed with a release id");
        let repository = match (&self.name, &manifest) {
            (Some(name), _) => name.clone(),
            (None, Some(manifest)) => manifest.name.clone(),
            (None, None) => anyhow::bail!(needed("name")),
        };
        let version = match (&self.version, &manifest) {
            (Some(version), _) => version.clone(),
            (None, Some(manifest)) => manifest.version.clone(),
            (None, None) => anyhow::bail!(needed("version")),
        };
        let cost_units = match (self.cost_units, &manifest) {
            (Some(units), _) => units,
            (None, Some(manifest)) => u32::try_from(manifest.cost_units)
                .with_context(|| format!("cost_units {} above 2^32", manifest.cost_units))?,
            (None, None) => 1,
        };
        anyhow::ensure!(cost_units > 0, "--cost-units must be at least 1");
        let (determinism, epsilon) = match (self.determinism, manifest.map(|m| m.determinism)) {
            (Some(class), _) => (class, self.epsilon),
            (None, Some(Determinism::Exact { .. })) => (DeterminismClass::EXACT, self.epsilon),
            (None, Some(Determinism::Tolerance { epsilon })) => {
                (DeterminismClass::TOLERANCE, self.epsilon.or(Some(epsilon)))
            }
            (None, None) => anyhow::bail!(needed("determinism")),
        };
        Ok(NewRelease {
            repository,
            id,
            version,
            determinism,
            tolerance_e6: tolerance_e6(determinism, epsilon)?,
            risk: self.risk,
            base_price: self.price,
            royalty_bps: self.royalty_bps,
            cost_units,
            tags: self.tags.clone(),
        })
    }
}

/// The registry's tolerance in millionths: above zero for a tolerance release, zero for an exact one.
fn tolerance_e6(determinism: DeterminismClass, epsilon: Option<f64>) -> anyhow::Result<u32> {
    match (determinism, epsilon) {
        (DeterminismClass::EXACT, None) => Ok(0),
        (DeterminismClass::EXACT, Some(_)) => anyhow::bail!("an exact release has no --epsilon"),
        (_, Some(epsilon)) => {
            let e6 = (epsilon * 1e6).round();
            anyhow::ensure!(
                (1.0..=f64::from(u32::MAX)).contains(&e6),
                "--epsilon {epsilon} is not a tolerance of at least 1e-6"
            );
            // In range, checked above.
            Ok(e6 as u32)
        }
        (_, None) => anyhow::bail!("a tolerance release needs --epsilon"),
    }
}

/// `exact`, or `tolerance 1e-5`.
fn determinism_text(release: &NewRelease) -> String {
    match release.determinism {
        DeterminismClass::EXACT => "exact".into(),
        _ => format!("tolerance {:e}", f64::from(release.tolerance_e6) / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Release {
        #[command(flatten)]
        args: ReleaseArgs,
    }

    /// The release of `worker models release ARGS`, `models/` being the shipped packages.
    fn release(args: &[&str]) -> anyhow::Result<NewRelease> {
        let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/");
        let args = args.iter().map(|a| a.replace("models/", models));
        let parsed = Release::try_parse_from(std::iter::once("release".to_owned()).chain(args));
        parsed.expect("parses").args.release()
    }

    #[test]
    fn the_manifest_fills_what_the_flags_leave_out() {
        let volatility = release(&["models/volatility"]).expect("release");
        assert_eq!(volatility.repository, "verigrad/volatility");
        assert_eq!(volatility.version, "1.0.0");
        assert_eq!((volatility.determinism, volatility.tolerance_e6), (DeterminismClass::EXACT, 0));
        assert_eq!(
            (volatility.base_price, volatility.royalty_bps),
            (parse_tokens("1").expect("1"), 500)
        );
        assert_eq!(volatility.cost_units, 64, "the manifest's cost units");

        let risk =
            release(&["models/risk", "--name", "me/risk", "--risk", "high", "--price", "0.5"])
                .expect("release");
        assert_eq!(risk.repository, "me/risk");
        assert_eq!((risk.determinism, risk.tolerance_e6), (DeterminismClass::TOLERANCE, 10));
        assert_eq!(
            (risk.risk, risk.base_price),
            (RiskClass::HIGH, parse_tokens("0.5").expect("0.5"))
        );
        let cheap = release(&["models/risk", "--cost-units", "7"]).expect("release");
        assert_eq!((risk.cost_units, cheap.cost_units), (48, 7), "the manifest's, or the flag's");
    }

    #[test]
    fn a_release_id_needs_every_field() {
        let id = "0x96aae65b81edb101665c5aa81ad822a862722773df6ce99121add8824467835d";
        let cases: [(&[&str], Option<&str>); 5] = [
            (&[id], Some("--name")),
            (&[id, "--name", "a/b", "--version", "2"], Some("--determinism")),
            (&[id, "--name", "a/b", "--version", "2", "--determinism", "exact"], None),
            (
                &[id, "--name", "a/b", "--version", "2", "--determinism", "tolerance"],
                Some("needs --epsilon"),
            ),
            (
                &[
                    id,
                    "--name",
                    "a/b",
                    "--version",
                    "2",
                    "--determinism",
                    "exact",
                    "--epsilon",
                    "1",
                ],
                Some("no --epsilon"),
            ),
        ];
        for (args, refusal) in cases {
            match (release(args), refusal) {
                (Ok(release), None) => assert_eq!(release.id.to_string(), id),
                (Err(e), Some(text)) => assert!(e.to_string().contains(text), "{args:?}: {e}"),
                (outcome, _) => panic!("{args:?}: {outcome:?}"),
            }
        }
    }
}
