//! Fresh databases for tests, on both backends: a temporary SQLite file always, and a new PostgreSQL
//! database when `ATALAIA_TEST_POSTGRES_URL` names a server (CI sets it; the URL's database is only
//! used to create and drop the per-test databases).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Db, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database made for one test, removed when the value is dropped — also when the test fails
/// half-way ([`TestDb::cleanup`] does it earlier, awaiting the removal).
#[derive(Debug)]
pub struct TestDb {
    /// The connected, migrated database.
    pub db: Db,
    /// `sqlite` or `postgres`, for messages.
    pub label: &'static str,
    /// The URL it was opened with.
    pub url: String,
    cleanup: Option<Cleanup>,
    /// Pools opened on its replica ([`TestDb::replica`]), closed before the database is dropped: a
    /// replica replaying the drop would otherwise wait for their connections.
    replicas: std::sync::Mutex<Vec<Db>>,
}

#[derive(Debug)]
enum Cleanup {
    File(std::path::PathBuf),
    PgDatabase { admin_url: String, name: String },
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

impl TestDb {
    /// A fresh SQLite database in a temporary file.
    pub async fn sqlite() -> Result<TestDb> {
        let path = std::env::temp_dir().join(format!("{}.db", unique("atalaia_test")));
        let url = format!("sqlite://{}", path.display());
        Ok(TestDb {
            db: Db::connect(&url).await?,
            label: "sqlite",
            url,
            cleanup: Some(Cleanup::File(path)),
            replicas: Default::default(),
        })
    }

    /// A fresh PostgreSQL database, when `ATALAIA_TEST_POSTGRES_URL` is set.
    pub async fn postgres() -> Result<Option<TestDb>> {
        let Ok(admin_url) = std::env::var("ATALAIA_TEST_POSTGRES_URL") else {
            return Ok(None);
        };
        let t = TestDb::postgres_on(admin_url).await?;
        t.db.migrate().await?;
        Ok(Some(t))
    }

    /// A new database on the server of `admin_url`, connected without its schema.
    async fn postgres_on(admin_url: String) -> Result<TestDb> {
        let name = unique("atalaia_test");
        let admin = Db::connect_unmigrated(&admin_url).await?;
        if let Db::Pg(p) = &admin {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(p)
                .await?;
        }
        admin.close().await;
        let url = match admin_url.rfind('/') {
            Some(i)
                if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap_or(0) + 2 =>
            {
                let query = admin_url[i..]
                    .find('?')
                    .map(|q| &admin_url[i + q..])
                    .unwrap_or("");
                format!("{}/{name}{query}", &admin_url[..i])
            }
            _ => format!("{admin_url}/{name}"),
        };
        Ok(TestDb {
            db: Db::connect_unmigrated(&url).await?,
            label: "postgres",
            url,
            cleanup: Some(Cleanup::PgDatabase { admin_url, name }),
            replicas: Default::default(),
        })
    }

    /// This PostgreSQL database as a streaming replica of the test server serves it, when
    /// `ATALAIA_TEST_POSTGRES_REPLICA_URL` names one (CI starts it with `pg_basebackup -R`): waits until
    /// the replica has the database. `None` on SQLite or without a replica.
    pub async fn replica(&self) -> Result<Option<Db>> {
        let (Some(Cleanup::PgDatabase { name, .. }), Ok(base)) = (
            &self.cleanup,
            std::env::var("ATALAIA_TEST_POSTGRES_REPLICA_URL"),
        ) else {
            return Ok(None);
        };
        let url = match base.rfind('/') {
            Some(i) if i > base.find("://").unwrap_or(0) + 2 => format!("{}/{name}", &base[..i]),
            _ => format!("{base}/{name}"),
        };
        let mut last = None;
        for _ in 0..200 {
            match Db::connect_unmigrated(&url).await {
                Ok(db) => {
                    if let Ok(mut open) = self.replicas.lock() {
                        open.push(db.clone());
                    }
                    return Ok(Some(db));
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(last.unwrap_or_else(|| crate::StoreError::BadUrl(url)))
    }

    /// A new database on this one's backend without any table: what a restore goes into.
    pub async fn empty_sibling(&self) -> Result<TestDb> {
        match &self.cleanup {
            Some(Cleanup::PgDatabase { admin_url, .. }) => {
                TestDb::postgres_on(admin_url.clone()).await
            }
            _ => {
                let path = std::env::temp_dir().join(format!("{}.db", unique("atalaia_test")));
                let url = format!("sqlite://{}", path.display());
                Ok(TestDb {
                    db: Db::connect_unmigrated(&url).await?,
                    label: "sqlite",
                    url,
                    cleanup: Some(Cleanup::File(path)),
                    replicas: Default::default(),
                })
            }
        }
    }

    /// Every backend available here: SQLite always, PostgreSQL when configured. With
    /// `ATALAIA_TEST_REQUIRE_POSTGRES=1` (CI) a missing PostgreSQL is an error, not a skip.
    pub async fn all() -> Result<Vec<TestDb>> {
        let mut v = vec![TestDb::sqlite().await?];
        match TestDb::postgres().await? {
            Some(pg) => v.push(pg),
            None if std::env::var("ATALAIA_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
                return Err(crate::StoreError::BadUrl(
                    "ATALAIA_TEST_REQUIRE_POSTGRES=1 mas ATALAIA_TEST_POSTGRES_URL não está definido".into(),
                ));
            }
            None => {
                // Said in the test's output (shown with `--nocapture`, or when the test fails).
                println!(
                    "PostgreSQL skipped: set ATALAIA_TEST_POSTGRES_URL to run this test on both backends"
                );
            }
        }
        Ok(v)
    }

    /// PostgreSQL for a test case of its own: `None` (the skip said in the test's output) when no server
    /// is configured, an error instead with `ATALAIA_TEST_REQUIRE_POSTGRES=1` (CI).
    pub async fn postgres_or_skip() -> Result<Option<TestDb>> {
        match TestDb::postgres().await? {
            Some(pg) => Ok(Some(pg)),
            None if std::env::var("ATALAIA_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
                Err(crate::StoreError::BadUrl(
                    "ATALAIA_TEST_REQUIRE_POSTGRES=1 mas ATALAIA_TEST_POSTGRES_URL não está definido".into(),
                ))
            }
            None => {
                println!("PostgreSQL skipped: set ATALAIA_TEST_POSTGRES_URL to run this test case");
                Ok(None)
            }
        }
    }

    /// Closes and removes the database now.
    pub async fn cleanup(mut self) -> Result<()> {
        let replicas =
            std::mem::take(&mut *self.replicas.lock().unwrap_or_else(|p| p.into_inner()));
        for r in replicas {
            r.close().await;
        }
        self.db.close().await;
        match self.cleanup.take() {
            Some(c) => c.run().await,
            None => Ok(()),
        }
    }
}

impl Cleanup {
    async fn run(self) -> Result<()> {
        match self {
            Cleanup::File(p) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut f = p.clone().into_os_string();
                    f.push(suffix);
                    let _ = std::fs::remove_file(f);
                }
            }
            Cleanup::PgDatabase { admin_url, name } => {
                let admin = Db::connect_unmigrated(&admin_url).await?;
                if let Db::Pg(p) = &admin {
                    // FORCE: a test that failed half-way may still hold connections.
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(p)
                    .await?;
                }
                admin.close().await;
            }
        }
        Ok(())
    }
}

impl Drop for TestDb {
    /// A test that panicked never reached [`TestDb::cleanup`]: remove its database anyway, on a thread
    /// of its own (drop cannot await, and the test's runtime may be unwinding).
    fn drop(&mut self) {
        if let Some(c) = self.cleanup.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    let _ = rt.block_on(c.run());
                }
            })
            .join();
        }
    }
}

/// Declares a test that runs on each backend as a test case of its own, `NAME::sqlite` and
/// `NAME::postgres`, so that one backend's failure never hides the other's; `$t` is the [`TestDb`],
/// removed when the case ends however it ends.
///
/// ```text
/// per_backend! {
///     /// What the test shows.
///     async fn territories_are_versioned(t) {
///         territory_story(&t.db).await;
///     }
/// }
/// ```
#[macro_export]
macro_rules! per_backend {
    ($(#[$meta:meta])* async fn $name:ident($t:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $t = $crate::testing::TestDb::sqlite()
                    .await
                    .expect("a SQLite test database");
                $body
            }

            #[tokio::test]
            async fn postgres() {
                let Some($t) = $crate::testing::TestDb::postgres_or_skip()
                    .await
                    .expect("a PostgreSQL test database")
                else {
                    return;
                };
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test that panics never reaches `cleanup`: dropping its database removes it all the same.
    #[tokio::test]
    async fn a_test_database_is_removed_when_dropped() {
        let t = TestDb::sqlite().await.unwrap();
        let path = std::path::PathBuf::from(t.url.trim_start_matches("sqlite://"));
        assert!(path.exists());
        drop(t);
        assert!(!path.exists(), "{} left behind", path.display());

        let Some(t) = TestDb::postgres_or_skip().await.unwrap() else {
            return;
        };
        let name = t.url.rsplit('/').next().unwrap_or_default().to_string();
        let admin_url = std::env::var("ATALAIA_TEST_POSTGRES_URL").unwrap();
        drop(t);
        let admin = Db::connect_unmigrated(&admin_url).await.unwrap();
        let Db::Pg(p) = &admin else {
            panic!("not PostgreSQL: {admin_url}")
        };
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(left, 0, "database {name} left behind");
    }
}
