-- sa_gateway: the gateway's LOGIN role on the primary. The gateway only resolves API keys: it reads
-- the columns that lookup needs (a key's hash, tenant, scopes and state; a tenant's id and state)
-- and nothing else — not a key's name or prefix, no tenant's name, no platform table, no write.
-- clients has row-level security (migration 0003: sa_query sees its own tenant); the key lookup
-- joins every tenant's row, so sa_gateway gets a policy of its own for SELECT.
-- Its password is set by the migrator from ConnectionStrings:primary-gateway on every start.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sa_gateway') THEN
        CREATE ROLE sa_gateway LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

GRANT SELECT (client_id, key_hash, scopes, active) ON api_keys TO sa_gateway;
GRANT SELECT (id, active) ON clients TO sa_gateway;
DROP POLICY IF EXISTS gateway_key_lookup ON clients;
CREATE POLICY gateway_key_lookup ON clients FOR SELECT TO sa_gateway USING (true);
