//! The two languages of the models, and detection when a review's `language` column is empty.

use xinli_core::Language;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

impl From<Language> for Lang {
    fn from(l: Language) -> Self {
        match l {
            Language::Zh => Lang::Zh,
            Language::En => Lang::En,
        }
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The language of a text from its letters: Chinese when Han characters make up at least a
/// quarter of the letters (one Han character carries about as much as a 3–4 letter English word,
/// so "质量很好 love it" is Chinese), English when there are Latin letters only. None for text
/// without letters (empty, digits, emoji, punctuation).
pub fn detect(text: &str) -> Option<Lang> {
    let (mut han, mut latin) = (0usize, 0usize);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
        } else if c.is_ascii_alphabetic() {
            latin += 1;
        }
    }
    if han == 0 && latin == 0 {
        None
    } else if han * 4 >= latin {
        Some(Lang::Zh)
    } else {
        Some(Lang::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_letters() {
        assert_eq!(detect("质量很好"), Some(Lang::Zh));
        assert_eq!(detect("Love this dress"), Some(Lang::En));
        assert_eq!(detect("质量很好 love it"), Some(Lang::Zh));
        assert_eq!(detect("The fabric is great 好"), Some(Lang::En));
        assert_eq!(detect("😀👍 123 !!"), None);
        assert_eq!(detect(""), None);
    }
}
