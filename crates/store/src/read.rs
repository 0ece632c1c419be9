//! Reading query results into records: children grouped under their parent's id.

use std::collections::HashMap;

use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use crate::Result;

/// Reads each row as a `T` (its `FromRow`) and groups them by the `i64` in column `parent`, keeping
/// the rows' order within a group: the meeting's institutions, an action's partners.
pub(crate) fn by_parent<R, T>(rows: &[R], parent: &str) -> Result<HashMap<i64, Vec<T>>>
where
    R: Row,
    T: for<'r> FromRow<'r, R>,
    for<'a> &'a str: ColumnIndex<R>,
    for<'a> i64: Decode<'a, R::Database> + Type<R::Database>,
{
    let mut groups: HashMap<i64, Vec<T>> = HashMap::new();
    for r in rows {
        groups
            .entry(r.try_get(parent)?)
            .or_default()
            .push(T::from_row(r)?);
    }
    Ok(groups)
}
