-- Tasks: one lease row per task, one ledger row per occurrence; what the background services of
-- the old system kept in memory (flags, counters) now lives here, shared by every instance.

CREATE TABLE task_leases (
  task        text PRIMARY KEY,
  run_id      uuid NOT NULL,
  holder      text NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);

CREATE TABLE task_runs (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task         text NOT NULL,
  scheduled_at timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
  trigger      text NOT NULL,
  attempts     integer NOT NULL DEFAULT 1,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  processed    integer NOT NULL DEFAULT 0,
  more         boolean NOT NULL DEFAULT false,
  error        text,
  UNIQUE (task, scheduled_at)
);
CREATE INDEX task_runs_started_idx ON task_runs (started_at DESC);

-- A scheduled email is recorded at most once, whatever retries happen (the db transport's idempotency key).
CREATE UNIQUE INDEX sent_emails_scheduled_email_key ON sent_emails (scheduled_email_id) WHERE scheduled_email_id IS NOT NULL;
ALTER TABLE scheduled_emails ADD COLUMN status_reason text;

-- One notice of a kind per user per day, at most.
CREATE TABLE user_notices (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind       text NOT NULL,
  notice_day date NOT NULL,
  sent_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind, notice_day)
);

ALTER TABLE users
  ADD COLUMN verification_reminders        integer NOT NULL DEFAULT 0,
  ADD COLUMN last_verification_reminder_at timestamptz,
  ADD COLUMN chat_sync_status   text NOT NULL DEFAULT 'pending',
  ADD COLUMN chat_sync_attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN chat_sync_next_at  timestamptz,
  ADD COLUMN chat_sync_error    text,
  ADD COLUMN chat_synced_at     timestamptz,
  ADD CONSTRAINT users_chat_sync_status_check CHECK (chat_sync_status IN ('pending', 'synced', 'failed'));
CREATE INDEX users_chat_sync_due_idx ON users (chat_sync_next_at) WHERE chat_sync_status <> 'synced';
CREATE INDEX users_unverified_idx ON users (created_at) WHERE email_verified_at IS NULL;
