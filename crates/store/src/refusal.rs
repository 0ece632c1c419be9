//! The one way the store says "no" to a write the program's rules do not allow.
//!
//! A refusal is the user's to fix, not a failure: it travels as [`StoreError::Refused`] so every
//! operation returns one flat `Result`, and the edges tell it apart from a database failure by that one
//! variant — a page shows it beside the form (400), the CLI prints it and exits 1, while any other
//! [`StoreError`] is logged and answered with a 500. Nothing was changed when a refusal comes back.

use crate::StoreError;

/// Why a write was refused, in pt-BR for the person who tried it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A period that may not pay yet (`atalaia_core::closing`): no run saved, no cycle opened.
    #[error(transparent)]
    NotClosed(#[from] atalaia_core::closing::NotClosed),
    /// The cycle rules of the Anexo Único refuse the act.
    #[error(transparent)]
    Cycle(#[from] atalaia_core::cycle::CycleError),
    /// A file that is not acceptable evidence (type or size).
    #[error(transparent)]
    Evidence(#[from] atalaia_core::evidence::EvidenceError),
    /// Someone acted on the cycle meanwhile.
    #[error("o ciclo foi alterado por outra pessoa enquanto isto era feito; recarregue e confira")]
    Conflict,
    /// The data changed between a calculation and its save (`trace`): nothing saved.
    #[error("{0}")]
    DataChanged(String),
    /// Any other rule: the sentence names the value and what was expected.
    #[error("{0}")]
    Invalid(String),
}

impl Refusal {
    /// A refusal with its own sentence, as the error of a store call.
    pub(crate) fn invalid<T>(why: impl Into<String>) -> Result<T, StoreError> {
        Err(StoreError::Refused(Refusal::Invalid(why.into())))
    }
}

impl From<atalaia_core::closing::NotClosed> for StoreError {
    fn from(e: atalaia_core::closing::NotClosed) -> StoreError {
        StoreError::Refused(e.into())
    }
}

impl From<atalaia_core::cycle::CycleError> for StoreError {
    fn from(e: atalaia_core::cycle::CycleError) -> StoreError {
        StoreError::Refused(e.into())
    }
}

impl StoreError {
    /// The refusal, when this is one (and not a failure).
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            StoreError::Refused(r) => Some(r),
            _ => None,
        }
    }
}
