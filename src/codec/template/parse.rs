//! Reading typed input into literal runs and variables, once, with positions in the whole input; and
//! [`protect`], which writes text so that it reads back as that very text.
//!
//! The grammar: a variable is `{` + a name (an ASCII letter, then letters, digits, `_` or `-`) + an
//! optional `:` and argument (letters, digits, `_`, `-`, `.`) + `}`. Anything else with braces is literal,
//! so JSON such as `{"cmd":1}` or `{"a":{"b":2}}` reads as typed. For the rare text that looks like a
//! variable, one rule: `{{` writes `{`; a `}}` that closes an escaped `{{` (the first `}}` after it, outside
//! variables, for each `{{` not yet closed) writes `}`; any other brace is written as typed. So `{{x}}`
//! writes `{x}`, `{{"a":1}}` writes `{"a":1}`, `{{{counter}}}` writes `{1}`, and `}}` alone writes `}}`.
//! Where captures are on, `$` and digits is a capture and `$$` writes `$` (so `$$1` writes `$1`); `$`
//! otherwise is literal. With escapes on, a
//! backslash escape is literal text for the escape reader (so the braces of `\u{E9}` are not a variable).

use super::error::VariableError;
use super::{Scope, Var};
use crate::codec::{Checksum, InputMode};

/// The longest text `{counter:W}` (digits; `u64::MAX` has 20).
pub(super) const MAX_TEXT_WIDTH: u64 = 20;
/// The longest hex `{counter:W}` (bytes of a `u64`).
pub(super) const MAX_HEX_WIDTH: u64 = 8;
/// The most random digits or bytes one `{rand:N}` writes.
pub(super) const MAX_RANDOM: u64 = 1024;

/// One part of typed input, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// Text or hex to convert as the input mode says: a slice of the input, and where its first character
    /// is (from 1).
    Literal {
        /// The text.
        text: &'a str,
        /// Its position.
        position: usize,
    },
    /// A variable.
    Variable {
        /// What it stands for.
        var: Var,
        /// As typed, braces or `$` included.
        typed: &'a str,
        /// Where its `{` or `$` is (from 1).
        position: usize,
    },
}

/// A `{...}` that has the form of a variable, read from the start of some text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Form<'a> {
    /// The name.
    pub(super) name: &'a str,
    /// What follows `:`, if there is a `:`.
    pub(super) argument: Option<&'a str>,
    /// Its length in bytes (and characters: it is ASCII), braces included.
    pub(super) len: usize,
}

/// The names of the variables every send path has, exactly as they are written.
pub(super) const SEND_NAMES: [&str; 5] = ["counter", "time", "unix", "unix_ms", "rand"];
/// The names of the variables only reply rules have.
pub(super) const RULE_NAMES: [&str; 3] = ["n", "reset", "peer"];

/// Whether `name` is a variable's name as written, in some scope: a send variable, a checksum or a
/// reply-rule variable.
fn is_variable_name(name: &str) -> bool {
    SEND_NAMES.contains(&name)
        || RULE_NAMES.contains(&name)
        || Checksum::of_variable(name).is_some()
}

/// A `{` that starts what looks like a variable written another way: optional spaces, then one of the
/// names `scope` has but for case, `-` and `_`, then optional spaces and an argument with stray spaces, a
/// sign or a second part, up to `}` (`{Time}`, `{ counter }`, `{counter: 3}`, `{rand:+3}`,
/// `{crc16_modbus}`). Its length (it is ASCII) and the variable as it is written.
fn near_miss(text: &str, scope: Scope) -> Option<(usize, String)> {
    let fold = |name: &str| -> Vec<u8> {
        name.bytes()
            .filter(|b| !matches!(b, b'_' | b'-'))
            .map(|b| b.to_ascii_lowercase())
            .collect()
    };
    let body = text.strip_prefix('{')?;
    let rest = body.trim_start_matches(' ');
    let spaces = body.len() - rest.len();
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .count();
    let typed = fold(&rest[..name_len]);
    let checksums = Checksum::NAMES[1..].iter().chain([&Checksum::ALIAS.0]);
    let rules = scope.rules.map(|_| RULE_NAMES.iter()).into_iter().flatten();
    let name = SEND_NAMES
        .iter()
        .chain(checksums)
        .chain(rules)
        .find(|name| !typed.is_empty() && fold(name) == typed)?;
    let tail_len = rest[name_len..]
        .bytes()
        .take_while(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b':' | b'+' | b'.' | b'_' | b'-')
        })
        .count();
    if rest.as_bytes().get(name_len + tail_len) != Some(&b'}') {
        return None;
    }
    let tail = rest[name_len..name_len + tail_len].trim();
    let argument = match tail.strip_prefix(':') {
        None if tail.is_empty() => "",
        // Words after the name, as in `{time is up}`: text, not a variable.
        None => return None,
        Some(argument) => argument
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .trim_start_matches('+'),
    };
    let takes_argument = !matches!(*name, "time" | "unix" | "unix_ms" | "reset" | "peer");
    let written = if argument.is_empty() || !takes_argument {
        format!("{{{name}}}")
    } else {
        format!("{{{name}:{argument}}}")
    };
    Some((1 + spaces + name_len + tail_len + 1, written))
}

/// The variable form at the start of `text`, if `text` starts with one.
pub(super) fn form(text: &str) -> Option<Form<'_>> {
    let body = text.strip_prefix('{')?;
    let bytes = body.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let name_len = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .count();
    let (argument, end) = if bytes.get(name_len) == Some(&b':') {
        let arg_len = bytes[name_len + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
            .count();
        (
            Some(&body[name_len + 1..name_len + 1 + arg_len]),
            name_len + 1 + arg_len,
        )
    } else {
        (None, name_len)
    };
    (bytes.get(end) == Some(&b'}')).then_some(Form {
        name: &body[..name_len],
        argument,
        len: end + 2,
    })
}

/// The length in bytes of the backslash escape at the start of `text` as the escape reader will take it:
/// the backslash and the character after it, or all of `\u{...}`. Errors in it are the reader's to name.
pub(super) fn escape_len(text: &str) -> usize {
    let mut chars = text.char_indices().skip(1);
    match chars.next() {
        None => 1,
        Some((_, 'u')) if text[2..].starts_with('{') => {
            text[3..].find('}').map_or(text.len(), |at| at + 4)
        }
        Some((at, ch)) => at + ch.len_utf8(),
    }
}

/// Reads `input` into tokens, in `mode` (escapes on or off for text), with the variables `scope` allows.
/// Reading stops at the first unusable variable: the tokens before it come with the error, so a caller can
/// name an earlier mistake in the literal text first.
pub(crate) fn tokens(
    input: &str,
    mode: InputMode,
    escapes: bool,
    scope: Scope,
) -> (Vec<Token<'_>>, Result<(), VariableError>) {
    let mut out = Vec::new();
    let result = read(input, mode, escapes, scope, &mut out);
    (out, result)
}

fn read<'a>(
    input: &'a str,
    mode: InputMode,
    escapes: bool,
    scope: Scope,
    out: &mut Vec<Token<'a>>,
) -> Result<(), VariableError> {
    let escapes = escapes && mode == InputMode::Text;
    // Start of the literal run being read: byte index and position.
    let mut run = (0, 1);
    // Escaped `{{` not closed by a `}}` yet.
    let mut open = 0_usize;
    let mut at = 0;
    let mut position = 1;
    let flush = |out: &mut Vec<Token<'a>>, run: (usize, usize), at: usize| {
        if run.0 < at {
            out.push(Token::Literal {
                text: &input[run.0..at],
                position: run.1,
            });
        }
    };
    while let Some(ch) = input[at..].chars().next() {
        let rest = &input[at..];
        if ch == '\\' && escapes {
            let len = escape_len(rest);
            at += len;
            position += rest[..len].chars().count();
            continue;
        }
        let found = match ch {
            '{' | '}' => brace(rest, position, mode, scope, &mut open),
            '$' => scope
                .captures
                .map_or(Ok(None), |available| capture(rest, position, available)),
            _ => Ok(None),
        };
        match found {
            Err(error) => {
                flush(out, run, at);
                return Err(error);
            }
            Ok(Some((token, len))) => {
                flush(out, run, at);
                out.push(token);
                // Everything a token takes is ASCII: one byte a character.
                at += len;
                position += len;
                run = (at, position);
            }
            Ok(None) => {
                at += ch.len_utf8();
                position += 1;
            }
        }
    }
    flush(out, run, at);
    Ok(())
}

/// A token found at the start of some text, with its length in bytes (and characters: it is ASCII).
type Found<'a> = Option<(Token<'a>, usize)>;

/// What a brace at the start of `rest` (at `position`) starts: a variable, a `{{` or the `}}` that closes
/// one of the `open` escapes (kept count of), or nothing but itself.
fn brace<'a>(
    rest: &'a str,
    position: usize,
    mode: InputMode,
    scope: Scope,
    open: &mut usize,
) -> Result<Found<'a>, VariableError> {
    let brace = |len| {
        Ok(Some((
            Token::Literal {
                text: &rest[..1],
                position,
            },
            len,
        )))
    };
    if rest.starts_with("{{") {
        // Hex has no text to escape: a brace is its byte there.
        if mode == InputMode::Hex {
            return Err(VariableError::BraceInHex { position });
        }
        *open += 1;
        return brace(2);
    }
    if rest.starts_with('}') {
        if *open > 0 && rest.starts_with("}}") {
            *open -= 1;
            return brace(2);
        }
        return Ok(None);
    }
    let form = form(rest);
    if !form.is_some_and(|form| is_variable_name(form.name))
        && let Some((len, written)) = near_miss(rest, scope)
    {
        return Err(VariableError::NearMiss {
            position,
            typed: rest[..len].to_owned(),
            written,
        });
    }
    let Some(form) = form else {
        return Ok(None);
    };
    let typed = &rest[..form.len];
    let var = variable(form, typed, position, mode, scope)?;
    Ok(Some((
        Token::Variable {
            var,
            typed,
            position,
        },
        form.len,
    )))
}

/// The capture `$N` at the start of `rest` (at `position`), of `available`; `$$` writes `$`, and a `$`
/// without digits is a dollar sign.
fn capture(rest: &str, position: usize, available: usize) -> Result<Found<'_>, VariableError> {
    if rest.starts_with("$$") {
        let dollar = Token::Literal {
            text: &rest[..1],
            position,
        };
        return Ok(Some((dollar, 2)));
    }
    let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
    let typed = &rest[..=digits];
    match typed[1..].parse::<usize>() {
        Ok(number) if number <= available => Ok(Some((
            Token::Variable {
                var: Var::Capture(number),
                typed,
                position,
            },
            typed.len(),
        ))),
        Err(_) if digits == 0 => Ok(None),
        _ => Err(VariableError::NoSuchCapture {
            position,
            typed: typed.to_owned(),
            available,
        }),
    }
}

/// The variable `form` (typed as `typed`, at `position`) stands for in `mode` and `scope`.
fn variable(
    form: Form<'_>,
    typed: &str,
    position: usize,
    mode: InputMode,
    scope: Scope,
) -> Result<Var, VariableError> {
    let hex = mode == InputMode::Hex;
    let argument = |range: (u64, u64), default: Option<u64>| -> Result<u64, VariableError> {
        let wrong = || VariableError::Argument {
            position,
            typed: typed.to_owned(),
            range: Some(range),
        };
        match form.argument {
            None => default.ok_or_else(wrong),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|value| (range.0..=range.1).contains(value))
                .ok_or_else(wrong),
        }
    };
    let no_argument = |var: Var| match form.argument {
        None => Ok(var),
        Some(_) => Err(VariableError::Argument {
            position,
            typed: typed.to_owned(),
            range: None,
        }),
    };
    let rules = |var: Var| match scope.rules {
        Some(_) => Ok(var),
        None => Err(VariableError::OnlyInRules {
            position,
            typed: typed.to_owned(),
        }),
    };
    match form.name {
        "counter" => {
            let max = if hex { MAX_HEX_WIDTH } else { MAX_TEXT_WIDTH };
            let width = form
                .argument
                .map(|_| argument((1, max), None))
                .transpose()?;
            Ok(Var::Counter {
                // At most 20: the range above.
                width: width.map(|w| w as u8),
                hex,
            })
        }
        "time" => no_argument(Var::Time),
        "unix" => no_argument(Var::Unix { hex }),
        "unix_ms" => no_argument(Var::UnixMs { hex }),
        "rand" => Ok(Var::Rand {
            count: argument((1, MAX_RANDOM), None)? as u16,
            hex,
        }),
        "n" => {
            let available = rules(Var::RuleCount).map(|_| scope.rules.unwrap_or_default())?;
            match form.argument.map(str::parse::<usize>) {
                None => Ok(Var::RuleCount),
                Some(Ok(k)) if (1..=available).contains(&k) => Ok(Var::RuleCountOf(k - 1)),
                Some(Ok(rule)) => Err(VariableError::NoSuchRule {
                    position,
                    typed: typed.to_owned(),
                    rule,
                    available,
                }),
                Some(Err(_)) => Err(VariableError::Argument {
                    position,
                    typed: typed.to_owned(),
                    range: Some((1, available as u64)),
                }),
            }
        }
        "reset" => no_argument(rules(Var::Reset)?),
        "peer" => no_argument(rules(Var::Peer)?),
        name => match Checksum::of_variable(name) {
            Some(kind) => Ok(Var::Checksum {
                kind,
                from: argument((0, u64::from(u32::MAX)), Some(0))? as usize,
            }),
            None => Err(VariableError::Unknown {
                position,
                name: form.name.to_owned(),
                rules: scope.rules.is_some(),
            }),
        },
    }
}

/// `text` written so that, read with the same mode and escapes, it stands for itself: each `{` that would
/// start a variable (or what reads as a variable written another way, an error) or a `{{` is written `{{`,
/// and each `}` while such an escape is open `}}`, except for the variable forms `keep` accepts (names as
/// typed, without braces), which stay variables. Where `captures` exist, a `$` before a `$` is written
/// `$$`, and `$N` stays a capture, as it was in every earlier version. Used to bring text typed before
/// variables existed to this version's meaning.
#[must_use]
pub fn protect(text: &str, escapes: bool, captures: bool, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let read_as = ReadAs {
        escapes,
        captures,
        then_variable: false,
    };
    let keep = |name: &str| name.starts_with('$') || keep(name);
    protect_pieces(text, read_as, &keep, &mut 0, &mut out);
    out
}

/// How a piece of text [`protect_into`] writes is read back.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadAs {
    /// Backslash escapes are read (text input with escapes on).
    pub escapes: bool,
    /// `$N` is a capture and `$$` writes `$`.
    pub captures: bool,
    /// A variable follows the piece, whose `{` or `$` a last `{` or `$` of the piece would join.
    pub then_variable: bool,
}

/// [`protect`] for a piece of text between variables, as [`crate::codec::hex_to_text`] writes a message:
/// the piece follows `open` escapes left open by the pieces before it (and leaves `open` as it leaves
/// them), and is read back as `read_as` says. No variable form in the piece stays one: with captures, `$1`
/// is written `$$1`.
pub(crate) fn protect_into(text: &str, read_as: ReadAs, open: &mut usize, out: &mut String) {
    protect_pieces(text, read_as, &|_| false, open, out);
}

fn protect_pieces(
    text: &str,
    read_as: ReadAs,
    keep: &impl Fn(&str) -> bool,
    open: &mut usize,
    out: &mut String,
) {
    let mut at = 0;
    while let Some(ch) = text[at..].chars().next() {
        let rest = &text[at..];
        match ch {
            '\\' if read_as.escapes => {
                let len = escape_len(rest);
                out.push_str(&rest[..len]);
                at += len;
                continue;
            }
            '{' => {
                let form = form(rest);
                if let Some(form) = form.filter(|form| keep(&rest[1..form.len - 1])) {
                    out.push_str(&rest[..form.len]);
                    at += form.len;
                    continue;
                }
                let every_name = Scope {
                    captures: None,
                    rules: Some(0),
                };
                if form.is_some()
                    || rest.starts_with("{{")
                    || (rest == "{" && read_as.then_variable)
                    || near_miss(rest, every_name).is_some()
                {
                    out.push_str("{{");
                    *open += 1;
                    at += 1;
                    continue;
                }
            }
            // Read back, `}}` closes an open escape and writes `}`.
            '}' if *open > 0 => {
                out.push_str("}}");
                *open -= 1;
                at += 1;
                continue;
            }
            '$' if read_as.captures => {
                let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 && keep(&rest[..=digits]) {
                    out.push_str(&rest[..=digits]);
                    at += 1 + digits;
                    continue;
                }
                // Read back, `$$` writes `$`.
                if digits > 0 || rest.starts_with("$$") || (rest == "$" && read_as.then_variable) {
                    out.push_str("$$");
                    at += 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push(ch);
        at += ch.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_forms() {
        assert_eq!(
            form("{counter:2}x"),
            Some(Form {
                name: "counter",
                argument: Some("2"),
                len: 11
            })
        );
        assert_eq!(form("{crc16-ccitt-false}").map(|f| f.len), Some(19));
        assert_eq!(form("{rand:}").map(|f| f.argument), Some(Some("")));
        for not in [
            "{\"cmd\":1}",
            "{ a }",
            "{a b}",
            "{1}",
            "{}",
            "{a",
            "{a:1",
            "{计数}",
            "x",
        ] {
            assert_eq!(form(not), None, "{not}");
        }
    }

    #[test]
    fn escapes_are_skipped_whole() {
        assert_eq!(escape_len(r"\n{x}"), 2);
        assert_eq!(escape_len(r"\u{E9}{x}"), 6);
        assert_eq!(escape_len(r"\u{E9"), 5, "an unclosed \\u{{ runs to the end");
        assert_eq!(escape_len("\\"), 1);
        assert_eq!(escape_len("\\你"), 4);
    }

    #[test]
    fn protect_doubles_only_what_would_change() {
        let none = |_: &str| false;
        assert_eq!(protect(r#"{"cmd":1}"#, false, false, none), r#"{"cmd":1}"#);
        assert_eq!(protect("{counter}", false, false, none), "{{counter}}");
        assert_eq!(protect("{{x", false, false, none), "{{{x");
        assert_eq!(protect("{{a}}", false, false, none), "{{{{a}}}}");
        assert_eq!(protect("}}", false, false, none), "}}", "no escape is open");
        assert_eq!(
            protect("{ time }", false, false, none),
            "{{ time }}",
            "a near miss"
        );
        assert_eq!(protect("{time is up}", false, false, none), "{time is up}");
        assert_eq!(protect("{{x}}}", false, false, none), "{{{{x}}}}}");
        assert_eq!(protect(r"\u{E9}", true, false, none), r"\u{E9}");
        assert_eq!(protect(r"\u{E9}", false, false, none), r"\u{{E9}}");
        assert_eq!(
            protect("{n}{x}", false, false, |name| name == "n"),
            "{n}{{x}}"
        );
        // Where captures exist, `$$` writes `$`, and `$N` stays a capture.
        assert_eq!(protect("$$1 $ $2$", false, true, none), "$$$1 $ $2$");
        assert_eq!(protect("$$1", false, false, none), "$$1", "no captures");
    }
}
