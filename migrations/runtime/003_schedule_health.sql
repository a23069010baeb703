-- Schedule health (src/tasks/health.ts). `schedule_baselines`: when this deployment first looked at
-- a schedule — occurrences before it are not expected in the ledger, so a new schedule is not
-- "missing" its past. `schedule_incidents`: a schedule found missing or failing, once per incident:
-- whoever notices it first (a /readyz probe, the outbox sweep) inserts the row, and only that
-- insert raises the alerts; it is resolved when the schedule is healthy again.
CREATE TABLE IF NOT EXISTS schedule_baselines (
  task          text PRIMARY KEY,
  first_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS schedule_incidents (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('missed', 'failing')),
  -- The first occurrence that did not arrive (missed) or the oldest of the failed run (failing).
  since       timestamptz NOT NULL,
  opened_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  detail      jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS schedule_incidents_open_idx ON schedule_incidents (task, kind) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS schedule_incidents_opened_idx ON schedule_incidents (opened_at DESC);
