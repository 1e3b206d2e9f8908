//! The categories a memory is filed under, its type, and the single-valued slots a newer fact
//! replaces.

use serde::{Deserialize, Serialize};

/// What a memory is about (MemSync's `categories`). A memory has one or two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Name, age, origin, languages.
    Identity,
    /// Where the user lives or is based.
    Location,
    /// Employer, job, work.
    Career,
    /// Schools, degrees, courses.
    Education,
    /// Partner, family, friends.
    Relationships,
    /// Likes, dislikes, favourites, diet.
    Preferences,
    /// Hobbies and pastimes.
    Interests,
    /// Conditions, allergies, fitness.
    Health,
    /// Pets, vehicles, homes and other things owned.
    Possessions,
    /// Intentions and goals.
    Plans,
}

impl Category {
    /// Every category, in order.
    pub const ALL: [Self; 10] = [
        Self::Identity,
        Self::Location,
        Self::Career,
        Self::Education,
        Self::Relationships,
        Self::Preferences,
        Self::Interests,
        Self::Health,
        Self::Possessions,
        Self::Plans,
    ];
}

/// MemSync's memory `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemoryType {
    /// A stable fact or preference ("User lives in Lisbon").
    Semantic,
    /// An event anchored in time ("User moved to Lisbon last month").
    Episodic,
}

/// A single-valued attribute: a user has one of each at a time, so a fact about the same slot with a
/// different value supersedes the old one. Everything else (hobbies, pets, likes, family) is
/// many-valued and only ever added to or reinforced: "likes tea" never replaces "likes coffee".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// The city the user lives in.
    Home,
    /// The company the user works for.
    Employer,
    /// The user's job or title.
    Role,
    /// The user's partner.
    Partner,
    /// The user's diet.
    Diet,
    /// The user's favourite food.
    FavouriteFood,
    /// The user's favourite music.
    FavouriteMusic,
}

impl Slot {
    /// Every slot, in order.
    pub const ALL: [Self; 7] = [
        Self::Home,
        Self::Employer,
        Self::Role,
        Self::Partner,
        Self::Diet,
        Self::FavouriteFood,
        Self::FavouriteMusic,
    ];
}
