-- Webhook delivery through the outbox: each delivery row is one event for one endpoint; its
-- attempts are outbox deliveries. An endpoint failing since `failing_since` for 5 days is disabled.
ALTER TABLE webhook_endpoints ADD COLUMN failing_since timestamptz;
ALTER TABLE webhook_deliveries
  ADD COLUMN event_id text,
  ADD COLUMN delivered_at timestamptz;
CREATE INDEX webhook_deliveries_failed_idx ON webhook_deliveries (endpoint_id, created_at) WHERE status IN ('failed', 'dead');
