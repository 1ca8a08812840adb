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
//!   `{counter}` is the same count, written as the send variable writes it; both read the count where
//!   they stand, so after a `{reset}` both write 0); `{n:K}`: the count of rule `K`
//!   (counting rules from 1), unchanged; `{reset}`: sets every count back to 0 (after this rule's own
//!   count went up) and writes nothing;
//! - `{peer}`: the sender's `ip:port`.
//!
//! A name in braces that is not a variable is an error when the rules are set, with its position in the
//! reply; `{{` writes `{` and the `}}` that closes it `}`. Other braces, as in JSON, are written as typed.
//!
//! Text patterns and text replies are read like the send box with escapes on (`\r\n`, `\x03`, `\\`) and
//! written in the session's text encoding; hex is read like the send box's hex. A regex is written in
//! characters: in a UTF-8 session it works on the message's bytes (literal text in it matches UTF-8, and
//! `(?-u:\xNN)` matches any byte); in another encoding (GBK, GB18030, Latin-1) it sees a message that is
//! text in that encoding as that text, and its captures are the message's own bytes, in that encoding; a
//! message that is not text in it (binary, a character cut off) is matched as bytes. See [`Pattern`].
//!
//! This module is pure: no I/O, no threads, no GUI. The engine runs it in the session's worker, so a reply
//! never waits for a window to draw.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::codec::template::RuleValues;
use crate::codec::{
    Framer, FramerConfig, InputMode, Scope, SendOptions, Template, TextEncoding, Values,
};

mod error;
mod pattern;

use error::piece_problem;
pub use error::{RuleError, RuleProblem};
pub use pattern::Pattern;

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
    /// was written as typed; and so is a `$` before a `$`, which wrote itself then.
    pub fn protect_from_variables(&mut self) {
        let was_substitution = |name: &str| {
            matches!(name, "n" | "time" | "peer" | "reset")
                || name
                    .strip_prefix("n:")
                    .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        };
        let escapes = matches!(self, Self::Text(_));
        let reply = self.template_mut();
        *reply = crate::codec::template::protect(reply, escapes, true, was_substitution);
    }

    /// Brings a reply written under preset format 3 or 4 to this version's grammar, so it sends the same
    /// bytes ([`crate::codec::template::format4`]).
    pub(crate) fn upgrade_from_format_4(&mut self) {
        let input = self.input();
        let reply = self.template_mut();
        *reply = crate::codec::template::format4::upgrade(reply, input, true, true);
    }

    /// Whether the reply is read as text (with escapes) or hex.
    fn input(&self) -> InputMode {
        match self {
            Self::Text(_) => InputMode::Text,
            Self::Hex(_) => InputMode::Hex,
        }
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
    /// Relay only: the answer goes on to the other side of the pair (injected into the stream the message
    /// was going to: toward the server for a device's message, toward the device for the server's)
    /// instead of back to the sender. Outside a relay there is no other side, and such a rule is
    /// refused when the session opens. Missing from older presets: back to the sender.
    pub onward: bool,
}

impl Default for Rule {
    /// An enabled rule matching the exact text `ping` and answering `pong`, a starting point to edit.
    fn default() -> Self {
        Self {
            enabled: true,
            matcher: Match::Exact("ping".to_owned()),
            reply: Reply::Text("pong".to_owned()),
            delay_ms: 0,
            onward: false,
        }
    }
}

/// In a rule's command-line form, before the reply (after a delay): the answer goes on to the other side
/// of a relay pair ([`Rule::onward`]): `contains:AT=>onward:hex:0D 0A`.
pub const ONWARD: &str = "onward:";

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
        let (onward, reply) = match reply.strip_prefix(ONWARD) {
            Some(reply) => (true, reply),
            None => (false, reply),
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
            onward,
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
        if self.onward {
            f.write_str(ONWARD)?;
        }
        match &self.reply {
            Reply::Text(text) => f.write_str(text),
            Reply::Hex(hex) => write!(f, "hex:{hex}"),
        }
    }
}

#[derive(Clone, Debug)]
struct Compiled {
    /// Its position in the list as written, which is also its counter's.
    index: usize,
    pattern: Pattern,
    reply: Template,
    onward: bool,
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
    /// Relay: they go on to the other side of the pair, not back to the sender ([`Rule::onward`]).
    pub onward: bool,
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

    /// Whether a switched-on rule sends its answer on to the other side of a relay pair
    /// ([`Rule::onward`]), which only a relay has.
    #[must_use]
    pub fn has_onward(&self) -> bool {
        self.compiled.iter().any(|rule| rule.onward)
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
            onward: rule.onward,
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
        input: rule.reply.input(),
        encoding,
        escapes: true,
        ..SendOptions::default()
    };
    let scope = Scope {
        captures: Some(pattern.groups()),
        rules: Some(count),
    };
    let typed = rule.reply.template();
    let reply = Template::parse(typed, &options, scope)
        .map_err(|error| RuleError::from(piece_problem(false, typed, error)).in_rule(number))?;
    let uses_groups = reply.max_capture().is_some_and(|n| n > 0);
    Ok(Compiled {
        index,
        pattern,
        reply,
        onward: rule.onward,
        uses_groups,
        delay: Duration::from_millis(rule.delay_ms),
    })
}

#[cfg(test)]
mod tests;
