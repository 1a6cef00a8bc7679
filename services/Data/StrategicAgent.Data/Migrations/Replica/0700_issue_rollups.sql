-- Pre-aggregated rollups of issues per tenant and UTC day (docs/agent.md, "The rollup lever"), on the
-- replica only: one row per (tenant, day, project, issue type, status) with additive measures, so a
-- question that filters and groups only by those keys (team via the project, status category via the
-- status) reads ≈ 4–50× fewer rows than the issues themselves. The agent's compiler uses them when a
-- question fits (RollupCompiler); the semantic layer (Rollups.cs) says which column carries which measure.
--
--   issues_created_daily    every active issue, by created
--   issues_completed_daily  every active issue with work_last_completed_at, by that day
--
-- The day column carries the base table's time column name and type: the start of the UTC day
-- (timestamptz), so a whole-day window and a week/month/quarter label are written exactly as over the
-- issues (`created >= $2 AND created < $3`, `date_trunc('week', created AT TIME ZONE 'UTC')`), whatever
-- the session's TimeZone. The keys carry the base column names too, so the entity's joins apply as they are.
--
-- A group whose count falls to zero is deleted, so a rollup never shows a group the base rows do not.
CREATE TABLE IF NOT EXISTS issues_created_daily (
    client_id        bigint  NOT NULL,
    created          timestamptz NOT NULL,
    project_id       bigint  NOT NULL,
    issuetype_id     bigint  NOT NULL,
    status_id        bigint  NOT NULL,
    n                integer NOT NULL,
    story_points_sum numeric NOT NULL,
    story_points_n   integer NOT NULL,
    PRIMARY KEY (client_id, created, project_id, issuetype_id, status_id)
);

CREATE TABLE IF NOT EXISTS issues_completed_daily (
    client_id             bigint  NOT NULL,
    work_last_completed_at timestamptz NOT NULL,
    project_id            bigint  NOT NULL,
    issuetype_id          bigint  NOT NULL,
    status_id             bigint  NOT NULL,
    n                     integer NOT NULL,
    story_points_sum      numeric NOT NULL,
    story_points_n        integer NOT NULL,
    lead_time_seconds_sum numeric NOT NULL,
    lead_time_n           integer NOT NULL,
    PRIMARY KEY (client_id, work_last_completed_at, project_id, issuetype_id, status_id)
);

-- Tenant isolation exactly as the base tables (Shared/0003_row_level_security.sql).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['issues_created_daily', 'issues_completed_daily']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT TO sa_query USING (client_id = app_current_client_id())', t);
        EXECUTE format('GRANT SELECT ON %I TO sa_query', t);
    END LOOP;
END
$$;

-- Adds (sign 1) or takes away (sign -1) one issue row's share of both rollups.
CREATE OR REPLACE FUNCTION rollup_issue_apply(r issues, sign integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
DECLARE
    d timestamptz;
BEGIN
    IF NOT r.active THEN
        RETURN;
    END IF;
    d := date_trunc('day', r.created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    INSERT INTO issues_created_daily AS x (client_id, created, project_id, issuetype_id, status_id, n, story_points_sum, story_points_n)
    VALUES (r.client_id, d, r.project_id, r.issuetype_id, r.status_id, sign, coalesce(r.story_points, 0) * sign, (r.story_points IS NOT NULL)::int * sign)
    ON CONFLICT (client_id, created, project_id, issuetype_id, status_id) DO UPDATE
        SET n = x.n + excluded.n,
            story_points_sum = x.story_points_sum + excluded.story_points_sum,
            story_points_n = x.story_points_n + excluded.story_points_n;
    IF sign < 0 THEN
        DELETE FROM issues_created_daily
        WHERE client_id = r.client_id AND created = d AND project_id = r.project_id AND issuetype_id = r.issuetype_id
          AND status_id = r.status_id AND n = 0;
    END IF;

    IF r.work_last_completed_at IS NULL THEN
        RETURN;
    END IF;
    d := date_trunc('day', r.work_last_completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    INSERT INTO issues_completed_daily AS x (client_id, work_last_completed_at, project_id, issuetype_id, status_id, n, story_points_sum, story_points_n,
                                             lead_time_seconds_sum, lead_time_n)
    VALUES (r.client_id, d, r.project_id, r.issuetype_id, r.status_id, sign, coalesce(r.story_points, 0) * sign, (r.story_points IS NOT NULL)::int * sign,
            coalesce(r.total_lead_time_seconds, 0) * sign, (r.total_lead_time_seconds IS NOT NULL)::int * sign)
    ON CONFLICT (client_id, work_last_completed_at, project_id, issuetype_id, status_id) DO UPDATE
        SET n = x.n + excluded.n,
            story_points_sum = x.story_points_sum + excluded.story_points_sum,
            story_points_n = x.story_points_n + excluded.story_points_n,
            lead_time_seconds_sum = x.lead_time_seconds_sum + excluded.lead_time_seconds_sum,
            lead_time_n = x.lead_time_n + excluded.lead_time_n;
    IF sign < 0 THEN
        DELETE FROM issues_completed_daily
        WHERE client_id = r.client_id AND work_last_completed_at = d AND project_id = r.project_id AND issuetype_id = r.issuetype_id
          AND status_id = r.status_id AND n = 0;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION rollup_issue_trigger() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rollup_issue_apply(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rollup_issue_apply(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_issue_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    TRUNCATE issues_created_daily, issues_completed_daily;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS issues_rollup_insert_delete ON issues;
DROP TRIGGER IF EXISTS issues_rollup_update ON issues;
DROP TRIGGER IF EXISTS issues_rollup_truncate ON issues;
CREATE TRIGGER issues_rollup_insert_delete AFTER INSERT OR DELETE ON issues
    FOR EACH ROW EXECUTE FUNCTION rollup_issue_trigger();
-- Most updates (updated, comment_count, summary …) touch no key or measure: they cost nothing here.
CREATE TRIGGER issues_rollup_update AFTER UPDATE ON issues
    FOR EACH ROW
    WHEN ((OLD.client_id, OLD.project_id, OLD.issuetype_id, OLD.status_id, OLD.created, OLD.work_last_completed_at,
           OLD.story_points, OLD.total_lead_time_seconds, OLD.active)
          IS DISTINCT FROM
          (NEW.client_id, NEW.project_id, NEW.issuetype_id, NEW.status_id, NEW.created, NEW.work_last_completed_at,
           NEW.story_points, NEW.total_lead_time_seconds, NEW.active))
    EXECUTE FUNCTION rollup_issue_trigger();
CREATE TRIGGER issues_rollup_truncate AFTER TRUNCATE ON issues
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_issue_truncate();
-- The logical apply worker (and the initial table copy) run with session_replication_role = replica,
-- where ordinary triggers do not fire: these must fire for every change, whoever makes it.
ALTER TABLE issues ENABLE ALWAYS TRIGGER issues_rollup_insert_delete;
ALTER TABLE issues ENABLE ALWAYS TRIGGER issues_rollup_update;
ALTER TABLE issues ENABLE ALWAYS TRIGGER issues_rollup_truncate;

-- Recomputes one tenant's rollups from its issues: the initial load of a replica that already holds rows
-- (below) and the safety net. SHARE blocks writers of issues (the apply worker waits) for the rebuild, so
-- no trigger adds a row between the DELETE and the INSERT.
CREATE OR REPLACE FUNCTION rollup_rebuild(tenant bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    LOCK TABLE issues IN SHARE MODE;
    DELETE FROM issues_created_daily WHERE client_id = tenant;
    INSERT INTO issues_created_daily (client_id, created, project_id, issuetype_id, status_id, n, story_points_sum, story_points_n)
    SELECT client_id, date_trunc('day', created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', project_id, issuetype_id, status_id,
           count(*), coalesce(sum(story_points), 0), count(story_points)
    FROM issues WHERE client_id = tenant AND active
    GROUP BY 1, 2, 3, 4, 5;
    DELETE FROM issues_completed_daily WHERE client_id = tenant;
    INSERT INTO issues_completed_daily (client_id, work_last_completed_at, project_id, issuetype_id, status_id, n, story_points_sum, story_points_n,
                                        lead_time_seconds_sum, lead_time_n)
    SELECT client_id, date_trunc('day', work_last_completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', project_id, issuetype_id, status_id,
           count(*), coalesce(sum(story_points), 0), count(story_points), coalesce(sum(total_lead_time_seconds), 0), count(total_lead_time_seconds)
    FROM issues WHERE client_id = tenant AND active AND work_last_completed_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5;
END
$$;

SELECT rollup_rebuild(c.id) FROM clients c;
