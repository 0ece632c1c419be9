//! A refused form given back as it was typed, with the reason beside the input it is about (issue
//! 20: forms that forgive). The template asks [`Kept`] for each input's value, ticks and choices, and
//! for the attributes that tie the input to its message.

use super::{Fields, field};

/// The fields of a refused form and the input (`name`) its reason is about; the default is a form
/// that was not refused (empty, no message).
#[derive(Debug, Default)]
pub(crate) struct Kept {
    fields: Fields,
    field: &'static str,
    /// Why the form was refused; `None` for a form that was not.
    why: Option<String>,
}

/// Why a form was refused, and the input (`name`) to mend.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub(crate) field: &'static str,
    pub(crate) why: String,
}

impl FieldError {
    /// A maker of refusals about input `field`, for `map_err`.
    pub(crate) fn at(field: &'static str) -> impl Fn(String) -> FieldError {
        move |why| FieldError { field, why }
    }
}

impl Kept {
    /// The form `fields` as sent, refused for `e`: the reason is shown beside its input
    /// ([`Kept::error_for`]).
    pub(crate) fn refused(fields: &Fields, e: FieldError) -> Kept {
        Kept {
            fields: fields.clone(),
            field: e.field,
            why: Some(e.why),
        }
    }

    /// The reason, whatever input it is about (for a summary at the top of the page).
    pub(crate) fn why(&self) -> Option<&str> {
        self.why.as_deref()
    }

    /// The reason to show beside input `name`, when it is about that input.
    pub(crate) fn error_for(&self, name: &str) -> Option<&str> {
        self.why.as_deref().filter(|_| self.about(name))
    }

    /// Whether the form comes back refused.
    pub(crate) fn is_refused(&self) -> bool {
        self.why.is_some()
    }

    /// What was typed in `name` ("" when nothing was, or the form was not refused).
    pub(crate) fn value(&self, name: &str) -> &str {
        field(&self.fields, name).unwrap_or("")
    }

    /// What was typed in `name`, or `default` when the form was not refused.
    pub(crate) fn value_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        if self.is_refused() {
            self.value(name)
        } else {
            default
        }
    }

    /// What was sent in `name`, or `stored` when the form did not send it (a record's edit form shows
    /// the record until a refusal gives back what was typed).
    pub(crate) fn sent_or<'a>(&'a self, name: &str, stored: &'a str) -> &'a str {
        match self.fields.iter().find(|(k, _)| k == name) {
            Some((_, v)) => v.trim(),
            None => stored,
        }
    }

    /// Whether `value` was chosen or ticked in `name` (a select, checkboxes with one name).
    pub(crate) fn has(&self, name: &str, value: impl std::fmt::Display) -> bool {
        let value = value.to_string();
        self.fields
            .iter()
            .any(|(k, v)| k == name && v.trim() == value)
    }

    /// Whether the reason goes beside input `name`.
    pub(crate) fn about(&self, name: &str) -> bool {
        self.is_refused() && self.field == name
    }

    /// The attributes that mark input `name` invalid and tie it to its message (`{name}-erro`).
    pub(crate) fn invalid(&self, name: &str) -> String {
        if self.about(name) {
            format!(
                " aria-invalid=\"true\" aria-describedby=\"{}-erro\"",
                self.field
            )
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{FieldError, Kept};

    #[test]
    fn a_refused_form_keeps_what_was_typed() {
        let f = vec![
            ("o_que".to_string(), "Ronda".to_string()),
            ("parceiro".to_string(), "3".to_string()),
            ("parceiro".to_string(), "5".to_string()),
        ];
        let k = Kept::refused(
            &f,
            FieldError::at("prazo")("o prazo é anterior ao início".into()),
        );
        assert_eq!(k.value("o_que"), "Ronda");
        assert!(k.has("parceiro", 5) && !k.has("parceiro", 4));
        assert!(k.about("prazo") && !k.about("o_que"));
        assert_eq!(
            k.invalid("prazo"),
            " aria-invalid=\"true\" aria-describedby=\"prazo-erro\""
        );
        assert_eq!(k.value_or("inicio", "2026-12-07"), "");
        assert_eq!(k.sent_or("o_que", "Antigo"), "Ronda");
        assert_eq!(k.sent_or("pessoa", "Ana"), "Ana");
        let fresh = Kept::default();
        assert_eq!(fresh.value_or("inicio", "2026-12-07"), "2026-12-07");
        assert_eq!(fresh.invalid("prazo"), "");
    }
}
