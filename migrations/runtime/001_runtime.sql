-- lowtide's runtime tables: task leases and the occurrence ledger, the transactional outbox, rate-limit
-- windows, and the one retry backoff. Every statement is idempotent: an app whose own migrations
-- created these tables before the runtime had a schema of its own (the outreach backend's 002, 004
-- and 005) finds them in place, and a new app gets them here. Applied after the app's migrations.

CREATE TABLE IF NOT EXISTS task_leases (
  task        text PRIMARY KEY,
  run_id      uuid NOT NULL,
  holder      text NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS task_runs (
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
CREATE INDEX IF NOT EXISTS task_runs_started_idx ON task_runs (started_at DESC);

-- A side effect is a row written in the same transaction as the change that causes it. SQS carries
-- row ids to /queue/deliver; the row, not the message, is the truth. `user_id` says whose it is, for
-- apps that have users (the outreach backend adds its foreign key).
CREATE TABLE IF NOT EXISTS outbox (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind            text NOT NULL,
  payload         jsonb NOT NULL,
  user_id         uuid,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL DEFAULT 8,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_until   timestamptz,
  published_at    timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  done_at         timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_due_idx ON outbox (next_attempt_at) WHERE status IN ('pending', 'processing');
CREATE INDEX IF NOT EXISTS outbox_created_idx ON outbox (created_at);
-- Waiting for a task's lease is not a failed delivery: `lease_waits` counts those waits apart from
-- `attempts` (which `max_attempts` bounds). `coalesce_key` lets work that means "run this again soon"
-- (a task's continuation) exist once while pending: a second one is the first.
ALTER TABLE outbox
  ADD COLUMN IF NOT EXISTS lease_waits integer NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS coalesce_key text;
CREATE UNIQUE INDEX IF NOT EXISTS outbox_coalesce_pending_idx ON outbox (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL;

-- Fixed windows per key; losing them in a crash only resets counters.
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limits (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits         integer NOT NULL
);

-- The one retry backoff: `base` × 2^(attempts − 1), at most `cap`, where `attempts` counts the
-- attempts made so far (the first retry waits `base`). Computed by Postgres, in the statement that
-- records the failure, as graphile-worker does.
CREATE OR REPLACE FUNCTION lowtide_backoff(attempts integer, base interval, cap interval) RETURNS interval
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT least(cap, base * power(2, greatest(attempts, 1) - 1)) $$;
