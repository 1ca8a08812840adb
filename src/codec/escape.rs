//! Backslash escapes in typed text: `\r \n \t \\ \0 \xNN \u{..}`.
//!
//! [`parse`] splits what a user typed into pieces for the send pipeline; [`push_escaped`] writes a
//! character so that [`parse`] reads it back as the same character, which is how the display shows
//! control characters in its "escapes" style. `\xNN` is a raw byte, sent as is whatever the text encoding,
//! so any byte can be typed.

use std::fmt::{self, Write as _};

use super::hex::push_pair;

/// The escapes [`parse`] understands besides `\\` (which messages name on its own, as the way to write a
/// backslash), for messages that list them.
const KNOWN: &str = "\\r \\n \\t \\0 \\xNN \\u{...}";

/// One piece of typed text, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A run of text exactly as typed, still to be encoded.
    Text {
        /// The text.
        text: &'a str,
        /// Where its first character is, counted in characters from 1.
        position: usize,
    },
    /// A character written as an escape (`\n`, `\u{4F60}`), still to be encoded.
    Char {
        /// The character.
        ch: char,
        /// Where its backslash is, counted in characters from 1.
        position: usize,
    },
    /// A byte written as `\xNN`, sent as is.
    Byte(u8),
}

/// Why typed escapes could not be read. Positions count characters from 1 in what the user typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EscapeError {
    /// A backslash at the very end, with nothing to escape.
    LoneBackslash {
        /// Where the backslash is.
        position: usize,
    },
    /// A backslash followed by a character that is not one of the known escapes.
    Unknown {
        /// Where the backslash is.
        position: usize,
        /// The character after it.
        ch: char,
    },
    /// A `\x` escape without two hex digits after it.
    ShortHex {
        /// Where the backslash is.
        position: usize,
    },
    /// A character where a hex digit must be, in `\xNN` or `\u{..}`.
    NotHexDigit {
        /// Where the character is.
        position: usize,
        /// The character.
        ch: char,
    },
    /// A `\u` escape not written as `\u{` one to six hex digits `}`.
    UnicodeForm {
        /// Where the backslash is.
        position: usize,
    },
    /// A `\u{..}` value that is not a Unicode character (a surrogate, or above `10FFFF`).
    NotAChar {
        /// Where the backslash is.
        position: usize,
        /// The value written.
        value: u32,
    },
}

impl EscapeError {
    /// Where the problem is, counted in characters from 1.
    #[must_use]
    pub fn position(&self) -> usize {
        match *self {
            Self::LoneBackslash { position }
            | Self::Unknown { position, .. }
            | Self::ShortHex { position }
            | Self::NotHexDigit { position, .. }
            | Self::UnicodeForm { position }
            | Self::NotAChar { position, .. } => position,
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match *self {
            Self::LoneBackslash { position } => {
                format!("第 {position} 个字符：末尾的 '\\' 后面没有内容；反斜杠本身请写作 \\\\")
            }
            Self::Unknown { position, ch } => format!(
                "第 {position} 个字符：'\\{ch}' 不是可识别的转义；可用 {KNOWN}，反斜杠本身请写作 \\\\"
            ),
            Self::ShortHex { position } => {
                format!("第 {position} 个字符：\\x 后面需要两位十六进制数字，例如 \\x0D")
            }
            Self::NotHexDigit { position, ch } => {
                format!("第 {position} 个字符：{ch:?} 不是十六进制数字")
            }
            Self::UnicodeForm { position } => format!(
                "第 {position} 个字符：\\u 转义应写成 \\u{{...}}，括号内为 1 到 6 位十六进制数字，例如 \\u{{4F60}}"
            ),
            Self::NotAChar { position, value } => {
                format!("第 {position} 个字符：\\u{{{value:X}}} 不是有效的 Unicode 字符")
            }
        }
    }
}

impl fmt::Display for EscapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::LoneBackslash { position } => write!(
                f,
                "position {position}: '\\' at the end has nothing to escape; write \\\\ for a backslash"
            ),
            Self::Unknown { position, ch } => write!(
                f,
                "position {position}: '\\{ch}' is not an escape; use {KNOWN}, and \\\\ for a backslash"
            ),
            Self::ShortHex { position } => write!(
                f,
                "position {position}: \\x needs two hex digits after it, as in \\x0D"
            ),
            Self::NotHexDigit { position, ch } => {
                write!(f, "position {position}: {ch:?} is not a hex digit")
            }
            Self::UnicodeForm { position } => write!(
                f,
                "position {position}: write \\u with one to six hex digits in braces, as in \\u{{4F60}}"
            ),
            Self::NotAChar { position, value } => write!(
                f,
                "position {position}: \\u{{{value:X}}} is not a Unicode character"
            ),
        }
    }
}

impl std::error::Error for EscapeError {}

/// Splits typed text into [`Piece`]s, reading its backslash escapes. The iterator ends after the first
/// error.
#[must_use]
pub fn parse(input: &str) -> Pieces<'_> {
    parse_at(input, 1)
}

/// [`parse`] for a piece of longer input whose first character is at `position` (from 1), so pieces and
/// errors name their place in the whole input.
pub(crate) fn parse_at(input: &str, position: usize) -> Pieces<'_> {
    Pieces {
        rest: input,
        position,
        failed: false,
    }
}

/// The pieces of typed text, from [`parse`].
#[derive(Clone, Debug)]
pub struct Pieces<'a> {
    /// What is still to be read.
    rest: &'a str,
    /// Position of the first character of `rest` in the whole input.
    position: usize,
    /// An error was returned, so there is nothing more to read reliably.
    failed: bool,
}

impl<'a> Pieces<'a> {
    /// Moves past `bytes` bytes holding `chars` characters.
    fn advance(&mut self, bytes: usize, chars: usize) {
        self.rest = &self.rest[bytes..];
        self.position += chars;
    }

    /// Reads the escape at the start of `rest`, which begins with a backslash.
    fn escape(&mut self) -> Result<Piece<'a>, EscapeError> {
        let position = self.position;
        let mut chars = self.rest[1..].chars();
        let Some(kind) = chars.next() else {
            return Err(EscapeError::LoneBackslash { position });
        };
        let simple = match kind {
            'r' => Some('\r'),
            'n' => Some('\n'),
            't' => Some('\t'),
            '0' => Some('\0'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            self.advance(2, 2);
            return Ok(Piece::Char { ch, position });
        }
        match kind {
            'x' => {
                let mut value = 0;
                for offset in 2..4 {
                    let ch = chars.next().ok_or(EscapeError::ShortHex { position })?;
                    let digit = ch.to_digit(16).ok_or(EscapeError::NotHexDigit {
                        position: position + offset,
                        ch,
                    })?;
                    value = (value << 4) | digit;
                }
                self.advance(4, 4);
                Ok(Piece::Byte(value as u8))
            }
            'u' => {
                if chars.next() != Some('{') {
                    return Err(EscapeError::UnicodeForm { position });
                }
                let mut value = 0_u32;
                let mut digits = 0;
                loop {
                    let ch = chars.next().ok_or(EscapeError::UnicodeForm { position })?;
                    if ch == '}' {
                        break;
                    }
                    let digit = ch.to_digit(16).ok_or(EscapeError::NotHexDigit {
                        position: position + 3 + digits,
                        ch,
                    })?;
                    digits += 1;
                    if digits > 6 {
                        return Err(EscapeError::UnicodeForm { position });
                    }
                    value = (value << 4) | digit;
                }
                if digits == 0 {
                    return Err(EscapeError::UnicodeForm { position });
                }
                let ch = char::from_u32(value).ok_or(EscapeError::NotAChar { position, value })?;
                // Backslash, `u`, braces and digits are all one byte each.
                self.advance(4 + digits, 4 + digits);
                Ok(Piece::Char { ch, position })
            }
            ch => Err(EscapeError::Unknown { position, ch }),
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Result<Piece<'a>, EscapeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        if self.rest.starts_with('\\') {
            let piece = self.escape();
            self.failed = piece.is_err();
            return Some(piece);
        }
        let end = memchr::memchr(b'\\', self.rest.as_bytes()).unwrap_or(self.rest.len());
        let text = &self.rest[..end];
        let piece = Piece::Text {
            text,
            position: self.position,
        };
        self.advance(end, text.chars().count());
        Some(Ok(piece))
    }
}

/// Appends `ch` so that [`parse`] reads it back as the same character: a backslash, control characters and
/// the byte-order mark (invisible otherwise) as escapes, anything else as is.
pub fn push_escaped(ch: char, out: &mut String) {
    match ch {
        '\\' => out.push_str("\\\\"),
        '\r' => out.push_str("\\r"),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        // C0 controls and DEL are one byte, the same byte, in every supported encoding.
        c if c.is_ascii_control() => push_byte_escape(c as u8, out),
        // C1 controls are encoded differently per encoding, so they are written as characters.
        c if c.is_control() || c == '\u{FEFF}' => {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\u{{{:X}}}", u32::from(c));
        }
        c => out.push(c),
    }
}

/// Appends `text` with [`push_escaped`] applied to each character.
pub fn escape_into(text: &str, out: &mut String) {
    out.reserve(text.len());
    // Runs of characters that stay as they are are copied whole: a character at a time was the slowest
    // step of showing and capturing text.
    let mut start = 0;
    for (index, ch) in text.char_indices() {
        // The characters push_escaped changes.
        if ch == '\\' || ch.is_control() || ch == '\u{FEFF}' {
            out.push_str(&text[start..index]);
            push_escaped(ch, out);
            start = index + ch.len_utf8();
        }
    }
    out.push_str(&text[start..]);
}

/// Appends a raw byte as `\xNN`, which [`parse`] reads back as that byte.
pub fn push_byte_escape(byte: u8, out: &mut String) {
    out.push_str("\\x");
    push_pair(byte, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &str) -> Result<Vec<Piece<'_>>, EscapeError> {
        parse(input).collect()
    }

    #[test]
    fn plain_text_is_one_piece() {
        assert_eq!(
            pieces("hello 你好"),
            Ok(vec![Piece::Text {
                text: "hello 你好",
                position: 1
            }])
        );
        assert_eq!(pieces(""), Ok(vec![]));
    }

    #[test]
    fn reads_each_escape() {
        assert_eq!(
            pieces("a\\r\\n\\t\\\\\\0b"),
            Ok(vec![
                Piece::Text {
                    text: "a",
                    position: 1
                },
                Piece::Char {
                    ch: '\r',
                    position: 2
                },
                Piece::Char {
                    ch: '\n',
                    position: 4
                },
                Piece::Char {
                    ch: '\t',
                    position: 6
                },
                Piece::Char {
                    ch: '\\',
                    position: 8
                },
                Piece::Char {
                    ch: '\0',
                    position: 10
                },
                Piece::Text {
                    text: "b",
                    position: 12
                },
            ])
        );
    }

    #[test]
    fn hex_escapes_are_raw_bytes() {
        assert_eq!(
            pieces("\\x03\\xff\\xAb"),
            Ok(vec![
                Piece::Byte(0x03),
                Piece::Byte(0xFF),
                Piece::Byte(0xAB)
            ])
        );
    }

    #[test]
    fn unicode_escapes_are_characters() {
        assert_eq!(
            pieces("你\\u{597D}!\\u{1F600}\\u{0}"),
            Ok(vec![
                Piece::Text {
                    text: "你",
                    position: 1
                },
                Piece::Char {
                    ch: '好',
                    position: 2
                },
                Piece::Text {
                    text: "!",
                    position: 10
                },
                Piece::Char {
                    ch: '😀',
                    position: 11
                },
                Piece::Char {
                    ch: '\0',
                    position: 20
                },
            ])
        );
    }

    #[test]
    fn reports_bad_escapes_with_their_position() {
        let cases = [
            ("ab\\", EscapeError::LoneBackslash { position: 3 }),
            (
                "好\\q",
                EscapeError::Unknown {
                    position: 2,
                    ch: 'q',
                },
            ),
            ("\\x4", EscapeError::ShortHex { position: 1 }),
            ("\\x", EscapeError::ShortHex { position: 1 }),
            (
                "ab\\x4G",
                EscapeError::NotHexDigit {
                    position: 6,
                    ch: 'G',
                },
            ),
            (
                "\\xG0",
                EscapeError::NotHexDigit {
                    position: 3,
                    ch: 'G',
                },
            ),
            ("\\u597D", EscapeError::UnicodeForm { position: 1 }),
            ("\\u{}", EscapeError::UnicodeForm { position: 1 }),
            ("\\u{597D", EscapeError::UnicodeForm { position: 1 }),
            ("\\u{1000000}", EscapeError::UnicodeForm { position: 1 }),
            (
                "x\\u{59Z}",
                EscapeError::NotHexDigit {
                    position: 7,
                    ch: 'Z',
                },
            ),
            (
                "\\u{D800}",
                EscapeError::NotAChar {
                    position: 1,
                    value: 0xD800,
                },
            ),
            (
                "\\u{110000}",
                EscapeError::NotAChar {
                    position: 1,
                    value: 0x11_0000,
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(pieces(input), Err(expected), "input {input:?}");
            assert_eq!(expected.position(), pieces(input).unwrap_err().position());
        }
    }

    #[test]
    fn stops_after_the_first_error() {
        let mut all = parse("a\\qb\\x");
        assert!(matches!(all.next(), Some(Ok(Piece::Text { .. }))));
        assert!(matches!(all.next(), Some(Err(EscapeError::Unknown { .. }))));
        assert_eq!(all.next(), None);
    }

    #[test]
    fn messages_say_what_to_write() {
        assert_eq!(
            EscapeError::Unknown {
                position: 5,
                ch: 'q'
            }
            .to_string(),
            "position 5: '\\q' is not an escape; use \\r \\n \\t \\0 \\xNN \\u{...}, and \\\\ for a backslash"
        );
        assert_eq!(
            EscapeError::ShortHex { position: 2 }.to_string(),
            "position 2: \\x needs two hex digits after it, as in \\x0D"
        );
        assert_eq!(
            EscapeError::NotAChar {
                position: 1,
                value: 0xD800
            }
            .to_string(),
            "position 1: \\u{D800} is not a Unicode character"
        );
        assert_eq!(
            EscapeError::LoneBackslash { position: 3 }.zh(),
            "第 3 个字符：末尾的 '\\' 后面没有内容；反斜杠本身请写作 \\\\"
        );
    }

    #[test]
    fn escapes_backslash_and_control_characters_only() {
        let mut out = String::new();
        escape_into("a\\b\r\n\t\0\x01\x7F\u{85}é你", &mut out);
        assert_eq!(out, "a\\\\b\\r\\n\\t\\0\\x01\\x7F\\u{85}é你");
    }

    #[test]
    fn escaped_text_reads_back_as_the_same_characters() {
        let original = "line\r\nnext\\tab\t\0\x1B[0m\u{9F}好";
        let mut escaped = String::new();
        escape_into(original, &mut escaped);
        let mut read_back = String::new();
        for piece in parse(&escaped) {
            match piece.unwrap() {
                Piece::Text { text, .. } => read_back.push_str(text),
                Piece::Char { ch, .. } => read_back.push(ch),
                Piece::Byte(byte) => read_back.push(char::from(byte)),
            }
        }
        assert_eq!(read_back, original);
    }

    #[test]
    fn byte_escapes_are_two_uppercase_digits() {
        let mut out = String::new();
        push_byte_escape(0xAB, &mut out);
        push_byte_escape(0x05, &mut out);
        assert_eq!(out, "\\xAB\\x05");
    }
}
