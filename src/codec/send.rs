//! The send pipeline: what a user typed in the send box (or passed to `--send`/`--send-hex`) becomes the
//! bytes to send. This is the only place that does it, so the GUI, quick commands, periodic send and the
//! command line all send the same bytes for the same input.
//!
//! Order: the input is read as hex, or as text (escapes first, if on, then the text encoding); the
//! checksum of those bytes is appended; the line ending goes last, so a receiver that splits on it gets the
//! checksum inside the message.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::checksum::Checksum;
use super::escape::{self, EscapeError, Piece};
use super::hex::{self, HexError};
use super::template::VariableError;
use super::text::{EncodeError, TextEncoding};
use crate::i18n::{Lang, Text};

/// How the send box is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InputMode {
    /// Text, encoded with the chosen encoding.
    #[default]
    Text,
    /// Hex digits such as `AA 55 01`; see [`hex::parse`].
    Hex,
}

impl InputMode {
    /// Every mode, in the order a menu should offer them.
    pub const ALL: [Self; 2] = [Self::Text, Self::Hex];

    /// A short name for menus.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::Hex => "Hex",
        }
    }
}

/// A line ending appended to each message sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LineEnding {
    /// Nothing appended.
    #[default]
    None,
    /// `\r` (0D).
    Cr,
    /// `\n` (0A).
    Lf,
    /// `\r\n` (0D 0A), what Windows tools and many devices expect.
    CrLf,
}

impl std::str::FromStr for LineEnding {
    type Err = String;

    /// A line ending by name, as the command line takes it: `none`, `cr`, `lf`, `crlf`.
    fn from_str(typed: &str) -> Result<Self, String> {
        super::choice_by_name(
            &Self::ALL,
            Self::label,
            &["none", "cr", "lf", "crlf"],
            typed,
        )
    }
}

impl LineEnding {
    /// Every line ending, in the order a menu should offer them.
    pub const ALL: [Self; 4] = [Self::None, Self::Cr, Self::Lf, Self::CrLf];

    /// A short name for menus.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Cr => "CR (\\r)",
            Self::Lf => "LF (\\n)",
            Self::CrLf => "CRLF (\\r\\n)",
        }
    }

    /// The bytes appended.
    #[must_use]
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Self::None => b"",
            Self::Cr => b"\r",
            Self::Lf => b"\n",
            Self::CrLf => b"\r\n",
        }
    }
}

/// The name a menu shows, in the window's language.
impl Text for LineEnding {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::None => lang.pick("None", "无").to_owned(),
            other => other.label().to_owned(),
        }
    }
}

/// Everything that decides how typed input becomes bytes. Saved in presets.
///
/// ```
/// use netassist::codec::{Checksum, InputMode, LineEnding, SendOptions};
///
/// let at = SendOptions { line_ending: LineEnding::CrLf, ..SendOptions::default() };
/// assert_eq!(at.build("AT")?, b"AT\r\n");
///
/// let escaped = SendOptions { escapes: true, ..SendOptions::default() };
/// assert_eq!(escaped.build("\\x02go\\x03")?, b"\x02go\x03");
///
/// let modbus = SendOptions {
///     input: InputMode::Hex,
///     checksum: Checksum::Crc16Modbus,
///     ..SendOptions::default()
/// };
/// assert_eq!(modbus.build("01 03 00 00 00 0A")?, [1, 3, 0, 0, 0, 0x0A, 0xC5, 0xCD]);
///
/// let error = SendOptions { input: InputMode::Hex, ..SendOptions::default() }.build("AA 55 G1");
/// assert_eq!(error.unwrap_err().to_string(), "position 7: 'G' is not a hex digit");
/// # Ok::<(), netassist::codec::SendError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct SendOptions {
    /// Whether the input is text or hex.
    pub input: InputMode,
    /// The encoding for text input.
    pub encoding: TextEncoding,
    /// Whether backslash escapes (`\r`, `\x03`, ...) in text input are read; off by default, so a
    /// backslash is sent as typed.
    pub escapes: bool,
    /// Appended last, after the checksum, in both input modes.
    pub line_ending: LineEnding,
    /// Appended after the data, in both input modes.
    pub checksum: Checksum,
}

impl SendOptions {
    /// The bytes to send for `input`, or what is wrong with it and where.
    pub fn build(&self, input: &str) -> Result<Vec<u8>, SendError> {
        let mut out = self.data(input)?;
        self.checksum.append(&mut out);
        out.extend_from_slice(self.line_ending.bytes());
        Ok(out)
    }

    /// The bytes `input` stands for, before the checksum and the line ending: what the send box holds.
    pub fn data(&self, input: &str) -> Result<Vec<u8>, SendError> {
        self.data_at(input, 1)
    }

    /// [`Self::data`] for a piece of longer input whose first character is at `position` (from 1), so an
    /// error names its place in the whole input.
    pub(crate) fn data_at(self, input: &str, position: usize) -> Result<Vec<u8>, SendError> {
        match self.input {
            InputMode::Hex => Ok(hex::parse_at(input, position)?),
            InputMode::Text => self.encode_text(input, position),
        }
    }

    fn encode_text(self, input: &str, position: usize) -> Result<Vec<u8>, SendError> {
        let mut out = Vec::with_capacity(input.len());
        if !self.escapes {
            encode_at(self.encoding, input, position, &mut out)?;
            return Ok(out);
        }
        for piece in escape::parse_at(input, position) {
            match piece? {
                Piece::Text { text, position } => {
                    encode_at(self.encoding, text, position, &mut out)?;
                }
                Piece::Char { ch, position } => {
                    encode_at(
                        self.encoding,
                        ch.encode_utf8(&mut [0; 4]),
                        position,
                        &mut out,
                    )?;
                }
                Piece::Byte(byte) => out.push(byte),
            }
        }
        Ok(out)
    }
}

/// Encodes a piece of the input that starts at `position`, so an error names its place in the whole input.
fn encode_at(
    encoding: TextEncoding,
    text: &str,
    position: usize,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    encoding
        .encode_into(text, out)
        .map_err(|error| EncodeError {
            position: error.position + position - 1,
            ..error
        })
}

/// Why typed input could not become bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendError {
    /// The hex input is not valid hex.
    Hex(HexError),
    /// An escape in the text input is not valid.
    Escape(EscapeError),
    /// The text has a character the encoding cannot write.
    Encode(EncodeError),
    /// A variable (`{...}`, `$N`) that does not exist or cannot be used here; see [`super::template`].
    Variable(VariableError),
    /// Input for a send that makes no bytes at all (only spaces in hex, say): there is nothing to send,
    /// and a send of nothing would be counted without a row to show for it.
    Nothing,
}

impl SendError {
    /// Where the problem is in the input, counted in characters from 1.
    #[must_use]
    pub fn position(&self) -> usize {
        match self {
            Self::Hex(error) => error.position(),
            Self::Escape(error) => error.position(),
            Self::Encode(error) => error.position,
            Self::Variable(error) => error.position(),
            Self::Nothing => 1,
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Hex(error) => error.zh(),
            Self::Escape(error) => error.zh(),
            Self::Encode(error) => error.zh(),
            Self::Variable(error) => error.zh(),
            Self::Nothing => "没有可发送的内容：它不产生任何字节".to_owned(),
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hex(error) => error.fmt(f),
            Self::Escape(error) => error.fmt(f),
            Self::Encode(error) => error.fmt(f),
            Self::Variable(error) => error.fmt(f),
            Self::Nothing => f.write_str("nothing to send: it makes no bytes"),
        }
    }
}

impl std::error::Error for SendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Hex(error) => Some(error),
            Self::Escape(error) => Some(error),
            Self::Encode(error) => Some(error),
            Self::Variable(error) => Some(error),
            Self::Nothing => None,
        }
    }
}

impl From<HexError> for SendError {
    fn from(error: HexError) -> Self {
        Self::Hex(error)
    }
}

impl From<EscapeError> for SendError {
    fn from(error: EscapeError) -> Self {
        Self::Escape(error)
    }
}

impl From<EncodeError> for SendError {
    fn from(error: EncodeError) -> Self {
        Self::Encode(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::text::{ControlStyle, decode_for_display};

    #[test]
    fn line_endings_by_name() {
        for (typed, ending) in [
            ("none", LineEnding::None),
            ("cr", LineEnding::Cr),
            ("LF", LineEnding::Lf),
            ("crlf", LineEnding::CrLf),
        ] {
            assert_eq!(typed.parse::<LineEnding>(), Ok(ending), "{typed}");
        }
        assert!("nl".parse::<LineEnding>().is_err());
    }

    fn text(encoding: TextEncoding, escapes: bool) -> SendOptions {
        SendOptions {
            encoding,
            escapes,
            ..SendOptions::default()
        }
    }

    fn hex_input() -> SendOptions {
        SendOptions {
            input: InputMode::Hex,
            ..SendOptions::default()
        }
    }

    #[test]
    fn defaults_send_utf8_text_as_typed() {
        let options = SendOptions::default();
        assert_eq!(options.input, InputMode::Text);
        assert_eq!(options.encoding, TextEncoding::Utf8);
        assert!(!options.escapes);
        assert_eq!(options.line_ending, LineEnding::None);
        assert_eq!(options.checksum, Checksum::None);
        assert_eq!(
            options.build("hi\\r\\n 你好"),
            Ok("hi\\r\\n 你好".as_bytes().to_vec())
        );
    }

    #[test]
    fn escapes_when_asked() {
        let options = text(TextEncoding::Utf8, true);
        assert_eq!(options.build("AT\\r\\n"), Ok(b"AT\r\n".to_vec()));
        assert_eq!(options.build("\\x02go\\x03"), Ok(b"\x02go\x03".to_vec()));
    }

    #[test]
    fn hex_escapes_are_raw_bytes_whatever_the_encoding() {
        for encoding in TextEncoding::ALL {
            assert_eq!(text(encoding, true).build("\\xFF"), Ok(vec![0xFF]));
        }
        // As a character, U+00FF would have become C3 BF in UTF-8.
        assert_eq!(
            text(TextEncoding::Utf8, true).build("\\u{FF}"),
            Ok(vec![0xC3, 0xBF])
        );
    }

    #[test]
    fn gbk_text_with_escapes() {
        assert_eq!(
            text(TextEncoding::Gbk, true).build("你好\\r\\n"),
            Ok(vec![0xC4, 0xE3, 0xBA, 0xC3, b'\r', b'\n'])
        );
    }

    #[test]
    fn line_ending_and_checksum_follow_the_data() {
        let crlf = SendOptions {
            line_ending: LineEnding::CrLf,
            ..SendOptions::default()
        };
        assert_eq!(crlf.build("OK"), Ok(b"OK\r\n".to_vec()));
        let modbus = SendOptions {
            checksum: Checksum::Crc16Modbus,
            ..hex_input()
        };
        assert_eq!(
            modbus.build("01 03 00 00 00 0A"),
            Ok(vec![0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD])
        );
        let both = SendOptions {
            checksum: Checksum::Xor8,
            line_ending: LineEnding::Lf,
            ..SendOptions::default()
        };
        assert_eq!(both.build("123456789"), Ok(b"1234567891\n".to_vec()));
        for line_ending in LineEnding::ALL {
            assert!(!line_ending.label().is_empty());
        }
    }

    #[test]
    fn hex_input_ignores_encoding_and_escapes() {
        let options = SendOptions {
            encoding: TextEncoding::Gbk,
            escapes: true,
            ..hex_input()
        };
        assert_eq!(options.build("0xAA,0x55"), Ok(vec![0xAA, 0x55]));
    }

    #[test]
    fn errors_name_the_position_in_what_was_typed() {
        let error = hex_input().build("AA 55 G1").unwrap_err();
        assert_eq!(error.to_string(), "position 7: 'G' is not a hex digit");
        assert_eq!(error.position(), 7);
        assert_eq!(error.zh(), "第 7 个字符：'G' 不是十六进制数字");
        assert!(std::error::Error::source(&error).is_some());

        let error = text(TextEncoding::Utf8, true).build("ab\\q").unwrap_err();
        assert!(matches!(error, SendError::Escape(_)));
        assert_eq!(error.position(), 3);

        // The emoji is the 6th character typed, after an escape that is 2 characters long.
        let error = text(TextEncoding::Gbk, true)
            .build("你\\r好 😀")
            .unwrap_err();
        assert_eq!(error.position(), 6);
        // ...and an escaped character that cannot be encoded is named at its backslash.
        let error = text(TextEncoding::Ascii, true)
            .build("ok \\u{E9}")
            .unwrap_err();
        assert_eq!(error.position(), 4);
        assert_eq!(
            error.to_string(),
            "position 4: 'é' cannot be written in ASCII; remove it or choose UTF-8, which can write any character"
        );
        let error = text(TextEncoding::Latin1, false).build("a€").unwrap_err();
        assert_eq!(error.position(), 2);
    }

    #[test]
    fn display_text_in_the_escapes_style_sends_the_same_bytes() {
        let received: &[u8] = b"OK\r\n\x00\x1B[1m C:\\dir \xFF\xFE end\x85";
        for encoding in [
            TextEncoding::Utf8,
            TextEncoding::Ascii,
            TextEncoding::Latin1,
        ] {
            let shown = decode_for_display(received, encoding, ControlStyle::Escapes);
            assert_eq!(
                text(encoding, true).build(&shown),
                Ok(received.to_vec()),
                "{encoding:?} showed {shown:?}"
            );
        }
    }
}
