-- Tenant isolation enforced by PostgreSQL. Generated SQL runs as sa_query (SELECT only) inside a
-- READ ONLY transaction that sets app.client_id with set_config(..., true) — i.e. for that
-- transaction only. Without the setting the policy compares with NULL and no row is visible.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sa_query') THEN
        CREATE ROLE sa_query NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS;
    END IF;
END
$$;

-- The current tenant: NULL when unset or empty, so policies fail closed.
CREATE OR REPLACE FUNCTION app_current_client_id() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('app.client_id', true), '')::bigint $$;

GRANT USAGE ON SCHEMA public TO sa_query;
GRANT EXECUTE ON FUNCTION app_current_client_id() TO sa_query;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['teams', 'users', 'projects', 'issuetypes', 'status_mappings', 'statuses',
                             'issues', 'repositories', 'pull_requests', 'deployments', 'incidents']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT TO sa_query USING (client_id = app_current_client_id())', t);
        EXECUTE format('GRANT SELECT ON %I TO sa_query', t);
    END LOOP;
END
$$;

-- clients is keyed by id rather than client_id.
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON clients;
CREATE POLICY tenant_isolation ON clients FOR SELECT TO sa_query USING (id = app_current_client_id());
GRANT SELECT ON clients TO sa_query;
