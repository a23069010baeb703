-- Outreach: contacts, campaigns with follow-up steps, scheduled and sent emails, webhook endpoints.

CREATE TABLE contacts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email           text NOT NULL CHECK (char_length(email) <= 254),
  first_name      text,
  last_name       text,
  company         text,
  fields          jsonb NOT NULL DEFAULT '{}',
  unsubscribed_at timestamptz,
  replied_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_user_email_key ON contacts (user_id, lower(email));
CREATE INDEX contacts_user_page_idx ON contacts (user_id, created_at DESC, id DESC);

CREATE TABLE campaigns (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name             text NOT NULL,
  from_email       text NOT NULL,
  from_name        text,
  subject_template text NOT NULL,
  body_template    text NOT NULL,
  status           text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'running', 'paused', 'completed', 'cancelled')),
  status_reason    text,
  start_at         timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaigns_user_page_idx ON campaigns (user_id, created_at DESC, id DESC);
CREATE INDEX campaigns_status_idx ON campaigns (status) WHERE status IN ('running', 'paused');

-- Step 1 is the campaign's own email; later steps are follow-ups sent `delay_seconds` after the
-- previous step was sent to that contact. Templates default to the campaign's.
CREATE TABLE campaign_steps (
  campaign_id      uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  position         integer NOT NULL CHECK (position >= 1),
  delay_seconds    integer NOT NULL CHECK (delay_seconds >= 0),
  only_if_no_reply boolean NOT NULL DEFAULT true,
  subject_template text,
  body_template    text,
  PRIMARY KEY (campaign_id, position)
);

CREATE TABLE campaign_contacts (
  campaign_id uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  contact_id  uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  PRIMARY KEY (campaign_id, contact_id)
);
CREATE INDEX campaign_contacts_contact_idx ON campaign_contacts (contact_id);

CREATE TABLE scheduled_emails (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id   uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  step_position integer NOT NULL,
  contact_id    uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  send_at       timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
  attempts      integer NOT NULL DEFAULT 0,
  last_error    text,
  sent_at       timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, step_position, contact_id)
);
-- The dispatcher's question: what is due now?
CREATE INDEX scheduled_emails_due_idx ON scheduled_emails (send_at) WHERE status = 'pending';
CREATE INDEX scheduled_emails_campaign_idx ON scheduled_emails (campaign_id, status);

-- What EMAIL_TRANSPORT=db "sends": the message as it would have left.
CREATE TABLE sent_emails (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id         text NOT NULL UNIQUE,
  user_id            uuid REFERENCES users (id) ON DELETE SET NULL,
  scheduled_email_id bigint REFERENCES scheduled_emails (id) ON DELETE SET NULL,
  kind               text NOT NULL,
  to_email           text NOT NULL,
  from_email         text NOT NULL,
  subject            text NOT NULL,
  body               text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_emails_created_idx ON sent_emails (created_at);

CREATE TABLE webhook_endpoints (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  url             text NOT NULL CHECK (char_length(url) <= 2048),
  description     text,
  event_types     text[] NOT NULL,
  secret          text NOT NULL,
  enabled         boolean NOT NULL DEFAULT true,
  disabled_reason text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_user_page_idx ON webhook_endpoints (user_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_type      text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  response_status integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_endpoint_page_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
