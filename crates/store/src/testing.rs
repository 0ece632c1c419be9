//! Fresh databases for tests, on both backends: a temporary SQLite file always, and a new PostgreSQL
//! database when `ATALAIA_TEST_POSTGRES_URL` names a server (CI sets it; the URL's database is only
//! used to create and drop the per-test databases).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Db, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A database made for one test; call [`TestDb::cleanup`] at the end to remove it.
#[derive(Debug)]
pub struct TestDb {
    /// The connected, migrated database.
    pub db: Db,
    /// `sqlite` or `postgres`, for messages.
    pub label: &'static str,
    /// The URL it was opened with.
    pub url: String,
    cleanup: Cleanup,
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
            cleanup: Cleanup::File(path),
        })
    }

    /// A fresh PostgreSQL database, when `ATALAIA_TEST_POSTGRES_URL` is set.
    pub async fn postgres() -> Result<Option<TestDb>> {
        let Ok(admin_url) = std::env::var("ATALAIA_TEST_POSTGRES_URL") else {
            return Ok(None);
        };
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
        Ok(Some(TestDb {
            db: Db::connect(&url).await?,
            label: "postgres",
            url,
            cleanup: Cleanup::PgDatabase { admin_url, name },
        }))
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

    /// Closes and removes the database.
    pub async fn cleanup(self) -> Result<()> {
        self.db.close().await;
        match self.cleanup {
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
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name}"
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
