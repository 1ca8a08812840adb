//! A kept self-signed certificate that no longer fits ([`KeptProblem`]). A server reuses the pair it
//! made and saved ([`super::TlsIdentity::SelfSigned`]), as its clients were given that certificate, and
//! never replaces the files; when the certificate is out of date, or does not name the address the
//! server binds, the session says so and goes on with it.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::{CertSummary, TlsIdentity, utc};
use crate::i18n::Lang;

/// How soon an expiry is worth saying before it happens.
const SOON: Duration = Duration::from_hours(24);

/// What is wrong with a kept self-signed certificate, which is still used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptProblem {
    /// The certificate's file.
    pub file: String,
    /// It is out of date, or soon will be.
    pub expiry: Option<Expiry>,
    /// The address the server binds, which the certificate does not name (in its subjectAltName).
    pub unnamed: Option<IpAddr>,
}

/// When a kept certificate stops being valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// It expired at this moment.
    Expired(SystemTime),
    /// It expires at this moment, within a day.
    Soon(SystemTime),
}

/// The certificate file of a self-signed pair that `identity` keeps and that is there already (so it
/// will be used, not made).
pub(crate) fn kept_file(identity: &TlsIdentity) -> Option<&Path> {
    match identity {
        TlsIdentity::SelfSigned {
            save: Some((cert, _)),
        } if cert.exists() => Some(cert),
        _ => None,
    }
}

impl KeptProblem {
    /// What is wrong with `certificate`, kept in `file`, for a server binding `bind`, at `now`; `None`
    /// when it fits. A server on every address (`0.0.0.0`) is reached by names the certificate was
    /// made with.
    pub(crate) fn of(
        certificate: &CertSummary,
        file: &Path,
        bind: SocketAddr,
        now: SystemTime,
    ) -> Option<Self> {
        let not_after = certificate.not_after;
        let expiry = if not_after <= now {
            Some(Expiry::Expired(not_after))
        } else {
            (not_after <= now + SOON).then_some(Expiry::Soon(not_after))
        };
        let ip = bind.ip();
        let unnamed = (!ip.is_unspecified() && !certificate.names.contains(&format!("IP:{ip}")))
            .then_some(ip);
        (expiry.is_some() || unnamed.is_some()).then(|| Self {
            file: file.display().to_string(),
            expiry,
            unnamed,
        })
    }

    /// What is wrong, that it is still used, and what to do, in `lang`.
    #[must_use]
    pub fn text(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        let mut text = if en {
            format!("The kept self-signed certificate {}", self.file)
        } else {
            format!("保存的自签名证书 {}", self.file)
        };
        let mut problems = Vec::new();
        match (self.expiry, en) {
            (Some(Expiry::Expired(at)), true) => problems.push(format!("expired on {}", utc(at))),
            (Some(Expiry::Expired(at)), false) => problems.push(format!("已于 {} 过期", utc(at))),
            (Some(Expiry::Soon(at)), true) => {
                problems.push(format!("expires within a day, on {}", utc(at)));
            }
            (Some(Expiry::Soon(at)), false) => {
                problems.push(format!("将在一天内（{}）过期", utc(at)));
            }
            (None, _) => {}
        }
        if let Some(ip) = self.unnamed {
            problems.push(if en {
                format!(
                    "does not name {ip}, the address this server binds, so a client that checks names \
                     and connects to it refuses it"
                )
            } else {
                format!("没有包含本服务器绑定的地址 {ip}，按名称校验并连接该地址的客户端会拒绝它")
            });
        }
        text.push_str(if en { " " } else { "" });
        text.push_str(&problems.join(lang.pick(", and ", "，并且")));
        text.push_str(lang.pick(
            ". It is still used, as NetAssist never replaces the files it kept; to make a new one, \
             delete the certificate and its key file, then open again (and give clients the new \
             certificate).",
            "。它仍被使用，因为 NetAssist 从不替换已保存的文件；如需生成新证书，请删除该证书及其私钥文件后\
             重新打开（并把新证书交给客户端）。",
        ));
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(names: &[&str], not_after: SystemTime) -> CertSummary {
        CertSummary {
            subject: "CN=NetAssist self-signed".to_owned(),
            issuer: "CN=NetAssist self-signed".to_owned(),
            sha256: [0; 32],
            not_before: SystemTime::UNIX_EPOCH,
            not_after,
            names: names.iter().map(|name| (*name).to_owned()).collect(),
        }
    }

    #[test]
    fn a_kept_certificate_out_of_date_or_not_for_the_address_bound_is_told_in_both_languages() {
        let now = SystemTime::now();
        let file = Path::new("board.cert.pem");
        let bind: SocketAddr = "192.168.7.9:8883".parse().unwrap();
        let names = ["DNS:localhost", "IP:127.0.0.1", "IP:192.168.7.9"];
        let year = now + Duration::from_hours(365 * 24);
        assert_eq!(
            KeptProblem::of(&certificate(&names, year), file, bind, now),
            None
        );
        let every: SocketAddr = "0.0.0.0:8883".parse().unwrap();
        let local = certificate(&names[..2], year);
        assert_eq!(KeptProblem::of(&local, file, every, now), None);

        let other = KeptProblem::of(&local, file, bind, now).unwrap();
        assert_eq!(other.unnamed, Some(bind.ip()));
        assert_eq!(other.expiry, None);
        let en = other.text(Lang::En);
        assert!(
            en.starts_with(
                "The kept self-signed certificate board.cert.pem does not name 192.168.7.9, the address"
            ),
            "{en}"
        );
        assert!(en.contains("It is still used"), "{en}");
        assert!(other.text(Lang::Zh).contains("192.168.7.9"));

        let soon = now + Duration::from_hours(2);
        let expiring = KeptProblem::of(&certificate(&names, soon), file, bind, now).unwrap();
        assert_eq!(expiring.expiry, Some(Expiry::Soon(soon)));
        assert!(expiring.text(Lang::En).contains("expires within a day"));
        let past = now - Duration::from_secs(1);
        let both = KeptProblem::of(&certificate(&names[..2], past), file, bind, now).unwrap();
        let en = both.text(Lang::En);
        assert!(
            en.contains("expired on ") && en.contains(", and does not name 192.168.7.9"),
            "{en}"
        );
        let zh = both.text(Lang::Zh);
        assert!(zh.contains("过期") && zh.contains("仍被使用"), "{zh}");
    }
}
