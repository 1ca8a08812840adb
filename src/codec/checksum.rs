//! Checksums appended on send: sum8, XOR8 (BCC), CRC-16/MODBUS, CRC-16/CCITT-FALSE and CRC-32.
//!
//! The CRCs come from the `crc` crate's catalogue of published algorithms; sum8 and XOR8 are one fold each.

use crc::{CRC_16_IBM_3740, CRC_16_MODBUS, CRC_32_ISO_HDLC, Crc};
use serde::{Deserialize, Serialize};

/// CRC-16/MODBUS. Statics, so each lookup table is built once at compile time and shared.
static CRC16_MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);
/// CRC-16/CCITT-FALSE, which the catalogue names CRC-16/IBM-3740.
static CRC16_CCITT_FALSE: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);
/// CRC-32 as used by zip, Ethernet and PNG, which the catalogue names CRC-32/ISO-HDLC.
static CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// A checksum appended to each message on send.
///
/// Byte order follows what devices expect: CRC-16/MODBUS goes low byte first, as Modbus RTU sends it; the
/// other CRCs go high byte first, the way calculators and manuals print them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Checksum {
    /// Nothing appended.
    #[default]
    None,
    /// The sum of all bytes, modulo 256: one byte.
    Sum8,
    /// The XOR of all bytes, also called BCC: one byte.
    Xor8,
    /// CRC-16/MODBUS: two bytes, low byte first.
    Crc16Modbus,
    /// CRC-16/CCITT-FALSE: two bytes, high byte first.
    Crc16CcittFalse,
    /// CRC-32 (zip, Ethernet): four bytes, high byte first.
    Crc32,
}

impl std::str::FromStr for Checksum {
    type Err = String;

    /// A checksum by name, as the command line takes it: `sum8`, `xor8` (or `bcc`), `crc16modbus`,
    /// `crc16-ccitt-false`, `crc32`, `none`; case and punctuation do not matter (`CRC-16/MODBUS` works
    /// too). Send variables are stricter: see [`Self::of_variable`].
    fn from_str(typed: &str) -> Result<Self, String> {
        if typed.eq_ignore_ascii_case(Self::ALIAS.0) {
            return Ok(Self::ALIAS.1);
        }
        super::choice_by_name(&Self::ALL, Self::label, &Self::NAMES, typed)
    }
}

impl Checksum {
    /// Every checksum, in the order a menu should offer them.
    pub const ALL: [Self; 6] = [
        Self::None,
        Self::Sum8,
        Self::Xor8,
        Self::Crc16Modbus,
        Self::Crc16CcittFalse,
        Self::Crc32,
    ];

    /// Each checksum's one name, as send variables (`{crc16modbus}`), the command line's `--checksum` and
    /// every message write it, in the order of [`Self::ALL`].
    pub const NAMES: [&'static str; 6] = [
        "none",
        "sum8",
        "xor8",
        "crc16modbus",
        "crc16-ccitt-false",
        "crc32",
    ];

    /// The other name a send variable may use: `{bcc}` for XOR8, as many manuals call it.
    pub const ALIAS: (&'static str, Self) = ("bcc", Self::Xor8);

    /// The checksum a send variable names, written exactly as in [`Self::NAMES`] (or [`Self::ALIAS`]);
    /// `none` is no variable.
    #[must_use]
    pub fn of_variable(name: &str) -> Option<Self> {
        if name == Self::ALIAS.0 {
            return Some(Self::ALIAS.1);
        }
        Self::NAMES
            .iter()
            .position(|known| *known == name)
            .map(|index| Self::ALL[index])
            .filter(|checksum| *checksum != Self::None)
    }

    /// A short name for menus.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Sum8 => "Sum8",
            Self::Xor8 => "XOR8 (BCC)",
            Self::Crc16Modbus => "CRC-16/MODBUS",
            Self::Crc16CcittFalse => "CRC-16/CCITT-FALSE",
            Self::Crc32 => "CRC-32",
        }
    }

    /// How many bytes the checksum adds.
    #[must_use]
    pub fn width(self) -> usize {
        match self {
            Self::None => 0,
            Self::Sum8 | Self::Xor8 => 1,
            Self::Crc16Modbus | Self::Crc16CcittFalse => 2,
            Self::Crc32 => 4,
        }
    }

    /// Appends the checksum of everything already in `message` to it.
    pub fn append(self, message: &mut Vec<u8>) {
        self.append_from(message, 0);
    }

    /// Appends the checksum of `message` from byte `from` (counted from 0) to its end, so a header such as
    /// `AA 55` can stay out of it; from past the end, the checksum of nothing.
    pub fn append_from(self, message: &mut Vec<u8>, from: usize) {
        let data = message.get(from..).unwrap_or_default();
        match self {
            Self::None => {}
            Self::Sum8 => {
                let sum = data.iter().fold(0_u8, |sum, &byte| sum.wrapping_add(byte));
                message.push(sum);
            }
            Self::Xor8 => {
                let xor = data.iter().fold(0_u8, |xor, &byte| xor ^ byte);
                message.push(xor);
            }
            Self::Crc16Modbus => {
                let crc = CRC16_MODBUS.checksum(data);
                message.extend_from_slice(&crc.to_le_bytes());
            }
            Self::Crc16CcittFalse => {
                let crc = CRC16_CCITT_FALSE.checksum(data);
                message.extend_from_slice(&crc.to_be_bytes());
            }
            Self::Crc32 => {
                let crc = CRC32.checksum(data);
                message.extend_from_slice(&crc.to_be_bytes());
            }
        }
    }
}

/// The name a menu shows, in the window's language.
impl crate::i18n::Text for Checksum {
    fn text(&self, lang: crate::i18n::Lang) -> String {
        match self {
            Self::None => lang.pick("None", "无").to_owned(),
            other => other.label().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published check input for CRC catalogues.
    const CHECK: &[u8] = b"123456789";

    #[test]
    fn checksums_by_the_names_people_type() {
        for (typed, checksum) in [
            ("none", Checksum::None),
            ("SUM8", Checksum::Sum8),
            ("xor8", Checksum::Xor8),
            ("bcc", Checksum::Xor8),
            ("crc16-modbus", Checksum::Crc16Modbus),
            ("CRC-16/MODBUS", Checksum::Crc16Modbus),
            ("crc16modbus", Checksum::Crc16Modbus),
            ("crc16-ccitt-false", Checksum::Crc16CcittFalse),
            ("crc32", Checksum::Crc32),
        ] {
            assert_eq!(typed.parse::<Checksum>(), Ok(checksum), "{typed}");
        }
        let error = "crc8".parse::<Checksum>().unwrap_err();
        assert_eq!(
            error,
            "'crc8' is not one of: none, sum8, xor8, crc16modbus, crc16-ccitt-false, crc32"
        );
    }

    #[test]
    fn variables_name_checksums_exactly() {
        assert_eq!(
            Checksum::of_variable("crc16modbus"),
            Some(Checksum::Crc16Modbus)
        );
        assert_eq!(Checksum::of_variable("bcc"), Some(Checksum::Xor8));
        assert_eq!(
            Checksum::of_variable("crc16-ccitt-false"),
            Some(Checksum::Crc16CcittFalse)
        );
        for not in [
            "crc16-modbus",
            "CRC16MODBUS",
            "Sum8",
            "none",
            "crc16ccittfalse",
            "",
        ] {
            assert_eq!(Checksum::of_variable(not), None, "{not}");
        }
    }

    fn appended(checksum: Checksum, data: &[u8]) -> Vec<u8> {
        let mut message = data.to_vec();
        checksum.append(&mut message);
        assert_eq!(message.len(), data.len() + checksum.width());
        assert_eq!(&message[..data.len()], data, "the data itself is unchanged");
        message.split_off(data.len())
    }

    #[test]
    fn matches_published_check_values() {
        // Check values from the CRC catalogue (reveng.sourceforge.io/crc-catalogue).
        assert_eq!(appended(Checksum::Crc16Modbus, CHECK), [0x37, 0x4B]); // 0x4B37, low byte first
        assert_eq!(appended(Checksum::Crc16CcittFalse, CHECK), [0x29, 0xB1]); // 0x29B1
        assert_eq!(appended(Checksum::Crc32, CHECK), [0xCB, 0xF4, 0x39, 0x26]); // 0xCBF43926
        // 0x31 + 0x32 + ... + 0x39 = 0x1DD; XOR of the same bytes is 0x31.
        assert_eq!(appended(Checksum::Sum8, CHECK), [0xDD]);
        assert_eq!(appended(Checksum::Xor8, CHECK), [0x31]);
        assert_eq!(appended(Checksum::None, CHECK), Vec::<u8>::new());
    }

    #[test]
    fn modbus_read_holding_registers_request() {
        // Slave 1, function 3, start 0, count 10: a request every Modbus manual prints as 01 03 00 00 00 0A C5 CD.
        assert_eq!(
            appended(Checksum::Crc16Modbus, &[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A]),
            [0xC5, 0xCD]
        );
    }

    #[test]
    fn checksums_of_nothing() {
        assert_eq!(appended(Checksum::Sum8, &[]), [0x00]);
        assert_eq!(appended(Checksum::Xor8, &[]), [0x00]);
        assert_eq!(appended(Checksum::Crc16Modbus, &[]), [0xFF, 0xFF]);
        assert_eq!(appended(Checksum::Crc32, &[]), [0, 0, 0, 0]);
    }

    #[test]
    fn a_checksum_may_leave_out_a_header() {
        let mut message = vec![0xAA, 0x55, 0x01, 0x02];
        Checksum::Sum8.append_from(&mut message, 2);
        assert_eq!(message, [0xAA, 0x55, 0x01, 0x02, 0x03]);
        let mut short = vec![0xAA];
        Checksum::Xor8.append_from(&mut short, 5);
        assert_eq!(
            short,
            [0xAA, 0x00],
            "from past the end: the checksum of nothing"
        );
    }

    #[test]
    fn sum8_wraps() {
        assert_eq!(appended(Checksum::Sum8, &[0xFF, 0x02]), [0x01]);
    }

    #[test]
    fn every_checksum_has_a_label_and_none_is_the_default() {
        assert_eq!(Checksum::default(), Checksum::None);
        for checksum in Checksum::ALL {
            assert!(!checksum.label().is_empty());
        }
    }
}
