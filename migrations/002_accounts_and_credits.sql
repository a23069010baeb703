-- Accounts: passwords, roles, email verification, API keys; credits with a ledger.

ALTER TABLE users
  ADD COLUMN password_hash        text,
  ADD COLUMN role                 text NOT NULL DEFAULT 'user',
  ADD COLUMN email_verified_at    timestamptz,
  ADD COLUMN credit_balance       bigint NOT NULL DEFAULT 0,
  ADD COLUMN low_credit_threshold integer NOT NULL DEFAULT 10,
  ADD CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
  -- The balance can never go negative, whatever the code does: a consume that would overdraw fails here.
  ADD CONSTRAINT users_credit_balance_check CHECK (credit_balance >= 0),
  ADD CONSTRAINT users_low_credit_threshold_check CHECK (low_credit_threshold >= 0);

-- Only a hash of each key is stored; `prefix` (the first characters) lets a user tell keys apart.
CREATE TABLE api_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  prefix       text NOT NULL,
  key_hash     bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at DESC, id DESC);

CREATE TABLE email_verifications (
  token_hash bytea PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX email_verifications_user_idx ON email_verifications (user_id);

-- Every change of a balance, with the balance it left: the ledger explains the number.
CREATE TABLE credit_transactions (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind          text NOT NULL CHECK (kind IN ('grant', 'consume', 'refund')),
  amount        integer NOT NULL CHECK (amount > 0),
  balance_after bigint NOT NULL CHECK (balance_after >= 0),
  reason        text,
  reference     text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX credit_transactions_user_idx ON credit_transactions (user_id, created_at DESC, id DESC);

-- Shared by every instance; one row per (limit, subject), a fixed window. UNLOGGED: counters are
-- worth no WAL, and losing them in a crash only resets the windows.
CREATE UNLOGGED TABLE rate_limits (
  key          text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits         integer NOT NULL
);
