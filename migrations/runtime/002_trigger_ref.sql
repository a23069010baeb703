-- What identified the delivery that opened an occurrence, when the trigger has such a thing (QStash's
-- Upstash-Message-Id, the same across its retries): a retry finds its occurrence by it.
ALTER TABLE task_runs ADD COLUMN IF NOT EXISTS trigger_ref text;
CREATE INDEX IF NOT EXISTS task_runs_trigger_ref_idx ON task_runs (task, trigger_ref) WHERE trigger_ref IS NOT NULL;
