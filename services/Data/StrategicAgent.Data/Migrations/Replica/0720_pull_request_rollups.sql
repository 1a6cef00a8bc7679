-- Pre-aggregated rollups of pull requests per tenant and UTC day (docs/agent.md, "The rollup lever"), on the replica only,
-- the same design as the issue rollups (Replica/0700, 0710): one row per (tenant, day, repository, status) with additive
-- measures — the row count and, per numeric attribute, its sum and how many rows have it set — so a question that filters
-- and groups only by the repository (the team through it), the status and time reads a row per repository and day
-- instead of every pull request. Semantic/Rollups.cs says which column carries which measure.
--
--   pull_requests_created_daily  every active pull request, by created_at
--   pull_requests_merged_daily   every active pull request with merged_at, by that day
--
-- The day column has the base time column's name and type (the start of the UTC day), the keys the base columns' names.
-- A group whose count falls to zero is deleted. Kept fresh by ENABLE ALWAYS row triggers on pull_requests (the logical
-- apply worker runs as a replica); rollup_rebuild_pull_requests(tenant) recomputes a tenant.
CREATE TABLE IF NOT EXISTS pull_requests_created_daily (
    client_id     bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    repository_id bigint NOT NULL,
    status        text   NOT NULL,
    n             integer NOT NULL,
    commit_count_sum numeric NOT NULL, commit_count_n integer NOT NULL,
    changed_files_sum numeric NOT NULL, changed_files_n integer NOT NULL,
    additions_sum numeric NOT NULL, additions_n integer NOT NULL,
    deletions_sum numeric NOT NULL, deletions_n integer NOT NULL,
    review_cycles_sum numeric NOT NULL, review_cycles_n integer NOT NULL,
    rework_commit_count_sum numeric NOT NULL, rework_commit_count_n integer NOT NULL,
    PRIMARY KEY (client_id, created_at, repository_id, status)
);

CREATE TABLE IF NOT EXISTS pull_requests_merged_daily (
    client_id     bigint NOT NULL,
    merged_at     timestamptz NOT NULL,
    repository_id bigint NOT NULL,
    status        text   NOT NULL,
    n             integer NOT NULL,
    commit_count_sum numeric NOT NULL, commit_count_n integer NOT NULL,
    changed_files_sum numeric NOT NULL, changed_files_n integer NOT NULL,
    additions_sum numeric NOT NULL, additions_n integer NOT NULL,
    deletions_sum numeric NOT NULL, deletions_n integer NOT NULL,
    review_cycles_sum numeric NOT NULL, review_cycles_n integer NOT NULL,
    rework_commit_count_sum numeric NOT NULL, rework_commit_count_n integer NOT NULL,
    PRIMARY KEY (client_id, merged_at, repository_id, status)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pull_requests_created_daily', 'pull_requests_merged_daily']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT TO sa_query USING (client_id = app_current_client_id())', t);
        EXECUTE format('GRANT SELECT ON %I TO sa_query', t);
    END LOOP;
END
$$;

-- Adds (sign 1) or takes away (sign -1) one pull request row's share of both rollups.
CREATE OR REPLACE FUNCTION rollup_pull_request_apply(r pull_requests, sign integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
DECLARE
    d timestamptz;
BEGIN
    IF NOT r.active THEN
        RETURN;
    END IF;
    d := date_trunc('day', r.created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    INSERT INTO pull_requests_created_daily AS x (client_id, created_at, repository_id, status, n, commit_count_sum, commit_count_n, changed_files_sum, changed_files_n, additions_sum, additions_n, deletions_sum, deletions_n, review_cycles_sum, review_cycles_n, rework_commit_count_sum, rework_commit_count_n)
    VALUES (r.client_id, d, r.repository_id, r.status, sign, coalesce(r.commit_count, 0) * sign, (r.commit_count IS NOT NULL)::int * sign, coalesce(r.changed_files, 0) * sign, (r.changed_files IS NOT NULL)::int * sign, coalesce(r.additions, 0) * sign, (r.additions IS NOT NULL)::int * sign, coalesce(r.deletions, 0) * sign, (r.deletions IS NOT NULL)::int * sign, coalesce(r.review_cycles, 0) * sign, (r.review_cycles IS NOT NULL)::int * sign, coalesce(r.rework_commit_count, 0) * sign, (r.rework_commit_count IS NOT NULL)::int * sign)
    ON CONFLICT (client_id, created_at, repository_id, status) DO UPDATE
        SET n = x.n + excluded.n,
            commit_count_sum = x.commit_count_sum + excluded.commit_count_sum, commit_count_n = x.commit_count_n + excluded.commit_count_n,
            changed_files_sum = x.changed_files_sum + excluded.changed_files_sum, changed_files_n = x.changed_files_n + excluded.changed_files_n,
            additions_sum = x.additions_sum + excluded.additions_sum, additions_n = x.additions_n + excluded.additions_n,
            deletions_sum = x.deletions_sum + excluded.deletions_sum, deletions_n = x.deletions_n + excluded.deletions_n,
            review_cycles_sum = x.review_cycles_sum + excluded.review_cycles_sum, review_cycles_n = x.review_cycles_n + excluded.review_cycles_n,
            rework_commit_count_sum = x.rework_commit_count_sum + excluded.rework_commit_count_sum, rework_commit_count_n = x.rework_commit_count_n + excluded.rework_commit_count_n;
    IF sign < 0 THEN
        DELETE FROM pull_requests_created_daily WHERE client_id = r.client_id AND created_at = d AND repository_id = r.repository_id AND status = r.status AND n = 0;
    END IF;

    IF r.merged_at IS NULL THEN
        RETURN;
    END IF;
    d := date_trunc('day', r.merged_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    INSERT INTO pull_requests_merged_daily AS x (client_id, merged_at, repository_id, status, n, commit_count_sum, commit_count_n, changed_files_sum, changed_files_n, additions_sum, additions_n, deletions_sum, deletions_n, review_cycles_sum, review_cycles_n, rework_commit_count_sum, rework_commit_count_n)
    VALUES (r.client_id, d, r.repository_id, r.status, sign, coalesce(r.commit_count, 0) * sign, (r.commit_count IS NOT NULL)::int * sign, coalesce(r.changed_files, 0) * sign, (r.changed_files IS NOT NULL)::int * sign, coalesce(r.additions, 0) * sign, (r.additions IS NOT NULL)::int * sign, coalesce(r.deletions, 0) * sign, (r.deletions IS NOT NULL)::int * sign, coalesce(r.review_cycles, 0) * sign, (r.review_cycles IS NOT NULL)::int * sign, coalesce(r.rework_commit_count, 0) * sign, (r.rework_commit_count IS NOT NULL)::int * sign)
    ON CONFLICT (client_id, merged_at, repository_id, status) DO UPDATE
        SET n = x.n + excluded.n,
            commit_count_sum = x.commit_count_sum + excluded.commit_count_sum, commit_count_n = x.commit_count_n + excluded.commit_count_n,
            changed_files_sum = x.changed_files_sum + excluded.changed_files_sum, changed_files_n = x.changed_files_n + excluded.changed_files_n,
            additions_sum = x.additions_sum + excluded.additions_sum, additions_n = x.additions_n + excluded.additions_n,
            deletions_sum = x.deletions_sum + excluded.deletions_sum, deletions_n = x.deletions_n + excluded.deletions_n,
            review_cycles_sum = x.review_cycles_sum + excluded.review_cycles_sum, review_cycles_n = x.review_cycles_n + excluded.review_cycles_n,
            rework_commit_count_sum = x.rework_commit_count_sum + excluded.rework_commit_count_sum, rework_commit_count_n = x.rework_commit_count_n + excluded.rework_commit_count_n;
    IF sign < 0 THEN
        DELETE FROM pull_requests_merged_daily WHERE client_id = r.client_id AND merged_at = d AND repository_id = r.repository_id AND status = r.status AND n = 0;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION rollup_pull_request_trigger() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rollup_pull_request_apply(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rollup_pull_request_apply(NEW, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION rollup_pull_request_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    TRUNCATE pull_requests_created_daily, pull_requests_merged_daily;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS pull_requests_rollup_insert_delete ON pull_requests;
DROP TRIGGER IF EXISTS pull_requests_rollup_update ON pull_requests;
DROP TRIGGER IF EXISTS pull_requests_rollup_truncate ON pull_requests;
CREATE TRIGGER pull_requests_rollup_insert_delete AFTER INSERT OR DELETE ON pull_requests
    FOR EACH ROW EXECUTE FUNCTION rollup_pull_request_trigger();
-- Updates that touch no key or measure (title, closed_at, author …) cost nothing here.
CREATE TRIGGER pull_requests_rollup_update AFTER UPDATE ON pull_requests
    FOR EACH ROW
    WHEN ((OLD.client_id, OLD.repository_id, OLD.status, OLD.created_at, OLD.merged_at, OLD.active, OLD.commit_count, OLD.changed_files, OLD.additions, OLD.deletions, OLD.review_cycles, OLD.rework_commit_count) IS DISTINCT FROM (NEW.client_id, NEW.repository_id, NEW.status, NEW.created_at, NEW.merged_at, NEW.active, NEW.commit_count, NEW.changed_files, NEW.additions, NEW.deletions, NEW.review_cycles, NEW.rework_commit_count))
    EXECUTE FUNCTION rollup_pull_request_trigger();
CREATE TRIGGER pull_requests_rollup_truncate AFTER TRUNCATE ON pull_requests
    FOR EACH STATEMENT EXECUTE FUNCTION rollup_pull_request_truncate();
ALTER TABLE pull_requests ENABLE ALWAYS TRIGGER pull_requests_rollup_insert_delete;
ALTER TABLE pull_requests ENABLE ALWAYS TRIGGER pull_requests_rollup_update;
ALTER TABLE pull_requests ENABLE ALWAYS TRIGGER pull_requests_rollup_truncate;

-- Recomputes one tenant's pull request rollups (the initial load of a replica that already holds rows, the safety net);
-- SHARE blocks the apply worker's writes to pull_requests meanwhile.
CREATE OR REPLACE FUNCTION rollup_rebuild_pull_requests(tenant bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path = public, pg_catalog
AS $$
BEGIN
    LOCK TABLE pull_requests IN SHARE MODE;
    DELETE FROM pull_requests_created_daily WHERE client_id = tenant;
    INSERT INTO pull_requests_created_daily (client_id, created_at, repository_id, status, n, commit_count_sum, commit_count_n, changed_files_sum, changed_files_n, additions_sum, additions_n, deletions_sum, deletions_n, review_cycles_sum, review_cycles_n, rework_commit_count_sum, rework_commit_count_n)
    SELECT client_id, date_trunc('day', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', repository_id, status, count(*), coalesce(sum(commit_count), 0), count(commit_count), coalesce(sum(changed_files), 0), count(changed_files), coalesce(sum(additions), 0), count(additions), coalesce(sum(deletions), 0), count(deletions), coalesce(sum(review_cycles), 0), count(review_cycles), coalesce(sum(rework_commit_count), 0), count(rework_commit_count)
    FROM pull_requests WHERE client_id = tenant AND active
    GROUP BY 1, 2, 3, 4;
    DELETE FROM pull_requests_merged_daily WHERE client_id = tenant;
    INSERT INTO pull_requests_merged_daily (client_id, merged_at, repository_id, status, n, commit_count_sum, commit_count_n, changed_files_sum, changed_files_n, additions_sum, additions_n, deletions_sum, deletions_n, review_cycles_sum, review_cycles_n, rework_commit_count_sum, rework_commit_count_n)
    SELECT client_id, date_trunc('day', merged_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', repository_id, status, count(*), coalesce(sum(commit_count), 0), count(commit_count), coalesce(sum(changed_files), 0), count(changed_files), coalesce(sum(additions), 0), count(additions), coalesce(sum(deletions), 0), count(deletions), coalesce(sum(review_cycles), 0), count(review_cycles), coalesce(sum(rework_commit_count), 0), count(rework_commit_count)
    FROM pull_requests WHERE client_id = tenant AND active AND merged_at IS NOT NULL
    GROUP BY 1, 2, 3, 4;
END
$$;

SELECT rollup_rebuild_pull_requests(c.id) FROM clients c;
