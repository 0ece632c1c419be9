-- OpenID Connect sign-ins in progress (gov.br Login Único): the state sent to the provider, with the PKCE
-- verifier and the nonce needed to finish it. Taken (deleted) on return; older than 10 minutes = expired.
-- Keep it logically identical to ../postgres/0004_oidc.sql.
CREATE TABLE oidc_pending (
    state      TEXT PRIMARY KEY,
    verifier   TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    next       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
