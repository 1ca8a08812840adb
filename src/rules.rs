//! Reply rules: when a received message matches, answer it automatically.
//!
//! A [`Rule`] is what the user writes and a preset stores: a [`Match`] (exact text, text contained, a
//! regular expression, or a hex pattern), a [`Reply`] (text or hex) with substitutions, an optional delay,
//! and a switch. [`Rules::new`] checks and compiles a list of them once, so a regex that cannot compile is
//! reported when the rules are set, never while traffic flows; [`Rules::respond`] then answers one framed
//! message. Rules are tried in order and the first enabled rule that matches answers; later ones are not
//! tried. Echo is the built-in rule "reply with `$0`", kept as the engine's own fast path.
//!
//! Replies are read by the send paths' one reader ([`Template`]), so they may hold every send variable
//! (`{time}`, `{counter}`, `{rand:N}`, checksums such as `{crc16modbus}` over the reply's bytes before them,
//! …; see [`crate::codec::template`]), and, in a reply only:
//! - `$0`: the whole message; `$1`…`$9` (or more digits): a regex's capture groups, or a hex pattern's
//!   wildcards in order;
//! - `{n}`: how many times this rule has matched, this time included (decimal text, in hex replies too;
//!   `{counter}` is the same count, written as the send variable writes it); `{n:K}`: the count of rule `K`
//!   (counting rules from 1), unchanged; `{reset}`: sets every count back to 0 (after this rule's own
//!   count went up) and writes nothing;
//! - `{peer}`: the sender's `ip:port`.
//!
//! A name in braces that is not a variable is an error when the rules are set, with its position in the
//! reply; `{{` writes `{`. Other braces, as in JSON, are written as typed.
//!
//! Text patterns and text replies are read like the send box with escapes on (`\r\n`, `\x03`, `\\`) and
//! written in the session's text encoding; hex is read like the send box's hex. A regex works on the
//! message's bytes: literal text in it matches UTF-8, and `(?-u:\xNN)` matches any byte.
//!
//! This module is pure: no I/O, no threads, no GUI. The engine runs it in the session's worker, so a reply
//! never waits for a window to draw.

use std::fmt::{self, Write as _};
use std::net::SocketAddr;
use std::ops::Range;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use memchr::memmem::Finder;
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

use crate::codec::template::RuleValues;
use crate::codec::{
    Framer, FramerConfig, FramingError, HexError, InputMode, Scope, SendError, SendOptions,
    Template, TextEncoding, Values, VariableError, hex,
};

/// What a rule looks for in a framed message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Match {
    /// The whole message is this text.
    Exact(String),
    /// The message contains this text.
    Contains(String),
    /// A regular expression (Rust `regex` syntax) found anywhere in the message; anchor it with `^…$` to
    /// match the whole message.
    Regex(String),
    /// The whole message is these hex bytes, where `??` stands for any one byte and `*` for any run of
    /// bytes: `01 03 ?? *`. Each wildcard is a capture (`$1`, `$2`, …).
    Hex(String),
}

impl Match {
    /// Every kind, with an empty pattern, in the order a menu offers them.
    #[must_use]
    pub fn kinds() -> [Self; 4] {
        [
            Self::Exact(String::new()),
            Self::Contains(String::new()),
            Self::Regex(String::new()),
            Self::Hex(String::new()),
        ]
    }

    /// The kind's name as the command line writes it: `exact`, `contains`, `regex` or `hex`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Exact(_) => "exact",
            Self::Contains(_) => "contains",
            Self::Regex(_) => "regex",
            Self::Hex(_) => "hex",
        }
    }

    /// The pattern as typed.
    #[must_use]
    pub fn pattern(&self) -> &str {
        match self {
            Self::Exact(p) | Self::Contains(p) | Self::Regex(p) | Self::Hex(p) => p,
        }
    }

    /// The pattern, for editing in place.
    pub fn pattern_mut(&mut self) -> &mut String {
        match self {
            Self::Exact(p) | Self::Contains(p) | Self::Regex(p) | Self::Hex(p) => p,
        }
    }
}

/// What a rule answers with. Either way it may hold the substitutions listed in the [module
/// documentation](self).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reply {
    /// Text, with escapes, in the session's encoding. Empty: the rule answers nothing (it still counts).
    Text(String),
    /// Hex bytes such as `AA 55 $1`.
    Hex(String),
}

impl Reply {
    /// The reply as typed.
    #[must_use]
    pub fn template(&self) -> &str {
        match self {
            Self::Text(t) | Self::Hex(t) => t,
        }
    }

    /// The reply, for editing in place.
    pub fn template_mut(&mut self) -> &mut String {
        match self {
            Self::Text(t) | Self::Hex(t) => t,
        }
    }

    /// Brings a reply written before send variables existed (preset format 2 and older) to this version's
    /// meaning: the substitutions replies had then (`{n}`, `{n:K}`, `{time}`, `{peer}`, `{reset}`, `$N`)
    /// stay; any other brace that would now read as a variable, or `{{` as one brace, is doubled, as it
    /// was written as typed.
    pub fn protect_from_variables(&mut self) {
        let was_substitution = |name: &str| {
            matches!(name, "n" | "time" | "peer" | "reset")
                || name
                    .strip_prefix("n:")
                    .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        };
        let escapes = matches!(self, Self::Text(_));
        let reply = self.template_mut();
        *reply = crate::codec::template::protect(reply, escapes, was_substitution);
    }
}

/// One reply rule, as the user wrote it and a preset stores it.
///
/// The command line writes a rule as `KIND:PATTERN=>REPLY` ([`FromStr`], [`fmt::Display`]): KIND is
/// `exact`, `contains`, `regex` or `hex`; the pattern ends at the first `=>`; a reply starting with
/// `hex:` is hex; a reply starting with `[200ms]` waits that long first.
///
/// ```
/// use netassist::rules::{Match, Reply, Rule};
///
/// let rule: Rule = "regex:^look$=>OK {n}".parse()?;
/// assert_eq!(rule.matcher, Match::Regex("^look$".into()));
/// assert_eq!(rule.reply, Reply::Text("OK {n}".into()));
/// let slow: Rule = "hex:01 03 *=>[50ms]hex:01 03 00".parse()?;
/// assert_eq!(slow.delay_ms, 50);
/// assert_eq!(slow.to_string(), "hex:01 03 *=>[50ms]hex:01 03 00");
/// # Ok::<(), netassist::rules::RuleError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Rule {
    /// Whether the rule is tried; a switched-off rule keeps its place and its count.
    pub enabled: bool,
    /// What it looks for.
    pub matcher: Match,
    /// What it answers.
    pub reply: Reply,
    /// How long to wait before answering, in milliseconds; 0 answers at once.
    pub delay_ms: u64,
}

impl Default for Rule {
    /// An enabled rule matching the exact text `ping` and answering `pong`, a starting point to edit.
    fn default() -> Self {
        Self {
            enabled: true,
            matcher: Match::Exact("ping".to_owned()),
            reply: Reply::Text("pong".to_owned()),
            delay_ms: 0,
        }
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        let form = || RuleError::from(RuleProblem::Form(text.to_owned()));
        let (kind, rest) = text.split_once(':').ok_or_else(form)?;
        let (pattern, reply) = rest.split_once("=>").ok_or_else(form)?;
        let pattern = pattern.to_owned();
        let matcher = match kind.trim() {
            "exact" => Match::Exact(pattern),
            "contains" => Match::Contains(pattern),
            "regex" => Match::Regex(pattern),
            "hex" => Match::Hex(pattern),
            _ => return Err(form()),
        };
        let (delay_ms, reply) = match reply.strip_prefix('[').and_then(|r| r.split_once("ms]")) {
            Some((ms, reply)) => (ms.trim().parse().map_err(|_| form())?, reply),
            None => (0, reply),
        };
        let reply = match reply.strip_prefix("hex:") {
            Some(hex) => Reply::Hex(hex.to_owned()),
            None => Reply::Text(reply.to_owned()),
        };
        Ok(Self {
            enabled: true,
            matcher,
            reply,
            delay_ms,
        })
    }
}

impl fmt::Display for Rule {
    /// The command-line form (whether the rule is enabled is not part of it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}=>", self.matcher.kind(), self.matcher.pattern())?;
        if self.delay_ms > 0 {
            write!(f, "[{}ms]", self.delay_ms)?;
        }
        match &self.reply {
            Reply::Text(text) => f.write_str(text),
            Reply::Hex(hex) => write!(f, "hex:{hex}"),
        }
    }
}

/// Why rules cannot be used: the rule (counting from 1 in the order rules are tried), when the problem is
/// in one, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The rule, or `None` for a pattern on its own ([`Pattern::new`]) or a setting of all the rules.
    pub rule: Option<usize>,
    /// What is wrong.
    pub problem: RuleProblem,
}

/// What is wrong with a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleProblem {
    /// A rule written on the command line is not in the `KIND:PATTERN=>REPLY` form.
    Form(String),
    /// A regular expression that does not compile, with the compiler's explanation pointing at the problem.
    Regex(String),
    /// A part of a pattern or of a reply that is not valid text (escapes, encoding) or hex.
    Piece {
        /// In the pattern (true) or the reply (false).
        pattern: bool,
        /// The piece in question, as typed.
        piece: String,
        /// What is wrong with it.
        error: SendError,
    },
    /// A reply that uses a capture (`$N`) or a count (`{n:N}`) that does not exist.
    NoSuch {
        /// The substitution as written.
        what: String,
        /// How many there are: capture groups, or rules.
        available: usize,
    },
    /// The framing that splits the stream into messages for the rules cannot work.
    Framing(FramingError),
}

impl From<RuleProblem> for RuleError {
    fn from(problem: RuleProblem) -> Self {
        Self {
            rule: None,
            problem,
        }
    }
}

impl RuleError {
    /// The same problem, found in rule `number` (counting from 1).
    #[must_use]
    pub fn in_rule(self, number: usize) -> Self {
        Self {
            rule: Some(number),
            ..self
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        let problem = match &self.problem {
            RuleProblem::Form(text) => format!(
                "“{text}”不是规则：请写成 类型:模式=>回复，类型为 exact、contains、regex 或 hex，\
                 例如 'regex:^look$=>OK {{n}}' 或 'hex:01 03 *=>[20ms]hex:01 83 02'"
            ),
            RuleProblem::Regex(detail) => format!("正则表达式无法编译，请修改：\n{detail}"),
            RuleProblem::Piece {
                pattern,
                piece,
                error,
            } => format!(
                "{}中的“{piece}”无效：{}",
                if *pattern { "模式" } else { "回复" },
                error.zh()
            ),
            RuleProblem::NoSuch { what, available } => format!(
                "回复中的 {what} 不存在（只有 {available} 个）；$1… 指正则的分组或十六进制模式的通配符，{{n:K}} 指第 K 条规则的计数"
            ),
            RuleProblem::Framing(error) => error.zh(),
        };
        match self.rule {
            Some(rule) => format!("规则 {rule}：{problem}"),
            None => problem,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rule) = self.rule {
            write!(f, "Rule {rule}: ")?;
        }
        match &self.problem {
            RuleProblem::Form(text) => write!(
                f,
                "'{text}' is not a rule: write KIND:PATTERN=>REPLY, with KIND one of exact, contains, \
                 regex, hex; for example 'regex:^look$=>OK {{n}}' or 'hex:01 03 *=>[20ms]hex:01 83 02'"
            ),
            RuleProblem::Regex(detail) => {
                write!(
                    f,
                    "the regular expression does not compile; fix it:\n{detail}"
                )
            }
            RuleProblem::Piece {
                pattern,
                piece,
                error,
            } => write!(
                f,
                "'{piece}' in the {} is not valid: {error}",
                if *pattern { "pattern" } else { "reply" }
            ),
            RuleProblem::NoSuch { what, available } => write!(
                f,
                "the reply uses {what}, but there are only {available}; $1… are a regex's groups or a hex \
                 pattern's wildcards, and {{n:K}} is rule K's count"
            ),
            RuleProblem::Framing(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for RuleError {}

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
    Regex(Regex),
}

impl Pattern {
    /// Compiles `matcher`, with text in `encoding`.
    pub fn new(matcher: &Match, encoding: TextEncoding) -> Result<Self, RuleError> {
        let regex = |pattern: &str| {
            Regex::new(pattern).map_err(|error| RuleProblem::Regex(error.to_string()))
        };
        Ok(Self(match matcher {
            Match::Exact(pattern) => Matcher::Exact(text_bytes(pattern, encoding, true)?),
            Match::Contains(pattern) => Matcher::Contains(Box::new(
                Finder::new(&text_bytes(pattern, encoding, true)?).into_owned(),
            )),
            Match::Regex(pattern) => Matcher::Regex(regex(pattern)?),
            Match::Hex(pattern) => Matcher::Regex(regex(&hex_regex(pattern)?)?),
        }))
    }

    /// Whether `message` matches.
    #[must_use]
    pub fn is_match(&self, message: &[u8]) -> bool {
        self.captures(message, false).is_some()
    }

    /// Where the first match in `haystack` ends, if there is one: the bytes after it are what a later
    /// search in the same stream looks at.
    #[must_use]
    pub fn match_end(&self, haystack: &[u8]) -> Option<usize> {
        match &self.0 {
            Matcher::Exact(text) => (haystack == text.as_slice()).then_some(haystack.len()),
            Matcher::Contains(finder) => finder.find(haystack).map(|at| at + finder.needle().len()),
            Matcher::Regex(regex) => regex.find(haystack).map(|found| found.end()),
        }
    }

    /// The first match in `haystack`, if there is one: where it ends, and where each capture group (`$1`…;
    /// a regex's groups, a hex pattern's wildcards) is in `haystack`, an empty range for a group that took
    /// no part. What a check's `expect` keeps for the sends after it.
    #[must_use]
    pub fn find(&self, haystack: &[u8]) -> Option<(usize, Vec<Range<usize>>)> {
        match &self.0 {
            Matcher::Regex(regex) => regex.captures(haystack).map(|caps| {
                let end = caps.get(0).map_or(0, |whole| whole.end());
                let groups = caps
                    .iter()
                    .skip(1)
                    .map(|group| group.map_or(0..0, |m| m.range()))
                    .collect();
                (end, groups)
            }),
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
            Matcher::Regex(regex) => regex.captures_len() - 1,
            Matcher::Exact(_) | Matcher::Contains(_) => 0,
        }
    }

    /// `None` if `message` does not match; else, when `groups` asks for them, the message and its capture
    /// groups (`$0`, `$1`…), or nothing when there are none.
    fn captures<'m>(&self, message: &'m [u8], groups: bool) -> Option<Vec<&'m [u8]>> {
        match &self.0 {
            Matcher::Exact(text) => (message == text.as_slice()).then(Vec::new),
            Matcher::Contains(finder) => finder.find(message).map(|_| Vec::new()),
            // Finding the groups costs more than finding a match; only a reply that names one pays.
            Matcher::Regex(regex) if !groups => regex.is_match(message).then(Vec::new),
            // `$0` is the whole message, not only the part the regex matched.
            Matcher::Regex(regex) => regex.captures(message).map(|caps| {
                std::iter::once(message)
                    .chain(
                        caps.iter()
                            .skip(1)
                            .map(|group| group.map_or(&[][..], |m| m.as_bytes())),
                    )
                    .collect()
            }),
        }
    }
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

#[derive(Clone, Debug)]
struct Compiled {
    /// Its position in the list as written, which is also its counter's.
    index: usize,
    pattern: Pattern,
    reply: Template,
    /// The reply names a capture group, so a regex must report its groups, not just whether it matched.
    uses_groups: bool,
    delay: Duration,
}

/// What [`Rules::respond`] answers to a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The rule that matched, counted from 0.
    pub rule: usize,
    /// The bytes to send back; empty when the rule answers nothing.
    pub bytes: Bytes,
    /// How long to wait before sending them.
    pub delay: Duration,
}

/// A list of rules checked and compiled, with the framing that cuts messages for them and each rule's
/// match count. Cheap to clone (compiled regexes are shared); two are equal when made from the same rules,
/// encoding and framing, whatever their counts.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    source: Vec<Rule>,
    encoding: TextEncoding,
    framing: FramerConfig,
    compiled: Vec<Compiled>,
    counts: Vec<u64>,
}

impl PartialEq for Rules {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
            && self.encoding == other.encoding
            && self.framing == other.framing
    }
}

impl Eq for Rules {}

impl Rules {
    /// Checks and compiles `rules` (switched-off ones too, so switching one on cannot fail later), with
    /// text in `encoding`, for messages cut by `framing`.
    pub fn new(
        rules: &[Rule],
        encoding: TextEncoding,
        framing: FramerConfig,
    ) -> Result<Self, RuleError> {
        Framer::new(framing.clone()).map_err(RuleProblem::Framing)?;
        let compiled = rules
            .iter()
            .enumerate()
            .map(|(index, rule)| compile(index, rule, rules.len(), encoding))
            .collect::<Result<Vec<_>, _>>()?;
        let compiled = compiled
            .into_iter()
            .filter(|c| rules[c.index].enabled)
            .collect();
        Ok(Self {
            source: rules.to_vec(),
            encoding,
            framing,
            compiled,
            counts: vec![0; rules.len()],
        })
    }

    /// The rules as written.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.source
    }

    /// Whether no rule is switched on, so messages need not even be framed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// The framing the rules see messages in.
    #[must_use]
    pub fn framing(&self) -> &FramerConfig {
        &self.framing
    }

    /// A framer for one peer's stream.
    ///
    /// # Panics
    /// Never: [`Rules::new`] refused a framing that cannot work.
    #[must_use]
    pub fn framer(&self) -> Framer {
        // `new` checked this very configuration.
        Framer::new(self.framing.clone()).expect("the framing was checked when the rules were made")
    }

    /// How many times each rule has matched, in the order written.
    #[must_use]
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The answer of the first enabled rule that matches `message`, from `peer`, received at `now`; `None`
    /// if none matches. The matching rule's count goes up.
    pub fn respond(
        &mut self,
        message: &[u8],
        peer: SocketAddr,
        now: SystemTime,
    ) -> Option<Response> {
        let (rule, captures) = self
            .compiled
            .iter()
            .find_map(|rule| Some((rule, rule.pattern.captures(message, rule.uses_groups)?)))?;
        self.counts[rule.index] += 1;
        let count = self.counts[rule.index];
        let whole = [message];
        let values = Values {
            captures: if captures.is_empty() {
                &whole
            } else {
                &captures
            },
            rule: Some(RuleValues {
                counts: &mut self.counts,
                rule: rule.index,
                peer,
            }),
            ..Values::new(count, now)
        };
        let bytes = rule.reply.render(values);
        Some(Response {
            rule: rule.index,
            bytes,
            delay: rule.delay,
        })
    }
}

/// Checks and compiles rule `index` of `count` rules.
fn compile(
    index: usize,
    rule: &Rule,
    count: usize,
    encoding: TextEncoding,
) -> Result<Compiled, RuleError> {
    let number = index + 1;
    let pattern = Pattern::new(&rule.matcher, encoding).map_err(|e| e.in_rule(number))?;
    let options = SendOptions {
        input: match rule.reply {
            Reply::Text(_) => InputMode::Text,
            Reply::Hex(_) => InputMode::Hex,
        },
        encoding,
        escapes: true,
        ..SendOptions::default()
    };
    let scope = Scope {
        captures: Some(pattern.groups()),
        rules: Some(count),
    };
    let typed = rule.reply.template();
    let reply = Template::parse(typed, &options, scope).map_err(|error| {
        let problem = match error {
            SendError::Variable(
                VariableError::NoSuchCapture {
                    typed, available, ..
                }
                | VariableError::NoSuchRule {
                    typed, available, ..
                },
            ) => RuleProblem::NoSuch {
                what: typed,
                available,
            },
            error => piece_problem(false, typed, error),
        };
        RuleError::from(problem).in_rule(number)
    })?;
    let uses_groups = reply.max_capture().is_some_and(|n| n > 0);
    Ok(Compiled {
        index,
        pattern,
        reply,
        uses_groups,
        delay: Duration::from_millis(rule.delay_ms),
    })
}

fn piece_problem(pattern: bool, piece: &str, error: SendError) -> RuleProblem {
    RuleProblem::Piece {
        pattern,
        piece: piece.to_owned(),
        error,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Framing;

    const PEER: &str = "192.168.1.50:4001";

    fn rules(list: &[&str]) -> Rules {
        let parsed: Vec<Rule> = list.iter().map(|r| r.parse().unwrap()).collect();
        Rules::new(&parsed, TextEncoding::Utf8, FramerConfig::default()).unwrap()
    }

    fn answer(rules: &mut Rules, message: &[u8]) -> Option<Vec<u8>> {
        rules
            .respond(message, PEER.parse().unwrap(), SystemTime::now())
            .map(|r| r.bytes.to_vec())
    }

    #[test]
    fn exact_matches_the_whole_message_only() {
        let mut r = rules(&["exact:look=>seen"]);
        assert_eq!(answer(&mut r, b"look").as_deref(), Some(&b"seen"[..]));
        assert_eq!(answer(&mut r, b"looking"), None);
        assert_eq!(answer(&mut r, b"Look"), None);
    }

    #[test]
    fn contains_finds_text_anywhere_with_escapes() {
        let mut r = rules(&[r"contains:\x02go=>ok\r\n"]);
        assert_eq!(
            answer(&mut r, b"..\x02go..").as_deref(),
            Some(&b"ok\r\n"[..])
        );
        assert_eq!(answer(&mut r, b"go"), None);
    }

    #[test]
    fn regex_captures_and_the_whole_message() {
        let mut r = rules(&[r"regex:^set (\w+)=(\d+)$=>$1 is now $2 ($0)"]);
        assert_eq!(
            answer(&mut r, b"set speed=42").as_deref(),
            Some(&b"speed is now 42 (set speed=42)"[..])
        );
        // Non-UTF-8 messages are matched as bytes.
        let mut bytes = rules(&[r"regex:(?-u:\xFF)(.)=>got $1"]);
        assert_eq!(
            answer(&mut bytes, b"\x00\xFFA").as_deref(),
            Some(&b"got A"[..])
        );
    }

    #[test]
    fn hex_patterns_match_whole_messages_with_wildcards() {
        let mut r = rules(&["hex:01 03 ?? *=>hex:01 83 $1 $2"]);
        assert_eq!(
            answer(&mut r, &[1, 3, 0xAA, 7, 8]).as_deref(),
            Some(&[1, 0x83, 0xAA, 7, 8][..])
        );
        assert_eq!(answer(&mut r, &[1, 3]), None, "?? needs a byte");
        assert_eq!(answer(&mut r, &[0, 1, 3, 9]), None, "anchored at the start");
        let mut plain = rules(&["hex:AA55=>hex:01"]);
        assert_eq!(answer(&mut plain, &[0xAA, 0x55]).as_deref(), Some(&[1][..]));
        assert_eq!(
            answer(&mut plain, &[0xAA, 0x55, 0]),
            None,
            "anchored at the end"
        );
    }

    #[test]
    fn counters_time_and_peer() {
        let mut r = rules(&["exact:look=>look {n}", "exact:who=>{peer} at {time}"]);
        assert_eq!(answer(&mut r, b"look").as_deref(), Some(&b"look 1"[..]));
        assert_eq!(answer(&mut r, b"look").as_deref(), Some(&b"look 2"[..]));
        let who = String::from_utf8(answer(&mut r, b"who").unwrap()).unwrap();
        assert!(who.starts_with("192.168.1.50:4001 at "), "{who}");
        // HH:MM:SS.mmm
        assert_eq!(who.len(), "192.168.1.50:4001 at ".len() + 12, "{who}");
        assert_eq!(r.counts(), [2, 1]);
    }

    #[test]
    fn replies_use_the_send_variables() {
        let mut r = rules(&[
            "hex:01 03 *=>hex:01 03 $1 {crc16modbus}",
            r#"exact:json=>{"seq":{counter:3},"ok":true}"#,
        ]);
        let mut expected = vec![0x01, 0x03, 0x00, 0x0A];
        crate::codec::Checksum::Crc16Modbus.append(&mut expected);
        assert_eq!(
            answer(&mut r, &[0x01, 0x03, 0x00, 0x0A]),
            Some(expected),
            "the checksum covers the reply's bytes before it, capture included"
        );
        assert_eq!(
            answer(&mut r, b"json").as_deref(),
            Some(&br#"{"seq":001,"ok":true}"#[..])
        );
        assert_eq!(
            answer(&mut r, b"json").as_deref(),
            Some(&br#"{"seq":002,"ok":true}"#[..]),
            "{{counter}} is the rule's count"
        );
    }

    #[test]
    fn a_variable_typo_is_named_with_its_rule_and_position() {
        let rule: Rule = "exact:look=>seen {conter}".parse().unwrap();
        let error = Rules::new(&[rule], TextEncoding::Utf8, FramerConfig::default()).unwrap_err();
        assert_eq!(error.rule, Some(1));
        let message = error.to_string();
        assert!(
            message.starts_with(
                "Rule 1: 'seen {conter}' in the reply is not valid: position 6: unknown variable 'conter'"
            ),
            "{message}"
        );
        assert!(
            message.contains("{peer}"),
            "rule variables are listed: {message}"
        );
        assert!(
            error
                .zh()
                .starts_with("规则 1：回复中的“seen {conter}”无效：第 6 个字符：未知变量 'conter'"),
            "{}",
            error.zh()
        );
    }

    #[test]
    fn first_enabled_match_wins() {
        let mut list: Vec<Rule> = [
            "contains:a=>first",
            "contains:ab=>second",
            "contains:b=>third",
        ]
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
        let mut r = Rules::new(&list, TextEncoding::Utf8, FramerConfig::default()).unwrap();
        assert_eq!(answer(&mut r, b"ab").as_deref(), Some(&b"first"[..]));
        list[0].enabled = false;
        let mut r = Rules::new(&list, TextEncoding::Utf8, FramerConfig::default()).unwrap();
        assert_eq!(answer(&mut r, b"ab").as_deref(), Some(&b"second"[..]));
        assert_eq!(answer(&mut r, b"xyz"), None);
    }

    #[test]
    fn the_seed_exercise_counts_clears_and_shows() {
        let mut r = rules(&[
            "exact:look=>",
            "exact:pass=>",
            "exact:clear=>{reset}cleared",
            "exact:show=>look={n:1} pass={n:2}",
        ]);
        for message in ["look", "look", "pass"] {
            assert_eq!(
                answer(&mut r, message.as_bytes()).as_deref(),
                Some(&b""[..])
            );
        }
        assert_eq!(
            answer(&mut r, b"show").as_deref(),
            Some(&b"look=2 pass=1"[..])
        );
        assert_eq!(answer(&mut r, b"clear").as_deref(), Some(&b"cleared"[..]));
        assert_eq!(answer(&mut r, b"pass").as_deref(), Some(&b""[..]));
        assert_eq!(
            answer(&mut r, b"show").as_deref(),
            Some(&b"look=0 pass=1"[..])
        );
    }

    #[test]
    fn a_regex_that_cannot_compile_is_reported_with_its_rule() {
        let list: Vec<Rule> = ["exact:a=>b", "regex:^(look$=>x"]
            .iter()
            .map(|r| r.parse().unwrap())
            .collect();
        let error = Rules::new(&list, TextEncoding::Utf8, FramerConfig::default()).unwrap_err();
        assert!(
            matches!(error.problem, RuleProblem::Regex(_)) && error.rule == Some(2),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with("Rule 2: the regular expression does not compile"),
            "{message}"
        );
        assert!(message.contains("unclosed group"), "{message}");
        assert!(
            error.zh().starts_with("规则 2：正则表达式无法编译"),
            "{}",
            error.zh()
        );
    }

    #[test]
    fn bad_pieces_and_missing_captures_are_reported() {
        let bad = |rule: &str| {
            let rule: Rule = rule.parse().unwrap();
            Rules::new(&[rule], TextEncoding::Utf8, FramerConfig::default()).unwrap_err()
        };
        assert!(matches!(
            bad("hex:AA G1=>x"),
            RuleError {
                problem: RuleProblem::Piece { pattern: true, .. },
                ..
            }
        ));
        assert!(matches!(
            bad("hex:AA ?=>x"),
            RuleError {
                problem: RuleProblem::Piece { pattern: true, .. },
                ..
            }
        ));
        assert!(matches!(
            bad(r"exact:a=>\q"),
            RuleError {
                problem: RuleProblem::Piece { pattern: false, .. },
                ..
            }
        ));
        assert!(matches!(
            bad("exact:a=>hex:A"),
            RuleError {
                problem: RuleProblem::Piece { pattern: false, .. },
                ..
            }
        ));
        let missing = bad("regex:(a)=>$2");
        assert_eq!(
            missing,
            RuleError::from(RuleProblem::NoSuch {
                what: "$2".into(),
                available: 1
            })
            .in_rule(1)
        );
        assert!(matches!(
            bad("exact:a=>{n:2}").problem,
            RuleProblem::NoSuch { .. }
        ));
        let framing = Rules::new(
            &[],
            TextEncoding::Utf8,
            Framing::FixedLength { len: 0 }.into(),
        );
        assert_eq!(
            framing.unwrap_err(),
            RuleError::from(RuleProblem::Framing(FramingError::ZeroLength))
        );
    }

    #[test]
    fn the_command_line_form_round_trips() {
        for text in [
            "exact:look=>OK",
            "contains:a b=>[250ms]later",
            "regex:^x=>y$=>$0",
            "hex:01 ?? *=>hex:$1 FF",
            "exact:=>",
        ] {
            let rule: Rule = text.parse().unwrap();
            assert_eq!(rule.to_string(), text);
        }
        let regex: Rule = "regex:^x=>y$=>$0".parse().unwrap();
        assert_eq!(
            regex.matcher,
            Match::Regex("^x".into()),
            "the pattern ends at the first =>"
        );
        for bad in ["look=>OK", "fuzzy:a=>b", "exact:a", "exact:a=>[xms]b"] {
            let error = bad.parse::<Rule>().unwrap_err();
            assert!(error.to_string().contains("KIND:PATTERN=>REPLY"), "{error}");
        }
    }

    #[test]
    fn text_is_written_in_the_session_encoding() {
        let rule: Rule = "exact:你好=>好".parse().unwrap();
        let mut gbk = Rules::new(&[rule], TextEncoding::Gbk, FramerConfig::default()).unwrap();
        let reply = gbk.respond(
            &[0xC4, 0xE3, 0xBA, 0xC3],
            PEER.parse().unwrap(),
            SystemTime::now(),
        );
        assert_eq!(reply.unwrap().bytes.as_ref(), [0xBA, 0xC3]);
    }

    #[test]
    fn delays_and_equality_ignore_counts() {
        let mut r = rules(&["exact:a=>[40ms]b"]);
        let reply = r
            .respond(b"a", PEER.parse().unwrap(), SystemTime::now())
            .unwrap();
        assert_eq!(reply.delay, Duration::from_millis(40));
        assert_eq!(r, rules(&["exact:a=>[40ms]b"]));
        assert_ne!(r, rules(&["exact:a=>b"]));
    }
}
