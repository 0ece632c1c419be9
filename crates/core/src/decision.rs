//! What a committee decision changes. Art. 13 leaves the cases the decree does not foresee to the Comitê
//! Gestor, and Art. 14 lets a unit appeal the partial result; a decision or a granted appeal may carry
//! one [`Effect`] that the next result applies, citing the act (number, date, text) in the memória:
//! - reinstate a unit excluded for its deadline or a missing BO copy (Art. 15) — not one that sent
//!   nothing: an appeal cannot add material that was not delivered (Art. 14);
//! - pay a seizure that was rejected or flagged a duplicate — never one the unit did not deliver (Art. 14);
//! - include or exclude an operator on the RECAP list (Art. 9), over the absence rule and the head's list.

use crate::dates::BrDate;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The one thing a decision changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case")]
pub enum Effect {
    /// IPEI: the unit is included although excluded for its deadline or a missing BO copy.
    ReinstateUnit {
        /// Unit code.
        unit: String,
    },
    /// IPEI: the seizure is paid although rejected or flagged a duplicate.
    PaySeizure {
        /// The seizure's id.
        seizure_id: i64,
    },
    /// RECAP: the operator is paid although proposed for exclusion or excluded by the head.
    IncludeOperator { registration: String },
    /// RECAP: the operator is excluded.
    ExcludeOperator { registration: String },
}

impl Effect {
    /// What it does, for people (pt-BR).
    pub fn label_pt(&self) -> String {
        match self {
            Effect::ReinstateUnit { unit } => format!("reintegra a unidade {unit}"),
            Effect::PaySeizure { seizure_id } => format!("paga a apreensão nº {seizure_id}"),
            Effect::IncludeOperator { registration } => {
                format!("inclui o servidor {registration} na lista")
            }
            Effect::ExcludeOperator { registration } => {
                format!("exclui o servidor {registration} da lista")
            }
        }
    }
}

/// A decision that takes effect: the act that made it and what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The act's number in the cycle's record.
    pub act_id: i64,
    /// The day it was made.
    pub decided_on: NaiveDate,
    /// Its text (the grounds).
    pub text: String,
    /// What it changes.
    pub effect: Effect,
}

impl Decision {
    /// The citation the memória and the documents carry (pt-BR).
    pub fn cite_pt(&self) -> String {
        format!(
            "decisão do Comitê Gestor, ato nº {} de {}: {}",
            self.act_id,
            self.decided_on.br_date(),
            self.text.trim()
        )
    }
}

/// The latest decision in `decisions` whose effect `matches`, if any (a later act overrides an earlier one).
pub fn latest(decisions: &[Decision], matches: impl Fn(&Effect) -> bool) -> Option<&Decision> {
    decisions
        .iter()
        .filter(|d| matches(&d.effect))
        .max_by_key(|d| d.act_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_cites_its_act_and_the_latest_wins() {
        let d = |act_id, effect| Decision {
            act_id,
            decided_on: NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
            text: " Provido: o atraso foi do sistema. ".into(),
            effect,
        };
        let include = Effect::IncludeOperator {
            registration: "P1".into(),
        };
        let exclude = Effect::ExcludeOperator {
            registration: "P1".into(),
        };
        let all = [d(7, include.clone()), d(9, exclude.clone())];
        assert_eq!(
            all[0].cite_pt(),
            "decisão do Comitê Gestor, ato nº 7 de 12/11/2026: Provido: o atraso foi do sistema."
        );
        let about_p1 = |e: &Effect| matches!(e, Effect::IncludeOperator { registration } | Effect::ExcludeOperator { registration } if registration == "P1");
        assert_eq!(latest(&all, about_p1).map(|d| &d.effect), Some(&exclude));
        assert_eq!(
            serde_json::to_string(&Effect::PaySeizure { seizure_id: 3 }).unwrap(),
            r#"{"effect":"pay_seizure","seizure_id":3}"#
        );
    }
}
