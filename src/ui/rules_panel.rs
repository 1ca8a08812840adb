//! The reply rules window: add, edit, reorder and switch rules, and try a sample message against them.
//!
//! The rules live in the preset ([`crate::preset::Preset::rules`]). A change reaches the open session when
//! it is committed, not at each keystroke: when a pattern, reply or delay field is left (Enter, a click
//! elsewhere, the window closed) or a switch, a menu or a button changed the rules. It is returned as
//! [`UiAction::RulesChanged`], and the app hands the compiled rules to the session, whose worker answers
//! from then on. While the rules as edited have a mistake, or are not committed yet, the window says that
//! the session still answers with the rules it was last given, and lists them. What the rules mean is in
//! [`crate::rules`].

use egui::RichText;

use super::app::{NetAssistApp, UiAction};
use crate::codec::{
    ControlStyle, Framing, InputMode, SendOptions, TextEncoding, decode_for_display, hex,
};
use crate::i18n::{Lang, Text};
use crate::preset::ModeKind;
use crate::rules::{Match, Reply, Rule, RuleError, Rules};

/// What a compiled set of rules was made from: the rules, the encoding and the framing.
type RulesSource = (Vec<Rule>, TextEncoding, Framing);

/// The window's own state: whether it is shown, the sample message, and the rules compiled for it.
#[derive(Default)]
pub struct RulesPanel {
    /// The window is shown.
    pub open: bool,
    /// The sample message as typed (text with escapes, in the session's encoding).
    pub sample: String,
    /// The rules compiled, with what they were made from, so they compile again only after a change.
    cache: Option<(RulesSource, Result<Rules, RuleError>)>,
    /// The rules the open session answers with, as they were when it was last given rules (when it
    /// opened, or an edit was committed); empty while no session is open.
    pub(crate) applied: Vec<Rule>,
}

impl RulesPanel {
    /// The rules compiled for `encoding` and `framing`.
    fn compiled(
        &mut self,
        rules: &[Rule],
        encoding: TextEncoding,
        framing: &Framing,
    ) -> Result<Rules, RuleError> {
        match &self.cache {
            Some(((from, e, f), compiled)) if from == rules && *e == encoding && f == framing => {
                compiled.clone()
            }
            _ => {
                let compiled = Rules::new(rules, encoding, framing.clone().into());
                let source = (rules.to_vec(), encoding, framing.clone());
                self.cache = Some((source, compiled.clone()));
                compiled
            }
        }
    }
}

/// Draws the window, if it is open; a change to the rules goes into `actions`.
pub fn ui(ctx: &egui::Context, app: &mut NetAssistApp, actions: &mut Vec<UiAction>) {
    let lang = app.settings.lang;
    let mut open = app.rules_panel.open;
    let session = app.is_open();
    let mut editing = false;
    egui::Window::new(lang.pick("Reply rules", "回复规则"))
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            let relay = app.open_mode().unwrap_or(app.settings.preset.mode) == ModeKind::Relay;
            editing = rules_ui(ui, &mut app.settings.preset.rules, relay, lang);
            let preset = &app.settings.preset;
            let compiled =
                app.rules_panel
                    .compiled(&preset.rules, preset.encoding, &preset.framing);
            if let Err(error) = &compiled {
                ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
            }
            if session && preset.rules != app.rules_panel.applied {
                applied_ui(ui, &app.rules_panel.applied, compiled.is_ok(), lang);
            }
            ui.separator();
            sample_ui(
                ui,
                &mut app.rules_panel.sample,
                compiled.ok(),
                preset.encoding,
                lang,
            );
        });
    app.rules_panel.open = open;
    // Committed: no field is being typed in (or the window was closed while one was).
    let committed = !(editing && open);
    let preset = &app.settings.preset;
    if session
        && committed
        && preset.rules != app.rules_panel.applied
        && app
            .rules_panel
            .compiled(&preset.rules, preset.encoding, &preset.framing)
            .is_ok()
    {
        actions.push(UiAction::RulesChanged);
    }
}

/// Says that the open session still answers with `applied`, the rules it was last given, because the rules
/// as edited are not `valid` or not committed yet; and lists them.
fn applied_ui(ui: &mut egui::Ui, applied: &[Rule], valid: bool, lang: Lang) {
    let why = if valid {
        lang.pick(
            "Not applied yet: the open session answers with the rules it was last given until you press \
             Enter or leave the field.",
            "尚未生效：按 Enter 或离开输入框之前，已打开的连接仍按上次生效的规则回复。",
        )
    } else {
        lang.pick(
            "Because of this mistake the open session still answers with the rules it was last given:",
            "由于这个错误，已打开的连接仍按上次生效的规则回复：",
        )
    };
    ui.colored_label(ui.visuals().warn_fg_color, why);
    if valid {
        return;
    }
    let on: Vec<String> = applied
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.enabled)
        .map(|(index, rule)| format!("{}. {rule}", index + 1))
        .collect();
    if on.is_empty() {
        ui.label(lang.pick("(no rules: it answers nothing)", "（没有规则：不回复）"));
    }
    for rule in on {
        ui.label(egui::RichText::new(rule).monospace());
    }
}

/// Draws the rules for editing (in `relay` mode with where each answer goes); returns whether one of their
/// fields is being typed in or dragged, so the edit is not committed yet.
fn rules_ui(ui: &mut egui::Ui, rules: &mut Vec<Rule>, relay: bool, lang: Lang) -> bool {
    let mut editing = false;
    let mut typing = |response: egui::Response| {
        editing |= response.has_focus() || response.dragged();
        response
    };
    ui.label(help_text(lang));
    let mut moved = None;
    let mut removed = None;
    for (index, rule) in rules.iter_mut().enumerate() {
        ui.separator();
        let number = index + 1;
        ui.horizontal(|ui| {
            ui.checkbox(
                &mut rule.enabled,
                format!("{} {number}", lang.pick("Rule", "规则")),
            );
            let label = ui.label(format!("{} {number}", lang.pick("Pattern", "模式")));
            kind_ui(ui, &mut rule.matcher, ("rule kind", index), lang, label.id);
            typing(
                ui.add(egui::TextEdit::singleline(rule.matcher.pattern_mut()).desired_width(200.0)),
            )
            .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let label = ui.label(format!("{} {number}", lang.pick("Reply", "回复")));
            reply_kind_ui(ui, &mut rule.reply, index, lang, label.id);
            typing(
                ui.add(egui::TextEdit::singleline(rule.reply.template_mut()).desired_width(200.0)),
            )
            .labelled_by(label.id);
            let label = ui.label(lang.pick("Delay (ms)", "延时（毫秒）"));
            typing(ui.add(egui::DragValue::new(&mut rule.delay_ms).range(0..=600_000)))
                .labelled_by(label.id);
            if ui.button(lang.pick("Up", "上移")).clicked() && index > 0 {
                moved = Some((index, index - 1));
            }
            if ui.button(lang.pick("Down", "下移")).clicked() {
                moved = Some((index, index + 1));
            }
            if ui.button(lang.pick("Remove", "删除")).clicked() {
                removed = Some(index);
            }
        });
        onward_ui(ui, rule, number, relay, lang);
    }
    if let Some((from, to)) = moved.filter(|(_, to)| *to < rules.len()) {
        rules.swap(from, to);
    }
    if let Some(index) = removed {
        rules.remove(index);
    }
    ui.separator();
    if ui.button(lang.pick("Add rule", "添加规则")).clicked() {
        rules.push(Rule::default());
    }
    editing
}

/// Relay: where rule `number`'s answer goes, back to the sender or on to the other side of the pair.
/// Outside a relay the choice is not offered, and a rule that sends on says why the session refuses it.
fn onward_ui(ui: &mut egui::Ui, rule: &mut Rule, number: usize, relay: bool, lang: Lang) {
    if relay {
        ui.horizontal(|ui| {
            ui.label(format!("{} {number}", lang.pick("Answer of rule", "规则应答")));
            ui.radio_value(
                &mut rule.onward,
                false,
                lang.pick("back to the sender", "回复发送方"),
            )
            .on_hover_text(lang.pick(
                "The answer goes back to the side whose message matched.",
                "应答发回给发出该消息的一端。",
            ));
            ui.radio_value(
                &mut rule.onward,
                true,
                lang.pick("on to the other side", "转发到另一端"),
            )
            .on_hover_text(lang.pick(
                "The answer is injected toward the other side of the pair (toward the server for a \
                 device's message, toward the device for the server's), after the message it answers.",
                "应答注入到中继对的另一端（设备的消息则发往服务器，服务器的消息则发往设备），排在它所应答的消息之后。",
            ));
        });
    } else if rule.onward {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                lang.pick(
                    "This rule sends its answer on to the other side of a relay pair, which only relay \
                     mode has: a session in this mode refuses it.",
                    "此规则把应答转发到中继对的另一端，只有中继模式才有另一端：当前模式的连接会拒绝它。",
                ),
            );
            if ui
                .button(lang.pick("Answer the sender instead", "改为回复发送方"))
                .clicked()
            {
                rule.onward = false;
            }
        });
    }
}

/// What the window says about rules and their replies: the reply rules' own variables, and every send
/// variable from the one list of them ([`crate::codec::template::known`]).
fn help_text(lang: Lang) -> String {
    let known = crate::codec::template::known(false);
    lang.pick_owned(
        &format!(
            "When a received message matches, the first rule switched on answers it. In replies: $0 the \
             message, $1… regex groups or hex wildcards ($$ writes $), {{n}} this rule's count, {{n:K}} \
             rule K's count, {{reset}} counts back to 0, {{peer}} the sender; and the send variables: \
             {known}. A checksum covers the reply's bytes before it. Hex patterns: ?? any byte, * any \
             bytes."
        ),
        &format!(
            "收到的消息匹配时，第一条启用的规则自动回复。回复中可用：$0 整条消息，$1… 正则分组或十六进制通配符\
             （$$ 表示 $），{{n}} 本规则的计数，{{n:K}} 第 K 条规则的计数，{{reset}} 计数清零，{{peer}} 对方地址；\
             以及发送变量：{known}。校验覆盖回复中它前面的字节。十六进制模式：?? 任一字节，* 任意多个字节。"
        ),
    )
}

/// The match kind of a rule or a check's expect step: exact, contains, regex or hex, keeping the pattern
/// typed so far.
pub(crate) fn kind_ui(
    ui: &mut egui::Ui,
    matcher: &mut Match,
    id_salt: impl egui::AsIdSalt,
    lang: Lang,
    label: egui::Id,
) {
    let name = |m: &Match| match m {
        Match::Exact(_) => lang.pick("Is exactly", "完全等于"),
        Match::Contains(_) => lang.pick("Contains", "包含"),
        Match::Regex(_) => lang.pick("Regex", "正则"),
        Match::Hex(_) => lang.pick("Hex pattern", "十六进制模式"),
    };
    let mut chosen = None;
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(name(matcher))
        .show_ui(ui, |ui| {
            for kind in Match::kinds() {
                let selected = kind.kind() == matcher.kind();
                if ui.selectable_label(selected, name(&kind)).clicked() && !selected {
                    chosen = Some(kind);
                }
            }
        })
        .response
        .labelled_by(label);
    if let Some(mut kind) = chosen {
        *kind.pattern_mut() = std::mem::take(matcher.pattern_mut());
        *matcher = kind;
    }
}

/// The reply kind: text or hex, keeping the reply typed so far.
fn reply_kind_ui(ui: &mut egui::Ui, reply: &mut Reply, index: usize, lang: Lang, label: egui::Id) {
    let hex = matches!(reply, Reply::Hex(_));
    let mut want_hex = hex;
    egui::ComboBox::from_id_salt(("reply kind", index))
        .selected_text(if hex {
            "Hex"
        } else {
            lang.pick("Text", "文本")
        })
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut want_hex, false, lang.pick("Text", "文本"));
            ui.selectable_value(&mut want_hex, true, "Hex");
        })
        .response
        .labelled_by(label);
    if want_hex != hex {
        let template = std::mem::take(reply.template_mut());
        *reply = if want_hex {
            Reply::Hex(template)
        } else {
            Reply::Text(template)
        };
    }
}

/// A sample message and what the rules would answer to it. The sample does not change the rules' counts.
fn sample_ui(
    ui: &mut egui::Ui,
    sample: &mut String,
    rules: Option<Rules>,
    encoding: TextEncoding,
    lang: Lang,
) {
    let label = ui.label(lang.pick(
        r"Test a message (text, escapes like \r\n)",
        r"测试一条消息（文本，可用 \r\n 等转义）",
    ));
    ui.add(egui::TextEdit::singleline(sample).desired_width(f32::INFINITY))
        .labelled_by(label.id);
    let Some(mut rules) = rules else { return };
    if sample.is_empty() {
        return;
    }
    let typed = SendOptions {
        input: InputMode::Text,
        encoding,
        escapes: true,
        ..SendOptions::default()
    }
    .build(sample);
    let text = match typed {
        Err(error) => {
            ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
            return;
        }
        Ok(bytes) => {
            let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            match rules.respond(&bytes, peer, std::time::SystemTime::now()) {
                None => lang.pick("No rule matches.", "没有规则匹配。").to_owned(),
                Some(response) if response.bytes.is_empty() => format!(
                    "{} {} {}",
                    lang.pick("Rule", "规则"),
                    response.rule + 1,
                    lang.pick("matches and answers nothing.", "匹配，不回复。")
                ),
                Some(response) => format!(
                    "{} {} {}: {}  │  {}",
                    lang.pick("Rule", "规则"),
                    response.rule + 1,
                    lang.pick("answers", "回复"),
                    decode_for_display(&response.bytes, encoding, ControlStyle::Escapes),
                    hex::format(&response.bytes)
                ),
            }
        }
    };
    ui.label(RichText::new(text).strong());
}
