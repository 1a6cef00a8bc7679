-- A training run's progress lives in its row, so any gateway (or a new one after a restart) can
-- report it: the current stage's percent and message, when the row last changed, and one entry per
-- stage reached ([{"stage", "percent", "message", "started_at"}], in order). Written by whichever
-- ml-training replica took the run from the queue.
ALTER TABLE ml.training_runs ADD COLUMN IF NOT EXISTS percent double precision NOT NULL DEFAULT 0;
ALTER TABLE ml.training_runs ADD COLUMN IF NOT EXISTS message text;
ALTER TABLE ml.training_runs ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE ml.training_runs ADD COLUMN IF NOT EXISTS stages jsonb NOT NULL DEFAULT '[]'::jsonb;
