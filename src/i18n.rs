//! The two languages of the window and of messages meant for people. Every label is written where it is used
//! as `lang.pick("English", "中文")`, so a string and its translation never drift apart in separate tables.

use serde::{Deserialize, Serialize};

/// The language of the window's own words (received data is shown in its own encoding, whatever this is).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language for a system locale such as `zh-CN` or `en_US.UTF-8`: Chinese for any `zh` locale.
    #[must_use]
    pub fn from_locale(locale: Option<&str>) -> Self {
        match locale {
            Some(tag) if tag.to_ascii_lowercase().starts_with("zh") => Self::Zh,
            _ => Self::En,
        }
    }

    /// The system's language, read once at start-up.
    #[must_use]
    pub fn system() -> Self {
        Self::from_locale(sys_locale::get_locale().as_deref())
    }

    /// The text in this language.
    #[must_use]
    pub fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Self::En => en,
            Self::Zh => zh,
        }
    }

    /// The other language's name, for the switch button.
    #[must_use]
    pub fn switch_label(self) -> &'static str {
        match self {
            Self::En => "中文",
            Self::Zh => "English",
        }
    }

    /// The other language.
    #[must_use]
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Zh,
            Self::Zh => Self::En,
        }
    }
}

/// Something a person reads, in either language.
///
/// The trait lets a module search or show a type's text without depending on the module that writes it:
/// the traffic filter finds a connection note by the words the `format` module gives it, while `format`
/// depends on `traffic` and not the other way round.
pub trait Text {
    /// The text in `lang`.
    fn text(&self, lang: Lang) -> String;
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn chinese_locales_pick_chinese() {
        for tag in ["zh-CN", "zh_TW.UTF-8", "ZH"] {
            assert_eq!(Lang::from_locale(Some(tag)), Lang::Zh, "{tag}");
        }
        for tag in [Some("en-US"), Some("de_DE"), None] {
            assert_eq!(Lang::from_locale(tag), Lang::En, "{tag:?}");
        }
    }
}
