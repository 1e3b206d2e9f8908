//! Names for the Solidity enums, as the CLI takes them and reports print them.

use std::fmt::Debug;

use alloy::sol_types::SolEnum;

/// A Solidity enum's variants by name, in lower case (`Tier::REDUNDANT` is `redundant`), derived
/// from the variants `sol!` generated: nothing to keep in step with the Solidity by hand.
///
/// ```
/// use verigrad_contracts::{EnumName, Tier};
///
/// assert_eq!(Tier::DEEP.name(), "deep");
/// assert_eq!(Tier::from_name("Redundant"), Some(Tier::REDUNDANT));
/// assert_eq!(Tier::names(), ["light", "redundant", "deep"]);
/// ```
pub trait EnumName: Sized {
    /// The variant's name in lower case.
    fn name(&self) -> String;

    /// The variant named `name` (any case).
    fn from_name(name: &str) -> Option<Self>;

    /// Every variant's name, in declaration order.
    fn names() -> Vec<String>;
}

impl<T> EnumName for T
where
    T: SolEnum + TryFrom<u8> + Copy + Debug,
{
    fn name(&self) -> String {
        format!("{self:?}").to_ascii_lowercase()
    }

    fn from_name(name: &str) -> Option<Self> {
        variants::<T>().find(|v| v.name().eq_ignore_ascii_case(name))
    }

    fn names() -> Vec<String> {
        variants::<T>().map(|v| v.name()).collect()
    }
}

/// The variants of `T` in declaration order (the `__Invalid` that `sol!` adds is not among them).
fn variants<T: SolEnum + TryFrom<u8>>() -> impl Iterator<Item = T> {
    (0..T::COUNT).filter_map(|i| u8::try_from(i).ok()).filter_map(|i| T::try_from(i).ok())
}
