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
pub struct CloseExplanation(Cause);

/// The explanation of `reason`, when it needs one (not for the user's own disconnect, forget or stop, nor for an
/// error that says all there is).
#[must_use]
pub fn explain(reason: &CloseReason) -> Option<CloseExplanation> {
    let cause = match reason {
        CloseReason::PeerClosed => Cause::PeerClosed,
        CloseReason::Reset => Cause::Reset,
        CloseReason::TimedOut => Cause::TimedOut,
        CloseReason::Forgotten => Cause::Forgotten,
        CloseReason::Error(error) | CloseReason::Unreachable(error) => match error.problem() {
            Problem::Reset => Cause::Reset,
            Problem::TimedOut => Cause::TimedOut,
            Problem::Refused => Cause::Refused,
            Problem::Unreachable => Cause::Unreachable,
            _ => return None,
        },
        // A relay's side reset for its partner: the partner's own close says why.
        CloseReason::Kicked
        | CloseReason::ForgottenByYou
        | CloseReason::SessionStopped
        | CloseReason::PartnerReset(_) => {
            return None;
        }
    };
    Some(CloseExplanation(cause))
}

impl Text for CloseExplanation {
    fn text(&self, lang: Lang) -> String {
        match self.0 {
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
        assert_eq!(explain(&CloseReason::SessionStopped), None);
        assert_eq!(explain(&error(ErrorKind::Other)), None);
    }
}
