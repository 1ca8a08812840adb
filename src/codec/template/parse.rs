//! Reading typed input into literal runs and variables, once, with positions in the whole input; and
//! [`protect`], which writes text so that it reads back as that very text.
//!
//! The grammar: a variable is `{` + a name (an ASCII letter, then letters, digits, `_` or `-`) + an
//! optional `:` and argument (letters, digits, `_`, `-`, `.`) + `}`. Anything else with braces is literal,
//! so JSON such as `{"cmd":1}` or `{"a":{"b":2}}` reads as typed. For the rare text that looks like a
//! variable, one rule: `{{` writes `{`; a `}}` that closes an escaped `{{` (the first `}}` after it, outside
//! variables, for each `{{` not yet closed) writes `}`; any other brace is written as typed. So `{{x}}`
//! writes `{x}`, `{{"a":1}}` writes `{"a":1}`, `{{{counter}}}` writes `{1}`, and `}}` alone writes `}}`.
//! Where captures are on, `$` and digits is a capture; `$` otherwise is literal. With escapes on, a
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
    },
}

/// A `{...}` that has the form of a variable, read from the start of some text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Form<'a> {
    /// The name.
    name: &'a str,
    /// What follows `:`, if there is a `:`.
    argument: Option<&'a str>,
    /// Its length in bytes (and characters: it is ASCII), braces included.
    len: usize,
}

/// The variable form at the start of `text`, if `text` starts with one.
fn form(text: &str) -> Option<Form<'_>> {
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
fn escape_len(text: &str) -> usize {
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
        // The token at `at`, if there is one, and its length (in bytes and characters alike: ASCII).
        let found = match ch {
            '\\' if escapes => {
                let len = escape_len(rest);
                at += len;
                position += rest[..len].chars().count();
                continue;
            }
            '{' if rest.starts_with("{{") => {
                open += 1;
                Some((
                    Token::Literal {
                        text: &rest[..1],
                        position,
                    },
                    2,
                ))
            }
            '}' if open > 0 && rest.starts_with("}}") => {
                open -= 1;
                Some((
                    Token::Literal {
                        text: &rest[..1],
                        position,
                    },
                    2,
                ))
            }
            '{' => match form(rest) {
                Some(form) => {
                    let var = variable(form, &rest[..form.len], position, mode, scope);
                    let var = var.inspect_err(|_| flush(out, run, at))?;
                    Some((
                        Token::Variable {
                            var,
                            typed: &rest[..form.len],
                        },
                        form.len,
                    ))
                }
                None => None,
            },
            '$' => match scope.captures {
                Some(available) => {
                    let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                    let typed = &rest[..=digits];
                    match typed[1..].parse::<usize>() {
                        Ok(number) if number <= available => Some((
                            Token::Variable {
                                var: Var::Capture(number),
                                typed,
                            },
                            typed.len(),
                        )),
                        // `$` without digits is a dollar sign.
                        Err(_) if digits == 0 => None,
                        _ => {
                            flush(out, run, at);
                            return Err(VariableError::NoSuchCapture {
                                position,
                                typed: typed.to_owned(),
                                available,
                            });
                        }
                    }
                }
                None => None,
            },
            _ => None,
        };
        if let Some((token, len)) = found {
            flush(out, run, at);
            out.push(token);
            // Everything a token takes is ASCII: one byte a character.
            at += len;
            position += len;
            run = (at, position);
        } else {
            at += ch.len_utf8();
            position += 1;
        }
    }
    flush(out, run, at);
    Ok(())
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
    let name = form.name.to_ascii_lowercase();
    match name.as_str() {
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
            match form.argument {
                None => Ok(Var::RuleCount),
                Some(k) => match k.parse::<usize>() {
                    Ok(k) if (1..=available).contains(&k) => Ok(Var::RuleCountOf(k - 1)),
                    _ => Err(VariableError::NoSuchRule {
                        position,
                        typed: typed.to_owned(),
                        available,
                    }),
                },
            }
        }
        "reset" => no_argument(rules(Var::Reset)?),
        "peer" => no_argument(rules(Var::Peer)?),
        _ => match name.parse::<Checksum>() {
            Ok(kind) if kind != Checksum::None => Ok(Var::Checksum {
                kind,
                from: argument((0, u64::from(u32::MAX)), Some(0))? as usize,
            }),
            _ => Err(VariableError::Unknown {
                position,
                name: form.name.to_owned(),
                rules: scope.rules.is_some(),
            }),
        },
    }
}

/// `text` written so that, read with the same mode and escapes, it stands for itself: each `{` that would
/// start a variable or a `{{` is written `{{`, and each `}` while such an escape is open `}}`, except for
/// the variable forms `keep` accepts (names as typed, without braces), which stay variables. Used to bring
/// text typed before variables existed to this version's meaning.
#[must_use]
pub fn protect(text: &str, escapes: bool, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    protect_pieces(text, escapes, &keep, false, &mut 0, &mut out);
    out
}

/// [`protect`] for a piece of text between variables, as [`crate::codec::hex_to_text`] writes a message:
/// the piece follows `open` escapes left open by the pieces before it (and leaves `open` as it leaves
/// them), and `then_variable` says a variable follows it, whose `{` a last `{` of the piece would join.
/// No variable form in the piece stays one.
pub(crate) fn protect_into(
    text: &str,
    escapes: bool,
    then_variable: bool,
    open: &mut usize,
    out: &mut String,
) {
    protect_pieces(text, escapes, &|_| false, then_variable, open, out);
}

fn protect_pieces(
    text: &str,
    escapes: bool,
    keep: &impl Fn(&str) -> bool,
    then_variable: bool,
    open: &mut usize,
    out: &mut String,
) {
    let mut at = 0;
    while let Some(ch) = text[at..].chars().next() {
        let rest = &text[at..];
        match ch {
            '\\' if escapes => {
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
                if form.is_some() || rest.starts_with("{{") || (rest == "{" && then_variable) {
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
        assert_eq!(protect(r#"{"cmd":1}"#, false, none), r#"{"cmd":1}"#);
        assert_eq!(protect("{counter}", false, none), "{{counter}}");
        assert_eq!(protect("{{x", false, none), "{{{x");
        assert_eq!(protect("{{a}}", false, none), "{{{{a}}}}");
        assert_eq!(protect("}}", false, none), "}}", "no escape is open");
        assert_eq!(protect("{{x}}}", false, none), "{{{{x}}}}}");
        assert_eq!(protect(r"\u{E9}", true, none), r"\u{E9}");
        assert_eq!(protect(r"\u{E9}", false, none), r"\u{{E9}}");
        assert_eq!(protect("{n}{x}", false, |name| name == "n"), "{n}{{x}}");
    }
}
