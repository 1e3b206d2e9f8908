//! Invented names for the pair corpus: a city, a company or a person no list holds, built from
//! syllables, so that names seen in training are not what the model keys on.

use verigrad_inference::training::data::Rng;

use crate::fill::pick;

const ONSETS: &[&str] = &[
    "b", "br", "c", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n", "p", "qu", "r",
    "s", "st", "t", "tr", "v", "w", "z",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"];
const CODAS: &[&str] = &["", "", "n", "r", "l", "s", "x", "th", "nd", "m"];
const COMPANY_SUFFIXES: &[&str] = &["", "", " Labs", " Systems", " Group", " Works", " & Co"];
const CITY_SUFFIXES: &[&str] = &["", "", "ville", "burg", "ford", "ton", "ia"];

/// For `city`, `company` and `name`, an invented value half the time; `None` otherwise.
pub(crate) fn invented(rng: &mut Rng, key: &str) -> Option<String> {
    let suffix = match key {
        "city" => CITY_SUFFIXES,
        "company" => COMPANY_SUFFIXES,
        "name" => &[""],
        _ => return None,
    };
    if rng.next_u64().is_multiple_of(2) {
        return None;
    }
    let syllables = 1 + rng.next_u64() % 3;
    let mut word: String = (0..syllables)
        .map(|_| format!("{}{}", pick(rng, ONSETS), pick(rng, VOWELS)))
        .collect::<String>();
    word.push_str(pick::<&str>(rng, CODAS));
    word.push_str(pick::<&str>(rng, suffix));
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_invented_for_names_only() {
        let mut rng = Rng::new(5);
        let names: Vec<String> = (0..40).filter_map(|_| invented(&mut rng, "company")).collect();
        assert!(names.len() > 10 && names.iter().all(|n| n.starts_with(char::is_uppercase)));
        assert!((0..40).all(|_| invented(&mut rng, "diet").is_none()));
    }
}
