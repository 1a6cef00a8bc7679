-- Validation corpus: queries against the schema contract (services/Data/.../0001_platform_schema.sql)
-- with the codes each must produce (errors and warnings; empty = clean).
-- Format: a line "-- @case <id> expect=<code>[,<code>…]" starts a case; optional "-- @question …" and
-- "-- @intent {json}" lines follow; the SQL runs to the next "-- @case". "replica" in a case line
-- means the case needs the live replica (cost stage); cases with an intent run the semantic judge.

-- ============================================================ good queries
-- @case good-001 expect=
SELECT t.name AS team, count(*) AS issues
FROM issues i
JOIN users u ON u.id = i.assignee_id
JOIN teams t ON t.id = u.team_id
WHERE i.client_id = 1
GROUP BY t.name
ORDER BY issues DESC
LIMIT 10

-- @case good-002 expect=
SELECT t.name AS team,
       avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
FROM issues i
JOIN users u ON u.id = i.assignee_id
JOIN teams t ON t.id = u.team_id
JOIN statuses s ON s.id = i.status_id
JOIN status_mappings sm ON sm.id = s.status_mapping_id
WHERE i.client_id = 1
  AND sm.status_to = 'Done'
  AND i.work_last_completed_at >= now() - interval '90 days'
GROUP BY t.name
ORDER BY avg_lead_time_days DESC
LIMIT 10

-- @case good-003 expect=
SELECT p.key, p.name, count(i.id) AS open_issues
FROM projects p
LEFT JOIN issues i ON i.project_id = p.id AND i.client_id = p.client_id
WHERE p.client_id = 1 AND p.active
GROUP BY p.key, p.name
ORDER BY open_issues DESC
LIMIT 20

-- @case good-004 expect=
SELECT i.key, i.summary, i.story_points
FROM issues i
WHERE i.client_id = 1 AND i.story_points IS NOT NULL
ORDER BY i.story_points DESC
LIMIT 50

-- @case good-005 expect=
WITH done AS (
    SELECT i.id, i.project_id, i.total_lead_time_seconds
    FROM issues i
    JOIN statuses s ON s.id = i.status_id
    JOIN status_mappings sm ON sm.id = s.status_mapping_id
    WHERE i.client_id = 1 AND sm.status_to = 'Done'
)
SELECT p.key, percentile_cont(0.5) WITHIN GROUP (ORDER BY d.total_lead_time_seconds) AS median_lead_time
FROM done d
JOIN projects p ON p.id = d.project_id
GROUP BY p.key
ORDER BY median_lead_time
LIMIT 25

-- @case good-006 expect=
SELECT r.name AS repository,
       count(*) FILTER (WHERE pr.rework_commit_count > 0)::numeric / nullif(count(*), 0) AS rework_ratio
FROM pull_requests pr
JOIN repositories r ON r.id = pr.repository_id
WHERE pr.client_id = 1 AND pr.merged_at >= date_trunc('quarter', now())
GROUP BY r.name
ORDER BY rework_ratio DESC
LIMIT 10

-- @case good-007 expect=
SELECT date_trunc('week', d.deployed_at) AS week, count(*) AS deployments
FROM deployments d
WHERE d.client_id = 1 AND d.environment = 'production' AND d.deployed_at >= now() - interval '180 days'
GROUP BY 1
ORDER BY 1

-- @case good-008 expect=
SELECT count(*) FROM issues WHERE client_id = 1

-- @case good-009 expect=
SELECT i.key,
       i.story_points,
       rank() OVER (PARTITION BY i.project_id ORDER BY i.story_points DESC NULLS LAST) AS rnk
FROM issues i
WHERE i.client_id = 1
LIMIT 100

-- @case good-010 expect=
SELECT e.key AS epic, count(s.id) AS stories, sum(s.story_points) AS points
FROM issues e
JOIN issuetypes et ON et.id = e.issuetype_id AND et.original_name = 'Epic'
JOIN issues s ON s.parent_id = e.id
WHERE e.client_id = 1
GROUP BY e.key
LIMIT 100

-- @case good-011 expect=
SELECT "i"."key", "i"."summary"
FROM "issues" AS "i"
WHERE "i"."client_id" = 1
LIMIT 5

-- @case good-012 expect=
-- a comment that says DROP TABLE issues; and DELETE FROM teams;
SELECT t.name /* UPDATE teams SET name = 'x' */
FROM teams t
WHERE t.client_id = 1 -- ; DROP TABLE teams
LIMIT 10

-- @case good-013 expect=
SELECT i.key
FROM issues i
WHERE i.client_id = 1 AND i.summary = 'DROP TABLE issues; SELECT pg_sleep(10); --'
LIMIT 10

-- @case good-014 expect=
SELECT i.key, $$DELETE FROM issues; INSERT INTO teams VALUES (1)$$ AS note
FROM issues i
WHERE i.client_id = 1
LIMIT 1

-- @case good-015 expect=
SELECT u.name, latest.title, latest.merged_at
FROM users u
CROSS JOIN LATERAL (
    SELECT pr.title, pr.merged_at
    FROM pull_requests pr
    WHERE pr.author_id = u.id AND pr.merged_at IS NOT NULL
    ORDER BY pr.merged_at DESC
    LIMIT 1
) AS latest
WHERE u.client_id = 1
LIMIT 50

-- @case good-016 expect=
SELECT i.key
FROM issues i
WHERE i.client_id = 1
  AND EXISTS (SELECT 1 FROM pull_requests pr WHERE pr.issue_id = i.id AND pr.review_cycles > 3)
LIMIT 20

-- @case good-017 expect=
SELECT t.name
FROM teams t
WHERE t.client_id = 1
  AND t.id IN (SELECT u.team_id FROM users u WHERE u.client_id = 1 AND u.active)
LIMIT 100

-- @case good-018 expect=
SELECT severity, count(*) AS incidents,
       avg(extract(epoch FROM resolved_at - created_at) / 3600) AS mttr_hours
FROM incidents
WHERE client_id = 1 AND created_at >= now() - interval '1 year'
GROUP BY severity

-- @case good-019 expect=
SELECT d.environment,
       count(*) FILTER (WHERE d.status = 'failed')::float / count(*) AS change_failure_rate
FROM deployments d
WHERE d.client_id = 1
GROUP BY d.environment

-- @case good-020 expect=
WITH RECURSIVE tree AS (
    SELECT i.id, i.key, i.parent_id, 1 AS depth
    FROM issues i
    WHERE i.client_id = 1 AND i.parent_id IS NULL
    UNION ALL
    SELECT c.id, c.key, c.parent_id, tree.depth + 1
    FROM issues c
    JOIN tree ON c.parent_id = tree.id
    WHERE c.client_id = 1
)
SELECT key, depth FROM tree ORDER BY depth LIMIT 200

-- @case good-021 expect=
SELECT p.key FROM projects p WHERE p.client_id = 1
UNION
SELECT r.name FROM repositories r WHERE r.client_id = 1
LIMIT 100

-- @case good-022 expect=
SELECT i.key,
       CASE WHEN i.story_points >= 8 THEN 'large' WHEN i.story_points >= 3 THEN 'medium' ELSE 'small' END AS size
FROM issues i
WHERE i.client_id = $1
LIMIT 100

-- @case good-023 expect=
SELECT DISTINCT ON (pr.repository_id) pr.repository_id, pr.title, pr.created_at
FROM pull_requests pr
WHERE pr.client_id = 1
ORDER BY pr.repository_id, pr.created_at DESC
LIMIT 100

-- @case good-024 expect=
SELECT g.day::date, count(d.id)
FROM generate_series(now() - interval '30 days', now(), interval '1 day') AS g(day)
LEFT JOIN deployments d ON date_trunc('day', d.deployed_at) = date_trunc('day', g.day) AND d.client_id = 1
GROUP BY 1
ORDER BY 1

-- @case good-025 expect=
SELECT u.name, coalesce(sum(i.story_points), 0) AS points
FROM users u
LEFT JOIN issues i ON i.assignee_id = u.id
WHERE u.client_id = 1
GROUP BY u.name
ORDER BY points DESC
LIMIT 10

-- @case good-026 expect=
SELECT i.key, i.created
FROM issues i
WHERE i.client_id IN (1)
  AND i.created BETWEEN '2025-01-01' AND '2025-03-31'
ORDER BY i.created
LIMIT 100

-- @case good-027 expect=
SELECT x.team, x.avg_points
FROM (
    SELECT t.name AS team, avg(i.story_points) AS avg_points
    FROM issues i JOIN users u ON u.id = i.assignee_id JOIN teams t ON t.id = u.team_id
    WHERE i.client_id = 1
    GROUP BY t.name
) x
WHERE x.avg_points > 3
LIMIT 10

-- @case good-028 expect=
SELECT pr.number, pr.title, pr.changed_files, pr.review_cycles
FROM pull_requests pr
WHERE pr.client_id = 1 AND pr.status = 'open'
ORDER BY pr.changed_files DESC
FETCH FIRST 20 ROWS ONLY

-- @case good-029 expect=
SELECT count(*) AS total, count(*) FILTER (WHERE active) AS active FROM users WHERE client_id = 1

-- @case good-030 expect=
SELECT now(), current_date, 1 + 1 AS two

-- @case good-031 expect=
SELECT c.name FROM clients c WHERE c.id = 1 LIMIT 1

-- @case good-032 expect=
SELECT i.key, s.original_name AS status, sm.status_to
FROM issues i
JOIN statuses s USING (client_id)
JOIN status_mappings sm ON sm.id = s.status_mapping_id
WHERE i.client_id = 1 AND s.id = i.status_id
LIMIT 10

-- @case good-033 expect=
SELECT it.original_name AS issue_type, avg(i.story_points) AS avg_points
FROM issues i
JOIN issuetypes it ON it.id = i.issuetype_id
WHERE i.client_id = 1 AND it.original_name IN ('Story', 'Bug')
GROUP BY it.original_name

-- @case good-034 expect=
SELECT i.key, lag(i.created) OVER w AS previous_created
FROM issues i
WHERE i.client_id = 1
WINDOW w AS (PARTITION BY i.project_id ORDER BY i.created)
LIMIT 100

-- @case good-035 expect=
SELECT row_to_json(t) FROM (SELECT id, name FROM teams WHERE client_id = 1) t LIMIT 10

-- @case good-036 expect=
SELECT r.full_name, avg(pr.additions + pr.deletions) AS avg_size
FROM repositories r
JOIN pull_requests pr ON pr.repository_id = r.id
WHERE r.client_id = 1 AND pr.merged_at IS NOT NULL
GROUP BY r.full_name
HAVING count(*) > 5
ORDER BY avg_size DESC
LIMIT 10

-- @case good-037 expect=
select I.KEY, I.SUMMARY from ISSUES I where I.CLIENT_ID = 1 limit 3

-- @case good-038 expect=
SELECT i.key FROM issues i WHERE i.client_id = 1 AND i.summary ILIKE '%select * from%' LIMIT 10

-- @case good-039 expect=
SELECT E'it''s; DROP TABLE x' AS s, i.key FROM issues i WHERE i.client_id = 1 LIMIT 1

-- @case good-040 expect=
WITH weekly AS (
    SELECT date_trunc('week', pr.merged_at) AS week, count(*) AS merged
    FROM pull_requests pr
    WHERE pr.client_id = 1 AND pr.merged_at IS NOT NULL
    GROUP BY 1
)
SELECT week, merged, avg(merged) OVER (ORDER BY week ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS moving_avg
FROM weekly
ORDER BY week
LIMIT 104

-- @case good-041 expect=
SELECT i.key, i.story_points
FROM issues i
WHERE i.client_id = 1
  AND i.story_points > (SELECT avg(i2.story_points) FROM issues i2 WHERE i2.client_id = 1)
LIMIT 50

-- @case good-042 expect=
SELECT d.id, i2.severity
FROM deployments d
JOIN incidents i2 ON i2.deployment_id = d.id
WHERE d.client_id = 1
LIMIT 100

-- @case good-043 expect=
SELECT u.email FROM users u WHERE u.client_id = 1 AND u.email LIKE '%@example.com' ORDER BY 1 LIMIT 1000

-- @case good-044 expect=
SELECT t.name, stats.merged
FROM teams t,
LATERAL (SELECT count(*) AS merged FROM pull_requests pr JOIN users a ON a.id = pr.author_id WHERE a.team_id = t.id) stats
WHERE t.client_id = 1
LIMIT 20

-- @case good-045 expect=
SELECT i.key, i.custom_field_01 FROM issues i WHERE i.client_id = 1 AND i.custom_field_01 IS NOT NULL LIMIT 10

-- @case good-046 expect=
SELECT x.n FROM (VALUES (1), (2), (3)) AS x(n) LIMIT 3

-- @case good-047 expect=
SELECT i.key, pr.number
FROM issues i
JOIN pull_requests pr ON pr.issue_id = i.id AND pr.client_id = i.client_id
WHERE i.client_id = 1
ORDER BY pr.number DESC
LIMIT 25

-- @case good-048 expect=
SELECT to_char(i.created, 'YYYY-MM') AS month, count(*) FROM issues i WHERE i.client_id = 1 GROUP BY 1 ORDER BY 1

-- @case good-049 expect=
SELECT "t".name AS "Team Name" FROM teams "t" WHERE "t".client_id = 1 ORDER BY "Team Name" LIMIT 10

-- @case good-050 expect=
SELECT max(d.deployed_at) AS last_deploy, min(d.deployed_at) AS first_deploy FROM deployments d WHERE d.client_id = 1

-- @case good-051 expect=
SELECT i.key FROM issues i WHERE i.client_id = 1 AND i.id = ANY (ARRAY[1, 2, 3]) LIMIT 3

-- @case good-052 expect=
SELECT i.key, i.updated FROM issues i WHERE i.client_id = 1 AND i.updated > current_date - 7 ORDER BY i.updated DESC LIMIT 100

-- @case good-053 expect=
SELECT s.original_name, count(*) FROM statuses s JOIN issues i ON i.status_id = s.id WHERE s.client_id = 1 GROUP BY s.original_name

-- @case good-054 expect=
SELECT json_agg(t.name ORDER BY t.name) FROM teams t WHERE t.client_id = 1

-- @case good-055 expect=
SELECT i.key, i.total_lead_time_seconds / 86400.0 AS days,
       ntile(4) OVER (ORDER BY i.total_lead_time_seconds) AS quartile
FROM issues i
WHERE i.client_id = 1 AND i.total_lead_time_seconds IS NOT NULL
LIMIT 1000

-- ============================================================ syntax errors
-- @case syn-001 expect=syntax_error
SELEC key FROM issues LIMIT 1

-- @case syn-002 expect=syntax_error
SELECT key FROM issues WHERE client_id = 1 AND LIMIT 1

-- @case syn-003 expect=syntax_error
SELECT key, FROM issues WHERE client_id = 1 LIMIT 1

-- @case syn-004 expect=syntax_error
SELECT count(* FROM issues WHERE client_id = 1

-- @case syn-005 expect=syntax_error
SELECT key FROM issues WHERE summary = 'unterminated LIMIT 1

-- @case syn-006 expect=syntax_error
SELECT t.name, count(*) FROM teams t WHERE t.client_id = 1 GROUP t.name

-- @case syn-007 expect=syntax_error
SELECT * FROM issues i JOIN projects p WHERE i.client_id = 1 LIMIT 1

-- @case syn-008 expect=syntax_error
SELECT key FROM issues ORDER BY LIMIT 10

-- @case syn-009 expect=syntax_error
-- only a comment, no statement

-- @case syn-010 expect=syntax_error
SELECT 'héllo 😀' AS greeting FROM issues WHERE client_id = 1 1

-- @case syn-011 expect=syntax_error
SELECT key FROM issues WHERE client_id = 1; SELEC 1

-- @case syn-012 expect=syntax_error
WITH x AS (SELECT 1) SELECT * FROM x WHERE

-- @case syn-013 expect=syntax_error
SELECT i.key FROM issues i WHERE i.created > now() - interval '1 day' AND AND i.client_id = 1 LIMIT 1

-- ============================================================ multiple statements
-- @case multi-001 expect=multiple_statements
SELECT 1; SELECT 2

-- @case multi-002 expect=multiple_statements,not_read_only
SELECT key FROM issues WHERE client_id = 1 LIMIT 1; DROP TABLE issues

-- @case multi-003 expect=multiple_statements,not_read_only
SELECT count(*) FROM teams WHERE client_id = 1;
DELETE FROM teams WHERE client_id = 1;

-- @case multi-004 expect=multiple_statements
SELECT count(*) FROM teams WHERE client_id = 1; /* second */ SELECT count(*) FROM users WHERE client_id = 1

-- @case multi-005 expect=
SELECT count(*) FROM teams WHERE client_id = 1 AND name <> 'a;b';

-- @case multi-006 expect=multiple_statements,not_read_only
SELECT 1; SET ROLE postgres

-- @case multi-007 expect=multiple_statements,not_read_only
SELECT 1; COMMIT; UPDATE issues SET story_points = 0

-- ============================================================ not read-only
-- @case ro-001 expect=not_read_only
INSERT INTO teams (id, client_id, name) VALUES (999, 1, 'x')

-- @case ro-002 expect=not_read_only
UPDATE issues SET story_points = 1 WHERE client_id = 1

-- @case ro-003 expect=not_read_only
DELETE FROM pull_requests WHERE client_id = 1

-- @case ro-004 expect=not_read_only
DROP TABLE issues

-- @case ro-005 expect=not_read_only
TRUNCATE incidents

-- @case ro-006 expect=not_read_only
CREATE TABLE evil AS SELECT * FROM issues

-- @case ro-007 expect=not_read_only
ALTER TABLE issues ADD COLUMN x int

-- @case ro-008 expect=not_read_only
GRANT SELECT ON issues TO PUBLIC

-- @case ro-009 expect=not_read_only
COPY issues TO '/tmp/issues.csv'

-- @case ro-010 expect=not_read_only
SET app.client_id = '2'

-- @case ro-011 expect=not_read_only
CALL refresh_everything()

-- @case ro-012 expect=not_read_only
DO $$ BEGIN PERFORM 1; END $$

-- @case ro-013 expect=not_read_only
EXPLAIN ANALYZE SELECT count(*) FROM issues WHERE client_id = 1

-- @case ro-014 expect=not_read_only
SELECT i.* INTO TEMP stolen FROM issues i WHERE i.client_id = 1 LIMIT 10

-- @case ro-015 expect=not_read_only
SELECT i.key FROM issues i WHERE i.client_id = 1 LIMIT 10 FOR UPDATE

-- @case ro-016 expect=not_read_only
SELECT t.name FROM teams t WHERE t.client_id = 1 LIMIT 10 FOR SHARE

-- @case ro-017 expect=not_read_only
WITH gone AS (DELETE FROM issues WHERE client_id = 1 RETURNING id)
SELECT count(*) FROM gone

-- @case ro-018 expect=not_read_only
WITH changed AS (UPDATE teams SET name = 'owned' WHERE client_id = 1 RETURNING id, name)
SELECT * FROM changed LIMIT 10

-- @case ro-019 expect=not_read_only
WITH ok AS (SELECT id FROM teams WHERE client_id = 1),
     bad AS (INSERT INTO teams (id, client_id, name) SELECT id + 1000, 1, 'copy' FROM ok RETURNING id)
SELECT count(*) FROM bad

-- @case ro-020 expect=not_read_only
SELECT x.key FROM (SELECT i.key FROM issues i WHERE i.client_id = 1 FOR NO KEY UPDATE) x LIMIT 5

-- @case ro-021 expect=not_read_only
BEGIN

-- @case ro-022 expect=not_read_only
LOCK TABLE issues IN ACCESS EXCLUSIVE MODE

-- @case ro-023 expect=not_read_only
VACUUM issues

-- @case ro-024 expect=not_read_only
MERGE INTO teams t USING (SELECT 1 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE

-- @case ro-025 expect=not_read_only
PREPARE q AS SELECT 1

-- @case ro-026 expect=not_read_only
NOTIFY channel, 'payload'

-- @case ro-027 expect=not_read_only
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'

-- ============================================================ unknown tables
-- @case tbl-001 expect=unknown_table
SELECT count(*) FROM isues WHERE client_id = 1

-- @case tbl-002 expect=unknown_table
SELECT t.name FROM team t WHERE t.client_id = 1 LIMIT 10

-- @case tbl-003 expect=unknown_table
SELECT count(*) FROM pull_request pr WHERE pr.client_id = 1

-- @case tbl-004 expect=unknown_table
SELECT rolname, rolpassword FROM pg_authid LIMIT 10

-- @case tbl-005 expect=unknown_table
SELECT table_name FROM information_schema.tables LIMIT 10

-- @case tbl-006 expect=unknown_table
SELECT count(*) FROM ml.model_versions

-- @case tbl-007 expect=unknown_table
SELECT failed_query FROM ai_learning_memory LIMIT 10

-- @case tbl-008 expect=unknown_table
SELECT key_hash FROM api_keys LIMIT 10

-- @case tbl-009 expect=unknown_table
SELECT count(*) FROM "Issues" WHERE client_id = 1

-- @case tbl-010 expect=unknown_table
SELECT count(*) FROM issues i WHERE i.client_id = 1 AND p.key = 'PAY'

-- @case tbl-011 expect=unknown_table
WITH done AS (SELECT id FROM issues WHERE client_id = 1) SELECT count(*) FROM dones

-- @case tbl-012 expect=unknown_table
SELECT count(*) FROM deployment WHERE client_id = 1

-- @case tbl-013 expect=unknown_table
SELECT usename FROM pg_catalog.pg_user LIMIT 5

-- @case tbl-014 expect=unknown_table
SELECT count(*) FROM issues i JOIN sprints s ON s.id = i.id WHERE i.client_id = 1

-- @case tbl-015 expect=unknown_table
SELECT i.key FROM issues i WHERE i.client_id = 1 AND i.project_id IN (SELECT id FROM project WHERE client_id = 1) LIMIT 10

-- @case tbl-016 expect=unknown_table
SELECT count(*) FROM public.incident WHERE client_id = 1

-- ============================================================ unknown columns
-- @case col-001 expect=unknown_column
SELECT sum(story_point) FROM issues WHERE client_id = 1

-- @case col-002 expect=unknown_column
SELECT avg(i.lead_time) FROM issues i WHERE i.client_id = 1

-- @case col-003 expect=unknown_column
SELECT t.team_name FROM teams t WHERE t.client_id = 1 LIMIT 10

-- @case col-004 expect=unknown_column
SELECT count(*) FROM issues i WHERE i.client_id = 1 AND i.statuss = 'Done'

-- @case col-005 expect=unknown_column
SELECT t.story_points FROM issues i JOIN teams t ON t.client_id = i.client_id WHERE i.client_id = 1 LIMIT 10

-- @case col-006 expect=unknown_column
SELECT count(*) FROM issues WHERE client_id = 1 AND "Story_Points" > 3

-- @case col-007 expect=unknown_column
WITH x AS (SELECT id, key FROM issues WHERE client_id = 1) SELECT x.summary FROM x LIMIT 10

-- @case col-008 expect=unknown_column
SELECT s.total FROM (SELECT count(*) AS n FROM issues WHERE client_id = 1) s LIMIT 1

-- @case col-009 expect=unknown_column
SELECT i.key FROM issues i WHERE i.client_id = 1 ORDER BY i.priorty LIMIT 10

-- @case col-010 expect=unknown_column
SELECT pr.repository_name, count(*) FROM pull_requests pr WHERE pr.client_id = 1 GROUP BY pr.repository_name

-- @case col-011 expect=unknown_column
SELECT i.key, rank() OVER (PARTITION BY i.team_id ORDER BY i.created) FROM issues i WHERE i.client_id = 1 LIMIT 10

-- @case col-012 expect=unknown_column
SELECT count(*) FROM issues i JOIN projects p USING (project_key) WHERE i.client_id = 1 AND p.client_id = 1

-- @case col-013 expect=unknown_column
SELECT u.name, l.title FROM users u CROSS JOIN LATERAL (SELECT pr.title FROM pull_requests pr WHERE pr.author = u.id AND pr.client_id = 1 LIMIT 1) l WHERE u.client_id = 1 LIMIT 10

-- @case col-014 expect=unknown_column
SELECT d.environment, avg(d.lead_time) FROM deployments d WHERE d.client_id = 1 GROUP BY d.environment

-- @case col-015 expect=unknown_column
SELECT count(*) FROM incidents WHERE client_id = 1 AND resolved IS NULL

-- @case col-016 expect=unknown_column
SELECT i.key FROM issues i WHERE i.client_id = 1 AND EXISTS (SELECT 1 FROM pull_requests pr WHERE pr.issue = i.id AND pr.client_id = 1) LIMIT 10

-- @case col-017 expect=unknown_column
SELECT p.project_key FROM projects p WHERE p.client_id = 1 LIMIT 10

-- @case col-018 expect=unknown_column
SELECT u.team FROM users u WHERE u.client_id = 1 LIMIT 10

-- @case col-019 expect=unknown_column
SELECT count(*) FROM status_mappings sm WHERE sm.client_id = 1 AND sm.status = 'Done'

-- @case col-020 expect=unknown_column
SELECT r.name, r.url FROM repositories r WHERE r.client_id = 1 LIMIT 10

-- @case col-021 expect=unknown_column
SELECT i.key FROM issues i WHERE i.client_id = 1 AND i.created >= now() - interval '7 days' AND i.closed_at IS NULL LIMIT 10

-- @case col-022 expect=unknown_column
SELECT "i"."Key" FROM issues "i" WHERE "i".client_id = 1 LIMIT 10

-- ============================================================ forbidden functions
-- @case fn-001 expect=forbidden_function
SELECT pg_sleep(10)

-- @case fn-002 expect=forbidden_function
SELECT count(*) FROM issues WHERE client_id = 1 AND pg_catalog.pg_sleep(5) IS NOT NULL

-- @case fn-003 expect=forbidden_function
SELECT pg_read_file('/etc/passwd')

-- @case fn-004 expect=forbidden_function
SELECT lo_import('/etc/passwd')

-- @case fn-005 expect=forbidden_function
SELECT lo_export(1234, '/tmp/x')

-- @case fn-006 expect=forbidden_function
SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(x int) LIMIT 1

-- @case fn-007 expect=forbidden_function
SELECT set_config('app.client_id', '2', true), count(*) FROM issues WHERE client_id = 1

-- @case fn-008 expect=forbidden_function
SELECT pg_terminate_backend(pid) FROM (SELECT 1 AS pid) x LIMIT 1

-- @case fn-009 expect=forbidden_function
SELECT nextval('issues_id_seq')

-- @case fn-010 expect=forbidden_function
SELECT pg_advisory_lock(42)

-- @case fn-011 expect=forbidden_function
SELECT pg_try_advisory_xact_lock(1, 2)

-- @case fn-012 expect=forbidden_function
SELECT query_to_xml('SELECT * FROM api_keys', true, false, '')

-- @case fn-013 expect=forbidden_function
SELECT txid_current()

-- @case fn-014 expect=forbidden_function
SELECT f FROM pg_ls_dir('.') AS f LIMIT 10

-- @case fn-015 expect=forbidden_function
SELECT i.key FROM issues i WHERE i.client_id = 1 AND i.id IN (SELECT currval('x')) LIMIT 1

-- @case fn-016 expect=forbidden_function
SELECT count(*) FROM teams t WHERE t.client_id = 1 AND t.name = (SELECT pg_cancel_backend(1)::text)

-- @case fn-017 expect=forbidden_function
SELECT PG_SLEEP(1)

-- @case fn-018 expect=forbidden_function
SELECT setval('s', 1)

-- ============================================================ tenant filter (warnings)
-- @case ten-001 expect=missing_tenant_filter
SELECT count(*) FROM issues

-- @case ten-002 expect=missing_tenant_filter
SELECT t.name, count(*) FROM teams t JOIN users u ON u.team_id = t.id GROUP BY t.name

-- @case ten-003 expect=missing_tenant_filter
SELECT count(*) FROM issues i WHERE i.client_id = 1 OR i.story_points > 5

-- @case ten-004 expect=missing_tenant_filter
SELECT count(*) FROM issues i, projects p WHERE i.client_id = 1

-- @case ten-005 expect=missing_tenant_filter
SELECT i.key FROM issues i WHERE i.client_id = 1 AND i.story_points > (SELECT avg(story_points) FROM issues) LIMIT 10

-- @case ten-006 expect=missing_tenant_filter
WITH all_prs AS (SELECT * FROM pull_requests) SELECT count(*) FROM all_prs

-- @case ten-007 expect=missing_tenant_filter
SELECT count(*) FROM deployments d WHERE d.client_id = d.repository_id

-- @case ten-008 expect=missing_tenant_filter
SELECT c.name FROM clients c LIMIT 10

-- @case ten-009 expect=missing_tenant_filter
SELECT x.n FROM (SELECT count(*) AS n FROM incidents) x LIMIT 1

-- @case ten-010 expect=missing_tenant_filter
SELECT count(*) FROM issues i WHERE NOT (i.client_id = 1)

-- @case ten-011 expect=missing_tenant_filter,missing_limit
SELECT i.key FROM issues i

-- @case ten-012 expect=
SELECT count(*) FROM issues i JOIN projects p ON p.id = i.project_id WHERE p.client_id = 1

-- @case ten-013 expect=
SELECT count(*) FROM issues i WHERE i.client_id = app_current_client_id()

-- ============================================================ row limit
-- @case lim-001 expect=missing_limit
SELECT i.key, i.summary FROM issues i WHERE i.client_id = 1

-- @case lim-002 expect=missing_limit
SELECT i.key FROM issues i WHERE i.client_id = 1 LIMIT ALL

-- @case lim-003 expect=missing_limit
SELECT i.key FROM issues i WHERE i.client_id = 1 LIMIT 100000

-- @case lim-004 expect=missing_limit
SELECT p.key FROM projects p WHERE p.client_id = 1 UNION ALL SELECT r.name FROM repositories r WHERE r.client_id = 1

-- @case lim-005 expect=missing_limit
SELECT i.key, row_number() OVER (ORDER BY i.created) FROM issues i WHERE i.client_id = 1

-- @case lim-006 expect=missing_limit
SELECT DISTINCT i.priority FROM issues i WHERE i.client_id = 1

-- @case lim-007 expect=missing_limit
WITH x AS (SELECT id FROM issues WHERE client_id = 1 LIMIT 10) SELECT x.id FROM x

-- @case lim-008 expect=missing_limit
SELECT pr.title FROM pull_requests pr WHERE pr.client_id = 1 OFFSET 10

-- @case lim-009 expect=
SELECT i.priority, count(*) FROM issues i WHERE i.client_id = 1 GROUP BY i.priority

-- @case lim-010 expect=
SELECT i.key FROM issues i WHERE i.client_id = 1 LIMIT 1000

-- ============================================================ combinations
-- @case mix-001 expect=unknown_table,forbidden_function
SELECT pg_sleep(1) FROM isues WHERE client_id = 1 LIMIT 1

-- @case mix-002 expect=unknown_column,missing_tenant_filter
SELECT count(*) FROM issues WHERE story_point > 3

-- @case mix-003 expect=not_read_only,unknown_table
WITH x AS (DELETE FROM issues RETURNING id) SELECT count(*) FROM isues

-- @case mix-004 expect=unknown_column,missing_limit
SELECT i.summ FROM issues i WHERE i.client_id = 1

-- ============================================================ cost (live replica)
-- @case cost-001 replica expect=too_expensive
SELECT count(*)
FROM issues a
CROSS JOIN generate_series(1, 1000000000) AS g(n)
WHERE a.client_id = 1

-- @case cost-002 replica expect=too_expensive
SELECT count(*) FROM generate_series(1, 100000000000) AS g(n)

-- @case cost-003 replica expect=plan_error
SELECT count(*) FROM issues i WHERE i.client_id = 1 AND i.key = 42

-- @case cost-004 replica expect=plan_error
SELECT id FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.client_id = 1 LIMIT 10

-- @case cost-005 replica expect=plan_error
SELECT no_such_function(i.id) FROM issues i WHERE i.client_id = 1 LIMIT 10

-- @case cost-006 replica expect=
SELECT count(*) FROM issues i WHERE i.client_id = 1 AND i.created >= now() - interval '30 days'

-- @case cost-007 replica expect=
SELECT i.key FROM issues i WHERE i.client_id = $1 AND i.created >= $2 LIMIT 10

-- @case cost-008 replica expect=plan_error
SELECT t.name, count(*) FROM teams t JOIN users u ON u.team_id = t.id WHERE t.client_id = 1 GROUP BY t.id, u.name HAVING t.name = 1

-- ============================================================ semantic judge (offline judge; intents)
-- @case sem-001 expect=
-- @question Which team had the longest average lead time in the last 90 days?
-- @intent {"metric":"lead_time_avg_days","aggregate":"avg","group_by":["team"],"time_window":"last_90_days","time_column":"work_last_completed_at","ordering":"desc","limit":1}
SELECT t.name AS team, avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
FROM issues i
JOIN users u ON u.id = i.assignee_id
JOIN teams t ON t.id = u.team_id
JOIN statuses s ON s.id = i.status_id
JOIN status_mappings sm ON sm.id = s.status_mapping_id
WHERE i.client_id = 1 AND sm.status_to = 'Done' AND i.work_last_completed_at >= now() - interval '90 days'
GROUP BY t.name
ORDER BY avg_lead_time_days DESC
LIMIT 1

-- @case sem-002 expect=semantic_mismatch
-- @question Which team had the longest average lead time in the last 90 days?
-- @intent {"metric":"lead_time_avg_days","aggregate":"avg","group_by":["team"],"time_window":"last_90_days","time_column":"work_last_completed_at","ordering":"desc","limit":1}
SELECT t.name AS team, count(*) AS issues
FROM issues i
JOIN users u ON u.id = i.assignee_id
JOIN teams t ON t.id = u.team_id
WHERE i.client_id = 1 AND i.work_last_completed_at >= now() - interval '90 days'
GROUP BY t.name
ORDER BY issues DESC
LIMIT 1

-- @case sem-003 expect=semantic_mismatch
-- @question Which team had the longest average lead time in the last 90 days?
-- @intent {"metric":"lead_time_avg_days","aggregate":"avg","group_by":["team"],"time_window":"last_90_days","time_column":"work_last_completed_at","ordering":"desc","limit":1}
SELECT p.key AS project, avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
FROM issues i
JOIN projects p ON p.id = i.project_id
WHERE i.client_id = 1 AND i.work_last_completed_at >= now() - interval '90 days'
GROUP BY p.key
ORDER BY avg_lead_time_days DESC
LIMIT 1

-- @case sem-004 expect=semantic_mismatch
-- @question Which team had the longest average lead time in the last 90 days?
-- @intent {"metric":"lead_time_avg_days","aggregate":"avg","group_by":["team"],"time_window":"last_90_days","time_column":"work_last_completed_at","ordering":"desc","limit":1}
SELECT t.name AS team, avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
FROM issues i
JOIN users u ON u.id = i.assignee_id
JOIN teams t ON t.id = u.team_id
WHERE i.client_id = 1
GROUP BY t.name
ORDER BY avg_lead_time_days DESC
LIMIT 1

-- @case sem-005 expect=semantic_mismatch
-- @question Which team had the longest average lead time in the last 90 days?
-- @intent {"metric":"lead_time_avg_days","aggregate":"avg","group_by":["team"],"time_window":"last_90_days","time_column":"work_last_completed_at","ordering":"desc","limit":1}
SELECT t.name AS team, avg(i.total_lead_time_seconds) / 86400.0 AS avg_lead_time_days
FROM issues i
JOIN users u ON u.id = i.assignee_id
JOIN teams t ON t.id = u.team_id
WHERE i.client_id = 1 AND i.work_last_completed_at >= now() - interval '30 days'
GROUP BY t.name
ORDER BY avg_lead_time_days DESC
LIMIT 1

-- @case sem-006 expect=
-- @question What is the median story points per project for bugs?
-- @intent {"metric":"story_points_median","aggregate":"median","group_by":["project"],"filters":["issue_type"]}
SELECT p.key AS project, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.story_points) AS median_points
FROM issues i
JOIN projects p ON p.id = i.project_id
JOIN issuetypes it ON it.id = i.issuetype_id
WHERE i.client_id = 1 AND it.original_name = 'Bug'
GROUP BY p.key

-- @case sem-007 expect=semantic_mismatch
-- @question What is the median story points per project for bugs?
-- @intent {"metric":"story_points_median","aggregate":"median","group_by":["project"],"filters":["issue_type"]}
SELECT p.key AS project, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.story_points) AS median_points
FROM issues i
JOIN projects p ON p.id = i.project_id
WHERE i.client_id = 1
GROUP BY p.key

-- @case sem-008 expect=
-- @question How many deployments per month this year?
-- @intent {"metric":"deployment_count","aggregate":"count","group_by":["month"],"time_window":"2025-01-01..2025-12-31","time_column":"deployed_at"}
SELECT date_trunc('month', d.deployed_at) AS month, count(*) AS deployments
FROM deployments d
WHERE d.client_id = 1 AND d.deployed_at >= '2025-01-01' AND d.deployed_at <= '2025-12-31'
GROUP BY 1
ORDER BY 1

-- @case sem-009 expect=semantic_mismatch
-- @question How many deployments per month this year?
-- @intent {"metric":"deployment_count","aggregate":"count","group_by":["month"],"time_window":"2025-01-01..2025-12-31","time_column":"deployed_at"}
SELECT date_trunc('week', d.deployed_at) AS week, count(*) AS deployments
FROM deployments d
WHERE d.client_id = 1 AND d.deployed_at >= '2025-01-01' AND d.deployed_at <= '2025-12-31'
GROUP BY 1
ORDER BY 1

-- @case sem-010 expect=
-- @question What share of merged pull requests needed rework, per repository?
-- @intent {"metric":"rework_ratio","aggregate":"ratio","group_by":["repository"],"filters":["status"]}
-- ("needed rework" is the semantic layer's rework: review_cycles > 2 OR rework_commit_count > 3)
SELECT r.name AS repository,
       count(*) FILTER (WHERE pr.review_cycles > 2 OR pr.rework_commit_count > 3)::numeric / nullif(count(*), 0) AS rework_ratio
FROM pull_requests pr
JOIN repositories r ON r.id = pr.repository_id
WHERE pr.client_id = 1 AND pr.status = 'merged'
GROUP BY r.name

-- @case sem-011 expect=semantic_mismatch
-- @question Which 5 projects have the most open issues?
-- @intent {"metric":"open_issue_count","aggregate":"count","group_by":["project"],"filters":["status"],"ordering":"desc","limit":5}
SELECT p.key AS project, count(*) AS open_issues
FROM issues i
JOIN projects p ON p.id = i.project_id
JOIN statuses s ON s.id = i.status_id
JOIN status_mappings sm ON sm.id = s.status_mapping_id
WHERE i.client_id = 1 AND sm.status_to <> 'Done'
GROUP BY p.key
ORDER BY open_issues ASC
LIMIT 5

-- @case sem-012 expect=
-- @question Which 5 projects have the most open issues?
-- @intent {"metric":"open_issue_count","aggregate":"count","group_by":["project"],"filters":["status"],"ordering":"desc","limit":5}
SELECT p.key AS project, count(*) AS open_issues
FROM issues i
JOIN projects p ON p.id = i.project_id
JOIN statuses s ON s.id = i.status_id
JOIN status_mappings sm ON sm.id = s.status_mapping_id
WHERE i.client_id = 1 AND sm.status_to <> 'Done'
GROUP BY p.key
ORDER BY open_issues DESC
LIMIT 5
