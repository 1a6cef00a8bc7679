-- What the replica subscribes to: the platform tables (not the migration journal, not ml).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'sa_platform') THEN
        CREATE PUBLICATION sa_platform FOR TABLE
            clients, teams, users, projects, issuetypes, status_mappings, statuses, issues,
            repositories, pull_requests, deployments, incidents, ai_learning_memory, api_keys;
    END IF;
END
$$;
