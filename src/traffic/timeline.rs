//! How each peer's connected span ended, for the connection timeline: the span itself is a peer's
//! [`PeerStats::since`](super::PeerStats::since) to its [`closed_at`](super::PeerStats::closed_at), and
//! [`CloseKind`] sorts its [`CloseReason`] into the few kinds the timeline colours and names
//! ([`crate::doctor::closed`] says what each usually means).

use crate::engine::{CloseReason, Problem};
use crate::i18n::{Lang, Text};

/// The kind of end of a connected span, or that it has none yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseKind {
    /// Still connected.
    Open,
    /// The peer closed normally (TCP FIN).
    Finished,
    /// Reset (TCP RST), by the peer or as an error said.
    Reset,
    /// The peer stopped answering.
    TimedOut,
    /// We ended it: the user disconnected the peer or forgot the remote.
    ByYou,
    /// The session was stopped while it was connected.
    SessionStopped,
    /// UDP: forgotten to make room for newer remotes.
    Forgotten,
    /// Any other error on its socket.
    Error,
}

impl CloseKind {
    /// The kind of a peer that closed for `reason`, or is still open (`None`).
    #[must_use]
    pub fn of(reason: Option<&CloseReason>) -> Self {
        let Some(reason) = reason else {
            return Self::Open;
        };
        match reason {
            CloseReason::PeerClosed => Self::Finished,
            CloseReason::Reset | CloseReason::PartnerReset(_) => Self::Reset,
            CloseReason::TimedOut => Self::TimedOut,
            CloseReason::Kicked | CloseReason::ForgottenByYou => Self::ByYou,
            CloseReason::SessionStopped => Self::SessionStopped,
            CloseReason::Forgotten => Self::Forgotten,
            CloseReason::Error(error) | CloseReason::Unreachable(error) => match error.problem() {
                Problem::Reset => Self::Reset,
                Problem::TimedOut => Self::TimedOut,
                _ => Self::Error,
            },
        }
    }

    /// Every kind, in the order the timeline's key lists them.
    pub const ALL: [Self; 8] = [
        Self::Open,
        Self::Finished,
        Self::Reset,
        Self::TimedOut,
        Self::ByYou,
        Self::SessionStopped,
        Self::Forgotten,
        Self::Error,
    ];
}

/// A few words for the kind, as the timeline writes beside each span: `reset (RST)`.
impl Text for CloseKind {
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Open => lang.pick("open", "连接中"),
            Self::Finished => lang.pick("closed (FIN)", "正常关闭 (FIN)"),
            Self::Reset => lang.pick("reset (RST)", "被重置 (RST)"),
            Self::TimedOut => lang.pick("timed out", "超时"),
            Self::ByYou => lang.pick("closed by you", "由你关闭"),
            Self::SessionStopped => lang.pick("session stopped", "会话已停止"),
            Self::Forgotten => lang.pick("forgotten", "已忘记"),
            Self::Error => lang.pick("error", "出错"),
        }
        .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;

    use super::*;
    use crate::engine::{Event, NetError, Operation};
    use crate::traffic::LogConfig;
    use crate::traffic::test_support::*;

    #[test]
    fn close_reasons_sort_into_kinds() {
        let error = |kind: ErrorKind| {
            CloseReason::Error(NetError::io(Operation::Receive, None, &kind.into()))
        };
        let cases = [
            (None, CloseKind::Open),
            (Some(CloseReason::PeerClosed), CloseKind::Finished),
            (Some(CloseReason::Reset), CloseKind::Reset),
            (Some(error(ErrorKind::ConnectionReset)), CloseKind::Reset),
            (Some(CloseReason::TimedOut), CloseKind::TimedOut),
            (Some(error(ErrorKind::TimedOut)), CloseKind::TimedOut),
            (Some(CloseReason::Kicked), CloseKind::ByYou),
            (Some(CloseReason::ForgottenByYou), CloseKind::ByYou),
            (Some(CloseReason::SessionStopped), CloseKind::SessionStopped),
            (Some(CloseReason::Forgotten), CloseKind::Forgotten),
            (Some(error(ErrorKind::BrokenPipe)), CloseKind::Error),
        ];
        for (reason, kind) in cases {
            assert_eq!(CloseKind::of(reason.as_ref()), kind, "{reason:?}");
        }
    }

    #[test]
    fn a_span_ends_at_its_close_or_at_the_stop_of_its_session() {
        let mut s = Session::new(LogConfig::default());
        s.connect(100, P1);
        s.connect(200, P2);
        s.close(1_500, P1, CloseReason::Reset);
        let p1 = s.log.peer(P1).unwrap();
        assert_eq!((p1.since, p1.closed_at), (wall(100), Some(wall(1_500))));
        assert_eq!(CloseKind::of(p1.closed.as_ref()), CloseKind::Reset);
        let p2 = s.log.peer(P2).unwrap();
        assert_eq!(
            (p2.closed_at, CloseKind::of(p2.closed.as_ref())),
            (None, CloseKind::Open)
        );
        s.event(3_000, &Event::Stopped { at: wall(3_000) });
        let p2 = s.log.peer(P2).unwrap();
        assert_eq!(p2.closed_at, Some(wall(3_000)));
        assert_eq!(CloseKind::of(p2.closed.as_ref()), CloseKind::SessionStopped);
        // A peer closes once: the stop does not move the first one's end.
        assert_eq!(s.log.peer(P1).unwrap().closed_at, Some(wall(1_500)));
    }
}
