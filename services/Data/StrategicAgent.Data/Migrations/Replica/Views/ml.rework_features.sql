-- Repeatable (DbUp RunAlways, after every numbered migration): the current definition of this
-- feature view, the only place to change it. CREATE OR REPLACE keeps grants and may only append
-- columns; a change that drops, renames or retypes a column needs a numbered migration that drops
-- the view first (CASCADE reaches dependent views, which their own scripts recreate: the scripts
-- run in file-name order, so a view's dependencies must sort before it).
-- Model: services/Ml/StrategicAgent.Ml/Models/Rework (history: migrations 0111, 0113, 0114).
-- security_invoker: feature reads inside a TenantSession see only the caller's tenant (0200).
-- Planner-friendly rework history: merge events carry the negated PR id, so joining the history
-- to the PRs on id keeps exactly the open events without a filter the planner cannot estimate
-- (a "kind = 1" filter on window output was estimated at 0.5% of rows and led the unified view
-- into a nested loop that re-ran the issue side once per PR).
CREATE OR REPLACE VIEW ml.rework_features WITH (security_invoker = true) AS
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

GRANT SELECT ON ml.rework_features TO sa_query;
