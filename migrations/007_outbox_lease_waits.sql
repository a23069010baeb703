-- Waiting for a task's lease is not a failed delivery: `lease_waits` counts those waits apart from
-- `attempts` (which `max_attempts` bounds). `coalesce_key` lets work that means "run this again soon"
-- (a task's continuation) exist once while pending: a second one is the first.
ALTER TABLE outbox
  ADD COLUMN lease_waits integer NOT NULL DEFAULT 0,
  ADD COLUMN coalesce_key text;
CREATE UNIQUE INDEX outbox_coalesce_pending_idx ON outbox (coalesce_key) WHERE status = 'pending' AND coalesce_key IS NOT NULL;
