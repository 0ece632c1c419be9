//! Kinds of territory: state, municipality, the decree's areas (AIS, AISP, AISE), intervention areas,
//! and any other kind a deployment needs (e.g. `cisp`, `bairro`).

use std::fmt;

use crate::serde_str::{display_as_str, parsed_from_text};

/// Why a territory kind could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TerritoryKindError {
    /// Empty, too long, or not a word of ASCII letters, digits and `_` starting with a letter.
    #[error(
        "esperado tipo de território: state, municipality, ais, aisp, aise, intervention ou outra palavra \
         (até 32 letras sem acento, dígitos e _, começando por letra)"
    )]
    Invalid,
}

/// A territory kind outside the known ones: a lower-case word of 1 to 32 ASCII letters, digits and `_`,
/// starting with a letter, never one of the known kinds' words (so each kind has one representation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OtherKind(String);

impl OtherKind {
    /// The word, lower-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OtherKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The kind of a territory (`kind` in the territories file).
///
/// Parsed from a word in any case (stored lower-case): `state`, `municipality`, `ais`, `aisp`, `aise`,
/// `intervention`, or another word ([`TerritoryKind::Other`]). Displayed and serialised as that word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TerritoryKind {
    /// A state (UF).
    State,
    /// A municipality.
    Municipality,
    /// Área Integrada de Segurança.
    Ais,
    /// Área Integrada de Segurança Prioritária (Decreto 7.872/2013, Art. 2).
    Aisp,
    /// Área Integrada de Segurança Especializada.
    Aise,
    /// An intervention area (for impact evaluations).
    Intervention,
    /// Another kind, named by a word.
    Other(OtherKind),
}

impl TerritoryKind {
    /// The known kinds and their words.
    const KNOWN: [(&'static str, TerritoryKind); 6] = [
        ("state", TerritoryKind::State),
        ("municipality", TerritoryKind::Municipality),
        ("ais", TerritoryKind::Ais),
        ("aisp", TerritoryKind::Aisp),
        ("aise", TerritoryKind::Aise),
        ("intervention", TerritoryKind::Intervention),
    ];

    /// Parses a kind word, in any case (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<TerritoryKind, TerritoryKindError> {
        let s = s.trim();
        let mut chars = s.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !starts_with_letter || !rest_ok || s.len() > 32 {
            return Err(TerritoryKindError::Invalid);
        }
        let word = s.to_ascii_lowercase();
        Ok(Self::KNOWN
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, kind)| kind.clone())
            .unwrap_or(TerritoryKind::Other(OtherKind(word))))
    }

    /// The word (`aisp`).
    pub fn as_str(&self) -> &str {
        match self {
            TerritoryKind::State => "state",
            TerritoryKind::Municipality => "municipality",
            TerritoryKind::Ais => "ais",
            TerritoryKind::Aisp => "aisp",
            TerritoryKind::Aise => "aise",
            TerritoryKind::Intervention => "intervention",
            TerritoryKind::Other(word) => word.as_str(),
        }
    }

    /// The label shown to users: "Estado", "Município", "AIS", "AISP", "AISE", "Área de intervenção",
    /// or the word itself for other kinds.
    pub fn label_pt(&self) -> &str {
        match self {
            TerritoryKind::State => "Estado",
            TerritoryKind::Municipality => "Município",
            TerritoryKind::Ais => "AIS",
            TerritoryKind::Aisp => "AISP",
            TerritoryKind::Aise => "AISE",
            TerritoryKind::Intervention => "Área de intervenção",
            TerritoryKind::Other(word) => word.as_str(),
        }
    }

    /// The kind in the plural, as the heading of a list of such territories.
    pub fn plural_pt(&self) -> &str {
        match self {
            TerritoryKind::State => "Estado",
            TerritoryKind::Municipality => "Municípios",
            TerritoryKind::Ais => "AIS",
            TerritoryKind::Aisp => "AISP",
            TerritoryKind::Aise => "AISE",
            TerritoryKind::Intervention => "Áreas de intervenção",
            TerritoryKind::Other(word) => word.as_str(),
        }
    }
}

display_as_str!(TerritoryKind);
parsed_from_text!(
    TerritoryKind,
    TerritoryKindError,
    "a territory kind word such as aisp"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_kinds() {
        let cases = [
            ("state", TerritoryKind::State, "Estado"),
            ("municipality", TerritoryKind::Municipality, "Município"),
            ("ais", TerritoryKind::Ais, "AIS"),
            ("aisp", TerritoryKind::Aisp, "AISP"),
            ("aise", TerritoryKind::Aise, "AISE"),
            (
                "intervention",
                TerritoryKind::Intervention,
                "Área de intervenção",
            ),
        ];
        for (word, kind, label) in cases {
            assert_eq!(TerritoryKind::parse(word), Ok(kind.clone()));
            assert_eq!(kind.as_str(), word);
            assert_eq!(kind.to_string(), word);
            assert_eq!(kind.label_pt(), label);
        }
        assert_eq!(TerritoryKind::parse(" AISP "), Ok(TerritoryKind::Aisp));
    }

    #[test]
    fn other_kinds() {
        let cisp = TerritoryKind::parse("CISP").unwrap();
        assert!(matches!(&cisp, TerritoryKind::Other(w) if w.as_str() == "cisp"));
        assert_eq!(cisp.as_str(), "cisp");
        assert_eq!(cisp.label_pt(), "cisp");
        assert_eq!(
            TerritoryKind::parse("regiao_2").unwrap().to_string(),
            "regiao_2"
        );
        for bad in [
            "",
            "  ",
            "2aisp",
            "_x",
            "área",
            "ais p",
            "ais-p",
            &"a".repeat(33),
        ] {
            assert_eq!(
                TerritoryKind::parse(bad),
                Err(TerritoryKindError::Invalid),
                "{bad:?}"
            );
        }
        assert!(TerritoryKind::parse(&"a".repeat(32)).is_ok());
    }

    #[test]
    fn serde_as_word() {
        let kinds = vec![TerritoryKind::Aisp, TerritoryKind::parse("cisp").unwrap()];
        let json = serde_json::to_string(&kinds).unwrap();
        assert_eq!(json, r#"["aisp","cisp"]"#);
        assert_eq!(
            serde_json::from_str::<Vec<TerritoryKind>>(&json).unwrap(),
            kinds
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = TerritoryKind::parse(&s);
        }

        #[test]
        fn round_trips(s in "[A-Za-z][A-Za-z0-9_]{0,31}") {
            let kind = TerritoryKind::parse(&s).unwrap();
            prop_assert_eq!(kind.as_str(), s.to_ascii_lowercase());
            prop_assert_eq!(TerritoryKind::parse(&kind.to_string()), Ok(kind));
        }
    }
}
