//! Template filling shared by the training corpus and the synthetic conversations: `{key}` is
//! replaced by a seeded draw from the list the caller gives for `key`.

use verigrad_inference::training::data::Rng;

/// A uniform pick from a non-empty list.
pub(crate) fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[(rng.next_u64() % items.len() as u64) as usize]
}

/// `template` with each `{key}` replaced by a draw from `vocabulary(key)`.
pub(crate) fn fill(
    template: &str,
    rng: &mut Rng,
    vocabulary: impl Fn(&str) -> &'static [&'static str],
) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        out.push_str(pick::<&str>(rng, vocabulary(&rest[start + 1..end])));
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}
