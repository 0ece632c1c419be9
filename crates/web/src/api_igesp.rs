//! The API's Igesp reads (issue 22 §1): the meetings and actions a requester sees — the same rule as
//! the pages (`Viewer`): a partner institution's key reads the meetings and actions its institution
//! takes part in, never internal meetings.

use axum::Json;
use axum::response::{IntoResponse, Response};

use crate::api_jobs::answer;
use crate::guard::Ctx;
use crate::pages::igesp::{key_viewer, sees, sees_action};

/// `GET /api/v1/meetings`: every meeting the requester sees, latest first.
pub async fn meetings(Ctx { st, id }: Ctx) -> Response {
    answer(
        async {
            let v = key_viewer(&st, &id).await?;
            let mut out: Vec<serde_json::Value> = st
                .db
                .meetings()
                .await?
                .iter()
                .filter(|m| sees(&v, m))
                .map(|m| {
                    serde_json::json!({
                        "id": m.id,
                        "kind": m.kind.as_str(),
                        "title": m.title,
                        "municipality_code": m.municipality_code,
                        "area_code": m.area_code,
                        "starts_at": m.starts_at,
                        "ends_at": m.ends_at,
                        "place": m.place,
                        "status": m.status.as_str(),
                        "institutions": m.institutions.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
                    })
                })
                .collect();
            out.reverse();
            Ok(Json(out).into_response())
        }
        .await,
    )
}

/// `GET /api/v1/actions`: every action the requester sees, with whether it is overdue today.
pub async fn actions(Ctx { st, id }: Ctx) -> Response {
    answer(
        async {
            let v = key_viewer(&st, &id).await?;
            let today = st.config.clock.today();
            let out: Vec<serde_json::Value> = st
                .db
                .actions()
                .await?
                .iter()
                .filter(|a| sees_action(&v, a))
                .map(|a| {
                    serde_json::json!({
                        "id": a.id,
                        "title": a.title,
                        "municipality_code": a.plan.municipality_code,
                        "meeting_id": a.meeting_id,
                        "responsible": a.responsible.code,
                        "partners": a.partners.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(),
                        "starts_on": a.starts_on,
                        "due_on": a.due_on,
                        "status": a.status.as_str(),
                        "overdue": a.overdue(today),
                        "joint_operation": a.joint_operation,
                    })
                })
                .collect();
            Ok(Json(out).into_response())
        }
        .await,
    )
}
