//! What every program of the decree is, to the code that freezes, replays and publishes it.
//!
//! RECAP (Arts. 4–9) and IPEI (Arts. 10–15) share one life: their inputs are read for a period, a pure
//! rule turns inputs and the committee's configuration into a result with its memória, a saved run
//! freezes the three (plus whatever else the result or the payroll rests on), and the Anexo Único's
//! cycle publishes a run as the partial and the final result before payment. [`Program`] is that
//! shape; the store's one saved-run type (`atalaia_store::runs`) freezes, replays and byte-checks any
//! implementation, so a third program writes only its rules, its template and its forms.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cycle::CycleKind;
use crate::program::ProgramConfig;

/// A program of the decree, as a run sees it.
pub trait Program {
    /// Which program: names its cycle, its runs' table and its audit events.
    const KIND: CycleKind;
    /// Everything the rule reads, frozen by a run as JSON.
    type Inputs: Serialize + DeserializeOwned;
    /// The result (contracts.md's JSON; its bytes are what a run's SHA-256 seals).
    type Report: Serialize;
    /// What else a run freezes beside the inputs and the configuration: what the result depends on
    /// that is not data (IPEI: the stage of the month's cycle), or what the payroll rests on (RECAP: the
    /// roster and the units' amendments).
    type Frozen;

    /// The period the inputs are of: what the run's cycle, documents and closing rule are about.
    fn period(inputs: &Self::Inputs) -> crate::cycle::CyclePeriod;

    /// The pure rule: the result of `inputs` under `config`.
    fn compute(
        config: &ProgramConfig,
        inputs: &Self::Inputs,
        frozen: &Self::Frozen,
    ) -> Self::Report;

    /// [`Program::Frozen`] as stored with the run (`None`: nothing, as in RECAP runs saved before
    /// rosters were frozen).
    fn freeze(frozen: &Self::Frozen) -> Option<String>;

    /// [`Program::Frozen`] read back; the error says what was unreadable.
    fn thaw(stored: Option<&str>) -> Result<Self::Frozen, String>;
}

/// The RECAP (Arts. 4–9): quarterly levels of the areas and units, paid per operator on the roster.
#[derive(Debug, Clone, Copy)]
pub struct Recap;

impl Program for Recap {
    const KIND: CycleKind = CycleKind::Recap;
    type Inputs = crate::recap::RunInputs;
    type Report = crate::recap::Report;
    type Frozen = Option<crate::payroll::RosterSnapshot>;

    fn period(inputs: &Self::Inputs) -> crate::cycle::CyclePeriod {
        crate::cycle::CyclePeriod::Quarter(inputs.quarter)
    }

    /// The baseline (same quarter of the previous year, or the previous quarter: Art. 5) is read from
    /// the frozen inputs' two quarters, so a replay needs nothing else.
    fn compute(config: &ProgramConfig, inputs: &Self::Inputs, _: &Self::Frozen) -> Self::Report {
        let mut params = config.recap.clone();
        params.baseline = inputs.baseline();
        crate::recap::report(&params, inputs)
    }

    fn freeze(frozen: &Self::Frozen) -> Option<String> {
        frozen.as_ref().and_then(|r| serde_json::to_string(r).ok())
    }

    fn thaw(stored: Option<&str>) -> Result<Self::Frozen, String> {
        stored
            .map(|s| serde_json::from_str(s).map_err(|e| format!("quadro de servidores: {e}")))
            .transpose()
    }
}

/// The IPEI (Arts. 10–15): a month's firearm seizures and laudos, paid per operator named in the BO.
#[derive(Debug, Clone, Copy)]
pub struct Ipei;

impl Program for Ipei {
    const KIND: CycleKind = CycleKind::Ipei;
    type Inputs = crate::ipei::MonthInputs;
    type Report = crate::ipei::IpeiReport;
    type Frozen = crate::ipei::MonthStage;

    fn period(inputs: &Self::Inputs) -> crate::cycle::CyclePeriod {
        crate::cycle::CyclePeriod::Month(inputs.month)
    }

    /// The stage is the cycle's at the time of the run: frozen with it, so a replay recomputes the
    /// whole result, stage included, and the byte check covers it.
    fn compute(
        config: &ProgramConfig,
        inputs: &Self::Inputs,
        stage: &Self::Frozen,
    ) -> Self::Report {
        let mut report = crate::ipei::result(&config.ipei, inputs);
        report.stage = *stage;
        report
    }

    fn freeze(stage: &Self::Frozen) -> Option<String> {
        Some(stage.as_str().to_string())
    }

    fn thaw(stored: Option<&str>) -> Result<Self::Frozen, String> {
        let code = stored.unwrap_or_default();
        crate::ipei::MonthStage::parse(code).ok_or_else(|| format!("etapa `{code}`"))
    }
}
