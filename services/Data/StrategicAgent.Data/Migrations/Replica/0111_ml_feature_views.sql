-- One feature view per model. Each has entity_id, client_id, label_known_at (the time-ordered
-- split sorts on it), label (NULL when unknown: rows to predict) and the features, named as in
-- StrategicAgent.Ml's feature classes. Every feature is computed "as of" the moment a prediction
-- would be made, never from what is only known later (see docs/ml.md, "Features").
-- Windows are partitioned by client_id first, so a prediction's WHERE client_id = … (and
-- project_id = … where the window has it) is pushed down into them.

-- trajectory: epic lead time in days, as of the start of work on the epic.
CREATE OR REPLACE VIEW ml.trajectory_features AS
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
       pe.n::real                                        AS project_epics_done_before,
       coalesce(pe.mean_log_days, -1)::real              AS project_log_lead_before,
       coalesce(v.points, 0)::real                       AS project_points_done_90d,
       coalesce(ts.n, 0)::real                           AS team_size,
       (extract(epoch FROM e.as_of - e.created) / 86400.0)::real AS days_created_to_start,
       extract(month FROM e.as_of)::real                 AS start_month
FROM (
    SELECT i.*, coalesce(i.work_first_started_at, i.created) AS as_of, sm.status_to
    FROM issues i
    JOIN issuetypes it ON it.id = i.issuetype_id AND it.original_name = 'Epic'
    LEFT JOIN statuses s ON s.id = i.status_id
    LEFT JOIN status_mappings sm ON sm.id = s.status_mapping_id
    WHERE i.active
) e
LEFT JOIN projects p ON p.id = e.project_id
LEFT JOIN LATERAL (
    SELECT count(*) AS n, coalesce(sum(c.story_points), 0) AS points,
           count(*) FILTER (WHERE c.story_points IS NULL) AS unpointed
    FROM issues c
    WHERE c.parent_id = e.id AND c.active AND c.created <= e.as_of
) ch ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n, avg(ln(h.total_lead_time_seconds / 86400.0)) AS mean_log_days
    FROM issues h
    WHERE h.issuetype_id = e.issuetype_id AND h.project_id = e.project_id AND h.active
      AND h.work_last_completed_at IS NOT NULL AND h.work_last_completed_at < e.as_of
      AND h.total_lead_time_seconds > 0 AND h.total_lead_time_seconds < 31536000
) pe ON true
LEFT JOIN LATERAL (
    SELECT sum(d.story_points) AS points
    FROM issues d
    WHERE d.project_id = e.project_id AND d.active
      AND d.work_last_completed_at IS NOT NULL
      AND d.work_last_completed_at >= e.as_of - interval '90 days' AND d.work_last_completed_at < e.as_of
) v ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS n FROM users u WHERE u.team_id = p.team_id AND u.active
) ts ON true;

-- complexity: story points of Story/Task/Bug from what is known when it is estimated.
CREATE OR REPLACE VIEW ml.complexity_features AS
SELECT w.id                                              AS entity_id,
       w.client_id,
       w.project_id,
       i.key                                             AS issue_key,
       w.created                                         AS label_known_at,
       CASE WHEN i.story_points > 0 AND i.story_points <= 21 THEN i.story_points::real END AS label,
       i.summary || E'\n' || coalesce(left(i.description, 1000), '') AS text,
       it.original_name                                  AS issue_type,
       w.project_id::text                                AS project,
       coalesce(nullif(i.priority, ''), 'none')          AS priority,
       coalesce(array_length(regexp_split_to_array(btrim(i.summary), '\s+'), 1), 0)::real AS summary_words,
       coalesce(length(i.description), 0)::real          AS description_chars,
       (i.parent_id IS NOT NULL)::int::real              AS has_epic,
       coalesce(w.prior_mean, -1)::real                  AS project_prior_mean_points,
       w.prior_pointed::real                             AS project_prior_pointed
FROM (
    SELECT x.id, x.client_id, x.project_id, x.created,
           avg(x.story_points) FILTER (WHERE x.story_points > 0 AND x.story_points <= 21) OVER pw AS prior_mean,
           count(*) FILTER (WHERE x.story_points > 0 AND x.story_points <= 21) OVER pw AS prior_pointed
    FROM issues x
    JOIN issuetypes xt ON xt.id = x.issuetype_id AND xt.original_name IN ('Story', 'Task', 'Bug')
    WHERE x.active
    WINDOW pw AS (PARTITION BY x.client_id, x.project_id ORDER BY x.created, x.id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
) w
JOIN issues i ON i.id = w.id
JOIN issuetypes it ON it.id = i.issuetype_id;

-- rework: merged PRs labelled review_cycles > 2 OR rework_commit_count > 3; features as of opening.
-- Author and repository history counts only PRs merged before this one was opened: merge and open
-- events are interleaved in time order and the merge counts are read at the open event.
CREATE OR REPLACE VIEW ml.rework_features AS
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
           count(*) FILTER (WHERE ev.kind = 0) OVER wa AS author_merged,
           sum(ev.y) FILTER (WHERE ev.kind = 0) OVER wa AS author_rework,
           count(*) FILTER (WHERE ev.kind = 0) OVER wr AS repo_merged,
           sum(ev.y) FILTER (WHERE ev.kind = 0) OVER wr AS repo_rework
    FROM (
        SELECT client_id, author_id, repository_id, id, created_at AS t, 1 AS kind, NULL::int AS y FROM pr
        UNION ALL
        SELECT client_id, author_id, repository_id, id, merged_at AS t, 0 AS kind, y FROM pr WHERE y IS NOT NULL
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
       h.author_merged::real                             AS author_prior_merged,
       coalesce(h.author_rework::real / nullif(h.author_merged, 0), -1)::real AS author_prior_rework_rate,
       h.repo_merged::real                               AS repo_prior_merged,
       coalesce(h.repo_rework::real / nullif(h.repo_merged, 0), -1)::real AS repo_prior_rework_rate,
       extract(hour FROM pr.created_at AT TIME ZONE 'UTC')::real AS open_hour,
       extract(dow FROM pr.created_at AT TIME ZONE 'UTC')::real  AS open_dow
FROM pr
JOIN hist h ON h.id = pr.id AND h.client_id = pr.client_id AND h.kind = 1
LEFT JOIN issues i ON i.id = pr.issue_id
LEFT JOIN issuetypes it ON it.id = i.issuetype_id;

-- unified: done Story/Task/Bug issues with their PR aggregates as of their first PR's opening;
-- three targets: lead time (days), story points, reworked (any merged PR of the issue with the
-- rework label).
CREATE OR REPLACE VIEW ml.unified_features AS
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

-- anomaly: the prediction log's monitoring features (raw; standardised per model in C#).
CREATE OR REPLACE VIEW ml.anomaly_features AS
SELECT l.id                                              AS entity_id,
       l.client_id,
       l.model_name,
       l.prediction_key,
       l.created_at                                      AS label_known_at,
       l.prediction_value,
       CASE WHEN l.prediction_key IS NOT NULL
            THEN lag(l.prediction_value) OVER (PARTITION BY l.model_name, l.prediction_key ORDER BY l.created_at, l.id) END AS previous_value,
       l.input_feature_count,
       l.prediction_confidence,
       l.response_time_ms,
       extract(hour FROM l.created_at AT TIME ZONE 'UTC')::int AS hour_of_day,
       extract(dow FROM l.created_at AT TIME ZONE 'UTC')::int  AS day_of_week,
       l.is_anomaly
FROM ml.ml_prediction_log l;
