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
