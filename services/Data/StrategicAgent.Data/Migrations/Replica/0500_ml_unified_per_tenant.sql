-- unified: the same rows and values as migration 0114's view, in a shape the planner reads per tenant.
-- 0114 joined ml.complexity_features and ml.rework_features (window results) to a per-issue LATERAL
-- lookup on three columns; the planner estimated one row there and re-ran the rework window once per
-- issue in a nested loop: one tenant of the medium data took almost 5 minutes as sa_query (row-level
-- security). Here each window runs once over the tenant's rows (issues: the project prior; PR events:
-- the author's history) and everything is joined on a single id (hash joins; no join on client_id,
-- whose correlation with the ids made the estimates collapse again). The view's output was compared
-- row by row with 0114's on the medium data set: identical.
CREATE OR REPLACE VIEW ml.unified_features WITH (security_invoker = true) AS
WITH iss AS NOT MATERIALIZED (
    -- Same rows and prior as ml.complexity_features (active Story/Task/Bug, earlier issues of the project).
    SELECT i.id, i.client_id, i.project_id, i.key, i.created, i.priority, i.summary, i.description, i.parent_id,
           i.story_points, i.total_lead_time_seconds, i.work_last_completed_at, i.status_id,
           it.original_name AS issue_type,
           avg(i.story_points) FILTER (WHERE i.story_points > 0 AND i.story_points <= 21) OVER pw AS prior_mean
    FROM issues i
    JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name IN ('Story', 'Task', 'Bug')
    WHERE i.active
    WINDOW pw AS (PARTITION BY i.client_id, i.project_id ORDER BY i.created, i.id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), pr AS NOT MATERIALIZED (
    SELECT p.id, p.client_id, p.author_id, p.issue_id, p.created_at, p.merged_at, p.status,
           p.changed_files, p.additions, p.deletions,
           (coalesce(p.review_cycles, 0) > 2 OR coalesce(p.rework_commit_count, 0) > 3) AS reworked,
           CASE WHEN p.status = 'merged' AND p.merged_at IS NOT NULL
                     AND (p.review_cycles IS NOT NULL OR p.rework_commit_count IS NOT NULL)
                THEN (coalesce(p.review_cycles, 0) > 2 OR coalesce(p.rework_commit_count, 0) > 3)::int END AS y
    FROM pull_requests p
    WHERE p.active
), first_pr AS NOT MATERIALIZED (
    SELECT DISTINCT ON (pr.client_id, pr.issue_id) pr.client_id, pr.issue_id, pr.id, pr.author_id, pr.created_at,
           pr.changed_files, pr.additions, pr.deletions
    FROM pr
    WHERE pr.issue_id IS NOT NULL
    ORDER BY pr.client_id, pr.issue_id, pr.created_at, pr.id
), merged AS NOT MATERIALIZED (
    SELECT pr.client_id, pr.issue_id, max(CASE WHEN pr.reworked THEN 1 ELSE 0 END) AS reworked
    FROM pr
    WHERE pr.issue_id IS NOT NULL AND pr.status = 'merged' AND pr.merged_at IS NOT NULL
    GROUP BY pr.client_id, pr.issue_id
), author AS NOT MATERIALIZED (
    -- ml.rework_features' author history: open events (PR id) and merge events (negated id) in time order.
    SELECT ev.id, ev.client_id,
           count(*) FILTER (WHERE ev.kind = 1) OVER wa - 1 AS opened,
           count(*) FILTER (WHERE ev.kind = 0) OVER wa AS merged,
           sum(ev.y) FILTER (WHERE ev.kind = 0) OVER wa AS rework
    FROM (
        SELECT client_id, author_id, id, created_at AS t, 1 AS kind, NULL::int AS y FROM pr
        UNION ALL
        SELECT client_id, author_id, -id, merged_at AS t, 0 AS kind, y FROM pr WHERE y IS NOT NULL
    ) ev
    WINDOW wa AS (PARTITION BY ev.client_id, ev.author_id ORDER BY ev.t, ev.kind, ev.id ROWS UNBOUNDED PRECEDING)
)
SELECT i.id                                              AS entity_id,
       i.client_id,
       i.project_id,
       i.key                                             AS issue_key,
       fp.created_at                                     AS as_of,
       i.work_last_completed_at                          AS label_known_at,
       CASE WHEN sm.status_to = 'Done' AND i.total_lead_time_seconds > 0 AND i.total_lead_time_seconds < 31536000
            THEN (i.total_lead_time_seconds / 86400.0)::real END AS lead_time_days,
       CASE WHEN i.story_points > 0 AND i.story_points <= 21 THEN i.story_points::real END AS story_points,
       m.reworked::real                                  AS reworked,
       (sm.status_to = 'Done')                           AS is_done,
       i.issue_type,
       i.project_id::text                                AS project,
       coalesce(nullif(i.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(i.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(i.description), 0)::real          AS description_chars,
       (i.parent_id IS NOT NULL)::int::real              AS has_epic,
       coalesce(i.prior_mean, -1)::real                  AS project_prior_mean_points,
       fp.changed_files::real                            AS first_pr_changed_files,
       (coalesce(fp.additions, 0) + coalesce(fp.deletions, 0))::real AS first_pr_churn,
       (extract(epoch FROM fp.created_at - i.created) / 86400.0)::real AS days_created_to_first_pr,
       CASE WHEN fp.author_id IS NULL THEN NULL ELSE a.opened END::real AS author_prior_opened,
       a.merged::real                                    AS author_prior_merged,
       coalesce(a.rework::real / nullif(a.merged, 0), -1)::real AS author_prior_rework_rate
FROM iss i
JOIN first_pr fp ON fp.issue_id = i.id
JOIN author a ON a.id = fp.id
LEFT JOIN merged m ON m.issue_id = i.id
LEFT JOIN statuses s ON s.id = i.status_id
LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id;

GRANT SELECT ON ml.unified_features TO sa_query;
