//! Switching the send box between text and hex, as classic tools do: text becomes the bytes it stands for
//! in the chosen encoding, written as hex pairs; hex becomes text only when its bytes are text in that
//! encoding that the box can hold and that sends the same bytes again. Otherwise the box keeps what it
//! had, and the error says why.
//!
//! Only the typed data is converted: the checksum and line ending are options, added when sending, in
//! either mode.

use std::fmt;

use super::escape::escape_into;
use super::hex;
use super::send::{InputMode, SendError, SendOptions};
use super::template::{self, ReadAs, Scope, Token};
use super::text::TextEncoding;

/// The hex pairs (`48 69`) of the bytes `text` stands for with `options` (its encoding and escapes).
/// Variables stay as typed between the pairs (`41 {counter} 42`), written as hex input writes them.
pub fn text_to_hex(text: &str, options: &SendOptions) -> Result<String, SendError> {
    let text_options = SendOptions {
        input: InputMode::Text,
        ..*options
    };
    let (tokens, variables) = template::tokens(text, InputMode::Text, options.escapes, Scope::SEND);
    let mut parts = Vec::with_capacity(tokens.len());
    for token in tokens {
        match token {
            Token::Literal { text, position } => {
                let bytes = text_options.data_at(text, position)?;
                if !bytes.is_empty() {
                    parts.push(hex::format(&bytes));
                }
            }
            Token::Variable { typed, .. } => parts.push(typed.to_owned()),
        }
    }
    variables.map_err(SendError::Variable)?;
    Ok(parts.join(" "))
}

/// The text that `typed_hex` stands for in `options`' encoding: with escapes on, control characters are
/// written as escapes (`\r`, `\x01`) and a backslash as `\\`; with them off, the text may hold line
/// breaks and tabs but no other control character. Sending the text with escapes as they are gives the
/// same bytes as the hex. Variables stay as typed; a brace in the text that would read as one is doubled.
pub fn hex_to_text(typed_hex: &str, options: &SendOptions) -> Result<String, ConvertError> {
    let (tokens, variables) = template::tokens(typed_hex, InputMode::Hex, false, Scope::SEND);
    let mut text = String::with_capacity(typed_hex.len());
    // Bytes before the piece being converted, so an error names its byte in the whole message.
    let mut before = 0;
    // Escapes (`{{`) a piece leaves open, which a `}` in a later piece closes.
    let mut open = 0;
    let count = tokens.len();
    for (index, token) in tokens.into_iter().enumerate() {
        match token {
            Token::Literal {
                text: hex,
                position,
            } => {
                let bytes = hex::parse_at(hex, position)
                    .map_err(|error| ConvertError::Input(error.into()))?;
                let piece = bytes_to_text(&bytes, *options).map_err(|error| error.after(before))?;
                let read_as = ReadAs {
                    escapes: options.escapes,
                    captures: false,
                    // Anything after a piece is a variable.
                    then_variable: index + 1 < count,
                };
                template::protect_into(&piece, read_as, &mut open, &mut text);
                before += bytes.len();
            }
            Token::Variable { typed, .. } => text.push_str(typed),
        }
    }
    variables.map_err(|error| ConvertError::Input(SendError::Variable(error)))?;
    Ok(text)
}

/// The variables in `typed` (read in `mode`, with `escapes` for text) that write other bytes in the other
/// mode, as typed, each once, in order: after a switch, `{counter}` typed as text (decimal digits) writes
/// one byte in hex, and `{unix}` four. What the switch keeps as typed but cannot keep the same on the wire.
#[must_use]
pub fn mode_dependent(typed: &str, mode: InputMode, escapes: bool) -> Vec<String> {
    let (tokens, _) = template::tokens(typed, mode, escapes, Scope::SEND);
    let mut found: Vec<String> = Vec::new();
    for token in tokens {
        if let Token::Variable { var, typed, .. } = token
            && var.depends_on_mode()
            && !found.iter().any(|seen| seen == typed)
        {
            found.push(typed.to_owned());
        }
    }
    found
}

/// `bytes` as text in `options`' encoding, as [`hex_to_text`] writes it; error byte numbers count from 1
/// in `bytes`.
fn bytes_to_text(bytes: &[u8], options: SendOptions) -> Result<String, ConvertError> {
    let encoding = options.encoding;
    let decoded = encoding
        .decode_exact(bytes)
        .map_err(|index| ConvertError::NotText {
            byte: index + 1,
            value: bytes[index],
            encoding,
        })?;
    let text = if options.escapes {
        let mut escaped = String::with_capacity(decoded.len());
        escape_into(&decoded, &mut escaped);
        escaped
    } else {
        if let Some(index) = decoded
            .char_indices()
            .find(|&(_, ch)| ch.is_control() && ch != '\n' && ch != '\t')
            .map(|(index, _)| index)
        {
            // The decoded text's byte offset is not the input's; count the bytes it stands for instead.
            let before = SendOptions {
                input: InputMode::Text,
                ..options
            }
            .data(&decoded[..index])
            .map_or(0, |bytes| bytes.len());
            return Err(ConvertError::Control {
                byte: before + 1,
                value: bytes.get(before).copied().unwrap_or_default(),
            });
        }
        decoded
    };
    // Some encodings read several byte sequences as one character (GBK reads A2 E3 and 80 as €); the
    // text would then send other bytes than the hex.
    let again = SendOptions {
        input: InputMode::Text,
        ..options
    }
    .data(&text);
    match again {
        Ok(again) if again == bytes => Ok(text),
        Ok(again) => {
            let index = again
                .iter()
                .zip(bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(again.len().min(bytes.len()));
            Err(ConvertError::NotSame {
                byte: index + 1,
                encoding,
            })
        }
        Err(_) => Err(ConvertError::NotSame { byte: 1, encoding }),
    }
}

/// Why the send box could not switch between text and hex; it keeps what it had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConvertError {
    /// What is in the box cannot be read in its current mode (a hex typo, a character the encoding cannot
    /// write).
    Input(SendError),
    /// A byte is not valid text in the encoding.
    NotText {
        /// The byte's number, from 1.
        byte: usize,
        /// The byte.
        value: u8,
        /// The encoding.
        encoding: TextEncoding,
    },
    /// A control byte that the box can only show as text with escapes on.
    Control {
        /// The byte's number, from 1.
        byte: usize,
        /// The byte.
        value: u8,
    },
    /// The text would not send the same bytes again.
    NotSame {
        /// The first byte that would differ, from 1.
        byte: usize,
        /// The encoding.
        encoding: TextEncoding,
    },
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(error) => error.fmt(f),
            Self::NotText {
                byte,
                value,
                encoding,
            } => write!(
                f,
                "byte {byte} ({value:02X}) is not {} text, so it stays hex; choose another encoding to \
                 read it as text",
                encoding.label()
            ),
            Self::Control { byte, value } => write!(
                f,
                "byte {byte} ({value:02X}) is a control character, so it stays hex; turn on Escapes to \
                 write it as text"
            ),
            Self::NotSame { byte, encoding } => write!(
                f,
                "as {} text, byte {byte} would be sent differently, so it stays hex",
                encoding.label()
            ),
        }
    }
}

impl ConvertError {
    /// The same error about a piece that follows `before` bytes of the message.
    fn after(self, before: usize) -> Self {
        match self {
            Self::NotText {
                byte,
                value,
                encoding,
            } => Self::NotText {
                byte: byte + before,
                value,
                encoding,
            },
            Self::Control { byte, value } => Self::Control {
                byte: byte + before,
                value,
            },
            Self::NotSame { byte, encoding } => Self::NotSame {
                byte: byte + before,
                encoding,
            },
            Self::Input(error) => Self::Input(error),
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Input(error) => error.zh(),
            Self::NotText {
                byte,
                value,
                encoding,
            } => format!(
                "第 {byte} 个字节（{value:02X}）不是有效的 {} 文本，保持十六进制；可换一种编码再转换",
                encoding.label()
            ),
            Self::Control { byte, value } => format!(
                "第 {byte} 个字节（{value:02X}）是控制字符，保持十六进制；勾选“转义”后可以写成文本"
            ),
            Self::NotSame { byte, encoding } => format!(
                "按 {} 文本发送时第 {byte} 个字节会不同，保持十六进制",
                encoding.label()
            ),
        }
    }
}

impl std::error::Error for ConvertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Input(error) => Some(error),
            Self::NotText { .. } | Self::Control { .. } | Self::NotSame { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(encoding: TextEncoding, escapes: bool) -> SendOptions {
        SendOptions {
            encoding,
            escapes,
            ..SendOptions::default()
        }
    }

    #[test]
    fn text_becomes_its_bytes_in_the_chosen_encoding() {
        let gbk = options(TextEncoding::Gbk, false);
        assert_eq!(text_to_hex("你好", &gbk), Ok("C4 E3 BA C3".to_owned()));
        let utf8 = options(TextEncoding::Utf8, false);
        assert_eq!(
            text_to_hex("你好", &utf8),
            Ok("E4 BD A0 E5 A5 BD".to_owned())
        );
        // Escapes are read when on, and the checksum and line ending are not part of the box.
        let escaped = SendOptions {
            line_ending: crate::codec::LineEnding::CrLf,
            checksum: crate::codec::Checksum::Sum8,
            ..options(TextEncoding::Utf8, true)
        };
        assert_eq!(
            text_to_hex(r"AT\r\n", &escaped),
            Ok("41 54 0D 0A".to_owned())
        );
        assert_eq!(text_to_hex("", &utf8), Ok(String::new()));
    }

    #[test]
    fn text_the_encoding_cannot_write_stays_text() {
        let error = text_to_hex("a😀", &options(TextEncoding::Gbk, false)).unwrap_err();
        assert_eq!(error.position(), 2);
        assert!(error.to_string().contains("GBK"), "{error}");
    }

    #[test]
    fn hex_becomes_text_when_it_is_clean_text() {
        let gbk = options(TextEncoding::Gbk, false);
        assert_eq!(hex_to_text("C4 E3 BA C3", &gbk), Ok("你好".to_owned()));
        assert_eq!(hex_to_text("0x41,0x0A,0x42", &gbk), Ok("A\nB".to_owned()));
        let escaped = options(TextEncoding::Utf8, true);
        assert_eq!(
            hex_to_text("41 54 0D 0A 5C", &escaped),
            Ok(r"AT\r\n\\".to_owned())
        );
    }

    #[test]
    fn hex_that_is_not_clean_text_stays_hex_and_says_why() {
        let utf8 = options(TextEncoding::Utf8, false);
        let error = hex_to_text("01 03 00 00 00 01", &utf8).unwrap_err();
        assert_eq!(error, ConvertError::Control { byte: 1, value: 1 });
        assert!(error.to_string().contains("Escapes"), "{error}");
        assert!(error.zh().contains("转义"), "{}", error.zh());

        let error = hex_to_text("41 FF", &utf8).unwrap_err();
        assert_eq!(
            error,
            ConvertError::NotText {
                byte: 2,
                value: 0xFF,
                encoding: TextEncoding::Utf8
            }
        );
        let error = hex_to_text("E4 BD A0 41 0D", &utf8).unwrap_err();
        assert_eq!(
            error,
            ConvertError::Control {
                byte: 5,
                value: 0x0D
            }
        );

        // GBK reads A2 E3 as €, which it writes as 80.
        let error = hex_to_text("41 A2 E3", &options(TextEncoding::Gbk, false)).unwrap_err();
        assert_eq!(
            error,
            ConvertError::NotSame {
                byte: 2,
                encoding: TextEncoding::Gbk
            }
        );

        let error = hex_to_text("AA 5G", &utf8).unwrap_err();
        assert!(matches!(error, ConvertError::Input(SendError::Hex(_))));
        assert!(error.to_string().starts_with("position 5"), "{error}");
    }

    #[test]
    fn variables_stay_as_typed_and_braces_keep_their_meaning() {
        let utf8 = options(TextEncoding::Utf8, false);
        assert_eq!(
            text_to_hex("AB{counter:2}{{{crc16modbus}", &utf8),
            Ok("41 42 {counter:2} 7B {crc16modbus}".to_owned())
        );
        assert_eq!(
            hex_to_text("41 {counter:2} 7B 63 7D {sum8}", &utf8),
            Ok("A{counter:2}{{c}}{sum8}".to_owned()),
            "the bytes of {{c}} are written so they send as {{c}}, not a variable"
        );
        // Braces around a variable: the escapes the first piece opens are closed in the last.
        let text = hex_to_text("7B 7B {counter} 7D 7D", &utf8).unwrap();
        assert_eq!(text, "{{{{{counter}}}}}");
        let sent = template::Template::parse(&text, &utf8, Scope::SEND)
            .unwrap()
            .render(template::Values::new(1, std::time::SystemTime::now()));
        assert_eq!(sent.as_ref(), b"{{1}}");
        let error = hex_to_text("41 {counter:2} FF", &utf8).unwrap_err();
        assert_eq!(
            error,
            ConvertError::NotText {
                byte: 2,
                value: 0xFF,
                encoding: TextEncoding::Utf8
            },
            "byte numbers count the literal bytes of the whole message"
        );
        let error = text_to_hex("x{conter}", &utf8).unwrap_err();
        assert_eq!(error.position(), 2);
        let error = hex_to_text("41 {conter}", &utf8).unwrap_err();
        assert!(matches!(error, ConvertError::Input(SendError::Variable(_))));
    }

    #[test]
    fn variables_whose_bytes_depend_on_the_mode_are_named() {
        assert_eq!(
            mode_dependent(
                "温度{counter}℃{sum8}{time}{counter}{unix}{unix_ms}{rand:3}{counter:2}",
                InputMode::Text,
                false
            ),
            [
                "{counter}",
                "{unix}",
                "{unix_ms}",
                "{rand:3}",
                "{counter:2}"
            ]
        );
        assert_eq!(
            mode_dependent("AA {counter:2} {crc16modbus}", InputMode::Hex, false),
            ["{counter:2}"]
        );
        // Escaped or doubled braces are no variables.
        assert!(mode_dependent(r"{{counter}} \u{41}", InputMode::Text, true).is_empty());
        assert!(mode_dependent("{time} {sum8:2} {xor8}", InputMode::Text, false).is_empty());
    }

    #[test]
    fn a_round_trip_keeps_every_byte() {
        for encoding in TextEncoding::ALL {
            let escaped = options(encoding, true);
            let all: Vec<u8> = (0..=255).collect();
            if let Ok(text) = hex_to_text(&hex::format(&all), &escaped) {
                assert_eq!(text_to_hex(&text, &escaped), Ok(hex::format(&all)));
            }
            let text = hex_to_text("48 69 0A 09 5C", &escaped).unwrap();
            assert_eq!(
                text_to_hex(&text, &escaped),
                Ok("48 69 0A 09 5C".to_owned())
            );
        }
    }
}
