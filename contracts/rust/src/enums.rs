//! Names for the Solidity enums, as the CLI takes them and reports print them.

/// A Solidity enum's variants by name, in lower case (`Tier::REDUNDANT` is `redundant`). `build.rs`
/// implements it for every enum of the bindings with the names of the Solidity declaration: nothing
/// to keep in step by hand.
///
/// ```
/// use verigrad_contracts::{EnumName, Tier};
///
/// assert_eq!(Tier::DEEP.name(), "deep");
/// assert_eq!(Tier::from_name("Redundant"), Some(Tier::REDUNDANT));
/// assert_eq!(Tier::names(), ["light", "redundant", "deep"]);
/// ```
pub trait EnumName: Copy + Into<u8> + TryFrom<u8> {
    /// The variants' names in the Solidity declaration, in order.
    const VARIANTS: &'static [&'static str];

    /// The variant's name in lower case.
    fn name(self) -> String {
        let index = usize::from(self.into());
        Self::VARIANTS.get(index).map_or_else(|| format!("#{index}"), |n| n.to_ascii_lowercase())
    }

    /// The variant named `name` (any case).
    fn from_name(name: &str) -> Option<Self> {
        let index = Self::VARIANTS.iter().position(|v| v.eq_ignore_ascii_case(name))?;
        Self::try_from(u8::try_from(index).ok()?).ok()
    }

    /// Every variant's name in lower case, in declaration order.
    fn names() -> Vec<String> {
        Self::VARIANTS.iter().map(|n| n.to_ascii_lowercase()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AppealStage, DeterminismClass, RiskClass, SeatState, TaskStatus, Tier, VoteState};

    /// The generated names follow the Solidity declarations (file-level and inside an interface),
    /// and name and number agree both ways.
    #[test]
    fn names_come_from_the_solidity_declarations() {
        fn check<T: EnumName + PartialEq + std::fmt::Debug>(expected: &[&str]) {
            assert_eq!(T::names(), expected);
            for (i, name) in expected.iter().enumerate() {
                let variant = T::from_name(name).expect("a variant");
                assert_eq!(usize::from(variant.into()), i, "{name}");
                assert_eq!(variant.name(), *name);
            }
            assert_eq!(T::from_name("nonsense"), None);
        }
        check::<Tier>(&["light", "redundant", "deep"]);
        check::<TaskStatus>(&[
            "none",
            "created",
            "assigned",
            "proposed",
            "reviewing",
            "finalized",
            "settled",
        ]);
        check::<SeatState>(&["empty", "assigned", "committed", "revealed", "accepted", "faulty"]);
        check::<VoteState>(&["none", "committed", "revealed"]);
        check::<AppealStage>(&["none", "open", "appealed"]);
        check::<DeterminismClass>(&["exact", "tolerance"]);
        check::<RiskClass>(&["low", "medium", "high", "critical"]);
    }
}
