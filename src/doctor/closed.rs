//! What the end of a connection usually means: an RST, a time-out, a refusal, a peer that closed. The peers
//! panel links each close reason to this explanation, in English and Chinese.

use crate::engine::{CloseReason, Problem};
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
        CloseReason::Error(error) => problem_cause(error.problem())?,
        CloseReason::Unreachable(error) => {
            return Some(CloseExplanation {
                cause: problem_cause(error.problem())?,
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
fn problem_cause(problem: Problem) -> Option<Cause> {
    Some(match problem {
        Problem::Reset => Cause::Reset,
        Problem::TimedOut => Cause::TimedOut,
        Problem::Refused => Cause::Refused,
        Problem::Unreachable => Cause::Unreachable,
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
