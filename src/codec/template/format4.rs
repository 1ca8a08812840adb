//! How texts were read under preset formats 3 and 4, kept only to bring texts saved then to this version's
//! grammar ([`upgrade`]); nothing else reads with it.
//!
//! Then, `{{name}}` (`name` a variable form) wrote `{name}`, any other `{{` wrote `{`, and a `}` was always
//! itself, so `{{"a":1}}` sent `{"a":1}}`; variable names were read without regard to case (`{TIME}`),
//! checksums also without regard to `-` and `_` (`{crc16_modbus}`, `{CRC16-MODBUS}`); and where captures
//! exist, `$$1` was a `$` and capture 1.

use super::parse::{RULE_NAMES, ReadAs, SEND_NAMES, escape_len, form, protect_into};
use crate::codec::{Checksum, InputMode};

/// One part of a text as formats 3 and 4 read it.
#[derive(Debug)]
enum Part<'a> {
    /// Text or hex as typed, for the send pipeline.
    Literal(&'a str),
    /// A variable, as this version writes it.
    Variable(String),
}

/// `typed`, saved under preset format 3 or 4 and read in `mode` (with `escapes` for text; `$N` a capture
/// where `captures` exist), written in this version's grammar so that it sends the same bytes. A text
/// that did not read then (a name that was no variable) is returned as it is: it sent nothing then, and
/// this version names its mistake.
pub(crate) fn upgrade(typed: &str, mode: InputMode, escapes: bool, captures: bool) -> String {
    let escapes = escapes && mode == InputMode::Text;
    let Some(parts) = read(typed, escapes, captures) else {
        return typed.to_owned();
    };
    let mut out = String::with_capacity(typed.len() + 4);
    // Escapes (`{{`) left open by the literal text so far.
    let mut open = 0;
    // Literal parts since the last variable, joined: `{{x}}` read as `{` and `x}` is written as a whole.
    let mut literal = String::new();
    for part in parts {
        match part {
            Part::Literal(text) => literal.push_str(text),
            Part::Variable(written) => {
                let read_as = ReadAs {
                    escapes,
                    captures,
                    then_variable: true,
                };
                protect_into(&literal, read_as, &mut open, &mut out);
                literal.clear();
                out.push_str(&written);
            }
        }
    }
    let read_as = ReadAs {
        escapes,
        captures,
        then_variable: false,
    };
    protect_into(&literal, read_as, &mut open, &mut out);
    out
}

/// `input` read as formats 3 and 4 did, or `None` where that found a name that was no variable.
fn read(input: &str, escapes: bool, captures: bool) -> Option<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    // Start of the literal run being read.
    let mut run = 0;
    let mut at = 0;
    while let Some(ch) = input[at..].chars().next() {
        let rest = &input[at..];
        // The part at `at`, if there is one, and its length (ASCII).
        let found = match ch {
            '\\' if escapes => {
                at += escape_len(rest);
                continue;
            }
            '{' if rest.starts_with("{{") => {
                let literal = match form(&rest[1..]) {
                    Some(form) if rest[1 + form.len..].starts_with('}') => &rest[1..=form.len],
                    _ => &rest[1..2],
                };
                let len = literal.len() + 1 + usize::from(literal.len() > 1);
                Some((Part::Literal(literal), len))
            }
            '{' => match form(rest) {
                Some(form) => Some((Part::Variable(written(form.name, form.argument)?), form.len)),
                None => None,
            },
            '$' if captures => {
                let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
                (digits > 0).then(|| (Part::Variable(rest[..=digits].to_owned()), 1 + digits))
            }
            _ => None,
        };
        match found {
            Some((part, len)) => {
                if run < at {
                    parts.push(Part::Literal(&input[run..at]));
                }
                parts.push(part);
                at += len;
                run = at;
            }
            None => at += ch.len_utf8(),
        }
    }
    if run < at {
        parts.push(Part::Literal(&input[run..]));
    }
    Some(parts)
}

/// The variable `{name}` or `{name:argument}` as this version writes it, when `name` named one then: any
/// case of a variable's name, or a checksum's name as `--checksum` takes it (`Checksum`'s `FromStr`, which
/// still reads names as they did).
fn written(name: &str, argument: Option<&str>) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let checksum = || {
        let kind = lower.parse::<Checksum>().ok()?;
        Checksum::NAMES
            .iter()
            .zip(Checksum::ALL)
            .skip(1)
            .find_map(|(name, each)| (each == kind).then_some(*name))
    };
    let name = SEND_NAMES
        .iter()
        .chain(&RULE_NAMES)
        .copied()
        .find(|known| *known == lower)
        .or_else(checksum)?;
    Some(match argument {
        Some(argument) => format!("{{{name}:{argument}}}"),
        None => format!("{{{name}}}"),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::codec::template::{Scope, Token, tokens};

    fn text(typed: &str) -> String {
        upgrade(typed, InputMode::Text, false, false)
    }

    #[test]
    fn braces_are_written_to_read_as_they_did() {
        // What version 4 wrote for each, in comments; the new text writes the same.
        for (typed, written) in [
            // `{"a":1}}`
            (r#"{{"a":1}}"#, r#"{"a":1}}"#),
            // `{}}`
            ("{{}}", "{}}"),
            // `{` + the counter + `}}`
            ("{{{counter}}}", "{{{counter}}}}"),
            // `{x}`
            ("{{x}}", "{{x}}"),
            // `{x}`: the first `}` ended it
            ("{{x}", "{{x}}"),
            // `{counter}` and `{`
            ("{{counter}}{{", "{{counter}}{"),
            // `{` + the time
            ("{{{time}", "{{{time}"),
            (r#"{"a":1}"#, r#"{"a":1}"#),
            ("hello", "hello"),
            ("}}", "}}"),
        ] {
            assert_eq!(text(typed), written, "{typed}");
        }
    }

    #[test]
    fn names_are_written_as_this_version_spells_them() {
        for (typed, written) in [
            ("at {TIME}", "at {time}"),
            ("{Counter:3}", "{counter:3}"),
            ("{UNIX_MS}", "{unix_ms}"),
            (
                "AB{crc16_modbus}{CRC16-MODBUS}{Crc16Modbus}",
                "AB{crc16modbus}{crc16modbus}{crc16modbus}",
            ),
            (
                "x{BCC}{Sum8:1}{CRC16CCITTFALSE}{crc_32}",
                "x{xor8}{sum8:1}{crc16-ccitt-false}{crc32}",
            ),
            // A name that was no variable then sent nothing; it is left for this version to name.
            ("{{x}} {conter}", "{{x}} {conter}"),
            ("a{none}", "a{none}"),
        ] {
            assert_eq!(text(typed), written, "{typed}");
        }
        assert_eq!(
            upgrade("01 03 {CRC16-MODBUS}", InputMode::Hex, false, false),
            "01 03 {crc16modbus}"
        );
        // Reply rules' names too, whatever the scope: where they were errors, they still are.
        assert_eq!(text("{N} {Peer} {n:2}"), "{n} {peer} {n:2}");
    }

    #[test]
    fn escapes_are_read_whole_and_dollars_where_captures_exist() {
        assert_eq!(
            upgrade(r"\x41{{x}}{{\n}}\u{7B}", InputMode::Text, true, false),
            r"\x41{{x}}{\n}}\u{7B}"
        );
        assert_eq!(
            upgrade(r"\x41{{x}}", InputMode::Text, false, false),
            r"\x41{{x}}",
            "without escapes, the backslash is text"
        );
        // `$` then capture 1, and two dollar signs.
        assert_eq!(
            upgrade("$$1 $$ $", InputMode::Text, false, true),
            "$$$1 $$$ $"
        );
        assert_eq!(upgrade("$$1", InputMode::Text, false, false), "$$1");
    }

    /// Typed input as version 4 read it and as this version reads the upgraded text: literal text between
    /// the variables, and each variable as written.
    fn old_and_new(
        typed: &str,
        escapes: bool,
        captures: bool,
    ) -> Option<(Vec<String>, Vec<String>)> {
        let old = read(typed, escapes, captures)?;
        let upgraded = upgrade(typed, InputMode::Text, escapes, captures);
        let scope = Scope {
            captures: captures.then_some(usize::MAX),
            rules: Some(usize::MAX),
        };
        let (new, result) = tokens(&upgraded, InputMode::Text, escapes, scope);
        let mut parts = Vec::new();
        let mut literal = String::new();
        for token in new {
            match token {
                Token::Literal { text, .. } => literal.push_str(text),
                Token::Variable { typed, .. } => {
                    parts.push(std::mem::take(&mut literal));
                    parts.push(typed.to_owned());
                }
            }
        }
        let mut old_parts = Vec::new();
        let mut old_literal = String::new();
        for part in old {
            match part {
                Part::Literal(text) => old_literal.push_str(text),
                Part::Variable(written) => {
                    old_parts.push(std::mem::take(&mut old_literal));
                    old_parts.push(written);
                }
            }
        }
        match result {
            Ok(()) => {
                parts.push(literal);
                old_parts.push(old_literal);
            }
            // A variable with an argument out of its range is read by the same code then and now: it
            // stops both where it stands.
            Err(error) => {
                assert!(
                    matches!(error, super::super::VariableError::Argument { .. }),
                    "{typed} as {upgraded}: {error}"
                );
                parts.push(literal);
                old_parts.truncate(parts.len());
            }
        }
        Some((old_parts, parts))
    }

    proptest! {
        #[test]
        fn upgraded_text_reads_as_version_4_read_it(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("{"), Just("}"), Just("a"), Just("counter"), Just("Counter"),
                    Just("TIME"), Just("crc16_modbus"), Just(":"), Just("\""), Just("1"), Just("0"),
                    Just("$"), Just("\\"), Just("n"), Just(" "),
                ],
                0..16,
            ),
            escapes in any::<bool>(),
            captures in any::<bool>(),
        ) {
            let typed = pieces.concat();
            if let Some((old, new)) = old_and_new(&typed, escapes, captures) {
                prop_assert_eq!(old, new, "{}", typed);
            }
        }
    }
}
