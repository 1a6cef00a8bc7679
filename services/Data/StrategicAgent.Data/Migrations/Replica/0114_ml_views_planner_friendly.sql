-- Planner-friendly rework history: merge events carry the negated PR id, so joining the history
-- to the PRs on id keeps exactly the open events without a filter the planner cannot estimate
-- (a "kind = 1" filter on window output was estimated at 0.5% of rows and led the unified view
-- into a nested loop that re-ran the issue side once per PR).
DROP VIEW IF EXISTS ml.unified_features;
DROP VIEW IF EXISTS ml.rework_features;

CREATE VIEW ml.rework_features AS
WITH pr AS NOT MATERIALIZED (
    SELECT p.id, p.client_id, p.repository_id, p.author_id, p.issue_id, p.title, p.created_at, p.merged_at,
           p.changed_files, p.additions, p.deletions,
           CASE WHEN p.status = 'merged' AND p.merged_at IS NOT NULL
                     AND (p.review_cycles IS NOT NULL OR p.rework_commit_count IS NOT NULL)
                THEN (coalesce(p.review_cycles, 0) > 2 OR coalesce(p.rework_commit_count, 0) > 3)::int END AS y
    FROM pull_requests p
    WHERE p.active
), hist AS (
    SELECT ev.id, ev.client_id, ev.kind,
           count(*) FILTER (WHERE ev.kind = 1) OVER wa - 1 AS author_opened,
           count(*) FILTER (WHERE ev.kind = 0) OVER wa AS author_merged,
           sum(ev.y) FILTER (WHERE ev.kind = 0) OVER wa AS author_rework,
           count(*) FILTER (WHERE ev.kind = 0) OVER wr AS repo_merged,
           sum(ev.y) FILTER (WHERE ev.kind = 0) OVER wr AS repo_rework
    FROM (
        SELECT client_id, author_id, repository_id, id, created_at AS t, 1 AS kind, NULL::int AS y FROM pr
        UNION ALL
        SELECT client_id, author_id, repository_id, -id, merged_at AS t, 0 AS kind, y FROM pr WHERE y IS NOT NULL
    ) ev
    WINDOW wa AS (PARTITION BY ev.client_id, ev.author_id ORDER BY ev.t, ev.kind, ev.id ROWS UNBOUNDED PRECEDING),
           wr AS (PARTITION BY ev.client_id, ev.repository_id ORDER BY ev.t, ev.kind, ev.id ROWS UNBOUNDED PRECEDING)
)
SELECT pr.id                                             AS entity_id,
       pr.client_id,
       pr.repository_id,
       pr.issue_id,
       pr.created_at                                     AS as_of,
       pr.merged_at                                      AS label_known_at,
       pr.y::real                                        AS label,
       pr.repository_id::text                            AS repository,
       pr.changed_files::real                            AS changed_files,
       pr.additions::real                                AS additions,
       pr.deletions::real                                AS deletions,
       coalesce(array_length(regexp_split_to_array(btrim(pr.title), '\s+'), 1), 0)::real AS title_words,
       coalesce(i.story_points, -1)::real                AS linked_issue_points,
       coalesce(it.original_name, 'none')                AS linked_issue_type,
       CASE WHEN pr.author_id IS NULL THEN NULL ELSE h.author_opened END::real AS author_prior_opened,
       h.author_merged::real                             AS author_prior_merged,
       coalesce(h.author_rework::real / nullif(h.author_merged, 0), -1)::real AS author_prior_rework_rate,
       h.repo_merged::real                               AS repo_prior_merged,
       coalesce(h.repo_rework::real / nullif(h.repo_merged, 0), -1)::real AS repo_prior_rework_rate,
       extract(hour FROM pr.created_at AT TIME ZONE 'UTC')::real AS open_hour,
       extract(dow FROM pr.created_at AT TIME ZONE 'UTC')::real  AS open_dow
FROM pr
JOIN hist h ON h.id = pr.id AND h.client_id = pr.client_id
LEFT JOIN issues i ON i.id = pr.issue_id
LEFT JOIN issuetypes it ON it.id = i.issuetype_id;

CREATE VIEW ml.unified_features AS
SELECT i.id                                              AS entity_id,
       i.client_id,
       i.project_id,
       i.key                                             AS issue_key,
       fp.created_at                                     AS as_of,
       i.work_last_completed_at                          AS label_known_at,
       CASE WHEN sm.status_to = 'Done' AND i.total_lead_time_seconds > 0 AND i.total_lead_time_seconds < 31536000
            THEN (i.total_lead_time_seconds / 86400.0)::real END AS lead_time_days,
       CASE WHEN i.story_points > 0 AND i.story_points <= 21 THEN i.story_points::real END AS story_points,
       agg.reworked::real                                AS reworked,
       (sm.status_to = 'Done')                           AS is_done,
       it.original_name                                  AS issue_type,
       i.project_id::text                                AS project,
       coalesce(nullif(i.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(i.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(i.description), 0)::real          AS description_chars,
       (i.parent_id IS NOT NULL)::int::real              AS has_epic,
       cf.project_prior_mean_points,
       fp.changed_files::real                            AS first_pr_changed_files,
       (coalesce(fp.additions, 0) + coalesce(fp.deletions, 0))::real AS first_pr_churn,
       (extract(epoch FROM fp.created_at - i.created) / 86400.0)::real AS days_created_to_first_pr,
       rf.author_prior_opened,
       rf.author_prior_merged,
       rf.author_prior_rework_rate
FROM issues i
JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name IN ('Story', 'Task', 'Bug')
LEFT JOIN statuses s ON s.id = i.status_id
LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
JOIN LATERAL (
    SELECT p.id, p.created_at, p.changed_files, p.additions, p.deletions
    FROM pull_requests p
    WHERE p.issue_id = i.id AND p.active
    ORDER BY p.created_at, p.id
    LIMIT 1
) fp ON true
LEFT JOIN LATERAL (
    SELECT max(CASE WHEN (coalesce(p.review_cycles, 0) > 2 OR coalesce(p.rework_commit_count, 0) > 3) THEN 1 ELSE 0 END) AS reworked
    FROM pull_requests p
    WHERE p.issue_id = i.id AND p.active AND p.status = 'merged' AND p.merged_at IS NOT NULL
) agg ON true
JOIN ml.complexity_features cf ON cf.entity_id = i.id AND cf.client_id = i.client_id AND cf.project_id = i.project_id
JOIN ml.rework_features rf ON rf.entity_id = fp.id AND rf.client_id = i.client_id
WHERE i.active;

-- trajectory: project history by one time-ordered pass per project instead of per-epic index
-- ranges (those grew with epics × project history: ~10⁸ index entries on the large data set).
-- Events: each epic's start (kind 1, the epic's id) and every issue completion (kind 0, negated
-- id) with its points and, for epics with a valid lead time, ln(lead days). At an epic's start the
-- running count/mean over completed epics and the 90-day sum of completed points are read off.
DROP VIEW IF EXISTS ml.trajectory_features;
CREATE VIEW ml.trajectory_features AS
WITH epics AS NOT MATERIALIZED (
    SELECT i.id, i.client_id, i.project_id, i.key, i.summary, i.description, i.priority, i.created,
           i.work_last_completed_at, i.total_lead_time_seconds,
           coalesce(i.work_first_started_at, i.created) AS as_of, sm.status_to
    FROM issues i
    JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name = 'Epic'
    LEFT JOIN statuses s ON s.id = i.status_id
    LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
    WHERE i.active
), hist AS (
    SELECT ev.id, ev.client_id, ev.project_id,
           count(ev.log_lead) OVER w_all AS epics_done_before,
           avg(ev.log_lead) OVER w_all   AS mean_log_lead,
           sum(ev.points) OVER w_90      AS points_90d
    FROM (
        SELECT e.client_id, e.project_id, e.as_of AS t, 1 AS kind, e.id, NULL::numeric AS points, NULL::float8 AS log_lead
        FROM epics e
        UNION ALL
        SELECT d.client_id, d.project_id, d.work_last_completed_at, 0, -d.id, d.story_points,
               CASE WHEN dt.original_name = 'Epic' AND d.total_lead_time_seconds > 0 AND d.total_lead_time_seconds < 31536000
                    THEN ln(d.total_lead_time_seconds / 86400.0) END
        FROM issues d
        JOIN issuetypes dt ON dt.id = d.issuetype_id
        WHERE d.active AND d.work_last_completed_at IS NOT NULL
    ) ev
    WINDOW w_all AS (PARTITION BY ev.client_id, ev.project_id ORDER BY ev.t, ev.kind, ev.id ROWS UNBOUNDED PRECEDING),
           w_90  AS (PARTITION BY ev.client_id, ev.project_id ORDER BY ev.t RANGE BETWEEN interval '90 days' PRECEDING AND CURRENT ROW)
)
SELECT e.id                                              AS entity_id,
       e.client_id,
       e.project_id,
       e.key                                             AS issue_key,
       e.as_of,
       (e.status_to = 'Done')                            AS is_done,
       e.work_last_completed_at                          AS label_known_at,
       CASE WHEN e.status_to = 'Done' AND e.total_lead_time_seconds > 0 AND e.total_lead_time_seconds < 31536000
            THEN (e.total_lead_time_seconds / 86400.0)::real END AS label,
       e.project_id::text                                AS project,
       coalesce(nullif(e.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(e.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(e.description), 0)::real          AS description_chars,
       ch.n::real                                        AS children_so_far,
       ch.points::real                                   AS child_points_so_far,
       ch.unpointed::real                                AS unpointed_children_so_far,
       h.epics_done_before::real                         AS project_epics_done_before,
       coalesce(h.mean_log_lead, -1)::real               AS project_log_lead_before,
       coalesce(h.points_90d, 0)::real                   AS project_points_done_90d,
       coalesce(ts.n, 0)::real                           AS team_size,
       (extract(epoch FROM e.as_of - e.created) / 86400.0)::real AS days_created_to_start,
       extract(month FROM e.as_of)::real                 AS start_month
FROM epics e
JOIN hist h ON h.id = e.id AND h.client_id = e.client_id AND h.project_id = e.project_id
LEFT JOIN projects p ON p.id = e.project_id
LEFT JOIN (SELECT u.team_id, count(*) AS n FROM users u WHERE u.active GROUP BY u.team_id) ts ON ts.team_id = p.team_id
LEFT JOIN LATERAL (
    SELECT count(*) AS n, coalesce(sum(c.story_points), 0) AS points,
           count(*) FILTER (WHERE c.story_points IS NULL) AS unpointed
    FROM issues c
    WHERE c.parent_id = e.id AND c.active AND c.created <= e.as_of
) ch ON true;
