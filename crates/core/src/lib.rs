//! atalaia-core: the pure domain core of Atalaia.
//!
//! Value types parsed once at the edge (CSV cell, form field, configuration) and trusted everywhere after:
//! periods ([`Month`], [`Quarter`]), identifiers ([`IbgeCode`], [`Uf`], [`Cpf`], [`Registration`],
//! [`BoNumber`], [`TerritoryCode`], [`UnitCode`]), coordinates ([`Wgs84`]), territory kinds, institutions,
//! crime codes and the crime catalog, date parsing for input files, and the rate arithmetic of
//! Decreto 7.872/2013.
//!
//! Invariants: this crate does no I/O and never reads the clock (callers pass "today" in); no input makes
//! it panic; every parse error has a Portuguese message saying what was expected, to which the caller
//! prefixes the file, line, column and value.

mod serde_str;

pub mod access;
pub mod audit;
pub mod calendar;
pub mod closing;
pub mod compstat;
pub mod crime;
pub mod cycle;
pub mod dates;
pub mod decision;
pub mod disclosure;
pub mod evaluation;
pub mod evidence;
pub mod geo_point;
pub mod ids;
pub mod igesp;
pub mod institution;
pub mod ipei;
pub mod numbers;
pub mod payroll;
pub mod period;
pub mod pipeline;
pub mod program;
pub mod rate;
pub mod recap;
pub mod reminders;
pub mod roster;
pub mod scope;
pub mod selection;
pub mod spreadsheet;
pub mod stats;
pub mod territory;
pub mod text;

pub use crime::{
    CATALOG, CatalogEntry, CrimeCode, CrimeCodeError, CrimeGroup, catalog_entry, default_cap,
};
pub use dates::{DateError, parse_date, parse_datetime};
pub use geo_point::{GeoPointError, Wgs84};
pub use ids::{
    BoNumber, CodeError, Cpf, CpfError, IBGE_CHECK_DIGIT_EXCEPTIONS, IbgeCode, IbgeCodeError,
    Registration, TerritoryCode, Uf, UfError, UnitCode,
};
pub use institution::{Institution, InstitutionError, OtherInstitution};
/// Money from integer centavos as people read it: `brl(123456)` = `R$ 1.234,56` (one formatter for every
/// page, document and message).
pub use ipei::brl;
pub use period::{MAX_YEAR, MIN_YEAR, Month, PeriodError, Quarter};
pub use rate::{Rate, RateError, cap_index};
pub use territory::{OtherKind, TerritoryKind, TerritoryKindError};
