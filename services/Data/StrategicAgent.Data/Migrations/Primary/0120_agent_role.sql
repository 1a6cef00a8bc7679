-- sa_agent: the agent's LOGIN role on the primary. The agent is the service that handles untrusted
-- text (questions, LLM output), so it does not hold a superuser connection: sa_agent may read and
-- write the agent's own tables (learning memory, conversations) and nothing else — no platform
-- table, no API key, no temporary table, no role change (NOINHERIT, no membership).
-- Its password is not set here (no secret in the repository): the migrator sets it from
-- ConnectionStrings:primary-agent on every start. Without one it cannot log in over TCP.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sa_agent') THEN
        CREATE ROLE sa_agent LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS;
    END IF;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON ai_learning_memory, agent_conversations TO sa_agent;
GRANT USAGE ON SEQUENCE ai_learning_memory_id_seq TO sa_agent;

-- As on the replica (Replica/0300): nothing that is not a superuser creates temporary tables.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
END
$$;
