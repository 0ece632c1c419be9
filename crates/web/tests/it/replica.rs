//! With a streaming replica (`--read-database`), pages read it, and a user sees what they just wrote
//! at once: their pages wait for the replica to replay it, or read the primary. CI starts the replica
//! with `pg_basebackup -R` and sets `ATALAIA_TEST_POSTGRES_REPLICA_URL`.

use crate::ymd;
use atalaia_store::Db;
use atalaia_store::testing::TestDb;
use atalaia_web::AppState;

use crate::{App, demo_config, institution_id};

async fn on_replica(replica: &Db, sql: &'static str) {
    if let Db::Pg(p) = replica {
        sqlx::query(sql).execute(p).await.unwrap();
    }
}

/// Waits until the replica has replayed everything the primary wrote so far.
pub(crate) async fn caught_up(primary: &Db, replica: &Db) {
    let now = primary.wal_position().await.unwrap().unwrap();
    for _ in 0..400 {
        if replica.replayed_past(&now).await.unwrap() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the replica did not reach {now} in 10 s");
}

#[tokio::test]
async fn pages_read_the_replica_and_a_writer_sees_the_write_at_once() {
    let Some(t) = TestDb::postgres_or_skip().await.unwrap() else {
        return;
    };
    let Some(replica) = t.replica().await.unwrap() else {
        assert!(
            std::env::var_os("ATALAIA_TEST_REQUIRE_REPLICA").is_none(),
            "ATALAIA_TEST_REQUIRE_REPLICA is set but ATALAIA_TEST_POSTGRES_REPLICA_URL is not"
        );
        println!("replica test skipped: set ATALAIA_TEST_POSTGRES_REPLICA_URL");
        t.cleanup().await.unwrap();
        return;
    };
    let today = ymd(2026, 11, 20);
    let config = demo_config(&t.db, today, 0.01).await;
    atalaia_web::demo_users::ensure(&t.db, atalaia_web::PasswordCost::TEST)
        .await
        .unwrap();
    let app = App::of_state(AppState::new(t.db.clone(), config).with_replica(replica.clone()));
    let coord = app
        .login("coordenador", "demo-coordenador-7872")
        .await
        .unwrap();
    let analyst = app.login("analista", "demo-analista-7872").await.unwrap();
    let csrf = app.csrf(&coord).await;
    let ssp = institution_id(&t.db, "SSP-GO").await;
    caught_up(&t.db, &replica).await;
    // The replica stops replaying: from now on it lags the primary by everything written.
    on_replica(&replica, "SELECT pg_wal_replay_pause()").await;

    let title = "Reunião escrita no primário";
    let form = format!(
        "csrf_token={csrf}&tipo=articulation&titulo=Reuni%C3%A3o+escrita+no+prim%C3%A1rio&municipio=5208707&data=2026-11-27&inicio=09:00&fim=11:00&local=Sala&instituicao={ssp}"
    );
    app.post_ok("/reunioes", &coord, &form).await;
    let mine = app.get_ok("/reunioes", &coord).await;
    let theirs = app.get_ok("/reunioes", &analyst).await;
    // Replaying again before anything can fail: the other tests share the replica.
    on_replica(&replica, "SELECT pg_wal_replay_resume()").await;
    // The coordinator saw the meeting at once: his pages waited for what he wrote.
    mine.assert_has(title);
    // The analyst's page was read from the replica, which had not replayed it.
    assert!(!theirs.body.contains(title), "served by the primary?");
    // Once the replica has replayed, everyone reads it there.
    caught_up(&t.db, &replica).await;
    let theirs = app.get_ok("/reunioes", &analyst).await;
    theirs.assert_has(title);
    let mine = app.get_ok("/reunioes", &coord).await;
    mine.assert_has(title);
    replica.close().await;
    println!("backend postgres: pages read the replica, writers read their writes");
    t.cleanup().await.unwrap();
}
