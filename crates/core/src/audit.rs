//! The audit log as people read it: each action, object and detail the application records, in
//! Portuguese (the log keeps its codes; auditors filter and verify by them). Who acted reads as a
//! name: `user:comite` → "Carla do Comitê Gestor (comite)", `cli:joao` → "linha de comando (joao)".

use serde_json::Value;

/// What an audited action means ("auth.login" → "entrada no sistema"); an action this table does not
/// know reads as its code.
pub fn action_pt(action: &str) -> String {
    let known = match action {
        "auth.login" => "entrada no sistema",
        "auth.login_failed" => "entrada recusada (senha ou usuário errados)",
        "auth.login_blocked" => "entrada bloqueada (tentativas demais)",
        "auth.logout" => "saída do sistema",
        "user.create" => "usuário criado",
        "user.create_demo" => "usuário de demonstração criado",
        "user.update" => "usuário alterado",
        "user.password_reset" => "senha redefinida",
        "apikey.create" => "chave de API criada",
        "apikey.revoke" => "chave de API revogada",
        "institution.create" => "instituição criada",
        "import.finish" => "importação concluída",
        "import.profile_saved" => "perfil de importação salvo",
        "config.program" => "configuração do programa salva",
        "calendar.decree_added" => "decreto registrado no calendário",
        "calendar.decree_revoked" => "decreto revogado no calendário",
        "calendar.key_created" => "endereço de agenda criado",
        "cycle.opened" => "ciclo aberto",
        "cycle.close" => "etapa do ciclo encerrada",
        "cycle.submission" | "cycle.list" => "envio da unidade",
        "cycle.appeal" => "recurso apresentado",
        "cycle.decision" | "cycle.appeal_decision" => "recurso decidido",
        "cycle.payment" => "pagamento registrado",
        "recap.run_saved" => "execução do RECAP salva",
        "ipei.run_saved" => "execução do IPEI salva",
        "recap.payroll_exported" => "folha do RECAP baixada",
        "ipei.payroll_exported" => "folha do IPEI baixada",
        "recap.trace_viewed" => "origem de uma contagem do RECAP consultada",
        "ipei.seizure_saved" => "apreensão registrada",
        "ipei.bo_attached" => "cópia do BO anexada",
        "ipei.bo_copy_opened" => "cópia do BO aberta",
        "ipei.correction_proposed" => "correção proposta",
        "ipei.laudo_saved" => "laudo registrado",
        "meeting.scheduled" => "reunião agendada",
        "meeting.cancelled" => "reunião cancelada",
        "meeting.attendee_added" => "presença registrada",
        "meeting.minutes_recorded" => "ata registrada",
        "action.created" => "ação criada",
        "action.updated" => "andamento de ação registrado",
        "occurrences.view" => "ocorrências consultadas",
        "occurrences.export" => "ocorrências exportadas",
        "operators.view_cpf" => "CPF de operadores consultado",
        "igesp.evidence_opened" => "evidência aberta",
        "igesp.hotspot_cells_downloaded" => "células de zonas quentes baixadas",
        "territory.intervention_created" => "área de intervenção criada",
        "selection.decision_recorded" => "decisão de entrada em município registrada",
        _ => return action.to_string(),
    };
    known.to_string()
}

/// The groups of actions an auditor filters by: (code prefix, name).
pub const ACTION_GROUPS: [(&str, &str); 16] = [
    ("auth.", "Entradas e saídas"),
    ("user.", "Usuários"),
    ("apikey.", "Chaves de API"),
    ("institution.", "Instituições"),
    ("import.", "Importações"),
    ("config.", "Configuração do programa"),
    ("calendar.", "Calendário"),
    ("cycle.", "Ciclos do Anexo Único"),
    ("recap.", "RECAP"),
    ("ipei.", "IPEI"),
    ("meeting.", "Reuniões"),
    ("action.", "Ações"),
    ("occurrences.", "Ocorrências"),
    ("operators.", "Operadores"),
    ("igesp.", "Igesp: evidências e zonas quentes"),
    ("selection.", "Seleção de municípios"),
];

/// An audited object (`recap_run:3`) as people read it ("execução do RECAP nº 3").
pub fn object_pt(object: &str) -> String {
    let Some((kind, id)) = object.split_once(':') else {
        return object.to_string();
    };
    let name = match kind {
        "user" => "usuário",
        "apikey" => "chave de API",
        "institution" => "instituição",
        "import" => "importação",
        "program_config" => "configuração",
        "calendar_decree" => "decreto",
        "cycle" => "ciclo",
        "recap_run" => "execução do RECAP",
        "ipei_run" => "execução do IPEI",
        "seizure" => "apreensão",
        "bo" => "BO",
        "meeting" => "reunião",
        "action" => "ação",
        "action_update" => "andamento",
        "territory" => "território",
        "session" => "sessão",
        _ => return object.to_string(),
    };
    if id.chars().all(|c| c.is_ascii_digit()) {
        format!("{name} nº {id}")
    } else {
        format!("{name} {id}")
    }
}

/// A detail's key as people read it; a key this table does not know reads as itself.
fn key_pt(key: &str) -> &str {
    match key {
        "absence_max_pct" => "afastamento máximo para o RECAP (% dos dias)",
        "accepted" => "deferido",
        "amount_per_weapon" => "valor por arma (R$)",
        "area_kinds" => "tipos de área do RECAP",
        "count_by" => "contagem por",
        "data_cutoff_days" => "dias de fechamento dos dados",
        "eligible_institutions" => "instituições elegíveis",
        "forensic_amount" => "valor por laudo (R$)",
        "ipei" => "IPEI",
        "low_index_floor" => "piso de índice",
        "monthly_cap" => "teto mensal por servidor (R$)",
        "recap1_kinds" => "tipos de área do RECAP1",
        "recap1_min_pct" => "redução mínima para o RECAP1 (%)",
        "recap2_min_pct" => "redução mínima para o RECAP2 (%)",
        "share" => "divisão",
        "act" => "ato",
        "already_sent" => "já enviado",
        "appeal_id" => "recurso",
        "amendments" => "alterações",
        "area" => "área",
        "attendee_id" => "participante",
        "baseline" => "base de comparação",
        "bo_number" => "BO",
        "config_id" => "configuração",
        "corrections" => "correções",
        "count" => "quantidade",
        "crime" | "crimes" => "crimes",
        "date" | "day" => "data",
        "deadline" => "prazo",
        "decision" => "decisão",
        "decision_id" => "decisão",
        "delivery" => "envio",
        "due" | "due_on" => "prazo",
        "effect" => "efeito",
        "email" => "e-mail",
        "evidence_sha256" => "evidência (SHA-256)",
        "file_name" => "arquivo",
        "file_sha256" => "arquivo (SHA-256)",
        "format" => "formato",
        "id" => "número",
        "import_id" => "importação",
        "inserted" => "incluídas",
        "institution" | "institution_id" => "instituição",
        "institutions" => "instituições",
        "joint_operation" => "operação conjunta",
        "justification" => "justificativa",
        "kind" => "tipo",
        "late" => "fora do prazo",
        "lines" => "linhas",
        "login" => "login",
        "meeting_id" => "reunião",
        "minutes_chars" => "tamanho da ata (caracteres)",
        "month" => "mês",
        "months" => "meses",
        "municipality" => "município",
        "name" => "nome",
        "note" => "nota",
        "note_chars" => "tamanho da nota (caracteres)",
        "occurrences" => "ocorrências",
        "operators" => "operadores",
        "page_before_id" => "página anterior a",
        "payment" => "pagamento",
        "period" => "período",
        "plan_id" => "plano",
        "present_institutions" => "instituições presentes",
        "present_people" => "pessoas presentes",
        "previous_minutes_chars" => "tamanho da ata anterior (caracteres)",
        "proposed_corrections" => "correções propostas",
        "quarter" => "trimestre",
        "read" => "lidas",
        "reason" => "motivo",
        "rejected" => "rejeitadas",
        "responsible_institution_id" => "instituição responsável",
        "role" | "roles" => "papéis",
        "roster_sha256" => "quadro de servidores (SHA-256)",
        "rows" => "linhas",
        "run" | "run_id" => "execução",
        "sha256" => "SHA-256",
        "sources_sha256" => "fontes (SHA-256)",
        "stage" => "etapa",
        "starts_at" | "starts_on" => "início",
        "status" => "situação",
        "status_from" => "situação anterior",
        "status_to" => "nova situação",
        "step" => "etapa",
        "synthetic" => "sintético",
        "text" => "texto",
        "title" => "título",
        "total_cents" => "total (centavos)",
        "unchanged" => "sem mudança",
        "unit" => "unidade",
        "update_id" => "andamento",
        "updated" => "alteradas",
        "valid_from" => "vigência a partir de",
        "via" => "por meio de",
        "weights" => "pesos",
        // A seizure's and a laudo's fields (IPEI), as their corrections record them.
        "brand" => "marca",
        "caliber" => "calibre",
        "expert_registration" => "matrícula do perito",
        "flagrante" => "flagrante",
        "item" => "item",
        "registrations" => "matrículas",
        "seized_on" => "data da apreensão",
        "serial" => "número de série",
        "signed_on" => "data do laudo",
        "unit_code" => "unidade",
        "weapon_kind" => "tipo de arma",
        // What a reader asked for (occurrence lists, hot spots, exports).
        "filter" => "filtro",
        "query" => "consulta",
        "truncated" => "cortado no limite",
        _ => key,
    }
}

/// A detail's value: yes/no, numbers as they are, lists joined, codes of steps and programs named.
fn value_pt(key: &str, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "sim" } else { "não" }.into(),
        Value::Number(n) if n.is_f64() => n.to_string().replace('.', ","),
        Value::Number(n) => n.to_string(),
        Value::String(s) if code_pt(s).is_some() => code_pt(s).unwrap_or_default().to_string(),
        Value::String(s) => match key {
            "area_kinds" | "recap1_kinds" => s
                .parse::<crate::TerritoryKind>()
                .map(|k| k.label_pt().to_string())
                .unwrap_or_else(|_| s.clone()),
            "step" => crate::cycle::StepKey::parse(s)
                .map(|k| k.label_pt(crate::cycle::CycleKind::Recap).to_string())
                .unwrap_or_else(|| s.clone()),
            "kind" => match s.as_str() {
                "recap" => "RECAP".into(),
                "ipei" => "IPEI".into(),
                _ => s
                    .parse::<crate::igesp::MeetingKind>()
                    .map(|k| k.label_pt().to_string())
                    .unwrap_or_else(|_| s.clone()),
            },
            "crime" | "crimes" => crate::crime::name_pt(s),
            "status" | "status_from" | "status_to" => s
                .parse::<crate::igesp::ActionStatus>()
                .map(|st| st.label_pt().to_string())
                .unwrap_or_else(|_| s.clone()),
            _ => date_pt(s).unwrap_or_else(|| s.clone()),
        },
        Value::Array(items) => items
            .iter()
            .map(|x| value_pt(key, x))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => details_pt(v).join("; "),
    }
}

/// A stored date (`2026-12-10`) or time (`2026-12-10 09:00:00`, `T` or space) as people write it.
fn date_pt(s: &str) -> Option<String> {
    use crate::dates::BrDate;
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.br_date());
    }
    let t = s.replacen('T', " ", 1);
    let head = t.get(..19).unwrap_or(&t);
    chrono::NaiveDateTime::parse_from_str(head, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|dt| format!("{} {}", dt.date().br_date(), dt.format("%H:%M")))
}

/// The import kinds (`atalaia_ingest::Kind`) as people read them.
pub fn import_kind_pt(code: &str) -> Option<&'static str> {
    Some(match code {
        "territories" => "territórios",
        "population" => "população",
        "units" => "unidades",
        "operators" => "operadores",
        "assignments" => "lotações",
        "absences" => "afastamentos",
        "occurrences" => "ocorrências",
        "counts" => "contagens mensais",
        "crime-map" => "mapa de crimes",
        "seizures" => "apreensões de armas (IPEI)",
        "forensic-reports" => "laudos periciais (IPEI)",
        _ => return None,
    })
}

/// A stored code that reads the same whatever key holds it: the import kinds and the configuration's
/// choices.
fn code_pt(code: &str) -> Option<&'static str> {
    import_kind_pt(code).or(match code {
        "same_quarter_previous_year" => Some("mesmo trimestre do ano anterior"),
        "previous_quarter" => Some("trimestre anterior"),
        "split_equally" => Some("em partes iguais entre os nomeados"),
        "each_full" => Some("valor integral a cada nomeado"),
        _ => None,
    })
}

/// A detail object as "key: value" lines for people, by key, leaving out empty values.
pub fn details_pt(details: &Value) -> Vec<String> {
    match details {
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}: {}", key_pt(k), value_pt(k, v)))
            .collect(),
        Value::Null => Vec::new(),
        other => vec![value_pt("", other)],
    }
}

/// Who acted, as people read it: a user by name (`name_of` looks the login up), the command line,
/// the demo loader or the system.
pub fn actor_pt(actor: &str, name_of: impl Fn(&str) -> Option<String>) -> String {
    if let Some(login) = actor.strip_prefix("user:") {
        return match name_of(login) {
            Some(name) => format!("{name} ({login})"),
            None => format!("usuário {login}"),
        };
    }
    if let Some(who) = actor.strip_prefix("cli:") {
        return match who {
            "" | "desconhecido" => "linha de comando".into(),
            who => format!("linha de comando ({who})"),
        };
    }
    match actor {
        "demo" => "carga de demonstração".into(),
        "system" => "sistema".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_objects_and_details_read_as_portuguese() {
        let name = |login: &str| (login == "comite").then(|| "Carla do Comitê Gestor".to_string());
        assert_eq!(
            actor_pt("user:comite", name),
            "Carla do Comitê Gestor (comite)"
        );
        assert_eq!(actor_pt("user:ana", name), "usuário ana");
        assert_eq!(actor_pt("cli:desconhecido", name), "linha de comando");
        assert_eq!(actor_pt("cli:joao", name), "linha de comando (joao)");
        assert_eq!(actor_pt("demo", name), "carga de demonstração");
        assert_eq!(action_pt("auth.login"), "entrada no sistema");
        assert_eq!(
            details_pt(&serde_json::json!({"kind": "internal"})),
            ["tipo: Reunião interna"]
        );
        assert_eq!(action_pt("cycle.close"), "etapa do ciclo encerrada");
        assert_eq!(object_pt("recap_run:3"), "execução do RECAP nº 3");
        assert_eq!(object_pt("territory:AISP1"), "território AISP1");
        let d: Value = serde_json::json!({"kind": "recap", "step": "partial_result", "late": false,
            "run_id": 7, "text": null, "crimes": ["roubo_veiculo", "furto_veiculo"],
            "starts_at": "2026-12-10T09:00:00"});
        assert_eq!(
            details_pt(&d),
            [
                "crimes: Roubo de veículo, Furto de veículo",
                "tipo: RECAP",
                "fora do prazo: não",
                "execução: 7",
                "início: 10/12/2026 09:00",
                "etapa: Resultado parcial",
            ]
        );
    }

    /// A seizure's correction and a reader's filter, as the audit log keeps them, read without a
    /// field name of the code (the helper's walk found `seized_on:` and `filter:` on the audit page).
    #[test]
    fn seizure_fields_and_filters_read_in_words() {
        let d: Value = serde_json::json!({"bo_number": "BO-1", "seized_on": "2026-10-03",
            "unit_code": "PM-1BPM", "registrations": ["P1"], "flagrante": true, "weapon_kind": "revólver",
            "caliber": ".38", "serial": "X1", "brand": "Taurus", "item": 2, "filter": "area=AISP1",
            "query": "mes=2026-10", "truncated": false});
        let lines = details_pt(&d);
        assert_eq!(lines.len(), 13);
        for line in &lines {
            let key = line.split(':').next().unwrap_or_default();
            assert!(!key.contains('_'), "{line}");
        }
        assert!(
            lines.contains(&"data da apreensão: 03/10/2026".to_string()),
            "{lines:?}"
        );
        assert!(lines.contains(&"matrículas: P1".to_string()), "{lines:?}");
    }
}
