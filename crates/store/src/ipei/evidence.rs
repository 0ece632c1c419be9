//! BO copies (Arts. 11–12): files checked by content and size, stored under their SHA-256, attached to
//! a seizure before the delivery or through an appeal after it.

use crate::{Db, Refusal, Result, StoreError, on_tx};
use chrono::NaiveDateTime;

/// The file of an evidence in the storage folder: `DIR/ab/abcdef…` (content-addressed by SHA-256).
pub fn evidence_path(dir: &std::path::Path, sha256: &str) -> std::path::PathBuf {
    dir.join(sha256.get(..2).unwrap_or("xx")).join(sha256)
}

/// Writes `bytes` under their SHA-256 (once: the same content is the same file), atomically (a
/// temporary file renamed into place), and returns the hash.
pub fn write_evidence(dir: &std::path::Path, bytes: &[u8]) -> Result<String> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let path = evidence_path(dir, &sha);
    if path.exists() {
        return Ok(sha);
    }
    let io =
        |what: &str, e: std::io::Error| StoreError::Io(format!("{what} {}: {e}", path.display()));
    let parent = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| io("criar a pasta de", e))?;
    let tmp = parent.join(format!(".{sha}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| io("gravar", e))?;
    std::fs::rename(&tmp, &path).map_err(|e| io("mover para", e))?;
    Ok(sha)
}

impl Db {
    /// Attaches a BO copy to a seizure (Art. 11–12): the file checked by content and size, written to
    /// `dir` under its SHA-256, recorded, linked and audited (`ipei.bo_attached`). Before the unit
    /// delivers the month, freely; after, only through one of the unit's appeals of that month (Art. 14:
    /// attaching a missing document of a listed seizure). A refused attach writes nothing to the database.
    #[allow(clippy::too_many_arguments)]
    pub async fn attach_bo_file(
        &self,
        seizure_id: i64,
        dir: &std::path::Path,
        file_name: &str,
        bytes: &[u8],
        max_bytes: usize,
        appeal_id: Option<i64>,
        actor: &str,
        now: NaiveDateTime,
    ) -> Result<String> {
        let kind = match atalaia_core::evidence::check(file_name, bytes, max_bytes) {
            Ok(k) => k,
            Err(e) => return Err(Refusal::Evidence(e).into()),
        };
        let Some(seizure) = self.seizure(seizure_id).await? else {
            return Refusal::invalid(format!("apreensão {seizure_id} inexistente"));
        };
        let unit = seizure.record.unit_code.to_string();
        let month = seizure.month.clone();
        let mut tx = self.begin().await?;
        if tx.ipei_delivered(&unit, &month).await? {
            let Some(appeal) = appeal_id else {
                return Refusal::invalid(format!(
                    "a unidade {unit} já enviou o mês {month}: a cópia do BO de uma apreensão entregue só se anexa por recurso (Art. 14)"
                ));
            };
            let n: i64 = on_tx!(&mut tx, |c| {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM cycle_acts a JOIN cycles c ON c.id = a.cycle_id
                     WHERE a.id = $1 AND a.act = 'appeal' AND a.unit_code = $2
                       AND c.kind = 'ipei' AND c.period = $3",
                )
                .bind(appeal)
                .bind(&unit)
                .bind(&month)
                .fetch_one(c)
                .await?
            });
            if n == 0 {
                return Refusal::invalid(format!(
                    "o recurso {appeal} não é desta unidade neste mês"
                ));
            }
        }
        let sha = write_evidence(dir, bytes)?;
        tx.put_evidence_file(&sha, kind.mime(), bytes.len() as i64, file_name, actor, now)
            .await?;
        tx.attach_bo(seizure_id, &sha).await?;
        tx.audit(
            &crate::audit::AuditEvent::new(actor, "ipei.bo_attached")
                .object(format!("seizure:{seizure_id}"))
                .details(serde_json::json!({"unit": unit, "month": month, "bo_number": seizure.record.bo_number,
                    "sha256": sha, "content_type": kind.mime(), "size": bytes.len(),
                    "file_name": file_name, "appeal_id": appeal_id,
                    "replaced": seizure.bo_sha256})),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(sha)
    }
}
