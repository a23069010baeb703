-- The second app's own tables: notes, and a digest per occurrence of its task.
CREATE TABLE notes (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  body       text NOT NULL,
  indexed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE note_digests (
  scheduled_at timestamptz PRIMARY KEY,
  notes        integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
