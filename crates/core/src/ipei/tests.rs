//! The IPEI's rules worked out by hand on small months.

use super::*;
use crate::Month;

#[test]
fn words_for_pages_and_documents() {
    let paid = PersonShare {
        registration: "PM1".into(),
        amount_cents: 15_000,
        reasons: Vec::new(),
    };
    let refused = PersonShare {
        registration: "BM1".into(),
        amount_cents: 0,
        reasons: vec![PersonReason::Institution, PersonReason::NotServing],
    };
    assert_eq!(share_pt(&paid), "PM1 R$ 150,00");
    assert_eq!(
        shares_pt(&[paid, refused]),
        "PM1 R$ 150,00; BM1: instituição sem direito nesta modalidade (Art. 10), sem lotação no mês"
    );
    assert_eq!(
        unit_reasons_pt(&[UnitReason::LateSubmission, UnitReason::MissingBo]),
        "enviou depois do prazo (Art. 15, I); apreensão sem cópia do BO (Art. 15, II)"
    );
    assert_eq!(seizure_status_pt(SeizureStatus::Duplicate), "DUPLICATE");
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, m, day).unwrap()
}

fn op(inst: &str, serving: bool) -> OperatorFacts {
    OperatorFacts {
        name: format!("Servidor {inst}"),
        institution: inst.into(),
        served_in_month: serving,
    }
}

fn seizure(id: i64, unit: &str, bo: &str, serial: &str, day: u32, regs: &[&str]) -> SeizureInput {
    SeizureInput {
        id,
        bo_number: bo.into(),
        item: 1,
        serial: serial.into(),
        unit: unit.into(),
        seized_on: d(3, day),
        flagrante: true,
        registrations: regs.iter().map(|r| r.to_string()).collect(),
        bo_sha256: Some(format!("sha-{id}")),
        brand: String::new(),
    }
}

fn laudo(id: i64, bo: &str, serial: &str, expert: &str, signed: NaiveDate) -> ForensicInput {
    ForensicInput {
        id,
        bo_number: bo.into(),
        serial: serial.into(),
        expert_registration: expert.into(),
        signed_on: signed,
    }
}

/// A month worked out by hand: every rule of Arts. 10–15 once, amounts in centavos.
fn month() -> MonthInputs {
    let mut s3 = seizure(3, "U1", "C", "", 4, &["PM1"]);
    s3.flagrante = false;
    let mut s8 = seizure(8, "U3", "I", "Z2", 9, &["PM3"]);
    s8.bo_sha256 = None;
    MonthInputs {
        month: Month::parse("2024-03").unwrap(),
        as_of: d(4, 20),
        submission_deadline: d(4, 5),
        forensic_deadline: d(4, 5),
        units: vec![
            UnitDelivery {
                unit: "U1".into(),
                name: "1º BPM".into(),
                submitted_on: Some(d(4, 3)),
                delivered: vec![1, 2, 3, 4, 5, 6, 10, 11, 12, 14],
            },
            UnitDelivery {
                unit: "U2".into(),
                name: "2º BPM".into(),
                submitted_on: Some(d(4, 8)),
                delivered: vec![7],
            },
            UnitDelivery {
                unit: "U3".into(),
                name: "3ª DRP".into(),
                submitted_on: Some(d(4, 2)),
                delivered: vec![8],
            },
        ],
        seizures: vec![
            seizure(1, "U1", "A", "ab-12", 2, &["PM1", "PM2", "BM1"]),
            seizure(2, "U1", "B", "AB12", 5, &["PM2"]),
            s3,
            seizure(4, "U1", "D", "X1", 6, &["PM1", "PM2", "PM3"]),
            seizure(5, "U1", "E", "X2", 7, &["PC1"]),
            seizure(6, "U1", "F", "X3", 8, &["PM1", "PP1", "PM1"]),
            seizure(7, "U2", "H", "Z1", 9, &["PM3"]),
            s8,
            seizure(10, "U1", "G1", "Y1", 10, &["PM1"]),
            seizure(11, "U1", "G2", "Y2", 11, &["PM1"]),
            seizure(12, "U1", "G3", "Y3", 12, &["PM1"]),
            seizure(13, "U1", "J", "Z3", 13, &["PM2"]),
            seizure(14, "U1", "K", "q-9", 14, &["PM2"]),
        ],
        forensic: vec![
            laudo(1, "A", "AB-12", "SP1", d(4, 4)),
            laudo(2, "A", "AB-12", "SP2", d(4, 5)),
            laudo(3, "D", "X1", "SP1", d(4, 10)),
            laudo(4, "C", "", "SP2", d(4, 1)),
        ],
        operators: BTreeMap::from([
            ("PM1".into(), op("PM", true)),
            ("PM2".into(), op("PM", true)),
            ("PM3".into(), op("PM", true)),
            ("BM1".into(), op("BM", true)),
            ("PC1".into(), op("PC", false)),
            ("PP1".into(), op("PP", true)),
            ("SP1".into(), op("SPTC", true)),
            ("SP2".into(), op("SPTC", true)),
        ]),
        earlier: vec![EarlierClaim {
            key: "SERIE:Q9".into(),
            month: Month::parse("2024-02").unwrap(),
            bo_number: "OLD".into(),
            brand: String::new(),
            pending: false,
        }],
        decisions: Vec::new(),
    }
}

fn status_of(r: &IpeiReport, id: i64) -> (SeizureStatus, Vec<SeizureReason>, Vec<(String, i64)>) {
    let s = r.seizures.iter().find(|s| s.id == id).unwrap();
    (
        s.status,
        s.reasons.clone(),
        s.shares
            .iter()
            .map(|x| (x.registration.clone(), x.amount_cents))
            .collect(),
    )
}

fn owned(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(r, c)| (r.to_string(), *c)).collect()
}

#[test]
fn a_month_worked_out_by_hand() {
    use SeizureReason as R;
    use SeizureStatus as S;
    let r = result(&IpeiParams::decree_default(), &month());
    // Units (Art. 15): U2 sent on 08/04 after the 05/04 deadline; U3 delivered a seizure without its BO.
    let units: Vec<(&str, UnitStatus, Vec<UnitReason>, usize, usize)> = r
        .units
        .iter()
        .map(|u| {
            (
                u.code.as_str(),
                u.status,
                u.reasons.clone(),
                u.seizures,
                u.paid,
            )
        })
        .collect();
    assert_eq!(
        units,
        [
            ("U1", UnitStatus::Included, vec![], 11, 6),
            (
                "U2",
                UnitStatus::Excluded,
                vec![UnitReason::LateSubmission],
                1,
                0
            ),
            (
                "U3",
                UnitStatus::Excluded,
                vec![UnitReason::MissingBo],
                1,
                0
            ),
        ]
    );
    // BM1 is not entitled (Art. 10): R$ 300 split between PM1 and PM2.
    assert_eq!(
        status_of(&r, 1),
        (
            S::Paid,
            vec![],
            owned(&[("PM1", 15_000), ("PM2", 15_000), ("BM1", 0)])
        )
    );
    assert_eq!(r.seizures[0].shares[2].reasons, [PersonReason::Institution]);
    // The same weapon (serial ab-12 = AB12) claimed again.
    assert_eq!(status_of(&r, 2).0, S::Duplicate);
    assert_eq!(
        r.seizures
            .iter()
            .find(|s| s.id == 2)
            .unwrap()
            .duplicate_of
            .as_deref(),
        Some("BO A (2024-03)")
    );
    assert_eq!(status_of(&r, 3).1, [R::NotFlagrante]);
    assert_eq!(
        status_of(&r, 4).2,
        owned(&[("PM1", 10_000), ("PM2", 10_000), ("PM3", 10_000)])
    );
    assert_eq!(status_of(&r, 5).1, [R::NoEntitledOperator]);
    // PM1 named twice: paid once, the amount split with PP1 (prison system, entitled).
    assert_eq!(
        status_of(&r, 6).2,
        owned(&[("PM1", 15_000), ("PP1", 15_000), ("PM1", 0)])
    );
    assert_eq!(status_of(&r, 7).1, [R::UnitExcluded]);
    assert_eq!(status_of(&r, 8).1, [R::NoBo, R::UnitExcluded]);
    assert_eq!(status_of(&r, 13).1, [R::NotDelivered]);
    assert_eq!(status_of(&r, 14).0, S::Duplicate);
    assert_eq!(
        r.seizures
            .iter()
            .find(|s| s.id == 14)
            .unwrap()
            .duplicate_of
            .as_deref(),
        Some("BO OLD (2024-02)")
    );
    // Laudos: weapon A by two experts in time; D signed late; C's weapon is not paid.
    let laudos: Vec<(String, Vec<(String, i64)>)> = r
        .laudos
        .iter()
        .map(|l| {
            (
                l.bo_number.clone(),
                l.shares
                    .iter()
                    .map(|x| (x.registration.clone(), x.amount_cents))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        laudos,
        [
            ("A".to_string(), owned(&[("SP1", 15_000), ("SP2", 15_000)])),
            ("C".to_string(), owned(&[("SP2", 0)])),
            ("D".to_string(), owned(&[("SP1", 0)])),
        ]
    );
    assert_eq!(
        r.laudos[1].shares[0].reasons,
        [PersonReason::SeizureNotPaid]
    );
    assert_eq!(r.laudos[2].shares[0].reasons, [PersonReason::LateLaudo]);
    // PM1: 150 + 100 + 150 + 3 × 300 = R$ 1 300, capped at R$ 1 000.
    let pay: Vec<(&str, i64, i64, bool)> = r
        .payments
        .iter()
        .map(|p| {
            (
                p.registration.as_str(),
                p.amount_cents,
                p.earned_cents,
                p.capped,
            )
        })
        .collect();
    assert_eq!(
        pay,
        [
            ("PM1", 100_000, 130_000, true),
            ("PM2", 25_000, 25_000, false),
            ("PM3", 10_000, 10_000, false),
            ("PP1", 15_000, 15_000, false),
            ("SP1", 15_000, 15_000, false),
            ("SP2", 15_000, 15_000, false),
        ]
    );
    assert_eq!(r.total_cents, 180_000);
    assert_eq!(r.total, 1800.0);
    assert!(
        r.memoria.iter().any(|l| l
            == "Servidor PM1: R$ 1.300,00 no mês, limitado ao teto de R$ 1.000,00 (o excedente de R$ 300,00 não passa ao mês seguinte)."),
        "{:#?}",
        r.memoria
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["payments"][0]["amount"], 1000.0);
    assert_eq!(json["seizures"][2]["id"], 2);
    assert_eq!(json["seizures"][2]["status"], "duplicate");
    assert_eq!(json["seizures"][2]["reasons"][0], "DUPLICATE");
    assert_eq!(json["units"][1]["status"], "excluded");
}

/// The named payroll of the month worked by hand: each payment with the weapons behind it (PM1's six
/// seizures, capped; the experts' laudo of weapon A).
#[test]
fn the_named_payroll_lists_what_each_payment_is_for() {
    let r = result(&IpeiParams::decree_default(), &month());
    let lines = payroll(&r);
    let got: Vec<(&str, i64, bool, Vec<&str>)> = lines
        .iter()
        .map(|l| {
            (
                l.registration.as_str(),
                l.amount_centavos,
                l.capped,
                l.seizures.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "PM1",
                100_000,
                true,
                vec!["A/1", "D/1", "F/1", "G1/1", "G2/1", "G3/1"]
            ),
            ("PM2", 25_000, false, vec!["A/1", "D/1"]),
            ("PM3", 10_000, false, vec!["D/1"]),
            ("PP1", 15_000, false, vec!["F/1"]),
            ("SP1", 15_000, false, vec!["A/1"]),
            ("SP2", 15_000, false, vec!["A/1"]),
        ]
    );
}

/// Arts. 13 and 14: decisions take effect in the next result, cited. U2 sent late (08/04, after the
/// 05/04 deadline: excluded, Art. 15 I); the committee grants its appeal and reinstates it, so H pays
/// PM3 R$ 300 (PM3: 100 + 300). It also has B, a duplicate of A, paid (PM2: 250 + 300). It cannot
/// have J paid: U1 never delivered it (Art. 14). And U3 reinstated still has I unpaid: I has no BO
/// copy (Art. 12), which reinstating the unit does not supply.
#[test]
fn arts_13_14_decisions_reinstate_a_late_unit_and_pay_a_seizure() {
    let decided = |act_id, effect| Decision {
        act_id,
        decided_on: d(4, 12),
        text: "Provido".into(),
        effect,
    };
    let mut m = month();
    m.decisions = vec![
        decided(31, Effect::ReinstateUnit { unit: "U2".into() }),
        decided(32, Effect::PaySeizure { seizure_id: 2 }),
        decided(33, Effect::PaySeizure { seizure_id: 13 }),
        decided(34, Effect::ReinstateUnit { unit: "U3".into() }),
    ];
    let r = result(&IpeiParams::decree_default(), &m);
    let u2 = r.units.iter().find(|u| u.code == "U2").unwrap();
    assert_eq!((u2.status, u2.reasons.len()), (UnitStatus::Included, 0));
    assert_eq!(
        u2.decision.as_deref(),
        Some("decisão do Comitê Gestor, ato nº 31 de 12/04/2024: Provido")
    );
    assert_eq!(
        status_of(&r, 7),
        (SeizureStatus::Paid, vec![], owned(&[("PM3", 30_000)]))
    );
    assert_eq!(status_of(&r, 2).0, SeizureStatus::Paid);
    assert_eq!(status_of(&r, 13).1, [SeizureReason::NotDelivered]);
    assert_eq!(status_of(&r, 8).1, [SeizureReason::NoBo]);
    let pay = |reg: &str| {
        r.payments
            .iter()
            .find(|p| p.registration == reg)
            .unwrap()
            .amount_cents
    };
    assert_eq!((pay("PM3"), pay("PM2")), (40_000, 55_000));
    assert!(r.memoria.iter().any(|l| l
        == "Unidade U2: incluída por decisão do Comitê Gestor, ato nº 31 de 12/04/2024: Provido (excluída por: enviou depois do prazo (Art. 15, I))."));
    assert!(r.memoria.iter().any(|l| l.starts_with(
        "Apreensão nº 2 (BO B): paga por decisão do Comitê Gestor, ato nº 32 de 12/04/2024: Provido (antes: DUPLICATE"
    )), "{:#?}", r.memoria);
    // Without decisions the JSON has no trace of them (results saved before replay unchanged).
    let plain = serde_json::to_string(&result(&IpeiParams::decree_default(), &month())).unwrap();
    assert!(!plain.contains("decision"));
}

#[test]
fn each_full_pays_the_whole_amount_to_each() {
    let mut p = IpeiParams::decree_default();
    p.share = Share::EachFull;
    let r = result(&p, &month());
    assert_eq!(
        status_of(&r, 4).2,
        owned(&[("PM1", 30_000), ("PM2", 30_000), ("PM3", 30_000)])
    );
    let pm2 = r.payments.iter().find(|p| p.registration == "PM2").unwrap();
    assert_eq!((pm2.amount_cents, pm2.capped), (60_000, false));
}

#[test]
fn a_unit_that_has_not_sent_is_awaited_then_excluded() {
    let mut m = month();
    m.units[0].submitted_on = None;
    m.as_of = d(4, 5);
    let r = result(&IpeiParams::decree_default(), &m);
    assert_eq!(r.units[0].reasons, [UnitReason::AwaitingSubmission]);
    assert_eq!(r.units[0].paid, 0);
    m.as_of = d(4, 6);
    let r = result(&IpeiParams::decree_default(), &m);
    assert_eq!(r.units[0].reasons, [UnitReason::NotSubmitted]);
    // Nobody in U1 is paid; the excluded unit's seizures are not "not delivered", they are the unit's.
    assert_eq!(status_of(&r, 1).1, [SeizureReason::UnitExcluded]);
}

#[test]
fn an_appeal_attaching_the_missing_bo_lifts_the_exclusion() {
    let mut m = month();
    m.seizures[7].bo_sha256 = Some("sha-8".into());
    let r = result(&IpeiParams::decree_default(), &m);
    assert_eq!(r.units[2].status, UnitStatus::Included);
    assert_eq!(status_of(&r, 8).2, owned(&[("PM3", 30_000)]));
}

#[test]
fn centavos_that_do_not_divide_go_to_the_first_named() {
    assert_eq!(split(30_000, 7), [4286, 4286, 4286, 4286, 4286, 4285, 4285]);
    assert_eq!(split(30_000, 7).iter().sum::<i64>(), 30_000);
    assert_eq!(split(100, 3), [34, 33, 33]);
    assert!(split(100, 0).is_empty());
}

/// A month of one unit that delivered everything on time, one entitled operator, and `seizures`.
fn one_unit(seizures: Vec<SeizureInput>, earlier: Vec<EarlierClaim>) -> MonthInputs {
    MonthInputs {
        month: Month::parse("2024-03").unwrap(),
        as_of: d(4, 20),
        submission_deadline: d(4, 5),
        forensic_deadline: d(4, 5),
        units: vec![UnitDelivery {
            unit: "U1".into(),
            name: "1º BPM".into(),
            submitted_on: Some(d(4, 3)),
            delivered: seizures.iter().map(|s| s.id).collect(),
        }],
        seizures,
        forensic: Vec::new(),
        operators: BTreeMap::from([("PM1".into(), op("PM", true))]),
        earlier,
        decisions: Vec::new(),
    }
}

fn branded(id: i64, serial: &str, brand: &str, day: u32) -> SeizureInput {
    SeizureInput {
        brand: brand.into(),
        ..seizure(id, "U1", &format!("{id}/2024"), serial, day, &["PM1"])
    }
}

/// Art. 10 pays per weapon delivered, once: a rejected claim blocks nobody, so the next claim of the
/// same weapon (its serial written another way) is paid; only a paid claim makes later ones
/// duplicates.
#[test]
fn art_10_a_rejected_claim_does_not_block_the_next() {
    let mut first = branded(1, "TX-1001", "Taurus", 2);
    first.flagrante = false;
    let m = one_unit(
        vec![
            first,
            branded(2, "tx 1001", "Taurus", 3),
            branded(3, "TX1001", "", 4),
        ],
        Vec::new(),
    );
    let r = result(&IpeiParams::decree_default(), &m);
    assert_eq!(status_of(&r, 1).0, SeizureStatus::Rejected);
    assert_eq!(status_of(&r, 2).0, SeizureStatus::Paid);
    assert_eq!(status_of(&r, 3).0, SeizureStatus::Duplicate);
    let third = r.seizures.iter().find(|s| s.id == 3).unwrap();
    assert_eq!(third.duplicate_of.as_deref(), Some("BO 2/2024 (2024-03)"));
    assert_eq!(r.total_cents, 30_000);
}

/// Two makers may stamp the same serial: when both claims give a brand and they differ, they are two
/// weapons; the same brand written another way, or a claim without one, is the same weapon.
#[test]
fn art_10_the_same_serial_of_two_makers_is_two_weapons() {
    let m = one_unit(
        vec![
            branded(1, "123", "Taurus", 2),
            branded(2, "123", "Glock", 3),
            branded(3, "1-2-3", "TAURUS", 4),
            branded(4, "123", "", 5),
        ],
        Vec::new(),
    );
    let r = result(&IpeiParams::decree_default(), &m);
    let statuses: Vec<SeizureStatus> = (1..=4).map(|id| status_of(&r, id).0).collect();
    use SeizureStatus::{Duplicate, Paid};
    assert_eq!(statuses, [Paid, Paid, Duplicate, Duplicate]);
    assert_eq!(r.total_cents, 60_000);
    assert!(same_weapon("SERIE:123", "Smith & Wesson", "smith-wesson"));
    assert!(!same_weapon("SERIE:123", "Taurus", "Glock"));
    assert!(same_weapon("BO:1/2024#1", "Taurus", "Glock"));
}

/// A weapon paid in an earlier month (or claimed in one not yet published) is a duplicate, unless the
/// two claims name different makers.
#[test]
fn art_10_a_weapon_paid_in_an_earlier_month_is_not_paid_again() {
    let claim = |brand: &str, pending: bool| EarlierClaim {
        key: "SERIE:TX1001".into(),
        month: Month::parse("2024-02").unwrap(),
        bo_number: "OLD".into(),
        brand: brand.into(),
        pending,
    };
    let m = one_unit(
        vec![
            branded(1, "tx-1001", "Taurus", 2),
            branded(2, "TX 1001", "Glock", 3),
        ],
        vec![claim("taurus", false)],
    );
    let r = result(&IpeiParams::decree_default(), &m);
    assert_eq!(status_of(&r, 1).0, SeizureStatus::Duplicate);
    let first = r.seizures.iter().find(|s| s.id == 1).unwrap();
    assert_eq!(first.duplicate_of.as_deref(), Some("BO OLD (2024-02)"));
    assert_eq!(status_of(&r, 2).0, SeizureStatus::Paid);
    let m = one_unit(vec![branded(1, "tx-1001", "", 2)], vec![claim("", true)]);
    let r = result(&IpeiParams::decree_default(), &m);
    let first = r.seizures.iter().find(|s| s.id == 1).unwrap();
    assert_eq!(
        first.duplicate_of.as_deref(),
        Some("BO OLD (2024-02, resultado ainda não publicado)")
    );
}

#[test]
fn weapon_identity() {
    assert_eq!(weapon_key("1/2024", 3, " ab-12 3"), "SERIE:AB123");
    assert_eq!(weapon_key(" 1/2024 ", 3, "--"), "BO:1/2024#3");
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let a = serde_json::to_string(&result(&IpeiParams::decree_default(), &month())).unwrap();
    let b = serde_json::to_string(&result(&IpeiParams::decree_default(), &month())).unwrap();
    assert_eq!(a, b);
}
