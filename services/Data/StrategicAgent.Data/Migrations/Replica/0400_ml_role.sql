-- sa_ml: the LOGIN role of the ml writers on the replica — ml-training (reads every tenant's
-- platform rows to train, writes the registry) and the prediction service's registry reads,
-- prediction log and alerts. Not a superuser: it reads the platform tables (all tenants: BYPASSRLS,
-- because models are trained on everyone's data; tenant-scoped reads use sa_reader instead) and
-- reads and writes the ml schema; it cannot read API keys or the agent's memory, write a platform
-- table, create anything, or run programs and read files as the postgres superuser could.
-- Its password is set by the migrator from ConnectionStrings:replica-ml on every start.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sa_ml') THEN
        CREATE ROLE sa_ml LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT NOREPLICATION BYPASSRLS;
    END IF;
END
$$;

GRANT SELECT ON clients, teams, users, projects, issuetypes, status_mappings, statuses, issues,
                repositories, pull_requests, deployments, incidents TO sa_ml;

GRANT USAGE ON SCHEMA ml TO sa_ml;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ml TO sa_ml;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ml TO sa_ml;
-- Tables, views and sequences later migrations create in ml (they run as postgres).
ALTER DEFAULT PRIVILEGES IN SCHEMA ml GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO sa_ml;
ALTER DEFAULT PRIVILEGES IN SCHEMA ml GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO sa_ml;

-- Refreshing a materialised view takes its owner: the refresh function runs as its owner instead.
ALTER FUNCTION ml.refresh_training_data_summary() SECURITY DEFINER SET search_path = ml, pg_catalog;
REVOKE EXECUTE ON FUNCTION ml.refresh_training_data_summary() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ml.refresh_training_data_summary() TO sa_ml;

-- Replica lag (pg_stat_subscription) and the statistics views, read-only.
GRANT pg_read_all_stats TO sa_ml;
