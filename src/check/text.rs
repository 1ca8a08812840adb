//! The words of checks for people, in English and Chinese: what a step does, how long something took,
//! why a step failed and what arrived instead (as text in the check's encoding and as hex, as the log
//! shows bytes), and how a run ended.

use std::time::Duration;

use crate::codec::{ControlStyle, InputMode, decode_for_display, hex};
use crate::i18n::{Lang, Text};
use crate::rules::Match;

use super::event::{Arrived, FailReason, Failure, Milestone, Outcome};
use super::model::Step;

/// A time in milliseconds as typed in a step: whole seconds as `30 s`, others as `1500 ms`.
fn millis_text(ms: u64, lang: Lang) -> String {
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{} {}", ms / 1000, lang.pick("s", "秒"))
    } else {
        format!("{ms} {}", lang.pick("ms", "毫秒"))
    }
}

/// How long something took: `0.045 ms` under 10 ms (a loopback echo), `12.3 ms` under a second, `1.234 s`
/// from there.
#[must_use]
pub fn duration_text(took: Duration) -> String {
    if took < Duration::from_millis(10) {
        format!("{:.3} ms", took.as_secs_f64() * 1000.0)
    } else if took < Duration::from_secs(1) {
        format!("{:.1} ms", took.as_secs_f64() * 1000.0)
    } else {
        format!("{:.3} s", took.as_secs_f64())
    }
}

/// What `step` does, in `lang`: `expect "pong" within 1 s`, `send hex 01 03 {crc16modbus}`.
#[must_use]
pub fn step_text(step: &Step, lang: Lang) -> String {
    match step {
        Step::WaitClient { within_ms } => format!(
            "{} ({} {})",
            lang.pick("wait for a client", "等待客户端连接"),
            lang.pick("up to", "最多"),
            millis_text(*within_ms, lang)
        ),
        Step::Connect { within_ms } => format!(
            "{} ({} {})",
            lang.pick("connect", "连接"),
            lang.pick("up to", "最多"),
            millis_text(*within_ms, lang)
        ),
        Step::Send { text, input, .. } => match input {
            InputMode::Text => format!("{} \"{text}\"", lang.pick("send", "发送")),
            InputMode::Hex => format!("{} {text}", lang.pick("send hex", "发送十六进制")),
        },
        Step::Expect { matcher, within_ms } => {
            let what = match matcher {
                Match::Contains(text) => format!("\"{text}\""),
                Match::Exact(text) => format!("{} \"{text}\"", lang.pick("exactly", "恰为")),
                Match::Regex(regex) => format!("{} /{regex}/", lang.pick("regex", "正则")),
                Match::Hex(pattern) => format!("{} {pattern}", lang.pick("hex", "十六进制")),
            };
            match lang {
                Lang::En => format!("expect {what} within {}", millis_text(*within_ms, lang)),
                Lang::Zh => format!("在 {} 内收到 {what}", millis_text(*within_ms, lang)),
            }
        }
        Step::Wait { ms } => format!("{} {}", lang.pick("wait", "等待"), millis_text(*ms, lang)),
        Step::Repeat { times, .. } => match lang {
            Lang::En => format!("repeat {times} times"),
            Lang::Zh => format!("重复 {times} 次"),
        },
        Step::Disconnect => lang.pick("disconnect", "断开连接").to_owned(),
        // "The other side": a replay as the device expects the PC to close, a check the device.
        Step::ExpectClose { within_ms } => match lang {
            Lang::En => format!(
                "expect the other side to close within {}",
                millis_text(*within_ms, lang)
            ),
            Lang::Zh => format!("在 {} 内对方关闭连接", millis_text(*within_ms, lang)),
        },
    }
}

/// What arrived, in `lang`: `nothing arrived`, or how much and the bytes as text and hex,
/// `15 bytes arrived: "Hello 01Studio!" (48 65 …)`; with a framing, each message kept.
#[must_use]
pub fn arrived_text(arrived: &Arrived, lang: Lang) -> String {
    if arrived.is_empty() {
        return lang.pick("nothing arrived", "什么也没收到").to_owned();
    }
    let shown: Vec<String> = arrived
        .shown
        .iter()
        .map(|bytes| {
            let text = decode_for_display(bytes, arrived.encoding, ControlStyle::Escapes);
            format!("\"{text}\" ({})", hex::format(bytes))
        })
        .collect();
    let kept: usize = arrived.shown.iter().map(bytes::Bytes::len).sum();
    let more = if kept < arrived.bytes {
        match lang {
            Lang::En => format!(" (the last {kept} bytes shown)"),
            Lang::Zh => format!("（只显示最后 {kept} 字节）"),
        }
    } else {
        String::new()
    };
    match (arrived.framed, lang) {
        (false, Lang::En) => format!("{} bytes arrived: {}{more}", arrived.bytes, shown.join(" ")),
        (false, Lang::Zh) => format!("收到 {} 字节：{}{more}", arrived.bytes, shown.join(" ")),
        (true, Lang::En) => format!(
            "{} messages ({} bytes) arrived: {}{more}",
            arrived.messages,
            arrived.bytes,
            shown.join(", ")
        ),
        (true, Lang::Zh) => format!(
            "收到 {} 条消息（{} 字节）：{}{more}",
            arrived.messages,
            arrived.bytes,
            shown.join("，")
        ),
    }
}

impl Text for FailReason {
    fn text(&self, lang: Lang) -> String {
        let ms = |within: &Duration| millis_text(within.as_millis() as u64, lang);
        match (self, lang) {
            (Self::NoConnection { within }, Lang::En) => {
                format!("no connection within {}", ms(within))
            }
            (Self::NoConnection { within }, Lang::Zh) => format!("{} 内没有连接", ms(within)),
            (Self::NotConnected, _) => lang
                .pick(
                    "not connected (the device closed the connection before, or no step waited for it)",
                    "未连接（设备先前已关闭连接，或没有等待连接的步骤）",
                )
                .to_owned(),
            (Self::NotArrived { within }, Lang::En) => {
                format!("it did not arrive within {}", ms(within))
            }
            (Self::NotArrived { within }, Lang::Zh) => format!("{} 内没有收到", ms(within)),
            (Self::Closed, _) => lang
                .pick(
                    "the device closed the connection (or finished sending) before it arrived",
                    "收到之前设备已关闭连接（或结束发送）",
                )
                .to_owned(),
            (Self::StillOpen { within }, Lang::En) => {
                format!("the connection was still open after {}", ms(within))
            }
            (Self::StillOpen { within }, Lang::Zh) => {
                format!("{} 后连接仍未关闭", ms(within))
            }
            (Self::SessionEnded, _) => lang
                .pick(
                    "the session ended (it was closed, or could not open or connect)",
                    "会话已结束（已关闭，或无法打开或连接）",
                )
                .to_owned(),
            (Self::Handshake { addr, failure }, _) => failure.text(addr, lang),
        }
    }
}

impl Text for Failure {
    /// `step 3.2 (expect "pong" within 1 s): it did not arrive within 1 s; 4 bytes arrived: …`.
    fn text(&self, lang: Lang) -> String {
        let step = step_text(&self.step, lang);
        let reason = self.reason.text(lang);
        let arrived = matches!(
            self.reason,
            FailReason::NotArrived { .. } | FailReason::Closed
        )
        .then(|| arrived_text(&self.arrived, lang));
        match (lang, arrived) {
            (Lang::En, None) => format!("step {} ({step}): {reason}", self.path),
            (Lang::En, Some(arrived)) => {
                format!("step {} ({step}): {reason}; {arrived}", self.path)
            }
            (Lang::Zh, None) => format!("第 {} 步（{step}）：{reason}", self.path),
            (Lang::Zh, Some(arrived)) => {
                format!("第 {} 步（{step}）：{reason}；{arrived}", self.path)
            }
        }
    }
}

impl Text for Outcome {
    /// `PASS`, `FAIL` or `STOPPED`: the words a run's result line starts with.
    fn text(&self, lang: Lang) -> String {
        match self {
            Self::Passed => lang.pick("PASS", "通过"),
            Self::Failed(_) => lang.pick("FAIL", "失败"),
            Self::Stopped => lang.pick("STOPPED", "已停止"),
        }
        .to_owned()
    }
}

impl Text for Milestone {
    /// `Check 'board' started`, `Check 'board': step 3 (…): …`, `Check 'board' passed in 10.312 s`.
    fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Started { check }, Lang::En) => format!("Check '{check}' started"),
            (Self::Started { check }, Lang::Zh) => format!("检查“{check}”开始"),
            (Self::StepFailed { check, failure }, Lang::En) => {
                format!("Check '{check}': {}", failure.text(lang))
            }
            (Self::StepFailed { check, failure }, Lang::Zh) => {
                format!("检查“{check}”：{}", failure.text(lang))
            }
            (
                Self::Finished {
                    check,
                    outcome,
                    took,
                },
                Lang::En,
            ) => {
                let how = match outcome {
                    Outcome::Passed => "passed in",
                    Outcome::Failed(_) => "failed after",
                    Outcome::Stopped => "stopped after",
                };
                format!("Check '{check}' {how} {}", duration_text(*took))
            }
            (
                Self::Finished {
                    check,
                    outcome,
                    took,
                },
                Lang::Zh,
            ) => format!(
                "检查“{check}”{}，用时 {}",
                outcome.text(lang),
                duration_text(*took)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::codec::TextEncoding;

    #[test]
    fn steps_read_in_both_languages() {
        for step in Step::kinds() {
            let en = step_text(&step, Lang::En);
            let zh = step_text(&step, Lang::Zh);
            assert!(!en.is_empty() && !zh.is_empty() && en != zh, "{en} / {zh}");
        }
        let expect = Step::Expect {
            matcher: Match::Contains("pong".to_owned()),
            within_ms: 1000,
        };
        assert_eq!(step_text(&expect, Lang::En), "expect \"pong\" within 1 s");
        assert_eq!(step_text(&expect, Lang::Zh), "在 1 秒 内收到 \"pong\"");
    }

    #[test]
    fn what_arrived_reads_as_text_and_hex() {
        let mut arrived = Arrived {
            encoding: TextEncoding::Utf8,
            ..Arrived::default()
        };
        assert_eq!(arrived_text(&arrived, Lang::En), "nothing arrived");
        arrived.shown = vec![Bytes::from_static(b"po\r\n")];
        arrived.bytes = 300;
        arrived.messages = 1;
        assert_eq!(
            arrived_text(&arrived, Lang::En),
            "300 bytes arrived: \"po\\r\\n\" (70 6F 0D 0A) (the last 4 bytes shown)"
        );
        assert!(arrived_text(&arrived, Lang::Zh).starts_with("收到 300 字节"));
        assert_eq!(duration_text(Duration::from_micros(45)), "0.045 ms");
        assert_eq!(duration_text(Duration::from_micros(12_340)), "12.3 ms");
        assert_eq!(duration_text(Duration::from_millis(1_234)), "1.234 s");
    }
}
