//! Crime codes and the built-in crime catalog (contracts.md §2), with the Crimes de Alta Prioridade (CAP).

use std::borrow::Cow;
use std::fmt;

use crate::serde_str::{display_as_str, parsed_from_text};

/// Why a crime code could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CrimeCodeError {
    /// Empty after trimming.
    #[error("código de crime vazio")]
    Empty,
    /// Longer than 64 characters.
    #[error("código de crime longo demais: máximo de 64 caracteres")]
    TooLong,
    /// Not lower-case ASCII letters, digits and `_` starting with a letter.
    #[error(
        "esperado código de crime em letras minúsculas sem acento, dígitos e _, começando por letra \
         (ex.: roubo_veiculo)"
    )]
    Invalid,
}

/// A crime catalog code, e.g. `roubo_veiculo`: 1 to 64 lower-case ASCII letters, digits and `_`,
/// starting with a letter (surrounding whitespace trimmed; upper case is rejected, not folded).
///
/// A well-formed code need not be in the built-in [`CATALOG`]: administrators may add codes. Whether a
/// code is known is a question for the catalog in force ([`catalog_entry`] for the built-in one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CrimeCode(Cow<'static, str>);

impl CrimeCode {
    /// The maximum length, in characters.
    pub const MAX_LEN: usize = 64;

    /// Parses a code.
    pub fn parse(s: &str) -> Result<CrimeCode, CrimeCodeError> {
        let s = s.trim();
        let mut chars = s.chars();
        match chars.next() {
            None => return Err(CrimeCodeError::Empty),
            Some(c) if !c.is_ascii_lowercase() => return Err(CrimeCodeError::Invalid),
            Some(_) => {}
        }
        if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            return Err(CrimeCodeError::Invalid);
        }
        if s.len() > Self::MAX_LEN {
            return Err(CrimeCodeError::TooLong);
        }
        Ok(CrimeCode(Cow::Owned(s.to_owned())))
    }

    /// A code from the built-in table (checked by the tests).
    const fn known(code: &'static str) -> CrimeCode {
        CrimeCode(Cow::Borrowed(code))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

display_as_str!(CrimeCode);
parsed_from_text!(
    CrimeCode,
    CrimeCodeError,
    "a crime code such as roubo_veiculo"
);

impl AsRef<str> for CrimeCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The group a catalog crime belongs to, for summaries. Serialised in snake_case (`violent_lethal`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CrimeGroup {
    /// Crimes Violentos Letais Intencionais (CVLI): homicídio doloso, feminicídio, latrocínio, lesão
    /// corporal seguida de morte.
    ViolentLethal,
    /// Other violent crimes: tentativa de homicídio, estupro, violência doméstica.
    ViolentOther,
    /// Robberies (roubo).
    Robbery,
    /// Thefts (furto).
    Theft,
    /// Drug trafficking and illegal carrying of firearms.
    DrugsWeapons,
    /// Everything else.
    Other,
}

impl CrimeGroup {
    /// The snake_case word (`violent_lethal`).
    pub fn as_str(self) -> &'static str {
        match self {
            CrimeGroup::ViolentLethal => "violent_lethal",
            CrimeGroup::ViolentOther => "violent_other",
            CrimeGroup::Robbery => "robbery",
            CrimeGroup::Theft => "theft",
            CrimeGroup::DrugsWeapons => "drugs_weapons",
            CrimeGroup::Other => "other",
        }
    }

    /// The label shown to users.
    pub fn label_pt(self) -> &'static str {
        match self {
            CrimeGroup::ViolentLethal => "Crimes violentos letais intencionais (CVLI)",
            CrimeGroup::ViolentOther => "Outros crimes violentos",
            CrimeGroup::Robbery => "Roubos",
            CrimeGroup::Theft => "Furtos",
            CrimeGroup::DrugsWeapons => "Drogas e armas",
            CrimeGroup::Other => "Outros",
        }
    }
}

impl fmt::Display for CrimeGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One crime of the built-in catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    code: CrimeCode,
    name_pt: &'static str,
    group: CrimeGroup,
}

impl CatalogEntry {
    const fn new(code: &'static str, name_pt: &'static str, group: CrimeGroup) -> CatalogEntry {
        CatalogEntry {
            code: CrimeCode::known(code),
            name_pt,
            group,
        }
    }

    /// The code (`homicidio_doloso`).
    pub fn code(&self) -> &CrimeCode {
        &self.code
    }

    /// The name shown to users ("Homicídio doloso").
    pub fn name_pt(&self) -> &'static str {
        self.name_pt
    }

    /// The group.
    pub fn group(&self) -> CrimeGroup {
        self.group
    }
}

/// The built-in crime catalog: the 22 codes of contracts.md §2, in that order.
pub const CATALOG: &[CatalogEntry] = {
    use CrimeGroup::*;
    &[
        CatalogEntry::new("homicidio_doloso", "Homicídio doloso", ViolentLethal),
        CatalogEntry::new("feminicidio", "Feminicídio", ViolentLethal),
        CatalogEntry::new("latrocinio", "Latrocínio", ViolentLethal),
        CatalogEntry::new(
            "lesao_corporal_seguida_de_morte",
            "Lesão corporal seguida de morte",
            ViolentLethal,
        ),
        CatalogEntry::new(
            "tentativa_homicidio",
            "Tentativa de homicídio",
            ViolentOther,
        ),
        CatalogEntry::new("roubo_veiculo", "Roubo de veículo", Robbery),
        CatalogEntry::new("furto_veiculo", "Furto de veículo", Theft),
        CatalogEntry::new("roubo_carga", "Roubo de carga", Robbery),
        CatalogEntry::new("roubo_transeunte", "Roubo a transeunte", Robbery),
        CatalogEntry::new("roubo_celular", "Roubo de celular", Robbery),
        CatalogEntry::new(
            "roubo_comercio",
            "Roubo a estabelecimento comercial",
            Robbery,
        ),
        CatalogEntry::new("roubo_residencia", "Roubo a residência", Robbery),
        CatalogEntry::new(
            "roubo_instituicao_financeira",
            "Roubo a instituição financeira",
            Robbery,
        ),
        CatalogEntry::new("furto_transeunte", "Furto a transeunte", Theft),
        CatalogEntry::new("furto_celular", "Furto de celular", Theft),
        CatalogEntry::new("furto_comercio", "Furto a estabelecimento comercial", Theft),
        CatalogEntry::new("furto_residencia", "Furto a residência", Theft),
        CatalogEntry::new("estupro", "Estupro", ViolentOther),
        CatalogEntry::new("trafico_drogas", "Tráfico de drogas", DrugsWeapons),
        CatalogEntry::new(
            "porte_ilegal_arma",
            "Porte ilegal de arma de fogo",
            DrugsWeapons,
        ),
        CatalogEntry::new("violencia_domestica", "Violência doméstica", ViolentOther),
        CatalogEntry::new("outros", "Outros", Other),
    ]
};

/// The default Crimes de Alta Prioridade (CAP) of Decreto 7.872/2013, Art. 4: homicídio doloso, roubo de
/// veículo and furto de veículo. The set is a program parameter (the law may change it); this is its
/// default value.
pub fn default_cap() -> [CrimeCode; 3] {
    [
        CrimeCode::known("homicidio_doloso"),
        CrimeCode::known("roubo_veiculo"),
        CrimeCode::known("furto_veiculo"),
    ]
}

/// The built-in catalog's entry for `code`, if it has one.
pub fn catalog_entry(code: &CrimeCode) -> Option<&'static CatalogEntry> {
    CATALOG.iter().find(|entry| entry.code == *code)
}

/// A stored crime code as people read it: the built-in catalog's name ("Roubo de veículo"), or the code
/// itself for a crime the administrators added (its name is in the database's catalog).
pub fn name_pt(code: &str) -> String {
    code.parse::<CrimeCode>()
        .ok()
        .and_then(|c| catalog_entry(&c).map(|e| e.name_pt().to_string()))
        .unwrap_or_else(|| code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CONTRACT_ORDER: [&str; 22] = [
        "homicidio_doloso",
        "feminicidio",
        "latrocinio",
        "lesao_corporal_seguida_de_morte",
        "tentativa_homicidio",
        "roubo_veiculo",
        "furto_veiculo",
        "roubo_carga",
        "roubo_transeunte",
        "roubo_celular",
        "roubo_comercio",
        "roubo_residencia",
        "roubo_instituicao_financeira",
        "furto_transeunte",
        "furto_celular",
        "furto_comercio",
        "furto_residencia",
        "estupro",
        "trafico_drogas",
        "porte_ilegal_arma",
        "violencia_domestica",
        "outros",
    ];

    #[test]
    fn catalog_matches_the_contract() {
        let codes: Vec<&str> = CATALOG.iter().map(|e| e.code().as_str()).collect();
        assert_eq!(codes, CONTRACT_ORDER);
        for entry in CATALOG {
            // Every built-in code is a valid code, equal to its parsed form.
            assert_eq!(
                CrimeCode::parse(entry.code().as_str()).as_ref(),
                Ok(entry.code())
            );
            assert!(!entry.name_pt().is_empty());
        }
    }

    #[test]
    fn groups() {
        let of = |g: CrimeGroup| -> Vec<&str> {
            CATALOG
                .iter()
                .filter(|e| e.group() == g)
                .map(|e| e.code().as_str())
                .collect()
        };
        assert_eq!(
            of(CrimeGroup::ViolentLethal),
            [
                "homicidio_doloso",
                "feminicidio",
                "latrocinio",
                "lesao_corporal_seguida_de_morte"
            ]
        );
        assert_eq!(
            of(CrimeGroup::ViolentOther),
            ["tentativa_homicidio", "estupro", "violencia_domestica"]
        );
        assert_eq!(
            of(CrimeGroup::DrugsWeapons),
            ["trafico_drogas", "porte_ilegal_arma"]
        );
        assert_eq!(of(CrimeGroup::Other), ["outros"]);
        assert!(
            of(CrimeGroup::Robbery)
                .iter()
                .all(|c| c.starts_with("roubo_"))
        );
        assert!(
            of(CrimeGroup::Theft)
                .iter()
                .all(|c| c.starts_with("furto_"))
        );
        assert_eq!(
            of(CrimeGroup::Robbery).len() + of(CrimeGroup::Theft).len(),
            12
        );
        assert_eq!(
            serde_json::to_string(&CrimeGroup::ViolentLethal).unwrap(),
            r#""violent_lethal""#
        );
        assert_eq!(CrimeGroup::DrugsWeapons.to_string(), "drugs_weapons");
    }

    #[test]
    fn names() {
        let name = |c: &str| catalog_entry(&CrimeCode::parse(c).unwrap()).map(|e| e.name_pt());
        assert_eq!(name("homicidio_doloso"), Some("Homicídio doloso"));
        assert_eq!(name("roubo_veiculo"), Some("Roubo de veículo"));
        assert_eq!(name("furto_veiculo"), Some("Furto de veículo"));
        assert_eq!(name("pichacao"), None);
    }

    #[test]
    fn default_cap_is_art_4() {
        let cap = default_cap();
        let codes: Vec<&str> = cap.iter().map(CrimeCode::as_str).collect();
        assert_eq!(
            codes,
            ["homicidio_doloso", "roubo_veiculo", "furto_veiculo"]
        );
        assert!(cap.iter().all(|c| catalog_entry(c).is_some()));
        assert_eq!(
            serde_json::to_string(&cap).unwrap(),
            r#"["homicidio_doloso","roubo_veiculo","furto_veiculo"]"#
        );
    }

    #[test]
    fn parse_rules() {
        assert_eq!(
            CrimeCode::parse(" roubo_veiculo ").unwrap().as_str(),
            "roubo_veiculo"
        );
        assert_eq!(
            CrimeCode::parse("art157_2").unwrap().to_string(),
            "art157_2"
        );
        assert_eq!(CrimeCode::parse(""), Err(CrimeCodeError::Empty));
        assert_eq!(CrimeCode::parse("  "), Err(CrimeCodeError::Empty));
        for bad in [
            "Roubo_veiculo",
            "ROUBO",
            "1roubo",
            "_roubo",
            "roubo-veiculo",
            "roubo veiculo",
            "lesão",
        ] {
            assert_eq!(
                CrimeCode::parse(bad),
                Err(CrimeCodeError::Invalid),
                "{bad:?}"
            );
        }
        assert!(CrimeCode::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            CrimeCode::parse(&"a".repeat(65)),
            Err(CrimeCodeError::TooLong)
        );
        // A parsed code equals the built-in one (Owned vs Borrowed storage is invisible).
        assert_eq!(
            CrimeCode::parse("homicidio_doloso").unwrap(),
            default_cap()[0]
        );
        assert_eq!(
            serde_json::from_str::<CrimeCode>(r#""furto_veiculo""#).unwrap(),
            default_cap()[2]
        );
        assert!(serde_json::from_str::<CrimeCode>(r#""Furto""#).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = CrimeCode::parse(&s);
        }

        #[test]
        fn round_trips(s in "[a-z][a-z0-9_]{0,63}") {
            let code = CrimeCode::parse(&s).unwrap();
            prop_assert_eq!(CrimeCode::parse(&format!("{code}")), Ok(code));
        }
    }
}
