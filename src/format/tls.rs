//! How TLS notes read: a finished handshake with the server's certificate, a server's own certificate, and
//! a half-close that came as a `close_notify` or without one, in English and Chinese.

use crate::engine::{CertSummary, Side, TlsClose, TlsInfo};
use crate::i18n::Lang;

/// A finished handshake: version, cipher suite, SNI, and (as a client) the server's certificate.
pub(super) fn established_text(info: &TlsInfo, lang: Lang) -> String {
    let en = lang == Lang::En;
    let mut text = if en {
        format!("TLS established: {}, {}", info.version, info.cipher_suite)
    } else {
        format!("TLS 已建立：{}，{}", info.version, info.cipher_suite)
    };
    if let Some(name) = &info.server_name {
        text.push_str(if en { ", SNI " } else { "，SNI " });
        text.push_str(name);
    }
    if let Some(certificate) = &info.certificate {
        text.push_str(if en {
            "; server certificate: "
        } else {
            "；服务器证书："
        });
        text.push_str(&certificate_text(certificate, lang));
        text.push_str(match (info.verified, en) {
            (true, true) => "; verified",
            (true, false) => "；已验证",
            (false, true) => "; NOT verified (any certificate accepted)",
            (false, false) => "；未验证（接受任何证书）",
        });
        if info.outside_validity {
            text.push_str(lang.pick(
                "; EXPIRED or not yet valid when connected",
                "；连接时证书已过期或尚未生效",
            ));
        }
    }
    text
}

/// A certificate's subject, issuer, names, validity and SHA-256 fingerprint.
pub(crate) fn certificate_text(certificate: &CertSummary, lang: Lang) -> String {
    let from = crate::engine::utc_text(certificate.not_before);
    let to = crate::engine::utc_text(certificate.not_after);
    let names = if certificate.names.is_empty() {
        lang.pick(
            "no subjectAltName (so for no name a TLS client checks)",
            "没有 subjectAltName（因此不适用于 TLS 客户端校验的任何名称）",
        )
        .to_owned()
    } else {
        let names = certificate.names.join(" ");
        if lang == Lang::En {
            format!("for {names}")
        } else {
            format!("用于 {names}")
        }
    };
    if lang == Lang::En {
        format!(
            "subject {}, issuer {}, {names}, valid {from} to {to}, SHA-256 {}",
            certificate.subject,
            certificate.issuer,
            certificate.fingerprint()
        )
    } else {
        format!(
            "主体 {}，颁发者 {}，{names}，有效期 {from} 至 {to}，SHA-256 {}",
            certificate.subject,
            certificate.issuer,
            certificate.fingerprint()
        )
    }
}

/// A half-close, with how TLS said it when it did.
pub(super) fn half_closed_text(side: Side, tls: Option<TlsClose>, lang: Lang) -> String {
    match (side, tls) {
        (Side::Peer, None) => lang.pick(
            "The peer finished sending (FIN); it can still receive",
            "对方已结束发送 (FIN)，仍可接收",
        ),
        (Side::Peer, Some(TlsClose::CloseNotify)) => lang.pick(
            "The peer finished sending (TLS close_notify); it can still receive",
            "对方已结束发送 (TLS close_notify)，仍可接收",
        ),
        (Side::Peer, Some(TlsClose::Truncated)) => lang.pick(
            "The peer finished sending with a TCP FIN but no TLS close_notify: what it sent may be cut \
             off (truncation)",
            "对方用 TCP FIN 结束了发送，但没有 TLS close_notify：它发送的数据可能被截断",
        ),
        (Side::Peer, Some(TlsClose::MidRecord { discarded })) => {
            return if lang == Lang::En {
                format!(
                    "The peer finished sending with a TCP FIN but no TLS close_notify, and closed in the \
                     middle of a TLS record: what it sent was cut off, and the {discarded} bytes of that \
                     record were thrown away, as they cannot be decrypted"
                )
            } else {
                format!(
                    "对方用 TCP FIN 结束了发送（没有 TLS close_notify），且停在一个 TLS 记录的中间：它发送的数据\
                     被截断了，该记录已收到的 {discarded} 字节无法解密，已被丢弃"
                )
            };
        }
        (Side::Local, None) => lang.pick(
            "You finished sending (FIN sent); the peer can still send",
            "你已结束发送 (已发 FIN)，对方仍可发送",
        ),
        (Side::Local, Some(_)) => lang.pick(
            "You finished sending (TLS close_notify, then FIN); the peer can still send",
            "你已结束发送 (已发 TLS close_notify 和 FIN)，对方仍可发送",
        ),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_without_names_says_so_instead_of_an_empty_list() {
        let now = std::time::SystemTime::now();
        let mut certificate = CertSummary {
            subject: "CN=board".to_owned(),
            issuer: "CN=board".to_owned(),
            sha256: [0; 32],
            not_before: now,
            not_after: now,
            names: Vec::new(),
        };
        let en = certificate_text(&certificate, Lang::En);
        assert!(
            en.contains("issuer CN=board, no subjectAltName (so for no name"),
            "{en}"
        );
        assert!(!en.contains("for ,"), "{en}");
        assert!(certificate_text(&certificate, Lang::Zh).contains("没有 subjectAltName"));
        certificate.names = vec!["DNS:board".to_owned(), "IP:10.0.0.1".to_owned()];
        assert!(certificate_text(&certificate, Lang::En).contains("for DNS:board IP:10.0.0.1,"));
    }
}
