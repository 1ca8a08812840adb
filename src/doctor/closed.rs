//! What the end of a connection usually means: an RST, a time-out, a refusal, a peer that closed, a TLS
//! handshake that failed. The peers panel links each close reason to this explanation, in English and
//! Chinese.

use crate::engine::{CloseReason, NetError, Problem, TlsFailure};
use crate::i18n::{Lang, Text};

/// Why connections end that way, as a cause: several close reasons share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    PeerClosed,
    Reset,
    TimedOut,
    Refused,
    Unreachable,
    Forgotten,
    /// The server's certificate was not accepted.
    TlsCertificate,
    /// The peer did not accept ours.
    TlsCertificateRefused,
    /// The server wants a client certificate (mutual TLS).
    TlsClientCertificate,
    /// The two ends share no TLS version or cipher suite.
    TlsNothingInCommon,
    /// One end speaks TLS, the other plain TCP.
    TlsAndPlain,
    /// Any other TLS failure.
    Tls,
}

/// What a close reason usually means and what to look at ([`Text`]); see [`explain`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseExplanation {
    cause: Cause,
    relay: Option<RelayEnd>,
}

/// How a relay side's close came from its pair rather than from its own peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RelayEnd {
    /// The device was closed because its target could not be reached (the cause says why).
    TargetUnreachable,
    /// This side was reset because the other side of its pair ended abruptly.
    PartnerReset,
}

/// The explanation of `reason`, when it needs one (not for the user's own disconnect, forget or stop, nor for an
/// error that says all there is).
#[must_use]
pub fn explain(reason: &CloseReason) -> Option<CloseExplanation> {
    let cause = match reason {
        CloseReason::PeerClosed => Cause::PeerClosed,
        CloseReason::Reset => Cause::Reset,
        CloseReason::TimedOut => Cause::TimedOut,
        CloseReason::Forgotten => Cause::Forgotten,
        CloseReason::Error(error) => error_cause(error)?,
        CloseReason::Unreachable(error) => {
            return Some(CloseExplanation {
                cause: error_cause(error)?,
                relay: Some(RelayEnd::TargetUnreachable),
            });
        }
        // Reset on purpose: what it means is the relay's doing; the partner's own close says why.
        CloseReason::PartnerReset(_) => {
            return Some(CloseExplanation {
                cause: Cause::Reset,
                relay: Some(RelayEnd::PartnerReset),
            });
        }
        CloseReason::Kicked | CloseReason::ForgottenByYou | CloseReason::SessionStopped => {
            return None;
        }
    };
    Some(CloseExplanation { cause, relay: None })
}

/// The cause of a network error that needs explaining.
fn error_cause(error: &NetError) -> Option<Cause> {
    Some(match error.problem() {
        Problem::Reset => Cause::Reset,
        Problem::TimedOut => Cause::TimedOut,
        Problem::Refused => Cause::Refused,
        Problem::Unreachable => Cause::Unreachable,
        Problem::Tls => match error.tls.as_deref() {
            Some(
                TlsFailure::UnknownIssuer
                | TlsFailure::NameMismatch { .. }
                | TlsFailure::Expired { .. }
                | TlsFailure::NotYetValid { .. }
                | TlsFailure::CaAsServerCertificate
                | TlsFailure::BadCertificate(_),
            ) => Cause::TlsCertificate,
            Some(TlsFailure::CertificateRefused { .. }) => Cause::TlsCertificateRefused,
            Some(TlsFailure::ClientCertificateRequired) => Cause::TlsClientCertificate,
            Some(TlsFailure::NoCommonVersion | TlsFailure::NoCommonCipher) => {
                Cause::TlsNothingInCommon
            }
            Some(
                TlsFailure::PlainServer { .. }
                | TlsFailure::PlainClient { .. }
                | TlsFailure::EchoedHello
                | TlsFailure::ClosedInHandshake
                | TlsFailure::HandshakeTimedOut { .. },
            ) => Cause::TlsAndPlain,
            _ => Cause::Tls,
        },
        _ => return None,
    })
}

impl Text for CloseExplanation {
    fn text(&self, lang: Lang) -> String {
        match self.relay {
            None => self.cause.text(lang),
            Some(RelayEnd::TargetUnreachable) => format!(
                "{} {}",
                lang.pick(
                    "The relay could not connect this device on to its target, so it closed the \
                     device's connection (FIN) without reading anything from it. From the target:",
                    "中继无法把这个设备连接到目标，因此关闭了设备的连接（FIN），没有读取它发来的任何数据。目标方面：",
                ),
                self.cause.text(lang)
            ),
            Some(RelayEnd::PartnerReset) => lang
                .pick(
                    "The relay reset this side (TCP RST) on purpose: the other side of its pair was \
                     reset, timed out or failed, and a direct connection would have been cut off the \
                     same way. Nothing went wrong on this side; the other side's close says why.",
                    "中继有意重置了这一端（TCP RST）：中继对的另一端被重置、超时或出错，直接连接也会这样被切断。\
                     这一端本身没有问题；原因见另一端的断开原因。",
                )
                .to_owned(),
        }
    }
}

impl Text for Cause {
    fn text(&self, lang: Lang) -> String {
        match self {
            Cause::PeerClosed => lang.pick(
                "The peer ended the connection normally (TCP FIN): its program closed the socket, finished \
                 its work, or was stopped. Nothing went wrong on the network.",
                "对方正常结束了连接（TCP FIN）：它的程序关闭了套接字、完成了工作或被停止。网络本身没有问题。",
            ),
            Cause::Reset => lang.pick(
                "Reset by the peer (TCP RST): the connection was cut off at once, not closed in order. \
                 Usually the peer's program crashed or was killed, it closed the socket with data still \
                 unread, the board rebooted and no longer knows the connection, or a firewall or router \
                 in between cut it. Data in flight may be lost.",
                "被对方重置（TCP RST）：连接被立即切断，而不是正常关闭。通常是对方程序崩溃或被结束、\
                 在还有数据未读时关闭了套接字、开发板重启后不再认识这个连接，或中间的防火墙、路由器切断了它。\
                 途中的数据可能丢失。",
            ),
            Cause::TimedOut => lang.pick(
                "Timed out: the peer stopped answering (data or keep-alives went unacknowledged). Usually \
                 the board lost power or its network (cable, Wi-Fi), went out of range, or a firewall \
                 or NAT in between forgot the connection.",
                "超时：对方不再响应（数据或保活包没有得到确认）。通常是开发板断电或断网（网线、Wi-Fi）、\
                 超出信号范围，或中间的防火墙、NAT 忘记了这个连接。",
            ),
            Cause::Refused => lang.pick(
                "Refused: the host is up, but nothing listens on that port (the program is not started, \
                 or the port is wrong).",
                "被拒绝：主机在线，但该端口上没有程序在监听（程序未启动，或端口不对）。",
            ),
            Cause::Unreachable => lang.pick(
                "Unreachable: this PC has no route to the peer, or no device answers at that address \
                 (another subnet, a cable or Wi-Fi that is down).",
                "不可达：本机没有通往对方的路由，或该地址上没有设备响应（不同网段、网线或 Wi-Fi 断开）。",
            ),
            Cause::Forgotten => lang.pick(
                "UDP has no connections: the remote was only dropped from the list to make room for newer \
                 ones. It comes back with its next datagram; nothing was lost.",
                "UDP 没有连接：这个远程主机只是为给新的腾出位置而从列表中移除。它再发数据报时会重新出现，没有丢失数据。",
            ),
            Cause::TlsCertificate => lang.pick(
                "A TLS client checks that the server's certificate is signed by an authority it trusts, is for the name it connected to, and is valid today. Devices often use a self-signed certificate, or one for another name, or have no clock and make one dated 1970: give the client the device's CA certificate, connect by the name in the certificate, or accept any certificate for a device you know.",
                "TLS 客户端会检查服务器证书：是否由它信任的机构签发、是否签发给它连接的名称、今天是否有效。设备常用自签名证书、签发给其他名称的证书，或因没有时钟而生成 1970 年的证书：请为客户端提供设备的 CA 证书、用证书上的名称连接，或对确认可信的设备接受任何证书。",
            ),
            Cause::TlsCertificateRefused => lang.pick(
                "The client checked this server's certificate and did not trust it. A self-signed certificate is trusted only by clients that were given it: install it (the .pem file) on the device as trusted, or switch off the device's certificate check.",
                "客户端检查了本服务器的证书，但不信任它。自签名证书只被拿到它的客户端信任：请把证书（.pem 文件）作为受信任证书装到设备上，或关闭设备的证书校验。",
            ),
            Cause::TlsClientCertificate => lang.pick(
                "Mutual TLS: the server checks the client too, and lets in only clients with a certificate it trusts. NetAssist does not send a client certificate yet; to test with it, switch off the client-certificate requirement on the server (or use a test port without it).",
                "双向 TLS：服务器也检查客户端，只允许持有它信任的证书的客户端连接。NetAssist 目前不发送客户端证书；如需用它测试，请在服务器上关闭客户端证书要求（或使用不要求客户端证书的测试端口）。",
            ),
            Cause::TlsNothingInCommon => lang.pick(
                "The two ends could not agree how to encrypt: no TLS version or no cipher suite that both allow. Old devices often allow only TLS 1.0/1.1 or RSA key exchange, which NetAssist (like current browsers) does not use; update the device's TLS settings or firmware.",
                "双方无法商定加密方式：没有双方都允许的 TLS 版本或加密套件。旧设备常常只允许 TLS 1.0/1.1 或 RSA 密钥交换，而 NetAssist（和现在的浏览器一样）不使用它们；请更新设备的 TLS 设置或固件。",
            ),
            Cause::TlsAndPlain => lang.pick(
                "One end speaks TLS and the other plain TCP. A TLS port and a plain port look the same from outside: check which port the device uses for TLS (often a different one, such as 8883 for MQTT over TLS instead of 1883), and switch TLS on or off to match.",
                "一端使用 TLS，另一端使用普通 TCP。从外面看 TLS 端口和普通端口没有区别：请确认设备用于 TLS 的端口（常常是另一个端口，如 MQTT over TLS 用 8883 而不是 1883），并相应地开启或关闭 TLS。",
            ),
            Cause::Tls => lang.pick(
                "The TLS connection failed: the message says how. The peer's TLS implementation and settings (versions, cipher suites, certificates) are the place to look.",
                "TLS 连接失败：消息中说明了原因。请检查对方的 TLS 实现和设置（版本、加密套件、证书）。",
            ),
        }
        .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NetError, Operation};
    use std::io::ErrorKind;

    #[test]
    fn close_reasons_that_need_it_are_explained_in_both_languages() {
        let error = |kind: ErrorKind| {
            CloseReason::Error(NetError::io(Operation::Receive, None, &kind.into()))
        };
        let explained = [
            CloseReason::PeerClosed,
            CloseReason::Reset,
            CloseReason::TimedOut,
            CloseReason::Forgotten,
            error(ErrorKind::ConnectionReset),
            error(ErrorKind::ConnectionRefused),
        ];
        for reason in &explained {
            let why = explain(reason).unwrap();
            assert!(!why.text(Lang::En).is_empty());
            assert_ne!(why.text(Lang::En), why.text(Lang::Zh));
        }
        assert!(
            explain(&CloseReason::Reset)
                .unwrap()
                .text(Lang::En)
                .contains("RST")
        );
        assert_eq!(
            explain(&error(ErrorKind::ConnectionReset)),
            explain(&CloseReason::Reset)
        );
        let tls = |failure| {
            explain(&CloseReason::Error(NetError::tls(
                Operation::Tls,
                Some("127.0.0.1:1".to_owned()),
                failure,
            )))
            .unwrap()
        };
        let plain = tls(TlsFailure::PlainClient {
            first: b"GET".to_vec(),
        });
        assert!(plain.text(Lang::En).contains("plain TCP"));
        assert_ne!(plain.text(Lang::En), plain.text(Lang::Zh));
        assert_eq!(tls(TlsFailure::EchoedHello), plain);
        assert_ne!(tls(TlsFailure::UnknownIssuer), plain);
        assert_eq!(
            tls(TlsFailure::NoCommonCipher),
            tls(TlsFailure::NoCommonVersion)
        );
        let mutual = tls(TlsFailure::ClientCertificateRequired);
        assert!(mutual.text(Lang::En).contains("client certificate"));
        assert!(mutual.text(Lang::Zh).contains("客户端证书"));
        assert_ne!(
            mutual,
            tls(TlsFailure::CertificateRefused {
                alert: String::new()
            })
        );
        assert_eq!(explain(&CloseReason::Kicked), None);
        // A relay side's close from its pair says so, then (for an unreachable target) why.
        let unreachable = NetError::io(
            Operation::Connect,
            None,
            &ErrorKind::ConnectionRefused.into(),
        );
        let why = explain(&CloseReason::Unreachable(unreachable)).unwrap();
        let refused = explain(&error(ErrorKind::ConnectionRefused)).unwrap();
        for lang in [Lang::En, Lang::Zh] {
            assert!(why.text(lang).ends_with(&refused.text(lang)), "{lang:?}");
            assert_ne!(why.text(lang), refused.text(lang));
        }
        assert!(
            why.text(Lang::En)
                .contains("could not connect this device on to its target")
        );
        let partner = explain(&CloseReason::PartnerReset(crate::engine::PeerId(7))).unwrap();
        assert!(partner.text(Lang::En).contains("other side of its pair"));
        assert!(partner.text(Lang::Zh).contains("中继对的另一端"));
        assert_eq!(explain(&CloseReason::SessionStopped), None);
        assert_eq!(explain(&error(ErrorKind::Other)), None);
    }
}
