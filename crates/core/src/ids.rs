//! Identifiers: IBGE municipality codes, states (UF), CPFs, registrations (matrícula), BO/REDS numbers,
//! territory and unit codes.
//!
//! Each is parsed once at the edge (CSV cell, form field, configuration) and carried as its own type.

use std::fmt;
use std::str::FromStr;

use crate::serde_str::{deserialize_from_str, display_as_str, parsed_from_text};

// ---------------------------------------------------------------------------------------------------------
// UF
// ---------------------------------------------------------------------------------------------------------

/// Why a state (UF) could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UfError {
    /// Not one of the 27 siglas.
    #[error("esperado sigla de UF (ex.: GO, MG, RJ)")]
    Unknown,
}

/// A Brazilian federative unit (the 26 states and the Distrito Federal), by its sigla.
///
/// Parsed from the sigla in any case (`GO`, `go`); displayed and serialised upper-case. The declaration
/// order (and so `Ord`) is IBGE code order, from RO (11) to DF (53).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Uf {
    /// Rondônia (11).
    RO,
    /// Acre (12).
    AC,
    /// Amazonas (13).
    AM,
    /// Roraima (14).
    RR,
    /// Pará (15).
    PA,
    /// Amapá (16).
    AP,
    /// Tocantins (17).
    TO,
    /// Maranhão (21).
    MA,
    /// Piauí (22).
    PI,
    /// Ceará (23).
    CE,
    /// Rio Grande do Norte (24).
    RN,
    /// Paraíba (25).
    PB,
    /// Pernambuco (26).
    PE,
    /// Alagoas (27).
    AL,
    /// Sergipe (28).
    SE,
    /// Bahia (29).
    BA,
    /// Minas Gerais (31).
    MG,
    /// Espírito Santo (32).
    ES,
    /// Rio de Janeiro (33).
    RJ,
    /// São Paulo (35).
    SP,
    /// Paraná (41).
    PR,
    /// Santa Catarina (42).
    SC,
    /// Rio Grande do Sul (43).
    RS,
    /// Mato Grosso do Sul (50).
    MS,
    /// Mato Grosso (51).
    MT,
    /// Goiás (52).
    GO,
    /// Distrito Federal (53).
    DF,
}

/// (UF, sigla, IBGE code, name), in declaration order.
const UF_TABLE: [(Uf, &str, u8, &str); 27] = [
    (Uf::RO, "RO", 11, "Rondônia"),
    (Uf::AC, "AC", 12, "Acre"),
    (Uf::AM, "AM", 13, "Amazonas"),
    (Uf::RR, "RR", 14, "Roraima"),
    (Uf::PA, "PA", 15, "Pará"),
    (Uf::AP, "AP", 16, "Amapá"),
    (Uf::TO, "TO", 17, "Tocantins"),
    (Uf::MA, "MA", 21, "Maranhão"),
    (Uf::PI, "PI", 22, "Piauí"),
    (Uf::CE, "CE", 23, "Ceará"),
    (Uf::RN, "RN", 24, "Rio Grande do Norte"),
    (Uf::PB, "PB", 25, "Paraíba"),
    (Uf::PE, "PE", 26, "Pernambuco"),
    (Uf::AL, "AL", 27, "Alagoas"),
    (Uf::SE, "SE", 28, "Sergipe"),
    (Uf::BA, "BA", 29, "Bahia"),
    (Uf::MG, "MG", 31, "Minas Gerais"),
    (Uf::ES, "ES", 32, "Espírito Santo"),
    (Uf::RJ, "RJ", 33, "Rio de Janeiro"),
    (Uf::SP, "SP", 35, "São Paulo"),
    (Uf::PR, "PR", 41, "Paraná"),
    (Uf::SC, "SC", 42, "Santa Catarina"),
    (Uf::RS, "RS", 43, "Rio Grande do Sul"),
    (Uf::MS, "MS", 50, "Mato Grosso do Sul"),
    (Uf::MT, "MT", 51, "Mato Grosso"),
    (Uf::GO, "GO", 52, "Goiás"),
    (Uf::DF, "DF", 53, "Distrito Federal"),
];

impl Uf {
    /// All 27 federative units, in IBGE code order.
    pub const ALL: [Uf; 27] = {
        let mut all = [Uf::RO; 27];
        let mut i = 0;
        while i < 27 {
            all[i] = UF_TABLE[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> &'static (Uf, &'static str, u8, &'static str) {
        // The discriminant is the row index: the table is in declaration order (checked by a test).
        &UF_TABLE[self as usize]
    }

    /// Parses a sigla, in any case (`GO`, `go`).
    pub fn parse(s: &str) -> Result<Uf, UfError> {
        let s = s.trim();
        UF_TABLE
            .iter()
            .find(|row| row.1.eq_ignore_ascii_case(s))
            .map(|row| row.0)
            .ok_or(UfError::Unknown)
    }

    /// The UF with this two-digit IBGE code (52 → GO), if any.
    pub fn from_ibge_code(code: u8) -> Option<Uf> {
        UF_TABLE.iter().find(|row| row.2 == code).map(|row| row.0)
    }

    /// The sigla, upper-case (`GO`).
    pub fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The two-digit IBGE code (GO → 52, MG → 31, RJ → 33).
    pub fn ibge_code(self) -> u8 {
        self.row().2
    }

    /// The name in Portuguese (`Goiás`).
    pub fn name(self) -> &'static str {
        self.row().3
    }
}

display_as_str!(Uf);
parsed_from_text!(Uf, UfError, "a UF sigla such as GO");

// ---------------------------------------------------------------------------------------------------------
// IBGE municipality code
// ---------------------------------------------------------------------------------------------------------

/// Why an IBGE municipality code could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IbgeCodeError {
    /// Not exactly seven digits.
    #[error("esperado código IBGE de município com 7 dígitos (ex.: 5208707)")]
    Format,
    /// The first two digits are not the code of a state.
    #[error("código IBGE com UF inexistente: {code} não é código de estado")]
    UnknownUf {
        /// The first two digits.
        code: u8,
    },
    /// The seventh digit does not match the IBGE check-digit rule.
    #[error("código IBGE com dígito verificador inválido")]
    CheckDigit,
}

/// The real municipalities whose official codes do not satisfy the IBGE check-digit rule, accepted as
/// they are: Bom Princípio do Piauí (2201919), Brejo do Piauí (2201988), Canavieira (2202251), Quixaba-PE
/// (2611533), Cônego Marinho (3117836), Ponto Chique (3152131), Coronel Barros (4305871), Buriti de Goiás
/// (5203939) and Buritinópolis (5203962).
///
/// The integration test checks that this is exactly the set of failing codes among the 5,570
/// municipalities of the IBGE population estimates.
pub const IBGE_CHECK_DIGIT_EXCEPTIONS: [&str; 9] = [
    "2201919", "2201988", "2202251", "2611533", "3117836", "3152131", "4305871", "5203939",
    "5203962",
];

/// The IBGE check digit of a municipality code's first six digits (given as numbers 0..=9): weights
/// 1, 2, 1, 2, 1, 2; a product of 10 or more counts as the sum of its digits;
/// check = (10 − total mod 10) mod 10.
fn ibge_check_digit(first_six: &[u8]) -> u8 {
    let total: u32 = first_six
        .iter()
        .zip([1u32, 2, 1, 2, 1, 2])
        .map(|(&d, w)| {
            let p = u32::from(d) * w;
            p / 10 + p % 10
        })
        .sum();
    // The result is in 0..=9.
    ((10 - total % 10) % 10) as u8
}

/// A 7-digit IBGE municipality code, e.g. `5208707` (Goiânia), with its check digit verified.
///
/// The first two digits must be a state's code; the seventh must satisfy the IBGE check-digit rule, except
/// for the municipalities of [`IBGE_CHECK_DIGIT_EXCEPTIONS`]. Surrounding whitespace is ignored; nothing
/// else is (no 6-digit codes without the check digit, no separators).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IbgeCode {
    /// ASCII digits. Compared first, so ordering is numeric.
    digits: [u8; 7],
    uf: Uf,
}

impl IbgeCode {
    /// Parses a 7-digit code.
    ///
    /// ```
    /// use atalaia_core::{IbgeCode, IbgeCodeError, Uf};
    ///
    /// let goiania = IbgeCode::parse("5208707")?;
    /// assert_eq!((goiania.uf(), goiania.uf_code()), (Uf::GO, 52));
    /// assert_eq!(IbgeCode::parse("5208708"), Err(IbgeCodeError::CheckDigit));
    /// assert!(IbgeCode::parse("5203939").is_ok()); // Buriti de Goiás: an official exception
    /// # Ok::<(), IbgeCodeError>(())
    /// ```
    pub fn parse(s: &str) -> Result<IbgeCode, IbgeCodeError> {
        let s = s.trim();
        let digits: [u8; 7] = s.as_bytes().try_into().map_err(|_| IbgeCodeError::Format)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(IbgeCodeError::Format);
        }
        let n = digits.map(|b| b - b'0');
        let uf_code = n[0] * 10 + n[1];
        let uf = Uf::from_ibge_code(uf_code).ok_or(IbgeCodeError::UnknownUf { code: uf_code })?;
        if ibge_check_digit(&n[..6]) != n[6] && !IBGE_CHECK_DIGIT_EXCEPTIONS.contains(&s) {
            return Err(IbgeCodeError::CheckDigit);
        }
        Ok(IbgeCode { digits, uf })
    }

    /// The code of a municipality written with six digits, without its check digit (as several
    /// secretariats publish it): the check digit computed, or the official exception that starts so.
    ///
    /// ```
    /// use atalaia_core::IbgeCode;
    ///
    /// assert_eq!(IbgeCode::complete("310010").unwrap().as_str(), "3100104");
    /// assert_eq!(IbgeCode::complete("520393").unwrap().as_str(), "5203939"); // an exception
    /// assert!(IbgeCode::complete("31001").is_err());
    /// ```
    pub fn complete(six: &str) -> Result<IbgeCode, IbgeCodeError> {
        let six = six.trim();
        if six.len() != 6 || !six.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IbgeCodeError::Format);
        }
        if let Some(exception) = IBGE_CHECK_DIGIT_EXCEPTIONS
            .iter()
            .find(|e| e.starts_with(six))
        {
            return IbgeCode::parse(exception);
        }
        let n: Vec<u8> = six.bytes().map(|b| b - b'0').collect();
        IbgeCode::parse(&format!("{six}{}", ibge_check_digit(&n)))
    }

    /// The seven digits.
    pub fn as_str(&self) -> &str {
        // Always ASCII digits; the fallback is unreachable.
        std::str::from_utf8(&self.digits).unwrap_or_default()
    }

    /// The code as a number (5208707).
    pub fn to_u32(self) -> u32 {
        self.digits
            .iter()
            .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0'))
    }

    /// The state's IBGE code: the first two digits (5208707 → 52).
    pub fn uf_code(self) -> u8 {
        self.uf.ibge_code()
    }

    /// The state the municipality belongs to.
    pub fn uf(self) -> Uf {
        self.uf
    }
}

impl fmt::Debug for IbgeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IbgeCode({})", self.as_str())
    }
}

display_as_str!(IbgeCode);
parsed_from_text!(IbgeCode, IbgeCodeError, "a 7-digit IBGE municipality code");

// ---------------------------------------------------------------------------------------------------------
// CPF
// ---------------------------------------------------------------------------------------------------------

/// Why a CPF could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CpfError {
    /// Not 11 digits (after removing `.`, `-` and spaces), or other characters present.
    #[error("esperado CPF com 11 dígitos (ex.: 529.982.247-25)")]
    Format,
    /// All eleven digits are the same (e.g. 111.111.111-11): valid by arithmetic, never issued.
    #[error("CPF inválido: todos os dígitos iguais")]
    RepeatedDigits,
    /// One of the two check digits is wrong.
    #[error("CPF com dígito verificador inválido")]
    CheckDigit,
}

/// The two check digits of a CPF's first nine digits (numbers 0..=9).
fn cpf_check_digits(base: &[u8; 9]) -> [u8; 2] {
    fn digit(ds: &[u8]) -> u8 {
        // Weights n+1, n, ..., 2 over the n digits.
        let w = ds.len() as u32 + 1;
        let sum: u32 = ds
            .iter()
            .enumerate()
            .map(|(i, &d)| u32::from(d) * (w - i as u32))
            .sum();
        let r = sum * 10 % 11;
        if r == 10 { 0 } else { r as u8 }
    }
    let first = digit(base);
    let mut ten = [0u8; 10];
    ten[..9].copy_from_slice(base);
    ten[9] = first;
    [first, digit(&ten)]
}

/// A CPF (Cadastro de Pessoas Físicas) number with both check digits verified.
///
/// Personal data (LGPD): [`Display`](fmt::Display) and [`Debug`](fmt::Debug) print only the masked form
/// `***.982.247-**`, so a CPF never leaks into logs or error messages by accident; [`Cpf::digits`] and
/// [`Cpf::formatted`] give the full number to code that is allowed to show or store it. For the same
/// reason `Cpf` implements `Deserialize` but not `Serialize`: serialise `digits()` or `masked()`
/// explicitly, according to the reader's role.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cpf {
    /// ASCII digits.
    digits: [u8; 11],
}

impl Cpf {
    /// Parses `529.982.247-25` or `52998224725`: after removing `.`, `-` and spaces exactly 11 digits must
    /// remain (missing leading zeros are not restored).
    ///
    /// ```
    /// use atalaia_core::{Cpf, CpfError};
    ///
    /// let cpf = Cpf::parse("529.982.247-25")?;
    /// assert_eq!(cpf.to_string(), "***.982.247-**"); // Display never shows the whole number
    /// assert_eq!(cpf.digits(), "52998224725");
    /// assert_eq!(Cpf::parse("529.982.247-26"), Err(CpfError::CheckDigit));
    /// # Ok::<(), CpfError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Cpf, CpfError> {
        let mut digits = [0u8; 11];
        let mut n = 0;
        for c in s.trim().chars() {
            match c {
                '.' | '-' | ' ' => {}
                '0'..='9' => {
                    *digits.get_mut(n).ok_or(CpfError::Format)? = c as u8;
                    n += 1;
                }
                _ => return Err(CpfError::Format),
            }
        }
        if n != 11 {
            return Err(CpfError::Format);
        }
        Cpf::from_ascii_digits(digits)
    }

    /// Builds a CPF from its first nine digits (exactly nine ASCII digits, no separators), computing the
    /// two check digits. Useful to generate test and demo data.
    pub fn complete(first_nine: &str) -> Result<Cpf, CpfError> {
        let base: [u8; 9] = first_nine
            .as_bytes()
            .try_into()
            .map_err(|_| CpfError::Format)?;
        if !base.iter().all(u8::is_ascii_digit) {
            return Err(CpfError::Format);
        }
        let check = cpf_check_digits(&base.map(|b| b - b'0'));
        let mut digits = [0u8; 11];
        digits[..9].copy_from_slice(&base);
        digits[9] = b'0' + check[0];
        digits[10] = b'0' + check[1];
        Cpf::from_ascii_digits(digits)
    }

    fn from_ascii_digits(digits: [u8; 11]) -> Result<Cpf, CpfError> {
        if digits.iter().all(|&d| d == digits[0]) {
            return Err(CpfError::RepeatedDigits);
        }
        let mut base = [0u8; 9];
        for (b, d) in base.iter_mut().zip(&digits) {
            *b = d - b'0';
        }
        let check = cpf_check_digits(&base);
        if [digits[9] - b'0', digits[10] - b'0'] != check {
            return Err(CpfError::CheckDigit);
        }
        Ok(Cpf { digits })
    }

    fn part(&self, range: std::ops::Range<usize>) -> &str {
        // Always ASCII digits; the fallback is unreachable.
        self.digits
            .get(range)
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// The 11 digits, unmasked (`52998224725`). Only for roles allowed to see a CPF.
    pub fn digits(&self) -> &str {
        self.part(0..11)
    }

    /// The full number with punctuation (`529.982.247-25`). Only for roles allowed to see a CPF.
    pub fn formatted(&self) -> String {
        format!(
            "{}.{}.{}-{}",
            self.part(0..3),
            self.part(3..6),
            self.part(6..9),
            self.part(9..11)
        )
    }

    /// The masked form shown to everyone else: the middle six digits visible (`***.982.247-**`).
    pub fn masked(&self) -> String {
        format!("***.{}.{}-**", self.part(3..6), self.part(6..9))
    }
}

impl fmt::Display for Cpf {
    /// Prints the masked form (`***.982.247-**`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Cpf {
    /// Prints the masked form (`Cpf(***.982.247-**)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpf({})", self.masked())
    }
}

impl FromStr for Cpf {
    type Err = CpfError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cpf::parse(s)
    }
}

deserialize_from_str!(Cpf, "a CPF with 11 digits");

// ---------------------------------------------------------------------------------------------------------
// Textual codes
// ---------------------------------------------------------------------------------------------------------

/// Why a textual identifier (registration, BO number, territory or unit code) could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Empty after trimming.
    #[error("valor vazio")]
    Empty,
    /// Longer than allowed.
    #[error("valor longo demais: máximo de {max} caracteres")]
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// A character outside the allowed set.
    #[error("caractere {ch:?} não permitido: use apenas {allowed}")]
    InvalidChar {
        /// The first offending character.
        ch: char,
        /// The allowed characters, in Portuguese.
        allowed: &'static str,
    },
}

/// Trims `s` and checks its length (in characters) and characters.
fn check_code<'a>(
    s: &'a str,
    max: usize,
    allowed: fn(char) -> bool,
    allowed_pt: &'static str,
) -> Result<&'a str, CodeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(CodeError::Empty);
    }
    if let Some(ch) = s.chars().find(|&c| !allowed(c)) {
        return Err(CodeError::InvalidChar {
            ch,
            allowed: allowed_pt,
        });
    }
    if s.chars().count() > max {
        return Err(CodeError::TooLong { max });
    }
    Ok(s)
}

/// Defines a string newtype with private field, `parse`, `as_str`, `Display`, `FromStr`, `AsRef<str>`
/// and serde as a string.
macro_rules! text_id {
    (
        $(#[$meta:meta])*
        $name:ident, max = $max:expr, allowed = $allowed:expr, allowed_pt = $allowed_pt:expr,
        upper = $upper:expr, expecting = $expecting:literal
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The maximum length, in characters.
            pub const MAX_LEN: usize = $max;

            /// Parses the value (surrounding whitespace is trimmed).
            pub fn parse(s: &str) -> Result<$name, CodeError> {
                let s = check_code(s, $max, $allowed, $allowed_pt)?;
                Ok($name(if $upper { s.to_ascii_uppercase() } else { s.to_owned() }))
            }

            /// The value as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        display_as_str!($name);
        parsed_from_text!($name, CodeError, $expecting);

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

fn registration_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '/')
}

fn code_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn visible_char(c: char) -> bool {
    !c.is_control()
}

text_id! {
    /// An operator's registration number (matrícula funcional), e.g. `123.456-7`.
    ///
    /// Trimmed; 1 to 20 ASCII letters, digits and `-./`; stored upper-case, so `ab-1` and `AB-1` are the
    /// same registration.
    Registration, max = 20, allowed = registration_char,
    allowed_pt = "letras e dígitos sem acento e os sinais - . /", upper = true,
    expecting = "a registration (matrícula)"
}

text_id! {
    /// A Boletim de Ocorrência / REDS number: the occurrence's unique id (re-importing the same number
    /// updates the occurrence).
    ///
    /// Trimmed; 1 to 64 characters, any but control characters (inner spaces allowed); case preserved.
    BoNumber, max = 64, allowed = visible_char,
    allowed_pt = "caracteres visíveis (sem caracteres de controle)", upper = false,
    expecting = "a BO/REDS number"
}

text_id! {
    /// A territory's code, e.g. `AISP1`, `5208707`, `RJ-AISP05`.
    ///
    /// Trimmed; 1 to 64 ASCII letters, digits and `-_.`; case preserved (`aisp1` and `AISP1` differ).
    TerritoryCode, max = 64, allowed = code_char,
    allowed_pt = "letras e dígitos sem acento e os sinais - _ .", upper = false,
    expecting = "a territory code"
}

text_id! {
    /// An operational unit's code (battalion, police station, fire unit, forensic or prison unit).
    ///
    /// Same rules as [`TerritoryCode`]: trimmed; 1 to 64 ASCII letters, digits and `-_.`; case preserved.
    UnitCode, max = 64, allowed = code_char,
    allowed_pt = "letras e dígitos sem acento e os sinais - _ .", upper = false,
    expecting = "a unit code"
}

#[cfg(test)]
mod tests;
