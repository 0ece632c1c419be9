-- Reminders of cycle deadlines sent by e-mail (one row per person and reminder key, so a reminder is
-- never sent twice). Keep it logically identical to ../postgres/0010_reminders.sql.
CREATE TABLE reminders_sent (
    id            INTEGER PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    reminder_key  TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    sent_at       TEXT    NOT NULL,
    UNIQUE (user_id, reminder_key)
);
