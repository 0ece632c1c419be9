//! Every route × every role against a table written by hand (platform.md §1). A route added to the
//! router without a row here fails `table_covers_every_route`.

use atalaia_store::per_backend;
use std::collections::BTreeSet;

use atalaia_web::routes::routes;

use super::*;

/// Who asks: nobody, then one demo user per role.
const WHO: [(&str, &str); 8] = [
    ("anônimo", ""),
    ("admin", "demo-admin-7872"),
    ("analista", "demo-analista-7872"),
    ("comite", "demo-comite-7872"),
    ("chefe1bpm", "demo-chefe-7872"),
    ("coordenador", "demo-coordenador-7872"),
    ("parceiro", "demo-parceiro-7872"),
    ("auditor", "demo-auditor-7872"),
];

/// Y = allowed, n = denied; columns in the order of `WHO`:
/// anonymous, admin, analyst, committee, unit_head, coordinator, partner, auditor.
const TABLE: &[(&str, &str, &str)] = &[
    ("GET", "/health", "YYYYYYYY"),
    ("GET", "/ready", "YYYYYYYY"),
    // In process there is no client address, so not loopback: only the administrator's session.
    ("GET", "/metrics", "nYnnnnnn"),
    ("GET", "/static/{*path}", "YYYYYYYY"),
    ("GET", "/favicon.ico", "YYYYYYYY"),
    ("GET", "/login", "YYYYYYYY"),
    ("POST", "/login", "YYYYYYYY"),
    ("GET", "/transparencia", "YYYYYYYY"),
    ("GET", "/transparencia/dados.csv", "YYYYYYYY"),
    ("GET", "/", "nYYYYYYY"),
    ("GET", "/ajuda", "nYYYYYYY"),
    ("GET", "/territorios", "nYYYYYYY"),
    ("GET", "/territorios/exportar", "nYYYYYYY"),
    ("GET", "/territorios/mapa.geojson", "nYYYYYYY"),
    ("GET", "/territorios/{code}", "nYYYYYYY"),
    ("GET", "/compstat", "nnYnYYnn"),
    ("GET", "/compstat.pdf", "nnYnYYnn"),
    ("GET", "/zonas-quentes", "nnYnYYnn"),
    ("GET", "/zonas-quentes/celulas.geojson", "nnYnYYnn"),
    ("GET", "/zonas-quentes/celulas.csv", "nnYnYYnn"),
    ("POST", "/zonas-quentes/area-de-intervencao", "nnYnnnnn"),
    ("GET", "/reunioes", "nnYnYYYn"),
    ("GET", "/reunioes/exportar", "nnYnYYYn"),
    ("POST", "/reunioes", "nnYnnYnn"),
    ("GET", "/reunioes/agenda.ics", "nnYnYYYn"),
    ("POST", "/reunioes/agenda/chave", "nnYnYYYn"),
    ("GET", "/reunioes/{id}", "nnYnYYYn"),
    ("GET", "/reunioes/{id}/ata.pdf", "nnYnYYYn"),
    ("POST", "/reunioes/{id}/participantes", "nnYnnYnn"),
    ("POST", "/reunioes/{id}/ata", "nnYnnYnn"),
    ("POST", "/reunioes/{id}/decisoes", "nnYnnYnn"),
    ("POST", "/reunioes/{id}/cancelar", "nnYnnYnn"),
    ("GET", "/acoes", "nnYnYYYn"),
    ("GET", "/acoes/exportar", "nnYnYYYn"),
    ("POST", "/acoes", "nnYnnYnn"),
    ("GET", "/acoes/{id}", "nnYnYYYn"),
    ("POST", "/acoes/{id}/andamento", "nnYnYYYn"),
    ("GET", "/acoes/{id}/evidencias/{update}", "nnYnYYYn"),
    ("GET", "/avaliacao", "nnYnnYnn"),
    ("GET", "/avaliacao/resultado.csv", "nnYnnYnn"),
    ("GET", "/municipios/selecao", "nnYnnnnn"),
    ("GET", "/municipios/selecao.csv", "nnYnnnnn"),
    ("GET", "/municipios/selecao.xlsx", "nnYnnnnn"),
    ("POST", "/municipios/selecao/decisoes", "nnYnnnnn"),
    ("GET", "/ocorrencias", "nnYnYYnn"),
    ("GET", "/ocorrencias/exportar.csv", "nnYnYYnn"),
    ("GET", "/ocorrencias/exportar.xlsx", "nnYnYYnn"),
    ("GET", "/operadores", "nnYYYnnY"),
    ("GET", "/operadores/exportar", "nnYYYnnY"),
    ("GET", "/recap", "nnnYYnnY"),
    ("GET", "/recap/exportar", "nnnYYnnY"),
    ("GET", "/recap/mapa.geojson", "nnnYYnnY"),
    ("GET", "/recap/execucoes", "nnnYnnnY"),
    ("POST", "/recap/execucoes", "nnnYnnnn"),
    ("GET", "/recap/execucoes/{id}", "nnnYnnnY"),
    ("GET", "/recap/execucoes/{id}/ocorrencias", "nnnYnnnY"),
    ("GET", "/recap/execucoes/{id}/resultado.pdf", "nnnYnnnY"),
    ("GET", "/recap/execucoes/{id}/resultado.xlsx", "nnnYnnnY"),
    ("POST", "/recap/ciclo", "nnnYnnnn"),
    ("POST", "/recap/ciclo/{id}", "nnnYnnnn"),
    ("GET", "/recap/configuracao", "nnnYnnnn"),
    ("POST", "/recap/configuracao", "nnnYnnnn"),
    ("GET", "/recap/unidade", "nnnnYnnn"),
    ("POST", "/recap/unidade/lista", "nnnnYnnn"),
    ("POST", "/recap/unidade/recurso", "nnnnYnnn"),
    ("GET", "/ipei", "nnnYnnnY"),
    ("GET", "/ipei/execucoes", "nnnYnnnY"),
    ("POST", "/ipei/execucoes", "nnnYnnnn"),
    ("GET", "/ipei/execucoes/{id}", "nnnYnnnY"),
    ("GET", "/ipei/execucoes/{id}/resultado.pdf", "nnnYnnnY"),
    ("GET", "/ipei/execucoes/{id}/folha.xlsx", "nnnYnnnY"),
    ("POST", "/ipei/ciclo", "nnnYnnnn"),
    ("POST", "/ipei/ciclo/{id}", "nnnYnnnn"),
    ("GET", "/ipei/apreensoes/{id}/bo", "nnnYYnnY"),
    ("GET", "/ipei/unidade", "nnnnYnnn"),
    ("GET", "/ipei/unidade/extrato.pdf", "nnnnYnnn"),
    ("POST", "/ipei/unidade/apreensoes", "nnnnYnnn"),
    ("POST", "/ipei/unidade/planilha", "nnnnYnnn"),
    ("GET", "/ipei/unidade/planilha/{id}/rejeitadas", "nnnnYnnn"),
    ("POST", "/ipei/unidade/bo", "nnnnYnnn"),
    ("POST", "/ipei/unidade/envio", "nnnnYnnn"),
    ("POST", "/ipei/unidade/recurso", "nnnnYnnn"),
    ("POST", "/ipei/unidade/laudos", "nnnnYnnn"),
    ("GET", "/admin/calendario", "nYnnnnnn"),
    ("POST", "/admin/calendario", "nYnnnnnn"),
    ("POST", "/admin/calendario/{id}/revogar", "nYnnnnnn"),
    ("GET", "/importacoes", "nnYnnnnn"),
    ("GET", "/importacoes/exportar", "nnYnnnnn"),
    ("POST", "/importacoes", "nnYnnnnn"),
    ("POST", "/importacoes/previa", "nnYnnnnn"),
    ("GET", "/importacoes/perfis/novo", "nnYnnnnn"),
    ("POST", "/importacoes/perfis", "nnYnnnnn"),
    ("POST", "/importacoes/previa/traducoes", "nnYnnnnn"),
    ("GET", "/importacoes/tarefas/{id}", "nnYnnnnn"),
    ("GET", "/importacoes/tarefas/{id}/estado", "nnYnnnnn"),
    ("POST", "/importacoes/tarefas/{id}/cancelar", "nnYnnnnn"),
    ("GET", "/importacoes/{id}", "nnYnnnnn"),
    ("GET", "/importacoes/modelos/{arquivo}", "nnYnnnnn"),
    ("GET", "/importacoes/{id}/rejeitadas", "nnYnnnnn"),
    ("GET", "/admin/usuarios", "nYnnnnnn"),
    ("POST", "/admin/usuarios", "nYnnnnnn"),
    ("GET", "/admin/usuarios/{id}", "nYnnnnnn"),
    ("POST", "/admin/usuarios/{id}", "nYnnnnnn"),
    ("POST", "/admin/usuarios/{id}/senha", "nYnnnnnn"),
    ("GET", "/admin/instituicoes", "nYnnnnnn"),
    ("GET", "/admin/crimes", "nYnnnnnn"),
    ("GET", "/admin/crimes.csv", "nYnnnnnn"),
    ("POST", "/admin/crimes", "nYnnnnnn"),
    ("POST", "/admin/instituicoes", "nYnnnnnn"),
    ("GET", "/admin/chaves-api", "nYnnnnnn"),
    ("POST", "/admin/chaves-api", "nYnnnnnn"),
    ("POST", "/admin/chaves-api/{id}/revogar", "nYnnnnnn"),
    ("GET", "/auditoria", "nYnnnnnY"),
    ("GET", "/auditoria/exportar", "nYnnnnnY"),
    ("GET", "/api/v1/openapi.json", "YYYYYYYY"),
    ("GET", "/api/v1/me", "nYYYYYYY"),
    ("GET", "/api/v1/territories", "nYYYYYYY"),
    ("GET", "/api/v1/audit", "nYnnnnnY"),
    ("POST", "/api/v1/imports/{kind}", "nnYnnnnn"),
    ("GET", "/api/v1/jobs/{id}", "nnYnnnnn"),
    ("GET", "/api/v1/recap/{quarter}", "nnnYYnnY"),
    ("GET", "/api/v1/indicators", "nYYYYYYY"),
    ("GET", "/api/v1/ipei/{month}", "nnnYnnnY"),
    ("GET", "/api/v1/meetings", "nnYnYYYn"),
    ("GET", "/api/v1/actions", "nnYnYYYn"),
    ("POST", "/api/v1/actions/{id}/updates", "nnYnYYYn"),
    ("GET", "/api/v1/territories/{code}", "nYYYYYYY"),
    ("GET", "/api/v1/hotspots", "nnYnYYnn"),
    ("GET", "/api/v1/selection", "nnYnnnnn"),
    ("GET", "/api/v1/occurrences", "nnYnYYnn"),
    ("GET", "/api/v1/recap/runs", "nnnYnnnY"),
    ("GET", "/api/v1/recap/runs/{id}", "nnnYnnnY"),
    ("GET", "/api/v1/ipei/runs", "nnnYnnnY"),
    ("GET", "/api/v1/ipei/runs/{id}", "nnnYnnnY"),
    ("GET", "/ogc", "nYYYYYYY"),
    ("GET", "/ogc/", "nYYYYYYY"),
    ("GET", "/ogc/conformance", "nYYYYYYY"),
    ("GET", "/ogc/collections", "nYYYYYYY"),
    ("GET", "/ogc/collections/{id}", "nYYYYYYY"),
    ("GET", "/ogc/collections/{id}/items", "nYYYYYYY"),
    ("GET", "/ogc/collections/{id}/items/{item}", "nYYYYYYY"),
    ("GET", "/login/govbr", "YYYYYYYY"),
    ("GET", "/login/govbr/retorno", "YYYYYYYY"),
    // Last: it ends the session.
    ("POST", "/logout", "nYYYYYYY"),
];

/// The table's rows for the routes this build has (the OpenID Connect routes exist with the `oidc`
/// feature only).
fn table() -> Vec<(&'static str, &'static str, &'static str)> {
    TABLE
        .iter()
        .copied()
        .filter(|(_, p, _)| cfg!(feature = "oidc") || !p.starts_with("/login/govbr"))
        .collect()
}

#[test]
fn table_covers_every_route() {
    let router: BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    let rows: BTreeSet<(String, String)> = table()
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        router.difference(&rows).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes without a row in the access table"
    );
    assert_eq!(
        rows.difference(&router).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "rows for routes that do not exist"
    );
    assert_eq!(table().len(), routes().len(), "one row per route");
}

/// A concrete path for a pattern: ids that do not exist (the guard decides before the handler looks).
fn concrete(path: &str) -> String {
    path.replace("{*path}", "app.css")
        .replace("{id}", "999999")
        .replace("{code}", "AISP1")
        .replace("{update}", "999999")
        .replace("{item}", "999999")
        .replace("{kind}", "population")
        .replace("{quarter}", "2026-Q3")
        .replace("{month}", "2026-10")
}

/// Whether the guard let the request through: a denial is 401, 403, or a redirect to the login page.
fn let_through(r: &Reply) -> bool {
    let to_login = r.status == 303
        && r.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/login?proximo="));
    !(r.status == 401 || r.status == 403 || to_login)
}

per_backend! {
    async fn every_route_for_every_role(t) {
        // A small demo data set, so that every page renders real rows on both backends.
        let today = ymd(2026, 11, 20);
        load_demo(&t.db, today, 0.02).await;
        // With a replica every page is read there: a page that writes fails on it (read-only).
        let app = App::reading_replica(&t, test_config()).await;
        let mut checked = 0;
        for (col, (login, password)) in WHO.iter().enumerate() {
            let session = if login.starts_with("anônimo") {
                None
            } else {
                Some(app.login(login, password).await.unwrap_or_else(|r| {
                    panic!("{login} could not sign in: {} {}", r.status, r.body)
                }))
            };
            let csrf = match &session {
                Some(c) => app.csrf(c).await,
                None => String::new(),
            };
            for (method, path, row) in table() {
                let expected = row.as_bytes()[col] == b'Y';
                let url = concrete(path);
                let reply = if method == "GET" {
                    app.get(&url, session.as_deref()).await
                } else {
                    app.post_form(&url, session.as_deref(), &format!("csrf_token={csrf}"))
                        .await
                };
                assert_eq!(
                    let_through(&reply),
                    expected,
                    "backend {}: {method} {path} as {login}: status {} location {:?}",
                    t.label,
                    reply.status,
                    reply.location
                );
                // What the guard lets through must not fail on the server (the access test covers
                // every page on both backends).
                assert!(
                    reply.status < 500,
                    "backend {}: {method} {path} as {login}: status {}: {}",
                    t.label,
                    reply.status,
                    reply.body
                );
                // A signed-in user without the permission gets 403, not a login redirect.
                if !expected && session.is_some() {
                    assert_eq!(reply.status, 403, "{method} {path} as {login}");
                }
                // Anonymous: pages redirect to the login page, the APIs and the metrics answer 401.
                if !expected && session.is_none() {
                    let machine = ["/api/", "/ogc"].iter().any(|p| path.starts_with(p));
                    if machine || path == "/metrics" {
                        assert_eq!(reply.status, 401, "{method} {path}");
                    } else {
                        assert_eq!(reply.status, 303, "{method} {path}");
                    }
                }
                checked += 1;
            }
        }
        assert_eq!(checked, WHO.len() * table().len());
        println!(
            "backend {}: {checked} route × role checks ({} routes, {} identities)",
            t.label,
            table().len(),
            WHO.len()
        );
        t.cleanup().await.unwrap();
    }
}
