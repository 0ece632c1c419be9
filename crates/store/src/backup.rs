//! Copies of a whole database and their restore into an empty one (`atalaia backup`, `atalaia restore`).
//!
//! - **SQLite**: `VACUUM INTO` writes a consistent, compacted copy from one read transaction while the
//!   server goes on writing (in WAL mode readers do not block writers).
//! - **PostgreSQL**: `pg_dump --format=custom` (one snapshot of the whole database) and `pg_restore
//!   --single-transaction` (all or nothing). Their major version must be the server's or newer; they are
//!   taken from `ATALAIA_PG_BIN` when set, else from the `PATH`.
//!
//! A copy is written beside its destination and renamed into place, so a file under the name asked for is
//! always whole. A restore goes only into a database without tables and then migrates it forward: a copy
//! made by an older Atalaia opens in this one.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use crate::{Db, Result, StoreError, on_db};

/// What kind of copy a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFormat {
    /// A SQLite database file.
    Sqlite,
    /// `pg_dump`'s custom format.
    PgCustom,
}

impl BackupFormat {
    /// The format of the copy at `path`, by its first bytes.
    pub fn of(path: &Path) -> Result<BackupFormat> {
        use std::io::Read;
        let mut head = [0u8; 16];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| fail(format!("não foi possível ler {}: {e}", path.display())))?;
        if n == 16 && &head == b"SQLite format 3\0" {
            Ok(BackupFormat::Sqlite)
        } else if head[..n].starts_with(b"PGDMP") {
            Ok(BackupFormat::PgCustom)
        } else {
            Err(fail(format!(
                "{} não é uma cópia do Atalaia: esperado um banco SQLite ou um arquivo do pg_dump (formato custom)",
                path.display()
            )))
        }
    }

    /// For people.
    pub fn label_pt(self) -> &'static str {
        match self {
            BackupFormat::Sqlite => "banco SQLite",
            BackupFormat::PgCustom => "pg_dump, formato custom",
        }
    }
}

fn fail(why: String) -> StoreError {
    StoreError::Backup(why)
}

/// `dir/.name.parcial-PID`: where a copy is written before it takes its name.
fn partial(to: &Path) -> PathBuf {
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    to.with_file_name(format!(".{name}.parcial-{}", std::process::id()))
}

/// Writes a copy of `db` (opened from `url`) to `to`, which must not exist yet.
pub async fn backup(db: &Db, url: &str, to: &Path) -> Result<BackupFormat> {
    if to.exists() {
        return Err(fail(format!(
            "{} já existe: escolha outro nome (uma cópia nunca sobrescreve outra)",
            to.display()
        )));
    }
    let tmp = partial(to);
    let _ = std::fs::remove_file(&tmp);
    let written = match db {
        Db::Sqlite(p) => {
            let target = tmp
                .to_str()
                .ok_or_else(|| fail(format!("nome de arquivo inválido: {}", to.display())))?;
            sqlx::query("VACUUM INTO $1")
                .bind(target)
                .execute(p)
                .await
                .map(|_| BackupFormat::Sqlite)
                .map_err(StoreError::from)
        }
        Db::Pg(_) => {
            let mut cmd = pg_tool("pg_dump", url)?;
            cmd.arg("--format=custom").arg("--file").arg(&tmp);
            run(cmd, "pg_dump").await.map(|()| BackupFormat::PgCustom)
        }
    };
    match written.and_then(|f| {
        std::fs::rename(&tmp, to)
            .map(|()| f)
            .map_err(|e| fail(format!("não foi possível gravar {}: {e}", to.display())))
    }) {
        Ok(f) => Ok(f),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Restores the copy at `from` into the database at `url`, which must have no tables (a new SQLite file,
/// or an empty PostgreSQL database), then migrates it to this program's schema; returns it open.
pub async fn restore(url: &str, from: &Path) -> Result<Db> {
    let format = BackupFormat::of(from)?;
    let target = Db::connect_unmigrated(url).await?;
    let empty = target.is_empty().await;
    let backend = target.backend();
    target.close().await;
    if !empty? {
        return Err(fail(format!(
            "o banco de destino {} já tem tabelas: restaure num banco vazio (um arquivo novo, ou um banco criado com CREATE DATABASE)",
            crate::redact(url)
        )));
    }
    match (format, backend) {
        (BackupFormat::Sqlite, crate::Backend::Sqlite) => restore_sqlite(url, from).await?,
        (BackupFormat::PgCustom, crate::Backend::Postgres) => {
            let mut cmd = pg_tool("pg_restore", url)?;
            cmd.args([
                "--single-transaction",
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
            ])
            .arg(from);
            run(cmd, "pg_restore").await?;
        }
        (BackupFormat::Sqlite, _) => {
            return Err(fail(format!(
                "{} é a cópia de um banco SQLite e o destino é PostgreSQL: restaure-a num sqlite://ARQUIVO",
                from.display()
            )));
        }
        (BackupFormat::PgCustom, _) => {
            return Err(fail(format!(
                "{} é a cópia de um banco PostgreSQL (pg_dump) e o destino é SQLite: restaure-a num postgres://…",
                from.display()
            )));
        }
    }
    Db::connect(url).await
}

/// Puts the SQLite copy in the target's place once SQLite says it is whole.
async fn restore_sqlite(url: &str, from: &Path) -> Result<()> {
    let opts = SqliteConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(url.into()))?;
    let file = opts.get_filename().to_path_buf();
    if file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:") {
        return Err(fail(
            "restaure num arquivo (sqlite://ARQUIVO), não na memória".into(),
        ));
    }
    let tmp = partial(&file);
    std::fs::copy(from, &tmp)
        .map_err(|e| fail(format!("não foi possível copiar {}: {e}", from.display())))?;
    let checked = async {
        let copy = Db::connect_unmigrated(&format!("sqlite://{}", tmp.display())).await?;
        let verdict: Result<String> = match &copy {
            Db::Sqlite(p) => sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(p)
                .await
                .map_err(StoreError::from),
            Db::Pg(_) => unreachable!("a sqlite:// URL opens SQLite"),
        };
        copy.close().await;
        match verdict? {
            ok if ok == "ok" => Ok(()),
            bad => Err(fail(format!("{} está danificada: {bad}", from.display()))),
        }
    }
    .await;
    let placed = checked.and_then(|()| {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
        }
        std::fs::rename(&tmp, &file)
            .map_err(|e| fail(format!("não foi possível gravar {}: {e}", file.display())))
    });
    if placed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    placed
}

impl Db {
    /// Whether the database has no tables at all (not even the migrations' own).
    pub async fn is_empty(&self) -> Result<bool> {
        let sql = match self {
            Db::Sqlite(_) => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'",
            Db::Pg(_) => {
                "SELECT COUNT(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            }
        };
        let tables: i64 = on_db!(self, |c| sqlx::query_scalar(sql).fetch_one(c).await?);
        Ok(tables == 0)
    }
}

/// `pg_dump` or `pg_restore` for the database at `url`; the password goes in `PGPASSWORD`, never on the
/// command line, where any user of the machine could read it.
fn pg_tool(name: &str, url: &str) -> Result<tokio::process::Command> {
    let program = match std::env::var_os("ATALAIA_PG_BIN") {
        Some(dir) => PathBuf::from(dir).join(name),
        None => PathBuf::from(name),
    };
    let (url, password) = split_password(url);
    let mut cmd = tokio::process::Command::new(program);
    cmd.arg("--dbname").arg(url);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    Ok(cmd)
}

/// Runs a PostgreSQL tool; its own message when it fails.
async fn run(mut cmd: tokio::process::Command, name: &str) -> Result<()> {
    let out = cmd.output().await.map_err(|e| {
        fail(format!(
            "{name} não pôde ser executado ({e}): instale o cliente do PostgreSQL da versão do servidor ou mais nova, ou indique a pasta dos programas em ATALAIA_PG_BIN"
        ))
    })?;
    if out.status.success() {
        return Ok(());
    }
    Err(fail(format!(
        "{name} falhou: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}

/// `postgres://user:pa%40ss@host/db` → (`postgres://user@host/db`, `pa@ss`); a `password=` of the query
/// string leaves it too.
fn split_password(url: &str) -> (String, Option<String>) {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let (mut base, mut password) = split_userinfo(base);
    if let Some(q) = query {
        let mut kept = Vec::new();
        for pair in q.split('&') {
            match pair.strip_prefix("password=") {
                Some(p) => password = Some(percent_decoded(p)),
                None => kept.push(pair),
            }
        }
        if !kept.is_empty() {
            base.push('?');
            base.push_str(&kept.join("&"));
        }
    }
    (base, password)
}

fn split_userinfo(url: &str) -> (String, Option<String>) {
    let (Some(s), Some(at)) = (url.find("://"), url.rfind('@')) else {
        return (url.to_string(), None);
    };
    if at < s {
        return (url.to_string(), None);
    }
    let creds = &url[s + 3..at];
    match creds.split_once(':') {
        Some((user, pass)) => (
            format!("{}{user}{}", &url[..s + 3], &url[at..]),
            Some(percent_decoded(pass)),
        ),
        None => (url.to_string(), None),
    }
}

fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_url_decoded() {
        assert_eq!(
            split_password("postgres://atalaia:p%40ss%2Fw0rd@db:5432/atalaia?sslmode=require"),
            (
                "postgres://atalaia@db:5432/atalaia?sslmode=require".to_string(),
                Some("p@ss/w0rd".to_string())
            )
        );
        assert_eq!(
            split_password("postgres://postgres@127.0.0.1:54329/x"),
            ("postgres://postgres@127.0.0.1:54329/x".to_string(), None)
        );
        assert_eq!(percent_decoded("100%"), "100%");
        assert_eq!(
            split_password("postgres://u@db/atalaia?sslmode=require&password=s%26gredo"),
            (
                "postgres://u@db/atalaia?sslmode=require".to_string(),
                Some("s&gredo".to_string())
            )
        );
    }
}
