-- The issue rollups of 0700 keyed by the status *category* instead of the status (docs/agent.md, "The rollup lever"):
-- every question the agent asks of an issue's status reads its category (status_mappings.status_to: To Do, In Progress,
-- Done), so a key per status only multiplied the rows a query sums. The category is carried in the column `status_to`
-- (the name of the base column it comes from), looked up through statuses → status_mappings when an issue's row is
-- rolled up; NULL when the status maps to no category (statuses.status_mapping_id is nullable): such issues are counted
-- by every question that does not read the status and, like the base SQL's inner join to the mapping, by none that does
-- (the compiler adds `status_to IS NOT NULL` whenever the base SQL would join the mapping).
--
-- A category mapping can change without any issue changing: a status moved to another mapping, or a mapping's status_to
-- edited. Row triggers on statuses and status_mappings rebuild the tenants whose issues that re-categorises
-- (rollup_rebuild), ENABLE ALWAYS like the issue triggers (the apply worker runs as a replica). A new status or mapping
-- has no issue yet (issues.status_id is a foreign key on the primary), and one still referenced cannot be deleted there.
--
-- The tables are derived data: dropped and rebuilt from the replicated issues at the end of this migration.

DROP TRIGGER IF EXISTS issues_rollup_insert_delete ON issues;
DROP TRIGGER IF EXISTS issues_rollup_update ON issues;
DROP TRIGGER IF EXISTS issues_rollup_truncate ON issues;
DROP FUNCTION IF EXISTS rollup_issue_trigger();
DROP FUNCTION IF EXISTS rollup_issue_truncate();
DROP FUNCTION IF EXISTS rollup_issue_apply(issues, integer);
DROP FUNCTION IF EXISTS rollup_rebuild(bigint);
DROP TABLE IF EXISTS issues_created_daily;
DROP TABLE IF EXISTS issues_completed_daily;

CREATE TABLE issues_created_daily (
    client_id        bigint  NOT NULL,
    created          timestamptz NOT NULL,
    project_id       bigint  NOT NULL,
    issuetype_id     bigint  NOT NULL,
    status_to        text,
    n                integer NOT NULL,
    story_points_sum numeric NOT NULL,
    story_points_n   integer NOT NULL,
    CONSTRAINT issues_created_daily_key UNIQUE NULLS NOT DISTINCT (client_id, created, project_id, issuetype_id, status_to)
);

CREATE TABLE issues_completed_daily (
    client_id              bigint  NOT NULL,
    work_last_completed_at timestamptz NOT NULL,
    project_id             bigint  NOT NULL,
    issuetype_id           bigint  NOT NULL,
    status_to              text,
    n                      integer NOT NULL,
    story_points_sum       numeric NOT NULL,
    story_points_n         integer NOT NULL,
    lead_time_seconds_sum  numeric NOT NULL,
    lead_time_n            integer NOT NULL,
    CONSTRAINT issues_completed_daily_key UNIQUE NULLS NOT DISTINCT (client_id, work_last_completed_at, project_id, issuetype_id, status_to)
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

-- The category of a status as the base SQL joins it (statuses → status_mappings), NULL when it maps to none.
CREATE OR REPLACE FUNCTION rollup_status_category(status bigint) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = public, pg_catalog
AS $$
    SELECT sm.status_to FROM statuses s JOIN status_mappings sm ON sm.id = s.status_mapping_id WHERE s.id = status
$$;

-- Adds (sign 1) or takes away (sign -1) one issue row's share of both rollups, under its status's current category.
CREATE OR REPLACE FUNCTION rollup_issue_apply(r issues, sign integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
DECLARE
    d timestamptz;
    category text;
BEGIN
    IF NOT r.active THEN
        RETURN;
    END IF;
    category := rollup_status_category(r.status_id);
    d := date_trunc('day', r.created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    INSERT INTO issues_created_daily AS x (client_id, created, project_id, issuetype_id, status_to, n, story_points_sum, story_points_n)
    VALUES (r.client_id, d, r.project_id, r.issuetype_id, category, sign, coalesce(r.story_points, 0) * sign, (r.story_points IS NOT NULL)::int * sign)
    ON CONFLICT ON CONSTRAINT issues_created_daily_key DO UPDATE
        SET n = x.n + excluded.n,
            story_points_sum = x.story_points_sum + excluded.story_points_sum,
            story_points_n = x.story_points_n + excluded.story_points_n;
    IF sign < 0 THEN
        DELETE FROM issues_created_daily
        WHERE client_id = r.client_id AND created = d AND project_id = r.project_id AND issuetype_id = r.issuetype_id
          AND status_to IS NOT DISTINCT FROM category AND n = 0;
    END IF;

    IF r.work_last_completed_at IS NULL THEN
        RETURN;
    END IF;
    d := date_trunc('day', r.work_last_completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    INSERT INTO issues_completed_daily AS x (client_id, work_last_completed_at, project_id, issuetype_id, status_to, n, story_points_sum, story_points_n,
                                             lead_time_seconds_sum, lead_time_n)
    VALUES (r.client_id, d, r.project_id, r.issuetype_id, category, sign, coalesce(r.story_points, 0) * sign, (r.story_points IS NOT NULL)::int * sign,
            coalesce(r.total_lead_time_seconds, 0) * sign, (r.total_lead_time_seconds IS NOT NULL)::int * sign)
    ON CONFLICT ON CONSTRAINT issues_completed_daily_key DO UPDATE
        SET n = x.n + excluded.n,
            story_points_sum = x.story_points_sum + excluded.story_points_sum,
            story_points_n = x.story_points_n + excluded.story_points_n,
            lead_time_seconds_sum = x.lead_time_seconds_sum + excluded.lead_time_seconds_sum,
            lead_time_n = x.lead_time_n + excluded.lead_time_n;
    IF sign < 0 THEN
        DELETE FROM issues_completed_daily
        WHERE client_id = r.client_id AND work_last_completed_at = d AND project_id = r.project_id AND issuetype_id = r.issuetype_id
          AND status_to IS NOT DISTINCT FROM category AND n = 0;
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

-- Recomputes one tenant's rollups from its issues: the initial load of a replica that already holds rows (below), a
-- changed category mapping (the triggers below) and the safety net. SHARE blocks writers of issues (the apply worker
-- waits, unless it is the one rebuilding) for the rebuild, so no trigger adds a row between the DELETE and the INSERT.
CREATE OR REPLACE FUNCTION rollup_rebuild(tenant bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    LOCK TABLE issues IN SHARE MODE;
    DELETE FROM issues_created_daily WHERE client_id = tenant;
    INSERT INTO issues_created_daily (client_id, created, project_id, issuetype_id, status_to, n, story_points_sum, story_points_n)
    SELECT i.client_id, date_trunc('day', i.created AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', i.project_id, i.issuetype_id, sm.status_to,
           count(*), coalesce(sum(i.story_points), 0), count(i.story_points)
    FROM issues i
    LEFT JOIN statuses s ON s.id = i.status_id
    LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
    WHERE i.client_id = tenant AND i.active
    GROUP BY 1, 2, 3, 4, 5;
    DELETE FROM issues_completed_daily WHERE client_id = tenant;
    INSERT INTO issues_completed_daily (client_id, work_last_completed_at, project_id, issuetype_id, status_to, n, story_points_sum, story_points_n,
                                        lead_time_seconds_sum, lead_time_n)
    SELECT i.client_id, date_trunc('day', i.work_last_completed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', i.project_id, i.issuetype_id, sm.status_to,
           count(*), coalesce(sum(i.story_points), 0), count(i.story_points), coalesce(sum(i.total_lead_time_seconds), 0), count(i.total_lead_time_seconds)
    FROM issues i
    LEFT JOIN statuses s ON s.id = i.status_id
    LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
    WHERE i.client_id = tenant AND i.active AND i.work_last_completed_at IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5;
END
$$;

-- A status moved to another mapping (or to none, or to another tenant): the issues in it change category.
CREATE OR REPLACE FUNCTION rollup_status_trigger() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
DECLARE
    old_category text;
    new_category text;
BEGIN
    SELECT status_to INTO old_category FROM status_mappings WHERE id = OLD.status_mapping_id;
    SELECT status_to INTO new_category FROM status_mappings WHERE id = NEW.status_mapping_id;
    IF old_category IS DISTINCT FROM new_category OR OLD.client_id <> NEW.client_id THEN
        PERFORM rollup_rebuild(c) FROM (SELECT DISTINCT i.client_id AS c FROM issues i WHERE i.status_id = NEW.id) t;
    END IF;
    RETURN NULL;
END
$$;

-- A mapping's category edited: every status mapped to it changes category.
CREATE OR REPLACE FUNCTION rollup_status_mapping_trigger() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    PERFORM rollup_rebuild(c)
    FROM (SELECT DISTINCT i.client_id AS c FROM statuses s JOIN issues i ON i.status_id = s.id WHERE s.status_mapping_id = NEW.id) t;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS statuses_rollup_category ON statuses;
DROP TRIGGER IF EXISTS status_mappings_rollup_category ON status_mappings;
CREATE TRIGGER statuses_rollup_category AFTER UPDATE ON statuses
    FOR EACH ROW
    WHEN (OLD.status_mapping_id IS DISTINCT FROM NEW.status_mapping_id OR OLD.client_id IS DISTINCT FROM NEW.client_id)
    EXECUTE FUNCTION rollup_status_trigger();
CREATE TRIGGER status_mappings_rollup_category AFTER UPDATE ON status_mappings
    FOR EACH ROW
    WHEN (OLD.status_to IS DISTINCT FROM NEW.status_to)
    EXECUTE FUNCTION rollup_status_mapping_trigger();
ALTER TABLE statuses ENABLE ALWAYS TRIGGER statuses_rollup_category;
ALTER TABLE status_mappings ENABLE ALWAYS TRIGGER status_mappings_rollup_category;

SELECT rollup_rebuild(c.id) FROM clients c;
