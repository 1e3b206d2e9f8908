//! Worker role sets, the registry's `uint8` bitmask (`contracts/types/Roles.sol`).

use std::{fmt, str::FromStr};

use serde::{Serialize, Serializer};

/// The roles, by bit, with their names.
const ROLES: [(RoleSet, &str); 4] = [
    (RoleSet::COMPUTE, "compute"),
    (RoleSet::VERIFY, "verify"),
    (RoleSet::COORDINATE, "coordinate"),
    (RoleSet::STORE, "store"),
];

/// A set of worker roles. Parses from and prints as a comma-separated list of names.
///
/// ```
/// use verigrad_contracts::RoleSet;
/// let roles: RoleSet = "verify,compute".parse()?;
/// assert_eq!(roles.bits(), 0b11);
/// assert_eq!(roles.to_string(), "compute,verify");
/// # Ok::<(), verigrad_contracts::UnknownRole>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoleSet(u8);

/// A role name that is none of compute, verify, coordinate, store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (roles: compute, verify, coordinate, store)")]
pub struct UnknownRole(pub String);

impl RoleSet {
    /// Runs models for tasks.
    pub const COMPUTE: Self = Self(1);
    /// Re-executes audits, sits on committees, challenges wrong results.
    pub const VERIFY: Self = Self(2);
    /// Routes requests and acts as the x402 facilitator.
    pub const COORDINATE: Self = Self(4);
    /// Serves the content-addressed store.
    pub const STORE: Self = Self(8);

    /// Whether every role of `roles` is in the set.
    pub fn contains(self, roles: Self) -> bool {
        self.0 & roles.0 == roles.0
    }

    /// The set with these bits; bits the registry does not define are dropped.
    pub fn from_bits(bits: u8) -> Self {
        Self(bits & ROLES.iter().fold(0, |all, (role, _)| all | role.0))
    }

    /// The registry's bitmask.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether no role is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromStr for RoleSet {
    type Err = UnknownRole;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',').map(str::trim).filter(|name| !name.is_empty()).try_fold(
            Self::default(),
            |set, name| {
                let (role, _) = ROLES
                    .iter()
                    .find(|(_, known)| known.eq_ignore_ascii_case(name))
                    .ok_or_else(|| UnknownRole(name.to_owned()))?;
                Ok(Self(set.0 | role.0))
            },
        )
    }
}

impl fmt::Display for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> =
            ROLES.iter().filter(|(role, _)| self.contains(*role)).map(|(_, name)| *name).collect();
        f.write_str(&names.join(","))
    }
}

impl Serialize for RoleSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_role_lists() {
        let cases = [
            ("one", "compute", Ok(1)),
            ("all, spaced, any case", "Store, coordinate ,VERIFY,compute", Ok(15)),
            ("repeated", "verify,verify", Ok(2)),
            ("empty", "", Ok(0)),
            ("unknown", "compute,mine", Err(UnknownRole("mine".into()))),
        ];
        for (name, list, expected) in cases {
            assert_eq!(list.parse::<RoleSet>().map(RoleSet::bits), expected, "{name}");
        }
        assert_eq!(RoleSet::from_bits(0b1_0101).to_string(), "compute,coordinate");
    }
}
