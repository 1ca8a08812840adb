//! A [`Match`] compiled into a [`Pattern`]: what rules match with, and what a check's `expect` and the
//! command line's `--expect` look for.

use std::fmt::Write as _;
use std::ops::Range;

use memchr::memmem::Finder;
use regex::bytes::Regex;

use super::Match;
use super::error::{RuleError, RuleProblem, piece_problem};
use crate::codec::{HexError, InputMode, SendOptions, TextEncoding, hex};

/// A [`Match`] compiled, ready to test messages; what rules match with, and what `--expect` checks.
#[derive(Clone, Debug)]
pub struct Pattern(Matcher);

/// A matcher ready to run.
#[derive(Clone, Debug)]
enum Matcher {
    Exact(Vec<u8>),
    /// Boxed: the searcher takes a few hundred bytes, the other kinds a few dozen.
    Contains(Box<Finder<'static>>),
    /// Regexes, and hex patterns compiled into one.
    Regex {
        regex: Regex,
        /// A regex of a session in an encoding other than UTF-8 (and ASCII, whose text is its bytes):
        /// messages that are text in it are matched as that text, since the regex is written in
        /// characters. `None` for hex patterns, which are about bytes.
        text: Option<TextEncoding>,
    },
}

impl Pattern {
    /// Compiles `matcher`, with text in `encoding`. With an encoding other than UTF-8, a regex sees a
    /// message as text in that encoding when every byte of it is (`查询 温度` sent in GBK matches
    /// `^(.+) (.+)$`, and `$1` is the GBK bytes of `查询`), otherwise as bytes.
    pub fn new(matcher: &Match, encoding: TextEncoding) -> Result<Self, RuleError> {
        let regex = |pattern: &str| {
            Regex::new(pattern).map_err(|error| RuleProblem::Regex(error.to_string()))
        };
        Ok(Self(match matcher {
            Match::Exact(pattern) => Matcher::Exact(text_bytes(pattern, encoding, true)?),
            Match::Contains(pattern) => Matcher::Contains(Box::new(
                Finder::new(&text_bytes(pattern, encoding, true)?).into_owned(),
            )),
            Match::Regex(pattern) => Matcher::Regex {
                regex: regex(pattern)?,
                text: (!matches!(encoding, TextEncoding::Utf8 | TextEncoding::Ascii))
                    .then_some(encoding),
            },
            Match::Hex(pattern) => Matcher::Regex {
                regex: regex(&hex_regex(pattern)?)?,
                text: None,
            },
        }))
    }

    /// Whether `message` matches.
    #[must_use]
    pub fn is_match(&self, message: &[u8]) -> bool {
        match &self.0 {
            Matcher::Regex {
                regex,
                text: Some(encoding),
            } => match encoding.decode_exact(message) {
                Ok(text) => regex.is_match(text.as_bytes()),
                Err(_) => regex.is_match(message),
            },
            Matcher::Regex { regex, text: None } => regex.is_match(message),
            Matcher::Exact(_) | Matcher::Contains(_) => self.match_end(message).is_some(),
        }
    }

    /// Where the first match in `haystack` ends, if there is one: the bytes after it are what a later
    /// search in the same stream looks at.
    #[must_use]
    pub fn match_end(&self, haystack: &[u8]) -> Option<usize> {
        match &self.0 {
            Matcher::Exact(text) => (haystack == text.as_slice()).then_some(haystack.len()),
            Matcher::Contains(finder) => finder.find(haystack).map(|at| at + finder.needle().len()),
            Matcher::Regex { regex, text } => {
                match text.and_then(|encoding| encoding.decode_mapped(haystack)) {
                    Some((text, origin)) => regex.find(text.as_bytes()).map(|m| origin[m.end()]),
                    None => regex.find(haystack).map(|m| m.end()),
                }
            }
        }
    }

    /// The first match in `haystack`, if there is one: where it ends, and where each capture group (`$1`…;
    /// a regex's groups, a hex pattern's wildcards) is in `haystack`, an empty range for a group that took
    /// no part. What a check's `expect` keeps for the sends after it.
    #[must_use]
    pub fn find(&self, haystack: &[u8]) -> Option<(usize, Vec<Range<usize>>)> {
        match &self.0 {
            Matcher::Regex { regex, text } => {
                let groups = regex_groups(regex, *text, haystack)?;
                let end = groups
                    .first()
                    .cloned()
                    .flatten()
                    .map_or(0, |whole| whole.end);
                let groups = groups
                    .into_iter()
                    .skip(1)
                    .map(Option::unwrap_or_default)
                    .collect();
                Some((end, groups))
            }
            Matcher::Exact(_) | Matcher::Contains(_) => {
                self.match_end(haystack).map(|end| (end, Vec::new()))
            }
        }
    }

    /// The capture groups a reply or a check's send may name (`$1`…); group 0, the whole match, is not
    /// counted.
    #[must_use]
    pub fn groups(&self) -> usize {
        match &self.0 {
            Matcher::Regex { regex, .. } => regex.captures_len() - 1,
            Matcher::Exact(_) | Matcher::Contains(_) => 0,
        }
    }

    /// `None` if `message` does not match; else, when `groups` asks for them, the message and its capture
    /// groups (`$0`, `$1`…), or nothing when there are none.
    pub(super) fn captures<'m>(&self, message: &'m [u8], groups: bool) -> Option<Vec<&'m [u8]>> {
        match &self.0 {
            // Finding the groups costs more than finding a match; only a reply that names one pays.
            Matcher::Regex { regex, text } if groups => {
                let found = regex_groups(regex, *text, message)?;
                // `$0` is the whole message, not only the part the regex matched.
                let groups = found
                    .into_iter()
                    .skip(1)
                    .map(|group| group.map_or(&[][..], |range| &message[range]));
                Some(std::iter::once(message).chain(groups).collect())
            }
            _ => self.is_match(message).then(Vec::new),
        }
    }
}

/// Where `regex` first matches `haystack`: each group's range in `haystack` (group 0 the whole match;
/// `None` for a group that took no part). With `text`, a haystack that is text in that encoding is
/// searched as that text, and the ranges found are brought back to its bytes, so a capture is what the
/// device sent, in its encoding.
fn regex_groups(
    regex: &Regex,
    text: Option<TextEncoding>,
    haystack: &[u8],
) -> Option<Vec<Option<Range<usize>>>> {
    if let Some((text, origin)) = text.and_then(|encoding| encoding.decode_mapped(haystack)) {
        let caps = regex.captures(text.as_bytes())?;
        return Some(
            caps.iter()
                .map(|group| group.map(|m| origin[m.start()]..origin[m.end()]))
                .collect(),
        );
    }
    let caps = regex.captures(haystack)?;
    Some(caps.iter().map(|group| group.map(|m| m.range())).collect())
}

/// Typed text (with escapes) in `encoding`, or what is wrong with it, in a pattern or a reply.
fn text_bytes(piece: &str, encoding: TextEncoding, pattern: bool) -> Result<Vec<u8>, RuleProblem> {
    let options = SendOptions {
        input: InputMode::Text,
        encoding,
        escapes: true,
        ..SendOptions::default()
    };
    options
        .build(piece)
        .map_err(|error| piece_problem(pattern, piece, error))
}

/// A hex pattern as a byte regex matching the whole message: each byte literally, each `??` as one
/// captured byte and each `*` as a captured run.
fn hex_regex(pattern: &str) -> Result<String, RuleProblem> {
    let mut regex = String::from(r"(?s-u)\A");
    let mut rest = pattern;
    loop {
        let wildcard = rest.find(['?', '*']);
        let literal = &rest[..wildcard.unwrap_or(rest.len())];
        let bytes =
            hex::parse(literal).map_err(|error| piece_problem(true, literal, error.into()))?;
        for byte in bytes {
            // Writing to a String cannot fail.
            let _ = write!(regex, r"\x{byte:02X}");
        }
        let Some(at) = wildcard else { break };
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("??") {
            regex.push_str("(.)");
            rest = after;
        } else if let Some(after) = rest.strip_prefix('*') {
            regex.push_str("(.*)");
            rest = after;
        } else {
            // A lone `?` is neither a wildcard nor a hex digit.
            let error = HexError::NotHexDigit {
                position: 1,
                ch: '?',
            };
            return Err(piece_problem(true, rest, error.into()));
        }
    }
    regex.push_str(r"\z");
    Ok(regex)
}
