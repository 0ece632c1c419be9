use super::*;
use atalaia_core::access::{KeyAccess, Role};
use atalaia_store::accounts::{Grant, NewUser, Scope};
use atalaia_store::audit::{AuditEvent, AuditFilter, ChainCheck, GENESIS};

fn t(h: u32, m: u32) -> NaiveDateTime {
    d(2026, 11, 22).and_hms_opt(h, m, 0).unwrap()
}

async fn accounts_story(db: &Db) {
    let mut tx = db.begin().await.unwrap();
    let pm = tx
        .create_institution("PMGO", "Polícia Militar de Goiás", "PM", false, t(9, 0))
        .await
        .unwrap();
    let ana = tx
        .create_user(
            &NewUser {
                login: "ana",
                name: "Ana Souza",
                email: Some("ana@example.org"),
                institution_id: pm,
                password_hash: Some("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"),
                demo: false,
            },
            t(9, 0),
        )
        .await
        .unwrap();
    tx.set_grants(
        ana,
        &[
            Grant {
                role: Role::UnitHead,
                scope: Scope::Unit("PM-1BPM".into()),
            },
            Grant {
                role: Role::UnitHead,
                scope: Scope::Unit("PM-13BPM".into()),
            },
            Grant {
                role: Role::Analyst,
                scope: Scope::All,
            },
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // A second user with the same login is refused by the database, and nothing is left behind.
    let mut tx = db.begin().await.unwrap();
    let dup = tx
        .create_user(
            &NewUser {
                login: "ana",
                name: "Outra Ana",
                email: None,
                institution_id: pm,
                password_hash: None,
                demo: false,
            },
            t(9, 1),
        )
        .await;
    assert!(dup.is_err());
    drop(tx);

    let u = db.user_by_login("  ANA ").await.unwrap().unwrap();
    assert_eq!(
        (u.id, u.name.as_str(), u.institution_code.as_str()),
        (ana, "Ana Souza", "PMGO")
    );
    assert_eq!(u.roles(), vec![Role::Analyst, Role::UnitHead]);
    assert_eq!(
        u.grants,
        vec![
            Grant {
                role: Role::Analyst,
                scope: Scope::All
            },
            Grant {
                role: Role::UnitHead,
                scope: Scope::Unit("PM-13BPM".into())
            },
            Grant {
                role: Role::UnitHead,
                scope: Scope::Unit("PM-1BPM".into())
            },
        ]
    );
    assert!(!format!("{u:?}").contains("argon2"), "no hash in Debug");
    assert_eq!(db.users().await.unwrap().len(), 1);
    assert!(db.user_by_login("bia").await.unwrap().is_none());

    // Sessions: live until expiry, gone for an inactive user, gone when deleted.
    db.create_session("h1", ana, "csrf1", t(10, 0), t(10, 30), "127.0.0.1")
        .await
        .unwrap();
    let s = db.session("h1", t(10, 29)).await.unwrap().unwrap();
    assert_eq!(
        (s.user.login.as_str(), s.csrf_token.as_str()),
        ("ana", "csrf1")
    );
    assert!(
        db.session("h1", t(10, 30)).await.unwrap().is_none(),
        "expired"
    );
    db.touch_session("h1", t(10, 20), t(10, 50)).await.unwrap();
    assert!(
        db.session("h1", t(10, 45)).await.unwrap().is_some(),
        "idle expiry moved"
    );
    let mut tx = db.begin().await.unwrap();
    tx.update_user(ana, "Ana Souza", None, pm, false, t(10, 46))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        db.session("h1", t(10, 47)).await.unwrap().is_none(),
        "inactive user"
    );
    let mut tx = db.begin().await.unwrap();
    tx.update_user(ana, "Ana Souza", None, pm, true, t(10, 48))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    db.delete_session("h1").await.unwrap();
    assert!(
        db.session("h1", t(10, 49)).await.unwrap().is_none(),
        "deleted"
    );

    // Sign-in attempts are recorded before they are counted; failures are counted per pair (login,
    // address), per address and per login, inside the window, the attempt itself included.
    for (login, ip, m, ok) in [
        ("ana", "10.0.0.1", 0, false),
        ("ana", "10.0.0.2", 5, false),
        ("ana", "10.0.0.1", 10, true),
        ("bia", "10.0.0.1", 12, false),
    ] {
        let a = db
            .begin_login_attempt(login, ip, t(11, m), t(11, 0))
            .await
            .unwrap();
        if ok {
            db.login_attempt_succeeded(a.id).await.unwrap();
        }
    }
    let a = db
        .begin_login_attempt("ana", "10.0.0.1", t(11, 20), t(11, 0))
        .await
        .unwrap();
    assert_eq!((a.pair, a.by_ip, a.by_login), (2, 3, 3));
    db.forget_login_attempt(a.id).await.unwrap();
    let a = db
        .begin_login_attempt("ana", "10.0.0.1", t(11, 21), t(11, 1))
        .await
        .unwrap();
    assert_eq!((a.pair, a.by_ip, a.by_login), (1, 2, 2));
    db.login_attempt_succeeded(a.id).await.unwrap();
    let a = db
        .begin_login_attempt("ana", "10.0.0.1", t(11, 22), t(11, 0))
        .await
        .unwrap();
    assert_eq!((a.pair, a.by_ip, a.by_login), (2, 3, 3));
    assert_eq!(db.prune_login_attempts(t(11, 1)).await.unwrap(), 1);

    // API keys: found by hash until revoked.
    let mut tx = db.begin().await.unwrap();
    let k = tx
        .create_api_key(
            pm,
            "Integração SIAPM",
            "atk_ab12",
            "hash-of-key",
            KeyAccess::Role(Role::Partner),
            Some(ana),
            None,
            t(12, 0),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let key = db
        .api_key_by_hash("hash-of-key", t(12, 5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (key.id, key.access, key.institution_code.as_str()),
        (k, KeyAccess::Role(Role::Partner), "PMGO")
    );
    assert_eq!(db.api_keys().await.unwrap()[0].last_used_at, Some(t(12, 5)));
    let mut tx = db.begin().await.unwrap();
    assert!(tx.revoke_api_key(k, t(12, 10)).await.unwrap());
    assert!(
        !tx.revoke_api_key(k, t(12, 11)).await.unwrap(),
        "already revoked"
    );
    tx.commit().await.unwrap();
    assert!(
        db.api_key_by_hash("hash-of-key", t(12, 15))
            .await
            .unwrap()
            .is_none()
    );

    // A key with an expiry opens until that instant, not from it; a key of an institution that is
    // deactivated opens nothing (issue 17).
    let mut tx = db.begin().await.unwrap();
    tx.create_api_key(
        pm,
        "Painel BI",
        "atk_cd34",
        "hash-of-key-2",
        KeyAccess::Role(Role::Partner),
        Some(ana),
        Some(t(13, 0)),
        t(12, 0),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let opens = |at| async move {
        db.api_key_by_hash("hash-of-key-2", at)
            .await
            .unwrap()
            .is_some()
    };
    assert!(opens(t(12, 59)).await);
    assert!(!opens(t(13, 0)).await);
    let mut tx = db.begin().await.unwrap();
    let k3 = tx
        .create_api_key(
            pm,
            "Painel 2",
            "atk_ef56",
            "hash-of-key-3",
            KeyAccess::Role(Role::Partner),
            Some(ana),
            None,
            t(12, 0),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        db.api_key_by_hash("hash-of-key-3", t(12, 1))
            .await
            .unwrap()
            .is_some()
    );
    let pm_name = db
        .institutions()
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.id == pm)
        .unwrap()
        .name;
    let mut tx = db.begin().await.unwrap();
    assert!(tx.update_institution(pm, &pm_name, false).await.unwrap());
    tx.commit().await.unwrap();
    assert!(
        db.api_key_by_hash("hash-of-key-3", t(12, 3))
            .await
            .unwrap()
            .is_none(),
        "key {k3} of a deactivated institution"
    );
    let mut tx = db.begin().await.unwrap();
    tx.update_institution(pm, &pm_name, true).await.unwrap();
    tx.commit().await.unwrap();
}

per_backend! {
    async fn users_roles_sessions_and_api_keys(t) {
        accounts_story(&t.db).await;
        println!("backend {}: accounts, sessions, API keys ok", t.label);
        t.cleanup().await.unwrap();
    }
}

/// Runs SQL as someone with direct access to the database would, bypassing the program.
async fn behind_the_back(db: &Db, sqlite: &str, postgres: &str) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sqlite.to_string()))
            .execute(p)
            .await
            .map(|_| ()),
        Db::Pg(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(postgres.to_string()))
            .execute(p)
            .await
            .map(|_| ()),
    }
}

async fn audit_story(db: &Db) {
    assert_eq!(
        db.verify_audit_chain().await.unwrap(),
        ChainCheck::Intact { entries: 0 }
    );
    let ev = |action: &str, obj: &str| {
        AuditEvent::new("user:ana", action)
            .object(obj)
            .details(serde_json::json!({"file_sha256": "ab", "rows": 3}))
            .ip("127.0.0.1")
    };
    assert_eq!(db.audit(&ev("auth.login", ""), t(9, 0)).await.unwrap(), 1);
    // An act rolled back takes its audit entry with it.
    let mut tx = db.begin().await.unwrap();
    tx.audit(&ev("import.finish", "import:9"), t(9, 1))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        db.audit(&ev("user.create", "user:bia"), t(9, 2))
            .await
            .unwrap(),
        2
    );
    assert_eq!(db.audit(&ev("auth.logout", ""), t(9, 3)).await.unwrap(), 3);
    assert_eq!(
        db.verify_audit_chain().await.unwrap(),
        ChainCheck::Intact { entries: 3 }
    );

    let entries = db
        .audit_entries(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![3, 2, 1]
    );
    assert_eq!(entries[2].prev_hash, GENESIS);
    assert_eq!(entries[1].prev_hash, entries[2].hash);
    assert_eq!(entries[2].at, "2026-11-22T09:00:00.000000");
    assert_eq!(entries[2].details, r#"{"file_sha256":"ab","rows":3}"#);

    // Incremental verification (the audit page): from a checkpoint, only what follows is read.
    let (check, cp) = db.verify_audit_chain_from(None).await.unwrap();
    assert_eq!(check, ChainCheck::Intact { entries: 3 });
    let cp = cp.unwrap();
    assert_eq!(
        (cp.id, cp.entries, cp.hash.as_str()),
        (3, 3, entries[0].hash.as_str())
    );
    let (check, again) = db.verify_audit_chain_from(Some(&cp)).await.unwrap();
    assert_eq!(check, ChainCheck::Intact { entries: 3 });
    assert_eq!(again.as_ref(), Some(&cp));
    let at_two = atalaia_store::audit::Checkpoint {
        id: 2,
        hash: entries[1].hash.clone(),
        entries: 2,
    };
    let (check, from_two) = db.verify_audit_chain_from(Some(&at_two)).await.unwrap();
    assert_eq!(check, ChainCheck::Intact { entries: 3 });
    assert_eq!(from_two, Some(cp.clone()));

    // The program's own connection cannot change or remove an entry.
    assert!(
        behind_the_back(
            db,
            "UPDATE audit_log SET actor = 'x' WHERE id = 2",
            "UPDATE audit_log SET actor = 'x' WHERE id = 2"
        )
        .await
        .is_err()
    );
    assert!(
        behind_the_back(
            db,
            "DELETE FROM audit_log WHERE id = 3",
            "DELETE FROM audit_log WHERE id = 3"
        )
        .await
        .is_err()
    );

    // Someone with the database owner's rights drops the guard and edits entry 2.
    behind_the_back(
        db,
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         UPDATE audit_log SET details = '{\"file_sha256\":\"ab\",\"rows\":30}' WHERE id = 2",
        "ALTER TABLE audit_log DISABLE TRIGGER USER;
         UPDATE audit_log SET details = '{\"file_sha256\":\"ab\",\"rows\":30}' WHERE id = 2",
    )
    .await
    .unwrap();
    let ChainCheck::Broken { id, reason } = db.verify_audit_chain().await.unwrap() else {
        panic!("tampering not caught");
    };
    assert_eq!(id, 2);
    assert!(reason.contains("hash"), "{reason}");
    // From a checkpoint at the edited entry, the edit is caught too.
    assert_eq!(
        db.verify_audit_chain_from(Some(&at_two)).await.unwrap().0,
        ChainCheck::Broken {
            id: 2,
            reason: "uma entrada já conferida mudou ou sumiu".into()
        }
    );

    // Rewriting the hash too only moves the break to the next entry's link.
    let fix = "UPDATE audit_log SET hash = 'f00d' WHERE id = 2";
    behind_the_back(db, fix, fix).await.unwrap();
    let ChainCheck::Broken { id, .. } = db.verify_audit_chain().await.unwrap() else {
        panic!("tampering not caught");
    };
    assert_eq!(id, 2);

    // Removing the last entry is seen as a gap only if a later one exists; removing a middle one is.
    let del = "DELETE FROM audit_log WHERE id = 2";
    behind_the_back(db, del, del).await.unwrap();
    assert_eq!(
        db.verify_audit_chain().await.unwrap(),
        ChainCheck::Broken {
            id: 2,
            reason: "entrada 2 ausente (a seguinte é a 3)".into()
        }
    );
}

per_backend! {
    async fn audit_chain_catches_tampering(t) {
        audit_story(&t.db).await;
        println!("backend {}: audit chain ok, tampering caught", t.label);
        t.cleanup().await.unwrap();
    }
}
