use super::*;
use atalaia_store::audit::AuditFilter;

async fn story(db: &Db) {
    assert!(
        db.program_config_on(d(2024, 6, 30))
            .await
            .unwrap()
            .is_none()
    );
    let t = d(2024, 1, 1).and_hms_opt(9, 0, 0).unwrap();
    let mut tx = db.begin().await.unwrap();
    let first = tx
        .put_program_config(
            d(2024, 1, 1),
            r#"{"v":1}"#,
            "Resolução 1/2024",
            "user:comite",
            t,
        )
        .await
        .unwrap();
    let second = tx
        .put_program_config(
            d(2025, 1, 1),
            r#"{"v":2}"#,
            "Resolução 3/2024",
            "user:comite",
            t,
        )
        .await
        .unwrap();
    // The past is not rewritten: a version must start after the latest one.
    let refused = tx
        .put_program_config(d(2024, 7, 1), r#"{"v":3}"#, "", "user:comite", t)
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(refused.to_string().contains("01/01/2025"), "{refused}");
    tx.commit().await.unwrap();
    let on = |day| async move { db.program_config_on(day).await.unwrap().map(|v| v.id) };
    assert_eq!(on(d(2023, 12, 31)).await, None);
    assert_eq!(on(d(2024, 1, 1)).await, Some(first));
    assert_eq!(on(d(2024, 12, 31)).await, Some(first));
    assert_eq!(on(d(2025, 3, 31)).await, Some(second));
    let audit = db
        .audit_entries(&AuditFilter {
            action_prefix: Some("config.".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    assert!(
        audit[0].details.contains(r#""document":{"v":2}"#),
        "{}",
        audit[0].details
    );
}

per_backend! {
    async fn program_configuration_is_versioned_and_audited(t) {
        story(&t.db).await;
        println!("backend {}: program configuration versions ok", t.label);
        t.cleanup().await.unwrap();
    }
}
