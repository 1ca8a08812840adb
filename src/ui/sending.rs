//! Sending from the window: the send box, a quick command, or the send box every so often. Each reads its
//! text once into a [`Template`] and renders it for the send, with its own `{counter}`: the send box's, each
//! quick command's, and the periodic send's, which the engine counts. The send box's and quick commands'
//! counters start at 1 when a session opens; the periodic send's at 1 each time it starts, and it counts
//! sends made, not ticks skipped.

use std::collections::HashMap;
use std::time::SystemTime;

use super::app::{NetAssistApp, Notice, SendTarget};
use crate::codec::{InputMode, Scope, SendOptions, Template, Values};
use crate::engine::Command;
use crate::preset::{ModeKind, QuickCommand};
use crate::session::PeriodicProgress;

/// How many times each send path of the window has sent in this session: the numbers `{counter}` takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SendCounts {
    /// The send box's sends.
    send_box: u64,
    /// Each quick command's sends, by the command as it is now (an edited command counts afresh).
    quick: HashMap<QuickCommand, u64>,
}

impl SendCounts {
    /// The number of the next send from the send box (`None`) or from `quick`, counted as made.
    fn next(&mut self, quick: Option<&QuickCommand>) -> u64 {
        let count = match quick {
            None => &mut self.send_box,
            Some(quick) => self.quick.entry(quick.clone()).or_default(),
        };
        *count += 1;
        *count
    }
}

impl NetAssistApp {
    /// Sends the send box (`quick` is `None`) or a quick command; on bad input or nobody to send to, says
    /// why and sends nothing. Returns whether it was sent.
    pub(crate) fn send_text(&mut self, quick: Option<&QuickCommand>) -> bool {
        let (text, options) = match quick {
            None => (&self.settings.send_text, self.settings.preset.send),
            Some(quick) => (&quick.text, quick.options(self.settings.preset.send)),
        };
        let template = match self.template_to_send(text, options) {
            Ok(template) => template,
            Err(notice) => {
                self.fail_send(match quick {
                    None => notice,
                    Some(quick) => from_quick(&notice, &quick.name),
                });
                return false;
            }
        };
        let counter = self.send_counts.next(quick);
        let bytes = template.render(Values::new(counter, SystemTime::now()));
        let to = self.engine_target();
        self.ctl.command(Command::Send { to, bytes });
        self.send_error = None;
        true
    }

    /// `text` read with `options`, or why it cannot be sent now.
    fn template_to_send(&self, text: &str, options: SendOptions) -> Result<Template, Notice> {
        if !self.is_open() {
            return Err(Notice::error("Open a session first.", "请先打开连接。"));
        }
        if self.target == SendTarget::All && self.log().connected_peers() == 0 {
            return Err(match self.open_mode() {
                Some(ModeKind::Udp) => Notice::error(
                    "No remote has sent anything yet, so \"all\" is nobody: nothing was sent. Set a \
                     remote IP and port, or wait for a datagram.",
                    "还没有收到任何远程主机的数据，“全部”为空，未发送。请填写远程 IP 和端口，或等待对方先发来数据。",
                ),
                _ => Notice::error(
                    "No client is connected, so nothing was sent. Wait for a device to connect.",
                    "没有已连接的客户端，未发送。请等待设备连接。",
                ),
            });
        }
        if let SendTarget::Peer(peer) = self.target {
            // The target stays on a peer that left, so its bytes never go to someone else unasked.
            let gone = self
                .log()
                .peer(peer)
                .is_none_or(|stats| stats.closed.is_some());
            if gone {
                let addr = self
                    .log()
                    .peer(peer)
                    .map_or_else(|| peer.to_string(), |stats| stats.addr.to_string());
                return Err(Notice::target_gone(&addr));
            }
        }
        if text.is_empty() {
            return Err(Notice::error(
                "Nothing to send: it is empty.",
                "没有可发送的内容：内容是空的。",
            ));
        }
        Template::parse_send(text, &options, Scope::SEND)
            .map_err(|error| Notice::error(error.to_string(), error.zh()))
    }

    /// Starts sending the send box periodically; the engine renders each send, so `{counter}` counts the
    /// sends of this periodic send from 1 (a skipped tick is no send) and `{time}` is each one's time.
    pub(crate) fn start_periodic(&mut self) {
        let message =
            match self.template_to_send(&self.settings.send_text, self.settings.preset.send) {
                Ok(message) => message,
                Err(notice) => {
                    self.fail_send(notice);
                    return;
                }
            };
        let (every, count) = match self.settings.preset.periodic() {
            Ok(periodic) => periodic,
            Err((en, zh)) => {
                self.fail_send(Notice::error(en, zh));
                return;
            }
        };
        let to = self.engine_target();
        if self.ctl.command(Command::SendEvery {
            to,
            messages: vec![message],
            every,
            count,
        }) {
            self.periodic = Some(PeriodicProgress {
                running: true,
                ..PeriodicProgress::default()
            });
            self.send_error = None;
        }
    }
}

/// Why quick command `name` was not sent, shown under the send box: so it says which command it is about.
fn from_quick(notice: &Notice, name: &str) -> Notice {
    Notice::error(
        format!("Quick command \"{name}\" not sent: {}", notice.en),
        format!("快捷指令“{name}”未发送：{}", notice.zh),
    )
}

/// The warning after switching the send box to `input`: the variables `changed` (as typed) write other
/// bytes now, and switching back brings the old bytes back.
pub(crate) fn meaning_changed(input: InputMode, changed: &[String]) -> Notice {
    let list = changed.join(", ");
    let write = if changed.len() == 1 {
        "writes"
    } else {
        "write"
    };
    match input {
        InputMode::Hex => Notice::info(
            format!(
                "Now hex: {list} {write} bytes here, not decimal digits as in text, so the bytes sent \
                 changed. Switch back to Text to send the digits."
            ),
            format!(
                "已切换为十六进制：{list} 在十六进制中写入字节，而不是文本中的十进制数字，发送的字节已改变。切回文本即可发送数字。"
            ),
        ),
        InputMode::Text => Notice::info(
            format!(
                "Now text: {list} {write} decimal digits here, not bytes as in hex, so the bytes sent \
                 changed. Switch back to HEX to send the bytes."
            ),
            format!(
                "已切换为文本：{list} 在文本中写入十进制数字，而不是十六进制中的字节，发送的字节已改变。切回 HEX 即可发送字节。"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_counts_on_its_own_from_1() {
        let mut counts = SendCounts::default();
        let quick = |text: &str| QuickCommand {
            name: "q".to_owned(),
            text: text.to_owned(),
            ..QuickCommand::default()
        };
        assert_eq!(counts.next(None), 1);
        assert_eq!(counts.next(Some(&quick("a"))), 1);
        assert_eq!(counts.next(None), 2);
        assert_eq!(counts.next(Some(&quick("a"))), 2);
        assert_eq!(counts.next(Some(&quick("b"))), 1, "another command");
    }
}
