//! Institutions: the security forces that operate the program and the partners that sit at the Igesp table.

use std::fmt;

use crate::serde_str::{display_as_str, parsed_from_text};

/// Why an institution code could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InstitutionError {
    /// Empty, too long, or not made of ASCII letters, digits, `-` and `_` starting with a letter.
    #[error(
        "esperado código de instituição (ex.: PM, PC, BM, SPTC, PP, MP) ou outro código de até 32 letras \
         sem acento, dígitos, - e _, começando por letra"
    )]
    Invalid,
}

/// An institution's code outside the known ones: upper-case, 1 to 32 ASCII letters, digits, `-` and `_`,
/// starting with a letter, never a known code or alias (so each institution has one representation).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OtherInstitution(String);

impl OtherInstitution {
    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OtherInstitution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An institution, by code.
///
/// Parsed case-insensitively from its code (`PM`, `pc`, ...) or an alias (`AGSEP`, `DGAP` → `PP`;
/// `CBM`, `CBMGO` → `BM`; `DPE` → `DP`); any other well-formed code is [`Institution::Other`].
/// Displayed and serialised as the code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Institution {
    /// Polícia Militar.
    Pm,
    /// Polícia Civil.
    Pc,
    /// Corpo de Bombeiros Militar.
    Bm,
    /// Superintendência de Polícia Técnico-Científica.
    Sptc,
    /// Polícia Penal (prison system; formerly AGSEP, now DGAP in Goiás).
    Pp,
    /// Ministério Público.
    Mp,
    /// Tribunal de Justiça.
    Tj,
    /// Defensoria Pública.
    Dp,
    /// Prefeitura (city hall).
    Pref,
    /// Conselho Comunitário de Segurança Pública.
    Consep,
    /// Câmara de Dirigentes Lojistas.
    Cdl,
    /// Secretaria de Estado de Justiça e Segurança Pública.
    Sejusp,
    /// Another institution, by its code.
    Other(OtherInstitution),
}

/// The known institutions (everything but [`Institution::Other`]).
const KNOWN: [Institution; 12] = [
    Institution::Pm,
    Institution::Pc,
    Institution::Bm,
    Institution::Sptc,
    Institution::Pp,
    Institution::Mp,
    Institution::Tj,
    Institution::Dp,
    Institution::Pref,
    Institution::Consep,
    Institution::Cdl,
    Institution::Sejusp,
];

/// Accepted aliases and the institution they stand for.
const ALIASES: [(&str, Institution); 5] = [
    ("AGSEP", Institution::Pp),
    ("DGAP", Institution::Pp),
    ("CBM", Institution::Bm),
    ("CBMGO", Institution::Bm),
    ("DPE", Institution::Dp),
];

impl Institution {
    /// Parses a code or alias, case-insensitively (surrounding whitespace ignored).
    pub fn parse(s: &str) -> Result<Institution, InstitutionError> {
        let s = s.trim();
        let mut chars = s.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !starts_with_letter || !rest_ok || s.len() > 32 {
            return Err(InstitutionError::Invalid);
        }
        let code = s.to_ascii_uppercase();
        let known = KNOWN
            .iter()
            .find(|inst| inst.code() == code)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, inst)| inst)
            })
            .cloned();
        Ok(known.unwrap_or(Institution::Other(OtherInstitution(code))))
    }

    /// The code (`PM`, `SPTC`, or the other institution's upper-case code).
    pub fn code(&self) -> &str {
        match self {
            Institution::Pm => "PM",
            Institution::Pc => "PC",
            Institution::Bm => "BM",
            Institution::Sptc => "SPTC",
            Institution::Pp => "PP",
            Institution::Mp => "MP",
            Institution::Tj => "TJ",
            Institution::Dp => "DP",
            Institution::Pref => "PREF",
            Institution::Consep => "CONSEP",
            Institution::Cdl => "CDL",
            Institution::Sejusp => "SEJUSP",
            Institution::Other(code) => code.as_str(),
        }
    }

    /// The name in Portuguese ("Polícia Militar"); for another institution, its code.
    pub fn name_pt(&self) -> &str {
        match self {
            Institution::Pm => "Polícia Militar",
            Institution::Pc => "Polícia Civil",
            Institution::Bm => "Corpo de Bombeiros Militar",
            Institution::Sptc => "Superintendência de Polícia Técnico-Científica",
            Institution::Pp => "Polícia Penal",
            Institution::Mp => "Ministério Público",
            Institution::Tj => "Tribunal de Justiça",
            Institution::Dp => "Defensoria Pública",
            Institution::Pref => "Prefeitura",
            Institution::Consep => "Conselho Comunitário de Segurança Pública",
            Institution::Cdl => "Câmara de Dirigentes Lojistas",
            Institution::Sejusp => "Secretaria de Estado de Justiça e Segurança Pública",
            Institution::Other(code) => code.as_str(),
        }
    }

    /// Whether the institution is one of the security forces whose operators take part in the program:
    /// policiais militares, bombeiros militares, policiais civis, policiais técnico-científicos and
    /// agentes de segurança prisional (Decreto 7.872/2013, Art. 9) — PM, BM, PC, SPTC and PP.
    pub fn is_security_force(&self) -> bool {
        matches!(
            self,
            Institution::Pm
                | Institution::Pc
                | Institution::Bm
                | Institution::Sptc
                | Institution::Pp
        )
    }
}

display_as_str!(Institution, code);
parsed_from_text!(
    Institution,
    InstitutionError,
    "an institution code such as PM"
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_codes_round_trip() {
        let codes: Vec<&str> = KNOWN.iter().map(Institution::code).collect();
        assert_eq!(
            codes,
            [
                "PM", "PC", "BM", "SPTC", "PP", "MP", "TJ", "DP", "PREF", "CONSEP", "CDL", "SEJUSP"
            ]
        );
        for inst in KNOWN.iter() {
            assert_eq!(Institution::parse(inst.code()).as_ref(), Ok(inst));
            assert_eq!(
                Institution::parse(&inst.code().to_lowercase()).as_ref(),
                Ok(inst)
            );
            assert_eq!(inst.to_string(), inst.code());
            assert!(!inst.name_pt().is_empty());
        }
        assert_eq!(Institution::Pm.name_pt(), "Polícia Militar");
        assert_eq!(Institution::Bm.name_pt(), "Corpo de Bombeiros Militar");
        assert_eq!(
            Institution::Sptc.name_pt(),
            "Superintendência de Polícia Técnico-Científica"
        );
    }

    #[test]
    fn aliases() {
        assert_eq!(Institution::parse("AGSEP"), Ok(Institution::Pp));
        assert_eq!(Institution::parse("dgap"), Ok(Institution::Pp));
        assert_eq!(Institution::parse("CBM"), Ok(Institution::Bm));
        assert_eq!(Institution::parse(" CbmGo "), Ok(Institution::Bm));
        assert_eq!(Institution::parse("DPE"), Ok(Institution::Dp));
        assert_eq!(Institution::parse("DPE").unwrap().code(), "DP");
    }

    #[test]
    fn other_institutions() {
        let detran = Institution::parse("detran-go").unwrap();
        assert!(matches!(&detran, Institution::Other(c) if c.as_str() == "DETRAN-GO"));
        assert_eq!(detran.code(), "DETRAN-GO");
        assert_eq!(detran.name_pt(), "DETRAN-GO");
        assert!(!detran.is_security_force());
        // Not an alias: stays a separate institution.
        assert!(matches!(
            Institution::parse("PMGO"),
            Ok(Institution::Other(_))
        ));
        for bad in ["", "P M", "1PM", "Polícia", "-PM", &"A".repeat(33)] {
            assert_eq!(
                Institution::parse(bad),
                Err(InstitutionError::Invalid),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn security_forces_of_art_9() {
        let forces: Vec<&str> = KNOWN
            .iter()
            .filter(|inst| inst.is_security_force())
            .map(Institution::code)
            .collect();
        assert_eq!(forces, ["PM", "PC", "BM", "SPTC", "PP"]);
    }

    #[test]
    fn serde_as_code() {
        let list = vec![Institution::Pm, Institution::parse("detran").unwrap()];
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(json, r#"["PM","DETRAN"]"#);
        assert_eq!(
            serde_json::from_str::<Vec<Institution>>(r#"["pm","detran"]"#).unwrap(),
            list
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = Institution::parse(&s);
        }

        #[test]
        fn round_trips(s in "[A-Za-z][A-Za-z0-9_\\-]{0,31}") {
            let inst = Institution::parse(&s).unwrap();
            prop_assert_eq!(Institution::parse(&inst.to_string()), Ok(inst));
        }
    }
}
