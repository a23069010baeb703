-- Users: the first table of the outreach domain.
CREATE TABLE users (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email       text NOT NULL,
  name        text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_length CHECK (char_length(email) <= 254)
);

-- Emails are unique regardless of case: Alice@Example.com and alice@example.com are one user.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
