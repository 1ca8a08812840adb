//! Send variables: what a user typed is read once into a [`Template`] (literal bytes and variables) and
//! rendered anew for each send, so `{counter}` counts, `{time}` is the moment of sending and `{crc16modbus}`
//! covers the bytes before it. Every send path uses it: the send box, quick commands, the periodic send,
//! reply rules, the command line's `--send` and check steps.
//!
//! | Variable | Text input | Hex input |
//! |---|---|---|
//! | `{counter}` | the send's number, from 1, in decimal | one byte, wrapping |
//! | `{counter:W}` | W digits, zero-padded, wrapping | W bytes big-endian, wrapping |
//! | `{time}` | the time of day as the log shows it, `12:00:01.234` | the same text |
//! | `{unix}`, `{unix_ms}` | seconds / milliseconds since 1970 in decimal | 4 / 8 bytes big-endian |
//! | `{rand:N}` | N random decimal digits | N random bytes |
//! | `{sum8}`, `{xor8}` (`{bcc}`), `{crc16modbus}`, `{crc16-ccitt-false}`, `{crc32}` ([`Checksum::NAMES`]) | the checksum's bytes (as [`Checksum`] appends them) over every byte of the message before it | the same |
//! | `{sum8:K}` … | the same from byte K (0 is the first), to leave out a header such as `AA 55` | the same |
//! | `$0`, `$1`… (where captures exist) | the whole message / capture N, as received | the same |
//! | `{n}`, `{n:K}`, `{reset}`, `{peer}` (reply rules only) | see [`crate::rules`] | the same text |
//!
//! A variable is `{` + a name + an optional `:` argument + `}`; other braces are literal, so JSON such as
//! `{"cmd":1}` sends as typed. For text that would read as a variable: `{{` writes `{`, a `}}` that closes an
//! escaped `{{` (the first `}}` after it) writes `}`, and any other brace is written as typed, so
//! `{{counter}}` writes `{counter}` and `{{"a":1}}` writes `{"a":1}`. A name that is not
//! a variable, as in `{conter}`, is an error with its position when the text is read, not when it is sent.
//! Names are exact, as listed (`{bcc}` is the one other name, for `{xor8}`): what reads as a variable
//! written another way (`{Time}`, `{crc16_modbus}`, `{ counter }`, `{counter: 3}`) is an error too, that
//! says how it is written. Text around the variables goes through the send pipeline
//! ([`SendOptions::data`]: hex, escapes, encoding), with positions counted in the whole input; the send
//! options' own checksum and line ending come last, after the variables.

mod error;
pub(crate) mod format4;
mod parse;

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

pub use error::{VariableError, known};
pub use parse::protect;
pub(crate) use parse::{ReadAs, Token, protect_into, tokens};

use super::Checksum;
use super::send::{SendError, SendOptions};
use crate::timestamp::clock_text;

/// Which variables beyond the ones every send path has are allowed where the text is typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Captures: `$0` (the whole message) to `$N`, N the number given; `None`: `$` is an ordinary
    /// character. Give `usize::MAX` when the number is not known yet; a capture missing when rendering then
    /// writes nothing.
    pub captures: Option<usize>,
    /// The reply-rule variables `{n}`, `{n:K}`, `{reset}` and `{peer}`, with the number of rules `{n:K}`
    /// may name; `None` outside reply rules.
    pub rules: Option<usize>,
}

impl Scope {
    /// The send box, quick commands, the periodic send and the command line: no captures, no rule variables.
    pub const SEND: Self = Self {
        captures: None,
        rules: None,
    };

    /// A send that may use `count` captures (`$1` to `$count`, and `$0`), such as a check step after an
    /// expect.
    #[must_use]
    pub fn with_captures(count: usize) -> Self {
        Self {
            captures: Some(count),
            rules: None,
        }
    }
}

/// A variable, resolved for the input mode it was typed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Var {
    /// `{counter}`, `{counter:W}`.
    Counter {
        /// Digits (text) or bytes (hex); `None`: as many digits as it takes, or one byte.
        width: Option<u8>,
        /// Written as bytes rather than digits.
        hex: bool,
    },
    /// `{time}`.
    Time,
    /// `{unix}`.
    Unix {
        /// Four bytes rather than digits.
        hex: bool,
    },
    /// `{unix_ms}`.
    UnixMs {
        /// Eight bytes rather than digits.
        hex: bool,
    },
    /// `{rand:N}`.
    Rand {
        /// Digits or bytes.
        count: u16,
        /// Random bytes rather than digits.
        hex: bool,
    },
    /// A checksum over the message from byte `from` to here.
    Checksum {
        /// Which.
        kind: Checksum,
        /// The first byte it covers, counted from 0.
        from: usize,
    },
    /// `$N`; 0 is the whole message.
    Capture(usize),
    /// `{n}`: the rule's own count.
    RuleCount,
    /// `{n:K}`, as an index into the rules.
    RuleCountOf(usize),
    /// `{reset}`.
    Reset,
    /// `{peer}`.
    Peer,
}

impl Var {
    /// How many bytes it writes, when that is the same for every send: `None` for decimal numbers that
    /// grow (`{counter}` in text, `{unix}`), captures, counts and addresses.
    fn fixed_len(self) -> Option<usize> {
        match self {
            Self::Counter {
                width: Some(width), ..
            } => Some(usize::from(width)),
            Self::Counter { width: None, hex } => hex.then_some(1),
            // `HH:MM:SS.mmm`.
            Self::Time => Some(12),
            Self::Unix { hex } => hex.then_some(4),
            Self::UnixMs { hex } => hex.then_some(8),
            Self::Rand { count, .. } => Some(usize::from(count)),
            Self::Checksum { kind, .. } => Some(kind.width()),
            Self::Reset => Some(0),
            Self::Capture(_) | Self::RuleCount | Self::RuleCountOf(_) | Self::Peer => None,
        }
    }

    /// Whether it writes other bytes in hex input than in text input (bytes rather than decimal digits):
    /// `{counter}`, `{unix}`, `{unix_ms}`, `{rand:N}`.
    pub(crate) fn depends_on_mode(self) -> bool {
        matches!(
            self,
            Self::Counter { .. } | Self::Unix { .. } | Self::UnixMs { .. } | Self::Rand { .. }
        )
    }
}

/// A part of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Bytes sent as they are.
    Bytes(Vec<u8>),
    /// A variable, written anew each time.
    Var(Var),
}

/// What the variables of one send are filled with.
#[derive(Debug)]
pub struct Values<'a> {
    /// `{counter}`: which send of its path this is, from 1 (the send box's own, a quick command's own, the
    /// periodic send's since it started, a check run's). In a reply rule `{counter}` is the rule's count
    /// instead, as it is when written, like `{n}` (so after a `{reset}` both write 0).
    pub counter: u64,
    /// `{time}`, `{unix}`, `{unix_ms}`: when it is sent.
    pub now: SystemTime,
    /// `$0`, `$1`, …: the whole message and the captures, as bytes. A capture not here writes nothing.
    pub captures: &'a [&'a [u8]],
    /// What only a reply rule has; `None` elsewhere, and then rule variables write nothing.
    pub rule: Option<RuleValues<'a>>,
}

impl<'a> Values<'a> {
    /// Send number `counter` at `now`, without captures or rule values.
    #[must_use]
    pub fn new(counter: u64, now: SystemTime) -> Self {
        Self {
            counter,
            now,
            captures: &[],
            rule: None,
        }
    }

    /// The same with `captures` (`$0` first).
    #[must_use]
    pub fn with_captures(self, captures: &'a [&'a [u8]]) -> Self {
        Self { captures, ..self }
    }
}

/// A reply rule's values: the counts of every rule (which `{reset}` sets back to 0), the rule answering,
/// and who it answers.
#[derive(Debug)]
pub struct RuleValues<'a> {
    /// How many times each rule has matched, in the order written.
    pub counts: &'a mut [u64],
    /// The rule answering, counted from 0.
    pub rule: usize,
    /// `{peer}`: the sender.
    pub peer: SocketAddr,
}

/// Typed input read once: literal bytes and variables, ready to render for each send.
///
/// ```
/// use std::time::SystemTime;
/// use netassist::codec::{InputMode, SendOptions};
/// use netassist::codec::template::{Scope, Template, Values};
///
/// let hex = SendOptions { input: InputMode::Hex, ..SendOptions::default() };
/// let template = Template::parse("01 03 00 {counter:2} {crc16modbus}", &hex, Scope::SEND)?;
/// let first = template.render(Values::new(1, SystemTime::now()));
/// assert_eq!(first.as_ref(), [0x01, 0x03, 0x00, 0x00, 0x01, 0xD8, 0x44]);
///
/// let error = Template::parse("n={conter}", &SendOptions::default(), Scope::SEND).unwrap_err();
/// assert_eq!(error.position(), 3);
/// assert!(error.to_string().starts_with("position 3: unknown variable 'conter'; known: {counter}"));
///
/// let json = Template::parse(r#"{"cmd":1}"#, &SendOptions::default(), Scope::SEND)?;
/// assert_eq!(json.fixed().map(|b| b.as_ref()), Some(&br#"{"cmd":1}"#[..]));
/// # Ok::<(), netassist::codec::SendError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    body: Body,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Body {
    /// No variables: the same bytes every time, shared without copying.
    Fixed(Bytes),
    /// Pieces to put together each time, and roughly how many bytes that makes.
    Pieces(Vec<Piece>, usize),
}

impl From<Bytes> for Template {
    /// A template without variables that sends `bytes`.
    fn from(bytes: Bytes) -> Self {
        Self {
            body: Body::Fixed(bytes),
        }
    }
}

impl Template {
    /// Reads `input` as `options` say (hex or text, encoding, escapes), with the variables every send has
    /// and those `scope` adds; the options' checksum and line ending end it. An error names its position in
    /// `input`: a hex or escape typo, a character the encoding cannot write, or an unusable variable
    /// ([`SendError::Variable`]), whichever comes first.
    pub fn parse(input: &str, options: &SendOptions, scope: Scope) -> Result<Self, SendError> {
        let (tokens, variables) = tokens(input, options.input, options.escapes, scope);
        let mut pieces = Vec::with_capacity(tokens.len() + 2);
        // How many bytes come before the token being read, when that is the same for every send.
        let mut before = Some(0);
        for token in tokens {
            match token {
                Token::Literal { text, position } => {
                    let bytes = options.data_at(text, position)?;
                    before = before.map(|len| len + bytes.len());
                    push_bytes(&mut pieces, bytes);
                }
                Token::Variable {
                    var,
                    typed,
                    position,
                } => {
                    if let (Var::Checksum { from, .. }, Some(before)) = (var, before)
                        && from >= before
                    {
                        return Err(SendError::Variable(VariableError::ChecksumOfNothing {
                            position,
                            typed: typed.to_owned(),
                            before,
                        }));
                    }
                    before = before.zip(var.fixed_len()).map(|(len, more)| len + more);
                    pieces.push(Piece::Var(var));
                }
            }
        }
        variables.map_err(SendError::Variable)?;
        if options.checksum != Checksum::None {
            pieces.push(Piece::Var(Var::Checksum {
                kind: options.checksum,
                from: 0,
            }));
        }
        push_bytes(&mut pieces, options.line_ending.bytes().to_vec());
        Ok(Self::of(pieces))
    }

    /// [`Self::parse`] for something to send: input that makes no bytes at all, with no variable, line
    /// ending or checksum either (only spaces in hex, say), is [`SendError::Nothing`], since sending it
    /// would count a send that puts nothing on the wire.
    pub fn parse_send(input: &str, options: &SendOptions, scope: Scope) -> Result<Self, SendError> {
        let template = Self::parse(input, options, scope)?;
        if template.fixed().is_some_and(Bytes::is_empty) {
            return Err(SendError::Nothing);
        }
        Ok(template)
    }

    /// A template of `pieces`: fixed bytes when nothing in it changes from one send to the next (literal
    /// bytes and checksums of them only).
    fn of(pieces: Vec<Piece>) -> Self {
        let literal: usize = pieces
            .iter()
            .map(|piece| match piece {
                Piece::Bytes(bytes) => bytes.len(),
                Piece::Var(_) => 0,
            })
            .sum();
        let varies = pieces
            .iter()
            .any(|piece| matches!(piece, Piece::Var(var) if !matches!(var, Var::Checksum { .. })));
        let template = Self {
            body: Body::Pieces(pieces, literal + 16),
        };
        if varies {
            return template;
        }
        let fixed = template.render(Values::new(0, UNIX_EPOCH));
        Self::from(fixed)
    }

    /// The bytes it always sends, when it has no variables.
    #[must_use]
    pub fn fixed(&self) -> Option<&Bytes> {
        match &self.body {
            Body::Fixed(bytes) => Some(bytes),
            Body::Pieces(..) => None,
        }
    }

    /// The highest capture it names (`$0` is 0), if it names any: a check can tell whether the expect
    /// before it has that many.
    #[must_use]
    pub fn max_capture(&self) -> Option<usize> {
        self.pieces()
            .iter()
            .filter_map(|piece| match piece {
                Piece::Var(Var::Capture(n)) => Some(*n),
                _ => None,
            })
            .max()
    }

    fn pieces(&self) -> &[Piece] {
        match &self.body {
            Body::Fixed(_) => &[],
            Body::Pieces(pieces, _) => pieces,
        }
    }

    /// The bytes to send with `values`. Without variables, the fixed bytes, shared.
    #[must_use]
    pub fn render(&self, values: Values<'_>) -> Bytes {
        match &self.body {
            Body::Fixed(bytes) => bytes.clone(),
            Body::Pieces(_, size) => {
                let mut out = Vec::with_capacity(*size);
                self.render_into(values, &mut out);
                Bytes::from(out)
            }
        }
    }

    /// Appends the bytes to send with `values` to `out`; checksums cover only what this call writes.
    pub fn render_into(&self, mut values: Values<'_>, out: &mut Vec<u8>) {
        let pieces = match &self.body {
            Body::Fixed(bytes) => return out.extend_from_slice(bytes),
            Body::Pieces(pieces, _) => pieces,
        };
        let start = out.len();
        for piece in pieces {
            match piece {
                Piece::Bytes(bytes) => out.extend_from_slice(bytes),
                Piece::Var(var) => write_var(*var, &mut values, start, out),
            }
        }
    }
}

/// Adds literal bytes, joined to literal bytes just before them.
fn push_bytes(pieces: &mut Vec<Piece>, bytes: Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    match pieces.last_mut() {
        Some(Piece::Bytes(last)) => last.extend_from_slice(&bytes),
        _ => pieces.push(Piece::Bytes(bytes)),
    }
}

/// Writes `var` for a message that started at `start` in `out`.
fn write_var(var: Var, values: &mut Values<'_>, start: usize, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    match var {
        Var::Counter { width, hex } => {
            let counter = values
                .rule
                .as_ref()
                .and_then(|rule| rule.counts.get(rule.rule).copied())
                .unwrap_or(values.counter);
            match (width, hex) {
                (None, false) => {
                    let _ = write!(out, "{counter}");
                }
                (Some(width), false) => {
                    let wrapped = u128::from(counter) % 10_u128.pow(u32::from(width));
                    let _ = write!(out, "{wrapped:0width$}", width = usize::from(width));
                }
                (width, true) => {
                    let width = usize::from(width.unwrap_or(1));
                    out.extend_from_slice(&counter.to_be_bytes()[8 - width..]);
                }
            }
        }
        Var::Time => out.extend_from_slice(clock_text(values.now).as_bytes()),
        Var::Unix { hex } => {
            let seconds = since_epoch(values.now).as_secs();
            if hex {
                // Wraps in 2106, as 32-bit device clocks do.
                out.extend_from_slice(&(seconds as u32).to_be_bytes());
            } else {
                let _ = write!(out, "{seconds}");
            }
        }
        Var::UnixMs { hex } => {
            let millis = since_epoch(values.now).as_millis() as u64;
            if hex {
                out.extend_from_slice(&millis.to_be_bytes());
            } else {
                let _ = write!(out, "{millis}");
            }
        }
        Var::Rand { count, hex } => {
            let at = out.len();
            out.resize(at + usize::from(count), 0);
            if hex {
                fastrand::fill(&mut out[at..]);
            } else {
                for digit in &mut out[at..] {
                    *digit = b'0' + fastrand::u8(0..10);
                }
            }
        }
        Var::Checksum { kind, from } => kind.append_from(out, start.saturating_add(from)),
        Var::Capture(n) => {
            if let Some(capture) = values.captures.get(n) {
                out.extend_from_slice(capture);
            }
        }
        Var::RuleCount | Var::RuleCountOf(_) => {
            if let Some(rule) = &values.rule {
                let index = match var {
                    Var::RuleCountOf(k) => k,
                    _ => rule.rule,
                };
                if let Some(count) = rule.counts.get(index) {
                    let _ = write!(out, "{count}");
                }
            }
        }
        Var::Reset => {
            if let Some(rule) = &mut values.rule {
                rule.counts.fill(0);
            }
        }
        Var::Peer => {
            if let Some(rule) = &values.rule {
                let _ = write!(out, "{}", rule.peer);
            }
        }
    }
}

/// How long after 1970 `now` is; zero for a clock set before it.
fn since_epoch(now: SystemTime) -> std::time::Duration {
    now.duration_since(UNIX_EPOCH).unwrap_or_default()
}

#[cfg(test)]
mod tests;
