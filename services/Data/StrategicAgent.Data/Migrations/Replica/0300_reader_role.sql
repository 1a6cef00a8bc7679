-- sa_reader: the LOGIN role the services use for tenant reads on the replica (the agent's
-- executor and vocabulary, the validation service's catalog and EXPLAIN cost check, the prediction
-- service's feature reads). It is not a superuser and, being NOINHERIT, holds no table privilege
-- of its own: the only thing it can do with tenant data is SET ROLE sa_query, which is what
-- TenantSession does. So a second statement "RESET ROLE" that slips past the validator lands on a
-- role that can read no tenant table and write nothing, instead of on the postgres superuser.
-- Its password is not set here (no secret in the repository): the migrator sets it from
-- ConnectionStrings:replica-reader on every start. Without a password it cannot log in over TCP
-- (the servers use scram-sha-256).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sa_reader') THEN
        CREATE ROLE sa_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

GRANT sa_query TO sa_reader;

-- TenantSession sets app.client_id and statement_timeout with set_config before it switches to
-- sa_query; migration 0005 took set_config away from PUBLIC, so the reader gets it back (sa_query
-- still cannot call it: membership runs from sa_reader to sa_query, not the other way).
GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO sa_reader;

-- Nothing that is not a superuser creates temporary tables on the replica: without this, PUBLIC's
-- default TEMPORARY right would let a reader that escaped its transaction create and fill them.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
