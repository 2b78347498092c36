//! Hashed sparse features of a review (the "hashing trick", Weinberger et al. 2009): character
//! 1–3-grams of the normalised text (the classical baseline's features), word unigrams and word
//! bigrams (jieba tokens for Chinese), negated words in their own namespace. Every feature is
//! one bucket index in `0..2^bits`; the hash is FNV-1a (stable across platforms and releases, so
//! the shipped model keeps its meaning).

use crate::lang::Lang;
use crate::tokenize::{normalise_char, words, Word};

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[derive(Clone, Copy)]
enum Space {
    Char1 = 1,
    Char2,
    Char3,
    Word,
    NegatedWord,
    Bigram,
}

#[inline]
fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
    }
    h
}

#[inline]
fn bucket(h: u64, bits: u32) -> u32 {
    // Final avalanche (splitmix64's mixer) so the top bits depend on every input byte.
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> (64 - bits)) as u32
}

#[inline]
fn seeded(space: Space) -> u64 {
    (FNV_OFFSET ^ space as u64).wrapping_mul(FNV_PRIME)
}

/// Reusable buffers for feature extraction.
#[derive(Default)]
pub struct Scratch {
    text: String,
    chars: Vec<char>,
    pub indices: Vec<u32>,
}

/// Fills `scratch.indices` with the bucket of every feature occurrence (repeats allowed).
pub fn extract(lang: Lang, text: &str, bits: u32, scratch: &mut Scratch) {
    let Scratch { text: norm, chars, indices } = scratch;
    indices.clear();
    // Normalised text with white-space runs collapsed (as scikit-learn's char analyzer does).
    norm.clear();
    chars.clear();
    for c in text.chars().map(normalise_char) {
        if c == ' ' && chars.last().is_none_or(|&p| p == ' ') {
            continue;
        }
        chars.push(c);
        norm.push(c);
    }
    let mut buf = [0u8; 12];
    for i in 0..chars.len() {
        let mut len = 0;
        for (n, space) in [Space::Char1, Space::Char2, Space::Char3].into_iter().enumerate() {
            let Some(&c) = chars.get(i + n) else { break };
            len += c.encode_utf8(&mut buf[len..]).len();
            indices.push(bucket(fnv(seeded(space), &buf[..len]), bits));
        }
    }
    let mut toks: Vec<Word<'_>> = Vec::with_capacity(chars.len() / 2 + 1);
    words(lang, norm, &mut toks);
    let mut prev: Option<&str> = None;
    for w in &toks {
        let space = if w.negated { Space::NegatedWord } else { Space::Word };
        indices.push(bucket(fnv(seeded(space), w.text.as_bytes()), bits));
        if let Some(p) = prev {
            let h = fnv(fnv(seeded(Space::Bigram), p.as_bytes()), &[0xff]);
            indices.push(bucket(fnv(h, w.text.as_bytes()), bits));
        }
        prev = Some(w.text);
    }
}

/// Sorted (bucket, count) pairs of `indices` (which it sorts in place).
pub fn counts(indices: &mut [u32], out: &mut Vec<(u32, u32)>) {
    indices.sort_unstable();
    out.clear();
    for &i in indices.iter() {
        match out.last_mut() {
            Some((j, n)) if *j == i => *n += 1,
            _ => out.push((i, 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_deterministic_and_in_range() {
        let mut s = Scratch::default();
        extract(Lang::Zh, "质量很好，物流也快！", 18, &mut s);
        let first = s.indices.clone();
        assert!(first.iter().all(|&i| i < 1 << 18));
        // 10 chars → 10 + 9 + 8 char grams, plus words and bigrams.
        assert!(first.len() > 27, "{}", first.len());
        extract(Lang::Zh, "质量很好，物流也快！", 18, &mut s);
        assert_eq!(first, s.indices);
        extract(Lang::En, "", 18, &mut s);
        assert!(s.indices.is_empty());
    }

    #[test]
    fn negation_changes_the_word_feature() {
        let plain = bucket(fnv(seeded(Space::Word), b"good"), 20);
        let negated = bucket(fnv(seeded(Space::NegatedWord), b"good"), 20);
        let mut s = Scratch::default();
        extract(Lang::En, "good", 20, &mut s);
        assert!(s.indices.contains(&plain) && !s.indices.contains(&negated));
        extract(Lang::En, "not good", 20, &mut s);
        assert!(s.indices.contains(&negated) && !s.indices.contains(&plain));
    }
}
