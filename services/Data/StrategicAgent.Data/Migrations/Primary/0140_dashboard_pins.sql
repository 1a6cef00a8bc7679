-- Answers a tenant pinned to its dashboard in the web UI (issue 13). A pin holds the questions of
-- the conversation up to the pinned answer (a follow-up such as "and for last quarter?" only means
-- something after the question before it); the dashboard asks them again, in order, in a fresh
-- conversation each time it opens, so a pin always shows today's numbers and never a stale copy.
-- Primary only and not published: it is the web UI's state, not platform data.
CREATE TABLE IF NOT EXISTS dashboard_pins (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id   bigint      NOT NULL REFERENCES clients (id),
    title       text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    questions   text[]      NOT NULL CHECK (cardinality(questions) BETWEEN 1 AND 10),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ix_dashboard_pins_client ON dashboard_pins (client_id, id);

-- The gateway (sa_gateway, Primary/0130) reads, adds and removes pins; it sets app.client_id to the
-- API key's tenant for the transaction, and row-level security keeps every statement on that
-- tenant's rows even if the SQL forgot its own client_id filter.
ALTER TABLE dashboard_pins ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_pins ON dashboard_pins;
CREATE POLICY tenant_pins ON dashboard_pins TO sa_gateway
    USING (client_id = app_current_client_id())
    WITH CHECK (client_id = app_current_client_id());
GRANT SELECT, INSERT, DELETE ON dashboard_pins TO sa_gateway;
-- set_config is revoked from PUBLIC (Shared/0005); the gateway needs it to set app.client_id.
GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO sa_gateway;
GRANT EXECUTE ON FUNCTION app_current_client_id() TO sa_gateway;
