//! The crime catalog page: an administrator adds a crime (audited) that imports then accept; a bad
//! code, an empty name or a code already in the catalog is refused with the form kept, and the
//! built-in crimes are never rewritten.

use super::*;

#[tokio::test]
async fn an_administrator_adds_a_crime_that_imports_then_accept() {
    let today = ymd(2026, 11, 20);
    let (t, app) = demo_app(today, 0.01).await;
    let admin = app.login("admin", "demo-admin-7872").await.unwrap();
    let csrf = app.csrf(&admin).await;

    let page = app.get_ok("/admin/crimes", &admin).await;
    page.assert_has("Catálogo de crimes");
    // RECAP's crimes in the demo's configuration are marked; the rest are not.
    let row = |body: &str, code: &str| -> String {
        let at = body.find(&format!(r#"id="crime-{code}""#)).unwrap();
        let end = body[at..].find("</tr>").unwrap();
        body[at..at + end].to_string()
    };
    assert!(row(&page.body, "roubo_veiculo").contains("<td>do sistema</td><td>sim</td>"));
    assert!(row(&page.body, "estupro").contains("<td>do sistema</td><td>não</td>"));

    let before = t.db.crimes().await.unwrap();
    for (form, why) in [
        (
            "codigo=Roubo+Bike&nome=Roubo+de+bicicleta&grupo=robbery",
            "código `Roubo Bike` inválido: esperado código de crime em letras minúsculas",
        ),
        ("codigo=roubo_bicicleta&nome=+&grupo=robbery", "nome vazio"),
        (
            "codigo=roubo_bicicleta&nome=Roubo+de+bicicleta&grupo=violent",
            "grupo `violent` inválido",
        ),
        (
            "codigo=roubo_veiculo&nome=Roubo+de+carro&grupo=theft",
            "o código `roubo_veiculo` já está no catálogo",
        ),
    ] {
        let body = format!("csrf_token={csrf}&{form}");
        let r = app.post_form("/admin/crimes", Some(&admin), &body).await;
        assert_eq!(r.status, 400, "{form}");
        assert!(r.body.contains(why), "{form}: {}", r.body);
    }
    // The refused form keeps what was typed; nothing changed, the built-in crime kept its name.
    let body = format!("csrf_token={csrf}&codigo=roubo_veiculo&nome=Roubo+de+carro&grupo=theft");
    let r = app.post_form("/admin/crimes", Some(&admin), &body).await;
    r.assert_has(r#"value="Roubo de carro""#);
    r.assert_has(r#"<option value="theft" selected>"#);
    assert_eq!(t.db.crimes().await.unwrap(), before);

    let ok = app
        .post_ok(
            "/admin/crimes",
            &admin,
            &format!(
                "csrf_token={csrf}&codigo=roubo_bicicleta&nome=Roubo+de+bicicleta&grupo=robbery"
            ),
        )
        .await;
    assert_eq!(ok.location.as_deref(), Some("/admin/crimes?ok=1"));
    assert_eq!(
        audit_actions(&t.db).await.pop().unwrap(),
        (
            "user:admin".into(),
            "crime.create".into(),
            "crime:roubo_bicicleta".into()
        )
    );
    let added = t.db.crimes().await.unwrap();
    assert_eq!(added.len(), before.len() + 1);
    let bike = added.iter().find(|c| c.code == "roubo_bicicleta").unwrap();
    assert_eq!(
        (bike.name.as_str(), bike.group.as_str(), bike.builtin),
        ("Roubo de bicicleta", "robbery", false)
    );
    let page = app.get_ok("/admin/crimes?ok=1", &admin).await;
    assert!(page.body.contains("Crime acrescentado ao catálogo."));
    let line = row(&page.body, "roubo_bicicleta");
    assert!(
        line.contains("<td>Roubos</td><td>acrescentado</td><td>não</td>"),
        "{line}"
    );

    // Its code, which files cite, is in the catalog's CSV (the page names crimes, not codes).
    let file = app.get_ok("/admin/crimes.csv", &admin).await;
    assert!(
        file.body
            .starts_with("codigo,nome,grupo,origem,conta_no_recap\n"),
        "{}",
        file.body
    );
    assert!(
        file.body
            .contains("\nroubo_bicicleta,Roubo de bicicleta,Roubos,acrescentado,não\n")
    );
    assert!(
        file.body
            .contains("\nroubo_veiculo,Roubo de veículo,Roubos,do sistema,sim\n")
    );
    assert!(!page.body.contains(">roubo_bicicleta<"));

    // An occurrence of the new crime is imported like any other.
    let file = "id,occurred_at,crime,lat,lon,territory_code,victims,unit_code\n\
                BIKE-1,2026-11-02T10:00:00,roubo_bicicleta,-16.68,-49.25,,1,\n";
    import_text(
        &t.db,
        atalaia_ingest::Kind::Occurrences,
        "bike.csv",
        file,
        today,
    )
    .await;
    t.cleanup().await.unwrap();
}
