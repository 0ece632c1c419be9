//! Why a form did not go through, said one way. A handler runs its form's steps in a block whose error
//! is [`Declined`] — `?` takes a field's message, an Igesp refusal, a store or page failure — and then
//! answers once: the next page when done, the form's page again with [`Declined::reason`] otherwise.

use atalaia_store::igesp::IgespError;

use crate::AppError;

/// A form's steps stopped: by the user's input or the rules (shown on the form, nothing changed), or
/// by a failure of ours.
#[derive(Debug)]
pub(crate) enum Declined {
    /// What the user can mend, in Portuguese.
    Refused(String),
    /// A failure on our side: the logged 500 of [`AppError`].
    Failed(AppError),
}

impl Declined {
    /// The reason to show on the form's page, or the failure to answer with instead.
    pub(crate) fn reason(self) -> Result<String, AppError> {
        match self {
            Declined::Refused(why) => Ok(why),
            Declined::Failed(e) => Err(e),
        }
    }
}

impl From<String> for Declined {
    fn from(why: String) -> Self {
        Declined::Refused(why)
    }
}

impl From<&str> for Declined {
    fn from(why: &str) -> Self {
        Declined::Refused(why.to_string())
    }
}

impl From<AppError> for Declined {
    fn from(e: AppError) -> Self {
        Declined::Failed(e)
    }
}

impl From<atalaia_store::StoreError> for Declined {
    fn from(e: atalaia_store::StoreError) -> Self {
        Declined::Failed(e.into())
    }
}

/// Igesp's rules refuse with their reason; its store failures stay failures.
impl From<IgespError> for Declined {
    fn from(e: IgespError) -> Self {
        match e {
            IgespError::Store(s) => s.into(),
            other => Declined::Refused(other.to_string()),
        }
    }
}

/// Outside a form there is no page to show the reason on: a refusal is a bad request.
impl From<Declined> for AppError {
    fn from(d: Declined) -> Self {
        match d {
            Declined::Refused(why) => AppError::BadRequest(why),
            Declined::Failed(e) => e,
        }
    }
}
