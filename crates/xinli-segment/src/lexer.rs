//! Tokens of the expression language.

use crate::error::{ErrorKind, ParseError, Span};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// A backquoted field name: never a keyword.
    QuotedIdent(String),
    Str(String),
    Num(f64),
    True,
    False,
    Null,
    And,
    Or,
    Not,
    In,
    Between,
    Is,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let bytes = src.as_bytes();
    let mut i = 0;
    let err = |kind, start, end| Err(ParseError::new(kind, Span::new(start, end), src));
    while i < src.len() {
        let c = src[i..].chars().next().unwrap();
        let start = i;
        let clen = c.len_utf8();
        let next = src[i + clen..].chars().next();
        let simple = |tok, len: usize| Token {
            tok,
            span: Span::new(start, start + len),
        };
        if c.is_whitespace() {
            i += clen;
            continue;
        }
        let token = match c {
            '(' | '（' => simple(Tok::LParen, clen),
            ')' | '）' => simple(Tok::RParen, clen),
            '[' | '【' => simple(Tok::LBracket, clen),
            ']' | '】' => simple(Tok::RBracket, clen),
            ',' | '，' | '、' => simple(Tok::Comma, clen),
            '且' => simple(Tok::And, clen),
            '或' => simple(Tok::Or, clen),
            '非' => simple(Tok::Not, clen),
            '≠' => simple(Tok::Ne, clen),
            '≤' => simple(Tok::Le, clen),
            '≥' => simple(Tok::Ge, clen),
            '=' => {
                if next == Some('=') {
                    simple(Tok::Eq, 2)
                } else {
                    simple(Tok::Eq, 1)
                }
            }
            '!' => {
                if next == Some('=') {
                    simple(Tok::Ne, 2)
                } else {
                    simple(Tok::Not, 1)
                }
            }
            '<' => match next {
                Some('=') => simple(Tok::Le, 2),
                Some('>') => simple(Tok::Ne, 2),
                _ => simple(Tok::Lt, 1),
            },
            '>' => {
                if next == Some('=') {
                    simple(Tok::Ge, 2)
                } else {
                    simple(Tok::Gt, 1)
                }
            }
            '&' if next == Some('&') => simple(Tok::And, 2),
            '|' if next == Some('|') => simple(Tok::Or, 2),
            '"' | '\'' | '“' | '‘' => {
                let close = match c {
                    '“' => '”',
                    '‘' => '’',
                    other => other,
                };
                let (s, end) = lex_string(src, start, clen, close)?;
                Token {
                    tok: Tok::Str(s),
                    span: Span::new(start, end),
                }
            }
            '`' => match src[i + 1..].find('`') {
                Some(off) if !src[i + 1..i + 1 + off].contains('\n') => {
                    let name = &src[i + 1..i + 1 + off];
                    Token {
                        tok: Tok::QuotedIdent(name.to_string()),
                        span: Span::new(start, i + 2 + off),
                    }
                }
                _ => return err(ErrorKind::UnterminatedField, start, start + 1),
            },
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.')
                    && next.is_some_and(|n| n.is_ascii_digit() || n == '.')) =>
            {
                let mut j = i + 1;
                while j < src.len() {
                    let b = bytes[j];
                    let exp_sign = (b == b'-' || b == b'+') && matches!(bytes[j - 1], b'e' | b'E');
                    if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exp_sign {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let text = &src[i..j];
                match text.parse::<f64>() {
                    Ok(x) if x.is_finite() && !text.contains(['i', 'I', 'n', 'N']) => Token {
                        tok: Tok::Num(x),
                        span: Span::new(start, j),
                    },
                    _ => return err(ErrorKind::BadNumber(text.to_string()), start, j),
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < src.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let word = &src[i..j];
                let tok = match word.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "in" => Tok::In,
                    "between" => Tok::Between,
                    "is" => Tok::Is,
                    "null" => Tok::Null,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(word.to_string()),
                };
                Token {
                    tok,
                    span: Span::new(start, j),
                }
            }
            other if other.is_alphabetic() => {
                let end = src[i..]
                    .char_indices()
                    .find(|&(_, c)| {
                        !(c.is_alphanumeric() || c == '_') || matches!(c, '且' | '或' | '非')
                    })
                    .map_or(src.len(), |(off, _)| i + off);
                let end = end.max(start + clen);
                return err(
                    ErrorKind::UnquotedWord(src[start..end].to_string()),
                    start,
                    end,
                );
            }
            other => return err(ErrorKind::UnexpectedChar(other), start, start + clen),
        };
        i = token.span.end;
        out.push(token);
    }
    Ok(out)
}

/// Reads a string literal whose opening quote (`open_len` bytes) is at `start`; returns the
/// unescaped text and the byte just past the closing quote.
fn lex_string(
    src: &str,
    start: usize,
    open_len: usize,
    close: char,
) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = src[start + open_len..].char_indices();
    let err = |kind, s, e| Err(ParseError::new(kind, Span::new(s, e), src));
    while let Some((off, c)) = chars.next() {
        let at = start + open_len + off;
        if c == close {
            return Ok((out, at + c.len_utf8()));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else { break };
        match e {
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            '”' | '’' => out.push(e),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'u' => {
                // \u{XXXX}
                let rest = &src[at + 2..];
                let ok = rest
                    .strip_prefix('{')
                    .and_then(|r| r.find('}').map(|end| &r[..end]));
                let ch = ok
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                match (ok, ch) {
                    (Some(hex), Some(ch)) => {
                        out.push(ch);
                        for _ in 0..hex.len() + 2 {
                            chars.next();
                        }
                    }
                    _ => {
                        let end = ok.map_or(at + 2, |hex| at + 4 + hex.len());
                        return err(ErrorKind::BadEscape(src[at..end].to_string()), at, end);
                    }
                }
            }
            other => {
                let end = at + 1 + other.len_utf8();
                return err(ErrorKind::BadEscape(src[at..end].to_string()), at, end);
            }
        }
    }
    err(ErrorKind::UnterminatedString, start, start + open_len)
}
